"""Helpers for end-to-end tests: run the real CLI in a subprocess, over real files,
pipes, FIFOs and signals.

Timeouts here are safety nets against a hang, never assertions about speed.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

BPCOPY = [sys.executable, "-m", "bpcopy"]
HANG_TIMEOUT_S = 60


def cli(*args: object, timeout: float = HANG_TIMEOUT_S, **kwargs: object
        ) -> subprocess.CompletedProcess[bytes]:
    """Run bpcopy with `args`, capturing stdout and stderr unless told otherwise."""
    kwargs.setdefault("stdout", subprocess.PIPE)
    kwargs.setdefault("stderr", subprocess.PIPE)
    kwargs.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.run([*BPCOPY, *map(str, args)], timeout=timeout, check=False,
                          **kwargs)  # type: ignore[call-overload]


def spawn(*args: object, **kwargs: object) -> subprocess.Popen[bytes]:
    kwargs.setdefault("stdout", subprocess.PIPE)
    kwargs.setdefault("stderr", subprocess.PIPE)
    kwargs.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.Popen([*BPCOPY, *map(str, args)], **kwargs)  # type: ignore[call-overload]


def summary_of(result: subprocess.CompletedProcess[bytes] | bytes) -> dict:
    """The one JSON object that --json prints on stderr (and nothing else)."""
    err = result if isinstance(result, bytes) else result.stderr
    text = err.decode()
    assert text.endswith("\n") and text.count("\n") == 1, text
    summary = json.loads(text)
    assert isinstance(summary, dict)
    return summary


def jsonl_records(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def make_file(path: Path, size: int, seed: int = 0) -> bytes:
    data = random.Random(seed).randbytes(size)
    path.write_bytes(data)
    return data


def sparse_file(path: Path, size: int) -> None:
    """A file of zeros that takes no disk space (for big copies that are cut short)."""
    with open(path, "wb") as out:
        out.truncate(size)


def dir_entries(path: Path) -> list[str]:
    return sorted(os.listdir(path))


def kill_quietly(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
        process.wait()

@functools.cache
def as_nobody_prefix() -> tuple[str, ...] | None:
    """A command prefix that runs as user nobody, or None if this machine cannot."""
    if os.geteuid() != 0:
        return None
    if shutil.which("setpriv"):
        prefix = ("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups")
    elif shutil.which("runuser"):
        prefix = ("runuser", "-u", "nobody", "--")
    else:
        return None
    probe = subprocess.run([*prefix, sys.executable, "-c", "import bpcopy, click, psutil"],
                           capture_output=True, timeout=HANG_TIMEOUT_S, check=False)
    return prefix if probe.returncode == 0 else None


def wait_for_copy_to_write(directory: Path, at_least: int = 1) -> None:
    """Wait until a copy's temporary file in `directory` holds `at_least` bytes.

    By then the copy has started and handles its signals; a fixed sleep instead may
    end before a loaded machine has even imported bpcopy. HANG_TIMEOUT_S is the net.
    """
    deadline = time.monotonic() + HANG_TIMEOUT_S
    while time.monotonic() < deadline:
        for path in directory.glob("*.bpcopy-tmp"):
            with contextlib.suppress(OSError):
                if path.stat().st_size >= at_least:
                    return
        time.sleep(0.01)
    raise AssertionError(f"no copy wrote {at_least} bytes into {directory} in "
                         f"{HANG_TIMEOUT_S} s")
