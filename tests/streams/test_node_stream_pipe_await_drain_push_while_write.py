"""Ports nodejs/node test/parallel/test-stream-pipe-await-drain-push-while-write.js.

Marks are set to Node v20's default of 16 KiB so the chunk sizes keep their meaning
(32 KiB and 33 KiB produced by `_read`, 34 KiB pushed from inside the first `_write`,
all above the mark). Node v20: the push inside `_write` returns false with 68608 bytes
(33 + 34 KiB) buffered, and the destination receives all three chunks in order.
Node's internal awaitDrain counter is not part of this API.
"""

from nodeport import make_readable, make_writable, ticks

KIB = 1024


async def test_push_from_inside_write_is_delivered_after_the_buffered_chunk():
    sizes = []
    pushes_inside_write = []

    def write(chunk, cb):
        sizes.append(len(chunk))
        if len(chunk) == 32 * KIB:
            ret = readable.push(bytes(34 * KIB))
            pushes_inside_write.append((ret, readable.readable_length))
        cb()

    writable = make_writable(write, high_water_mark=16 * KIB)
    bufs = [bytes(32 * KIB), bytes(33 * KIB)]

    def read(size):
        while bufs:
            readable.push(bufs.pop(0))

    readable = make_readable(read, high_water_mark=16 * KIB)
    readable.pipe(writable)
    await ticks(30)

    assert sizes == [32 * KIB, 33 * KIB, 34 * KIB]
    assert pushes_inside_write == [(False, 68608)]
