"""The terminal summary and its timeline chart: snapshots at fixed widths, and the edges
(few samples, nothing copied, a failed copy, colour)."""

import re

import pytest
from render_inputs import MARK, MIB, hand_built_samples, hand_built_summary, outcome_of
from rich.cells import cell_len

from bpcopy.diagnostics.recorder import Sample
from bpcopy.render.terminal import clamp_width, render_terminal_summary

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def assert_fits(text: str, width: int) -> None:
    for line in text.splitlines():
        assert cell_len(line) <= width, f"wider than {width}: {line!r}"


def test_summary_at_80_columns_matches_snapshot(run_outcome, snapshot):
    text = render_terminal_summary(run_outcome, color=False, width=80)
    assert_fits(text, 80)
    snapshot("summary_80.txt", text)


def test_summary_at_120_columns_matches_snapshot(run_outcome, snapshot):
    text = render_terminal_summary(run_outcome, color=False, width=120)
    assert_fits(text, 120)
    snapshot("summary_120.txt", text)


def test_wide_terminals_are_held_to_120_columns_and_narrow_ones_keep_their_width():
    assert clamp_width(200) == 120
    assert clamp_width(40) == 40
    assert clamp_width(80) == 80
    assert clamp_width(5) == 20


@pytest.mark.parametrize("width", [20, 30, 40, 59, 60])
def test_a_narrow_terminal_gets_every_row_within_its_width(width):
    outcome = outcome_of(hand_built_summary(sha256="ab" * 32, verified="matched",
                                            error="'/data/in.bin': Input/output error"),
                         hand_built_samples())
    text = render_terminal_summary(outcome, color=False, width=width)
    assert_fits(text, width)
    assert "…" not in text.split("timeline")[0]  # no summary label or value is cut short
    for label in ("copied", "time", "mode", "verdict", "sha256", "error"):
        assert f"{label} " in text


def test_summary_at_40_columns_matches_snapshot(run_outcome, snapshot):
    text = render_terminal_summary(run_outcome, color=False, width=40)
    assert_fits(text, 40)
    assert "readable│" in text and "writable│" in text and "RSS│" in text
    snapshot("summary_40.txt", text)


def test_colour_adds_codes_and_nothing_else(run_outcome):
    plain = render_terminal_summary(run_outcome, color=False, width=80)
    coloured = render_terminal_summary(run_outcome, color=True, width=80)
    assert "\x1b[" not in plain
    assert "\x1b[" in coloured
    assert ANSI.sub("", coloured) == plain


def test_a_buffer_above_its_mark_shows_the_mark_low_in_the_chart(snapshot):
    # --mode none: the writable buffer grows to 40 times its mark, then drains.
    samples = [Sample(0.0, 0, 0, 20 * MIB, 0, 0)]
    samples += [Sample(i * 0.01, 0, i * MARK, 20 * MIB + i * MARK, 0, 0) for i in range(1, 41)]
    samples += [Sample(0.4 + i * 0.04, 0, (40 - i) * MARK, 60 * MIB, 0, 0) for i in range(1, 41)]
    summary = hand_built_summary(mode="none", pauses=0, resumes=1, drains=0,
                                 max_writable_length=40 * MARK, max_readable_length=0)
    text = render_terminal_summary(outcome_of(summary, samples), color=False, width=80)
    # No pauses and no drains are said in words, not drawn as empty rows.
    rows = [line.strip() for line in text.splitlines()]
    assert "drains│none" in rows
    assert "pauses│none" in rows
    snapshot("summary_over_mark_80.txt", text)


def test_a_copy_of_one_chunk_still_draws_a_chart(snapshot):
    samples = [Sample(0.0, 0, 0, 20 * MIB, 0, 0), Sample(0.0004, 0, 1000, 20 * MIB, 0, 0),
               Sample(0.0009, 0, 0, 20 * MIB, 0, 0)]
    summary = hand_built_summary(bytes=1000, chunks=1, pauses=0, resumes=1, drains=0,
                                 elapsed_s=0.0009, max_writable_length=1000,
                                 max_readable_length=0)
    text = render_terminal_summary(outcome_of(summary, samples), color=False, width=80)
    assert_fits(text, 80)
    snapshot("summary_one_chunk_80.txt", text)


def test_an_empty_copy_says_there_is_nothing_to_chart():
    samples = [Sample(0.0, 0, 0, 20 * MIB, 0, 0), Sample(0.0001, 0, 0, 20 * MIB, 0, 0)]
    summary = hand_built_summary(bytes=0, chunks=0, elapsed_s=0.0001, pauses=0, drains=0)
    text = render_terminal_summary(outcome_of(summary, samples), color=False, width=80)
    assert "copy complete" in text
    assert "nothing to chart" in text


def test_no_samples_at_all_is_not_an_error():
    text = render_terminal_summary(outcome_of(hand_built_summary(), []), color=False, width=80)
    assert "nothing to chart" in text


def test_a_failed_copy_says_so_and_charts_what_happened(snapshot):
    samples = hand_built_samples()[:60]
    summary = hand_built_summary(ok=False, bytes=3932160, elapsed_s=samples[-1][0],
                                 error="'/backup/out.bin': Input/output error")
    text = render_terminal_summary(outcome_of(summary, samples), color=False, width=80)
    assert text.startswith("bpcopy: copy FAILED")
    assert "Input/output error" in text
    snapshot("summary_failed_80.txt", text)


def test_no_line_ends_in_spaces(run_outcome):
    for color in (False, True):
        text = ANSI.sub("", render_terminal_summary(run_outcome, color=color, width=80))
        assert all(line == line.rstrip() for line in text.splitlines())


def test_a_real_small_copy_renders_within_80_columns(tmp_path):
    from bpcopy.copy import CopyOptions, run_copy

    source = tmp_path / "in.bin"
    source.write_bytes(bytes(range(256)) * 4096)  # 1 MiB
    outcome = run_copy(CopyOptions(source=str(source), dest=str(tmp_path / "out.bin"),
                                   sink_rate=32 * MIB))
    text = render_terminal_summary(outcome, color=False, width=80)
    assert_fits(text, 80)
    assert "timeline:" in text and "writable" in text and "RSS" in text
