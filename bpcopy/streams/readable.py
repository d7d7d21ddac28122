"""Readable: Node's readable-stream rules, for byte chunks, with pipe() and unpipe().

The rules (from Node's lib/internal/streams/readable.js, checked against node v20):

1. `readable_length` counts bytes pushed and not yet handed to a consumer.
2. `readable_flowing` is None until someone consumes. Adding a 'data' listener resumes
   the stream unless it was explicitly paused. Removing 'data' listeners never pauses it.
3. `pause()` is synchronous and emits 'pause' when the stream was not already paused.
   `resume()` sets flowing at once but starts the flow on the next tick, emitting
   'resume' there.
4. `push(chunk)` hands the chunk straight to 'data' when the stream is flowing, its buffer
   is empty, someone listens for 'data' and the push did not happen synchronously inside
   `_read`; the chunk then never counts in `readable_length`. Otherwise it is buffered.
   It returns `length < high_water_mark` (or length 0), and false once ended.
   `push(None)` ends the data; pushing after that is ERR_STREAM_PUSH_AFTER_EOF.
5. `_read(high_water_mark)` is called whenever the buffer is under the mark and no read
   is in progress, also while paused (the "read more" loop on the next tick), so a paused
   stream fills its buffer up to the mark and then stops asking.
6. In flowing mode each `read()` hands out one buffered chunk at a time, in order.
   `read(n)` with n above the mark first raises the mark to the next power of two
   >= n (n above 1 GiB is ERR_OUT_OF_RANGE), so the buffer can grow to hold n bytes.
7. 'end' is emitted on a later tick, once the data has ended and the buffer is empty.
   Then the stream destroys itself, which emits 'close'.
8. Paused (pull) mode: attaching a 'readable' listener sets flowing to false and starts
   reading (a read(0) on the next tick, or 'readable' at once if data is buffered).
   'readable' fires when data arrives while the buffer was empty, and once at the end;
   each `read()` then takes the whole buffer. While a 'readable' listener is attached,
   resume() does not flow; removing the last one lets 'data' listeners flow again on
   the next tick (Node's updateReadableListening).
9. `async for chunk in readable` yields what each read() returns (iteration.py);
   `aclose()` closes the iterators, which destroys the stream when left early.
10. `pipe(dest)` writes each chunk to dest and pauses when write() returns false; it
   resumes when every destination that asked for a pause has drained; it ends dest when
   the source ends (unless end=False); it unpipes when dest finishes or closes, and
   unpiping the last destination pauses the source. If dest already needs a drain when
   piped, it pauses at once. An error on dest unpipes it; it does not destroy the source.

The marks' rules (the default, what a constructor accepts, how far read(n) raises the
mark, canPushMore) are marks.py's.

Theory of operation: `_buffer` holds pushed chunks; `_reading` is true while a `_read`
is outstanding; `_sync` is true while `_read` runs, so a push made inside it is buffered
rather than emitted re-entrantly. `_flow` drains the buffer into 'data' while flowing.
This module knows nothing of files, clocks or diagnostics.
"""

from __future__ import annotations

import weakref
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

from bpcopy.streams import errors
from bpcopy.streams._shared import READY_CHUNK, StreamBase, as_bytes_like
from bpcopy.streams.iteration import iterate, leave
from bpcopy.streams.marks import (
    DEFAULT_HIGH_WATER_MARK,
    can_push_more,
    mark_raised_for_read,
    validated_mark,
)


