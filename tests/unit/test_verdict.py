"""The verdict (bpcopy.diagnostics.summary.judge): which side held the copy back.

Each branch, and each threshold on both sides of its edge. The edges are built from the
module's own thresholds with math.nextafter, so "just above" and "just below" are the
nearest floats to the threshold and the tests pin which side of it is inclusive.
"""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bpcopy.diagnostics.summary import _DOMINANCE, _SHARE, judge

ELAPSED = 1.0  # with one second, a busy time is its own share of the copy, exactly
ABOVE = math.inf
BELOW = -math.inf


def kind(verdict: str) -> str:
    return verdict.split(":", 1)[0]


# -- the thresholds are what the module's docstring promises ---------------------------


def test_a_side_is_blamed_only_when_clearly_busier_and_busy_for_a_real_share():
    assert _DOMINANCE > 1.0
    assert 0.0 < _SHARE < 1.0


# -- no measurable time -----------------------------------------------------------------


@pytest.mark.parametrize("elapsed", [0.0, -0.5])
def test_a_copy_that_took_no_measurable_time_blames_neither_side(elapsed):
    verdict = judge(elapsed, source_busy_s=3.0, sink_busy_s=9.0, paused_s=1.0)
    assert verdict == "neither: the copy took no measurable time"


def test_the_smallest_positive_elapsed_time_is_judged_by_shares():
    tiny = math.nextafter(0.0, ABOVE)
    verdict = judge(tiny, source_busy_s=0.0, sink_busy_s=tiny, paused_s=0.0)
    assert kind(verdict) == "sink-bound"


# -- sink-bound -------------------------------------------------------------------------


def test_a_sink_busier_by_more_than_the_dominance_factor_is_sink_bound():
    source = 0.25
    sink = math.nextafter(_DOMINANCE * source, ABOVE)
    assert sink / ELAPSED >= _SHARE
    verdict = judge(ELAPSED, source_busy_s=source, sink_busy_s=sink, paused_s=0.0)
    assert kind(verdict) == "sink-bound"


def test_a_sink_busier_by_exactly_the_dominance_factor_is_not_blamed():
    source = 0.25
    sink = _DOMINANCE * source
    verdict = judge(ELAPSED, source_busy_s=source, sink_busy_s=sink, paused_s=0.0)
    assert kind(verdict) == "neither"


def test_a_dominant_sink_busy_for_exactly_the_share_is_sink_bound():
    sink = _SHARE * ELAPSED
    source = sink / (2 * _DOMINANCE)
    verdict = judge(ELAPSED, source_busy_s=source, sink_busy_s=sink, paused_s=0.0)
    assert kind(verdict) == "sink-bound"


def test_a_dominant_sink_busy_for_just_under_the_share_is_not_blamed():
    sink = math.nextafter(_SHARE * ELAPSED, BELOW)
    source = sink / (2 * _DOMINANCE)
    verdict = judge(ELAPSED, source_busy_s=source, sink_busy_s=sink, paused_s=0.0)
    assert verdict.startswith("neither: ")
    assert "the rest went to moving bytes through bpcopy itself" in verdict


def test_a_sink_bound_copy_whose_reader_was_paused_under_one_percent_says_nothing_paused_it():
    paused = math.nextafter(0.01 * ELAPSED, BELOW)
    verdict = judge(ELAPSED, source_busy_s=0.05, sink_busy_s=0.9, paused_s=paused)
    assert verdict == ("sink-bound: the destination was busy 90% of the time, the source 5%; "
                       "nothing paused the reader")


def test_a_sink_bound_copy_whose_reader_was_paused_one_percent_says_how_long_it_waited():
    verdict = judge(ELAPSED, source_busy_s=0.05, sink_busy_s=0.9, paused_s=0.01 * ELAPSED)
    assert verdict == ("sink-bound: the destination was busy 90% of the time, the source 5%; "
                       "the reader sat paused for 1% of it, waiting for 'drain'")


def test_the_paused_share_is_a_share_of_the_elapsed_time():
    verdict = judge(4.0, source_busy_s=0.2, sink_busy_s=3.6, paused_s=2.6)
    assert verdict == ("sink-bound: the destination was busy 90% of the time, the source 5%; "
                       "the reader sat paused for 65% of it, waiting for 'drain'")


# -- source-bound -----------------------------------------------------------------------


def test_a_source_busier_by_more_than_the_dominance_factor_is_source_bound():
    sink = 0.25
    source = math.nextafter(_DOMINANCE * sink, ABOVE)
    verdict = judge(ELAPSED, source_busy_s=source, sink_busy_s=sink, paused_s=0.0)
    assert kind(verdict) == "source-bound"
    assert verdict.endswith("; the writer sat idle waiting for data")


