"""Ports nodejs/node test/parallel/test-stream-big-push.js.

A push larger than the mark (20 bytes against 5) returns false; read() with no size
on a stream that is not flowing returns everything buffered, and `_read` (called with
the mark as size) is only called while the buffer is under the mark. Node's 'readable'
listener is replaced by polling read() after the timer's push (checked against node
v20): the timer's push returns false; the next read() calls `_read`, which pushes
synchronously, so that read() returns both pushes (40 bytes); the read() after that
calls `_read` a third time, which ends the stream. `reads` ends at 2 as in Node.
"""

import asyncio

from nodeport import Calls, make_readable, set_timeout, ticks

STR = b"asdfasdfasdfasdfasdf"


async def test_big_pushes_are_returned_whole_and_read_only_under_the_mark():
    reads = 0
    eofed = False
    sizes = []
    timer_push = []

    def read(size):
        nonlocal reads, eofed
        sizes.append(size)
        if reads == 0:
            set_timeout(lambda: timer_push.append(r.push(STR)), 1)
            reads += 1
        elif reads == 1:
            assert r.push(STR) is False
            reads += 1
        else:
            assert not eofed
            eofed = True
            r.push(None)

    r = make_readable(read, high_water_mark=5)
    ends = Calls()
    r.on("end", ends)

    assert r.push(STR) is False
    assert r.read() == STR
    assert r.read() is None
    assert reads == 1

    await asyncio.sleep(0.02)
    assert timer_push == [False]
    assert r.readable_length == 20
    assert reads == 1

    assert r.read() == STR + STR
    assert reads == 2
    assert r.read() is None
    assert eofed is True
    await ticks()
    assert ends.count == 1
    assert reads == 2
    assert sizes == [5, 5, 5]
