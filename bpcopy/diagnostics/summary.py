"""The summary of a copy, and the verdict on which side held it back.

The summary is a flat dict whose keys are a contract (the --json output):
  bytes, chunks, elapsed_s, throughput_bps, pauses, resumes, drains,
  max_readable_length, max_writable_length, paused_s, start_rss, peak_rss,
  readable_high_water_mark, writable_high_water_mark, mode, verdict, ok, error,
  max_buffered, bytes_written, source_busy_s, sink_busy_s, upstream, downstream
followed by extras (source, destination, sha256 with --verify, ...). `bytes` is what was
read (the number Node's trace agrees on); `bytes_written` is what the destination took,
less when the copy stopped early (a full disk, --max-buffer). `build_summary` is
the one place that shape is built, for a copy that ran and for one that never started.

The verdict judges by time, not by pause counts: with chunks as large as the mark, even
a fast sink makes write() return false on every chunk. Each endpoint reports how long its
operations were in flight (`busy_s`); the side that was busy for clearly longer held the
copy back. A copy shorter than JUDGE_MIN_S is "neither: too short to judge (...)": one
stall of the machine could decide it. In a pipeline, when the kernel's buffers show which
program held it back, the verdict names that program instead (diagnostics.culprit, which
needs more samples than a copy that short has), and `upstream` and `downstream` describe
the kernel buffer at each end (None where that end is not a pipe, FIFO or socket;
diagnostics.sampler builds them).
"""

from __future__ import annotations

from typing import Any

from bpcopy.names import quote

# A side must be busy this much longer than the other, and for this share of the copy,
# before we blame it; below that, both kept up and the time went elsewhere.
_DOMINANCE = 1.5
_SHARE = 0.35
BLAME_SHARE = _SHARE  # for the account that explains the verdict

# Below JUDGE_MIN_S, a verdict would outrun its evidence. A side is blamed once it was
# busy for _SHARE of the copy, and a stall of the machine (the scheduler running
# something else) counts as busy time for whichever side had an operation in flight.
# On a shared 2-core machine, 40 runs of the tutorial's 64-byte copy showed single gaps
# between trace records of up to 32 ms (median 0.14 ms), and copies of 1 to 16 chunks
# of 64 KiB flipped between all three verdicts. WORST_STALL_S / _SHARE is 91 ms, made
# 100 ms: from there on, one stall alone cannot make a side look busy enough to be
# blamed. (bench/verdict_threshold.py measures both again.)
JUDGE_MIN_S = 0.1
WORST_STALL_S = 0.032


def too_short_to_judge(elapsed_s: float) -> bool:
    """Whether a copy was too short for its busy times to mean anything."""
    return elapsed_s < JUDGE_MIN_S


def too_short_verdict(elapsed_s: float, chunks: int) -> str:
    from bpcopy.units import format_duration

    return (f"neither: too short to judge ({format_duration(elapsed_s)}, {chunks} "
            f"chunk{'' if chunks == 1 else 's'}; a verdict needs "
            f"{format_duration(JUDGE_MIN_S)})")


def judge(elapsed_s: float, source_busy_s: float, sink_busy_s: float,
          paused_s: float, chunks: int | None = None,
          sink_fell_behind: bool = False) -> str:
    """One line starting with sink-bound, source-bound or neither, then why."""
    if sink_fell_behind:  # the error says so already; the verdict must not contradict it
        return ("sink-bound: the destination fell behind, and its buffer grew past "
                "--max-buffer")
    if elapsed_s <= 0:
        return "neither: the copy took no measurable time"
    if chunks is not None and too_short_to_judge(elapsed_s):
        return too_short_verdict(elapsed_s, chunks)
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


def describe(error: BaseException) -> str:
    """An error in one line for a person, as the summary and the trace give it: the
    file, then the operating system's reason."""
    if isinstance(error, OSError) and error.filename is not None:
        reason = error.strerror or str(error)
        return f"{quote(error.filename)}: {reason}"
    return str(error) or type(error).__name__


def _percent(share: float) -> str:
    return f"{min(share, 1.0) * 100:.0f}%"


