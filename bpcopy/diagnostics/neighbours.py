"""The programs at each end of a pipeline, found through /proc, and their memory.

Rules kept here:
1. A neighbour is another process holding the write end of the pipe we read (upstream)
   or the read end of the pipe we write (downstream). Its /proc/PID/fd link matches ours
   (`pipe:[inode]`, or the FIFO's path), and the access mode in /proc/PID/fdinfo tells
   the ends apart: O_WRONLY or O_RDWR writes, O_RDONLY or O_RDWR reads.
2. Where to look: first bpcopy's parent (the shell, or whatever started us) and all its
   descendants; all of /proc only when that finds nobody for an end.
3. A neighbour's command is its command line, shell-quoted as one string; bytes that are
   not UTF-8 are written as the text `\\xff`, never as surrogates, so that strict JSON
   parsers accept it.
4. Peak RSS is the kernel's own high-water mark, VmHWM in /proc/PID/status, readable
   for other users' processes too. It is read at every sample, so a spike between two
   samples is not missed, and a process that exits keeps its last reading; None until
   the first reading succeeds.
5. A process that is merely waiting on its children (a subshell around the real program:
   the kernel reports it sleeping in `do_wait`) is not the one to blame. Among the others,
   the one that used the most CPU time is.
6. Another user's processes, hidepid, a process that exits between two looks, a /proc
   that cannot be read: each shows what can be seen and never raises.
7. Two things mean a holder may have gone unseen, and are remembered so that a guard
   does not pass on the processes that were seen: running out of descriptors (a small
   ulimit -n, or many holders), and another user's process among the parent's
   descendants (started beside bpcopy, as a pipeline's programs are). Other users'
   processes elsewhere in /proc are only counted (`hidden_pids`).

Theory of operation: a scan lists candidate pids and reads their fd links; each
neighbour found keeps its /proc/PID/status open, so the reading of every sample is one
pread and cannot be confused with a new process that reuses the pid (a read fails
once the process is reaped, and it is then followed no more). The slow readings, on one
sample in eight, open their files by name: one descriptor per neighbour, not four, since
hundreds of processes can hold one pipe (`for ...; do sleep 9 & done`). Sockets are not followed:
the peer of a socket has an inode of its own, which no link of ours names.

Everything comes from /proc, which serves all of it: where the kernel does not list a
process's children (/proc/PID/task/TID/children needs CONFIG_PROC_CHILDREN), the parent
pid in every /proc/PID/stat does, as psutil itself reads it. psutil is not imported:
its import would cost more than the whole scan, on the thread that shares the GIL with
the copy. This module knows no streams and no clock; the sampler decides when to look.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shlex
from collections.abc import Callable, Iterable
from typing import Any

from bpcopy.diagnostics.kernel import O_DIRECT, KernelEnd

# A neighbour's CPU time and wait state change slowly; they are read on one sample in
# this many, VmHWM on every one.
SLOW_READINGS_EVERY = 8
# The one /proc/PID file each neighbour keeps open (VmHWM, read on every sample).
KEPT_OPEN = "status"

_WAITING_CHANNEL = b"do_wait"
# Reading every descriptor of every process costs in proportion to the whole machine
# (a second or more on a large server), so all of /proc is scanned at most this many
# times per copy: an anonymous pipe whose writer has gone gets no new one, and the
# parent's family, scanned every time, holds nearly every pipeline's programs.
MAX_FULL_SCANS = 2

# The kernel caps one argument at 128 KiB; a command line read again later (rule 3's
# re-reading) is cut at this many bytes, which covers any command a person would read.
MAX_COMMAND_LINE = 1 << 16


def command_line(pid: int) -> str | None:
    """The process's command line as one shell-quoted string (rule 3), or None."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as file:
            raw = file.read()
    except OSError:
        return None
    return _command_from(raw, pid)


def _command_from(raw: bytes, pid: int) -> str | None:
    words = raw.split(b"\0")
    if words and words[-1] == b"":
        words.pop()
    if not words:  # a kernel thread or a zombie: its name is all there is
        try:
            with open(f"/proc/{pid}/comm", "rb") as file:
                return "[" + _text(file.read().strip()) + "]"
        except OSError:
            return None
    return shlex.join(_text(word) for word in words)


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "backslashreplace")


