"""Ports nodejs/node test/parallel/test-stream-pipe-needDrain.js.

pipe() into a destination that already needs drain pauses the source at once. The
destination (mark 1, writes complete on the next turn) is filled with one 3-byte
write; then a source that pushes 'asd' and ends is piped in. Node v20: the 'pause'
comes synchronously inside pipe(), the source still ends, and after everything settled
there were 2 pauses (the second when the finished destination is unpiped), 1 drain.
"""

import asyncio

from nodeport import Calls, event, make_readable, make_writable, next_tick, ticks


async def test_pipe_pauses_at_once_when_destination_needs_drain():
    w = make_writable(lambda chunk, cb: next_tick(cb), high_water_mark=1)
    true_writes = 0
    while w.write("asd"):
        true_writes += 1
    assert true_writes == 0
    assert w.writable_need_drain is True

    def read(size):
        r.push("asd")
        r.push(None)

    r = make_readable(read)
    pauses = Calls()
    ends = Calls()
    drains = Calls()
    r.on("pause", pauses)
    r.on("end", ends)
    w.on("drain", drains)
    finished = event(w, "finish")

    r.pipe(w)
    assert pauses.count == 1
    assert r.readable_flowing is False
    assert r.is_paused() is True

    await asyncio.wait_for(finished, 2)
    await ticks()
    assert ends.count == 1
    assert drains.count == 1
    assert pauses.count == 2
