"""Ports nodejs/node test/parallel/test-stream-writable-ended-state.js.

`writable_ended` is false before end() (also inside `_write`) and true from the moment
end() is called, inside the end() callback too. Node's internal `ended` flag and the
`writable` property are not part of this API.
"""

from nodeport import make_writable, ticks


async def test_writable_ended_is_set_synchronously_by_end():
    seen = []

    def write(chunk, cb):
        seen.append(("_write", w.writable_ended))
        cb()

    w = make_writable(write)
    assert w.writable_ended is False
    w.end("testing ended state", lambda err=None: seen.append(("end cb", w.writable_ended)))
    assert w.writable_ended is True
    await ticks()
    assert seen == [("_write", False), ("end cb", True)]
