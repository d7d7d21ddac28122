"""The account's last part: the verdict, its evidence and advice, for each kind of run.

The summaries here are built by hand (a judged verdict needs a copy long enough to be
slow); the story comes from an explainer fed the pump's events. Derived numbers are
checked against the arithmetic the text says it did.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from bpcopy.diagnostics.explain import Explainer, RunSetup
from bpcopy.diagnostics.summary import JUDGE_MIN_S
from bpcopy.render.explanation import MAX_LINES, WIDTH, explanation_lines

MIB = 1024 * 1024


def pump_story(setup: RunSetup, chunks: int, size: int, drain_after: float = 0.002,
               writable_growth: bool = False) -> Any:
    explaining = Explainer(setup)
    t = 0.0
    explaining.resume(t, 1)
    for seq in range(1, chunks + 1):
        paused = setup.mode != "none"
        if paused:
            explaining.pause(t, seq)
        writable = size * seq if writable_growth else size
        explaining.chunk(t, seq, size, False, 0, writable, True, paused, seq - 1,
                         seq if paused else 0, 0)
        t += drain_after
        if not writable_growth:
            explaining.drain(t, seq, 0, size)
            if paused:
                explaining.resume(t, seq + 1)
    explaining.event("end", t, {"bytes": chunks * size})
    explaining.event("finish", t, {"bytes": chunks * size})
    return explaining.story()


def summary_for(story: Any, elapsed: float, verdict: str, **changes: Any) -> dict[str, Any]:
    summary = {
        "bytes": story.bytes, "chunks": story.chunks, "elapsed_s": elapsed,
        "pauses": story.pauses, "resumes": story.resumes, "drains": story.drains,
        "paused_s": elapsed * 0.9, "max_writable_length": story.setup.write_hwm,
        "max_readable_length": 0, "readable_high_water_mark": story.setup.read_hwm,
        "writable_high_water_mark": story.setup.write_hwm, "mode": story.setup.mode,
        "verdict": verdict, "ok": True, "error": None,
    }
    summary.update(changes)
    return summary


def text_of(lines: list[str]) -> str:
    assert len(lines) <= MAX_LINES and all(len(line) <= WIDTH for line in lines)
    return re.sub(r"\s*\n\s+", " ", "\n".join(lines))


SINK_BOUND = ("sink-bound: the destination was busy 96% of the time, the source 7%; the "
              "reader sat paused for 95% of it, waiting for 'drain'")


def test_a_per_write_sink_is_advised_a_larger_read_mark_with_the_arithmetic_shown() -> None:
    setup = RunSetup("pump", 16384, 16384, sink_delay=0.002)
    story = pump_story(setup, 128, 16384)
    text = text_of(explanation_lines(story, summary_for(story, 0.5, SINK_BOUND)))
    assert SINK_BOUND in text
    assert "cost is per write (--sink-delay)" in text
    assert "128 writes spent at least 256 ms (128 x 2.00 ms) of the 500 ms" in text
    found = re.search(r"with -H (\d+)KiB, the (\d+) bytes take (\d+) writes, at least "
                      r"(\S+) ms", text)
    assert found, text
    mark, total, writes = int(found[1]) * 1024, int(found[2]), int(found[3])
    assert total == 2 * MIB and writes == -(-total // mark)
    assert float(found[4]) == pytest.approx(writes * 2.0)


def test_a_per_byte_sink_is_told_that_a_larger_mark_only_holds_more_bytes() -> None:
    setup = RunSetup("pump", 65536, 65536, sink_rate=MIB)
    story = pump_story(setup, 32, 65536, drain_after=0.0625)
    text = text_of(explanation_lines(story, summary_for(story, 2.1, SINK_BOUND)))
    assert "cost is per byte (--sink-rate)" in text
    assert "at most 1.0 MiB/s, so 2097152 bytes need about 2.00 s whatever the mark" in text
    assert "only hold more bytes in writableLength" in text


def test_a_real_sink_with_one_chunk_size_is_not_guessed_at() -> None:
    setup = RunSetup("pump", 65536, 65536)
    story = pump_story(setup, 32, 65536)
    text = text_of(explanation_lines(story, summary_for(story, 0.3, SINK_BOUND)))
    assert "cannot tell from this run whether the destination's cost is per write or per " \
           "byte: every timed write was 65536 bytes" in text
    assert "per write" in text and "per byte" in text


def test_a_source_bound_copy_says_the_writer_waited() -> None:
    setup = RunSetup("pump", 1024, 1024, source_delay=0.03)
    story = pump_story(setup, 8, 1024, drain_after=0.0001)
    verdict = ("source-bound: the destination was busy 4% of the time, the source 97%; the "
               "writer sat idle waiting for data")
    text = text_of(explanation_lines(story, summary_for(story, 0.27, verdict,
                                                        paused_s=0.0027)))
    assert verdict in text
    assert "The writer waited for data, and backpressure hardly engaged: the reader sat " \
           "paused for 1% of the copy." in text
    assert "(--source-delay): a larger read mark (--read-hwm) means fewer reads" in text


def test_none_mode_tells_how_far_past_the_mark_writable_length_went() -> None:
    setup = RunSetup("none", 65536, 65536, sink_delay=0.002)
    story = pump_story(setup, 256, 65536, drain_after=0.0001, writable_growth=True)
    peak = 255 * 65536 - 65536 // 4  # as a real run would show it: not all queued at once
    verdict = ("sink-bound: the destination was busy 100% of the time, the source 14%; "
               "nothing paused the reader")
    text = text_of(explanation_lines(story, summary_for(
        story, 0.85, verdict, max_writable_length=peak, paused_s=0.0, pauses=0)))
    found = re.search(r"writableLength peaked at (\d+) bytes \((\S+ MiB)\), (\S+) times the "
                      r"mark \((\d+) / (\d+)\)", text)
    assert found, text
    assert int(found[1]) == peak and (int(found[4]), int(found[5])) == (peak, 65536)
    assert float(found[3]) == pytest.approx(peak / 65536, abs=0.0501)
    assert ("The pump would have kept it at the mark itself (65536), since chunks are the "
            "size of the mark") in text
    assert "Nothing paused the reader" in text


def test_a_short_copy_is_too_short_to_judge_and_the_account_says_why() -> None:
    setup = RunSetup("pump", 4, 4)
    story = pump_story(setup, 16, 4, drain_after=0.00003)
    summary = summary_for(story, 0.0007, "sink-bound: the destination was busy 45% ...")
    text = text_of(explanation_lines(story, summary))
    assert "neither: too short to judge (700 µs, 16 chunks; a verdict needs 100 ms)." in text
    assert "sink-bound" not in text
    assert "before one stall cannot do that alone" in text
    judged = text_of(explanation_lines(story, {**summary, "elapsed_s": JUDGE_MIN_S}))
    assert "too short" not in judged and "sink-bound" in judged


def test_neither_end_holding_back_points_at_the_per_chunk_work() -> None:
    setup = RunSetup("pump", 65536, 65536)
    story = pump_story(setup, 16384, 65536, drain_after=0.00002)
    verdict = ("neither: the destination was busy 30% of the time, the source 25%; the "
               "rest went to moving bytes through bpcopy itself")
    text = text_of(explanation_lines(story, summary_for(story, 0.9, verdict)))
    assert verdict in text
    assert "16384 chunks one at a time" in text


def test_the_busiest_account_still_fits_one_screen() -> None:
    """Every part at its longest: slow and failing ends, pipe(), a read-ahead, a dozen
    kinds of cycle and an error. The least telling notes give way; the failure stays."""
    setup = RunSetup("pipe", 65536, 4096, source="a-long-source-name.bin",
                     sink_delay=0.002, sink_rate=MIB, sink_jitter=0.001, source_delay=0.001,
                     source_rate=8 * MIB, sink_fail_after=10 * MIB)
    explaining = Explainer(setup)
    t = 0.0
    explaining.resume(t, 1)
    for seq in range(1, 3001):
        size = 65536 - (seq % 12) * 512
        t += 0.001
        explaining.pause(t, seq)
        explaining.chunk(t, seq, size, False, 0, size, True, True, seq - 1, seq, 0)
        explaining.drain(t + 0.0005, seq, 0, 65536 if seq % 3 else 0)
        explaining.resume(t + 0.0006, seq + 1)
    explaining.event("error", t, {"message": "[Errno 5] Input/output error: 'out.bin'"})
    story = explaining.story()
    summary = summary_for(story, 3.5, SINK_BOUND, ok=False,
                          error="'out.bin': Input/output error",
                          max_writable_length=65536)
    lines = explanation_lines(story, summary)
    assert len(lines) <= MAX_LINES and all(len(line) <= WIDTH for line in lines)
    text = text_of(lines)
    assert "The copy stopped at chunk 3000" in text
    assert SINK_BOUND in text


def test_a_source_bound_copy_that_still_paused_a_lot_does_not_say_hardly() -> None:
    setup = RunSetup("pump", 1024, 1024)
    story = pump_story(setup, 8, 1024, drain_after=0.01)
    verdict = ("source-bound: the destination was busy 30% of the time, the source 80%; "
               "the writer sat idle waiting for data")
    text = text_of(explanation_lines(story, summary_for(story, 0.5, verdict, paused_s=0.2)))
    assert "hardly" not in text
    assert "the reader still sat paused for 40% of the copy, waiting for 'drain'" in text


def test_evenly_matched_ends_are_not_blamed_on_bpcopy() -> None:
    setup = RunSetup("pump", 65536, 65536)
    story = pump_story(setup, 2048, 65536, drain_after=0.0001)
    verdict = ("neither: both sides were busy (the destination was busy 60% of the time, "
               "the source 55%); they were evenly matched")
    text = text_of(explanation_lines(story, summary_for(story, 0.4, verdict)))
    assert "neither held the copy back alone" in text
    assert "moving the bytes through bpcopy" not in text


def test_the_account_asks_the_streams_rules_rather_than_comparing_itself(monkeypatch
                                                                         ) -> None:
    from bpcopy.render import explanation

    setup = RunSetup("pump", 4, 4)
    story = pump_story(setup, 4, 4, drain_after=0.00003)
    summary = summary_for(story, 0.0007, "neither: masked")
    told = text_of(explanation_lines(story, summary))
    assert "so write() returned false" in told and "after a false write" in told
    # With the rules answering otherwise, the account follows them.
    monkeypatch.setattr(explanation, "write_accepts_more", lambda length, mark: True)
    monkeypatch.setattr(explanation, "drain_due", lambda need_drain, length: False)
    told = text_of(explanation_lines(story, summary))
    assert "less than writableHighWaterMark (4), so write() returned true" in told
    assert "the buffer emptied after a false write" not in told


PIPE_TO_GZIP = {"kind": "pipe", "capacity": 65536, "max_queued": 65536,
                "full_fraction": 0.9011, "empty_fraction": 0.0038,
                "processes": [{"pid": 15228, "command": "gzip -9", "peak_rss": 1781760}]}
PIPE_FROM_TAR = {"kind": "pipe", "capacity": 65536, "max_queued": 65536,
                 "full_fraction": 0.9357, "empty_fraction": 0.0471,
                 "processes": [{"pid": 15226, "command": "tar cf - -C /usr lib/python3",
                                "peak_rss": 2801664}]}


def test_in_a_pipeline_the_kernels_buffers_and_the_slow_program_are_told() -> None:
    setup = RunSetup("pump", 65536, 65536, source="stdin", destination="stdout")
    story = pump_story(setup, 708, 65536, drain_after=0.04)
    verdict = ("sink-bound: gzip -9 (pid 15228) reads slowly: the pipe to it was full 90% "
               "of the time")
    text = text_of(explanation_lines(story, summary_for(
        story, 33.1, verdict, upstream=PIPE_FROM_TAR, downstream=PIPE_TO_GZIP)))
    assert ("The kernel's pipe to gzip -9 (pid 15228) was full 90% of the time, empty 0%, "
            "and held up to 65536 bytes.") in text
    assert ("The kernel's pipe from tar cf - -C /usr lib/python3 (pid 15226) was full 94% "
            "of the time, empty 5%, and held up to 65536 bytes.") in text
    assert verdict in text
    assert "That program sets the pace" in text and "--pipe-size" in text
    assert "cannot tell" not in text  # the kernel's buffers told


def test_a_slow_producer_in_a_pipeline_is_told_as_the_pace_setter() -> None:
    setup = RunSetup("pump", 65536, 65536, source="stdin", destination="stdout")
    story = pump_story(setup, 64, 65536, drain_after=0.0001)
    verdict = ("source-bound: tar (pid 812) writes slowly: the pipe from it was empty 90% "
               "of the time")
    empty_pipe = {**PIPE_FROM_TAR, "full_fraction": 0.01, "empty_fraction": 0.9}
    text = text_of(explanation_lines(story, summary_for(story, 2.0, verdict,
                                                        upstream=empty_pipe)))
    assert "The kernel's buffer from that program stayed empty" in text
    assert "empty 90%" in text
