"""Writable: Node's writable-stream rules, for byte chunks.

The rules (from Node's lib/internal/streams/writable.js, checked against node v20):

1. `length` counts bytes accepted and not yet completed, including the chunk being
   written now. `writable_length` is that number.
2. `write()` always accepts the chunk. If nothing is in flight (and not corked) it calls
   `_write` at once, else queues it. Then it returns `length < high_water_mark` (also true
   when length is 0); false sets `need_drain`.
3. When `_write`'s callback runs, the chunk leaves `length` and the next queued chunk
   starts. If the callback ran synchronously inside `_write`, the rest (drain, the write's
   own callback, finish) waits for the next tick; if it ran later, it happens at once.
4. 'drain' fires when `need_drain` is set and `length` is back to 0, and never after
   `end()`. It fires before the completed write's own callback.
5. `cork()` queues without writing; `uncork()` back to zero flushes the queue, through
   `_writev` when more than one chunk waits and the subclass has `_writev`, else one
   `_write` per chunk, in order.
6. `end()`: once nothing is queued or in flight, `_final` (if any), 'prefinish', then
   'finish' on a later tick, then the stream destroys itself, which emits 'close'.
7. write() after end() or destroy() returns false and reports ERR_STREAM_WRITE_AFTER_END
   or ERR_STREAM_DESTROYED to the callback and as 'error'. A None chunk raises
   ERR_STREAM_NULL_VALUES and a non-bytes chunk ERR_INVALID_ARG_TYPE, synchronously.
8. A failed write destroys the stream: the callback gets the error, queued callbacks get
   it too, then 'error' and 'close'.

Theory of operation: one chunk at most is in flight (`_writing`); the rest wait in
`_queue` as (chunk, callback) pairs. `_on_write_done` is the single callback handed to
`_write`; it checks that it is called once per write and does rule 3's bookkeeping.
`_flush_queue` starts queued writes in a loop; while it runs (`_buffer_processing`, as
Node's clearBuffer), a write completing synchronously inside it does not start the next
one itself, since the loop will, so a long queue of synchronous writes does not recurse.
The marks' rules (the default, what a constructor accepts, write()'s answer, when
'drain' is due) are marks.py's. This module knows nothing of files, clocks or
diagnostics.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from bpcopy.streams import errors
from bpcopy.streams._shared import READY_CHUNK, StreamBase, as_bytes_like
from bpcopy.streams.marks import (
    DEFAULT_HIGH_WATER_MARK,
    drain_due,
    validated_mark,
    write_accepts_more,
)

WriteCallback = Callable[..., Any]


class AfterWriteTickInfo:
    """A run of writes that completed synchronously with the same callback, waiting for
    one next tick to call it `count` times (Node's afterWriteTickInfo)."""

    __slots__ = ("callback", "count")

    def __init__(self, callback: WriteCallback) -> None:
        self.callback = callback
        self.count = 1


def _ignore(error: BaseException | None = None) -> None:
    pass


class Writable(StreamBase):
    """A stream you write bytes to. Subclasses implement `_write(chunk, callback)`."""

    def __init__(self, high_water_mark: int | None = DEFAULT_HIGH_WATER_MARK) -> None:
        super().__init__()
        self._high_water_mark = validated_mark(high_water_mark)
        self._length = 0
        self._writing = False
        self._write_len = 0
        self._write_callback: WriteCallback | None = None
        self._sync = False
        self._queue: deque[tuple[Any, WriteCallback]] = deque()
        self._corked = 0
        self._buffer_processing = False
        self._need_drain = False
        self._ending = False
        self._finished = False
        self._prefinished = False
        self._final_called = False
        self._pending_callbacks = 0
        self._on_finished: list[WriteCallback] = []
        self._after_write_pending: AfterWriteTickInfo | None = None
        # What the latest write() returned, for observers that did not make the call
        # themselves (pipe() writes on the strategy's behalf). Not part of Node's API.
        self.last_write_ok = True

    # -- what subclasses provide ------------------------------------------------------

    def _write(self, chunk: Any, callback: WriteCallback) -> None:
        raise NotImplementedError("Writable subclasses implement _write(chunk, callback)")

    _writev: Callable[[list[Any], WriteCallback], None] | None = None
    _final: Callable[[WriteCallback], None] | None = None

    # -- properties ---------------------------------------------------------------------

    @property
    def writable_length(self) -> int:
        return self._length

    @property
    def writable_high_water_mark(self) -> int:
        return self._high_water_mark

    @property
    def writable_need_drain(self) -> bool:
        return self._need_drain and not self.destroyed and not self._ending

    @property
    def writable_ended(self) -> bool:
        return self._ending

    @property
    def writable_finished(self) -> bool:
        return self._finished

    @property
    def writable_corked(self) -> int:
        return self._corked

    @property
    def writable(self) -> bool:
        return not self.destroyed and not self._errored and not self._ending

    # -- writing ------------------------------------------------------------------------

    def write(self, chunk: Any, callback: WriteCallback | None = None) -> bool:
        ok = self._accept(chunk, callback)
        self.last_write_ok = ok is True
        return ok is True

    def _accept(self, chunk: Any, callback: WriteCallback | None) -> bool | BaseException:
        """write()'s work; returns write()'s answer, or the error that refused the chunk."""
        if chunk.__class__ not in READY_CHUNK:
            chunk = as_bytes_like(chunk)
        if callback is None:
            callback = _ignore
        if self._ending or self.destroyed:
            error = errors.write_after_end() if self._ending else errors.destroyed("write")
            self._next_tick(callback, error)
            self._error_or_destroy(error)
            return error
        self._pending_callbacks += 1
        size = len(chunk)
        self._length += size
        if self._writing or self._corked or self._errored:
            self._queue.append((chunk, callback))
        else:
            self._start_write(chunk, size, callback, None)
        ok = write_accepts_more(self._length, self._high_water_mark)
        if not ok:
            self._need_drain = True
        return ok and not self._errored and not self.destroyed

    def _start_write(self, chunk: Any, size: int, callback: WriteCallback,
                     writev_chunks: list[Any] | None) -> None:
        self._write_len = size
        self._write_callback = callback
        self._writing = True
        self._sync = True
        if self.destroyed:
            self._on_write_done(errors.destroyed("write"))
        elif writev_chunks is not None:
            self._writev(writev_chunks, self._on_write_done)  # type: ignore[misc]
        else:
            self._write(chunk, self._on_write_done)
        self._sync = False

    def _on_write_done(self, error: BaseException | None = None) -> None:
        sync = self._sync
        callback = self._write_callback
        if callback is None:
            self._error_or_destroy(errors.multiple_callback())
            return
        self._writing = False
        self._write_callback = None
        self._length -= self._write_len
        self._write_len = 0
        if error is not None:
            if self._errored is None:
                self._errored = error
            if sync:
                self._next_tick(self._after_write_error, error, callback)
            else:
                self._after_write_error(error, callback)
            return
        if self._queue:
            self._flush_queue()
        if sync:
            # Coalesce a run of synchronous completions into one tick, as Node does.
            pending = self._after_write_pending
            if pending is not None and pending.callback is callback:
                pending.count += 1
            else:
                pending = self._after_write_pending = AfterWriteTickInfo(callback)
                self._next_tick(self._after_write_tick, pending)
        else:
            self._after_write(callback, 1)

    def _after_write_tick(self, pending: AfterWriteTickInfo) -> None:
        self._after_write_pending = None
        self._after_write(pending.callback, pending.count)

    def _after_write(self, callback: WriteCallback, count: int) -> None:
        if (drain_due(self._need_drain, self._length)
                and not self._ending and not self.destroyed):
            self._need_drain = False
            self.emit("drain")
        if callback is _ignore:  # write() without a callback: nothing to call
            self._pending_callbacks -= count
        while count > 0 and callback is not _ignore:
            count -= 1
            self._pending_callbacks -= 1
            callback()
        if self.destroyed:
            self._fail_queued()
        if self._ending:  # only an ended stream can finish; skip the full check per chunk
            self._finish_maybe(False)

    def _after_write_error(self, error: BaseException, callback: WriteCallback) -> None:
        self._pending_callbacks -= 1
        callback(error)
        self._fail_queued()
        self._error_or_destroy(error)

    def _flush_queue(self) -> None:
        """Start queued writes: all at once through _writev, else one at a time."""
        # A write that completes synchronously calls _on_write_done, which calls this
        # again: the flag makes that inner call return so the loop below carries on.
        if self._corked or self._buffer_processing or self.destroyed:
            return
        queue = self._queue
        self._buffer_processing = True
        try:
            if len(queue) > 1 and self._writev is not None:
                entries = list(queue)
                queue.clear()
                chunks = [chunk for chunk, _ in entries]
                callbacks = [callback for _, callback in entries]

                def all_written(error: BaseException | None = None) -> None:
                    for each in callbacks:
                        each(error)

                self._pending_callbacks -= len(entries) - 1
                size = sum(len(chunk) for chunk in chunks)
                self._start_write(None, size, all_written, chunks)
                return
            while queue and not self._writing:
                chunk, callback = queue.popleft()
                self._start_write(chunk, len(chunk), callback, None)
        finally:  # a _write that raised must not leave the queue stuck
            self._buffer_processing = False

    def _fail_queued(self) -> None:
        """Hand every queued write and end() callback an error (the stream is done)."""
        if self._writing:
            return
        error = self._errored or errors.destroyed("write")
        while self._queue:
            chunk, callback = self._queue.popleft()
            self._length -= len(chunk)
            self._pending_callbacks -= 1
            callback(error)
        callbacks, self._on_finished = self._on_finished, []
        for callback in callbacks:
            callback(self._errored or errors.destroyed("end"))

    # -- corking ------------------------------------------------------------------------

    def cork(self) -> None:
        self._corked += 1

    def uncork(self) -> None:
        if self._corked:
            self._corked -= 1
            if not self._writing:
                self._flush_queue()

    # -- ending -------------------------------------------------------------------------

    def end(self, chunk: Any = None, callback: WriteCallback | None = None) -> Writable:
        if callable(chunk) and callback is None:
            chunk, callback = None, chunk
        error: BaseException | None = None
        if chunk is not None:
            accepted = self._accept(chunk, None)
            if isinstance(accepted, BaseException):
                error = accepted
        if self._corked:
            self._corked = 1
            self.uncork()
        if error is None:
            if not self._errored and not self._ending:
                self._ending = True
                self._finish_maybe(True)
            elif self._finished:
                error = errors.already_finished("end")
            elif self.destroyed:
                error = errors.destroyed("end")
        if callback is not None:
            if error is not None or self._finished:
                self._next_tick(callback, error)
            else:
                self._on_finished.append(callback)
        return self

    def _needs_finish(self) -> bool:
        return (self._ending and not self.destroyed and self._length == 0
                and not self._errored and not self._queue and not self._finished
                and not self._writing and not self._error_emitted and not self._close_emitted)

    def _finish_maybe(self, sync: bool) -> None:
        if not self._needs_finish():
            return
        self._prefinish()
        if self._pending_callbacks != 0:
            return
        if sync:
            self._pending_callbacks += 1
            self._next_tick(self._finish_if_still_needed)
        elif self._needs_finish():
            self._pending_callbacks += 1
            self._finish()

    def _finish_if_still_needed(self) -> None:
        if self._needs_finish():
            self._finish()
        else:
            self._pending_callbacks -= 1

    def _prefinish(self) -> None:
        if self._prefinished or self._final_called:
            return
        if self._final is not None and not self.destroyed:
            self._final_called = True
            self._call_final()
        else:
            self._prefinished = True
            self.emit("prefinish")

    def _call_final(self) -> None:
        called = False

        def on_final_done(error: BaseException | None = None) -> None:
            nonlocal called
            if called:
                self._error_or_destroy(error or errors.multiple_callback())
                return
            called = True
            self._pending_callbacks -= 1
            if error is not None:
                callbacks, self._on_finished = self._on_finished, []
                for callback in callbacks:
                    callback(error)
                self._error_or_destroy(error)
            elif self._needs_finish():
                self._prefinished = True
                self.emit("prefinish")
                self._pending_callbacks += 1
                self._next_tick(self._finish)

        self._sync = True
        self._pending_callbacks += 1
        try:
            self._final(on_final_done)  # type: ignore[misc]
        except Exception as raised:
            on_final_done(raised)
        self._sync = False

    def _finish(self) -> None:
        self._pending_callbacks -= 1
        self._finished = True
        callbacks, self._on_finished = self._on_finished, []
        for callback in callbacks:
            callback()
        self.emit("finish")
        self.destroy()

    # -- destroying ---------------------------------------------------------------------

    def _on_destroyed(self) -> None:
        if self._queue or self._on_finished:
            self._next_tick(self._fail_queued)
