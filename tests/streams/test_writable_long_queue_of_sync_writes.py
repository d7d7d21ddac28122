"""A long queue of writes that complete synchronously is written by a loop, not recursion.

Derived from Node's clearBuffer (lib/internal/streams/writable.js), which sets
state.bufferProcessing while it loops over the buffered writes so that a write whose
callback runs inside _write does not start the next one from onwrite. Each scenario
below was run with node v20 (new Writable({highWaterMark: 16, write, writev})) and the
whole event log matched: one _write per chunk in order (or one _writev of everything
queued when there is one and more than one chunk waits), every write callback in
order after the writes, the end() callback, then 'finish'; no 'drain' after end().
"""

import pytest
from nodeport import make_writable, next_tick, ticks

COUNT = 2000  # deeper than Python's default recursion limit would allow when recursing


def logging_writable(log, *, with_writev, first_write_async):
    writes = []

    def write(chunk, cb):
        writes.append(chunk)
        log.append("w" + bytes(chunk).decode())
        if first_write_async and len(writes) == 1:
            next_tick(cb)
        else:
            cb()

    def writev(chunks, cb):
        log.append(f"v{len(chunks)}")
        cb()

    w = make_writable(write, writev=writev if with_writev else None, high_water_mark=16)
    w.on("drain", lambda: log.append("drain"))
    w.on("finish", lambda: log.append("finish"))
    return w


def write_all(w, log, count):
    for i in range(count):
        w.write(str(i), lambda err=None, i=i: log.append(f"c{i}"))


def callbacks_then_end(count):
    return [f"c{i}" for i in range(count)] + ["endcb", "finish"]


async def test_uncork_of_2000_synchronous_writes_calls_write_once_each_without_recursion():
    log = []
    w = logging_writable(log, with_writev=False, first_write_async=False)
    w.cork()
    write_all(w, log, COUNT)
    w.uncork()  # raised RecursionError when each completion flushed the queue itself
    log.append("uncorked")
    w.end(lambda err=None: log.append("endcb"))
    await ticks()
    assert log == [f"w{i}" for i in range(COUNT)] + ["uncorked"] + callbacks_then_end(COUNT)
    assert w.writable_length == 0


async def test_writes_queued_behind_a_slow_write_are_written_by_one_loop():
    log = []
    w = logging_writable(log, with_writev=False, first_write_async=True)
    write_all(w, log, COUNT)
    log.append("uncorked")
    w.end(lambda err=None: log.append("endcb"))
    await ticks()
    writes = [f"w{i}" for i in range(1, COUNT)]
    assert log == ["w0", "uncorked", *writes, *callbacks_then_end(COUNT)]


@pytest.mark.parametrize("first_write_async", [False, True])
async def test_queued_writes_still_go_to_writev_as_one_batch(first_write_async):
    log = []
    w = logging_writable(log, with_writev=True, first_write_async=first_write_async)
    if not first_write_async:
        w.cork()
    write_all(w, log, COUNT)
    if not first_write_async:
        w.uncork()
    log.append("uncorked")
    w.end(lambda err=None: log.append("endcb"))
    await ticks()
    batch = ["w0", "uncorked", f"v{COUNT - 1}"] if first_write_async else [f"v{COUNT}", "uncorked"]
    assert log == batch + callbacks_then_end(COUNT)


async def test_a_single_queued_write_goes_to_write_even_with_writev():
    log = []
    w = logging_writable(log, with_writev=True, first_write_async=False)
    w.cork()
    write_all(w, log, 1)
    w.uncork()
    log.append("uncorked")
    w.end(lambda err=None: log.append("endcb"))
    await ticks()
    assert log == ["w0", "uncorked", "c0", "endcb", "finish"]
