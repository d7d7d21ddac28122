"""File-descriptor streams: a Readable like fs.ReadStream and a Writable like
fs.WriteStream, for regular files, pipes, FIFOs, terminals and devices.

- Regular files and devices that cannot block for long are read and written with plain
  system calls. Pipes, FIFOs, sockets and terminals are used in non-blocking mode, through
  a file description of bpcopy's own where possible: each read or write is tried first,
  and only one that would block waits for readiness on the event loop (a ReadinessWatch),
  so a full or empty pipe never blocks the loop and the operating system's backpressure
  reaches the streams.
- Every completion is delivered on a later turn of the loop, never inside the call that
  started the operation, as Node's fs streams do. That is what makes traces repeatable.
  One that waited for readiness is delivered by the readiness callback itself, which is
  such a later turn.
- The reader asks for `high_water_mark` bytes per read, so file chunks equal the mark
  except the last.
- A regular file known to have holes is read around them (`skip_holes`): the reader asks
  the file system where data and holes are (SEEK_DATA, SEEK_HOLE) only where one region
  ends, and a chunk that lies wholly in a hole is the shared block of zeros of its size
  (`zero_block`) instead of a read() that would copy zeros. The chunks, their sizes and
  their order are those the reads would have given.
- A Pacer (pacing.py) may delay completions to simulate a slow device; faults (pacing's
  sibling, faults.py) may shorten or fail the sink's writes.
- A regular-file sink may take a HoleWriter as its device write (--sparse): a chunk of
  zeros moves the file offset on instead of being written, and `_final` gives a file
  that ends in a hole its length. To the stream it is a write like any other.

Each side keeps `busy_s`: the time an operation of its was in flight, which the summary
uses to tell which side held the copy back; the sink also counts `bytes_written`, what
the device accepted (a hole counts: its zeros are delivered). This module computes no
stream numbers; it only calls push() and the write callbacks.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Callable
from time import perf_counter
from typing import Any

from bpcopy.endpoints.pacing import Pacer
from bpcopy.endpoints.readiness import ReadinessWatch, watch_readiness
from bpcopy.streams import Readable, Writable
from bpcopy.streams.marks import DEFAULT_HIGH_WATER_MARK

PROC_ROOT = "/proc"  # a setting, so tests can take /proc away (as on macOS)

# A hole is trusted for at most this many bytes before the file system is asked again,
# so a source that shrinks or gains data during the copy is seen within this distance,
# as a plain reader would see it (a little later). One lseek per MiB costs nothing.
HOLE_RECHECK_BYTES = 1024 * 1024
# Where data and holes alternate within a chunk, every chunk is read anyway and asking
# costs two lseeks a chunk: after each such look, ask again twice as late, up to this
# many chunks later (a hole that follows is then met at most that many chunks late).
MOST_CHUNKS_BETWEEN_LOOKS = 16

_ZERO_BLOCKS: dict[int, bytes] = {}


def zero_block(size: int) -> bytes:
    """The shared, immutable block of `size` zeros that stands for a chunk of a hole.

    One per size (the reader's mark), so a copy of holes allocates nothing per chunk, and
    a writer that meets this very object knows its content without comparing it.
    """
    block = _ZERO_BLOCKS.get(size)
    if block is None:
        if len(_ZERO_BLOCKS) >= 8:  # marks are few; never let odd sizes pile up
            _ZERO_BLOCKS.clear()
        block = _ZERO_BLOCKS[size] = bytes(size)  # calloc'd: untouched pages cost no RSS
    return block


def waits_for_readiness(fd: int) -> bool:
    """True for descriptors that can block indefinitely: pipes, FIFOs, sockets, ttys."""
    mode = os.fstat(fd).st_mode
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or os.isatty(fd)


def io_error(error: OSError, name: str) -> OSError:
    """The same OS error, naming the file it happened on."""
    return OSError(error.errno, os.strerror(error.errno) if error.errno else str(error), name)


class FdEndpoint:
    """What both sides keep about their descriptor, and how they let it go."""

    def _attach(self, fd: int, name: str, pacer: Pacer | None, close: bool,
                writing: bool) -> None:
        self.fd = fd
        self.name = name
        self.busy_s = 0.0
        self._started_at = 0.0
        self._given_fd = fd
        self._close = close
        self._pacer = pacer if pacer is not None and pacer.active else None
        self._watch: ReadinessWatch | None = None
        self._private_fd: int | None = None
        self._restore_flags: int | None = None
        # Only descriptors that can block for ever go non-blocking; regular files
        # and devices keep plain system calls (epoll cannot watch them anyway).
        if waits_for_readiness(fd):
            self._private_fd = _reopen_nonblocking(fd, writing)
            if self._private_fd is not None:
                self.fd = self._private_fd
            else:
                self._restore_flags = _set_nonblocking(fd)

    def _watch_readiness(self, writing: bool) -> ReadinessWatch:
        """The watch for this descriptor, made at the first wait and kept until release."""
        watch = self._watch
        if watch is None:
            ticks = self.tick_queue
            watch = self._watch = watch_readiness(ticks.loop, ticks.run_task, self.fd,
                                                  writing, self._on_ready)
        return watch

    def _on_ready(self) -> None:
        """The descriptor is ready: finish the operation that waited."""
        raise NotImplementedError

    def release(self) -> None:
        """Give the descriptor back as it was found (idempotent)."""
        if self._watch is not None:
            self._watch.close()
            self._watch = None
        if self._private_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._private_fd)
            self._private_fd = None
        if self._restore_flags is not None:
            import fcntl

            with contextlib.suppress(OSError):
                fcntl.fcntl(self._given_fd, fcntl.F_SETFL, self._restore_flags)
            self._restore_flags = None
        if self._close:
            self._close = False
            try:
                os.close(self._given_fd)
            except OSError as error:
                if error.errno != errno.EBADF:
                    raise


class FdReadable(FdEndpoint, Readable):
    """Reads a file descriptor in chunks of `high_water_mark` bytes."""

    def __init__(self, fd: int, name: str, high_water_mark: int = DEFAULT_HIGH_WATER_MARK, *,
                 pacer: Pacer | None = None, close: bool = True,
                 skip_holes: bool = False) -> None:
        Readable.__init__(self, high_water_mark)
        self._attach(fd, name, pacer, close, writing=False)
        self._wanted = high_water_mark
        self._holes: HoleMap | None = None
        if skip_holes and stat.S_ISREG(os.fstat(self.fd).st_mode):
            self._holes = HoleMap(self.fd)
            self._read = self._read_around_holes  # type: ignore[method-assign]

    def _read(self, size: int) -> None:
        self._started_at = perf_counter()
        try:
            data = os.read(self.fd, size)
        except BlockingIOError:  # an empty pipe: read again once it has data
            self._wanted = size
            self._watch_readiness(writing=False).arm()
            return
        except OSError as error:
            self.task_soon(self.destroy, io_error(error, self.name))
            return
        if self._pacer is None:
            # task_soon(), without its two calls: this runs once per chunk.
            (self._ticks or self.tick_queue).add_task(self._deliver, (data,))
        else:
            self._complete_paced(data)

    def _read_around_holes(self, size: int) -> None:
        """`_read` for a regular file with holes: a chunk wholly in a hole is the shared
        zero block, any other is read with pread where the reads have got to."""
        self._started_at = perf_counter()
        holes = self._holes
        assert holes is not None
        position = holes.position
        if position >= holes.known_until:
            holes.look(position, size)
        if position + size <= holes.zeros_until:
            data = _ZERO_BLOCKS.get(size) or zero_block(size)
            holes.position = position + size
        else:
            try:
                data = os.pread(self.fd, size, position)
            except OSError as error:
                self.task_soon(self.destroy, io_error(error, self.name))
                return
            holes.position = position + len(data)
            if not data:  # the end: leave the offset where read() would have
                holes.leave_offset()
        if self._pacer is None:
            (self._ticks or self.tick_queue).add_task(self._deliver, (data,))
        else:
            self._complete_paced(data)

    def _on_ready(self) -> None:
        try:
            data = os.read(self.fd, self._wanted)
        except BlockingIOError:  # woken for nothing: wait again
            self._watch_readiness(writing=False).arm()
            return
        except OSError as error:
            self.destroy(io_error(error, self.name))
            return
        if self._pacer is None:
            self._deliver(data)  # a readiness callback is already a later turn
        else:
            self._complete_paced(data)

    def _stop_waiting(self) -> None:
        if self._watch is not None:
            self._watch.disarm()

    def _complete_paced(self, data: bytes) -> None:
        """A simulated slow source: deliver when its rate and latency say."""
        pacer = self._pacer
        assert pacer is not None
        self.task_at(pacer.complete_at(self.loop.time(), len(data)), self._deliver, data)

    def _deliver(self, data: bytes) -> None:
        self.busy_s += perf_counter() - self._started_at
        self.push(data or None)

    def _destroy(self, error: BaseException | None, callback: Callable[..., Any]) -> None:
        self._stop_waiting()
        if self._holes is not None:
            self._holes.leave_offset()
        self.release()
        callback(error)


class HoleMap:
    """Where a regular file's holes are, learnt where one region ends, for a reader.

    The reader keeps `position` itself (it reads with pread), from the descriptor's
    offset at the start, so stdin redirected from a file may start anywhere; the offset
    is set back to `position` when the reading stops (`leave_offset`), as read() would
    have left it. Before `known_until` nothing need be asked: a chunk that ends at or
    before `zeros_until` is all hole, any other is read. `look` asks again at most
    HOLE_RECHECK_BYTES into a hole, so a source that shrinks there is noticed (its
    reads come back short) and one that gains data there is read; where regions are
    shorter than a chunk, it asks less and less often (MOST_CHUNKS_BETWEEN_LOOKS).
    """

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.position = os.lseek(fd, 0, os.SEEK_CUR)
        self.known_until = self.position  # ask at the first read
        self.zeros_until = self.position
        self._chunks_between_looks = 1

    def look(self, position: int, size: int) -> None:
        """Learn the region that starts at `position`: data up to the next hole, or a
        hole up to the next data (or the end), trusted for about HOLE_RECHECK_BYTES (a
        whole number of `size`-byte chunks, so no chunk straddles the next look)."""
        fd = self.fd
        try:
            data_at = os.lseek(fd, position, os.SEEK_DATA)
        except OSError as error:
            if error.errno != errno.ENXIO:  # no SEEK_DATA here: read everything
                self._read_everything()
                return
            data_at = os.fstat(fd).st_size  # no data after `position`: a hole to the end
        try:
            if data_at > position:  # a hole
                recheck_at = position + max(HOLE_RECHECK_BYTES // max(size, 1), 1) * size
                self.zeros_until = self.known_until = min(data_at, recheck_at)
            else:  # data, up to the next hole
                self.zeros_until = position
                self.known_until = os.lseek(fd, position, os.SEEK_HOLE)
        except OSError:  # at or past the end (it shrank): read, and ask again
            self.zeros_until = self.known_until = position
        if self.known_until - position < size:  # the region ends inside this chunk
            self._chunks_between_looks = min(2 * self._chunks_between_looks,
                                             MOST_CHUNKS_BETWEEN_LOOKS)
            self.known_until = position + self._chunks_between_looks * size
        else:
            self._chunks_between_looks = 1

    def _read_everything(self) -> None:
        self.zeros_until = -1
        self.known_until = 1 << 63

    def leave_offset(self) -> None:
        """Put the descriptor's offset where plain reads would have left it."""
        with contextlib.suppress(OSError):
            os.lseek(self.fd, self.position, os.SEEK_SET)


class HoleWriter:
    """A device write for a new regular file that leaves holes where the data is zeros.

    A chunk of zeros is not written: the file system reads a gap in a file back as
    zeros without storing them. A chunk that is the reader's shared zero block (a chunk
    of a hole in SRC) is known by its identity; any other is compared with a zero block
    of its size (a memcmp), kept from one chunk to the next. The writer keeps the file
    offset itself and writes with pwrite, so a hole costs no system call at all; a file
    that ends in a hole has no length yet, and `settle()` gives it one.
    """

    def __init__(self) -> None:
        self._zeros = b""  # its own, for the comparison: the shared ones come and go
        self.offset = 0  # where the next byte goes; the descriptor's own offset stays 0
        self._ends_in_hole = False

    def __call__(self, fd: int, data: Any) -> int:
        size = len(data)
        if _ZERO_BLOCKS.get(size) is not data:  # not the reader's block for a hole: look
            if len(self._zeros) != size:
                self._zeros = bytes(size)
            if type(data) is not bytes:  # a memoryview compares item by item: 100x slower
                data = bytes(data)
            if data != self._zeros:
                written = os.pwrite(fd, data, self.offset)
                self.offset += written
                self._ends_in_hole = False
                return written
        self.offset += size
        self._ends_in_hole = True
        return size

    def settle(self, fd: int) -> None:
        """Give the file its full length if it ends in a hole."""
        if self._ends_in_hole:
            os.ftruncate(fd, self.offset)
            self._ends_in_hole = False


class FdWritable(FdEndpoint, Writable):
    """Writes to a file descriptor; a write completes once every byte is written."""

    def __init__(self, fd: int, name: str, high_water_mark: int = DEFAULT_HIGH_WATER_MARK, *,
                 pacer: Pacer | None = None, close: bool = True,
                 device_write: Callable[[int, Any], int] = os.write,
                 holes: HoleWriter | None = None) -> None:
        Writable.__init__(self, high_water_mark)
        self._attach(fd, name, pacer, close, writing=True)
        self._device_write = device_write
        self._pending: memoryview | None = None
        self._pending_callback: Callable[..., Any] | None = None
        self._paced_until = 0.0
        self.bytes_written = 0
        self._holes = holes
        if holes is not None:  # `holes` is (inside) device_write; it needs an ending
            self._final = self._settle_holes

    def _write(self, chunk: Any, callback: Callable[..., Any]) -> None:
        self._started_at = perf_counter()
        if self._pacer is not None:
            # A simulated slow device takes the bytes at once and reports completion
            # when its rate and latency say (never before the OS has taken them all),
            # so the real write's own time does not stretch the simulated one.
            self._paced_until = self._pacer.complete_at(self.loop.time(), len(chunk))
        unwritten = chunk
        try:
            written = self._device_write(self.fd, chunk)
            self.bytes_written += written
            if written != len(chunk):  # a short write: go on from where it stopped
                unwritten = memoryview(chunk)[written:]
                while unwritten:
                    written = self._device_write(self.fd, unwritten)
                    self.bytes_written += written
                    unwritten = unwritten[written:]
        except BlockingIOError:  # a full pipe: finish when it has room
            self._pending = memoryview(unwritten)
            self._pending_callback = callback
            self._watch_readiness(writing=True).arm()
            return
        except OSError as error:
            self._complete_later(callback, io_error(error, self.name))
            return
        if self._pacer is None:  # _complete_later(callback, None), inline per chunk
            (self._ticks or self.tick_queue).add_task(self._done, (callback, None))
        else:
            self.task_at(self._paced_until, self._done, callback, None)

    def _complete_later(self, callback: Callable[..., Any], error: OSError | None) -> None:
        if self._pacer is None:
            # task_soon(), without its two calls.
            (self._ticks or self.tick_queue).add_task(self._done, (callback, error))
        else:
            self.task_at(self._paced_until, self._done, callback, error)

    def _on_ready(self) -> None:
        view = self._pending
        try:
            while view:
                written = self._device_write(self.fd, view)
                self.bytes_written += written
                view = view[written:]
        except BlockingIOError:  # room for part of it, or none: wait again
            self._pending = view
            self._watch_readiness(writing=True).arm()
            return
        except OSError as error:
            callback = self._pending_callback
            self._stop_waiting()
            self._complete_now(callback, io_error(error, self.name))
            return
        callback = self._pending_callback
        self._stop_waiting()
        self._complete_now(callback, None)

    def _complete_now(self, callback: Callable[..., Any], error: OSError | None) -> None:
        """Complete from a readiness callback, already a later turn of the loop."""
        if self._pacer is None or self._paced_until <= self.loop.time():
            self._done(callback, error)
        else:
            self.task_at(self._paced_until, self._done, callback, error)

    def _stop_waiting(self) -> None:
        if self._pending_callback is not None:
            self._pending = None
            self._pending_callback = None
            if self._watch is not None:
                self._watch.disarm()

    def _done(self, callback: Callable[..., Any], error: OSError | None) -> None:
        self.busy_s += perf_counter() - self._started_at
        callback(error)

    def _settle_holes(self, callback: Callable[..., Any]) -> None:
        assert self._holes is not None
        try:
            self._holes.settle(self.fd)
        except OSError as error:
            callback(io_error(error, self.name))
            return
        callback()

    def _destroy(self, error: BaseException | None, callback: Callable[..., Any]) -> None:
        self._stop_waiting()
        self.release()
        callback(error)


def _reopen_nonblocking(fd: int, writing: bool) -> int | None:
    """A non-blocking open file description of our own for the same pipe, FIFO or tty.

    O_NONBLOCK belongs to the open file description, which an inherited descriptor
    shares with the shell's terminal, the other programs of a pipeline, and our own
    stderr when it points at the same pipe or terminal (Python drops stderr writes that
    would block). Reopening /proc/self/fd/N gives a description nobody else uses. Where
    that is impossible (sockets, no /proc, a pipe with no reader left), None: the caller
    switches the shared one and restores it afterwards.
    """
    access = os.O_WRONLY if writing else os.O_RDONLY
    try:
        return os.open(f"{PROC_ROOT}/self/fd/{fd}",
                       access | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    except OSError:
        return None


def _set_nonblocking(fd: int) -> int:
    """Switch `fd` to non-blocking mode; return the flags to restore afterwards."""
    import fcntl

    flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    fcntl.fcntl(fd, fcntl.F_SETFL, flags | os.O_NONBLOCK)
    return flags
