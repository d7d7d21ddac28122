"""The strategies of bpcopy.pump (pump, pipe, none) joined to real bpcopy.streams on an
asyncio loop.

The source is a Readable that delivers one chunk per read on a later turn of the loop,
as a file does. The sink is a Writable that holds every write until the test completes
it, so each test decides when the device "finishes" and can watch what the strategy
does in between: pause on a false write(), resume on 'drain', or, for none, keep writing.
"""

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpcopy.pump import (
    MODES,
    BufferLimitExceeded,
    connect,
    ignore_backpressure,
    pipe,
    pump,
)
from bpcopy.streams import Readable, Writable

SAFETY_NET_S = 10.0  # a scenario that hangs fails instead of stalling the run
QUIET_TURNS = 50  # loop turns after which a stream that has not moved is waiting


class ChunkSource(Readable):
    """Delivers `chunks` one per _read, each from a later turn of the loop, then EOF."""

    def __init__(self, chunks: list[bytes], high_water_mark: int) -> None:
        super().__init__(high_water_mark)
        self._chunks = list(chunks)
        self.reads = 0

    def _read(self, size: int) -> None:
        self.reads += 1
        chunk = self._chunks.pop(0) if self._chunks else None
        self.loop.call_soon(self.push, chunk)


class HeldSink(Writable):
    """Takes each write and completes it only when the test says so."""

    def __init__(self, high_water_mark: int) -> None:
        super().__init__(high_water_mark)
        self.in_flight: list[tuple[bytes, object]] = []
        self.received = bytearray()

    def _write(self, chunk, callback) -> None:
        self.in_flight.append((bytes(chunk), callback))

    def complete_one(self) -> None:
        chunk, callback = self.in_flight.pop(0)
        self.received += chunk
        callback()


class Watch:
    """Counts a stream's events, in order."""

    def __init__(self, emitter, *names: str) -> None:
        self.seen: list[str] = []
        for name in names:
            emitter.on(name, lambda *args, name=name: self.seen.append(name))

    def count(self, name: str) -> int:
        return self.seen.count(name)


def journal(*emitters_and_names) -> list[str]:
    """One list of the named events of several streams, in the order they happen.

    Attach it before the strategy: listeners run in the order they were added, so a
    journal added later would note a 'pause' made inside a 'data' listener before the
    'data' itself."""
    steps: list[str] = []
    pairs = zip(emitters_and_names[::2], emitters_and_names[1::2], strict=True)
    for emitter, names in pairs:
        for name in names:
            emitter.on(name, lambda *args, name=name: steps.append(name))
    return steps


def run(scenario) -> None:
    async def bounded():
        await asyncio.wait_for(scenario(), SAFETY_NET_S)

    asyncio.run(bounded())


async def quiet() -> None:
    """Let every callback that is due run, so what remains is waiting for the test."""
    for _ in range(QUIET_TURNS):
        await asyncio.sleep(0)


async def complete_writes_until_finished(sink: HeldSink) -> None:
    finished = asyncio.get_running_loop().create_future()
    sink.once("finish", lambda: finished.set_result(True))
    while not finished.done():
        await quiet()
        if sink.in_flight:
            sink.complete_one()
        elif not finished.done():
            await asyncio.sleep(0)


def chunks_of(size: int, count: int) -> list[bytes]:
    return [bytes([index]) * size for index in range(count)]


# -- pump and pipe: pause on a false write, resume on 'drain' ------------------------------


@pytest.mark.parametrize("strategy", [pump, pipe])
def test_a_false_write_pauses_the_source_until_the_sink_drains(strategy):
    async def scenario():
        source = ChunkSource(chunks_of(4, 3), high_water_mark=4)
        sink = HeldSink(high_water_mark=4)
        strategy(source, sink)
        data = Watch(source, "data")
        await quiet()
        # The first chunk fills the sink to its mark: write() said false, so the source
        # paused and sends nothing more while the write is in flight.
        assert sink.last_write_ok is False
        assert source.is_paused()
        assert data.count("data") == 1
        assert sink.writable_length == 4
        await quiet()
        assert data.count("data") == 1

        drains = Watch(sink, "drain")
        sink.complete_one()
        await quiet()
        assert drains.count("drain") == 1
        assert data.count("data") == 2  # 'drain' resumed the source: one more chunk
        assert source.is_paused()

    run(scenario)


