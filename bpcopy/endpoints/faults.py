"""Injected sink faults, for tests, demos and CI: short writes and a failing device.

Each fault wraps the sink's raw write (`os.write(fd, data) -> bytes written`) and
behaves like a misbehaving device would: a short write accepts fewer bytes than offered;
a failing device raises EIO once it has taken a given number of bytes. The writable
above must cope with both; nothing here knows about streams.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from typing import Any

DeviceWrite = Callable[[int, Any], int]


def short_writes(write: DeviceWrite, seed: int | None = None) -> DeviceWrite:
    """Each call writes a random part (at least one byte) of what it was offered."""
    import random  # only this fault needs it; start-up time matters

    chooser = random.Random(seed)

    def write_part(fd: int, data: Any) -> int:
        size = len(data)
        if size > 1:
            size = chooser.randint(1, size - 1)
        return write(fd, data[:size])

    return write_part


def fail_after(write: DeviceWrite, limit: int) -> DeviceWrite:
    """Accept `limit` bytes in all, then fail every write with EIO."""
    accepted = 0

    def write_until_failure(fd: int, data: Any) -> int:
        nonlocal accepted
        room = limit - accepted
        if room <= 0:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        written = write(fd, data[:room] if len(data) > room else data)
        accepted += written
        return written

    return write_until_failure
