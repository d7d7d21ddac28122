"""This process's memory: current resident set size (RSS) and its peak.

RSS is read from /proc/self/statm through a descriptor kept open (about a microsecond,
cheap enough for every chunk). That is the file psutil reads for the same number;
psutil itself costs some 15 ms to import, which a 1 KiB copy would notice, so it is
the fallback where /proc is missing (macOS, the BSDs). The kernel's own high-water mark
of RSS gives the peak, so a short spike between two samples is not missed.

Platform traps, each handled here so that no number printed is wrong:
- getrusage's ru_maxrss is in KiB on Linux and the BSDs, but in bytes on macOS; on a
  system not known here its unit is a guess, so the kernel's peak is not used there
  (`maxrss_unit` is None) and the peak is the largest RSS that bpcopy read itself.
- No /proc: psutil reads RSS the platform's own way. On Linux psutil needs /proc too
  (a chroot or a container without it); there the kernel's peak so far (getrusage)
  stands for the current RSS, the nearest number the kernel still gives, and 0 where
  its unit is unknown. psutil is tried once per reader, not on every chunk.
"""

from __future__ import annotations

import os
import resource
import sys

PROC_ROOT = "/proc"  # a setting, so tests can take /proc away
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


class RssReader:
    """Current RSS in bytes, cheap enough to read on every chunk."""

    def __init__(self) -> None:
        try:
            self._statm: int | None = os.open(f"{PROC_ROOT}/self/statm", os.O_RDONLY)
        except OSError:
            self._statm = None
        self._psutil_serves = True

    def current(self) -> int:
        if self._statm is None:
            if self._psutil_serves:
                try:
                    return psutil_rss()
                except Exception:  # psutil.Error, or OSError: it has no /proc either
                    self._psutil_serves = False
            return peak_rss()
        fields = os.pread(self._statm, 128, 0).split(None, 2)
        return int(fields[1]) * _PAGE_SIZE


def maxrss_unit(platform: str = sys.platform) -> int | None:
    """Bytes per unit of ru_maxrss on `platform`, or None where it is not known."""
    if platform == "darwin":
        return 1
    if platform.startswith(("linux", "freebsd", "openbsd", "netbsd", "dragonfly")):
        return 1024
    return None


def peak_rss(platform: str = sys.platform) -> int:
    """The kernel's record of this process's largest RSS so far, in bytes; 0 where the
    unit is unknown (the summary takes the larger of this and the readings it took)."""
    unit = maxrss_unit(platform)
    if unit is None:
        return 0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * unit


def psutil_rss() -> int:
    """RSS as psutil reports it (where /proc/self/statm cannot be read)."""
    import psutil

    return psutil.Process().memory_info().rss