@pytest.mark.parametrize("strategy", [pump, pipe])
def test_a_source_is_not_paused_while_the_sink_is_below_its_mark(strategy):
    async def scenario():
        source = ChunkSource(chunks_of(4, 3), high_water_mark=4)
        sink = HeldSink(high_water_mark=100)
        pauses = Watch(source, "pause")
        strategy(source, sink)
        data = Watch(source, "data")
        await quiet()
        # The first write is still in flight, yet write() said true each time, so the
        # source went on: every chunk was handed to the sink.
        assert data.count("data") == 3
        assert sink.writable_length == 12
        assert pauses.count("pause") == 0
        assert not source.is_paused()

    run(scenario)


@pytest.mark.parametrize("strategy", [pump, pipe])
def test_every_chunk_pauses_once_and_drains_once_when_chunks_are_as_large_as_the_mark(
        strategy):
    async def scenario():
        chunks = chunks_of(4, 16)
        source = ChunkSource(chunks, high_water_mark=4)
        sink = HeldSink(high_water_mark=4)
        steps = journal(source, ("data", "pause"), sink, ("drain", "finish"))
        strategy(source, sink)
        await complete_writes_until_finished(sink)
        assert bytes(sink.received) == b"".join(chunks)
        copying = steps[:steps.index("finish")]
        assert copying == ["data", "pause", "drain"] * len(chunks)

    run(scenario)


@pytest.mark.parametrize("strategy", [pump, pipe])
def test_the_end_of_the_source_ends_the_sink_after_the_last_write(strategy):
    async def scenario():
        chunks = chunks_of(5, 4)
        source = ChunkSource(chunks, high_water_mark=5)
        sink = HeldSink(high_water_mark=8)
        events = Watch(sink, "finish")
        strategy(source, sink)
        await quiet()
        assert events.count("finish") == 0  # writes are in flight: not finished yet
        await complete_writes_until_finished(sink)
        assert bytes(sink.received) == b"".join(chunks)
        assert sink.writable_finished
        assert source.readable_ended

    run(scenario)


def test_pump_and_pipe_pause_and_drain_alike():
    """The two strategies that honour backpressure take the same steps for the same
    streams, up to the sink's 'finish' (pipe() does the pump's bookkeeping inside the
    stream core). After 'finish', pipe() unpipes, which may pause or resume the source
    once more; node v20 takes the same extra step."""

    def steps_of(strategy, sizes: list[int], read_mark: int, write_mark: int) -> list[str]:
        steps: list[str] = []

        async def scenario():
            source = ChunkSource([bytes(size) for size in sizes], high_water_mark=read_mark)
            sink = HeldSink(high_water_mark=write_mark)
            recorded = journal(source, ("data", "pause", "end"), sink, ("drain", "finish"))
            strategy(source, sink)
            await complete_writes_until_finished(sink)
            await quiet()
            steps.extend(recorded)
            steps.append(f"received {len(sink.received)} bytes")

        run(scenario)
        return steps

    for sizes, read_mark, write_mark in [([4] * 8, 4, 4), ([3, 9, 1, 7], 9, 5),
                                         ([10] * 5, 10, 25)]:
        pumped = steps_of(pump, sizes, read_mark, write_mark)
        piped = steps_of(pipe, sizes, read_mark, write_mark)
        assert "pause" in pumped and "drain" in pumped
        finish = pumped.index("finish")
        assert piped[:finish + 1] == pumped[:finish + 1]
        assert piped[-1] == pumped[-1]  # the same number of bytes arrived


# -- none: write regardless, up to --max-buffer ----------------------------------------------


def test_none_writes_every_chunk_whatever_write_says():
    async def scenario():
        chunks = chunks_of(4, 10)
        source = ChunkSource(chunks, high_water_mark=4)
        sink = HeldSink(high_water_mark=4)
        pauses = Watch(source, "pause")
        ignore_backpressure(source, sink, max_buffer=1000)
        data = Watch(source, "data")
        await quiet()
        assert sink.last_write_ok is False
        assert data.count("data") == len(chunks)
        assert sink.writable_length == 4 * len(chunks)
        assert pauses.count("pause") == 0
        await complete_writes_until_finished(sink)
        assert bytes(sink.received) == b"".join(chunks)

    run(scenario)


