"""The summary of a copy, and the verdict on which side held it back.

The summary is a flat dict whose keys are a contract (the --json output):
  bytes, chunks, elapsed_s, throughput_bps, pauses, resumes, drains,
  max_readable_length, max_writable_length, paused_s, start_rss, peak_rss,
  readable_high_water_mark, writable_high_water_mark, mode, verdict, ok, error
followed by extras (bytes_written, source, destination, sha256 with --verify, busy
times, ...). `bytes` is what was read (the number Node's trace agrees on);
`bytes_written` is what the destination accepted, less when the copy stopped early.

The verdict judges by time, not by pause counts: with chunks as large as the mark, even
a fast sink makes write() return false on every chunk. Each endpoint reports how long its
operations were in flight (`busy_s`); the side that was busy for clearly longer held the
copy back.
"""

from __future__ import annotations

from typing import Any

# A side must be busy this much longer than the other, and for this share of the copy,
# before we blame it; below that, both kept up and the time went elsewhere.
_DOMINANCE = 1.5
_SHARE = 0.35


def judge(elapsed_s: float, source_busy_s: float, sink_busy_s: float,
          paused_s: float, sink_fell_behind: bool = False) -> str:
    """One line starting with sink-bound, source-bound or neither, then why."""
    if sink_fell_behind:  # the error says so already; the verdict must not contradict it
        return ("sink-bound: the destination fell behind, and its buffer grew past "
                "--max-buffer")
    if elapsed_s <= 0:
        return "neither: the copy took no measurable time"
    source_share = source_busy_s / elapsed_s
    sink_share = sink_busy_s / elapsed_s
    shares = (f"the destination was busy {_percent(sink_share)} of the time, "
              f"the source {_percent(source_share)}")
    if sink_busy_s > _DOMINANCE * source_busy_s and sink_share >= _SHARE:
        if paused_s / elapsed_s < 0.01:
            return f"sink-bound: {shares}; nothing paused the reader"
        return (f"sink-bound: {shares}; the reader sat paused for "
                f"{_percent(paused_s / elapsed_s)} of it, waiting for 'drain'")
    if source_busy_s > _DOMINANCE * sink_busy_s and source_share >= _SHARE:
        return (f"source-bound: {shares}; the writer sat idle waiting for data")
    if sink_share >= _SHARE and source_share >= _SHARE:
        return f"neither: both sides were busy ({shares}); they were evenly matched"
    return (f"neither: {shares}; the rest went to moving bytes through bpcopy itself")


def _percent(share: float) -> str:
    return f"{min(share, 1.0) * 100:.0f}%"


def build_summary(recorder: Any, source: Any, dest: Any, *, mode: str, start_rss: int,
                  peak_rss: int, error: str | None, extra: dict[str, Any] | None = None,
                  sink_fell_behind: bool = False) -> dict[str, Any]:
    elapsed = recorder.elapsed_s
    paused = recorder.paused_total_s
    source_busy = getattr(source, "busy_s", 0.0)
    sink_busy = getattr(dest, "busy_s", 0.0)
    summary: dict[str, Any] = {
        "bytes": recorder.bytes,
        "chunks": recorder.chunks,
        "elapsed_s": round(elapsed, 6),
        "throughput_bps": round(recorder.bytes / elapsed, 1) if elapsed > 0 else 0.0,
        "pauses": recorder.pauses,
        "resumes": recorder.resumes,
        "drains": recorder.drains,
        "max_readable_length": recorder.max_readable_length,
        "max_writable_length": recorder.max_writable_length,
        "paused_s": round(paused, 6),
        "start_rss": start_rss,
        "peak_rss": max(peak_rss, recorder.max_rss),
        "readable_high_water_mark": source.readable_high_water_mark,
        "writable_high_water_mark": dest.writable_high_water_mark,
        "mode": mode,
        "verdict": judge(elapsed, source_busy, sink_busy, paused, sink_fell_behind),
        "ok": error is None,
        "error": error,
        "max_buffered": recorder.max_buffered,
        "bytes_written": getattr(dest, "bytes_written", recorder.bytes),
        "source_busy_s": round(source_busy, 6),
        "sink_busy_s": round(sink_busy, 6),
    }
    if extra:
        summary.update(extra)
    return summary
