"""The live view: a few lines on stderr, redrawn while a copy runs, then erased.

It shows bytes done against the total (when known) with rate and ETA, two gauges (each
buffer's length against its mark), pauses, drains, time paused, and RSS now and at peak.
In a pipeline, a line under the title shows the kernel's buffer at each end against its
capacity and the programs there (bpcopy.render.pipeline_line).

How it stays out of the copy's way: no thread. A timer on the running asyncio loop
(`loop.call_later`) reads the recorder's counters at most ten times a second and redraws
a rich Live display that never refreshes by itself. The per-chunk path is untouched; the
view only reads plain attributes between chunks.

It reads a Copy (bpcopy.copy) and its Recorder; it must not call anything that changes a
stream. rich is imported only here (and in the end-of-copy renderers), so a copy to a
pipe or a file with stderr redirected never pays for it.
"""

from __future__ import annotations

import asyncio
import math
import os
import signal
from collections import deque
from dataclasses import dataclass
from typing import Any

from rich.cells import cached_cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.constrain import Constrain
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from bpcopy.names import shown
from bpcopy.render.pipeline_line import EndReading, PipelineLine, read_end
from bpcopy.render.ttys import in_foreground
from bpcopy.units import format_duration, format_rate, format_size

REFRESH_INTERVAL_S = 0.1  # at most ten redraws a second
MAX_WIDTH = 100  # wider bars on a wide terminal only spread the numbers apart
RATE_WINDOW_S = 2.0  # the rate shown is over the last two seconds: current, yet steady

BUFFER_STYLE = {"readable": "blue", "writable": "magenta"}
AT_MARK_STYLE = "yellow"  # the buffer has reached its mark
OVER_MARK_STYLE = "bright_red"


@dataclass(frozen=True)
class LiveNumbers:
    """What one redraw shows, read from the recorder in one go."""

    source: str
    dest: str
    bytes: int  # read, and handed to write()
    written: int  # of those, the ones whose write has completed
    total_bytes: int | None
    rate_bps: float
    elapsed_s: float
    readable_length: int
    readable_mark: int
    max_readable_length: int
    writable_length: int
    writable_mark: int
    max_writable_length: int
    pauses: int
    drains: int
    paused_s: float
    rss: int
    peak_rss: int
    # In a pipeline, the kernel buffer at each end (None: that end is a file or a device).
    upstream: EndReading | None = None
    downstream: EndReading | None = None


class RateMeter:
    """Bytes per second over a sliding window of recent readings."""

    def __init__(self, window_s: float = RATE_WINDOW_S) -> None:
        self.window_s = window_s
        self.readings: deque[tuple[float, int]] = deque()

    def update(self, t: float, total: int) -> float:
        self.readings.append((t, total))
        while len(self.readings) > 2 and t - self.readings[1][0] >= self.window_s:
            self.readings.popleft()
        first_t, first_total = self.readings[0]
        if t - first_t <= 0:
            return 0.0
        return (total - first_total) / (t - first_t)


