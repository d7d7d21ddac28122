"""Paused (pull) mode: a 'readable' listener as a Readable's only consumer.

Each case was run in node v20.20.2 with the same source (a `_read` that pushes its next
chunk from setImmediate, then null) and the event lists below are node's:
- a 'readable' listener that reads in a loop gets every chunk and then 'end';
- with both 'readable' and 'data' listeners, 'readable' wins: 'data' comes only from
  the listener's read() calls, and the stream stays not flowing;
- removing the 'readable' listener hands over to 'data', which then flows;
- once('readable') cycles read everything;
- resume() with a 'readable' listener leaves flowing false;
- read(3) in a loop takes three bytes at a time and the rest at the end.
"""

import os

from nodeport import Calls, event, make_readable, next_tick

from bpcopy.endpoints.fd import FdReadable


def source(chunks, high_water_mark):
    pending = list(chunks)
    reads = Calls(lambda size: next_tick(
        lambda: stream.push(pending.pop(0) if pending else None)))
    stream = make_readable(reads, high_water_mark=high_water_mark)
    return stream, reads


def drain_into(stream, log, n=None):
    def on_readable():
        log.append("readable")
        while (chunk := stream.read(n)) is not None:
            log.append(f"read {chunk.decode()}")
    return on_readable


async def test_a_readable_listener_alone_reads_every_chunk_and_gets_end():
    stream, reads = source([b"a", b"b", b"c"], 2)
    log = []
    stream.on("readable", drain_into(stream, log))
    await event(stream, "end")
    assert log == ["readable", "read a", "readable", "read b", "readable", "read c",
                   "readable"]
    assert reads.count == 4


async def test_readable_wins_over_data_and_data_comes_from_read():
    stream, reads = source([b"a", b"b", b"c", b"d"], 2)
    log = []
    stream.on("data", lambda chunk: log.append(f"data {chunk.decode()}"))
    stream.on("readable", drain_into(stream, log))
    await event(stream, "end")
    assert log == ["readable", "data a", "read a", "readable", "data b", "read b",
                   "readable", "data c", "read c", "readable", "data d", "read d",
                   "readable"]
    assert stream.readable_flowing is False
    assert reads.count == 5


async def test_removing_the_readable_listener_hands_over_to_data():
    stream, reads = source([b"a", b"b", b"c", b"d"], 2)
    log = []
    stream.on("data", lambda chunk: log.append(f"data {chunk.decode()}"))

    def on_readable():
        log.append("readable")
        stream.off("readable", on_readable)

    stream.on("readable", on_readable)
    await event(stream, "end")
    assert log == ["readable", "data a", "data b", "data c", "data d"]
    assert stream.readable_flowing is True
    assert reads.count == 5


async def test_once_readable_cycles_read_everything():
    stream, reads = source([b"a", b"b", b"c"], 2)
    log = []
    drain = drain_into(stream, log)

    def step():
        drain()
        if not stream.readable_ended:
            stream.once("readable", step)

    stream.once("readable", step)
    await event(stream, "end")
    assert log == ["readable", "read a", "readable", "read b", "readable", "read c",
                   "readable"]
    assert reads.count == 4


async def test_resume_does_not_flow_while_a_readable_listener_is_attached():
    stream, _ = source([b"a"], 2)
    log = []
    stream.on("readable", drain_into(stream, log))
    stream.resume()
    assert stream.readable_flowing is False
    await event(stream, "end")
    assert log == ["readable", "read a", "readable"]


async def test_read_n_in_pull_mode_takes_n_bytes_at_a_time_then_the_rest():
    stream, reads = source([b"abcdefgh", b"ijklmnop"], 4)
    log = []

    def on_readable():
        while (chunk := stream.read(3)) is not None:
            log.append(chunk.decode())
        log.append("|")

    stream.on("readable", on_readable)
    await event(stream, "end")
    assert log == ["abc", "def", "|", "ghi", "jkl", "mno", "|", "p", "|"]
    assert reads.count == 3


async def test_a_file_read_in_pull_mode_arrives_whole(tmp_path):
    data = os.urandom(5 * 65536 + 123)
    path = tmp_path / "source"
    path.write_bytes(data)
    stream = FdReadable(os.open(path, os.O_RDONLY), str(path))
    received = []
    stream.on("readable", lambda: received.append(stream.read() or b""))
    await event(stream, "end")
    assert b"".join(received) == data
    assert stream.destroyed
