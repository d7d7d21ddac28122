"""Ports nodejs/node test/parallel/test-stream-backpressure.js.

A greedy Readable pushes 65500 + 40 x 1024 bytes per `_read` (well over its mark of
64 KiB) ten times, then ends; piped into a Writable that completes each write on the
next loop turn. Node v20 (both marks set to 65536): `_read` runs 11 times, `_write`
410 times, and the readable buffer never holds more than one `_read`'s worth (106460
bytes) when `_read` is called.
"""

import asyncio

from nodeport import event, make_readable, make_writable, next_tick

PER_READ = 65500 + 40 * 1024


async def test_greedy_readable_piped_reads_11_times_and_writes_410_chunks():
    pushes = 0
    reads = 0
    lengths_at_read = []

    def read(size):
        nonlocal pushes, reads
        reads += 1
        if pushes == 10:
            pushes += 1
            rs.push(None)
            return
        pushes += 1
        lengths_at_read.append(rs.readable_length)
        rs.push(bytes(65500))
        for _ in range(40):
            rs.push(bytes(1024))

    rs = make_readable(read, high_water_mark=65536)
    writes = 0

    def write(chunk, cb):
        nonlocal writes
        writes += 1
        next_tick(cb)

    ws = make_writable(write, high_water_mark=65536)
    finished = event(ws, "finish")
    rs.pipe(ws)
    await asyncio.wait_for(finished, 5)

    assert reads == 11
    assert writes == 41 * 10
    assert max(lengths_at_read) <= PER_READ