class LiveView:
    """Redraws the copy's numbers on stderr from a timer on the running loop.

    Job control: on Ctrl-Z (SIGTSTP) the view erases itself and gives the cursor back
    before the process stops, as less and vim do; after `fg` (SIGCONT) it starts afresh
    where the cursor now is, below whatever the shell printed meanwhile. While the job
    runs in the background (`bg`), it draws nothing.
    """

    def __init__(self, copy: Any, color: bool) -> None:
        self.copy = copy
        self.color = color
        self.meter = RateMeter()
        self._live: Live | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._signals: list[int] = []
        self._continued = False  # set on SIGCONT: the process was stopped since the last draw
        self._previous_cont: Any = None

    def start(self) -> None:
        """Call inside the running loop, just before the copy starts."""
        loop = asyncio.get_running_loop()
        try:
            # A plain handler, not the loop's: it must run before any redraw that follows
            # the stop, and the loop may run a due timer before its own signal callbacks.
            self._previous_cont = signal.signal(signal.SIGCONT, self._on_continue)
            if signal.getsignal(signal.SIGTSTP) != signal.SIG_IGN:  # ignored stays ignored
                loop.add_signal_handler(signal.SIGTSTP, self._suspend)
                self._signals.append(signal.SIGTSTP)
        except (ValueError, RuntimeError, NotImplementedError):
            pass  # not the main thread: job control keeps its defaults
        self._redraw()

    def stop(self) -> None:
        """Erase the view, so the summary takes its place."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        loop = asyncio.get_running_loop()
        for signum in self._signals:
            loop.remove_signal_handler(signum)
        self._signals = []
        if self._previous_cont is not None:
            signal.signal(signal.SIGCONT, self._previous_cont)
            self._previous_cont = None
        self._erase()

    def _show(self) -> Live:
        if self._live is None:
            console = Console(stderr=True, color_system="auto" if self.color else None,
                              no_color=not self.color, highlight=False, markup=False,
                              emoji=False)
            self._live = Live(console=console, auto_refresh=False, transient=True,
                              redirect_stdout=False, redirect_stderr=False)
            self._live.start()
        return self._live

    def _erase(self) -> None:
        if self._live is not None:
            self._live.stop()  # transient: erases the lines it drew, shows the cursor
            self._live = None

    def print_above(self, text: str) -> None:
        """Print `text` above the view, which is redrawn below it (SIGUSR1's summary)."""
        if self._live is None:
            return
        self._live.console.print(Text(text.rstrip("\n")))
        self._redraw_now()

    def _redraw_now(self) -> None:
        if self._live is not None:
            self._live.update(self._renderable(), refresh=True)

    def _forget(self) -> None:
        """Drop the view without erasing: the lines above the cursor are not ours now."""
        if self._live is not None:
            forget_position(self._live)
            self._live.console.line()  # the cursor was left at the end of the view
            self._erase()

    def _suspend(self) -> None:
        self._erase()
        signal.signal(signal.SIGTSTP, signal.SIG_DFL)
        try:
            os.kill(os.getpid(), signal.SIGTSTP)  # stops here, until SIGCONT
        finally:
            self._restore_tstp()

    def _restore_tstp(self) -> None:
        if signal.SIGTSTP in self._signals:
            asyncio.get_running_loop().add_signal_handler(signal.SIGTSTP, self._suspend)

    def _on_continue(self, signum: int, frame: Any) -> None:
        self._continued = True

    def _after_stop(self) -> None:
        """After Ctrl-Z the view was erased before the stop, so there is nothing to do;
        after a SIGSTOP from elsewhere the shell may have printed below the view
        meanwhile, so the view starts again from the cursor."""
        self._continued = False
        self._forget()

    def _schedule(self) -> None:
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(REFRESH_INTERVAL_S, self._redraw)

    def _redraw(self) -> None:
        if self._continued:
            self._after_stop()
        renderable = self._renderable()
        if in_foreground():
            self._show().update(renderable, refresh=True)
            forget_measurements()
        self._schedule()

    def _renderable(self) -> RenderableType:
        numbers = read_numbers(self.copy, self.meter)
        if numbers is None:
            return Text("bpcopy: starting…", style="dim")
        return render_live(numbers)


def forget_position(live: Live) -> None:
    """Make rich's Live forget how many lines it drew, so that stopping it erases none.

    rich has no public call for this; without one, a view drawn before the process was
    stopped would be erased over the shell's own lines once it is continued.
    """
    render = getattr(live, "_live_render", None)
    if render is not None and hasattr(render, "_shape"):
        render._shape = None


def forget_measurements() -> None:
    """Empty rich's caches of text widths after each redraw.

    rich remembers the width of every string it measures (up to 4096 of them, plus
    16,384 split segments); the view's figures change at every redraw, so those caches
    grow by a few hundred KiB a minute until full, about 2 MiB over a long copy. The
    view measures a handful of short strings per redraw, so measuring them again costs
    nothing that shows, and memory stays flat however long the copy takes.
    """
    cached_cell_len.cache_clear()
    split_cells = getattr(Segment, "_split_cells", None)
    if split_cells is not None and hasattr(split_cells, "cache_clear"):
        split_cells.cache_clear()


def read_numbers(copy: Any, meter: RateMeter) -> LiveNumbers | None:
    """A consistent reading of the recorder, or None before the copy has begun."""
    recorder = copy.recorder
    if not recorder.started:
        return None
    elapsed = recorder.elapsed_s
    source, dest = recorder.source, recorder.dest
    rss = recorder.rss.current()
    writable_length = dest.writable_length
    # What write() accepted, less what still waits in (or is being flushed from) the
    # writable buffer: with --mode none, reading can finish long before writing does.
    written = max(recorder.bytes - writable_length, 0)
    return LiveNumbers(
        source=copy.source.name,
        dest=copy.destination.name,
        bytes=recorder.bytes,
        written=written,
        total_bytes=copy.source.size,
        rate_bps=meter.update(elapsed, written),
        elapsed_s=elapsed,
        readable_length=source.readable_length,
        readable_mark=source.readable_high_water_mark,
        max_readable_length=recorder.max_readable_length,
        writable_length=writable_length,
        writable_mark=dest.writable_high_water_mark,
        max_writable_length=recorder.max_writable_length,
        pauses=recorder.pauses,
        drains=recorder.drains,
        paused_s=recorder.paused_total_s,
        rss=rss,
        peak_rss=max(rss, recorder.max_rss),
        upstream=read_end(getattr(copy, "sampler", None), "upstream"),
        downstream=read_end(getattr(copy, "sampler", None), "downstream"),
    )


def render_live(numbers: LiveNumbers) -> RenderableType:
    """The view for one moment, laid out for the width it is drawn at."""
    return LiveLayout(numbers)


class LiveLayout:
    """A rich renderable that picks its layout when drawn: the terminal may be resized."""

    def __init__(self, numbers: LiveNumbers) -> None:
        self.numbers = numbers

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield layout_for_width(self.numbers, min(options.max_width, MAX_WIDTH))


def layout_for_width(numbers: LiveNumbers, width: int) -> RenderableType:
    """Every row fits `width`: below NARROW_WIDTH labels shorten, and figures drop their
    least useful parts until a gauge keeps MIN_BAR cells (abbreviated, never wrapped)."""
    narrow = width < NARROW_WIDTH
    labels = NARROW_LABELS if narrow else LABELS
    label_width = max(len(label) for label in labels.values())
    room = width - label_width - 1  # beside the labels
    bars = [("written", progress_bar(numbers, narrow), progress_figures(numbers))]
    for name in ("readable", "writable"):
        length, mark, peak = buffer_numbers(numbers, name)
        bars.append((name, gauge(name, length, mark), buffer_figures(length, mark, peak)))
    figures = [first_fitting(candidates, room - MIN_BAR - 1) for _, _, candidates in bars]
    rows = [bar_grid(labels[name], bar, text, label_width, max(map(len, figures)))
            for (name, bar, _), text in zip(bars, figures, strict=True)]
    speed, elapsed = first_fitting_pair(rate_figures(numbers), room)
    rate_row = Text(labels["rate"].ljust(label_width + 1), style="bold")
    rate_row.append(speed)
    rate_row.append(elapsed.rjust(room - len(speed)))
    header = Text.assemble(("bpcopy ", "bold"),
                           (f"{shown(numbers.source)} → {shown(numbers.dest)}", "dim"))
    header.no_wrap = True
    header.overflow = "ellipsis"  # long names are cut short, never wrapped
    return Constrain(Group(header, *pipeline_lines(numbers), rows[0], rate_row, *rows[1:],
                           *events_lines(numbers, width)), width)


def pipeline_lines(numbers: LiveNumbers) -> list[RenderableType]:
    """In a pipeline, one line: the four buffers in a row and the programs at each end."""
    if numbers.upstream is None and numbers.downstream is None:
        return []
    return [PipelineLine(numbers.upstream, numbers.downstream, shown(numbers.source),
                         shown(numbers.dest))]


def bar_grid(label: str, bar: RenderableType, figures: str, label_width: int,
             figures_width: int) -> Table:
    """One row: label, bar, figures; fixed outer columns keep the bars of all rows aligned."""
    grid = Table.grid(padding=(0, 1), expand=True)
    grid.add_column(no_wrap=True, width=label_width)
    grid.add_column(ratio=1, no_wrap=True, overflow="crop")
    grid.add_column(no_wrap=True, justify="right", width=figures_width)
    grid.add_row(Text(label, style="bold"), bar, Text(figures))
    return grid


LABELS = {"written": "written", "rate": "rate", "readable": "readable", "writable": "writable"}
NARROW_LABELS = {"written": "wrote", "rate": "rate", "readable": "read", "writable": "write"}
NARROW_WIDTH = 60
MIN_BAR = 8  # a gauge narrower than this says nothing


def first_fitting(candidates: list[str], room: int) -> str:
    """The first (most complete) text that fits `room` cells, else the shortest, cut."""
    for candidate in candidates:
        if len(candidate) <= room:
            return candidate
    return candidates[-1][:max(room, 0)]


def first_fitting_pair(candidates: list[tuple[str, str]], room: int) -> tuple[str, str]:
    for left, right in candidates:
        if len(left) + 1 + len(right) <= room:
            return left, right
    left, _ = candidates[-1]
    return left[:max(room, 0)], ""


def progress_bar(numbers: LiveNumbers, narrow: bool = False) -> RenderableType:
    if numbers.total_bytes is None:
        # A pulsing bar reads as a full one without colour; words are plainer.
        return Text("size unknown" if narrow else "size unknown (a pipe or a device)",
                    style="dim", no_wrap=True, overflow="ellipsis")
    return ProgressBar(total=max(numbers.total_bytes, 1), completed=numbers.written)


def progress_figures(numbers: LiveNumbers) -> list[str]:
    """What the progress row says, most complete first."""
    done = format_size(numbers.written)
    if numbers.total_bytes is None:
        return [done]
    percent = 100 * numbers.written / numbers.total_bytes if numbers.total_bytes else 100
    total = format_size(numbers.total_bytes)
    return [f"{done} / {total} {percent:3.0f}%", f"{done} {percent:3.0f}%", f"{percent:3.0f}%"]


def rate_figures(numbers: LiveNumbers) -> list[tuple[str, str]]:
    """(speed, elapsed) for the rate row, most complete first."""
    elapsed = format_duration(numbers.elapsed_s)
    rate = format_rate(numbers.rate_bps)
    eta = eta_s(numbers)
    speed = rate if eta is None else f"{rate}, ETA {format_eta(eta)}"
    candidates = [(speed, f"elapsed {elapsed}"), (speed, elapsed)]
    if eta is not None:
        candidates.append((f"{rate} ETA {format_eta(eta)}", ""))
    return [*candidates, (rate, "")]


def buffer_figures(length: int, mark: int, peak: int) -> list[str]:
    """A buffer's row, most complete first: length against the mark, then the peak."""
    return [f"{format_size(length)} / {format_size(mark)}, peak {format_size(peak)}",
            f"{format_size(length)} / {format_size(mark)}", format_size(length)]


def format_eta(seconds: float) -> str:
    """Whole seconds: a countdown that flickers in hundredths helps nobody."""
    return f"{seconds:.0f} s" if seconds < 60 else format_duration(seconds)


def eta_s(numbers: LiveNumbers) -> float | None:
    """Whole seconds left at the current rate (None when it cannot be known)."""
    if numbers.total_bytes is None or numbers.rate_bps <= 0:
        return None
    remaining = max(numbers.total_bytes - numbers.written, 0)
    return float(math.ceil(remaining / numbers.rate_bps))


def buffer_numbers(numbers: LiveNumbers, name: str) -> tuple[int, int, int]:
    if name == "readable":
        return numbers.readable_length, numbers.readable_mark, numbers.max_readable_length
    return numbers.writable_length, numbers.writable_mark, numbers.max_writable_length


def gauge(name: str, length: int, mark: int) -> ProgressBar:
    """A buffer's length against its mark: its colour below, yellow at, red above."""
    style = BUFFER_STYLE[name]
    if length > mark:
        style = OVER_MARK_STYLE
    return ProgressBar(total=max(mark, 1), completed=min(length, mark), complete_style=style,
                       finished_style=OVER_MARK_STYLE if length > mark else AT_MARK_STYLE)


def events_lines(numbers: LiveNumbers, width: int) -> list[Text]:
    """Pauses, drains, time paused and RSS: on one line when it fits, else on two, with
    the least useful figures left out until they fit."""
    share = numbers.paused_s / numbers.elapsed_s if numbers.elapsed_s > 0 else 0.0
    percent = f"{min(share, 1.0) * 100:.0f}%"
    paused = f"{format_duration(numbers.paused_s)} ({percent})"
    rss = f"{format_size(numbers.rss)}, peak {format_size(numbers.peak_rss)}"
    events = [("pauses ", "bold"), (f"{numbers.pauses}", "red"), ("  drains ", "bold"),
              (f"{numbers.drains}", "cyan"), ("  paused ", "bold"), (paused, "")]
    short_events = [("pauses ", "bold"), (f"{numbers.pauses}", "red"), (" drains ", "bold"),
                    (f"{numbers.drains}", "cyan"), (" paused ", "bold"), (percent, "")]
    memory = [("RSS ", "bold"), (rss, "green")]
    candidates = [
        [[*events, ("  ", ""), *memory]],
        [events, memory],
        [short_events, memory],
        [short_events[:4], [("RSS ", "bold"), (format_size(numbers.rss), "green")]],
    ]
    for lines in candidates:
        texts = [Text.assemble(*parts) for parts in lines]
        if all(len(text.plain) <= width for text in texts):
            return texts
    texts = [Text.assemble(*parts) for parts in candidates[-1]]
    for text in texts:
        text.no_wrap = True
        text.overflow = "ellipsis"
    return texts
