"""Telling terminals apart, and the platform decisions made before a copy starts
(bpcopy.render.ttys, bpcopy.diagnostics.memory): real ptys, pipes and files."""

from __future__ import annotations

import os
import pty
import selectors

import pytest

from bpcopy.diagnostics import memory
from bpcopy.render.ttys import is_dumb, same_terminal, selector_for, view_would_collide


@pytest.fixture
def terminal():
    leader, follower = pty.openpty()
    yield follower
    os.close(leader)
    os.close(follower)


def test_two_descriptors_of_one_terminal_are_the_same_terminal(terminal):
    again = os.open(os.ttyname(terminal), os.O_RDWR | os.O_NOCTTY)
    try:
        assert same_terminal(terminal, again)
        assert view_would_collide([again], view_fd=terminal)
    finally:
        os.close(again)


def test_two_terminals_are_not_the_same(terminal):
    leader, other = pty.openpty()
    try:
        assert not same_terminal(terminal, other)
        assert not view_would_collide([other, -1], view_fd=terminal)
    finally:
        os.close(leader)
        os.close(other)


def test_dev_null_files_and_pipes_never_collide_with_the_view(terminal, tmp_path):
    null = os.open(os.devnull, os.O_WRONLY)
    plain = os.open(tmp_path / "f", os.O_WRONLY | os.O_CREAT)
    read_end, write_end = os.pipe()
    try:
        assert not view_would_collide([null, plain, read_end, write_end], view_fd=terminal)
    finally:
        for fd in (null, plain, read_end, write_end):
            os.close(fd)


def test_term_dumb_or_no_term_is_a_dumb_terminal():
    assert is_dumb({"TERM": "dumb"})
    assert is_dumb({})
    assert not is_dumb({"TERM": "xterm-256color"})


def test_kqueue_platforms_wait_on_a_terminal_with_select(terminal, tmp_path):
    plain = os.open(tmp_path / "f", os.O_WRONLY | os.O_CREAT)
    try:
        assert selector_for(False, [terminal], platform="darwin") is selectors.SelectSelector
        assert selector_for(False, [plain], platform="darwin") is selectors.DefaultSelector
        assert selector_for(False, [terminal], platform="linux") is selectors.DefaultSelector
        assert selector_for(True, [plain], platform="linux") is selectors.SelectSelector
    finally:
        os.close(plain)


def test_ru_maxrss_is_bytes_on_macos_and_kib_on_linux_and_unknown_elsewhere():
    assert memory.maxrss_unit("darwin") == 1
    assert memory.maxrss_unit("linux") == 1024
    assert memory.maxrss_unit("freebsd14") == 1024
    assert memory.maxrss_unit("sunos5") is None
    assert memory.peak_rss("sunos5") == 0  # not a guess: the summary uses its own readings


def test_the_kernel_s_peak_is_in_bytes_like_the_rss_read_from_proc():
    """A wrong unit would be 1024 times off. (Linux updates its peak lazily, so the peak
    can lag the current reading a little: the summary takes the larger of the two.)"""
    if not memory.maxrss_unit():
        pytest.skip("ru_maxrss's unit is not known on this platform")
    reader = memory.RssReader()
    try:
        current = reader.current()
        assert current / 2 <= memory.peak_rss() <= current * 4
    finally:
        close(reader)


def test_without_proc_rss_comes_from_psutil_and_agrees(monkeypatch, tmp_path):
    with_proc = memory.RssReader()
    monkeypatch.setattr(memory, "PROC_ROOT", str(tmp_path / "no-proc"))
    without_proc = memory.RssReader()
    try:
        assert without_proc._statm is None
        first, second = with_proc.current(), without_proc.current()
        assert second > 0
        assert abs(first - second) < 8 * 1024 * 1024  # the same process, moments apart
    finally:
        close(with_proc)
        close(without_proc)


def close(reader: memory.RssReader) -> None:
    """The reader keeps /proc/self/statm open for the process's life; a test closes it."""
    if reader._statm is not None:
        os.close(reader._statm)