class Neighbour:
    """One process at one end, and what has been read of it so far."""

    __slots__ = ("pid", "command", "ppid", "peak_rss", "cpu_ticks", "waiting_looks",
                 "wait_state_looks", "gone", "_files", "_looks", "_short")

    def __init__(self, pid: int, command: str) -> None:
        self.pid = pid
        self.command = command
        self.ppid = 0
        self.peak_rss: int | None = None
        self.cpu_ticks = 0
        self.waiting_looks = 0
        self.wait_state_looks = 0
        self.gone = False
        self._files: dict[str, int] = {}  # kept open: later reads are one pread each
        self._looks = 0
        self._short: Callable[[], None] = lambda: None

    def __repr__(self) -> str:
        return (f"Neighbour(pid={self.pid}, command={self.command!r}, "
                f"peak_rss={self.peak_rss}, gone={self.gone})")

    @classmethod
    def found(cls, pid: int, short: Callable[[], None] = lambda: None) -> Neighbour:
        """Start following `pid`; `short()` is called if descriptors ran out meanwhile."""
        neighbour = cls(pid, command_line(pid) or f"pid {pid}")
        neighbour._short = short
        try:
            neighbour._files[KEPT_OPEN] = os.open(f"/proc/{pid}/{KEPT_OPEN}", os.O_RDONLY)
        except OSError as error:  # read by its name at each sample instead
            if out_of_descriptors(error):
                short()
        neighbour.sample(slow=True)
        return neighbour

    def sample(self, slow: bool | None = None) -> None:
        """Take this sample's readings (rule 4); a process gone keeps its last ones."""
        if self.gone:
            return
        self._looks += 1
        if slow is None:
            slow = self._looks % SLOW_READINGS_EVERY == 1
        peak = self._read_peak_rss()
        if peak is None:
            self._forget()
            return
        if self.peak_rss is None or peak > self.peak_rss:
            self.peak_rss = peak
        if slow:
            self._read_cpu()
            self._read_wait_state()
            self._read_command()

    @property
    def merely_waiting(self) -> bool:
        """Rule 5: seen sleeping in wait() on most looks."""
        return self.wait_state_looks > 0 and 2 * self.waiting_looks > self.wait_state_looks

    def as_json(self) -> dict[str, Any]:
        return {"pid": self.pid, "command": self.command, "peak_rss": self.peak_rss}

    def close(self) -> None:
        self._forget(gone=False)

    def _read(self, name: str, size: int = 4096) -> bytes | None:
        fd = self._files.get(name)
        if fd is not None:
            try:
                return os.pread(fd, size, 0)
            except OSError:  # ESRCH once the process has been reaped
                return None
        try:
            fd = os.open(f"/proc/{self.pid}/{name}", os.O_RDONLY)
        except OSError as error:  # gone, or out of descriptors
            if out_of_descriptors(error):
                self._short()
            return None
        try:
            return os.pread(fd, size, 0)
        except OSError:
            return None
        finally:
            os.close(fd)

    def _read_peak_rss(self) -> int | None:
        status = self._read("status")
        if not status:
            return None
        start = status.find(b"VmHWM:")
        if start < 0:  # a zombie has no memory left to report
            return None
        end = status.find(b"\n", start)
        try:
            return int(status[start + 6:end].split()[0]) * 1024  # the kernel says kB
        except (ValueError, IndexError):
            return None

    def _read_cpu(self) -> None:
        stat = self._read("stat")
        if not stat:
            return
        fields = stat[stat.rfind(b")") + 2:].split()
        with contextlib.suppress(ValueError, IndexError):
            self.ppid = int(fields[1])
            self.cpu_ticks = int(fields[11]) + int(fields[12])  # utime + stime

    def _read_command(self) -> None:
        # A shell often opens the pipe and then replaces itself with the program
        # (`sh -c 'prog > fifo'`): the same pid, a new command line. Reading it again
        # names the program rather than the shell that started it.
        raw = self._read("cmdline", MAX_COMMAND_LINE)
        command = _command_from(raw, self.pid) if raw else None
        if command is not None:
            self.command = command

    def _read_wait_state(self) -> None:
        channel = self._read("wchan")
        if channel is None or channel in (b"", b"0"):  # hidden by the kernel
            return
        self.wait_state_looks += 1
        if channel == _WAITING_CHANNEL:
            self.waiting_looks += 1

    def _forget(self, gone: bool = True) -> None:
        self.gone = self.gone or gone
        for fd in self._files.values():
            with contextlib.suppress(OSError):
                os.close(fd)
        self._files.clear()


