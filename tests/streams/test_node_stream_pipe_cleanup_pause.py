"""Ports nodejs/node test/parallel/test-stream-pipe-cleanup-pause.js.

Unpiping a destination that was awaited for drain must not leave the source stuck:
after the first 560000-byte chunk (write() false on writer1), writer1 is unpiped and
writer2 piped; three more big chunks all reach writer2. writer1 writes once, writer2
three times.
"""

from nodeport import Calls, make_readable, make_writable, next_tick, ticks

BIG = bytes(560000)


async def test_unpiping_an_awaited_destination_lets_the_next_one_flow():
    reader = make_readable()
    writer2_writes = Calls(lambda chunk, cb: cb())
    writer2 = make_writable(writer2_writes)

    def on_first_chunk():
        reader.unpipe(writer1)
        reader.pipe(writer2)
        reader.push(BIG)

        def second():
            reader.push(BIG)
            next_tick(reader.push, BIG)

        next_tick(second)

    def write1(chunk, cb):
        if writer1_writes.count == 1:
            on_first_chunk()
        cb()

    writer1_writes = Calls(write1)
    writer1 = make_writable(writer1_writes)
    reader.pipe(writer1)
    reader.push(BIG)
    await ticks(30)

    assert writer1_writes.count == 1
    assert writer2_writes.count == 3
