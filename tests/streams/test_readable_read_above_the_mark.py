"""read(n) with n above the high-water mark raises the mark, so the buffer can hold n.

Derived from Node's Readable.prototype.read and computeNewHighWaterMark
(lib/internal/streams/readable.js): the mark becomes the next power of two >= n, and
n above 1 GiB throws ERR_OUT_OF_RANGE. The scenario was run with node v20 (a Readable
of highWaterMark 8 pushing 4 bytes per _read, six times, then null; read(10) on each
setImmediate) and the log below is node's.
"""

import pytest
from nodeport import make_readable, next_tick, ticks

from bpcopy.streams import StreamError


async def test_read_of_10_on_a_mark_of_8_raises_the_mark_to_16_and_returns_10_bytes():
    log = []
    pushes = 0

    def read(size):
        nonlocal pushes
        log.append(("_read", size, r.readable_length))
        if pushes < 6:
            pushes += 1
            r.push(bytes([pushes]) * 4)
        else:
            r.push(None)

    r = make_readable(read, high_water_mark=8)
    r.on("end", lambda: log.append(("end",)))

    def step(k):
        if r.readable_ended:
            return
        got = r.read(10)
        log.append(("read10", None if got is None else len(got),
                    r.readable_length, r.readable_high_water_mark))
        if k < 6:
            next_tick(step, k + 1)

    next_tick(step, 0)
    await ticks(30)
    assert log == [
        ("_read", 16, 0),
        ("read10", None, 4, 16),
        ("_read", 16, 4), ("_read", 16, 8), ("_read", 16, 12), ("_read", 16, 16),
        ("read10", 10, 10, 16),
        ("_read", 16, 10), ("_read", 16, 14),
        ("read10", 10, 4, 16),
        ("read10", 4, 0, 16),
        ("end",),
    ]


@pytest.mark.parametrize(("n", "mark"), [(9, 16), (16, 16), (17, 32), (0x40000000, 0x40000000)])
async def test_the_raised_mark_is_the_next_power_of_two(n, mark):
    r = make_readable(high_water_mark=8)
    r.read(n)
    assert r.readable_high_water_mark == mark


async def test_read_above_one_gib_is_out_of_range():
    r = make_readable(high_water_mark=8)
    with pytest.raises(StreamError) as raised:
        r.read(0x40000001)
    assert raised.value.code == "ERR_OUT_OF_RANGE"
    assert r.readable_high_water_mark == 8
    await ticks()
