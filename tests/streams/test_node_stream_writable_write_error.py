"""Ports nodejs/node test/parallel/test-stream-writable-write-error.js.

A refused write reports its error to the write's callback on a later tick (never
inside write()) with Node's code. Write after end (ERR_STREAM_WRITE_AFTER_END): the
callback, then 'error', then 'close'. Write after destroy (ERR_STREAM_DESTROYED): node
v20 reports it to the callback only (after the destroy's 'close'), no 'error' event;
Node's older test expected one. A None chunk
or a chunk of the wrong type is refused at once: node v20 throws from write() itself
(ERR_STREAM_NULL_VALUES, ERR_INVALID_ARG_TYPE), and so must bpcopy.
Node runs each case with autoDestroy on and off; there is no such option here.
"""

import pytest
from nodeport import make_writable, ticks


def never_completing_writable():
    return make_writable(lambda chunk, cb: None)


async def expect_async_error(w, chunk, code):
    order = []
    w.write(chunk, lambda err=None: order.append(("callback", getattr(err, "code", None))))
    order.append(("returned",))
    w.on("error", lambda err: order.append(("error", getattr(err, "code", None))))
    w.on("close", lambda: order.append(("close",)))
    await ticks()
    assert order == [("returned",), ("callback", code), ("error", code), ("close",)]


async def test_write_after_end_errors_callback_then_error_event():
    w = never_completing_writable()
    w.end()
    await expect_async_error(w, "asd", "ERR_STREAM_WRITE_AFTER_END")


async def test_write_after_destroy_errors_only_the_callback():
    # node v20: ['returned:false', 'close', 'cb:ERR_STREAM_DESTROYED'], no 'error' event.
    w = never_completing_writable()
    w.destroy()
    order = []
    ret = w.write("asd", lambda err=None: order.append(("callback", getattr(err, "code", None))))
    order.append(("returned", ret))
    w.on("error", lambda err: order.append(("error", getattr(err, "code", None))))
    w.on("close", lambda: order.append(("close",)))
    await ticks()
    assert order == [("returned", False), ("close",), ("callback", "ERR_STREAM_DESTROYED")]


async def test_write_after_end_returns_false():
    w = never_completing_writable()
    w.end()
    w.on("error", lambda err: None)
    assert w.write("asd") is False


async def test_none_chunk_is_refused_at_once():
    w = never_completing_writable()
    with pytest.raises(Exception) as info:
        w.write(None)
    assert info.value.code == "ERR_STREAM_NULL_VALUES"


@pytest.mark.parametrize("chunk", [{}, 1, 1.5, ["a"]])
async def test_chunk_of_wrong_type_is_refused_at_once(chunk):
    w = never_completing_writable()
    with pytest.raises(Exception) as info:
        w.write(chunk)
    assert info.value.code == "ERR_INVALID_ARG_TYPE"
