"""The explainer folds a copy's events into runs of alike cycles, in bounded memory.

These tests feed the explainer the calls the recorder makes (the trace-writer calls) by
hand, so each shape of event stream is exact; tests/render/test_explanation.py feeds it
real copies.
"""

from __future__ import annotations

import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpcopy.diagnostics.explain import (
    ENDING_RECORDS,
    HEAD_RUNS,
    TALLY_KINDS,
    Explainer,
    RunSetup,
    TraceTee,
)

MARK = 4


class Feed:
    """Plays the recorder: numbered chunks, with the pump's or none's events around them."""

    def __init__(self, explainer: Explainer) -> None:
        self.to = explainer
        self.t = 0.0
        self.seq = 0
        self.pauses = self.drains = self.resumes = 0
        self.to.resume(self.tick(), self.count("resumes"))

    def tick(self, step: float = 1e-5) -> float:
        self.t += step
        return self.t

    def count(self, name: str) -> int:
        setattr(self, name, getattr(self, name) + 1)
        return getattr(self, name)

    def pump_cycle(self, size: int = MARK, ahead: int = 0, drain_after: float = 1e-5,
                   writable: int | None = None) -> None:
        """pause (shown before the chunk), chunk with write() false, drain, resume."""
        self.seq += 1
        self.to.pause(self.tick(), self.count("pauses"))
        self.to.chunk(self.tick(), self.seq, size, False, 0, writable or size, True, True,
                      self.drains, self.pauses, 0)
        self.to.drain(self.tick(drain_after), self.count("drains"), 0, ahead)
        self.to.resume(self.tick(), self.count("resumes"))

    def unpaused_cycle(self, size: int = MARK, write_ok: bool = True,
                       writable: int = MARK, drain: bool = False) -> None:
        self.seq += 1
        self.to.chunk(self.tick(), self.seq, size, write_ok, 0, writable, not write_ok,
                      False, self.drains, self.pauses, 0)
        if drain:
            self.to.drain(self.tick(), self.count("drains"), 0, 0)

    def end(self, size: int) -> None:
        self.to.event("end", self.tick(), {"bytes": size})
        self.to.event("finish", self.tick(), {"bytes": size})


def explainer(mode: str = "pump") -> Explainer:
    return Explainer(RunSetup(mode=mode, read_hwm=MARK, write_hwm=MARK))


def test_alike_cycles_fold_into_one_run_after_the_first_cycle() -> None:
    explaining = explainer()
    feed = Feed(explaining)
    for _ in range(16):
        feed.pump_cycle()
    feed.end(64)
    story = explaining.story()
    first, rest = story.runs
    assert (first.first, first.last, first.count) == (1, 1, 1)
    assert (rest.first, rest.last, rest.count) == (2, 16, 15)
    assert rest.kind == ["pause", (MARK, False, True), "drain", "resume"]
    assert (rest.events("pause"), rest.events("drain"), rest.events("resume")) == (15, 15, 15)
    assert (story.chunks, story.pauses, story.drains, story.resumes) == (16, 16, 16, 17)
    assert [record.event for record in story.first_cycle] == ["pause", "chunk", "drain",
                                                               "resume"]
    assert [record.event for record in story.opening] == ["resume"]
    assert [record.event for record in story.ending] == ["end", "finish"]


@pytest.mark.parametrize("change", ["bytes", "write_ok", "paused"])
def test_a_cycle_with_other_bytes_write_ok_or_paused_state_starts_a_new_run(change: str
                                                                            ) -> None:
    explaining = explainer()
    feed = Feed(explaining)
    for _ in range(5):
        feed.unpaused_cycle(write_ok=False)
    if change == "bytes":
        feed.unpaused_cycle(size=3, write_ok=False, writable=3)
    elif change == "write_ok":
        feed.unpaused_cycle(write_ok=True)
    else:
        feed.pump_cycle()
    for _ in range(3):
        feed.unpaused_cycle(write_ok=False)
    feed.end(36)
    spans = [(run.first, run.last) for run in explaining.story().runs]
    assert spans == [(1, 1), (2, 5), (6, 6), (7, 9)]


def test_timing_and_buffer_lengths_vary_within_a_run_and_keep_their_range() -> None:
    explaining = explainer()
    feed = Feed(explaining)
    feed.pump_cycle()
    for ahead, wait in ((0, 2e-5), (4, 9e-5), (2, 5e-5)):
        feed.pump_cycle(ahead=ahead, drain_after=wait)
    feed.end(16)
    run = explaining.story().runs[1]
    assert run.count == 3
    assert run.readable_at_drain == (0, 4)
    low, high = run.drain_after or (0.0, 0.0)
    assert low == pytest.approx(2e-5) and high == pytest.approx(9e-5)


def test_the_pause_listed_before_a_chunk_belongs_to_that_chunks_cycle() -> None:
    explaining = explainer()
    feed = Feed(explaining)
    feed.pump_cycle()
    feed.pump_cycle()
    feed.end(8)
    story = explaining.story()
    assert all(run.kind[0] == "pause" for run in story.runs)
    assert story.longest_pause is not None and story.longest_pause[1] in (1, 2)


def test_pipes_pause_after_end_is_counted_apart_from_the_cycles() -> None:
    explaining = explainer("pipe")
    feed = Feed(explaining)
    for _ in range(4):
        feed.pump_cycle()
    explaining.event("end", feed.tick(), {"bytes": 16})
    explaining.pause(feed.tick(), feed.count("pauses"))
    explaining.event("finish", feed.tick(), {"bytes": 16})
    story = explaining.story()
    assert story.pauses_after_end == 1
    assert (story.pauses, story.drains) == (5, 4)
    assert sum(run.events("pause") for run in story.all_runs) == 4
    assert [record.event for record in story.ending] == ["end", "pause", "finish"]