class EndNeighbours:
    """The processes holding the other side of one kernel end."""

    def __init__(self, end: KernelEnd) -> None:
        self.end = end
        self.wants_writers = end.reading_from
        self.by_pid: dict[int, Neighbour] = {}

    def holds(self, flags: int) -> bool:
        access = flags & os.O_ACCMODE
        if access == os.O_RDWR:
            return True
        return access == (os.O_WRONLY if self.wants_writers else os.O_RDONLY)

    def processes(self) -> list[dict[str, Any]]:
        """The --json `processes` list: sorted by pid."""
        return [self.by_pid[pid].as_json() for pid in sorted(self.by_pid)]

    def culprit(self) -> Neighbour | None:
        """Rule 5: the holder that is not merely waiting on children, most CPU first."""
        if not self.by_pid:
            return None
        candidates = [n for n in self.by_pid.values() if not n.merely_waiting]
        if not candidates:
            candidates = list(self.by_pid.values())
        return max(candidates, key=lambda n: (n.cpu_ticks, -n.pid))


class Neighbours:
    """Finds and samples the neighbours of every watched end."""

    def __init__(self, ends: Iterable[KernelEnd], own_pid: int | None = None,
                 parent_pid: int | None = None) -> None:
        self.own_pid = os.getpid() if own_pid is None else own_pid
        self.parent_pid = os.getppid() if parent_pid is None else parent_pid
        # Sockets are not followed: their peer's inode is its own (see above).
        self.sides = [EndNeighbours(end) for end in ends
                      if end.is_pipe_like and end.link is not None]
        self.hidden_pids = 0  # processes whose descriptors we were not allowed to read
        # Set when bpcopy ran out of descriptors while looking (ulimit -n): some holder
        # may have gone unseen, so a guard on this end cannot be sure (rule 7).
        self.short_of_descriptors = False
        # The parent's other descendants whose descriptors we may not read: started
        # beside bpcopy, as a pipeline's programs are, any of them may hold an end.
        self.hidden_beside: set[int] = set()
        self.scans = 0
        self.full_scans = 0

    def side(self, end: KernelEnd) -> EndNeighbours | None:
        for side in self.sides:
            if side.end is end:
                return side
        return None

    def scan(self, cancelled: Callable[[], bool] = lambda: False) -> None:
        """Look for holders: the parent's family first, all of /proc if that finds none.
        `cancelled()` is asked between processes, so that a copy that has ended need
        not wait for a scan of all of /proc."""
        if not self.sides:
            return
        self.scans += 1
        family = [self.parent_pid, *descendants_of(self.parent_pid)]
        self._look_at(family, cancelled, beside=True)
        if any(not side.by_pid for side in self.sides) and self.full_scans < MAX_FULL_SCANS:
            self.full_scans += 1
            self._look_at(all_pids(), cancelled, lonely_only=True)

    def sample(self) -> None:
        for side in self.sides:
            for neighbour in side.by_pid.values():
                neighbour.sample()

    def close(self) -> None:
        for side in self.sides:
            for neighbour in side.by_pid.values():
                neighbour.close()

    @property
    def unseen(self) -> str | None:
        """Why a process holding an end may have gone unseen, if one may have (rule 7)."""
        if self.short_of_descriptors:
            return "bpcopy ran out of file descriptors (ulimit -n) while looking"
        count = len(self.hidden_beside)
        if count:
            who = "1 process" if count == 1 else f"{count} processes"
            return (f"{who} started beside bpcopy belong{'s' if count == 1 else ''} to "
                    "another user, whose descriptors bpcopy may not read")
        return None

    def _look_at(self, pids: Iterable[int], cancelled: Callable[[], bool],
                 lonely_only: bool = False, beside: bool = False) -> None:
        sides = [side for side in self.sides if not (lonely_only and side.by_pid)]
        wanted = {side.end.link: side for side in sides}
        hidden = 0
        for pid in pids:
            if pid == self.own_pid or pid <= 0:
                continue
            if cancelled():
                break
            try:
                names = os.listdir(f"/proc/{pid}/fd")
            except PermissionError:
                hidden += 1
                if beside and pid != self.parent_pid:
                    self.hidden_beside.add(pid)
                continue
            except OSError as error:  # gone, no /proc, or out of descriptors
                self._note_if_short(error)
                continue
            for name in names:
                try:
                    link = os.readlink(f"/proc/{pid}/fd/{name}")
                except OSError:
                    continue
                side = wanted.get(link)
                if side is None:
                    continue
                flags = fd_flags(pid, name, self._note_if_short)
                if flags is None or not side.holds(flags):
                    continue
                if side.wants_writers and flags & O_DIRECT:
                    side.end.packet_mode = True
                if pid not in side.by_pid:
                    side.by_pid[pid] = Neighbour.found(pid, self._short)
        self.hidden_pids = max(self.hidden_pids, hidden)

    def _short(self) -> None:
        self.short_of_descriptors = True

    def _note_if_short(self, error: OSError) -> None:
        if out_of_descriptors(error):
            self.short_of_descriptors = True