def test_none_may_buffer_exactly_max_buffer_bytes():
    async def scenario():
        chunks = chunks_of(4, 10)
        source = ChunkSource(chunks, high_water_mark=4)
        sink = HeldSink(high_water_mark=4)
        errors = []
        sink.on("error", errors.append)
        ignore_backpressure(source, sink, max_buffer=40)
        await quiet()
        assert sink.writable_length == 40
        assert not sink.destroyed
        await complete_writes_until_finished(sink)
        assert bytes(sink.received) == b"".join(chunks)
        assert errors == []
        assert sink.errored is None and source.readable_ended

    run(scenario)


def test_none_stops_both_streams_once_the_sink_holds_more_than_max_buffer():
    async def scenario():
        source = ChunkSource(chunks_of(4, 10), high_water_mark=4)
        sink = HeldSink(high_water_mark=4)
        errors = []
        sink.on("error", errors.append)
        closes = Watch(source, "close")
        data = Watch(source, "data")
        ignore_backpressure(source, sink, max_buffer=39)
        await quiet()
        assert sink.destroyed and source.destroyed
        assert closes.count("close") == 1
        assert data.count("data") == 10  # the tenth chunk took it to 40 bytes, over 39
        assert len(errors) == 1
        error = errors[0]
        assert isinstance(error, BufferLimitExceeded)
        assert error.code == "ERR_BPCOPY_MAX_BUFFER"
        assert str(error).startswith("--mode none buffered 40 bytes, over --max-buffer 39:")
        assert sink.errored is error

    run(scenario)


def test_none_stops_reading_once_it_has_given_up():
    async def scenario():
        source = ChunkSource(chunks_of(4, 50), high_water_mark=4)
        sink = HeldSink(high_water_mark=4)
        sink.on("error", lambda error: None)
        data = Watch(source, "data")
        ignore_backpressure(source, sink, max_buffer=10)
        await quiet()
        assert data.count("data") == 3
        reads_when_stopped = source.reads
        await quiet()
        assert source.reads == reads_when_stopped
        assert data.count("data") == 3

    run(scenario)


# -- connect ---------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_every_mode_named_in_modes_copies_every_byte(mode):
    async def scenario():
        chunks = chunks_of(7, 9)
        source = ChunkSource(chunks, high_water_mark=7)
        sink = HeldSink(high_water_mark=10)
        connect(mode, source, sink, max_buffer=1 << 20)
        await complete_writes_until_finished(sink)
        assert bytes(sink.received) == b"".join(chunks)

    run(scenario)


@pytest.mark.parametrize(("mode", "pauses_expected"), [("pump", True), ("pipe", True),
                                                       ("none", False)])
def test_connect_joins_with_the_strategy_it_is_named_for(mode, pauses_expected):
    async def scenario():
        source = ChunkSource(chunks_of(4, 5), high_water_mark=4)
        sink = HeldSink(high_water_mark=4)
        connect(mode, source, sink, max_buffer=1 << 20)
        await quiet()
        assert source.is_paused() is pauses_expected
        assert len(sink.in_flight) == 1

    run(scenario)


def test_connect_refuses_an_unknown_mode_and_lists_the_known_ones():
    source = ChunkSource([], high_water_mark=4)
    sink = HeldSink(high_water_mark=4)
    with pytest.raises(ValueError) as raised:
        connect("stream", source, sink, max_buffer=1)
    assert str(raised.value) == "unknown mode 'stream'; expected one of pump, pipe, none"


# -- properties ------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(sizes=st.lists(st.integers(1, 64), max_size=30), read_mark=st.integers(1, 64),
       write_mark=st.integers(1, 128), mode=st.sampled_from(["pump", "pipe"]))
def test_a_strategy_that_honours_backpressure_never_lets_the_sink_hold_more_than_a_chunk_past_its_mark(  # noqa: E501
        sizes, read_mark, write_mark, mode):
    async def scenario():
        chunks = [bytes([size % 256]) * size for size in sizes]
        source = ChunkSource(chunks, high_water_mark=read_mark)
        sink = HeldSink(high_water_mark=write_mark)
        peaks = []
        source.on("data", lambda chunk: peaks.append(sink.writable_length))
        connect(mode, source, sink, max_buffer=1 << 20)
        await complete_writes_until_finished(sink)
        assert bytes(sink.received) == b"".join(chunks)
        # A chunk arrives only while the sink is below its mark, so after it is written
        # the sink holds less than mark + that chunk.
        for peak, size in zip(peaks, sizes, strict=True):
            assert peak < write_mark + size

    run(scenario)
