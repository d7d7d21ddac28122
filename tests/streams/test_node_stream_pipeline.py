"""Ports nodejs/node test/parallel/test-stream-pipeline.js (stream-only parts).

Covers: a Readable into a Writable delivers every chunk in order and returns after
'finish'; a source destroyed without an error makes pipeline fail (Node:
ERR_STREAM_PREMATURE_CLOSE) and destroys the destination; a source destroyed with an
error makes pipeline raise that error; a destination whose write fails has every
stream destroyed, each emitting 'error' and 'close' (node v20 order: write error,
write close, read error, read close, then the callback), reported once; the error on
the 10th write of an endless source stops everything after exactly 10 writes; an
already-ended empty source completes and closes.
Skipped: http/net servers, Transform/PassThrough/Duplex middles (a Writable-failing
pair covers destroy-all), legacy `Stream` objects, generators and async iterables,
AbortSignal, stream/promises' options ({end: false}), argument validation.
"""

import asyncio

import pytest
from nodeport import Calls, event, make_readable, make_writable, next_tick, ticks

from bpcopy.streams import pipeline


async def test_pipeline_delivers_every_chunk_in_order_and_waits_for_finish():
    read = make_readable()
    processed = []

    def write(chunk, cb):
        processed.append(bytes(chunk))
        cb()

    write_stream = make_writable(write)
    finish_seen = Calls()
    write_stream.on("finish", finish_seen)
    for chunk in (b"a", b"b", b"c"):
        read.push(chunk)
    read.push(None)

    await asyncio.wait_for(pipeline(read, write_stream), 2)
    assert finish_seen.count == 1
    assert processed == [b"a", b"b", b"c"]


async def test_pipeline_fails_when_the_source_is_destroyed_without_error():
    read = make_readable()
    write_stream = make_writable(lambda chunk, cb: cb())
    read.push("data")
    next_tick(read.destroy)

    with pytest.raises(Exception):  # noqa: B017 - Node: ERR_STREAM_PREMATURE_CLOSE
        await asyncio.wait_for(pipeline(read, write_stream), 2)
    assert write_stream.destroyed is True


async def test_pipeline_raises_the_error_the_source_was_destroyed_with():
    read = make_readable()
    write_stream = make_writable(lambda chunk, cb: cb())
    closes = Calls()
    write_stream.on("close", closes)
    read.push("data")
    kaboom = RuntimeError("kaboom")
    next_tick(read.destroy, kaboom)

    with pytest.raises(RuntimeError) as info:
        await asyncio.wait_for(pipeline(read, write_stream), 2)
    assert info.value is kaboom
    await ticks()
    assert write_stream.destroyed is True
    assert write_stream.writable_finished is False
    assert closes.count == 1


async def test_a_failing_write_destroys_every_stream_and_is_reported_once():
    read = make_readable()
    kaboom = RuntimeError("kaboom")
    write_stream = make_writable(lambda chunk, cb: cb(kaboom))
    order = []
    for name, stream in (("read", read), ("write", write_stream)):
        stream.on("error", lambda err, name=name: order.append((name, "error", err)))
        stream.on("close", lambda name=name: order.append((name, "close")))

    done = asyncio.ensure_future(pipeline(read, write_stream))
    read.push("hello")
    with pytest.raises(RuntimeError) as info:
        await asyncio.wait_for(done, 2)
    assert info.value is kaboom
    order.append(("pipeline", "raised"))
    await ticks()

    assert read.destroyed is True
    assert write_stream.destroyed is True
    assert order == [
        ("write", "error", kaboom),
        ("write", "close"),
        ("read", "error", kaboom),
        ("read", "close"),
        ("pipeline", "raised"),
    ]


async def test_error_on_the_tenth_write_stops_an_endless_source():
    rs = make_readable(lambda size: rs.push("hello"))
    writes = 0

    def write(chunk, cb):
        nonlocal writes
        writes += 1
        if writes == 10:
            cb(RuntimeError("kaboom"))
        else:
            cb()

    ws = make_writable(write)
    rs_closes, ws_closes, rs_errors = Calls(), Calls(), Calls()
    rs.on("close", rs_closes)
    ws.on("close", ws_closes)
    rs.on("error", rs_errors)

    with pytest.raises(RuntimeError, match="kaboom"):
        await asyncio.wait_for(pipeline(rs, ws), 2)
    await ticks()
    assert writes == 10
    assert rs_closes.count == 1
    assert ws_closes.count == 1
    assert rs_errors.count == 1


async def test_pipeline_of_an_already_ended_empty_source_completes_and_closes_it():
    src = make_readable()
    src.push(None)
    closes = Calls()
    src.on("close", closes)
    dst = make_writable(lambda chunk, cb: cb())
    finish = event(dst, "finish")

    await asyncio.wait_for(pipeline(src, dst), 2)
    assert finish.done()
    assert closes.count == 1