def test_an_error_closes_the_open_cycle_and_tells_where_the_copy_stopped() -> None:
    explaining = explainer()
    feed = Feed(explaining)
    feed.pump_cycle(size=4)
    feed.seq += 1
    explaining.pause(feed.tick(), feed.count("pauses"))
    explaining.chunk(feed.tick(), feed.seq, 4, False, 0, 4, True, True, 1, 2, 0)
    explaining.event("error", feed.tick(), {"message": "EIO"})
    story = explaining.story()
    assert story.last_seq == 2 and story.bytes == 8
    assert story.last_drained == (1, 4)  # the buffer was last empty after chunk 1
    assert [record.event for record in story.ending] == ["error"]
    assert story.runs[-1].kind == ["pause", (4, False, True)]


def test_a_copy_stopped_inside_a_cycle_still_counts_that_cycle() -> None:
    explaining = explainer()
    feed = Feed(explaining)
    for _ in range(3):
        feed.pump_cycle()
    story = explaining.story()  # no 'end' came (an interrupted copy)
    assert sum(run.count for run in story.all_runs) == 3


def test_none_mode_cycles_without_drains_fold_with_a_growing_writable_length() -> None:
    explaining = explainer("none")
    feed = Feed(explaining)
    for seq in range(1, 101):
        feed.unpaused_cycle(write_ok=False, writable=MARK * seq)
    feed.end(400)
    story = explaining.story()
    assert [(run.first, run.last) for run in story.runs] == [(1, 1), (2, 100)]
    assert story.runs[1].writable == (8, 400)
    assert story.fullest_writable == (400, 100)
    assert story.false_writes == 100


def test_runs_past_the_head_are_tallied_by_kind_in_bounded_space() -> None:
    explaining = explainer("none")
    feed = Feed(explaining)
    # Alternate two kinds, then sprinkle many more kinds: the head keeps HEAD_RUNS runs,
    # the tally at most TALLY_KINDS kinds, and every cycle is still counted.
    for seq in range(2000):
        feed.unpaused_cycle(size=1 + seq % 2, writable=1)
    for size in range(10, 40):
        feed.unpaused_cycle(size=size, writable=1)
    feed.end(0)
    story = explaining.story()
    assert len(story.runs) <= HEAD_RUNS + 1
    assert len(story.tally) <= TALLY_KINDS
    assert sum(run.count for run in story.all_runs) == story.chunks == 2030
    assert sum(run.bytes for run in story.all_runs) == story.bytes


def test_memory_stays_flat_as_the_copy_grows() -> None:
    def held_after(cycles: int) -> int:
        tracemalloc.start()
        explaining = explainer()
        feed = Feed(explaining)
        for index in range(cycles):
            feed.pump_cycle(ahead=index % 5, drain_after=1e-5 * (1 + index % 7))
        feed.end(cycles * MARK)
        story = explaining.story()
        held, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert story.chunks == cycles
        return held

    small, large = held_after(1_000), held_after(20_000)
    assert large < small + 4096, (small, large)


def test_the_ending_keeps_a_bounded_number_of_records() -> None:
    explaining = explainer("pipe")
    feed = Feed(explaining)
    feed.pump_cycle()
    explaining.event("end", feed.tick(), {"bytes": 4})
    for _ in range(100):
        explaining.pause(feed.tick(), feed.count("pauses"))
    assert len(explaining.story().ending) == ENDING_RECORDS
    assert explaining.story().pauses_after_end == 100


def test_the_tee_hands_every_call_to_both_writers() -> None:
    first, second = explainer(), explainer()
    feed = Feed(TraceTee(first, second))  # type: ignore[arg-type]
    for _ in range(3):
        feed.pump_cycle()
    feed.end(12)
    assert first.story().runs[1].count == second.story().runs[1].count == 2
    assert first.resumes == second.resumes == 4


def test_the_tallys_catch_all_keeps_counting_pauses_and_drains() -> None:
    explaining = explainer()
    feed = Feed(explaining)
    for seq in range(600):
        feed.pump_cycle(size=1 + seq % 20)  # twenty kinds, far more than the tally holds
    feed.end(0)
    story = explaining.story()
    assert any(not run.kind for run in story.tally)  # the catch-all was needed
    for token, total in (("pause", story.pauses), ("drain", story.drains),
                         ("resume", story.resumes - 1)):
        assert sum(run.events(token) for run in story.all_runs) == total == 600


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([1, 2, 4]), st.booleans(), st.booleans()),
                min_size=1, max_size=300))
def test_whatever_the_cycles_every_one_is_counted_once_in_bounded_runs(cycles) -> None:
    explaining = explainer()
    feed = Feed(explaining)
    for size, paused, drained in cycles:
        if paused:
            feed.pump_cycle(size=size)
        else:
            feed.unpaused_cycle(size=size, write_ok=not drained, drain=drained)
    feed.end(0)
    story = explaining.story()
    assert sum(run.count for run in story.all_runs) == story.chunks == len(cycles)
    assert sum(run.bytes for run in story.all_runs) == story.bytes
    assert sum(run.events("pause") for run in story.all_runs) == story.pauses
    assert sum(run.events("drain") for run in story.all_runs) == story.drains
    assert len(story.runs) <= HEAD_RUNS + 1 and len(story.tally) <= TALLY_KINDS
