"""Timeline arithmetic shared by the charts: fold a run's samples into time columns.

A sample is the tuple the recorder's Timeline keeps:
  (t, readable_length, writable_length, rss, drains_so_far, pauses_so_far)
Samples are taken when chunks arrive, so a long pause leaves a gap; a buffer keeps its
length until the next sample says otherwise, and empty columns carry the last state on.

This module knows numbers only: not streams, not rich, not HTML.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

Sample = tuple[float, int, int, int, int, int]

T, READABLE, WRITABLE, RSS, DRAINS, PAUSES = range(6)


@dataclass(frozen=True)
class Column:
    """One slice of time: buffer peaks, RSS at its end, and events that fell inside."""

    peak_readable: int
    peak_writable: int
    rss: int
    drains: int
    pauses: int


def duration_of(samples: Sequence[Sample]) -> float:
    """Seconds from the first sample to the last (0 for fewer than two)."""
    if len(samples) < 2:
        return 0.0
    return max(samples[-1][T] - samples[0][T], 0.0)


def fold_into_columns(samples: Sequence[Sample], columns: int) -> list[Column]:
    """Split the run into `columns` equal slices of time and summarise each.

    Peaks rather than averages: a buffer that touched its mark for a moment did touch it,
    and the peak is what memory had to hold.
    """
    if not samples or columns <= 0:
        return []
    start = samples[0][T]
    span = duration_of(samples)
    grouped: list[list[Sample]] = [[] for _ in range(columns)]
    for sample in samples:
        index = _column_index(sample[T] - start, span, columns)
        grouped[index].append(sample)
    return _summarise(grouped, samples[0])


def _column_index(offset: float, span: float, columns: int) -> int:
    if span <= 0:
        return 0
    return min(int(offset / span * columns), columns - 1)


def _summarise(grouped: list[list[Sample]], first: Sample) -> list[Column]:
    result = []
    previous = first
    events_before = (first[DRAINS], first[PAUSES])
    for group in grouped:
        if not group:
            # Nothing happened in this slice: the buffers stayed where they were.
            result.append(Column(previous[READABLE], previous[WRITABLE], previous[RSS], 0, 0))
            continue
        result.append(Column(
            peak_readable=max(sample[READABLE] for sample in group),
            peak_writable=max(sample[WRITABLE] for sample in group),
            rss=group[-1][RSS],
            drains=group[-1][DRAINS] - events_before[0],
            pauses=group[-1][PAUSES] - events_before[1],
        ))
        previous = group[-1]
        events_before = (previous[DRAINS], previous[PAUSES])
    return result

