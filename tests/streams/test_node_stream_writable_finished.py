"""Ports nodejs/node test/parallel/test-stream-writable-finished.js.

`writable_finished` is false while writing and true by the time 'finish' listeners and
the end() callback run; 'finish' is emitted on a later tick, so a listener added right
after end() still sees it. (Node also checks the property exists on the prototype.)
"""

from nodeport import Calls, make_writable, ticks


async def test_writable_finished_flips_before_finish_and_end_callback():
    seen = []

    def write(chunk, cb):
        seen.append(("_write", w.writable_finished))
        cb()

    w = make_writable(write)
    w.on("finish", lambda: seen.append(("finish", w.writable_finished)))
    w.end("testing finished state", lambda err=None: seen.append(("end cb", w.writable_finished)))
    assert w.writable_finished is False
    await ticks()
    assert ("_write", False) in seen
    assert ("finish", True) in seen
    assert ("end cb", True) in seen
    assert len(seen) == 3


async def test_finish_is_emitted_asynchronously_after_end():
    w = make_writable(lambda chunk, cb: cb())
    w.end()
    finishes = Calls()
    w.on("finish", finishes)
    await ticks()
    assert finishes.count == 1
