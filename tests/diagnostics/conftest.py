"""Fixtures for the pipeline diagnostics: real pipes, and real child processes at their
far ends. Every child is killed and reaped after its test.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator

import pytest
from pipeline_helpers import HANG_TIMEOUT_S


@pytest.fixture
def children() -> Iterator[list[subprocess.Popen[bytes]]]:
    """A list to put child processes in; each is killed and reaped afterwards."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for child in started:
        if child.poll() is None:
            child.kill()
        child.wait(HANG_TIMEOUT_S)


@pytest.fixture
def pipe() -> Iterator[tuple[int, int]]:
    read_end, write_end = os.pipe()
    yield read_end, write_end
    for fd in (read_end, write_end):
        try:
            os.close(fd)
        except OSError:
            pass
