"""The end-of-copy summary for a terminal: the summary table, then the picture of the run.

The picture is a timeline in text: the readable and the writable buffer over time against
their marks, in a pipeline the kernel's buffer at each end against its capacity, the
drains and pauses per slice of time, and RSS, on one shared time axis.
It uses up to 120 columns and fits any terminal down to 20: below 60 columns labels and
sizes are abbreviated (64.0K for 64.0 KiB), never wrapped.

It receives the summary dict and the timeline samples; it knows nothing of streams, and
prints nothing: the caller writes the returned string. rich is imported here, after the
copy, never on the way to the first byte.
"""

from __future__ import annotations

import io
import math
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from bpcopy.render.summary_text import short_size, summary_rows
from bpcopy.render.timeline import (
    KERNEL_FIELDS,
    Column,
    Sample,
    duration_of,
    fold_into_columns,
    samples_of,
)
from bpcopy.units import format_duration, format_size

MIN_WIDTH = 20
NARROW_WIDTH = 60  # below this, labels and sizes are abbreviated
MAX_WIDTH = 120
LABEL_WIDTH = 10  # room for "1023.9 KiB" beside a chart row
NARROW_LABEL_WIDTH = 8  # room for "readable" and "1023.9K"
MIN_PLOT_WIDTH = 8
BUFFER_ROWS = 4  # 32 levels of eighth blocks
KERNEL_ROWS = 2  # 16 levels: a kernel buffer is mostly full or empty, rarely between
NARROW_KERNEL_LABELS = {"upstream": "upstream", "downstream": "down"}  # 8 cells at most
RSS_ROWS = 3
BLOCKS = " ▁▂▃▄▅▆▇█"
MARK_CELL = "┄"

STYLE = {
    "readable": "blue",
    "writable": "magenta",
    "upstream": "bright_blue",  # the pipe that feeds the readable
    "downstream": "bright_magenta",  # the pipe the writable feeds
    "over_mark": "bright_red",
    "mark": "yellow",
    "drains": "cyan",
    "pauses": "red",
    "rss": "green",
    "axis": "dim",
    "label": "bold",
}


def render_terminal_summary(outcome: Any, color: bool, width: int | None = None) -> str:
    """The summary and timeline as text for stderr, with ANSI colour when `color`."""
    width = clamp_width(width if width is not None else terminal_width())
    console = make_console(width, color)
    summary = outcome.summary
    console.print(summary_title(summary))
    console.print(summary_table(summary, compact=width < NARROW_WIDTH))
    samples = samples_of(outcome)
    console.print()
    for line in timeline_lines(samples, summary, width):
        console.print(line)  # chart rows fit the width; only the notes may wrap
    output = console.file
    assert isinstance(output, io.StringIO)
    return strip_trailing_spaces(output.getvalue())


# Spaces at the end of a line, perhaps followed by the codes that reset a style.
_TRAILING_SPACES = re.compile(r" +((?:\x1b\[[0-9;]*m)*)$", re.MULTILINE)


def strip_trailing_spaces(text: str) -> str:
    """rich pads table cells to the column width; a copied summary should not carry that."""
    return _TRAILING_SPACES.sub(r"\1", text)


def terminal_width() -> int:
    try:
        return os.get_terminal_size(sys.stderr.fileno()).columns
    except (OSError, ValueError):
        return 80


def clamp_width(width: int) -> int:
    return max(MIN_WIDTH, min(width, MAX_WIDTH))


def make_console(width: int, color: bool) -> Console:
    """A console writing into a string, with colour exactly when asked, whatever the env."""
    return Console(file=io.StringIO(), width=width, force_terminal=color,
                   color_system="standard" if color else None, no_color=not color,
                   highlight=False, markup=False, emoji=False, legacy_windows=False)


# -- the table ---------------------------------------------------------------------------


def summary_title(summary: dict[str, Any]) -> Text:
    if summary.get("ok"):
        return Text("bpcopy: copy complete", style="bold green")
    return Text("bpcopy: copy FAILED", style="bold red")


def summary_table(summary: dict[str, Any], compact: bool = False) -> Table:
    """The same rows as the plain-text summary, aligned; long prose (the verdict, an
    error) wraps inside its column. `compact` abbreviates for a narrow terminal."""
    table = Table.grid(padding=(0, 1 if compact else 2))
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    indent = "" if compact else "  "
    for label, value in summary_rows(summary, compact=compact):
        table.add_row(Text(f"{indent}{label}", style=STYLE["label"]),
                      Text(value, style=_value_style(label)))
    return table


def _value_style(label: str) -> str:
    return {"error": "bold red", "verdict": "bold"}.get(label, "")


# -- the timeline ------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """How wide the chart's label column is, and how sizes are written in it."""

    width: int
    label_width: int = LABEL_WIDTH
    narrow: bool = False

    @property
    def plot_width(self) -> int:
        return self.width - self.label_width - 2  # the axis cell, and one spare at the right

    def size(self, value: float) -> str:
        return short_size(value) if self.narrow else format_size(value)