class Readable(StreamBase):
    """A stream you read bytes from. Subclasses implement `_read(size)` and `push()`."""

    def __init__(self, high_water_mark: int | None = DEFAULT_HIGH_WATER_MARK) -> None:
        super().__init__()
        self._high_water_mark = validated_mark(high_water_mark)
        self._buffer: deque[Any] = deque()
        self._length = 0
        self._flowing: bool | None = None
        self._explicitly_paused: bool | None = None
        self._ended = False
        self._end_emitted = False
        self._reading = False
        self._sync = True
        self._need_readable = False
        self._emitted_readable = False
        self._resume_scheduled = False
        self._reading_more = False
        self._readable_listening = False
        self._data_listening = False  # set by on('data'), cleared by off() of the last one
        self._iterators: weakref.WeakSet[Any] = weakref.WeakSet()
        self._iterations_running = 0
        self._pipes: list[Any] = []
        self._await_drain: set[Any] = set()

    # -- what subclasses provide ------------------------------------------------------

    def _read(self, size: int) -> None:
        raise NotImplementedError("Readable subclasses implement _read(size)")

    # -- properties ---------------------------------------------------------------------

    @property
    def readable_length(self) -> int:
        return self._length

    @property
    def readable_high_water_mark(self) -> int:
        return self._high_water_mark

    @property
    def readable_flowing(self) -> bool | None:
        return self._flowing

    @property
    def readable_ended(self) -> bool:
        return self._end_emitted

    @property
    def readable(self) -> bool:
        return not self.destroyed and not self._errored and not self._end_emitted

    def is_paused(self) -> bool:
        return self._explicitly_paused is True or self._flowing is False

    # -- listeners ----------------------------------------------------------------------

    def on(self, name: str, listener: Any) -> Readable:
        super().on(name, listener)
        if name == "data":
            self._data_listening = True
            # A 'readable' listener keeps the stream paused: resume() below then only
            # schedules the read, as in Node.
            if "readable" in self._events:
                self._readable_listening = True
            if self._flowing is not False:
                self.resume()
        elif name == "readable":
            self._listen_for_readable()
        return self

    add_listener = on

    def off(self, name: str, listener: Any) -> Readable:
        super().off(name, listener)
        if name == "readable":
            self._next_tick(self._update_readable_listening)
        elif name == "data" and "data" not in self._events:
            self._data_listening = False
        return self

    remove_listener = off

    def remove_all_listeners(self, name: str | None = None) -> Readable:
        super().remove_all_listeners(name)
        # As in node v20, this leaves the 'data' flag set (only off() clears it).
        if name is None or name == "readable":
            self._next_tick(self._update_readable_listening)
        return self

    def _listen_for_readable(self) -> None:
        """The first 'readable' listener switches to paused mode and starts reading."""
        if self._end_emitted or self._readable_listening:
            return
        self._readable_listening = self._need_readable = True
        self._flowing = False
        self._emitted_readable = False
        if self._length:
            self._emit_readable()
        elif not self._reading:
            self._next_tick(self.read, 0)

    def _update_readable_listening(self) -> None:
        """After 'readable' listeners were removed: flow again if 'data' wants it."""
        self._readable_listening = "readable" in self._events
        if self._resume_scheduled and self._explicitly_paused is False:
            self._flowing = True  # the resume already scheduled must flow
        elif self._data_listening:
            self.resume()
        elif not self._readable_listening:
            self._flowing = None

    # -- producing: push() --------------------------------------------------------------

    def push(self, chunk: Any) -> bool:
        if chunk is None:
            self._reading = False
            self._on_eof()
        else:
            if chunk.__class__ not in READY_CHUNK:
                try:
                    chunk = as_bytes_like(chunk)
                except errors.StreamError as error:
                    self._error_or_destroy(error)
                    return False
            if len(chunk) > 0:
                if self._ended:
                    self._error_or_destroy(errors.push_after_eof())
                elif self.destroyed or self._errored:
                    return False
                else:
                    self._reading = False
                    self._add_chunk(chunk)
            else:
                self._reading = False
                self._maybe_read_more()
        return can_push_more(self._length, self._high_water_mark, self._ended)

    def _add_chunk(self, chunk: Any) -> None:
        if (self._flowing and self._length == 0 and not self._sync
                and self._data_listening):
            self._await_drain.clear()
            self.emit("data", chunk)
        else:
            self._length += len(chunk)
            self._buffer.append(chunk)
            if self._need_readable:
                self._emit_readable()
        if not self._reading_more:  # _maybe_read_more(), inline as it runs every chunk
            self._reading_more = True
            self._next_tick(self._read_more)

    def _on_eof(self) -> None:
        if self._ended:
            return
        self._ended = True
        if self._sync:
            self._emit_readable()
        else:
            self._need_readable = False
            self._emitted_readable = True
            self._emit_readable_now()

    def _emit_readable(self) -> None:
        self._need_readable = False
        if not self._emitted_readable:
            self._emitted_readable = True
            self._next_tick(self._emit_readable_now)

    def _emit_readable_now(self) -> None:
        if not self.destroyed and not self._errored and (self._length or self._ended):
            self.emit("readable")
            self._emitted_readable = False
        self._need_readable = (not self._flowing and not self._ended
                               and self._length <= self._high_water_mark)
        self._flow()

    def _maybe_read_more(self) -> None:
        if not self._reading_more:
            self._reading_more = True
            self._next_tick(self._read_more)

    def _read_more(self) -> None:
        # Keep asking for data while under the mark, even when paused (rule 5).
        while (not self._reading and not self._ended
               and (self._length < self._high_water_mark
                    or (self._flowing and self._length == 0))):
            length_before = self._length
            self._read_full(0)  # read(0): no read is under way, so read() would come here
            if length_before == self._length:
                break
        self._reading_more = False

    # -- consuming: read(), pause(), resume() -------------------------------------------

    def read(self, n: int | None = None) -> Any:
        if n and n > self._high_water_mark:  # n is None or 0 per chunk: one falsy test
            self._high_water_mark = mark_raised_for_read(n)
        if self._reading and not self._length and not self._ended:
            # Nothing buffered and a read already under way: the usual state per chunk
            # when flow() and the read-more loop ask. _read_full() gives the same answer
            # (no data, and a wish to be told when some arrives) at four times the cost;
            # tests/streams/test_readable_read_paths.py proves the two agree.
            if n != 0:
                self._emitted_readable = False
            self._need_readable = True
            return None
        return self._read_full(n)

    def _read_full(self, n: int | None) -> Any:
        """Node's read(), every step, once the mark has been raised for n."""
        requested = n
        if n != 0:
            self._emitted_readable = False
        if (n == 0 and self._need_readable
                and ((self._length >= self._high_water_mark if self._high_water_mark
                      else self._length > 0) or self._ended)):
            if self._length == 0 and self._ended:
                self._end_readable()
            else:
                self._emit_readable()
            return None
        n = self._how_much_to_read(n) if n != 0 else 0  # read(0), the usual one, takes nothing
        if n == 0 and self._ended:
            if self._length == 0:
                self._end_readable()
            return None
        do_read = self._need_readable
        if self._length == 0 or self._length - n < self._high_water_mark:
            do_read = True
        if self._ended or self._reading or self.destroyed or self._errored:
            do_read = False
        elif do_read:
            self._reading = True
            self._sync = True
            if self._length == 0:
                self._need_readable = True
            try:
                self._read(self._high_water_mark)
            except Exception as error:
                self._error_or_destroy(error)
            self._sync = False
            if not self._reading:
                n = self._how_much_to_read(requested)
        chunk = self._take(n) if n > 0 else None
        if chunk is None:
            if self._length <= self._high_water_mark:  # v20 sets it here, never clears it
                self._need_readable = True
            n = 0
        else:
            self._length -= n
            self._await_drain.clear()
        if self._length == 0:
            if not self._ended:
                self._need_readable = True
            if requested != n and self._ended:
                self._end_readable()
        if chunk is not None and not self._error_emitted and not self._close_emitted:
            self.emit("data", chunk)
        return chunk

    def _how_much_to_read(self, n: int | None) -> int:
        if (n is not None and n <= 0) or (self._length == 0 and self._ended):
            return 0
        if n is None:
            # Flowing hands out one buffered chunk at a time; read() takes everything.
            if self._flowing and self._length:
                return len(self._buffer[0])
            return self._length
        if n <= self._length:
            return n
        return self._length if self._ended else 0

    def _take(self, n: int) -> Any:
        buffer = self._buffer
        if not buffer:
            return None
        first = buffer[0]
        if n == len(first):
            return buffer.popleft()
        if n < len(first):
            buffer[0] = first[n:]
            return first[:n]
        pieces = []
        needed = n
        while needed:
            head = buffer[0]
            if len(head) <= needed:
                pieces.append(buffer.popleft())
                needed -= len(head)
            else:
                pieces.append(head[:needed])
                buffer[0] = head[needed:]
                needed = 0
        return b"".join(pieces)

    def pause(self) -> Readable:
        if self._flowing is not False:
            self._flowing = False
            self.emit("pause")
        self._explicitly_paused = True
        return self

    def resume(self) -> Readable:
        if not self._flowing:
            self._flowing = not self._readable_listening  # 'readable' keeps it paused
            if not self._resume_scheduled:
                self._resume_scheduled = True
                self._next_tick(self._resume_now)
        self._explicitly_paused = False
        return self

    def _resume_now(self) -> None:
        if not self._reading:
            self.read(0)
        self._resume_scheduled = False
        self.emit("resume")
        while self._flowing and self.read() is not None:  # _flow(), inline per chunk
            pass
        if self._flowing and not self._reading:
            self.read(0)

    def _flow(self) -> None:
        while self._flowing and self.read() is not None:
            pass

    def _end_readable(self) -> None:
        if not self._end_emitted:
            self._ended = True
            self._next_tick(self._emit_end)

    def _emit_end(self) -> None:
        if (not self._errored and not self._close_emitted and not self._end_emitted
                and self._length == 0):
            self._end_emitted = True
            self.emit("end")
            self.destroy()

    # -- async iteration ------------------------------------------------------------

    def __aiter__(self) -> AsyncIterator[Any]:
        iterator = iterate(self)
        self._iterators.add(iterator)
        return iterator

    async def aclose(self) -> None:
        """Close the `async for` iterations over this stream, for contextlib.aclosing():
        one left early destroys the stream, as Node's does on break."""
        for iterator in list(self._iterators):
            await iterator.aclose()
        if self._iterations_running:  # dropped mid-way, not yet collected
            leave(self)

    # -- pipe() -------------------------------------------------------------------------

    def pipe(self, dest: Any, end: bool = True) -> Any:
        """Write everything this stream produces to `dest`, honouring backpressure."""
        _Pipe(self, dest, end)
        return dest

    def unpipe(self, dest: Any = None) -> Readable:
        if not self._pipes:
            return self
        if dest is None:
            destinations, self._pipes = self._pipes, []
            self.pause()
            for each in destinations:
                each.emit("unpipe", self, {"has_unpiped": False})
            return self
        if dest not in self._pipes:
            return self
        self._pipes.remove(dest)
        if not self._pipes:
            self.pause()
        dest.emit("unpipe", self, {"has_unpiped": False})
        return self


