"""Ports nodejs/node test/parallel/test-stream-pipe-multiple-pipes.js.

One source piped to five destinations: each gets a 'pipe' event, the first chunk
reaches every destination (after the tick on which pipe() resumes the source), and
after each is unpiped (one 'unpipe' each) later chunks reach none of them; 'end' still
comes once the source is resumed.
"""

import asyncio

from nodeport import Calls, event, make_readable, make_writable, ticks


async def test_chunk_reaches_all_five_destinations_and_nothing_after_unpipe():
    readable = make_readable()
    outputs, writes, pipes, unpipes, targets = [], [], [], [], []
    for _ in range(5):
        out = []
        w = Calls(lambda chunk, cb, out=out: (out.append(bytes(chunk)), cb()))
        target = make_writable(w)
        p = Calls()
        target.on("pipe", p)
        readable.pipe(target)
        outputs.append(out)
        writes.append(w)
        pipes.append(p)
        targets.append(target)

    data = bytes([1, 2, 3, 4, 5])
    readable.push(data)
    assert all(out == [] for out in outputs)
    await ticks(2)
    assert outputs == [[data]] * 5

    for target in targets:
        u = Calls()
        target.on("unpipe", u)
        readable.unpipe(target)
        unpipes.append(u)
    ended = event(readable, "end")
    readable.push("something else")
    readable.push(None)
    readable.resume()
    await asyncio.wait_for(ended, 2)

    assert outputs == [[data]] * 5
    assert [w.count for w in writes] == [1] * 5
    assert [p.count for p in pipes] == [1] * 5
    assert [p.args[0][0] is readable for p in pipes] == [True] * 5
    assert [u.count for u in unpipes] == [1] * 5