def layout_for(width: int) -> Layout:
    if width < NARROW_WIDTH:
        return Layout(width, NARROW_LABEL_WIDTH, narrow=True)
    return Layout(width)


WIDE = Layout(80)


def timeline_lines(samples: Sequence[Sample], summary: dict[str, Any], width: int) -> list[Text]:
    """The chart, one Text per line, each at most `width` cells wide."""
    layout = layout_for(width)
    plot_width = layout.plot_width
    duration = duration_of(samples)
    if len(samples) < 2 or duration <= 0 or not summary.get("bytes"):
        return [fitted(width, "timeline: nothing to chart (the copy moved no bytes, or took "
                              "no time)", "timeline: nothing to chart")]
    if plot_width < MIN_PLOT_WIDTH:
        return [fitted(width, "timeline: too narrow to chart", "(no chart)")]
    columns = fold_into_columns(samples, plot_width)
    lines = [legend_line(duration, plot_width, width)]
    sampled = [column.sampled for column in columns]
    lines += buffer_chart("readable", [c.peak_readable for c in columns],
                          summary.get("readable_high_water_mark", 0), STYLE["readable"], sampled,
                          layout)
    lines += buffer_chart("writable", [c.peak_writable for c in columns],
                          summary.get("writable_high_water_mark", 0), STYLE["writable"], sampled,
                          layout)
    lines += kernel_charts(columns, summary, layout)
    lines.append(event_row("drains", [c.drains for c in columns], STYLE["drains"], layout))
    lines.append(event_row("pauses", [c.pauses for c in columns], STYLE["pauses"], layout))
    lines += rss_chart(columns, layout)
    lines += time_axis(duration, plot_width, layout)
    lines += missed_peaks_note(columns, summary, width)
    lines += unsampled_note(sampled, width)
    return lines


def fitted(width: int, *candidates: str, style: str = STYLE["axis"]) -> Text:
    """The first of `candidates` (most complete first) that fits, else the last, cut
    short with an ellipsis: a note is abbreviated, never wrapped."""
    chosen = next((text for text in candidates if len(text) <= width), candidates[-1])
    return Text(chosen, style=style, no_wrap=True, overflow="ellipsis")


def kernel_charts(columns: list[Column], summary: dict[str, Any], layout: Layout = WIDE
                  ) -> list[Text]:
    """In a pipeline, the bytes queued in the kernel's buffer at each end watched, against
    its capacity (the summary's `upstream` and `downstream`); nothing for a file or device.
    A column with no reading (before the sampler's first) is drawn faint, as empty."""
    lines: list[Text] = []
    for role, _ in KERNEL_FIELDS:
        end = summary.get(role)
        peaks = [getattr(column, f"peak_{role}") for column in columns]
        if not end or all(peak is None for peak in peaks):
            continue
        values = [peak or 0 for peak in peaks]
        capacity = end.get("capacity") or max(values)
        measured = [column.sampled and peak is not None
                    for column, peak in zip(columns, peaks, strict=True)]
        name = NARROW_KERNEL_LABELS[role] if layout.narrow else role
        lines += buffer_chart(name, values, capacity, STYLE[role], measured, layout,
                              rows=KERNEL_ROWS)
    return lines


def unsampled_note(sampled: list[bool], width: int = MAX_WIDTH) -> list[Text]:
    empty = sampled.count(False)
    if not empty:
        return []
    return [fitted(width, f"faint: {empty} of {len(sampled)} columns had no sample (no chunk "
                          "arrived); drawn between their neighbours",
                   f"faint: {empty} of {len(sampled)} columns had no sample; drawn between "
                   "neighbours",
                   f"faint: {empty} of {len(sampled)} columns had no sample",
                   f"faint: {empty} unsampled")]


def missed_peaks_note(columns: list[Column], summary: dict[str, Any],
                      width: int = MAX_WIDTH) -> list[Text]:
    """Say so when a buffer peaked between samples, so an empty chart does not mislead.

    Samples are taken by a timer every few milliseconds, so a buffer that fills and
    empties between two samples can look emptier here than the summary's maxima.
    """
    missed = []
    for name, charted in (("readable", max(c.peak_readable for c in columns)),
                          ("writable", max(c.peak_writable for c in columns))):
        peak = summary.get(f"max_{name}_length", 0)
        if peak > charted:
            missed.append(f"{name} {format_size(peak)}")
    if not missed:
        return []
    return [fitted(width, f"peaks between samples, not charted: {', '.join(missed)}",
                   f"uncharted peaks: {', '.join(missed)}")]


def legend_line(duration: float, plot_width: int, width: int = MAX_WIDTH) -> Text:
    step = format_duration(duration / plot_width)
    for title, words, mark_words in (("timeline: ", f"{step} per column; bars are peaks, ",
                                      " is the mark"),
                                     ("timeline: ", f"{step}/column, ", " mark"),
                                     ("", f"{step}/col, ", " mark")):
        if len(title + words + mark_words) + 2 <= width:
            break
    line = Text(title, style=STYLE["label"])
    line.append(words)
    line.append(MARK_CELL * 2, style=STYLE["mark"])
    line.append(mark_words)
    line.no_wrap = True
    line.overflow = "ellipsis"
    return line


