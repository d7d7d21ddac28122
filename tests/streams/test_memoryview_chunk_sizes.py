"""A memoryview chunk whose items are not single bytes counts its bytes, not its items.

Not a port: Node's streams take only Buffer/Uint8Array chunks, whose length is their
byte count. bpcopy takes any memoryview; one of another item format or shape (here
array('i') views: 2 ints, 8 bytes, len() 2) is cast to bytes at write()/push(), so
every length rule (Writable rule 1, Readable rule 1) counts the same 8 bytes on every
path: the write itself, the queue flush, the queue failed by destroy(), the buffer.
"""

import array

import pytest
from nodeport import Calls, err_code, make_readable, make_writable, next_tick, ticks


def int_views():
    """Views of 8 bytes each whose len() is not 8."""
    flat = memoryview(array.array("i", [1, 2]))
    square = memoryview(array.array("h", [1, 2, 3, 4])).cast("B").cast("h", [2, 2])
    strided = memoryview(array.array("i", [1, 7, 2, 7]))[::2]  # not contiguous
    return {"1-D ints": flat, "2-D shorts": square, "strided ints": strided}


@pytest.mark.parametrize("name", list(int_views()))
async def test_queued_non_byte_memoryviews_count_their_bytes_and_the_stream_finishes(name):
    view = int_views()[name]
    sizes = []

    def write(chunk, cb):  # completes later, so the next writes queue behind it
        sizes.append(len(chunk))
        next_tick(cb)

    w = make_writable(write, high_water_mark=100)
    finishes = Calls()
    w.on("finish", finishes)
    for _ in range(3):
        w.write(view)
    assert w.writable_length == 24
    w.end()
    await ticks()
    assert sizes == [8, 8, 8]
    assert w.writable_length == 0
    assert finishes.count == 1


async def test_destroy_drops_the_bytes_of_queued_non_byte_memoryviews():
    # Same steps with 8-byte Buffers in node v20: length 24 after destroy(), then the
    # in-flight write completes (callback null), the queued two get ERR_STREAM_DESTROYED
    # and the length is 0.
    in_flight = []
    w = make_writable(lambda chunk, cb: in_flight.append(cb))
    callbacks = Calls()
    for _ in range(3):
        w.write(memoryview(array.array("i", [1, 2])), callbacks)
    w.destroy()
    await ticks()
    assert w.writable_length == 24
    in_flight[0]()
    await ticks()
    assert [err_code(error) for error in callbacks.first] == [
        None, "ERR_STREAM_DESTROYED", "ERR_STREAM_DESTROYED"]
    assert w.writable_length == 0


async def test_a_pushed_non_byte_memoryview_is_buffered_and_read_as_its_bytes():
    r = make_readable(high_water_mark=100)
    r.push(memoryview(array.array("i", [1, 2])))
    assert r.readable_length == 8
    assert bytes(r.read(8)) == array.array("i", [1, 2]).tobytes()
    assert r.readable_length == 0


def test_byte_memoryviews_and_bytes_are_taken_as_they_are():
    from bpcopy.streams._shared import as_bytes_like

    view = memoryview(b"abcd")
    assert as_bytes_like(view) is view
    data = bytearray(b"xy")
    assert as_bytes_like(data) is data
