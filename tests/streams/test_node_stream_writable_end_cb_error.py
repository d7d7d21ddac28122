"""Ports nodejs/node test/parallel/test-stream-writable-end-cb-error.js.

Checked against node v20, whose behaviour differs from older Node's test in what the
end() callbacks receive:
- a write failing asynchronously: both end() callbacks get that same error, then
  'error', then 'close';
- a successful end: the end() callback gets no error and runs before 'finish'; an
  'error' emitted by hand afterwards reaches the listener, not the end() callback;
- end(chunk) after end(): `writable_ended` stays true, the stream is destroyed at
  once, one 'error' with ERR_STREAM_WRITE_AFTER_END, then 'close', every end()
  callback gets ERR_STREAM_WRITE_AFTER_END, and 'finish' never comes.
"""

import asyncio

from nodeport import Calls, make_writable, next_tick, set_timeout, ticks


async def test_end_callbacks_get_the_error_of_a_failed_write():
    kaboom = RuntimeError("kaboom")
    w = make_writable(lambda chunk, cb: next_tick(cb, kaboom))
    order = []
    w.on("error", lambda err: order.append(("error", err)))
    w.on("close", lambda: order.append(("close",)))
    w.write("asd")
    w.end(callback=lambda err=None: order.append(("end1", err)))
    w.end(callback=lambda err=None: order.append(("end2", err)))
    await ticks()
    assert order == [("end1", kaboom), ("end2", kaboom), ("error", kaboom), ("close",)]


async def test_end_callback_is_not_called_again_by_a_later_error():
    w = make_writable(lambda chunk, cb: next_tick(cb))
    order = []
    end_cb = Calls(lambda err=None: order.append(("end cb", err)))
    w.end("asd", end_cb)
    w.on("error", lambda err: order.append(("error", str(err))))

    def on_finish():
        order.append(("finish",))
        w.emit("error", RuntimeError("kaboom"))

    w.on("finish", on_finish)
    await ticks()
    assert end_cb.count == 1
    assert order == [("end cb", None), ("finish",), ("error", "kaboom")]


async def test_end_with_a_chunk_after_end_destroys_and_fails_every_end_callback():
    w = make_writable(lambda chunk, cb: set_timeout(cb, 1))
    codes = {}

    def remember(name):
        return lambda err=None: codes.setdefault(name, getattr(err, "code", err))

    w.end("testing ended state", remember("end1"))
    assert w.destroyed is False
    assert w.writable_ended is True
    w.end(callback=remember("end2"))
    assert w.destroyed is False
    assert w.writable_ended is True
    w.end("end", remember("end3"))
    assert w.destroyed is True

    errors, finishes, closes = Calls(), Calls(), Calls()
    w.on("error", errors)
    w.on("finish", finishes)
    w.on("close", closes)
    await asyncio.sleep(0.02)

    assert [getattr(e, "code", None) for e in errors.first] == ["ERR_STREAM_WRITE_AFTER_END"]
    assert closes.count == 1
    assert finishes.count == 0
    assert codes == {
        "end1": "ERR_STREAM_WRITE_AFTER_END",
        "end2": "ERR_STREAM_WRITE_AFTER_END",
        "end3": "ERR_STREAM_WRITE_AFTER_END",
    }