class _Pipe:
    """One source-to-destination connection made by Readable.pipe() (rule 10)."""

    def __init__(self, source: Readable, dest: Any, end: bool) -> None:
        self.source = source
        self.dest = dest
        self.cleaned_up = False
        self.drain_listener_added = False
        source._pipes.append(dest)
        self.on_source_end = self.end_dest if end else self.unpipe
        if source._end_emitted:
            self.source._next_tick(self.on_source_end)
        else:
            source.once("end", self.on_source_end)
        dest.on("unpipe", self.on_unpipe)
        source.on("data", self.on_data)
        dest.prepend_listener("error", self.on_error)
        dest.once("close", self.on_close)
        dest.once("finish", self.on_finish)
        dest.emit("pipe", source)
        if getattr(dest, "writable_need_drain", False) is True:
            self.pause()
        elif not source._flowing:
            source.resume()

    def on_data(self, chunk: Any) -> None:
        if self.dest.write(chunk) is False:
            self.pause()

    def pause(self) -> None:
        if not self.cleaned_up and self.dest in self.source._pipes:
            self.source._await_drain.add(self.dest)
            self.source.pause()
        if not self.drain_listener_added:
            self.drain_listener_added = True
            self.dest.on("drain", self.on_drain)

    def on_drain(self) -> None:
        source = self.source
        source._await_drain.discard(self.dest)
        if not source._await_drain and source._data_listening:
            source.resume()

    def end_dest(self) -> None:
        self.dest.end()

    def unpipe(self) -> None:
        self.source.unpipe(self.dest)

    def on_unpipe(self, readable: Any, info: dict | None = None) -> None:
        if readable is self.source and info is not None and info["has_unpiped"] is False:
            info["has_unpiped"] = True
            self.cleanup()

    def on_error(self, error: BaseException) -> None:
        self.unpipe()
        self.dest.off("error", self.on_error)
        if self.dest.listener_count("error") == 0:
            if not self.dest._error_emitted:
                self.dest._error_or_destroy(error)
            else:
                self.dest.emit("error", error)

    def on_close(self) -> None:
        self.dest.off("finish", self.on_finish)
        self.unpipe()

    def on_finish(self) -> None:
        self.dest.off("close", self.on_close)
        self.unpipe()

    def cleanup(self) -> None:
        dest, source = self.dest, self.source
        dest.off("close", self.on_close)
        dest.off("finish", self.on_finish)
        if self.drain_listener_added:
            dest.off("drain", self.on_drain)
        dest.off("error", self.on_error)
        dest.off("unpipe", self.on_unpipe)
        source.off("end", self.on_source_end)
        source.off("data", self.on_data)
        self.cleaned_up = True
        # A source waiting on this destination's drain would never flow again.
        if (self.drain_listener_added and source._await_drain
                and getattr(dest, "_need_drain", True)):
            self.on_drain()