def build_summary(recorder: Any, *, mode: str, marks: tuple[int, int], start_rss: int,
                  peak_rss: int, error: str | None, extra: dict[str, Any] | None = None,
                  sink_fell_behind: bool = False) -> dict[str, Any]:
    """The summary of any copy, in the contract's order: the one place its shape is built.

    `recorder` is the copy's Recorder (whose `source` and `dest` are the two streams), or
    None for a copy that failed before its streams ran: every count is then zero, so
    --json keeps its shape. `marks` are the readable's and the writable's.
    `sink_fell_behind`: --max-buffer stopped the copy, which makes it sink-bound.
    """
    if recorder is None:
        return _fields(_NOTHING_RECORDED, mode=mode, marks=marks, start_rss=start_rss,
                       peak_rss=peak_rss, error=error, source_busy=0.0, sink_busy=0.0,
                       bytes_written=0, verdict="neither: the copy did not run",
                       ends=_NO_PIPELINE,
                       extra=extra)
    elapsed = recorder.elapsed_s
    paused = recorder.paused_total_s
    source_busy = getattr(recorder.source, "busy_s", 0.0)
    sink_busy = getattr(recorder.dest, "busy_s", 0.0)
    verdict = judge(elapsed, source_busy, sink_busy, paused, recorder.chunks,
                    sink_fell_behind)
    kernel = getattr(recorder, "kernel", None)
    ends = _NO_PIPELINE
    if kernel is not None:
        from bpcopy.diagnostics.culprit import name_culprit

        ends = kernel.json_fields()
        named = name_culprit(kernel.report("upstream"), kernel.report("downstream"))
        # A destination that fell behind (--max-buffer) is sink-bound, whoever is named.
        if named and (not sink_fell_behind or named.startswith("sink-bound")):
            verdict = named
    return _fields(recorder, mode=mode, marks=marks, start_rss=start_rss,
                   peak_rss=max(peak_rss, recorder.max_rss), error=error,
                   source_busy=source_busy, sink_busy=sink_busy,
                   bytes_written=getattr(recorder.dest, "bytes_written", recorder.bytes),
                   verdict=verdict, ends=ends, extra=extra)


class _NothingRecorded:
    """The counts of a copy whose streams never ran."""

    bytes = chunks = pauses = resumes = drains = 0
    max_readable_length = max_writable_length = max_buffered = 0
    elapsed_s = paused_total_s = 0.0


_NOTHING_RECORDED = _NothingRecorded()
_NO_PIPELINE: dict[str, Any] = {"upstream": None, "downstream": None}


def _fields(counts: Any, *, mode: str, marks: tuple[int, int], start_rss: int, peak_rss: int,
            error: str | None, source_busy: float, sink_busy: float, bytes_written: int,
            verdict: str, ends: dict[str, Any], extra: dict[str, Any] | None
            ) -> dict[str, Any]:
    elapsed = counts.elapsed_s
    summary: dict[str, Any] = {
        "bytes": counts.bytes,
        "chunks": counts.chunks,
        "elapsed_s": round(elapsed, 6),
        "throughput_bps": round(counts.bytes / elapsed, 1) if elapsed > 0 else 0.0,
        "pauses": counts.pauses,
        "resumes": counts.resumes,
        "drains": counts.drains,
        "max_readable_length": counts.max_readable_length,
        "max_writable_length": counts.max_writable_length,
        "paused_s": round(counts.paused_total_s, 6),
        "start_rss": start_rss,
        "peak_rss": peak_rss,
        "readable_high_water_mark": marks[0],
        "writable_high_water_mark": marks[1],
        "mode": mode,
        "verdict": verdict,
        "ok": error is None,
        "error": error,
        "max_buffered": counts.max_buffered,
        "bytes_written": bytes_written,
        "source_busy_s": round(source_busy, 6),
        "sink_busy_s": round(sink_busy, 6),
        "upstream": ends["upstream"],
        "downstream": ends["downstream"],
    }
    if extra:
        summary.update(extra)
    return summary
