"""Ports nodejs/node test/parallel/test-stream-end-paused.js.

A stream that ends without any data while paused still emits 'end' once resumed,
never 'data', and `_read` is called exactly once.
"""

import asyncio

from nodeport import Calls, make_readable, set_timeout


async def test_paused_empty_stream_emits_end_after_resume():
    reads = Calls(lambda size: stream.push(None))
    stream = make_readable(reads)
    datas, ends = Calls(), Calls()
    stream.on("data", datas)
    stream.pause()

    def later():
        stream.on("end", ends)
        stream.resume()

    set_timeout(later, 1)
    await asyncio.sleep(0.03)
    assert ends.count == 1
    assert datas.count == 0
    assert reads.count == 1
