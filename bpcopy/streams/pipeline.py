"""finished() and pipeline(): awaitables over streams.

Rules:
- `finished(stream)` returns once a readable has emitted 'end' and a writable has emitted
  'finish'. It raises the stream's error, or ERR_STREAM_PREMATURE_CLOSE when the stream
  closes before it got there.
- `pipeline(a, b, ..., z)` pipes each stream into the next, returns when the last one is
  finished, and on the first error anywhere destroys every stream and raises that error
  once.
- Both remove the listeners they added once they have settled. pipeline() leaves a
  stream that is being destroyed only at its 'close': the destroy emits 'error' on a
  later tick, and an 'error' nobody listens for is raised.

This module knows nothing of files, clocks or diagnostics.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bpcopy.streams import errors
from bpcopy.streams.readable import Readable
from bpcopy.streams.writable import Writable


def _is_done(stream: Any) -> bool:
    if isinstance(stream, Writable):
        return stream.writable_finished
    return stream.readable_ended


def _done_event(stream: Any) -> str:
    return "finish" if isinstance(stream, Writable) else "end"


async def finished(stream: Readable | Writable) -> None:
    """Wait until `stream` is done; raise its error if it failed."""
    if stream.errored is not None:
        raise stream.errored
    if _is_done(stream):
        return
    if stream.closed or stream.destroyed:
        raise errors.premature_close()
    outcome: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def settle(error: BaseException | None = None) -> None:
        if outcome.done():
            return
        if error is None:
            outcome.set_result(None)
        else:
            outcome.set_exception(error)

    def on_close() -> None:
        if not _is_done(stream):
            settle(stream.errored or errors.premature_close())

    event = _done_event(stream)
    stream.on(event, settle)
    stream.on("error", settle)
    stream.on("close", on_close)
    try:
        await outcome
    finally:
        stream.off(event, settle)
        stream.off("error", settle)
        stream.off("close", on_close)


async def pipeline(*streams: Any) -> None:
    """Pipe the streams together; destroy them all on the first error and raise it."""
    if len(streams) < 2:
        raise ValueError("pipeline needs at least two streams")
    outcome: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def fail(error: BaseException) -> None:
        if outcome.done():
            return
        outcome.set_exception(error)
        for stream in streams:
            stream.destroy(error)

    def watch(stream: Any, is_last: bool) -> None:
        def on_close() -> None:
            if not _is_done(stream):
                fail(stream.errored or errors.premature_close())

        def on_done() -> None:
            if is_last and not outcome.done():
                outcome.set_result(None)

        added = [("error", fail), ("close", on_close), (_done_event(stream), on_done)]
        for name, listener in added:
            stream.on(name, listener)
        listeners.append((stream, added))

    def remove(stream: Any, added: list[tuple[str, Any]]) -> None:
        for name, listener in added:
            stream.off(name, listener)

    listeners: list[tuple[Any, list[tuple[str, Any]]]] = []
    for index, stream in enumerate(streams):
        watch(stream, index == len(streams) - 1)
    for source, dest in zip(streams, streams[1:], strict=False):
        source.pipe(dest)
    try:
        await outcome
    finally:
        for stream, added in listeners:
            if stream.destroyed and not stream._close_emitted:
                # Its 'error' and 'close' are still to come: leave once they have.
                stream.once("close", lambda stream=stream, added=added: remove(stream, added))
            else:
                remove(stream, added)
