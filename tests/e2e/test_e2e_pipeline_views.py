"""The kernel buffers in what a person sees: the live view's pipeline line in a real
terminal (tmux, at 40 and 100 columns; skipped without tmux), the terminal timeline's two
more rows, and the HTML report's two more charts, from real pipelines through the CLI.

Timeouts here are safety nets against a hang, never assertions about speed.
"""

from __future__ import annotations

import html
import os
import re
import shlex
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import uuid
import zlib
from pathlib import Path

import pytest
from e2e_helpers import BPCOPY, HANG_TIMEOUT_S, kill_quietly, summary_of

from bpcopy.units import format_size

# Reads 4 KiB every 2 ms until end of file: a consumer slower than the pipe feeding it.
SLOW_READER = ("import os, time\n"
               "while os.read(0, 4096):\n"
               "    time.sleep(0.002)\n")
# Writes 8 KiB every millisecond, 300 times: faster than the reader above.
WRITER = ("import os, time\n"
          "for _ in range(300):\n"
          "    os.write(1, b'w' * 8192)\n"
          "    time.sleep(0.001)\n")
PYTHON = os.path.basename(sys.executable)  # how the programs at the ends are named
QUEUED = r"[\d.]+K?"  # a compact size: 0, 512, 4.0K, 60K
CAPACITY = r"[\d.]+K"  # 64K unless the system's pipes are smaller
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_tmux = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def script(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def run_between(producer: list[str], bpcopy_args: list[str], consumer: list[str]
                ) -> tuple[subprocess.CompletedProcess[bytes], int, int]:
    """producer | bpcopy - - ARGS | consumer; returns bpcopy's result and both pids."""
    started: list[subprocess.Popen[bytes]] = []
    try:
        started.append(subprocess.Popen(producer, stdout=subprocess.PIPE))
        started.append(subprocess.Popen(consumer, stdin=subprocess.PIPE))
        copier = subprocess.Popen([*BPCOPY, "-", "-", *bpcopy_args], stdin=started[0].stdout,
                                  stdout=started[1].stdin, stderr=subprocess.PIPE)
        started[0].stdout.close()
        started[1].stdin.close()
        _, err = copier.communicate(timeout=HANG_TIMEOUT_S)
        for child in started:
            child.wait(HANG_TIMEOUT_S)
        result = subprocess.CompletedProcess(copier.args, copier.returncode, b"", err)
        return result, started[0].pid, started[1].pid
    finally:
        for child in started:
            kill_quietly(child)


def kernel_chart(page: str, role: str) -> str:
    match = re.search(rf'<svg[^>]*aria-label="{role.capitalize()} kernel buffer:.*?</svg>',
                      page, re.S)
    assert match, f"no {role} kernel chart"
    return match.group(0)


def queued_values(chart: str, capacity: int) -> list[float]:
    """The plotted readings, in bytes, read back from the chart's line and its axis (whose
    top is the capacity, which no reading of a pipe exceeds)."""
    points = re.search(r'<polyline points="([^"]+)"', chart).group(1)
    ys = [float(point.split(",")[1]) for point in points.split()]
    top = float(re.search(r'<rect class=plot x="[\d.]+" y="([\d.]+)"', chart).group(1))
    height = float(re.search(r'<rect class=plot [^>]*height="([\d.]+)"', chart).group(1))
    return [(top + height - y) / height * capacity for y in ys]


def test_the_report_charts_both_kernel_buffers_with_the_readings_and_the_programs(tmp_path):
    report = tmp_path / "report.html"
    result, producer, consumer = run_between(
        [sys.executable, str(script(tmp_path, "writer.py", WRITER))],
        ["--report", str(report), "--json"],
        [sys.executable, str(script(tmp_path, "reader.py", SLOW_READER))])
    assert result.returncode == 0, result.stderr
    summary = summary_of(result)
    page = report.read_text(encoding="utf-8")
    for role, pid, direction in (("upstream", producer, "from"),
                                 ("downstream", consumer, "to")):
        end = summary[role]
        capacity = end["capacity"]
        chart = kernel_chart(page, role)
        title = html.unescape(re.search(r'aria-label="([^"]+)"', chart).group(1))
        assert title.startswith(f"{role.capitalize()} kernel buffer: the pipe {direction} "
                                f"{PYTHON} (pid {pid})")
        assert f"full {end['full_fraction'] * 100:.0f}%" in title
        assert f"capacity {format_size(capacity)}" in chart
        assert f"full above {format_size(capacity - 4096)}" in chart
        values = queued_values(chart, capacity)
        # The chart plots the sampler's readings, as the recorder's timer found them.
        tolerance = capacity / 150  # a pixel's worth, at one decimal
        assert -tolerance <= min(values) and max(values) <= end["max_queued"] + tolerance
        assert f"pid {pid}, <code>" in page  # the whole command line, listed
    # The consumer is the slowest: the pipe to it filled, and the chart shows it.
    downstream = summary["downstream"]
    assert max(queued_values(kernel_chart(page, "downstream"), downstream["capacity"])) > \
        downstream["capacity"] - 4096 - downstream["capacity"] / 150
    if CHROMIUM:
        assert_renders_in_chromium(report, tmp_path)


def test_a_copy_between_files_has_no_kernel_charts(tmp_path):
    source = tmp_path / "src"
    source.write_bytes(b"x" * 300_000)
    report = tmp_path / "report.html"
    result = subprocess.run([*BPCOPY, source, tmp_path / "dst", "--report", report, "-q"],
                            capture_output=True, timeout=HANG_TIMEOUT_S, check=False)
    assert result.returncode == 0, result.stderr
    page = report.read_text(encoding="utf-8")
    assert "Readable buffer" in page and "kernel buffer" not in page


def assert_renders_in_chromium(report: Path, tmp_path: Path) -> None:
    screenshot = tmp_path / "report.png"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                        "--no-first-run", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync",
                        f"--user-data-dir={profile}", f"--screenshot={screenshot}",
                        "--window-size=1000,1600", report.as_uri()],
                       check=True, capture_output=True, timeout=90)
    assert len(colours_in_png(screenshot)) > 20, "the screenshot is nearly blank"


