"""Where bytes come from and go: files, stdin/stdout, directories, pipes and FIFOs,
and how slow neighbours show up in the summary."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from e2e_helpers import (
    BPCOPY,
    HANG_TIMEOUT_S,
    cli,
    kill_quietly,
    spawn,
    summary_of,
    wait_for_copy_to_write,
)

SLOW_READER = """
import os, sys, time
total = 0
while True:
    block = os.read(0, 16384)
    if not block:
        break
    total += len(block)
    time.sleep(0.002)
print(total)
"""

TRICKLING_WRITER = """
import os, sys, time
data = sys.stdin.buffer.read()
for start in range(0, len(data), 8192):
    os.write(1, data[start:start + 8192])
    time.sleep(0.005)
"""

STALLING_WRITER = """
import os, sys, time
os.write(1, b"x" * 1000)
time.sleep(3600)
"""


def test_copies_a_file_to_a_new_file(tmp_path: Path, data) -> None:
    src, content = data(size=100_000)
    result = cli(src, tmp_path / "dst.bin", "-q")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "dst.bin").read_bytes() == content
    assert result.stderr == b"" and result.stdout == b""


def test_copies_into_an_existing_directory_under_the_source_basename(tmp_path: Path,
                                                                     data) -> None:
    src, content = data("name.dat", 5000)
    target = tmp_path / "into"
    target.mkdir()
    result = cli(src, target, "-q")
    assert result.returncode == 0, result.stderr
    assert (target / "name.dat").read_bytes() == content


def test_reads_stdin_from_a_regular_file_and_writes_stdout_to_a_regular_file(
        tmp_path: Path, data) -> None:
    src, content = data(size=70_000)
    out = tmp_path / "out.bin"
    with open(src, "rb") as stdin, open(out, "wb") as stdout:
        result = cli("-", "-", "-q", stdin=stdin, stdout=stdout)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == content


def test_stdin_that_is_a_regular_file_is_copied_from_its_current_offset(
        tmp_path: Path, data) -> None:
    src, content = data(size=10_000)
    with open(src, "rb") as stdin:
        stdin.seek(1234)
        result = cli("-", tmp_path / "out", "--json", stdin=stdin)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out").read_bytes() == content[1234:]
    assert summary_of(result)["bytes"] == len(content) - 1234


def test_copies_between_pipes_byte_exact(data) -> None:
    _, content = data(size=300_000)
    result = cli("-", "-", "-q", "-H", "4K", input=content, stdin=None)
    assert result.returncode == 0, result.stderr
    assert result.stdout == content


def test_reads_from_a_fifo_and_writes_to_a_fifo(tmp_path: Path, data) -> None:
    _, content = data(size=200_000)
    fifo_in, fifo_out = tmp_path / "in.fifo", tmp_path / "out.fifo"
    os.mkfifo(fifo_in)
    os.mkfifo(fifo_out)
    process = spawn(fifo_in, fifo_out, "--json")
    received = bytearray()

    def read_all() -> None:
        with open(fifo_out, "rb") as reader:
            while block := reader.read(65536):
                received.extend(block)

    reader = threading.Thread(target=read_all, daemon=True)
    reader.start()
    try:
        with open(fifo_in, "wb") as writer:
            writer.write(content)
        _, err = process.communicate(timeout=HANG_TIMEOUT_S)
    finally:
        kill_quietly(process)
    reader.join(HANG_TIMEOUT_S)
    assert process.returncode == 0, err
    assert bytes(received) == content
    assert summary_of(err)["bytes"] == len(content)
    assert fifo_out.exists() and not fifo_out.is_file()  # written in place, not replaced


def test_slow_consumer_shows_pauses_drains_and_a_sink_bound_verdict(data) -> None:
    src, content = data(size=2 * 1024 * 1024)
    process = spawn(src, "-", "--json")
    reader = subprocess.run([sys.executable, "-c", SLOW_READER], stdin=process.stdout,
                            capture_output=True, timeout=HANG_TIMEOUT_S, check=False)
    _, err = process.communicate(timeout=HANG_TIMEOUT_S)
    assert process.returncode == 0, err
    assert int(reader.stdout) == len(content)
    summary = summary_of(err)
    assert summary["pauses"] > 0 and summary["drains"] > 0
    assert summary["max_readable_length"] > 0  # the paused reader read ahead
    assert summary["verdict"].startswith("sink-bound"), summary["verdict"]


def test_a_write_that_starts_on_a_full_pipe_waits_for_the_reader(data) -> None:
    """The reader lets the pipe fill before reading: writes then start on a full pipe."""
    src, content = data(size=1024 * 1024)
    process = spawn(src, "-", "--json", "-H", "16K")
    time.sleep(0.3)
    out, err = process.communicate(timeout=HANG_TIMEOUT_S)
    assert process.returncode == 0, err
    assert out == content


def test_slow_producer_leaves_the_sink_idle_and_a_source_bound_verdict(tmp_path: Path,
                                                                       data) -> None:
    src, content = data(size=512 * 1024)
    out = tmp_path / "out"
    with open(src, "rb") as source:
        writer = subprocess.Popen([sys.executable, "-c", TRICKLING_WRITER], stdin=source,
                                  stdout=subprocess.PIPE)
    result = cli("-", out, "--json", stdin=writer.stdout)
    writer.wait(HANG_TIMEOUT_S)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == content
    summary = summary_of(result)
    assert summary["verdict"].startswith("source-bound"), summary["verdict"]
    assert summary["sink_busy_s"] < summary["source_busy_s"]


def test_waiting_on_an_empty_pipe_does_not_block_signals(tmp_path: Path) -> None:
    """A copy from a producer that stalls still stops on SIGTERM: the loop never blocks."""
    out = tmp_path / "out"
    writer = subprocess.Popen([sys.executable, "-c", STALLING_WRITER], stdout=subprocess.PIPE)
    process = subprocess.Popen([*BPCOPY, "-", str(out), "--json"], stdin=writer.stdout,
                               stderr=subprocess.PIPE)
    try:
        writer.stdout.close()  # type: ignore[union-attr]
        wait_for_copy_to_write(tmp_path, 1000)  # then it waits on the empty pipe
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=HANG_TIMEOUT_S)
    finally:
        kill_quietly(process)
        kill_quietly(writer)
    assert process.returncode == -signal.SIGTERM  # death by SIGTERM, 143 in the shell
    summary = summary_of(err)
    assert summary["ok"] is False and "SIGTERM" in summary["error"]
    assert summary["bytes"] == 1000
    assert not out.exists()
    assert os.listdir(tmp_path) == []