def out_of_descriptors(error: OSError) -> bool:
    """EMFILE (this process's ulimit -n) or ENFILE (the whole system's)."""
    return error.errno in (errno.EMFILE, errno.ENFILE)


def fd_flags(pid: int, fd_name: str,
             failed: Callable[[OSError], None] = lambda error: None) -> int | None:
    """The open flags of a process's descriptor, from /proc/PID/fdinfo (octal)."""
    try:
        with open(f"/proc/{pid}/fdinfo/{fd_name}", "rb") as file:
            for line in file:
                if line.startswith(b"flags:"):
                    return int(line.split()[1], 8)
    except OSError as error:
        failed(error)
    except (ValueError, IndexError):
        pass
    return None


def all_pids() -> list[int]:
    try:
        return [int(name) for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return []


def descendants_of(root: int) -> list[int]:
    """Every descendant of `root`, nearest first (rule 2)."""
    children_of = _children_from_proc if kernel_lists_children() else _children_by_ppid()
    found: list[int] = []
    frontier = [root]
    while frontier:
        for child in children_of(frontier.pop(0)):
            if child not in found:
                found.append(child)
                frontier.append(child)
    return found


def kernel_lists_children() -> bool:
    """True where the kernel lists children in /proc/PID/task/TID/children."""
    return os.path.exists(f"/proc/self/task/{os.getpid()}/children")


def _children_from_proc(pid: int) -> list[int]:
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []  # the process is gone: no children to find
    children: list[int] = []
    for thread in threads:
        try:
            with open(f"/proc/{pid}/task/{thread}/children", "rb") as file:
                children.extend(int(word) for word in file.read().split())
        except (OSError, ValueError):
            continue
    return children


def _children_by_ppid() -> Callable[[int], list[int]]:
    """Children from every process's parent pid (/proc/PID/stat), read once: what psutil
    does too, without the cost of importing psutil on the sampler's thread (15 ms on a
    quiet machine, over 50 ms on a busy one, holding the GIL against the copy)."""
    children: dict[int, list[int]] = {}
    for pid in all_pids():
        try:
            with open(f"/proc/{pid}/stat", "rb") as file:
                stat = file.read()
            parent = int(stat[stat.rfind(b")") + 2:].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(parent, []).append(pid)
    return lambda pid: children.get(pid, [])
