"""The live view's pipeline line: the four buffers of a copy in a pipeline, in a row, with
the programs at each end by name.

    tar (pid 812) → [pipe 64.0 KiB/64.0 KiB] → readable → writable →
        [pipe 0 B/64.0 KiB] → gzip -9 (pid 815)      (one line, as wide as that)

Each kernel buffer is shown against its capacity; the readable and the writable have their
own gauges in the view, so here they are only named. The line is abbreviated to fit the
width it is drawn at, never wrapped: first the sizes go compact (64K), then the programs'
arguments, "pid", the buffer's kind and the spaces round the arrows go, then the pids,
then the names are cut short with an ellipsis, and last the names go altogether. An end
that is not a pipe, FIFO or socket shows the file's name.

It reads the kernel sampler's latest readings (bpcopy.diagnostics.sampler.KernelSampler:
`upstream_queued`, `upstream_capacity`, `names(role)` and the same downstream) from the
loop's thread while the sampler's thread updates them: plain attributes, and the keys of
a dict that only grows, so no lock is needed. It knows nothing of streams, and does not
touch the sampler beyond those readings.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text

from bpcopy.diagnostics.kernel import is_full
from bpcopy.names import shown_command
from bpcopy.render.process_names import program_name
from bpcopy.units import format_size

FULL_STYLE = "yellow"  # a writer of PIPE_BUF bytes would block: the pipe's own "mark"
EMPTY_STYLE = "dim"
BUFFER_STYLE = "cyan"
NAME_STYLE = "bold"
ELLIPSIS = "…"
UNITS = ("", "K", "M", "G", "T")
MIN_NAMES_ROOM = 6  # below this, two names cut to a letter or two would say nothing


class EndReading(NamedTuple):
    """One kernel end at one moment, as the live view shows it."""

    kind: str  # pipe, fifo or socket
    queued: int | None  # None: not read yet, or unreadable
    capacity: int | None
    approximate: bool  # a socket or a packet-mode pipe: the capacity is only indicative
    names: tuple[tuple[str, int], ...]  # (command, pid) of each process seen at that end


def read_end(sampler: Any, role: str) -> EndReading | None:
    """The sampler's latest reading of one end (None when that end is not watched)."""
    if sampler is None:
        return None
    end = sampler.ends.get(role)
    if end is None:
        return None
    queued = sampler.upstream_queued if role == "upstream" else sampler.downstream_queued
    capacity = (sampler.upstream_capacity if role == "upstream"
                else sampler.downstream_capacity)
    approximate = not end.is_pipe_like or end.packet_mode
    return EndReading(end.kind, queued, capacity, approximate, tuple(sampler.names(role)))


class PipelineLine:
    """A rich renderable that fits the line to the width it is drawn at."""

    def __init__(self, upstream: EndReading | None, downstream: EndReading | None,
                 source: str, dest: str) -> None:
        self.upstream, self.downstream = upstream, downstream
        self.source, self.dest = source, dest

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield fit_pipeline_line(self.upstream, self.downstream, self.source, self.dest,
                                options.max_width)


class Form(NamedTuple):
    """How much of the line to spell out (the first forms are the most complete)."""

    compact_sizes: bool
    pid: str  # "word": tar (pid 812); "bare": tar 812; "none": tar
    kind_word: bool  # "[pipe 0 B/64.0 KiB]" rather than "[0/64K]"
    arrow: str
    middle: str
    every_name: bool  # each process at an end, rather than one and a count
    program_only: bool  # "gzip" for "/usr/bin/gzip -9": the program, not its arguments


FORMS = (
    Form(False, "word", True, " → ", "readable → writable", True, False),
    Form(True, "word", True, " → ", "readable → writable", True, False),
    Form(True, "word", True, " → ", "readable → writable", True, True),
    Form(True, "bare", True, " → ", "readable → writable", False, True),
    Form(True, "bare", False, " → ", "readable → writable", False, True),
    Form(True, "bare", False, "→", "read→write", False, True),
    Form(True, "bare", False, "→", "r→w", False, True),
    Form(True, "none", False, "→", "r→w", False, True),
)


