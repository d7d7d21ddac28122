"""Inputs for the renderer tests, built by hand so every rendering is deterministic.

The hand-built run: 2 s, 64 KiB marks, a sink that drains the writable buffer in steps,
a reader that pauses whenever the writable buffer reaches its mark, RSS creeping up, and
a 300 ms stall with no chunk (to exercise the columns drawn between samples).
"""

from __future__ import annotations

from types import SimpleNamespace

from bpcopy.diagnostics.recorder import Sample

MARK = 65536
MIB = 1024 * 1024


def hand_built_samples() -> list[Sample]:
    samples = []
    drains = pauses = 0
    for step in range(201):
        t = step * 0.01
        if 1.2 < t < 1.5:
            continue  # the stall: columns here have no sample of their own
        writable = (step % 4) * MARK // 3 if step else 0
        readable = MARK if step % 4 == 3 else (step % 3) * 8192
        if step and step % 4 == 3:
            pauses += 1
        if step and step % 4 == 0:
            drains += 1
        rss = 20 * MIB + step * 16384
        samples.append(Sample(round(t, 6), readable, writable, rss, drains, pauses))
    samples.append(Sample(2.0, 0, 0, 20 * MIB + 150 * 16384, drains, pauses))
    return samples


def hand_built_summary(**changes) -> dict:
    summary = {
        "bytes": 33554432, "chunks": 512, "elapsed_s": 2.0, "throughput_bps": 16777216.0,
        "pauses": 50, "resumes": 51, "drains": 50, "max_readable_length": MARK,
        "max_writable_length": MARK, "paused_s": 1.25, "start_rss": 20 * MIB,
        "peak_rss": 24 * MIB, "readable_high_water_mark": MARK,
        "writable_high_water_mark": MARK, "mode": "pump",
        "verdict": "sink-bound: the destination was busy 90% of the time, the source 5%; "
                   "the reader sat paused for 62% of it, waiting for 'drain'",
        "ok": True, "error": None, "max_buffered": MARK * 2, "source_busy_s": 0.1,
        "sink_busy_s": 1.8, "source": "/data/in.bin", "destination": "/backup/out.bin",
    }
    summary.update(changes)
    return summary


def outcome_of(summary: dict, samples: list) -> SimpleNamespace:
    """A stand-in for bpcopy.copy.CopyOutcome: what the renderers read of it."""
    timeline = SimpleNamespace(samples=samples)
    return SimpleNamespace(summary=summary, recorder=SimpleNamespace(timeline=timeline))


def pipeline_samples() -> list[Sample]:
    """The hand-built run in a pipeline: the pipe from the producer full in the first
    second and nearly empty after; the pipe to the consumer filling steadily. The first
    sample has no kernel reading (the sampler starts just after the recorder)."""
    samples = []
    for index, sample in enumerate(hand_built_samples()):
        if index == 0:
            samples.append(sample)
            continue
        upstream = MARK if sample.t < 1.0 else 512
        downstream = min(int(sample.t * MARK), MARK)
        samples.append(sample._replace(upstream_queued=upstream, downstream_queued=downstream))
    return samples


def pipe_end(kind: str = "pipe", capacity: int = MARK, processes=None, **changes) -> dict:
    """The summary's `upstream` or `downstream` object."""
    end = {"kind": kind, "capacity": capacity, "max_queued": capacity,
           "full_fraction": 0.5 if kind != "socket" else None, "empty_fraction": 0.0,
           "processes": processes or []}
    end.update(changes)
    return end
