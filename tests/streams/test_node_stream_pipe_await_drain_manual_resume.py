"""Ports nodejs/node test/parallel/test-stream-pipe-await-drain-manual-resume.js.

A destination with a mark of 5 holds every write's callback back. Three 100-byte
chunks are piped: the first write fills the mark (first 'pause'); a manual resume()
lets the second through, whose write() is false again (second 'pause'); releasing the
held callbacks then lets everything through and the destination finishes. Node's
check of the internal awaitDrain counter becomes checks of public state: after the
first pause one write is in flight and 200 bytes wait in the source; after the second
one chunk waits and 200 bytes sit in the destination. Node v20 counts 3 pauses in all
(the third when the finished destination is unpiped) and 3 writes.
"""

import asyncio

from nodeport import event, make_readable, make_writable, next_tick, ticks


async def test_manual_resume_while_awaiting_drain_still_delivers_everything():
    buffering = True
    held = []
    writes = 0

    def write(chunk, cb):
        nonlocal writes
        writes += 1
        if buffering:
            held.append(cb)
        else:
            cb()

    writable = make_writable(write, high_water_mark=5)
    readable = make_readable()
    readable.pipe(writable)
    snapshots = []

    def on_pause():
        snapshots.append((writes, readable.readable_length, writable.writable_length))

    readable.on("pause", on_pause)

    def second_pause():
        nonlocal buffering
        buffering = False
        for cb in held:
            cb()

    def first_pause():
        next_tick(readable.resume)
        readable.once("pause", second_pause)

    readable.once("pause", first_pause)
    finished = event(writable, "finish")

    readable.push(bytes(100))  # fills the writable's mark: first pause
    readable.push(bytes(100))  # second pause
    readable.push(bytes(100))  # gets through once the callbacks are released
    readable.push(None)

    await asyncio.wait_for(finished, 2)
    await ticks()
    assert writes == 3
    assert snapshots[:2] == [(1, 200, 100), (1, 100, 200)]
    assert len(snapshots) == 3
    assert writable.writable_length == 0
