"""Ports nodejs/node test/parallel/test-stream-readable-resume-hwm.js.

resume() must not schedule `_read` while the buffer is already over the mark: ten
200-byte pushes against a mark of 100, resume, pause after the first 'data'. `_read`
is never called; one chunk leaves the buffer (1800 bytes remain).
"""

from nodeport import Calls, make_readable, ticks


async def test_resume_over_the_mark_does_not_call_read():
    reads = Calls()
    readable = make_readable(reads, high_water_mark=100)
    for _ in range(10):
        readable.push("a" * 200)

    readable.resume()
    datas = Calls(lambda chunk: readable.pause())
    readable.once("data", datas)
    await ticks()

    assert datas.count == 1
    assert reads.count == 0
    assert readable.readable_length == 1800
