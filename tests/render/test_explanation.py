"""The --explain account, told from real copies: its numbers are the summary's and the
trace's, it fits one screen, and its wording is pinned by snapshots.

Each copy runs in this process over real files (bpcopy.copy.run_copy), with a JSON Lines
trace and the explainer fed the same calls. Snapshots mask what derives from time: every
time in the story and the summary is set to MASKED_S (it shows as 9.99 ms), and so is
the choice of the longest pause, so only the shape of the run decides the text.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import re
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from bpcopy.copy import CopyOptions, run_copy
from bpcopy.diagnostics.explain import Explainer, Record, RunSetup, Story, TraceTee
from bpcopy.render.explanation import MAX_LINES, WIDTH, explanation_lines
from bpcopy.render.trace import JsonLinesTrace

TUTORIAL_FILE = b"0123456789abcdef" * 4  # the tutorial's 64-byte input
MASKED_S = 0.00999


def explained_copy(source: Path | str, dest: Path, mode: str = "pump", read_hwm: int = 4,
                   write_hwm: int = 4, source_name: str | None = None, **slow: Any
                   ) -> SimpleNamespace:
    """Copy for real with a trace and the explainer; return what each of them saw."""
    setup = RunSetup(mode=mode, read_hwm=read_hwm, write_hwm=write_hwm,
                     source=source_name or Path(source).name, destination=dest.name,
                     **slow)
    explainer = Explainer(setup)
    trace_text = io.StringIO()
    outcome = run_copy(CopyOptions(
        source=str(source), dest=str(dest), read_hwm=read_hwm, write_hwm=write_hwm,
        mode=mode, trace=TraceTee(JsonLinesTrace(trace_text), explainer), **slow))
    story = explainer.story()
    records = [json.loads(line) for line in trace_text.getvalue().splitlines()]
    return SimpleNamespace(setup=setup, story=story, summary=outcome.summary,
                           records=records,
                           lines=explanation_lines(story, outcome.summary))


@pytest.fixture
def tutorial_file(tmp_path: Path) -> Path:
    path = tmp_path / "in64.txt"
    path.write_bytes(TUTORIAL_FILE)
    return path


def hello_through_a_pipe(tmp_path: Path) -> SimpleNamespace:
    """`printf Hello | bpcopy - out.txt --write-hwm 4`: the source is a real pipe."""
    read_end, write_end = os.pipe()
    writer = threading.Thread(target=lambda: (os.write(write_end, b"Hello"),
                                              os.close(write_end)))
    writer.start()
    try:
        return explained_copy(f"/proc/self/fd/{read_end}", tmp_path / "out.txt",
                              read_hwm=65536, write_hwm=4, source_name="-")
    finally:
        writer.join()
        os.close(read_end)


# -- every number in the account is the summary's or the trace's -------------------------

_DURATION = re.compile(r"\d+(?:\.\d+)? (?:ns|µs|ms|s)\b")
_PERCENT = re.compile(r"\d+%")
_INTEGER = re.compile(r"(?<![\w.])\d+(?![\w.]*\d)")


def durations_in(text: str) -> list[str]:
    return _DURATION.findall(text)


def integers_in(text: str) -> list[int]:
    """The plain integers of the text: not in durations, percentages, sizes such as
    "16.0 KiB", step numbers, options such as "-H 64KiB" or quoted file names."""
    text = re.sub(r"'[^' ]*[/.][^' ]*'", " ", text)
    text = _DURATION.sub(" ", _PERCENT.sub(" ", text))
    text = re.sub(r"\(\d+(?:\.\d+)? [KMG]iB\)|\d+(?:\.\d+)? [KMG]iB/s", " ", text)
    text = re.sub(r"-H \d+[KMG]iB", " ", text)
    text = re.sub(r"^\s*\d+\. ", " ", text, flags=re.MULTILINE)
    return [int(number) for number in _INTEGER.findall(text)]


def known_numbers(run: SimpleNamespace) -> set[int]:
    """Every number the summary and the trace show, and the options' own."""
    known = {value for value in run.summary.values() if isinstance(value, int)}
    known |= {value for value in dataclasses.asdict(run.setup).values()
              if isinstance(value, int)}
    for record in run.records:
        known |= {value for key, value in record.items()
                  if isinstance(value, int) and not isinstance(value, bool) and key != "rss"}
    return known


def paragraphs(lines: list[str]) -> str:
    """The account with its wrapping undone, so sentences can be matched whole."""
    return re.sub(r"\s*\n\s+", " ", "\n".join(lines))


def assert_every_number_is_measured(run: SimpleNamespace) -> None:
    text = "\n".join(run.lines)
    unknown = [number for number in integers_in(text)
               if number not in known_numbers(run) and number not in (1,)]
    assert not unknown, f"numbers in the account that no record shows: {unknown}\n{text}"


def chunk_records(run: SimpleNamespace) -> list[dict]:
    return [record for record in run.records if record["event"] == "chunk"]


