"""The `why` reasons ask bpcopy.streams.marks, and the account's evidence rules
(too short to judge, per-write or per-byte cost) say only what the run supports."""

from __future__ import annotations

import pytest

from bpcopy.diagnostics import reasons as reasons_module
from bpcopy.diagnostics.explain import Explainer, RunSetup, sink_cost
from bpcopy.diagnostics.reasons import Reasons
from bpcopy.diagnostics.summary import JUDGE_MIN_S, judge, too_short_to_judge


def test_a_chunk_reason_compares_writable_length_with_the_mark() -> None:
    why = Reasons("pump", 4, 4)
    assert why.chunk(False, 4, True) == "writable_length 4 >= mark 4"
    assert Reasons("pump", 4, 16).chunk(True, 4, False) == "writable_length 4 < mark 16"
    assert Reasons("none", 4, 4).chunk(False, 8, False) == "writable_length 8 >= mark 4; ignored"


def test_the_reasons_come_from_the_streams_rules_not_a_copy_of_them(monkeypatch) -> None:
    asked = []

    def write_accepts_more(length: int, mark: int) -> bool:
        asked.append(("write", length, mark))
        return True

    def drain_due(need_drain: bool, length: int) -> bool:
        asked.append(("drain", need_drain, length))
        return False

    monkeypatch.setattr(reasons_module, "write_accepts_more", write_accepts_more)
    monkeypatch.setattr(reasons_module, "drain_due", drain_due)
    why = Reasons("pump", 4, 4)
    # With the rule answering otherwise, the reason follows the rule: nothing is
    # compared here on its own.
    assert why.chunk(True, 4, False) == "writable_length 4 < mark 4"
    assert why.drain(0, 0) == "writable_length 0 after a false write"
    assert asked == [("write", 4, 4), ("write", 4, 4), ("drain", True, 0)]


def test_drain_reasons_name_the_drain_condition_and_the_read_ahead() -> None:
    why = Reasons("pump", 16, 16)
    assert why.drain(0, 0) == "buffer empty after a false write"
    assert why.drain(0, 16) == ("buffer empty after a false write; read ahead to 16, "
                                "mark 16: stops")
    assert why.drain(0, 8) == "buffer empty after a false write; read ahead 8 < mark 16"


def test_pause_and_resume_reasons_follow_the_strategy_and_the_copy_so_far() -> None:
    pump, pipe = Reasons("pump", 4, 4), Reasons("pipe", 4, 4)
    assert pump.resume() == "'data' listener starts the flow"
    assert pump.pause() == "write() false: pause()"
    assert pump.resume() == "'drain': resume()"
    assert pipe.resume() == "'data' listener starts the flow"
    assert pipe.pause() == "write() false: pipe() pauses"
    assert pipe.event("end") == "source exhausted: end()"
    assert pipe.pause() == "pipe() unpipes at 'finish'"


def test_a_copy_is_too_short_to_judge_below_the_threshold_only() -> None:
    assert too_short_to_judge(0.0007)
    assert too_short_to_judge(JUDGE_MIN_S * 0.99)
    assert not too_short_to_judge(JUDGE_MIN_S)


def test_the_summarys_verdict_holds_back_on_a_short_copy() -> None:
    # The 64-byte tutorial copy: 0.7 ms, the destination busy most of it.
    assert judge(0.0007, 0.0001, 0.0006, 0.0005, chunks=16) == (
        "neither: too short to judge (700 µs, 16 chunks; a verdict needs 100 ms)")
    assert judge(0.0007, 0.0001, 0.0006, 0.0005, chunks=1).startswith(
        "neither: too short to judge (700 µs, 1 chunk;")
    # The same shares over a long enough copy are judged.
    assert judge(0.7, 0.1, 0.6, 0.5, chunks=16).startswith("sink-bound")


@pytest.mark.parametrize(("options", "kind"), [
    ({"sink_delay": 0.002}, "per write"),
    ({"sink_rate": 1 << 20}, "per byte"),
    # 2 ms a write against 64 KiB at 1 GiB/s (61 µs): the latency dominates.
    ({"sink_delay": 0.002, "sink_rate": 1 << 30}, "per write"),
    # 10 µs a write against 64 KiB at 1 MiB/s (62.5 ms): the bytes dominate.
    ({"sink_delay": 0.00001, "sink_rate": 1 << 20}, "per byte"),
    # 2 ms against 64 KiB at 32 MiB/s (1.95 ms): neither dominates.
    ({"sink_delay": 0.002, "sink_rate": 32 << 20}, "both"),
])
def test_the_sinks_cost_is_read_from_the_simulated_options(options: dict, kind: str) -> None:
    setup = RunSetup("pump", 65536, 65536, **options)
    assert sink_cost(setup, Explainer(setup).story()).kind == kind


def timed_writes(sizes_and_times: list[tuple[int, float]]) -> Explainer:
    """A pump run whose writes took the given times (from the chunk's record to 'drain')."""
    explaining = Explainer(RunSetup("pump", 1 << 20, 1 << 20))
    t, seq = 0.0, 0
    for size, seconds in sizes_and_times:
        seq += 1
        explaining.pause(t, seq)
        explaining.chunk(t, seq, size, False, 0, size, True, True, seq - 1, seq, 0)
        t += seconds
        explaining.drain(t, seq, 0, 0)
        explaining.resume(t, seq + 1)
    explaining.event("end", t, {"bytes": 0})
    return explaining


def test_write_times_that_grow_with_the_chunk_tell_a_per_byte_cost() -> None:
    # A pipe source gave 4 KiB chunks, then 64 KiB ones; the writes took 16 times longer.
    writes = [(4096, 0.001)] * 5 + [(65536, 0.016)] * 5
    explaining = timed_writes(writes)
    cost = sink_cost(explaining.setup, explaining.story())
    assert cost.kind == "per byte"
    assert cost.rate == pytest.approx(65536 / 0.016)


def test_write_times_that_stay_put_across_chunk_sizes_tell_a_per_write_cost() -> None:
    writes = [(4096, 0.002)] * 5 + [(65536, 0.0021)] * 5
    explaining = timed_writes(writes)
    cost = sink_cost(explaining.setup, explaining.story())
    assert cost.kind == "per write"
    assert cost.per_write_s == pytest.approx(0.002)


def test_one_chunk_size_cannot_tell_per_write_from_per_byte() -> None:
    explaining = timed_writes([(65536, 0.002)] * 20)
    cost = sink_cost(explaining.setup, explaining.story())
    assert cost.kind == "unknown"
    assert "65536" in cost.basis
