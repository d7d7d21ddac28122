"""What Readable and Writable share: chunk checking, the next tick, and destroy().

Rules kept here:
- A chunk is bytes-like; str is encoded as UTF-8; lengths count bytes. A memoryview
  whose items are not single unsigned bytes (another format, or not 1-D) is turned into
  one that is when it enters a stream, so len() of any stored chunk is its byte count.
- Node's process.nextTick is a queue of ticks that runs as soon as the current callback
  returns (TickQueue); I/O completions are tasks run by `loop.call_soon`/`call_at` on a
  later turn of the loop, each followed by the ticks it queued, as in Node.
- destroy(err) marks the stream destroyed at once, then on the next tick emits 'error'
  (once, if there is an error) and then 'close'.
"""

from __future__ import annotations

from asyncio import AbstractEventLoop, get_running_loop
from collections import deque
from typing import Any

from bpcopy.streams import errors
from bpcopy.streams.events import EventEmitter

# Chunk classes that need no conversion: write() and push() test `chunk.__class__ in
# READY_CHUNK` before anything else. memoryview is left out on purpose: one of another
# item format or shape must be cast first (as_bytes_like), or len() would not count bytes.
READY_CHUNK = (bytes, bytearray)


# How many batches of completed I/O may run in one asyncio turn before the loop polls
# for readiness, timers and signals again (at most a few hundred microseconds of work).
BATCHES_PER_LOOP_TURN = 16


class TickQueue:
    """Node's process.nextTick queue and its queue of completed I/O, for one asyncio loop.

    Node runs every queued tick as soon as the current callback returns, before the loop
    moves on to other I/O. Here a tick is appended to a deque; whoever runs a "task"
    (an I/O completion queued with `add_task`) drains the deque right after it, and a
    tick queued from anywhere else gets one `loop.call_soon` to drain it.

    Completed I/O waits in `tasks` for the next turn of the loop, where one asyncio
    handle runs every task that was queued before that turn began, each followed by its
    ticks; tasks queued meanwhile wait for the turn after. So a completion is never
    delivered inside the call that started it, and the order is Node's. One deque append
    per tick or task, rather than an asyncio Handle each, keeps the per-chunk path cheap.
    """

    __slots__ = ("loop", "ticks", "drain_pending", "tasks", "tasks_scheduled")

    def __init__(self, loop: AbstractEventLoop) -> None:
        self.loop = loop
        self.ticks: deque[tuple[Any, tuple[Any, ...]]] = deque()
        self.drain_pending = False
        self.tasks: list[tuple[Any, tuple[Any, ...]]] = []
        self.tasks_scheduled = False

    @classmethod
    def of(cls, loop: AbstractEventLoop) -> TickQueue:
        queue = getattr(loop, "_bpcopy_ticks", None)
        if queue is None:
            queue = cls(loop)
            loop._bpcopy_ticks = queue  # type: ignore[attr-defined]
        return queue

    def add(self, callback: Any, *args: Any) -> None:
        """Queue `callback(*args)` as a tick (a stream's `_next_tick` is bound to this)."""
        self.ticks.append((callback, args))
        if not self.drain_pending:
            self.drain_pending = True
            self.loop.call_soon(self.drain)

    def drain(self) -> None:
        ticks = self.ticks
        try:
            while ticks:
                callback, args = ticks.popleft()
                callback(*args)
        finally:
            if ticks:  # a tick raised: the rest still run, on a later turn
                self.loop.call_soon(self.drain)
            else:
                self.drain_pending = False

    def run_task(self, callback: Any, *args: Any) -> None:
        """Run an I/O completion, then every tick it queued (Node's order)."""
        self.drain_pending = True  # the drain below covers ticks queued meanwhile
        try:
            callback(*args)
        finally:
            if self.ticks:
                self.drain()
            else:
                self.drain_pending = False

    def add_task(self, callback: Any, args: tuple[Any, ...]) -> None:
        """Queue an I/O completion for the next turn of the loop."""
        self.tasks.append((callback, args))
        if not self.tasks_scheduled:
            self.tasks_scheduled = True
            self.loop.call_soon(self.run_tasks)

    def run_tasks(self) -> None:
        # Tasks queued while a batch runs form the next batch, which runs after it: a
        # later turn for them, as for Node's completions. Several batches share one
        # asyncio turn (its poll and timer checks) before the loop gets control back.
        ticks = self.ticks
        for _ in range(BATCHES_PER_LOOP_TURN):
            batch, self.tasks = self.tasks, []
            if not batch:
                break
            for callback, args in batch:
                # run_task() and drain() written out, as this runs twice per chunk.
                try:
                    self.drain_pending = True
                    try:
                        callback(*args)
                    finally:
                        try:
                            while ticks:
                                tick, tick_args = ticks.popleft()
                                tick(*tick_args)
                        finally:
                            if ticks:  # a tick raised: the rest still run, on a later turn
                                self.loop.call_soon(self.drain)
                            else:
                                self.drain_pending = False
                except Exception as error:  # one failing task must not swallow the others
                    self.loop.call_exception_handler({
                        "message": f"exception in {callback!r}", "exception": error})
        if self.tasks:
            self.loop.call_soon(self.run_tasks)
        else:
            self.tasks_scheduled = False


