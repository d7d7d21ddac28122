"""`async for chunk in readable`: Node's Readable async iterator, for Python.

The rules (Node's createAsyncIterator in lib/internal/streams/readable.js, checked
against node v20):
- Iterating attaches a 'readable' listener, so the stream is in paused mode, and each
  step yields what read() returns: everything buffered, joined. A step is therefore not
  a 'data' chunk; the number of steps depends on how the source pushes.
- The iteration ends at the stream's 'close' after its 'end'. An error raises it; a stream
  that closes before its end (destroyed, with or without an error of its own) raises
  ERR_STREAM_PREMATURE_CLOSE, as v20 does.
- Leaving early destroys the stream, with an AbortError (ABORT_ERR) when it had not
  finished, as Node's iterator return() does on `break`. Python does not close an
  async generator when `async for` is left by break or an exception: the loop closes
  it later, once it is collected. Readable.aclose() does it at once (it closes the
  iterators still referenced, and leaves the stream as their closing would if one
  was dropped mid-way), so `async with contextlib.aclosing(readable)` destroys the
  stream on leaving the block.
- The listeners stay on the destroyed stream, as Node's do, so its late 'error' (the
  AbortError) has a listener.

This module knows the Readable's surface (on, read, destroy, its state properties) and
whether its data has ended; nothing of files or diagnostics.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

from bpcopy.streams import errors


class _Unsettled:
    """Node's `undefined` for the iterator's error: the stream has not settled yet."""


UNSETTLED: Any = _Unsettled()


def watch_end_of_readable(stream: Any, callback: Callable[[BaseException | None], None]
                          ) -> None:
    """Node's eos(stream, {writable: false}) for a Readable, which always destroys itself
    and emits 'close': call `callback` once, at the first 'error' with it, else at
    'close': with the stream's error, or ERR_STREAM_PREMATURE_CLOSE when its data had
    not all been read, or None. A stream already closed is judged on the next tick."""
    called = False

    def settle(error: BaseException | None = None) -> None:
        nonlocal called
        if not called:
            called = True
            callback(error)

    def on_close() -> None:
        if stream.errored is not None:
            settle(stream.errored)
        elif stream.readable_ended or (stream._ended and not stream.readable_length):
            settle(None)
        else:
            settle(errors.premature_close())

    stream.on("error", settle)
    stream.on("close", on_close)
    if stream.closed:
        stream._next_tick(on_close)


async def iterate(stream: Any) -> AsyncIterator[Any]:
    """Yield what each read() returns until the stream ends; see the module's rules."""
    wake_up: asyncio.Future[None] | None = None

    def on_readable() -> None:
        nonlocal wake_up
        if wake_up is not None:
            if not wake_up.done():
                wake_up.set_result(None)
            wake_up = None

    error: Any = UNSETTLED

    def on_settled(settled_error: BaseException | None) -> None:
        nonlocal error
        error = settled_error
        on_readable()

    stream.on("readable", on_readable)
    watch_end_of_readable(stream, on_settled)
    stream._iterations_running += 1
    try:
        while True:
            chunk = None if stream.destroyed else stream.read()
            if chunk is not None:
                yield chunk
            elif error is None:
                return
            elif error is not UNSETTLED:
                raise error
            else:
                wake_up = stream.loop.create_future()
                await wake_up
    finally:
        stream._iterations_running -= 1
        leave(stream)


def leave(stream: Any) -> None:
    """What leaving an iteration does to its stream (Node's destroyer(stream, null)):
    destroy it, with an AbortError if its data had not all been consumed."""
    if not stream.destroyed:
        stream.destroy(errors.aborted() if stream.readable else None)
