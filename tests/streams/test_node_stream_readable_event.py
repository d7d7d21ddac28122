"""Ports nodejs/node test/parallel/test-stream-readable-event.js.

Attaching a 'readable' listener puts a Readable in paused mode: it gets one 'readable'
whenever there is something to take, even if the data (or the end) arrived before the
listener did, and `_read` is called only when the buffer is under the mark.

Counts compared with node v20.20.2 running the same steps (a throwaway script, not kept):
- data past the mark, not reading: `_read` 0 calls, 'readable' once, 5 bytes left in
  the buffer, flowing false;
- data under the mark, a read under way: `_read` once, 'readable' once;
- data under the mark and the end, not reading: `_read` 0 calls, 'readable' once, no
  'end' (nobody read the buffer);
- empty pushes: the test pushes '' in a stream with encoding 'utf8'; bytes here (no
  encodings in bpcopy), which v20 treats the same: ['x', 'y', 'z'] read, 'readable'
  4 times (once per non-empty chunk and once for the end), `_read` 6 times (an empty
  push asks for the next read);
- #20923: remove_all_listeners() leaves no event names; v20 also keeps flowing true,
  since the resume scheduled by the 'data' listener still runs.
"""

from nodeport import Calls, make_readable, next_tick, sleep_ms, ticks


async def test_a_late_listener_gets_readable_for_data_past_the_mark_without_reading():
    reads = Calls()
    r = make_readable(reads, high_water_mark=3)
    r.push(b"blerg")  # its 'readable' is lost: nobody listens yet

    await sleep_ms(1)
    assert r._reading is False  # what the test is about
    readables = Calls()
    r.on("readable", readables)
    await sleep_ms(10)

    assert reads.count == 0
    assert readables.count == 1
    assert r.readable_length == 5
    assert r.readable_flowing is False


async def test_a_late_listener_gets_readable_for_data_under_the_mark_while_reading():
    reads = Calls()
    r = make_readable(reads, high_water_mark=3)
    r.push(b"bl")

    await sleep_ms(1)
    assert r._reading is True
    readables = Calls()
    r.on("readable", readables)
    await sleep_ms(10)

    assert reads.count == 1
    assert readables.count == 1
    assert r.readable_length == 2


async def test_a_late_listener_gets_readable_for_the_end_under_the_mark():
    reads = Calls()
    r = make_readable(reads, high_water_mark=30)
    r.push(b"blerg")
    r.push(None)

    await sleep_ms(1)
    assert r._reading is False
    readables, ends = Calls(), Calls()
    r.on("readable", readables)
    r.on("end", ends)
    await sleep_ms(10)

    assert reads.count == 0
    assert readables.count == 1
    assert ends.count == 0  # the buffer was never read
    assert r.readable_length == 5


async def test_an_empty_push_asks_for_the_next_read():
    underlying = [b"", b"x", b"y", b"", b"z"]
    result = []
    reads = 0

    def read(size):
        nonlocal reads
        reads += 1
        next_tick(lambda: r.push(underlying.pop(0) if underlying else None))

    r = make_readable(read)

    def on_readable():
        data = r.read()
        if data is not None:
            result.append(data)

    readables = Calls(on_readable)
    ends = Calls()
    r.on("readable", readables)
    r.on("end", ends)
    await ticks(40)

    assert ends.count == 1
    assert result == [b"x", b"y", b"z"]
    assert readables.count == 4
    assert reads == 6


async def test_remove_all_listeners_leaves_no_event_names():  # nodejs/node#20923
    r = make_readable()
    r.on("data", lambda chunk: None)
    r.remove_all_listeners()
    assert r.event_names() == []
    await ticks()
    assert r.readable_flowing is True
