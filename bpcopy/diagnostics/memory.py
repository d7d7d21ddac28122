"""This process's memory: current resident set size (RSS) and its peak.

RSS is read from /proc/self/statm through a descriptor kept open (about a microsecond,
cheap enough for every chunk). That is the file psutil reads for the same number;
psutil itself costs some 15 ms to import, which a 1 KiB copy would notice, so it is
the fallback where /proc is missing. The kernel's own high-water mark of RSS gives the
peak, so a short spike between two samples is not missed.
"""

from __future__ import annotations

import os
import resource

_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


class RssReader:
    """Current RSS in bytes, cheap enough to read on every chunk."""

    def __init__(self) -> None:
        try:
            self._statm: int | None = os.open("/proc/self/statm", os.O_RDONLY)
        except OSError:
            self._statm = None

    def current(self) -> int:
        if self._statm is None:
            return psutil_rss()
        fields = os.pread(self._statm, 128, 0).split(None, 2)
        return int(fields[1]) * _PAGE_SIZE


def peak_rss() -> int:
    """The kernel's record of this process's largest RSS so far, in bytes."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def psutil_rss() -> int:
    """RSS as psutil reports it (where /proc/self/statm cannot be read)."""
    import psutil

    return psutil.Process().memory_info().rss
