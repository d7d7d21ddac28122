"""The tutorial's examples (shared/reference/000_c8177f62a8d266c8.txt), with Node's numbers.

The tutorial uses fs streams; here an in-test Writable completes every `_write` through
loop.call_soon (an fs write completes on a later turn of the loop, never inside the
call) and an in-test Readable pushes from `_read` through loop.call_soon (like
fs.ReadStream, one `high_water_mark`-sized chunk per read). Expected numbers are the
ones node v20 printed for the same programs (design/streams-spec.md, "What Node
printed").
"""

import asyncio

from nodeport import Calls, event, make_readable, make_writable, ticks


def fs_like_writable(high_water_mark, sink):
    """A Writable whose writes complete on a later loop turn, like fs.WriteStream."""

    def write(chunk, cb):
        def done():
            sink.append(bytes(chunk))
            cb()

        asyncio.get_running_loop().call_soon(done)

    return make_writable(write, high_water_mark=high_water_mark)


def fs_like_readable(data, high_water_mark):
    """A Readable that delivers `data` in mark-sized chunks from a later loop turn."""
    offset = 0

    def read(size):
        def deliver():
            nonlocal offset
            chunk = data[offset:offset + size]
            offset += len(chunk)
            rs.push(chunk if chunk else None)

        asyncio.get_running_loop().call_soon(deliver)

    rs = make_readable(read, high_water_mark=high_water_mark)
    return rs


async def test_write_of_five_bytes_past_a_mark_of_four_returns_false_then_drains():
    sink = []
    ws = fs_like_writable(4, sink)
    drains = Calls()
    ws.on("drain", drains)
    drained = event(ws, "drain")

    can_write = ws.write("Hello")

    assert can_write is False
    assert ws.writable_length == 5
    assert ws.writable_need_drain is True
    await asyncio.wait_for(drained, 1)
    await ticks()
    assert drains.count == 1
    assert ws.writable_length == 0
    assert ws.writable_need_drain is False
    assert sink == [b"Hello"]


async def test_pump_of_64_bytes_with_marks_4_pauses_and_drains_after_every_chunk():
    data = bytes(range(64))
    sink = []
    rs = fs_like_readable(data, 4)
    ws = fs_like_writable(4, sink)
    rows = []
    pauses = Calls()
    drains = Calls()
    rs.on("pause", pauses)
    ws.on("drain", drains)

    # The tutorial's pump, as written there.
    def on_data(chunk):
        ok = ws.write(chunk)
        if not ok:
            rs.pause()
        rows.append((len(chunk), ok, ws.writable_length, ws.writable_need_drain, rs.is_paused()))

    rs.on("data", on_data)
    ws.on("drain", lambda: rs.resume())
    rs.on("end", lambda: ws.end())

    await asyncio.wait_for(event(ws, "finish"), 2)
    await ticks()

    assert len(rows) == 16
    assert all(row == (4, False, 4, True, True) for row in rows), rows
    assert pauses.count == 16
    assert drains.count == 16
    assert b"".join(sink) == data


async def test_pump_never_lets_the_writable_buffer_exceed_one_chunk():
    data = bytes(64)
    rs = fs_like_readable(data, 4)
    ws = fs_like_writable(4, [])
    max_len = 0

    def on_data(chunk):
        nonlocal max_len
        if not ws.write(chunk):
            rs.pause()
        max_len = max(max_len, ws.writable_length)

    rs.on("data", on_data)
    ws.on("drain", lambda: rs.resume())
    rs.on("end", lambda: ws.end())
    await asyncio.wait_for(event(ws, "finish"), 2)

    assert max_len == 4
