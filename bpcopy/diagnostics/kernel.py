"""The kernel's buffers at each end of a copy: what an end is, what it holds, its size.

Rules kept here:
1. An end is `pipe` (an anonymous pipe: its /proc/self/fd link reads `pipe:[inode]`),
   `fifo` (a named pipe: its link is a path; without /proc, a FIFO is the one whose
   device is not the anonymous pipes' own), `socket`, or nothing we can watch (a
   regular file, a device, a terminal).
2. Bytes queued: FIONREAD for pipes and FIFOs (it answers on either end); SIOCINQ on a
   socket we read from, SIOCOUTQ on a socket we write to.
3. Capacity: F_GETPIPE_SZ for pipes. For sockets, SO_RCVBUF or SO_SNDBUF, which are only
   approximate: on unix sockets SIOCOUTQ counts the kernel's own overhead too, and TCP
   resizes its buffers by itself. So a socket is never called full.
4. A pipe is full when a writer of PIPE_BUF (4096) bytes would block: fewer than 4096
   bytes of room. It is empty when nothing is queued.
5. A packet-mode pipe (O_DIRECT, pipe2(2)) gives every write a page of its own, so it
   fills long before its byte capacity: its byte readings cannot say when it is full.
6. --pipe-size sets a pipe's capacity with F_SETPIPE_SZ; the kernel rounds it up to a
   power-of-two number of pages, and says what it gave. No pipe is larger than 2 GiB
   (the kernel refuses more), and a larger size is refused here before fcntl, which
   passes it as a C unsigned int: 4 GiB + 4 KiB would arrive as 4 KiB.

Theory of operation: `watch_end` classifies a descriptor and keeps a duplicate of it, so
that readings stay valid whatever the copy does with its own descriptor, and so that a
reading never lands on a descriptor number the copy has closed and reused. Readings are
single system calls, cheap enough for a sampler's timer; nothing here runs per chunk.

This module knows no streams, no processes other than our own, and no clock.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
import struct
import termios
from collections.abc import Iterable
from typing import Literal

EndKind = Literal["pipe", "fifo", "socket"]
Role = Literal["upstream", "downstream"]

# POSIX's PIPE_BUF on Linux: a write of up to this many bytes is atomic, so a writer of
# this size waits for this much room.
PIPE_BUF = 4096

# Not every Python exposes these; the numbers are Linux's own (asm-generic/ioctls.h,
# fcntl.h), the same on every architecture bpcopy runs on.
F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)
F_GETPIPE_SZ = getattr(fcntl, "F_GETPIPE_SZ", 1032)
SIOCINQ = termios.FIONREAD  # the same request number on sockets
SIOCOUTQ = termios.TIOCOUTQ
O_DIRECT = getattr(os, "O_DIRECT", 0o40000)

# The kernel's largest pipe (round_pipe_size() in fs/pipe.c refuses anything larger).
LARGEST_PIPE = 1 << 31

PIPE_MAX_SIZE_PATH = "/proc/sys/fs/pipe-max-size"
PIPE_USER_PAGES_SOFT_PATH = "/proc/sys/fs/pipe-user-pages-soft"
PIPE_USER_PAGES_HARD_PATH = "/proc/sys/fs/pipe-user-pages-hard"


def fd_link(fd: int) -> str | None:
    """What /proc/self/fd/N points at (`pipe:[123]`, a path, `socket:[456]`), if readable."""
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return None


def classify(fd: int) -> EndKind | None:
    """`pipe`, `fifo` or `socket` for an end the kernel buffers; None for anything else."""
    try:
        info = os.fstat(fd)
    except OSError:
        return None
    mode = info.st_mode
    if stat.S_ISSOCK(mode):
        return "socket"
    if not stat.S_ISFIFO(mode):
        return None
    link = fd_link(fd)
    if link is not None:
        return "fifo" if link.startswith("/") else "pipe"
    # Without /proc: anonymous pipes all live on the kernel's pipe file system, a FIFO
    # on the file system that holds its name.
    return "pipe" if info.st_dev == _anonymous_pipe_device() else "fifo"


_PIPE_DEVICE: list[int] = []


def _anonymous_pipe_device() -> int | None:
    """The device number of anonymous pipes here, from a pipe made and closed once."""
    if not _PIPE_DEVICE:
        try:
            read_end, write_end = os.pipe()
        except OSError:  # out of descriptors: no way to tell, and no answer kept
            return None
        try:
            _PIPE_DEVICE.append(os.fstat(read_end).st_dev)
        finally:
            os.close(read_end)
            os.close(write_end)
    return _PIPE_DEVICE[0]


class KernelEnd:
    """One end of the copy that the kernel buffers, watched through our own duplicate.

    A plain class rather than a dataclass: this module loads before every pipeline's
    first read, and a dataclass compiles its methods at import.
    """

    __slots__ = ("role", "kind", "fd", "link", "identity", "packet_mode", "_request",
                 "_closed")

    def __init__(self, role: Role, kind: EndKind, fd: int, link: str | None,
                 identity: tuple[int, int], packet_mode: bool = False,
                 request: int = termios.FIONREAD) -> None:
        self.role = role
        self.kind = kind
        self.fd = fd  # our duplicate, closed by close()
        self.link = link  # the /proc/self/fd link text, which other processes' match
        self.identity = identity  # (st_dev, st_ino) of the pipe, FIFO or socket
        self.packet_mode = packet_mode
        self._request = request
        self._closed = False

    def __repr__(self) -> str:
        return (f"KernelEnd({self.role}, {self.kind}, fd={self.fd}, link={self.link!r}, "
                f"packet_mode={self.packet_mode})")

    @property
    def is_pipe_like(self) -> bool:
        return self.kind != "socket"

    @property
    def reading_from(self) -> bool:
        """True for the end we read (upstream), whose writers are the neighbours."""
        return self.role == "upstream"

    def queued(self) -> int | None:
        """Bytes waiting in the kernel's buffer now, or None if it cannot be read."""
        try:
            answer = fcntl.ioctl(self.fd, self._request, b"\0\0\0\0")
        except OSError:
            return None
        return struct.unpack("i", answer)[0]

    def capacity(self) -> int | None:
        """The buffer's size: exact for pipes, approximate for sockets (rule 3)."""
        try:
            if self.is_pipe_like:
                return fcntl.fcntl(self.fd, F_GETPIPE_SZ)
            import socket

            option = socket.SO_RCVBUF if self.reading_from else socket.SO_SNDBUF
            probe = socket.socket(fileno=self.fd)
            try:
                return probe.getsockopt(socket.SOL_SOCKET, option)
            finally:
                probe.detach()
        except OSError:
            return None

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            with contextlib.suppress(OSError):
                os.close(self.fd)


