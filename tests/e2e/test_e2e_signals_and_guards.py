"""Signals, a vanished reader (EPIPE/SIGPIPE) and the CI guards."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest
from e2e_helpers import (
    BPCOPY,
    HANG_TIMEOUT_S,
    cli,
    dir_entries,
    kill_quietly,
    sparse_file,
    summary_of,
    wait_for_copy_to_write,
)

OLD = b"old contents\n"


def test_a_reader_that_goes_away_ends_the_copy_silently_with_141(tmp_path: Path) -> None:
    big = tmp_path / "big"
    sparse_file(big, 64 * 1024 * 1024)
    command = " ".join([*BPCOPY, str(big), "-", "--sink-rate", "1MiB/s"])
    # At 1 MiB/s the copy would need a minute; it must end as soon as head is done.
    result = subprocess.run(
        ["bash", "-c", f"{command} 2>err | head -c 100 | wc -c; echo ${{PIPESTATUS[0]}}"],
        cwd=tmp_path, capture_output=True, timeout=30, check=False)
    counted, status = result.stdout.decode().split()
    assert counted == "100"
    assert status == "141"
    assert (tmp_path / "err").read_bytes() == b""


def test_pipefail_sees_141_like_cat_killed_by_sigpipe(tmp_path: Path) -> None:
    big = tmp_path / "big"
    sparse_file(big, 64 * 1024 * 1024)
    command = " ".join([*BPCOPY, str(big), "-", "--json"])
    result = subprocess.run(["bash", "-c", f"set -o pipefail; {command} | head -c 100 >/dev/null"],
                            capture_output=True, timeout=HANG_TIMEOUT_S, check=False)
    assert result.returncode == 141
    assert b"Traceback" not in result.stderr


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_a_slow_copy_cleanly(tmp_path: Path, signum: int) -> None:
    src = tmp_path / "src"
    sparse_file(src, 16 * 1024 * 1024)
    dst = tmp_path / "dst"
    dst.write_bytes(OLD)
    # --sparse never: a copy of holes writes nothing until its end, and this one must
    # be seen writing before it is stopped.
    process = subprocess.Popen([*BPCOPY, str(src), str(dst), "--sink-rate", "1MiB/s",
                                "--sparse", "never"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for_copy_to_write(tmp_path)  # the temporary file exists meanwhile
        process.send_signal(signum)
        _, err = process.communicate(timeout=HANG_TIMEOUT_S)
    finally:
        kill_quietly(process)
    assert process.returncode == -signum  # death by that signal: 128+N in the shell
    text = err.decode()
    assert "Traceback" not in text
    assert "copied" in text  # the summary so far
    assert signal.Signals(signum).name in text
    assert dst.read_bytes() == OLD
    assert dir_entries(tmp_path) == ["dst", "src"]


def test_a_signal_with_json_reports_the_bytes_so_far(tmp_path: Path) -> None:
    src = tmp_path / "src"
    sparse_file(src, 16 * 1024 * 1024)
    process = subprocess.Popen([*BPCOPY, str(src), str(tmp_path / "dst"), "--json",
                                "--sink-rate", "1MiB/s", "--sparse", "never"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for_copy_to_write(tmp_path)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=HANG_TIMEOUT_S)
    finally:
        kill_quietly(process)
    assert process.returncode == -signal.SIGTERM
    summary = summary_of(err)
    assert summary["ok"] is False and "SIGTERM" in summary["error"]
    assert 0 < summary["bytes"] < 16 * 1024 * 1024
    assert dir_entries(tmp_path) == ["src"]


def test_a_signal_with_quiet_prints_no_summary(tmp_path: Path) -> None:
    src = tmp_path / "src"
    sparse_file(src, 16 * 1024 * 1024)
    process = subprocess.Popen([*BPCOPY, str(src), str(tmp_path / "dst"), "-q",
                                "--sink-rate", "1MiB/s", "--sparse", "never"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for_copy_to_write(tmp_path)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=HANG_TIMEOUT_S)
    finally:
        kill_quietly(process)
    assert process.returncode == -signal.SIGINT
    assert b"copied" not in err and b"Traceback" not in err


# -- CI guards ----------------------------------------------------------------------------


def test_a_failed_buffer_guard_exits_3_after_a_complete_copy(tmp_path: Path, data) -> None:
    src, content = data(size=100_000)
    result = cli(src, tmp_path / "out", "-H", "16K", "--assert-max-buffered", "1K")
    assert result.returncode == 3
    err = result.stderr.decode()
    assert "guard failed" in err and "16384" in err and "1024" in err
    assert "Traceback" not in err
    assert (tmp_path / "out").read_bytes() == content


def test_a_failed_rss_guard_exits_3_with_the_measurement(tmp_path: Path, data) -> None:
    src, content = data(size=10_000)
    result = cli(src, tmp_path / "out", "--json", "--assert-max-rss", "1M")
    assert result.returncode == 3
    summary = summary_of(result)
    assert summary["ok"] is True
    assert any(str(summary["peak_rss"]) in failure and "1048576" in failure
               for failure in summary["guards"])
    assert (tmp_path / "out").read_bytes() == content


def test_guards_that_hold_exit_0(tmp_path: Path, data) -> None:
    src, content = data(size=100_000)
    result = cli(src, tmp_path / "out", "-q", "-H", "16K", "--assert-max-buffered", "32K",
                 "--assert-max-rss", "4G")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out").read_bytes() == content


def test_a_trace_reader_that_goes_away_ends_the_copy_instead_of_stalling(tmp_path: Path,
                                                                         data) -> None:
    src, _ = data(size=2 * 1024 * 1024)
    read_end, write_end = os.pipe()
    process = subprocess.Popen([*BPCOPY, str(src), str(tmp_path / "out"), "-H", "4K",
                                "--trace", "--trace-format", "jsonl"],
                               stdout=subprocess.DEVNULL, stderr=write_end)
    os.close(write_end)
    try:
        os.read(read_end, 10)
        os.close(read_end)  # the trace's reader goes away mid-copy
        process.wait(timeout=HANG_TIMEOUT_S)
    finally:
        kill_quietly(process)
    assert process.returncode == 141
    assert dir_entries(tmp_path) == ["src.bin"]
