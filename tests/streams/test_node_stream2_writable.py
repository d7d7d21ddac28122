"""Ports nodejs/node test/parallel/test-stream2-writable.js.

Covers: chunks arrive in order with fast and slow writers, write backpressure (17
drains for 50 growing chunks against a mark of 50, and `writable_length` at least the
mark whenever write() returns false), write callbacks all run before 'finish', every
form of end(callback), end(chunk) twice is a write after end, _write is never
re-entered, and 'finish' waits for the last write callback (sync or async), for an
empty last chunk and for _final.
Skipped: encodings and decodeStrings (chunks are bytes or UTF-8 str here), piping a
Writable or a Duplex (no such API).
"""

import asyncio
import random

from nodeport import Calls, err_code, event, make_writable, next_tick, set_timeout, ticks

CHUNKS = ["x" * i for i in range(50)]


def slow_writer(high_water_mark=None, seed=1):
    """Node's TestWriter: completes each write after a small unpredictable delay."""
    rnd = random.Random(seed)
    state = {"buffer": [], "written": 0}

    def write(chunk, cb):
        def done():
            state["buffer"].append(bytes(chunk).decode())
            state["written"] += len(chunk)
            cb()

        set_timeout(done, rnd.randrange(10))

    tw = make_writable(write, high_water_mark=high_water_mark)
    return tw, state




async def test_fast_writes_ignoring_backpressure_arrive_in_order():
    tw, state = slow_writer(100)
    finished = event(tw, "finish")
    for chunk in CHUNKS:
        tw.write(chunk)
    tw.end()
    await finished
    assert state["buffer"] == CHUNKS
    assert state["written"] == sum(range(50))


async def test_slow_writes_arrive_in_order():
    tw, state = slow_writer(100)
    finished = event(tw, "finish")
    i = 0

    def pump():
        nonlocal i
        tw.write(CHUNKS[i])
        i += 1
        if i < len(CHUNKS):
            set_timeout(pump, 1)
        else:
            tw.end()

    pump()
    await finished
    assert state["buffer"] == CHUNKS


async def test_write_backpressure_drains_17_times_for_50_chunks_at_mark_50():
    tw, state = slow_writer(50)
    drains = Calls()
    tw.on("drain", drains)
    finished = event(tw, "finish")
    lengths_when_refused = []
    i = 0

    def pump():
        nonlocal i
        while True:
            ret = tw.write(CHUNKS[i])
            i += 1
            if ret is False or i >= len(CHUNKS):
                break
        if i < len(CHUNKS):
            lengths_when_refused.append(tw.writable_length)
            tw.once("drain", pump)
        else:
            tw.end()

    pump()
    await finished
    assert state["buffer"] == CHUNKS
    assert drains.count == 17
    assert len(lengths_when_refused) == 17
    assert all(n >= 50 for n in lengths_when_refused), lengths_when_refused


async def test_write_callbacks_all_run_in_order_before_finish():
    tw, state = slow_writer(100)
    called = []
    finished = event(tw, "finish")
    for chunk in CHUNKS:
        tw.write(chunk, lambda err=None, c=chunk: called.append(c))
    tw.end()
    await finished
    await ticks(1)
    assert state["buffer"] == CHUNKS
    assert called == CHUNKS


async def test_end_callback_runs_without_any_write():
    tw, _ = slow_writer()
    cb = Calls()
    tw.end(callback=cb)
    await asyncio.sleep(0.05)
    assert cb.count == 1


async def test_end_callback_runs_with_a_final_bytes_chunk():
    tw, state = slow_writer()
    cb = Calls()
    tw.end(b"hello world", cb)
    await asyncio.sleep(0.05)
    assert cb.count == 1
    assert state["buffer"] == ["hello world"]


async def test_end_callback_runs_with_a_final_str_chunk():
    tw, state = slow_writer()
    cb = Calls()
    tw.end("hello world", cb)
    await asyncio.sleep(0.05)
    assert cb.count == 1
    assert state["written"] == 11


async def test_end_callback_runs_after_a_previous_write():
    tw, _ = slow_writer()
    cb = Calls()
    tw.write(b"hello world")
    tw.end(callback=cb)
    await asyncio.sleep(0.05)
    assert cb.count == 1


async def test_end_callback_runs_after_the_write_callback():
    tw, _ = slow_writer()
    order = []
    tw.write(b"hello world", lambda err=None: order.append("write"))
    tw.end(callback=lambda err=None: order.append("end"))
    await asyncio.sleep(0.05)
    assert order == ["write", "end"]


async def test_end_with_a_chunk_twice_is_a_write_after_end():
    written = []
    w = make_writable(lambda chunk, cb: written.append(bytes(chunk)))  # never completes
    errors = Calls()
    w.on("error", errors)
    w.end("this is the end")
    w.end("and so is this")
    assert errors.count == 0  # reported on a later tick, not inside end()
    await ticks(2)
    assert errors.count == 1
    assert err_code(errors.first[0]) == "ERR_STREAM_WRITE_AFTER_END"
    assert written == [b"this is the end"]


async def test_write_is_not_reentered_while_a_write_is_in_flight():
    writing = False
    overlaps = 0
    writes = 0

    def write(chunk, cb):
        nonlocal writing, overlaps, writes
        writes += 1
        if writing:
            overlaps += 1
        writing = True

        def done():
            nonlocal writing
            writing = False
            cb()

        set_timeout(done, 1)

    w = make_writable(write)
    finished = event(w, "finish")
    w.write(b"")
    w.write(b"a")
    w.end()
    await finished
    assert writes == 2
    assert overlaps == 0


async def test_finish_waits_for_an_async_write_callback():
    write_cb_ran = False

    def write(chunk, cb):
        def done():
            nonlocal write_cb_ran
            write_cb_ran = True
            cb()

        set_timeout(done, 10)

    w = make_writable(write)
    seen = []
    w.on("finish", lambda: seen.append(write_cb_ran))
    w.write(b"")
    w.end()
    await asyncio.sleep(0.05)
    assert seen == [True]


async def test_finish_waits_for_the_callback_of_a_sync_write():
    w = make_writable(lambda chunk, cb: cb())
    write_cb_ran = False

    def on_written(err=None):
        nonlocal write_cb_ran
        write_cb_ran = True

    seen = []
    w.on("finish", lambda: seen.append(write_cb_ran))
    w.write(b"", on_written)
    w.end()
    await ticks()
    assert seen == [True]


async def test_finish_is_emitted_when_the_last_chunk_is_empty():
    w = make_writable(lambda chunk, cb: next_tick(cb))
    finishes = Calls()
    w.on("finish", finishes)
    w.write(bytes(1))
    w.end(b"")
    await ticks()
    assert finishes.count == 1


async def test_finish_is_emitted_only_after_final_completes():
    shutdown = False
    finals = Calls()

    def final(cb):
        finals()

        def done():
            nonlocal shutdown
            shutdown = True
            cb()

        set_timeout(done, 100)

    w = make_writable(lambda chunk, cb: next_tick(cb), final=final)
    seen = []
    w.on("finish", lambda: seen.append(shutdown))
    w.write(bytes(1))
    w.end(b"")
    await asyncio.sleep(0.05)
    assert seen == []
    await asyncio.sleep(0.1)
    assert finals.count == 1
    assert seen == [True]