def buffer_chart(name: str, values: list[int], mark: int, style: str,
                 sampled: list[bool] | None = None, layout: Layout = WIDE,
                 rows: int = BUFFER_ROWS) -> list[Text]:
    """Eighth-block bars of a buffer's length, the mark drawn where the bars leave room.

    Columns not `sampled` are drawn faint: they are a guess between two samples.
    """
    sampled = sampled or [True] * len(values)
    scale = max(mark, max(values, default=0), 1)
    mark_row = min(max(math.ceil(mark / scale * rows) - 1, 0), rows - 1)
    labels = _buffer_labels(name, scale, mark, mark_row, layout, rows)
    lines = []
    for row in reversed(range(rows)):
        line = _label(labels.get(row, ""), layout)
        for value, measured in zip(values, sampled, strict=True):
            cell, cell_style = _buffer_cell(value, row, scale, mark_row, style, rows)
            line.append(cell, style=cell_style if measured else _faint(cell_style))
        lines.append(line)
    return lines


def _buffer_cell(value: int, row: int, scale: int, mark_row: int, style: str,
                 rows: int = BUFFER_ROWS) -> tuple[str, str]:
    fill = _eighths(value, scale, rows) - row * 8
    if fill > 0:
        return BLOCKS[min(fill, 8)], STYLE["over_mark"] if row > mark_row else style
    if row == mark_row:
        return MARK_CELL, STYLE["mark"]
    return " ", ""


def _buffer_labels(name: str, scale: int, mark: int, mark_row: int,
                   layout: Layout = WIDE, rows: int = BUFFER_ROWS) -> dict[int, str]:
    """The top row says the scale, the mark's row its size, a free row the buffer's name
    (with no row free, the name takes the mark's row: the mark's line still shows)."""
    top = rows - 1
    labels = {top: layout.size(scale)}
    if mark_row != top:
        labels[mark_row] = layout.size(mark)
    name_row = next((row for row in reversed(range(rows)) if row not in labels), mark_row)
    labels[name_row] = name
    return labels


def _faint(style: str) -> str:
    return f"dim {style}" if style else ""


def _eighths(value: int, scale: float, rows: int) -> int:
    """How many eighth-cells of bar a value fills; anything above zero shows."""
    if value <= 0 or scale <= 0:
        return 0
    return max(round(value / scale * rows * 8), 1)


def event_row(name: str, counts: list[int], style: str, layout: Layout = WIDE) -> Text:
    """Events per column as one row of blocks, scaled to the busiest column."""
    busiest = max(counts, default=0)
    line = _label(name, layout)
    if busiest == 0:
        line.append("none", style=STYLE["axis"])
        return line
    for count in counts:
        line.append(BLOCKS[min(_eighths(count, busiest, 1), 8)], style=style)
    return line


def rss_chart(columns: list[Column], layout: Layout = WIDE) -> list[Text]:
    """RSS over time between its lowest and highest value, with both labelled."""
    values = [column.rss for column in columns]
    low, high = min(values), max(values)
    labels = {RSS_ROWS - 1: layout.size(high), 1: "RSS", 0: layout.size(low)}
    lines = []
    for row in reversed(range(RSS_ROWS)):
        line = _label(labels.get(row, ""), layout)
        for column in columns:
            # A flat RSS is one low line, not an empty chart.
            fill = max(_eighths(column.rss - low, high - low, RSS_ROWS), 1) - row * 8
            style = STYLE["rss"] if column.sampled else _faint(STYLE["rss"])
            line.append(BLOCKS[min(fill, 8)] if fill > 0 else " ", style=style)
        lines.append(line)
    return lines


def time_axis(duration: float, plot_width: int, layout: Layout = WIDE) -> list[Text]:
    rule = _label("", layout, axis="└")
    rule.append("─" * plot_width, style=STYLE["axis"])
    start, middle, end = "0 s", format_duration(duration / 2), format_duration(duration)
    cells = [" "] * plot_width
    _place(cells, 0, start)
    if plot_width >= len(start) + len(middle) + len(end) + 4:  # room for three apart
        _place(cells, plot_width // 2 - len(middle) // 2, middle)
    _place(cells, plot_width - len(end), end)
    ticks = Text(" " * (layout.label_width + 1) + "".join(cells).rstrip(), style=STYLE["axis"])
    return [rule, ticks]


def _place(cells: list[str], at: int, text: str) -> None:
    for offset, char in enumerate(text):
        if 0 <= at + offset < len(cells):
            cells[at + offset] = char


def _label(text: str, layout: Layout = WIDE, axis: str | None = None) -> Text:
    """A chart row's left edge: a size gets a tick on the axis, a name or nothing does not."""
    is_size = text[:1].isdigit()
    line = Text(f"{text:>{layout.label_width}}", style="" if is_size else STYLE["label"])
    line.append(axis or ("┤" if is_size else "│"), style=STYLE["axis"])
    return line
