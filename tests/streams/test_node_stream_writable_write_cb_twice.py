"""Ports nodejs/node test/parallel/test-stream-writable-write-cb-twice.js.

Calling a `_write` callback twice (sync+sync, sync+async, async+async) is an error
with code ERR_MULTIPLE_CALLBACK. Node v20: `_write` runs once, the write's own
callback gets no error, then one 'error' with that code, then 'close'; the stream is
destroyed.
"""

import pytest
from nodeport import make_writable, next_tick, ticks


def twice(mode):
    def write(chunk, cb):
        if mode == "sync+sync":
            cb()
            cb()
        elif mode == "sync+async":
            cb()
            next_tick(cb)
        else:
            next_tick(cb)
            next_tick(cb)

    return write


@pytest.mark.parametrize("mode", ["sync+sync", "sync+async", "async+async"])
async def test_second_call_of_a_write_callback_is_err_multiple_callback(mode):
    calls = []
    write = twice(mode)
    w = make_writable(lambda chunk, cb: (calls.append(1), write(chunk, cb)))
    seen = []
    w.write("hi", lambda err=None: seen.append(("callback", err)))
    w.on("error", lambda err: seen.append(("error", getattr(err, "code", None))))
    w.on("close", lambda: seen.append(("close",)))
    await ticks()
    assert len(calls) == 1
    assert seen == [("callback", None), ("error", "ERR_MULTIPLE_CALLBACK"), ("close",)]
    assert w.destroyed is True
