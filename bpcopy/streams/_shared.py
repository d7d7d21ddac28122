"""What Readable and Writable share: chunk checking, the next tick, and destroy().

Rules kept here:
- A chunk is bytes-like; str is encoded as UTF-8; lengths count bytes.
- Node's process.nextTick and setImmediate are both `loop.call_soon` on the running loop.
- destroy(err) marks the stream destroyed at once, then on the next tick emits 'error'
  (once, if there is an error) and then 'close'.
"""

from __future__ import annotations

from asyncio import AbstractEventLoop, get_running_loop
from typing import Any

from bpcopy.streams import errors
from bpcopy.streams.events import EventEmitter

BYTES_LIKE = (bytes, bytearray, memoryview)


def next_tick(callback: Any, *args: Any) -> None:
    """Run `callback(*args)` on a later turn of the running event loop."""
    get_running_loop().call_soon(callback, *args)


class LoopBound:
    """Remembers the event loop a stream first ran on.

    asyncio.get_running_loop() makes a getpid() system call each time; a stream calls
    the loop several times per chunk, so it asks once and keeps the answer.
    """

    _loop: AbstractEventLoop | None = None

    @property
    def loop(self) -> AbstractEventLoop:
        loop = self._loop
        if loop is None:
            loop = self._loop = get_running_loop()
        return loop

    def _next_tick(self, callback: Any, *args: Any) -> None:
        """Run `callback(*args)` on a later turn of the loop (Node's process.nextTick)."""
        loop = self._loop
        if loop is None:
            loop = self._loop = get_running_loop()
        loop.call_soon(callback, *args)


def as_bytes_like(chunk: object) -> bytes | bytearray | memoryview:
    """Return the chunk as a bytes-like object, or raise Node's error for a bad one."""
    if isinstance(chunk, BYTES_LIKE):
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
