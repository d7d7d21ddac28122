"""Ports nodejs/node test/parallel/test-stream-pipe-await-drain.js.

One source piped to two destinations; the first completes writes at once, the second
never does. A 560000-byte chunk exceeds every mark, so write() returns false on both,
and a second push must not reach the fast destination: pipe() resumes only when all
destinations drained. Each `_write` runs exactly once.
"""

from nodeport import Calls, make_readable, make_writable, next_tick, ticks

BIG = bytes(560000)


async def test_second_chunk_waits_until_every_destination_drained():
    reader = make_readable()

    def fast_write(chunk, cb):
        if writer1_writes.count == 1:
            next_tick(reader.push, BIG)  # must stay in reader until writer2 drains
        cb()

    writer1_writes = Calls(fast_write)
    writer1 = make_writable(lambda chunk, cb: writer1_writes(chunk, cb))
    writer2_writes = Calls()  # slow consumer: never calls back
    writer2 = make_writable(lambda chunk, cb: writer2_writes(chunk, cb))

    reader.pipe(writer1)
    reader.pipe(writer2)
    reader.push(BIG)
    await ticks(30)

    assert writer1_writes.count == 1
    assert writer2_writes.count == 1
    assert reader.readable_length == len(BIG)
    assert reader.is_paused() is True