def assert_first_cycle_matches_the_trace(run: SimpleNamespace) -> None:
    text = paragraphs(run.lines)
    first = chunk_records(run)[0]
    delivered = re.search(r"emitted 'data' with chunk (\d+): (\d+) bytes", text)
    assert delivered and (int(delivered[1]), int(delivered[2])) == (first["seq"],
                                                                      first["bytes"])
    became = re.search(r"writableLength became (\d+)[^.]*?writableHighWaterMark \((\d+)\), "
                       r"so write\(\) returned (true|false)", text)
    assert became, text
    assert int(became[1]) == first["writable_length"]
    assert int(became[2]) == run.summary["writable_high_water_mark"]
    assert (became[3] == "true") == first["write_ok"]
    came = re.search(r"'drain' came (\S+ \S+) after the chunk's record", text)
    after_first = run.records[run.records.index(first) + 1:]
    before_second = after_first[:next((index for index, record in enumerate(after_first)
                                       if record["event"] == "chunk"), len(after_first))]
    drain = next((record for record in before_second if record["event"] == "drain"), None)
    assert (came is None) == (drain is None), text
    if came and drain:
        assert_duration_matches(came[1], drain["t"] - first["t"])


def assert_duration_matches(shown: str, seconds: float) -> None:
    """A shown duration is the trace's difference of times, to the trace's microsecond."""
    value, unit = shown.split()
    scale = {"ns": 1e-9, "µs": 1e-6, "ms": 1e-3, "s": 1.0}[unit]
    rounding = 0.5 * 10 ** -(len(value.split(".")[1]) if "." in value else 0) * scale
    assert abs(float(value) * scale - seconds) <= rounding + 2e-6, (shown, seconds)


def assert_counts_match_the_summary(run: SimpleNamespace) -> None:
    text = paragraphs(run.lines)
    summary = run.summary
    assert f"highWaterMark is {summary['readable_high_water_mark']}." in text
    assert f"writableLength reaches {summary['writable_high_water_mark']}," in text
    folded = re.search(r"Chunks (\d+) to (\d+) repeated this cycle: (\d+) pauses?, "
                       r"(\d+) drains?", text)
    if folded:
        first, last, pauses, drains = map(int, folded.groups())
        chunks = {record["seq"] for record in chunk_records(run)}
        assert {first, last} <= chunks
        # The first cycle is told step by step; the fold covers every other chunk here.
        assert (first, last) == (2, summary["chunks"])
        assert pauses == summary["pauses"] - 1 - (summary["mode"] == "pipe")
        assert drains == summary["drains"] - 1
    resumes = re.search(r"resume\(\) ran (\d+) times for (\d+) drains?", text)
    if resumes:
        assert (int(resumes[1]), int(resumes[2])) == (summary["resumes"], summary["drains"])
    verdict = re.search(r"too short to judge \((\S+ \S+), (\d+) chunks?", text)
    assert verdict, text
    assert f"{summary['verdict']}." in text  # the summary's verdict, word for word
    assert_duration_matches(verdict[1], summary["elapsed_s"])
    assert int(verdict[2]) == summary["chunks"]


def test_the_tutorials_read_with_mark_4_is_told_with_its_own_numbers(
        tutorial_file: Path, tmp_path: Path) -> None:
    run = explained_copy(tutorial_file, tmp_path / "out.txt", read_hwm=4, write_hwm=65536)
    assert run.summary["chunks"] == 16 and run.summary["pauses"] == 0
    assert_every_number_is_measured(run)
    assert_first_cycle_matches_the_trace(run)
    assert_counts_match_the_summary(run)
    text = paragraphs(run.lines)
    assert "write() returned true" in text
    assert "So the pump did not pause: readableFlowing stays true" in text


def test_the_tutorials_hello_into_write_mark_4_is_told_with_its_own_numbers(
        tmp_path: Path) -> None:
    run = hello_through_a_pipe(tmp_path)
    assert (run.summary["chunks"], run.summary["max_writable_length"]) == (1, 5)
    assert_every_number_is_measured(run)
    assert_first_cycle_matches_the_trace(run)
    assert_counts_match_the_summary(run)
    text = paragraphs(run.lines)
    assert "writableLength became 5, not less than writableHighWaterMark (4)" in text
    assert "the buffer emptied after a false write" in text


def test_the_tutorials_pump_with_marks_4_and_4_is_told_with_its_own_numbers(
        tutorial_file: Path, tmp_path: Path) -> None:
    run = explained_copy(tutorial_file, tmp_path / "out.txt")
    assert (run.summary["chunks"], run.summary["pauses"], run.summary["drains"]) == (16, 16,
                                                                                      16)
    assert_every_number_is_measured(run)
    assert_first_cycle_matches_the_trace(run)
    assert_counts_match_the_summary(run)
    assert "Chunks 2 to 16 repeated this cycle: 15 pauses, 15 drains." in paragraphs(run.lines)


