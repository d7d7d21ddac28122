"""The live view: its layout for fixed numbers (snapshots), and a real copy driving it
from the loop's timer."""

import asyncio
import os

import pytest
from render_inputs import MARK, MIB
from rich.console import Console

from bpcopy.render import live
from bpcopy.render.live import LiveNumbers, LiveView, RateMeter, eta_s, render_live


def numbers(**changes) -> LiveNumbers:
    values = dict(source="/data/in.bin", dest="/backup/out.bin", bytes=40 * MIB,
                  written=40 * MIB - MARK, total_bytes=64 * MIB, rate_bps=20 * MIB,
                  elapsed_s=2.0, readable_length=MARK, readable_mark=MARK,
                  max_readable_length=MARK, writable_length=MARK // 2, writable_mark=MARK,
                  max_writable_length=MARK, pauses=640, drains=639, paused_s=1.9,
                  rss=25 * MIB, peak_rss=26 * MIB)
    values.update(changes)
    return LiveNumbers(**values)


def rendered(view_numbers: LiveNumbers, width: int = 80) -> str:
    console = Console(record=True, width=width, color_system=None, file=open("/dev/null", "w"))
    console.print(render_live(view_numbers))
    console.file.close()
    return console.export_text()


def test_live_view_at_80_columns_matches_snapshot(snapshot):
    snapshot("live_80.txt", rendered(numbers()))


def test_live_view_does_not_grow_past_100_columns(snapshot):
    text = rendered(numbers(), width=200)
    assert max(len(line.rstrip()) for line in text.splitlines()) <= 100
    snapshot("live_200.txt", text)


@pytest.mark.parametrize("width", [24, 30, 40, 59, 60, 79])
def test_every_row_of_the_view_fits_a_narrow_terminal(width):
    for view_numbers in (numbers(), numbers(total_bytes=None),
                         numbers(source="/a/very/long/path/" * 5, bytes=1023 * MIB * 1024,
                                 written=1023 * MIB * 1024, total_bytes=1024 * MIB * 1024,
                                 pauses=123456, drains=123455, rss=1023 * MIB)):
        text = rendered(view_numbers, width=width)
        lines = text.splitlines()
        assert len(lines) <= 7
        assert all(len(line) <= width for line in lines), text
        assert lines[1].split()[0] in ("written", "wrote")  # labels whole, not cut


def test_live_view_at_40_columns_matches_snapshot(snapshot):
    text = rendered(numbers(), width=40)
    assert "64.0 MiB" in text and "ETA" in text
    snapshot("live_40.txt", text)


def test_a_pipe_of_unknown_size_has_no_total_and_no_eta(snapshot):
    text = rendered(numbers(total_bytes=None))
    assert "ETA" not in text and "64.0 MiB" not in text
    snapshot("live_pipe_80.txt", text)


def test_a_buffer_over_its_mark_reads_plainly(snapshot):
    text = rendered(numbers(writable_length=40 * MIB, max_writable_length=41 * MIB,
                            written=MIB, pauses=0, drains=0, paused_s=0.0))
    assert "40.0 MiB / 64.0 KiB" in text
    snapshot("live_over_mark_80.txt", text)


def test_eta_is_whole_seconds_at_the_current_rate():
    assert eta_s(numbers(written=32 * MIB, rate_bps=10 * MIB)) == 4.0
    assert eta_s(numbers(rate_bps=0.0)) is None
    assert eta_s(numbers(total_bytes=None)) is None


def test_rate_is_taken_over_a_recent_window():
    meter = RateMeter(window_s=1.0)
    assert meter.update(0.0, 0) == 0.0
    assert meter.update(1.0, 100) == 100.0
    meter.update(2.0, 1100)
    assert meter.update(3.0, 2100) == 1000.0  # the slow first second has left the window


def test_a_real_copy_drives_the_view_from_the_loop_timer(tmp_path, monkeypatch):
    """The view reads the real Recorder's attributes, redraws, and stops with the copy."""
    from bpcopy.copy import CopyOptions, run_copy

    source = tmp_path / "in.bin"
    source.write_bytes(b"x" * (2 * MIB))
    seen: list[LiveNumbers] = []
    original = live.render_live

    def spy(view_numbers):
        seen.append(view_numbers)
        return original(view_numbers)

    monkeypatch.setattr(live, "render_live", spy)
    monkeypatch.setattr(live, "REFRESH_INTERVAL_S", 0.02)
    views = []

    def run_with_view(copy):
        view = LiveView(copy, color=False)
        views.append(view)

        async def main():
            view.start()
            try:
                return await copy.run()
            finally:
                view.stop()

        return asyncio.run(main())

    outcome = run_copy(CopyOptions(source=str(source), dest=str(tmp_path / "out.bin"),
                                   sink_rate=8 * MIB), run_with_view)
    view = views[0]
    assert outcome.error is None
    assert len(seen) >= 3
    assert seen[-1].total_bytes == 2 * MIB
    assert all(later.bytes >= earlier.bytes for earlier, later
               in zip(seen, seen[1:], strict=False))
    assert view._timer is None and view._live is None


def test_memory_stays_flat_over_hundreds_of_redraws():
    """Every redraw shows new figures; rich would remember the width of each string it
    measured (some 2 MiB over a long copy). The view empties those caches after each
    redraw, so what it holds does not grow with the copy's duration."""
    import gc
    import tracemalloc

    from rich.live import Live

    with open(os.devnull, "w") as null:
        console = Console(file=null, force_terminal=True, width=100, color_system="standard")
        view = Live(console=console, auto_refresh=False, transient=True,
                    redirect_stdout=False, redirect_stderr=False)
        view.start()

        def redraw(step: int) -> None:
            view.update(render_live(numbers(written=step * 4096, rate_bps=step * 1.5,
                                            elapsed_s=step / 10, pauses=step, drains=step,
                                            rss=20 * MIB + step * 4096)), refresh=True)
            live.forget_measurements()

        for step in range(100):  # styles, colours and the like, cached once
            redraw(step)
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        for step in range(200, 350):
            redraw(step)
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        view.stop()
    assert grown < 32 * 1024, f"{grown} bytes kept after 150 redraws"