def colours_in_png(png: Path) -> set[int]:
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, compressed = 8, b""
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        if kind == b"IDAT":
            compressed += data[position + 8:position + 8 + length]
        position += 12 + length
    return set(zlib.decompress(compressed))


# -- a real terminal -----------------------------------------------------------------------


class Tmux:
    """A tmux server of our own (its own socket) with one window `columns` wide."""

    def __init__(self, columns: int) -> None:
        self.socket = f"bpcopy-views-{uuid.uuid4().hex[:8]}"
        self.run("new-session", "-d", "-s", "t", "-x", str(columns), "-y", "60",
                 "env", "TERM=xterm-256color", "PS1=$ ", "bash", "--norc", "--noprofile")
        self.wait_for(lambda screen: "$" in screen)

    def run(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True,
                              check=True, timeout=30).stdout.decode()

    def type_line(self, line: str) -> None:
        self.run("send-keys", "-t", "t", line, "Enter")

    def screen(self) -> str:
        """The pane, with lines the terminal wrapped joined back (so a wrap shows)."""
        return self.run("capture-pane", "-p", "-J", "-t", "t", "-S", "-200")

    def wait_for(self, found, timeout: float = HANG_TIMEOUT_S) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if found(screen):
                return screen
            time.sleep(0.05)
        raise AssertionError(f"never appeared; the screen:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True,
                       check=False)


@pytest.fixture
def tmux_window():
    windows: list[Tmux] = []

    def open_window(columns: int) -> Tmux:
        windows.append(Tmux(columns))
        return windows[-1]

    yield open_window
    for window in windows:
        window.close()


def start_pipeline(window: Tmux, tmp_path: Path) -> Path:
    """cat SRC | bpcopy - - --report R | slow reader, typed into the shell; returns R."""
    source = tmp_path / "src"
    source.write_bytes(os.urandom(6_000_000))
    reader = script(tmp_path, "reader.py", SLOW_READER)
    report = tmp_path / "report.html"
    bpcopy = " ".join(shlex.quote(str(part)) for part in
                      [*BPCOPY, "-", "-", "--report", report, "--color", "never"])
    window.type_line("clear")
    window.type_line(f"cat {shlex.quote(str(source))} | {bpcopy} | "
                     f"{shlex.quote(sys.executable)} {shlex.quote(str(reader))}; "
                     "echo DONE-$((6 * 7))")
    return report


