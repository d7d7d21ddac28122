"""Without /proc (macOS, the BSDs), a copy from a FIFO still reads every byte and gives
the shared descriptor back as it found it: the fallback of bpcopy.endpoints.fd, tested
on Linux by pointing its /proc root at a directory that does not exist."""

from __future__ import annotations

import fcntl
import os
import subprocess

from bpcopy.copy import CopyOptions, run_copy
from bpcopy.diagnostics import memory
from bpcopy.endpoints import fd as fd_module


def test_a_fifo_copy_without_proc_reads_everything(tmp_path, monkeypatch):
    monkeypatch.setattr(fd_module, "PROC_ROOT", str(tmp_path / "no-proc"))
    monkeypatch.setattr(memory, "PROC_ROOT", str(tmp_path / "no-proc"))
    data = os.urandom(300_000)
    (tmp_path / "data").write_bytes(data)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    writer = subprocess.Popen(["sh", "-c", f"cat '{tmp_path / 'data'}' > '{fifo}'"])
    try:
        outcome = run_copy(CopyOptions(source=str(fifo), dest=str(tmp_path / "out")))
    finally:
        writer.wait(timeout=60)
    assert outcome.error is None
    assert (tmp_path / "out").read_bytes() == data
    assert outcome.summary["peak_rss"] > 0  # RSS still measured, through psutil


def test_without_proc_the_shared_description_is_switched_and_restored(tmp_path, monkeypatch):
    monkeypatch.setattr(fd_module, "PROC_ROOT", str(tmp_path / "no-proc"))
    read_end, write_end = os.pipe()
    try:
        before = fcntl.fcntl(read_end, fcntl.F_GETFL)
        readable = fd_module.FdReadable(read_end, "pipe", 65536, close=False)
        assert readable.fd == read_end  # no private reopening: the shared one is used
        assert fcntl.fcntl(read_end, fcntl.F_GETFL) & os.O_NONBLOCK
        readable.release()
        assert fcntl.fcntl(read_end, fcntl.F_GETFL) == before
    finally:
        os.close(read_end)
        os.close(write_end)