def test_a_source_busier_by_exactly_the_dominance_factor_is_not_blamed():
    sink = 0.25
    source = _DOMINANCE * sink
    verdict = judge(ELAPSED, source_busy_s=source, sink_busy_s=sink, paused_s=0.0)
    assert kind(verdict) == "neither"


def test_a_dominant_source_busy_for_exactly_the_share_is_source_bound():
    source = _SHARE * ELAPSED
    verdict = judge(ELAPSED, source_busy_s=source, sink_busy_s=source / (2 * _DOMINANCE),
                    paused_s=0.0)
    assert kind(verdict) == "source-bound"


def test_a_dominant_source_busy_for_just_under_the_share_is_not_blamed():
    source = math.nextafter(_SHARE * ELAPSED, BELOW)
    verdict = judge(ELAPSED, source_busy_s=source, sink_busy_s=source / (2 * _DOMINANCE),
                    paused_s=0.0)
    assert kind(verdict) == "neither"


def test_a_source_bound_verdict_ignores_how_long_the_reader_was_paused():
    quiet = judge(ELAPSED, source_busy_s=0.8, sink_busy_s=0.1, paused_s=0.0)
    paused = judge(ELAPSED, source_busy_s=0.8, sink_busy_s=0.1, paused_s=0.5)
    assert quiet == paused == ("source-bound: the destination was busy 10% of the time, "
                               "the source 80%; the writer sat idle waiting for data")


# -- neither ----------------------------------------------------------------------------


def test_two_sides_busy_for_exactly_the_share_are_evenly_matched():
    busy = _SHARE * ELAPSED
    verdict = judge(ELAPSED, source_busy_s=busy, sink_busy_s=busy, paused_s=0.0)
    assert verdict.startswith("neither: both sides were busy (")
    assert verdict.endswith("); they were evenly matched")


def test_two_busy_sides_within_the_dominance_factor_are_evenly_matched():
    verdict = judge(ELAPSED, source_busy_s=0.5, sink_busy_s=_DOMINANCE * 0.5, paused_s=0.0)
    assert verdict == ("neither: both sides were busy (the destination was busy 75% of the "
                       "time, the source 50%); they were evenly matched")


def test_a_side_just_under_the_share_is_not_busy_enough_to_be_evenly_matched():
    busy = math.nextafter(_SHARE * ELAPSED, BELOW)
    verdict = judge(ELAPSED, source_busy_s=busy, sink_busy_s=_SHARE * ELAPSED, paused_s=0.0)
    assert verdict.startswith("neither: ")
    assert "evenly matched" not in verdict
    assert verdict.endswith("; the rest went to moving bytes through bpcopy itself")


def test_two_idle_sides_leave_the_time_to_bpcopy_itself():
    verdict = judge(2.0, source_busy_s=0.1, sink_busy_s=0.2, paused_s=1.0)
    assert verdict == ("neither: the destination was busy 10% of the time, the source 5%; "
                       "the rest went to moving bytes through bpcopy itself")


def test_a_busy_time_longer_than_the_copy_is_shown_as_100_percent():
    verdict = judge(ELAPSED, source_busy_s=0.0, sink_busy_s=2.5, paused_s=0.0)
    assert "the destination was busy 100% of the time, the source 0%" in verdict


# -- properties -------------------------------------------------------------------------

busy_times = st.floats(min_value=0.0, max_value=1e6, allow_nan=False)
elapsed_times = st.floats(min_value=1e-9, max_value=1e6, allow_nan=False)


@given(elapsed=elapsed_times, source=busy_times, sink=busy_times, paused=busy_times)
def test_the_verdict_blames_the_sink_exactly_when_both_thresholds_say_so(elapsed, source,
                                                                         sink, paused):
    verdict = judge(elapsed, source, sink, paused)
    assert kind(verdict) in ("sink-bound", "source-bound", "neither")
    sink_blamed = sink > _DOMINANCE * source and sink / elapsed >= _SHARE
    source_blamed = source > _DOMINANCE * sink and source / elapsed >= _SHARE
    assert (kind(verdict) == "sink-bound") == sink_blamed
    assert (kind(verdict) == "source-bound") == source_blamed


@given(elapsed=elapsed_times, source=busy_times, sink=busy_times)
def test_swapping_the_sides_swaps_the_blame(elapsed, source, sink):
    forward = kind(judge(elapsed, source, sink, 0.0))
    backward = kind(judge(elapsed, sink, source, 0.0))
    swapped = {"sink-bound": "source-bound", "source-bound": "sink-bound",
               "neither": "neither"}
    assert backward == swapped[forward]
