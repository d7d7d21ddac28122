"""Ports nodejs/node test/parallel/test-stream-writableState-uncorked-bufferedRequestCount.js.

cork() nests (`writable_corked` counts), corked writes are held (counted in
`writable_length`, not written), only the uncork() that brings the count to 0 flushes,
through one `_writev` of both chunks, and end() uncorks completely, flushing the third
chunk through `_write`. Node's bufferedRequestCount becomes `writable_length` and the
calls seen by `_write`/`_writev`.
"""

from nodeport import make_writable, next_tick, ticks


async def test_only_the_last_uncork_flushes_and_end_uncorks_fully():
    batches = []
    writes = []

    def writev(chunks, cb):
        batches.append([bytes(c) for c in chunks])
        cb()

    w = make_writable(lambda chunk, cb: (writes.append(bytes(chunk)), cb()), writev=writev)
    checks = []

    w.cork()
    assert w.writable_corked == 1
    assert w.writable_length == 0
    w.cork()
    assert w.writable_corked == 2

    w.write("first chunk")
    assert w.writable_length == 11
    w.uncork()
    assert w.writable_corked == 1
    assert w.writable_length == 11
    assert batches == []

    def uncork():
        w.uncork()
        checks.append(("after uncork", w.writable_corked, len(batches)))
        w.cork()
        w.write("third chunk")
        w.end()
        checks.append(("after end", w.writable_corked, len(writes)))

    next_tick(uncork)
    w.write("second chunk")
    assert w.writable_corked == 1
    assert w.writable_length == 23
    await ticks()

    assert batches == [[b"first chunk", b"second chunk"]]
    assert writes == [b"third chunk"]
    assert checks == [("after uncork", 0, 1), ("after end", 0, 1)]
    assert w.writable_finished is True
