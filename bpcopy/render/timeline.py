"""Timeline arithmetic shared by the charts: a run's samples, folded into time columns.

A sample is the recorder's `Sample` (bpcopy.diagnostics.recorder): the time, both buffer
lengths, RSS, and the drains and pauses so far; in a pipeline, also the bytes queued in the
kernel's buffer at each end (None where that end is not watched or was not read). A timer
takes them every few milliseconds (less often on a long copy, whose timeline thins itself
out), so a column narrower than that spacing can hold none; such a column is drawn
between its neighbours.

`samples_of` is how every chart (the terminal's and the HTML report's) gets them.
This module knows numbers only: not streams, not rich, not HTML.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bpcopy.diagnostics.recorder import Sample

__all__ = ["KERNEL_FIELDS", "Column", "Sample", "duration_of", "fold_into_columns",
           "samples_of"]

# The kernel buffers a sample may carry, by role: (role, the Sample's field).
KERNEL_FIELDS = (("upstream", "upstream_queued"), ("downstream", "downstream_queued"))


def samples_of(outcome: Any) -> list[Sample]:
    """The timeline of a CopyOutcome (none for a copy that never started)."""
    recorder = getattr(outcome, "recorder", None)
    timeline = getattr(recorder, "timeline", None)
    return list(getattr(timeline, "samples", []) or [])


@dataclass(frozen=True)
class Column:
    """One slice of time: buffer peaks, RSS at its end, and events that fell inside.

    A slice with no sample of its own (`sampled` false) is drawn between its neighbours:
    it is narrower than the timer's spacing, and the buffers are taken to have moved in a
    straight line from one neighbour's state towards the other's.
    """

    peak_readable: int
    peak_writable: int
    rss: int
    drains: int
    pauses: int
    sampled: bool = True
    # Kernel buffers in a pipeline: the most bytes seen queued (None: no reading here).
    peak_upstream: int | None = None
    peak_downstream: int | None = None


def duration_of(samples: Sequence[Sample]) -> float:
    """Seconds from the first sample to the last (0 for fewer than two)."""
    if len(samples) < 2:
        return 0.0
    return max(samples[-1].t - samples[0].t, 0.0)


def fold_into_columns(samples: Sequence[Sample], columns: int) -> list[Column]:
    """Split the run into `columns` equal slices of time and summarise each.

    Peaks rather than averages: a buffer that touched its mark for a moment did touch it,
    and the peak is what memory had to hold.
    """
    if not samples or columns <= 0:
        return []
    start = samples[0].t
    span = duration_of(samples)
    grouped: list[list[Sample]] = [[] for _ in range(columns)]
    for sample in samples:
        grouped[_column_index(sample.t - start, span, columns)].append(sample)
    midpoints = [start + (index + 0.5) * span / columns for index in range(columns)]
    return _summarise(grouped, midpoints)


def _column_index(offset: float, span: float, columns: int) -> int:
    if span <= 0:
        return 0
    return min(int(offset / span * columns), columns - 1)


def _summarise(grouped: list[list[Sample]], midpoints: list[float]) -> list[Column]:
    # The first slice holds the first sample and, unless the run took no time, the last
    # slice holds the last; so an empty slice has a sample on each side.
    result = []
    previous = grouped[0][0]
    for index, group in enumerate(grouped):
        if not group:
            following = next((g[0] for g in grouped[index + 1:] if g), previous)
            result.append(_between(previous, following, midpoints[index]))
            continue
        result.append(Column(
            peak_readable=max(sample.readable_length for sample in group),
            peak_writable=max(sample.writable_length for sample in group),
            rss=group[-1].rss,
            drains=group[-1].drains - previous.drains,
            pauses=group[-1].pauses - previous.pauses,
            peak_upstream=_peak(sample.upstream_queued for sample in group),
            peak_downstream=_peak(sample.downstream_queued for sample in group),
        ))
        previous = group[-1]
    return result


def _between(before: Sample, after: Sample, t: float) -> Column:
    """A slice with no sample: a straight line between the samples either side."""
    gap = after.t - before.t
    share = (t - before.t) / gap if gap > 0 else 0.0

    def towards(field: str) -> int:
        start = getattr(before, field)
        return round(start + (getattr(after, field) - start) * share)

    def kernel_towards(field: str) -> int | None:
        start, end = getattr(before, field), getattr(after, field)
        if start is None or end is None:
            return start if end is None else end
        return round(start + (end - start) * share)

    return Column(towards("readable_length"), towards("writable_length"), towards("rss"),
                  0, 0, sampled=False, peak_upstream=kernel_towards("upstream_queued"),
                  peak_downstream=kernel_towards("downstream_queued"))


def _peak(readings: Iterable[int | None]) -> int | None:
    """The largest reading, ignoring moments without one (None when there were none)."""
    return max((reading for reading in readings if reading is not None), default=None)