def fit_pipeline_line(upstream: EndReading | None, downstream: EndReading | None,
                      source: str, dest: str, width: int) -> Text:
    """The line in the most complete form that fits `width` cells."""
    for form in FORMS:
        line = _assemble(form, upstream, downstream, source, dest)
        if line.cell_len <= width:
            return line
    tightest = FORMS[-1]
    fixed = _assemble(tightest, upstream, downstream, "", "", with_ends=False)
    room = width - fixed.cell_len - 2 * len(tightest.arrow)
    if room >= MIN_NAMES_ROOM:
        left = _end_label(tightest, upstream, source)
        right = _end_label(tightest, downstream, dest)
        left_room, right_room = _share(room, len(left), len(right))
        line = _assemble(tightest, upstream, downstream, source, dest,
                         labels=(_cut(left, left_room), _cut(right, right_room)))
    else:
        line = fixed  # too narrow for names: the buffers alone
    line.no_wrap = True
    line.overflow = "ellipsis"
    line.truncate(width, overflow="ellipsis")
    return line


def _assemble(form: Form, upstream: EndReading | None, downstream: EndReading | None,
              source: str, dest: str, *, with_ends: bool = True,
              labels: tuple[str, str] | None = None) -> Text:
    left, right = labels or (_end_label(form, upstream, source),
                             _end_label(form, downstream, dest))
    line = Text(no_wrap=True)
    if with_ends and left:
        line.append(left, style=NAME_STYLE)
        line.append(form.arrow)
    if upstream is not None:
        line.append(*_buffer(form, upstream))
        line.append(form.arrow)
    line.append(form.middle, style=EMPTY_STYLE)
    if downstream is not None:
        line.append(form.arrow)
        line.append(*_buffer(form, downstream))
    if with_ends and right:
        line.append(form.arrow)
        line.append(right, style=NAME_STYLE)
    return line


def _end_label(form: Form, end: EndReading | None, file_name: str) -> str:
    """Who is at that end: the programs holding the pipe, else the file's (or pipe's) name."""
    if end is None or not end.names:
        return file_name
    if form.every_name:
        return ", ".join(_process(form, command, pid) for command, pid in end.names)
    # One name stands for all: the newest process, since a shell's subshell that only
    # waits on the real program is that program's parent and so came first.
    command, pid = max(end.names, key=lambda name: name[1])
    label = _process(form, command, pid)
    others = len(end.names) - 1
    return f"{label} +{others}" if others else label


def _process(form: Form, command: str, pid: int) -> str:
    # Another program's argv is not ours to send to the terminal: its control characters
    # are written as $'...' runs (a newline would wrap the line, an ESC act on the screen).
    command = program_name(command) if form.program_only else shown_command(command)
    if form.pid == "word":
        return f"{command} (pid {pid})"
    if form.pid == "bare":
        return f"{command} {pid}"
    return command


def _buffer(form: Form, end: EndReading) -> tuple[str, str]:
    size = compact_size if form.compact_sizes else format_size
    queued = "?" if end.queued is None else size(end.queued)
    figures = queued
    if end.capacity is not None:
        figures += f"/{'~' if end.approximate else ''}{size(end.capacity)}"
    kind = f"{end.kind} " if form.kind_word else ""
    return f"[{kind}{figures}]", _buffer_style(end)


def _buffer_style(end: EndReading) -> str:
    if end.queued is None:
        return EMPTY_STYLE
    if not end.approximate and end.capacity is not None and is_full(end.queued, end.capacity):
        return FULL_STYLE
    if end.queued == 0:
        return EMPTY_STYLE
    return BUFFER_STYLE


def _share(room: int, left: int, right: int) -> tuple[int, int]:
    """Split `room` cells between two labels: half each, and what one leaves to the other."""
    half = room // 2
    if left <= half:
        return left, room - left
    if right <= room - half:
        return room - right, right
    return half, room - half


def _cut(label: str, room: int) -> str:
    """A label cut to `room` cells, ending in an ellipsis."""
    if len(label) <= room:
        return label
    if room <= 0:
        return ""
    return f"{label[:room - 1]}{ELLIPSIS}"


def compact_size(size: float) -> str:
    """A size in at most five cells: 0, 512, 4.0K, 64K, 208K, 1.0M (no "B", no "i")."""
    unit = ""
    for unit in UNITS:  # noqa: B007 (the unit the loop stops at is the one wanted)
        if round(size) < 1024 or unit == UNITS[-1]:
            break
        size /= 1024
    if unit == "":
        return f"{size:.0f}"
    if round(size, 1) < 10:
        return f"{size:.1f}{unit}"
    return f"{size:.0f}{unit}"