def watch_end(fd: int, role: Role) -> KernelEnd | None:
    """A KernelEnd for `fd` when it is a pipe, FIFO or socket; None otherwise. Raises
    OSError (EMFILE, ENFILE) when it is one but no descriptor is free to watch it by."""
    kind = classify(fd)
    if kind is None:
        return None
    try:
        own = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3)
    except OSError as error:
        if error.errno in (errno.EMFILE, errno.ENFILE):
            raise  # a pipe all the same: not to be reported as "not a pipe"
        return None
    try:
        info = os.fstat(own)
        flags = fcntl.fcntl(own, fcntl.F_GETFL)
    except OSError:
        os.close(own)
        return None
    request = termios.FIONREAD
    if kind == "socket":
        request = SIOCINQ if role == "upstream" else SIOCOUTQ
    return KernelEnd(role=role, kind=kind, fd=own, link=fd_link(fd),
                     identity=(info.st_dev, info.st_ino),
                     packet_mode=kind != "socket" and bool(flags & O_DIRECT),
                     request=request)


def is_full(queued: int, capacity: int) -> bool:
    """Rule 4: a writer of PIPE_BUF bytes would block."""
    return capacity - queued < PIPE_BUF


class PipeSizeRefused(Exception):
    """The kernel would not give a pipe the size asked for; the message says why."""


