"""Ports nodejs/node test/parallel/test-stream-writable-needdrain-state.js.

Node's test uses a Transform with a mark of 1; here a Writable with a mark of 1
(Transform is out of scope). Checked against node v20: `need_drain` is decided after
`_write` returns, so it is still false inside `_write`; a write of 6 bytes whose
callback comes on a later turn returns false and sets it; 'drain' clears it and runs
before the write's own callback. A callback called synchronously inside `_write`
leaves `writable_length` at 0 when write() returns, so write() returns true.
"""

from nodeport import make_writable, next_tick, ticks


async def test_need_drain_is_set_by_a_write_past_the_mark_and_cleared_by_drain():
    seen = []

    def write(chunk, cb):
        seen.append(("in _write", w.writable_need_drain, w.writable_length))
        next_tick(cb)

    w = make_writable(write, high_water_mark=1)
    assert w.writable_need_drain is False

    ret = w.write("asdasd", lambda err=None: seen.append(("callback", w.writable_need_drain)))
    assert ret is False
    assert w.writable_need_drain is True
    assert w.writable_length == 6

    w.on("drain", lambda: seen.append(("drain", w.writable_need_drain, w.writable_length)))
    await ticks()
    assert seen == [
        ("in _write", False, 6),
        ("drain", False, 0),
        ("callback", False),
    ]


async def test_a_sync_write_callback_leaves_no_need_for_drain():
    w = make_writable(lambda chunk, cb: cb(), high_water_mark=1)
    drains = []
    w.on("drain", lambda: drains.append(1))
    ret = w.write("asdasd")
    assert ret is True
    assert w.writable_need_drain is False
    assert w.writable_length == 0
    await ticks()
    assert drains == []
