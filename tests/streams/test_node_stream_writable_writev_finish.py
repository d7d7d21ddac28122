"""Ports nodejs/node test/parallel/test-stream-writable-writev-finish.js.

A failing `_write`, and a failing `_writev` after cork(), behave alike. Node's older
test expected 'prefinish' and 'finish' anyway; node v20 emits neither: only 'error'
(with the error of `_write`, resp. `_writev`) and then 'close'.
"""

from nodeport import make_writable, next_tick, ticks


def record(w):
    seen = []
    for name in ("prefinish", "finish", "close"):
        w.on(name, lambda name=name: seen.append(name))
    w.on("error", lambda err: seen.append(f"error:{err}"))
    return seen


async def test_failing_write_emits_error_and_close_but_no_finish():
    w = make_writable(lambda chunk, cb: cb(RuntimeError("write test error")))
    seen = record(w)
    w.end("test")
    await ticks()
    assert seen == ["error:write test error", "close"]


async def test_failing_writev_emits_error_and_close_but_no_finish():
    w = make_writable(
        lambda chunk, cb: cb(RuntimeError("write test error")),
        writev=lambda chunks, cb: cb(RuntimeError("writev test error")),
    )
    seen = record(w)
    w.cork()
    w.write("test")
    next_tick(w.end, "test")
    await ticks()
    assert seen == ["error:writev test error", "close"]
