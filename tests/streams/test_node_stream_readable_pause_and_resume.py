"""Ports nodejs/node test/parallel/test-stream-readable-pause-and-resume.js.

Part 1: a data -> pause -> wait -> resume loop never sees 'data' while paused. Node
pushes objects; here one byte per push (chunks pushed while flowing come out one per
'data'), still 19 of them, 18 delivered from a later tick and the last synchronously
with the end. Node v20: 19 'data', 19 `_read` calls, one 'end'.
Part 2 (later Node versions): piping into a destination that needs drain pauses the
source, and the destination's 'drain' resumes it. Node used PassThrough with its
default mark; here a Writable with Node v20's 16 KiB mark, completing writes on the
next turn: 16 writes of 1000 bytes return true, the 17th false.
"""

import asyncio

from nodeport import Calls, event, make_readable, make_writable, next_tick, ticks


async def test_data_never_fires_while_paused_in_a_pause_resume_loop():
    ticks_left = 18
    reads = 0

    def read(size):
        nonlocal ticks_left, reads
        reads += 1
        if ticks_left > 0:
            ticks_left -= 1
            next_tick(rs.push, b"x")
            return
        rs.push(b"x")
        rs.push(None)

    rs = make_readable(read)
    ended = event(rs, "end")
    expected = 19
    total = 0
    data_while_paused = 0
    listeners = []

    def read_and_pause():
        calls = Calls()

        def ondata(chunk):
            nonlocal expected, total, data_while_paused
            calls(chunk)
            total += 1
            if calls.count > 1:
                data_while_paused += 1
            rs.pause()
            expected -= 1
            if expected <= 0:
                return

            def later():
                rs.off("data", ondata)
                read_and_pause()
                rs.resume()

            next_tick(later)

        listeners.append(calls)
        rs.on("data", ondata)

    read_and_pause()
    await asyncio.wait_for(ended, 2)

    assert total == 19
    assert data_while_paused == 0
    assert all(c.count == 1 for c in listeners)
    assert reads == 19


async def test_drain_of_a_destination_that_needed_it_resumes_the_piped_source():
    target = make_writable(lambda chunk, cb: next_tick(cb), high_water_mark=16384)
    chunk = bytes(1000)
    true_writes = 0
    while target.write(chunk):
        true_writes += 1
    assert true_writes == 16

    source = make_readable()
    source.pipe(target)
    assert source.is_paused() is True

    seen = Calls()
    target.on("drain", lambda: seen(source.is_paused()))
    await asyncio.wait_for(event(target, "drain"), 2)
    await ticks()
    assert seen.count == 1
    assert seen.args == [(False,)]
    assert source.readable_flowing is True