class NoPipeToSize(Exception):
    """--pipe-size was given, but neither end is a pipe or FIFO (a usage error)."""


def set_pipe_sizes(ends: Iterable[tuple[int, str]], size: int) -> dict[str, int]:
    """--pipe-size: set every pipe or FIFO among `ends` (descriptor, name) to `size`.

    Returns each resized end's name with the capacity the kernel gave. Raises
    NoPipeToSize when no end is a pipe or FIFO, PipeSizeRefused at the first refusal.
    """
    given = {}
    for fd, name in ends:
        if classify(fd) in ("pipe", "fifo"):
            given[name] = set_pipe_size(fd, size, name)
    if not given:
        raise NoPipeToSize("--pipe-size needs a pipe or FIFO at one end at least "
                           "(SRC or DST '-' in a shell pipeline, or a FIFO)")
    return given


def set_pipe_size(fd: int, size: int, name: str) -> int:
    """Give the pipe or FIFO at `fd` at least `size` bytes of buffer; return what the
    kernel gave (rounded up to a power-of-two number of pages).

    Raises PipeSizeRefused with one line naming the reason.
    """
    if size > LARGEST_PIPE:  # rule 6: never let fcntl wrap it round to a small size
        raise PipeSizeRefused(
            f"cannot set the pipe size of {name} to {size} bytes: the largest pipe the "
            f"kernel makes is {LARGEST_PIPE} bytes (2 GiB)")
    try:
        return fcntl.fcntl(fd, F_SETPIPE_SZ, size)
    except OSError as error:
        raise PipeSizeRefused(_refusal(error, fd, size, name)) from None


def _refusal(error: OSError, fd: int, size: int, name: str) -> str:
    asked = f"cannot set the pipe size of {name} to {size} bytes"
    if error.errno == errno.EPERM:
        limit = read_proc_int(PIPE_MAX_SIZE_PATH)
        if limit is not None and size > limit:
            return (f"{asked}: it exceeds {PIPE_MAX_SIZE_PATH} ({limit} bytes), the limit "
                    "without CAP_SYS_RESOURCE")
        soft = read_proc_int(PIPE_USER_PAGES_SOFT_PATH)
        hard = read_proc_int(PIPE_USER_PAGES_HARD_PATH)
        if limit is None and soft is None:  # /proc hidden: say what is known, no more
            return (f"{asked}: the kernel does not permit it (past {PIPE_MAX_SIZE_PATH} "
                    f"without CAP_SYS_RESOURCE, or past {PIPE_USER_PAGES_SOFT_PATH}; "
                    "neither can be read here to say which)")
        limits = f"{PIPE_USER_PAGES_SOFT_PATH} ({soft} pages)"
        if hard:
            limits += f" or {PIPE_USER_PAGES_HARD_PATH} ({hard} pages)"
        return (f"{asked}: this user's pipes already hold more than {limits}, "
                "so the kernel allows no pipe larger than its default")
    if error.errno == errno.EBUSY:
        queued = _queued_bytes(fd)
        held = f"{queued} bytes" if queued is not None else "more than that"
        return f"{asked}: it holds {held} already, and a pipe cannot shrink below its contents"
    if error.errno == errno.EINVAL:
        return f"{asked}: the kernel rejects that size ({error.strerror})"
    return f"{asked}: {error.strerror or error}"


def _queued_bytes(fd: int) -> int | None:
    try:
        return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]
    except OSError:
        return None


def read_proc_int(path: str) -> int | None:
    try:
        with open(path, "rb") as file:
            return int(file.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None