def report_pids(report: Path, role: str) -> set[int]:
    page = report.read_text(encoding="utf-8")
    return {int(pid) for pid in re.findall(rf"<li>{role}: pid (\d+),", page)}


@needs_tmux
def test_at_100_columns_the_live_view_names_both_programs_and_shows_four_buffers(
        tmp_path, tmux_window):
    window = tmux_window(100)
    report = start_pipeline(window, tmp_path)
    wide = re.compile(rf"cat \(pid (\d+)\) → \[pipe {QUEUED}/{CAPACITY}\] → readable → "
                      rf"writable → \[pipe {QUEUED}/{CAPACITY}\] → {re.escape(PYTHON)} "
                      r"\(pid (\d+)\)$")
    during = window.wait_for(lambda screen: any(wide.search(line.rstrip())
                                                for line in screen.splitlines()))
    shown = next(wide.search(line.rstrip()) for line in during.splitlines()
                 if wide.search(line.rstrip()))
    assert len(shown.string) <= 100
    final = window.wait_for(lambda screen: "DONE-42" in screen)
    # The pids on screen are the processes the copy found at each end.
    assert {int(shown.group(1))} == report_pids(report, "upstream")
    assert {int(shown.group(2))} == report_pids(report, "downstream")
    # The terminal timeline: the kernel buffers as two more rows, under their capacity.
    rows = final.splitlines()
    upstream = next(i for i, row in enumerate(rows) if row.startswith("  upstream│"))
    assert re.match(r" *[\d.]+ KiB┤", rows[upstream - 1])  # the capacity, on top
    assert rows[upstream + 2].startswith("downstream│")
    assert "█" in rows[upstream + 2]  # the pipe to the slow reader filled


@needs_tmux
def test_at_40_columns_the_pipeline_line_is_abbreviated_never_wrapped(tmp_path,
                                                                       tmux_window):
    window = tmux_window(40)
    start_pipeline(window, tmp_path)
    tight = re.compile(rf"^cat( \d+)?→\[{QUEUED}/{CAPACITY}\]→(r→w|read→write)→"
                       rf"\[{QUEUED}/{CAPACITY}\]→{re.escape(PYTHON)}( \d+)?$")
    during = window.wait_for(lambda screen: any(tight.match(line.rstrip())
                                                for line in screen.splitlines()))
    shown = next(line.rstrip() for line in during.splitlines() if tight.match(line.rstrip()))
    assert len(shown) <= 40
    # No line of the live view was wrapped by the terminal (capture-pane joins those).
    view = during[during.index("bpcopy stdin"):]
    assert all(len(line.rstrip()) <= 40 for line in view.splitlines()), view
    final = window.wait_for(lambda screen: "DONE-42" in screen)
    print(f"live view at 40 columns: {shown}")
    # The timeline at the end: both kernel rows, under short labels, nothing wrapped.
    summary = final[final.index("bpcopy: copy"):final.index("DONE-42")]
    rows = summary.splitlines()
    assert any(row.startswith("upstream│") for row in rows), summary
    assert any(row.startswith("    down│") for row in rows), summary
    assert all(len(row.rstrip()) <= 40 for row in rows), summary


@needs_tmux
def test_off_a_pipeline_the_live_view_has_no_pipeline_line(tmp_path, tmux_window):
    source = tmp_path / "src"
    source.write_bytes(os.urandom(3_000_000))
    window = tmux_window(100)
    bpcopy = " ".join(shlex.quote(str(part)) for part in
                      [*BPCOPY, source, tmp_path / "dst", "--sink-rate", "1MiB/s"])
    window.type_line(f"{bpcopy}; echo DONE-$((6 * 7))")
    during = window.wait_for(lambda screen: "ETA" in screen)
    assert "readable → writable" not in during and "r→w" not in during
    final = window.wait_for(lambda screen: "DONE-42" in screen)
    assert "upstream│" not in final and "downstream│" not in final
