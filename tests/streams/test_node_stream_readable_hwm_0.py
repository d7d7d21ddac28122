"""Ports nodejs/node test/parallel/test-stream-readable-hwm-0.js.

A Readable with a mark of 0 still calls `_read` when read() is asked for data, exactly
once while nothing was pushed, and ends once the end of data is read. Node's test
drives this through a 'readable' listener; that event is not part of this API, so the
same steps are done with read() (checked against node v20: read() returns null and
calls `_read` once; after push(null) the stream is not yet ended; the next read()
returns null and 'end' follows, `_read` still called once in all).
"""

from nodeport import Calls, make_readable, ticks


async def test_read_on_a_zero_mark_stream_calls_read_once_and_ends_after_eof():
    reads = Calls()
    r = make_readable(reads, high_water_mark=0)
    ends = Calls()
    r.on("end", ends)
    await ticks(1)

    assert r.read() is None
    assert reads.count == 1
    assert reads.first == [0]

    r.push(None)
    assert r.readable_ended is False
    assert r.read() is None
    await ticks()
    assert ends.count == 1
    assert r.readable_ended is True
    assert reads.count == 1