@pytest.mark.parametrize("mode", ["pipe", "none"])
def test_pipe_and_none_on_the_tutorials_file_are_told_with_their_own_numbers(
        mode: str, tutorial_file: Path, tmp_path: Path) -> None:
    run = explained_copy(tutorial_file, tmp_path / "out.txt", mode=mode)
    assert_every_number_is_measured(run)
    assert_first_cycle_matches_the_trace(run)
    assert_counts_match_the_summary(run)


def test_a_failed_copy_says_where_it_stopped(tmp_path: Path) -> None:
    source = tmp_path / "in.bin"
    source.write_bytes(os.urandom(4 * 65536))
    run = explained_copy(source, tmp_path / "out.bin", read_hwm=65536, write_hwm=65536,
                         sink_fail_after=100_000)
    assert run.summary["ok"] is False
    assert_every_number_is_measured(run)
    text = paragraphs(run.lines)
    stopped = re.search(r"The copy stopped at chunk (\d+), with (\d+) bytes read: (.+?)\. "
                        r"The last 'drain' came after chunk (\d+): .* the first (\d+) bytes "
                        "had been written", text)
    assert stopped, text
    chunks = chunk_records(run)
    assert int(stopped[1]) == chunks[-1]["seq"]
    assert int(stopped[2]) == run.summary["bytes"]
    assert stopped[3] == run.summary["error"]
    drains = [record for record in run.records if record["event"] == "drain"]
    last_before_drain = [record for record in chunks if record["t"] <= drains[-1]["t"]][-1]
    assert int(stopped[4]) == last_before_drain["seq"]
    assert int(stopped[5]) == sum(record["bytes"] for record in chunks
                                  if record["seq"] <= last_before_drain["seq"])


# -- it fits one screen, however long the copy -------------------------------------------


def screen_lines(lines: list[str], width: int = WIDTH) -> int:
    """Lines on a terminal of `width` columns, wrapped lines counted."""
    return sum(max(1, -(-len(line) // width)) for line in lines)


def test_sixteen_chunks_and_sixteen_thousand_fit_the_same_screen(tmp_path: Path) -> None:
    small = tmp_path / "in64.txt"
    small.write_bytes(TUTORIAL_FILE)
    large = tmp_path / "in64k.bin"
    large.write_bytes(os.urandom(65536))
    for source, chunks in ((small, 16), (large, 16384)):
        run = explained_copy(source, tmp_path / "out.bin")
        assert run.summary["chunks"] == chunks
        assert all(len(line) <= WIDTH for line in run.lines)
        assert screen_lines(run.lines) <= MAX_LINES
        assert screen_lines(run.lines, 80) <= 40


# -- snapshots ----------------------------------------------------------------------------


def masked(story: Story, summary: dict[str, Any]) -> tuple[Story, dict[str, Any]]:
    """The story and summary with every value that derives from time set to MASKED_S."""

    def record(each: Record) -> Record:
        return dataclasses.replace(each, t=MASKED_S * (each.event == "drain"))

    runs = []
    for run in story.all_runs:
        run = run.copy()
        if run.drain_low is not None:
            run.drain_low = run.drain_high = MASKED_S
        run.cycle_low = run.cycle_high = MASKED_S
        runs.append(run)
    head, rest = runs[:len(story.runs)], runs[len(story.runs):]
    tally = rest[:len(story.tally)]
    last = rest[len(story.tally):]
    story = dataclasses.replace(
        story, opening=[record(each) for each in story.opening],
        first_cycle=[record(each) for each in story.first_cycle],
        ending=[record(each) for each in story.ending], runs=head, tally=tally,
        last_run=last[0] if last else None,
        longest_pause=None if story.longest_pause is None else (MASKED_S, 1))
    summary = {**summary, "elapsed_s": MASKED_S, "paused_s": MASKED_S,
               "throughput_bps": 0.0, "source_busy_s": 0.0, "sink_busy_s": 0.0,
               "verdict": "neither: masked"}
    return story, summary


@pytest.mark.parametrize("mode", ["pump", "pipe", "none"])
def test_the_tutorials_file_is_told_the_same_way_every_time(
        mode: str, tutorial_file: Path, tmp_path: Path, snapshot) -> None:
    run = explained_copy(tutorial_file, tmp_path / "out.txt", mode=mode)
    lines = explanation_lines(*masked(run.story, run.summary))
    snapshot(f"explain_tutorial_{mode}.txt", "\n".join(lines) + "\n")


def test_sixteen_thousand_alike_chunks_fold_into_one_line(tmp_path: Path, snapshot) -> None:
    source = tmp_path / "in64k.bin"
    source.write_bytes(os.urandom(65536))
    run = explained_copy(source, tmp_path / "out.bin")
    lines = explanation_lines(*masked(run.story, run.summary))
    snapshot("explain_16384_chunks_pump.txt", "\n".join(lines) + "\n")
    assert "Chunks 2 to 16384 repeated this cycle: 16383 pauses, 16383 drains." in \
        paragraphs(lines)
