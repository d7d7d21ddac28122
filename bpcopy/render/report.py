"""The HTML report: one self-contained page with the picture of a run.

The page holds the charts (each buffer against its mark over time, with pauses and drains
marked; in a pipeline, the kernel's buffer at each end against its capacity; RSS; pauses
and drains so far), the summary table and the options used. Charts
are inline SVG drawn here; styles are inline; there are no scripts, fonts or images to
fetch, and a Content-Security-Policy says so, so it opens the same with no network.
Every piece of text from outside (paths, errors, option values) is escaped.

It receives the copy's outcome (its summary dict and timeline samples) and the command's
options (bpcopy.options.CommandOptions); it knows nothing of streams, rich or the terminal.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bpcopy import __version__, names
from bpcopy.diagnostics.kernel import PIPE_BUF
from bpcopy.render.process_names import program_name
from bpcopy.render.summary_text import summary_rows
from bpcopy.render.timeline import KERNEL_FIELDS, Sample, duration_of, samples_of
from bpcopy.units import counted, format_duration, format_rate, format_size

if TYPE_CHECKING:
    from bpcopy.options import CommandOptions

CHART_WIDTH = 900
CHART_HEIGHT = 240
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 78, 20, 50, 34
LEGEND_Y = 36
X_TICKS = 6
GRID_STEPS = 4

COLORS = {
    "readable": "#2563eb",
    "writable": "#a21caf",
    "upstream": "#0f766e",
    "downstream": "#be185d",
    "full": "#dc2626",
    "mark": "#d97706",
    "drain": "#0891b2",
    "pause": "#dc2626",
    "rss": "#16a34a",
}


def write_html_report(path: str | Path, outcome: Any, options: CommandOptions) -> None:
    """Write the report for `outcome` (a CopyOutcome) to `path`, as UTF-8."""
    Path(path).write_text(build_html_report(outcome, options), encoding="utf-8")


def build_html_report(outcome: Any, options: CommandOptions) -> str:
    summary = outcome.summary
    samples = samples_of(outcome)
    parts = [
        _page_head(summary),
        _headline(summary),
        _charts_section(samples, summary),
        _section("Summary", _table(summary_rows(summary))),
        _explanation_section(summary),
        _section("Options", _table(_option_rows(options))),
        _section("All numbers", _details("The summary as --json gives it",
                                         _table(_raw_rows(summary)))),
        _page_foot(),
    ]
    return "\n".join(parts)


# -- charts ------------------------------------------------------------------------------


@dataclass
class Line:
    label: str
    color: str
    points: list[tuple[float, float]]
    filled: bool = False


@dataclass
class Rule:
    """A horizontal dashed line, such as a high-water mark."""

    label: str
    color: str
    value: float
    label_at_left: bool = False  # for a rule close to another, whose label is at the right
    label_above: bool = False  # even at the top of the plot (a short legend leaves room)


@dataclass
class Ticks:
    """Moments marked along the bottom of a chart, such as drains."""

    label: str
    color: str
    times: list[float]


@dataclass
class Chart:
    title: str
    lines: list[Line]
    duration: float
    format_value: Callable[[float], str]
    rules: list[Rule] = field(default_factory=list)
    ticks: list[Ticks] = field(default_factory=list)
    y_from_lowest: bool = False  # for RSS, whose floor is far from zero
    whole_numbers: bool = False  # counts: grid lines on integers


def _charts_section(samples: Sequence[Sample], summary: dict[str, Any]) -> str:
    duration = duration_of(samples)
    if duration <= 0:
        return _section("Timeline", "<p class=note>Nothing to chart: the copy took no "
                                    "measurable time or left fewer than two samples.</p>")
    charts = [chart_svg(chart) for chart in build_charts(samples, summary, duration)]
    note = (f"<p class=note>{len(samples)} samples, taken by a timer every few "
            "milliseconds; lines run straight between samples. The summary's maxima may "
            "exceed the charted peaks when a buffer filled and emptied between two "
            "samples.</p>")
    return _section("Timeline", note + _kernel_note(summary) + "\n".join(charts))


def _kernel_note(summary: dict[str, Any]) -> str:
    """The whole command lines of the programs at each end (the charts name the program)."""
    rows = []
    for role, _ in KERNEL_FIELDS:
        for process in (summary.get(role) or {}).get("processes") or []:
            rows.append(f"<li>{_e(role)}: pid {_e(process['pid'])}, "
                        f"<code>{_e(process['command'])}</code></li>")
    if not rows:
        return ""
    return ("<p class=note>The programs at each end of the pipeline:</p>\n"
            f"<ul class=note>{''.join(rows)}</ul>\n")


def build_charts(samples: Sequence[Sample], summary: dict[str, Any],
                 duration: float) -> list[Chart]:
    start = samples[0].t

    def series(field: str) -> list[tuple[float, float]]:
        return [(sample.t - start, float(getattr(sample, field))) for sample in samples]

    pauses = Ticks("pauses", COLORS["pause"], _event_times(samples, "pauses", start))
    drains = Ticks("drains", COLORS["drain"], _event_times(samples, "drains", start))
    charts = [
        Chart("Readable buffer (source side) against its mark",
              [Line("readable_length", COLORS["readable"], series("readable_length"), filled=True)],
              duration, format_size,
              rules=[Rule("read mark", COLORS["mark"],
                          summary.get("readable_high_water_mark", 0))],
              ticks=[pauses]),
        Chart("Writable buffer (destination side) against its mark",
              [Line("writable_length", COLORS["writable"], series("writable_length"), filled=True)],
              duration, format_size,
              rules=[Rule("write mark", COLORS["mark"],
                          summary.get("writable_high_water_mark", 0))],
              ticks=[drains]),
        *kernel_charts(samples, summary, duration),
        Chart("Memory: resident set size (RSS)",
              [Line("RSS", COLORS["rss"], series("rss"))], duration, format_size,
              y_from_lowest=True),
    ]
    if samples[-1].pauses or samples[-1].drains:
        charts.append(Chart("Backpressure so far: pauses and drains",
                            [Line("pauses", COLORS["pause"], series("pauses")),
                             Line("drains", COLORS["drain"], series("drains"))],
                            duration, _format_count, whole_numbers=True))
    return charts


def kernel_charts(samples: Sequence[Sample], summary: dict[str, Any],
                  duration: float) -> list[Chart]:
    """In a pipeline, the bytes queued in the kernel's buffer at each end watched, against
    its capacity; for a pipe, also the level above which it counts as full."""
    start = samples[0].t
    charts = []
    for role, field_name in KERNEL_FIELDS:
        end = summary.get(role)
        points = [(sample.t - start, float(getattr(sample, field_name)))
                  for sample in samples if getattr(sample, field_name) is not None]
        if not end or not points:
            continue
        capacity = end.get("capacity")
        rules = []
        if capacity:
            exact = end.get("full_fraction") is not None
            rules.append(Rule("capacity" if exact else "capacity (approximate)",
                              COLORS["mark"], capacity, label_above=True))
            if exact:
                rules.append(Rule("full above", COLORS["full"], max(capacity - PIPE_BUF, 0),
                                  label_at_left=True))
        charts.append(Chart(_kernel_title(role, end),
                            [Line(f"{role} queued", COLORS[role], points, filled=True)],
                            duration, format_size, rules=rules))
    return charts


def _kernel_title(role: str, end: dict[str, Any]) -> str:
    """Which buffer, who is at its other end, and how often it was full or empty."""
    processes = ", ".join(f"{program_name(process['command'])} (pid {process['pid']})"
                          for process in end.get("processes") or [])
    direction = "from" if role == "upstream" else "to"
    title = (f"{role.capitalize()} kernel buffer: the {end.get('kind', 'pipe')} {direction} "
             f"{processes or 'a process not visible'}")
    shares = [f"{name} {fraction * 100:.0f}%" for name, fraction in
              (("full", end.get("full_fraction")), ("empty", end.get("empty_fraction")))
              if fraction is not None]
    if shares:
        title += f"; {' and '.join(shares)} of the time"
    return title


def _format_count(value: float) -> str:
    return f"{value:.0f}"


def _event_times(samples: Sequence[Sample], count: str, start: float) -> list[float]:
    """When a count went up (to the sample's precision): where to draw its ticks."""
    return [current.t - start for before, current in zip(samples, samples[1:], strict=False)
            if getattr(current, count) > getattr(before, count)]


def chart_svg(chart: Chart) -> str:
    """One chart as an inline <svg> element."""
    low, high = _value_range(chart)
    scale = _Scale(chart.duration, low, high)
    parts = [f'<svg class=chart viewBox="0 0 {CHART_WIDTH} {CHART_HEIGHT}" role="img" '
             f'aria-label="{_e(chart.title)}">',
             f'<text class=title x="{MARGIN_LEFT}" y="18">{_e(chart.title)}</text>',
             _grid(scale, chart.format_value, chart.duration)]
    for line in chart.lines:
        parts.append(_line_svg(line, scale))
    for rule in chart.rules:
        parts.append(_rule_svg(rule, scale, chart.format_value))
    for index, ticks in enumerate(chart.ticks):
        parts.append(_ticks_svg(ticks, scale, index))
    parts.append(_legend_svg(chart))
    parts.append("</svg>")
    return "\n".join(parts)


def _value_range(chart: Chart) -> tuple[float, float]:
    values = [value for line in chart.lines for _, value in line.points]
    values += [rule.value for rule in chart.rules]
    low = min(values, default=0.0) if chart.y_from_lowest else 0.0
    high = max(values, default=0.0)
    if high <= low:
        high = low + 1.0
    if chart.whole_numbers:
        high = low + GRID_STEPS * math.ceil((high - low) / GRID_STEPS)
    return low, high


class _Scale:
    """Data to SVG coordinates inside the plot area."""

    def __init__(self, duration: float, low: float, high: float) -> None:
        self.duration = duration
        self.low = low
        self.high = high
        self.left = MARGIN_LEFT
        self.right = CHART_WIDTH - MARGIN_RIGHT
        self.top = MARGIN_TOP
        self.bottom = CHART_HEIGHT - MARGIN_BOTTOM

    def x(self, t: float) -> float:
        return self.left + (self.right - self.left) * (t / self.duration)

    def y(self, value: float) -> float:
        share = (value - self.low) / (self.high - self.low)
        return self.bottom - (self.bottom - self.top) * share


def _grid(scale: _Scale, format_value: Callable[[float], str], duration: float) -> str:
    parts = [f'<rect class=plot x="{scale.left}" y="{scale.top}" '
             f'width="{scale.right - scale.left}" height="{scale.bottom - scale.top}"/>']
    shown = set()
    for step in range(GRID_STEPS + 1):
        value = scale.low + (scale.high - scale.low) * step / GRID_STEPS
        y = scale.y(value)
        parts.append(f'<line class=grid x1="{scale.left}" x2="{scale.right}" '
                     f'y1="{y:.1f}" y2="{y:.1f}"/>')
        label = format_value(value)
        if label in shown:
            continue  # a narrow range rounds two grid lines to one label: say it once
        shown.add(label)
        parts.append(f'<text class=ylabel x="{scale.left - 6}" y="{y + 4:.1f}">'
                     f'{_e(label)}</text>')
    for step in range(X_TICKS):
        t = duration * step / (X_TICKS - 1)
        x = scale.x(t)
        anchor = "start" if step == 0 else "end" if step == X_TICKS - 1 else "middle"
        parts.append(f'<text class=xlabel x="{x:.1f}" y="{scale.bottom + 16}" '
                     f'text-anchor="{anchor}">{_e(format_duration(t))}</text>')
    return "\n".join(parts)


def _line_svg(line: Line, scale: _Scale) -> str:
    coordinates = " ".join(f"{scale.x(t):.1f},{scale.y(value):.1f}"
                           for t, value in line.points)
    parts = []
    if line.filled and line.points:
        first_x, last_x = scale.x(line.points[0][0]), scale.x(line.points[-1][0])
        area = f"{first_x:.1f},{scale.bottom} {coordinates} {last_x:.1f},{scale.bottom}"
        parts.append(f'<polygon points="{area}" fill="{line.color}" fill-opacity="0.18"/>')
    parts.append(f'<polyline points="{coordinates}" fill="none" stroke="{line.color}" '
                 'stroke-width="1.5" stroke-linejoin="round"/>')
    return "\n".join(parts)


def _rule_svg(rule: Rule, scale: _Scale, format_value: Callable[[float], str]) -> str:
    y = scale.y(rule.value)
    # The label sits above the line, or below it when the line runs along the top.
    label_y = y - 5 if rule.label_above or y - 5 > scale.top + 12 else y + 15
    label_x, anchor = ((scale.left + 4, "start") if rule.label_at_left
                       else (scale.right - 4, "end"))
    return (f'<line x1="{scale.left}" x2="{scale.right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{rule.color}" stroke-width="1.5" stroke-dasharray="6 4"/>'
            f'<text class=rule x="{label_x}" y="{label_y:.1f}" fill="{rule.color}" '
            f'text-anchor="{anchor}">{_e(rule.label)} {_e(format_value(rule.value))}</text>')


def _ticks_svg(ticks: Ticks, scale: _Scale, row: int) -> str:
    """Short strokes under the plot; dense strokes read as a band, as they should."""
    top = scale.bottom + 2 + row * 6
    path = "".join(f"M{scale.x(t):.1f} {top}v5" for t in ticks.times)
    if not path:
        return ""
    return f'<path d="{path}" stroke="{ticks.color}" stroke-width="1"/>'


def _legend_svg(chart: Chart) -> str:
    entries = [(line.label, line.color, "solid") for line in chart.lines]
    entries += [(rule.label, rule.color, "dashed") for rule in chart.rules]
    entries += [(f"{ticks.label} (ticks below the plot)", ticks.color, "tick")
                for ticks in chart.ticks]
    parts = []
    x = MARGIN_LEFT
    for label, color, kind in entries:
        dash = ' stroke-dasharray="6 4"' if kind == "dashed" else ""
        if kind == "tick":
            parts.append(f'<path d="M{x + 10} {LEGEND_Y - 10}v12" stroke="{color}" '
                         'stroke-width="2"/>')
        else:
            parts.append(f'<line x1="{x}" x2="{x + 20}" y1="{LEGEND_Y - 4}" '
                         f'y2="{LEGEND_Y - 4}" stroke="{color}" stroke-width="2"{dash}/>')
        parts.append(f'<text class=legend x="{x + 26}" y="{LEGEND_Y}">{_e(label)}</text>')
        x += 44 + 7 * len(label)  # roughly the label's width at 12px
    return "\n".join(parts)


# -- tables and page ---------------------------------------------------------------------


# The CLI's option values arrive parsed into bytes, seconds and bytes per second; these say
# which is which, so the report can show them as a person typed them.
SIZE_OPTIONS = {"high_water_mark", "read_hwm", "write_hwm", "max_buffer", "sink_fail_after",
                "assert_max_rss", "assert_max_buffered"}
RATE_OPTIONS = {"sink_rate", "source_rate"}
DURATION_OPTIONS = {"sink_delay", "sink_jitter", "source_delay"}
OPTION_NAMES = {"source": "SRC", "dest": "DST", "as_json": "--json"}


def _option_rows(options: CommandOptions) -> list[tuple[str, str]]:
    """Every option, in the order --help lists them (SRC and DST first)."""
    return [(OPTION_NAMES.get(name, f"--{name.replace('_', '-')}"), _option_text(name, value))
            for name, value in options._asdict().items()]


def _option_text(name: str, value: Any) -> str:
    if value is None:
        return "(not given)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        if name in SIZE_OPTIONS:
            return f"{format_size(value)} ({counted(round(value), 'byte')})"
        if name in RATE_OPTIONS:
            return format_rate(value)
        if name in DURATION_OPTIONS:
            return format_duration(value)
    return str(value)


def _explanation_section(summary: dict[str, Any]) -> str:
    """--explain's account, as the terminal shows it (empty without --explain)."""
    lines = summary.get("explanation")
    if not lines:
        return ""
    return _section("The run in Node's words",
                    f"<pre class=explanation>{_e(chr(10).join(lines))}</pre>")


def _raw_rows(summary: dict[str, Any]) -> list[tuple[str, str]]:
    # The account has its own section; the table keeps to the numbers.
    return [(key, "null" if value is None else str(value)) for key, value in summary.items()
            if key != "explanation"]


def _table(rows: Sequence[tuple[str, str]]) -> str:
    body = "\n".join(f"<tr><th>{_e(label)}</th><td>{_e(value)}</td></tr>"
                     for label, value in rows)
    return f"<table>\n{body}\n</table>"


def _section(title: str, body: str) -> str:
    return f"<section>\n<h2>{_e(title)}</h2>\n{body}\n</section>"


def _details(title: str, body: str) -> str:
    return f"<details><summary>{_e(title)}</summary>\n{body}\n</details>"


def _headline(summary: dict[str, Any]) -> str:
    read = summary.get("bytes", 0)
    written = summary.get("bytes_written", read)
    # "copied" would count bytes that never reached the destination (a full disk,
    # --max-buffer): then both amounts are shown, as in the text summary.
    amounts = ([("copied", format_size(read))] if written == read
               else [("read", format_size(read)), ("wrote", format_size(written))])
    cards = [
        *amounts,
        ("time", format_duration(summary.get("elapsed_s", 0.0))),
        ("pauses", str(summary.get("pauses", 0))),
        ("drains", str(summary.get("drains", 0))),
        ("paused", format_duration(summary.get("paused_s", 0.0))),
        ("peak RSS", format_size(summary.get("peak_rss", 0))),
    ]
    items = "".join(f"<div class=card><div class=label>{_e(label)}</div>"
                    f"<div class=value>{_e(value)}</div></div>" for label, value in cards)
    verdict = f"<p class=verdict>{_e(summary.get('verdict', ''))}</p>"
    error = (f"<p class=error>{_e(summary['error'])}</p>" if summary.get("error") else "")
    return f"<div class=cards>{items}</div>\n{verdict}\n{error}"


def _page_head(summary: dict[str, Any]) -> str:
    ok = bool(summary.get("ok"))
    route = f"{summary.get('source', '?')} → {summary.get('destination', '?')}"
    status = "copy complete" if ok else "copy FAILED"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>bpcopy report: {_e(route)}</title>
<style>{_CSS}</style>
</head>
<body>
<header>
<h1>bpcopy report</h1>
<p class=route>{_e(route)}</p>
<p class="status {'ok' if ok else 'failed'}">{_e(status)}</p>
</header>
<main>"""


def _page_foot() -> str:
    return (f"</main>\n<footer>bpcopy {_e(__version__)}: Node.js-style streams, "
            "backpressure made visible.</footer>\n</body>\n</html>\n")


def _e(text: Any) -> str:
    """Escaped for HTML; a file name's undecodable bytes become the text \\xff."""
    return html.escape(names.text(str(text)), quote=True)


_CSS = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2937;
       background: #f8fafc; margin: 0; }
header, main, footer { max-width: 960px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 20px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 10px; }
.route { font-family: ui-monospace, "DejaVu Sans Mono", monospace; margin: 0;
         overflow-wrap: anywhere; }
.status { display: inline-block; font-weight: 600; padding: 2px 10px; border-radius: 10px; }
.status.ok { background: #dcfce7; color: #166534; }
.status.failed { background: #fee2e2; color: #991b1b; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin-top: 16px; }
.card { background: #fff; border: 1px solid #e2e8f0; border-radius: 8px; padding: 8px 14px;
        min-width: 110px; }
.card .label { font-size: 12px; color: #64748b; text-transform: uppercase; }
.card .value { font-size: 20px; font-weight: 600; }
.verdict { font-weight: 600; }
.error { color: #991b1b; font-weight: 600; }
.note { color: #64748b; font-size: 13px; }
svg.chart { width: 100%; height: auto; background: #fff; border: 1px solid #e2e8f0;
            border-radius: 8px; margin-bottom: 12px; display: block; }
svg .plot { fill: #fff; stroke: #cbd5e1; }
svg .grid { stroke: #eef2f7; }
svg text { font: 12px system-ui, sans-serif; fill: #475569; }
svg .title { font-weight: 600; font-size: 13px; fill: #1f2937; }
svg .ylabel { text-anchor: end; }
svg .rule { font-weight: 600; }
table { border-collapse: collapse; background: #fff; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 5px 10px;
         border-bottom: 1px solid #e2e8f0; }
th { width: 180px; font-weight: 600; white-space: nowrap; }
td { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 13px;
     overflow-wrap: anywhere; }
details summary { cursor: pointer; color: #334155; margin-bottom: 8px; }
pre.explanation { font: 13px/1.45 ui-monospace, "DejaVu Sans Mono", monospace;
                  background: #fff; border: 1px solid #e2e8f0; padding: 12px 16px;
                  overflow-x: auto; }
footer { color: #94a3b8; font-size: 12px; padding: 24px; }
"""