class LoopBound:
    """Remembers the event loop (and its tick queue) a stream first ran on.

    asyncio.get_running_loop() makes a getpid() system call each time; a stream needs
    the loop several times per chunk, so it asks once and keeps the answer.
    """

    _loop: AbstractEventLoop | None = None
    _ticks: TickQueue | None = None

    @property
    def loop(self) -> AbstractEventLoop:
        loop = self._loop
        if loop is None:
            loop = self._loop = get_running_loop()
        return loop

    @property
    def tick_queue(self) -> TickQueue:
        ticks = self._ticks
        if ticks is None:
            ticks = self._ticks = TickQueue.of(self.loop)
        return ticks

    def _next_tick(self, callback: Any, *args: Any) -> None:
        """Node's process.nextTick: run `callback(*args)` once the current callback ends."""
        # From now on the stream's _next_tick is the queue's own add(): one call per tick.
        add = self._next_tick = self.tick_queue.add  # type: ignore[method-assign]
        add(callback, *args)

    def task_soon(self, callback: Any, *args: Any) -> None:
        """An I/O completion: run on a later turn of the loop, then its ticks."""
        ticks = self._ticks
        if ticks is None:
            ticks = self.tick_queue
        ticks.add_task(callback, args)

    def task_at(self, when: float, callback: Any, *args: Any) -> None:
        """An I/O completion at loop time `when` (a simulated slow device)."""
        ticks = self.tick_queue
        ticks.loop.call_at(when, ticks.run_task, callback, *args)


def as_bytes_like(chunk: object) -> bytes | bytearray | memoryview:
    """Return the chunk as a bytes-like object whose len() is its size in bytes.

    Raise Node's error for a chunk that is not bytes-like.
    """
    if isinstance(chunk, memoryview):
        if chunk.format == "B" and chunk.ndim == 1:
            return chunk
        # cast() shares the buffer but needs it contiguous; otherwise copy the bytes.
        return chunk.cast("B") if chunk.c_contiguous else chunk.tobytes()
    if isinstance(chunk, (bytes, bytearray)):  # subclasses of the READY_CHUNK classes
        return chunk
    if isinstance(chunk, str):
        return chunk.encode("utf-8")
    if chunk is None:
        raise errors.null_values()
    raise errors.invalid_chunk(chunk)


class StreamBase(EventEmitter, LoopBound):
    """Destroy and error bookkeeping common to both kinds of stream."""

    def __init__(self) -> None:
        super().__init__()
        self.destroyed = False
        self._errored: BaseException | None = None
        self._closed = False
        self._error_emitted = False
        self._close_emitted = False

    @property
    def errored(self) -> BaseException | None:
        return self._errored

    @property
    def closed(self) -> bool:
        return self._closed

    def destroy(self, error: BaseException | None = None) -> Any:
        if self.destroyed:
            return self
        if error is not None and self._errored is None:
            self._errored = error
        self.destroyed = True
        self._on_destroyed()
        called = False

        def on_destroyed(destroy_error: BaseException | None = None) -> None:
            nonlocal called
            if called:
                return
            called = True
            if destroy_error is not None and self._errored is None:
                self._errored = destroy_error
            self._closed = True
            if destroy_error is not None:
                self._next_tick(self._emit_error_then_close, destroy_error)
            else:
                self._next_tick(self._emit_close)

        try:
            self._destroy(error, on_destroyed)
        except Exception as raised:  # a failing _destroy still closes the stream
            on_destroyed(raised)
        return self

    def _destroy(self, error: BaseException | None, callback: Any) -> None:
        """Release resources; subclasses override. Call `callback(error)` when done."""
        callback(error)

    def _on_destroyed(self) -> None:
        """Hook for the subclass's own clean-up at the moment destroy() is called."""

    def _emit_error_then_close(self, error: BaseException) -> None:
        try:
            self._emit_error(error)  # raises when nobody listens, as Node throws
        finally:
            self._emit_close()

    def _emit_error(self, error: BaseException) -> None:
        if self._error_emitted:
            return
        self._error_emitted = True
        self.emit("error", error)

    def _emit_close(self) -> None:
        self._close_emitted = True
        self.emit("close")

    def _error_or_destroy(self, error: BaseException) -> None:
        """Streams destroy themselves on error (Node's autoDestroy default)."""
        if not self.destroyed:
            self.destroy(error)
