"""The live view: a few lines on stderr, redrawn while a copy runs, then erased.

It shows bytes done against the total (when known) with rate and ETA, two gauges (each
buffer's length against its mark), pauses, drains, time paused, and RSS now and at peak.

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
from collections import deque
from dataclasses import dataclass
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.constrain import Constrain
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

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
    """Redraws the copy's numbers on stderr from a timer on the running loop."""

    def __init__(self, copy: Any, color: bool) -> None:
        self.copy = copy
        self.color = color
        self.meter = RateMeter()
        self._live: Live | None = None
        self._timer: asyncio.TimerHandle | None = None

    def start(self) -> None:
        """Call inside the running loop, just before the copy starts."""
        console = Console(stderr=True, color_system="auto" if self.color else None,
                          no_color=not self.color, highlight=False, markup=False,
                          emoji=False)
        self._live = Live(self._renderable(), console=console, auto_refresh=False,
                          transient=True, redirect_stdout=False, redirect_stderr=False)
        self._live.start(refresh=True)
        self._schedule()

    def stop(self) -> None:
        """Erase the view, so the summary takes its place."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._live is not None:
            self._live.stop()
            self._live = None

    def _schedule(self) -> None:
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(REFRESH_INTERVAL_S, self._redraw)

    def _redraw(self) -> None:
        if self._live is None:
            return
        self._live.update(self._renderable(), refresh=True)
        self._schedule()

    def _renderable(self) -> RenderableType:
        numbers = read_numbers(self.copy, self.meter)
        if numbers is None:
            return Text("bpcopy: starting…", style="dim")
        return render_live(numbers)


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
    )


def render_live(numbers: LiveNumbers) -> RenderableType:
    """The view for one moment."""
    grid = Table.grid(padding=(0, 1), expand=True)
    grid.add_column(no_wrap=True)
    grid.add_column(ratio=1)
    grid.add_column(no_wrap=True, justify="right")
    grid.add_row(Text("written", style="bold"), progress_bar(numbers),
                 Text(progress_figures(numbers)))
    grid.add_row(Text("rate", style="bold"), Text(speed_line(numbers), no_wrap=True,
                                                   overflow="ellipsis"),
                 Text(f"elapsed {format_duration(numbers.elapsed_s)}"))
    for name in ("readable", "writable"):
        length, mark, peak = buffer_numbers(numbers, name)
        grid.add_row(Text(name, style="bold"), gauge(name, length, mark),
                     Text(f"{format_size(length)} / {format_size(mark)}, "
                          f"peak {format_size(peak)}"))
    header = Text.assemble(("bpcopy ", "bold"), (f"{numbers.source} → {numbers.dest}", "dim"))
    header.truncate(10_000)  # long names are cropped by the console, never wrapped
    return Constrain(Group(header, grid, events_line(numbers)), MAX_WIDTH)


def progress_bar(numbers: LiveNumbers) -> RenderableType:
    if numbers.total_bytes is None:
        # A pulsing bar reads as a full one without colour; words are plainer.
        return Text("size unknown (a pipe or a device)", style="dim")
    return ProgressBar(total=max(numbers.total_bytes, 1), completed=numbers.written)


def progress_figures(numbers: LiveNumbers) -> str:
    done = format_size(numbers.written)
    if numbers.total_bytes is None:
        return done
    percent = 100 * numbers.written / numbers.total_bytes if numbers.total_bytes else 100
    return f"{done} / {format_size(numbers.total_bytes)} {percent:3.0f}%"


def speed_line(numbers: LiveNumbers) -> str:
    eta = eta_s(numbers)
    if eta is None:
        return format_rate(numbers.rate_bps)
    return f"{format_rate(numbers.rate_bps)}, ETA {format_eta(eta)}"


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


def events_line(numbers: LiveNumbers) -> Text:
    share = numbers.paused_s / numbers.elapsed_s if numbers.elapsed_s > 0 else 0.0
    line = Text()
    line.append("pauses ", style="bold")
    line.append(f"{numbers.pauses}", style="red")
    line.append("  drains ", style="bold")
    line.append(f"{numbers.drains}", style="cyan")
    line.append("  paused ", style="bold")
    line.append(f"{format_duration(numbers.paused_s)} ({min(share, 1.0) * 100:.0f}%)")
    line.append("  RSS ", style="bold")
    line.append(f"{format_size(numbers.rss)}, peak {format_size(numbers.peak_rss)}",
                style="green")
    return line
