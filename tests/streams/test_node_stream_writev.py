"""Ports nodejs/node test/parallel/test-stream-writev.js.

Five writes made while corked (with and without a nested cork/uncork, with and
without an explicit uncork before end()) reach `_writev` as one batch of five chunks,
never `_write`; every write callback and the end() callback run in order, and 'finish'
comes after all of them. Only the decodeStrings=true half applies (chunks are bytes
here; Node's latin1/hex encodings become the bytes they decode to).
"""

import pytest
from nodeport import make_writable, ticks

EXPECTED = [
    b"hello, ",
    b"world",
    b"!",
    b"\nand then...",
    bytes.fromhex("facebea7deadbeefdecafbad"),
]


@pytest.mark.parametrize("uncork", [False, True])
@pytest.mark.parametrize("multi", [False, True])
async def test_corked_writes_reach_writev_as_one_batch_and_callbacks_run_in_order(uncork, multi):
    order = []
    batches = []
    writes = []

    def writev(chunks, cb):
        batches.append([bytes(c) for c in chunks])
        cb()

    w = make_writable(lambda chunk, cb: (writes.append(chunk), cb()), writev=writev)

    def cnt(name):
        return lambda err=None: order.append((name, err))

    w.cork()
    w.write("hello, ", cnt("hello"))
    w.write("world", cnt("world"))
    if multi:
        w.cork()
    w.write(b"!", cnt("!"))
    w.write("\nand then...", cnt("and then"))
    if multi:
        w.uncork()
    w.write(bytes.fromhex("facebea7deadbeefdecafbad"), cnt("hex"))
    if uncork:
        w.uncork()
    w.end(callback=cnt("end"))
    w.on("finish", lambda: order.append(("finish", None)))
    await ticks()

    assert writes == []
    assert batches == [EXPECTED]
    assert order == [
        ("hello", None),
        ("world", None),
        ("!", None),
        ("and then", None),
        ("hex", None),
        ("end", None),
        ("finish", None),
    ]
