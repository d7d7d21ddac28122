"""Hostile set-ups: closed standard streams, traces and reports aimed at the data,
shared terminals and pipes, a FIFO on both sides, signals at awkward moments."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import signal
import subprocess
import time

import pytest
from e2e_helpers import BPCOPY, cli, make_file, spawn


def test_a_trace_file_named_like_the_source_is_refused_and_the_source_kept(tmp_path):
    source = tmp_path / "src"
    data = make_file(source, 5000)
    result = cli(source, tmp_path / "dst", "--trace-file", source)
    assert result.returncode == 2
    assert b"--trace-file" in result.stderr and b"source" in result.stderr
    assert source.read_bytes() == data


def test_a_report_named_like_the_destination_is_refused_and_the_destination_kept(tmp_path):
    source, dest = tmp_path / "src", tmp_path / "dst"
    make_file(source, 5000)
    old = make_file(dest, 100)
    result = cli(source, dest, "--report", dest)
    assert result.returncode == 2
    assert b"--report" in result.stderr and b"destination" in result.stderr
    assert dest.read_bytes() == old


def test_a_closed_stdin_is_an_error_not_a_copy_of_something_else(tmp_path):
    dest = tmp_path / "dst"
    result = subprocess.run([*BPCOPY, "-", str(dest)], stdin=subprocess.DEVNULL,
                            capture_output=True, timeout=60,
                            preexec_fn=lambda: os.close(0))
    assert result.returncode == 1
    assert b"stdin is closed" in result.stderr
    assert not dest.exists()


def test_a_closed_stderr_does_not_stop_the_copy(tmp_path):
    source, dest = tmp_path / "src", tmp_path / "dst"
    data = make_file(source, 70000)
    result = subprocess.run([*BPCOPY, str(source), str(dest)], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, timeout=60,
                            preexec_fn=lambda: os.close(2))
    assert result.returncode == 0
    assert dest.read_bytes() == data


def test_the_same_fifo_on_both_sides_is_refused_instead_of_waiting_for_ever(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    result = cli(fifo, fifo, timeout=30)
    assert result.returncode == 1
    assert b"same FIFO" in result.stderr


def test_dev_stdout_as_destination_writes_into_the_pipe(tmp_path):
    source = tmp_path / "src"
    data = make_file(source, 100000)
    result = cli(source, "/dev/stdout", "-q")
    assert result.returncode == 0
    assert result.stdout == data


def test_a_mark_above_node_s_1_gib_limit_is_a_usage_error(tmp_path):
    source = tmp_path / "src"
    make_file(source, 10)
    result = cli(source, tmp_path / "dst", "-H", "2GiB")
    assert result.returncode == 2
    assert b"--high-water-mark" in result.stderr and b"Traceback" not in result.stderr


def test_a_failed_open_still_gives_every_json_field(tmp_path):
    result = cli(tmp_path / "missing", tmp_path / "dst", "--json")
    assert result.returncode == 1
    summary = json.loads(result.stderr)
    for field in ("bytes", "chunks", "elapsed_s", "throughput_bps", "pauses", "resumes",
                  "drains", "max_readable_length", "max_writable_length", "paused_s",
                  "start_rss", "peak_rss", "readable_high_water_mark",
                  "writable_high_water_mark", "mode", "verdict", "ok", "error"):
        assert field in summary
    assert summary["ok"] is False and "missing" in summary["error"]


def test_a_terminal_on_both_ends_is_left_blocking(tmp_path):
    """O_NONBLOCK lives on the shared terminal: bpcopy must not leave it set."""
    leader, follower = pty.openpty()
    try:
        process = subprocess.Popen([*BPCOPY, "-", "-", "-q"], stdin=follower,
                                   stdout=follower, stderr=subprocess.DEVNULL)
        time.sleep(1.0)
        os.write(leader, b"\x04")  # end of input on the terminal
        assert process.wait(timeout=30) == 0
        assert not fcntl.fcntl(follower, fcntl.F_GETFL) & os.O_NONBLOCK
    finally:
        os.close(leader)
        os.close(follower)


def test_a_trace_on_stderr_sharing_stdout_s_pipe_loses_no_record(tmp_path):
    source = tmp_path / "src"
    make_file(source, 64 * 65536)
    command = (f"{' '.join(BPCOPY)} {source} - --trace --trace-format jsonl 2>&1 "
               "| (sleep 1; cat) > " + str(tmp_path / "both"))
    subprocess.run(command, shell=True, check=True, timeout=60)
    records = (tmp_path / "both").read_bytes().count(b'"event":"chunk"')
    assert records == 64


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_an_interrupt_while_verifying_removes_the_temporary_file(tmp_path, signum):
    source, dest = tmp_path / "src", tmp_path / "dst"
    old = make_file(dest, 10)
    with open(source, "wb") as big:
        block = os.urandom(1 << 20)
        for _ in range(384):
            big.write(block)
    process = spawn(source, dest, "--verify", "-q")
    # Wait until the copy has written everything and is re-reading it to verify.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        temps = list(tmp_path.glob(".dst.*"))
        if temps and temps[0].stat().st_size == source.stat().st_size:
            break
        time.sleep(0.005)
    process.send_signal(signum)
    assert process.wait(timeout=60) in (-signum, 0)  # death by the signal, or done first
    assert not list(tmp_path.glob(".dst.*"))
    if process.returncode == -signum:
        assert dest.read_bytes() == old


def _read_terminal_until_closed(leader: int) -> bytes:
    output = bytearray()
    while True:
        try:
            piece = os.read(leader, 65536)
        except OSError:  # EIO: every process holding the terminal has closed it
            return bytes(output)
        if not piece:
            return bytes(output)
        output += piece


def test_a_destination_on_stderr_s_terminal_gets_the_bytes_and_no_live_view(tmp_path):
    """The live view would redraw over the copied bytes: with stdout on the same
    terminal as stderr, bpcopy shows the bytes and the final summary only."""
    source = tmp_path / "src"
    data = b"0123456789" * 100_000  # 1 MB, no newlines for the terminal to translate
    source.write_bytes(data)
    leader, follower = pty.openpty()
    try:
        process = subprocess.Popen(
            [*BPCOPY, str(source), "-", "--sink-rate", "2MiB/s", "--color", "never"],
            stdin=subprocess.DEVNULL, stdout=follower, stderr=follower)
        os.close(follower)
        follower = -1
        screen = _read_terminal_until_closed(leader)
        assert process.wait(timeout=60) == 0
    finally:
        os.close(leader)
        if follower != -1:
            os.close(follower)
    assert data in screen
    assert b"ETA" not in screen and b"\x1b[?25l" not in screen  # the live view's marks
    assert b"bytes" in screen or b"MiB" in screen  # the summary still follows the copy


def test_stdin_and_stdout_on_one_pipe_are_refused_rather_than_copied_for_ever(tmp_path):
    fifo = tmp_path / "loop"
    os.mkfifo(fifo)
    both = os.open(fifo, os.O_RDWR)
    try:
        os.write(both, b"hi\n")
        result = subprocess.run([*BPCOPY, "-", "-"], stdin=both, stdout=both,
                                stderr=subprocess.PIPE, timeout=30, check=False)
    finally:
        os.close(both)
    assert result.returncode == 1
    assert result.stderr.decode().strip().endswith(
        "stdin and stdout are the same pipe: bpcopy would read back what it writes, for ever")
