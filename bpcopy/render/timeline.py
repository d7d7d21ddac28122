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
    """One slice of time: buffer peaks, RSS at its end, and events that fell inside.

    A slice with no sample of its own (`sampled` false) is drawn between its neighbours:
    samples come with chunks, so a slice without one is a stretch where no chunk arrived,
    and the buffers moved from one neighbour's state towards the other's.
    """

    peak_readable: int
    peak_writable: int
    rss: int
    drains: int
    pauses: int
    sampled: bool = True


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
        grouped[_column_index(sample[T] - start, span, columns)].append(sample)
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
            peak_readable=max(sample[READABLE] for sample in group),
            peak_writable=max(sample[WRITABLE] for sample in group),
            rss=group[-1][RSS],
            drains=group[-1][DRAINS] - previous[DRAINS],
            pauses=group[-1][PAUSES] - previous[PAUSES],
        ))
        previous = group[-1]
    return result


def _between(before: Sample, after: Sample, t: float) -> Column:
    """A slice with no sample: a straight line between the samples either side."""
    gap = after[T] - before[T]
    share = (t - before[T]) / gap if gap > 0 else 0.0

    def towards(field: int) -> int:
        return round(before[field] + (after[field] - before[field]) * share)

    return Column(towards(READABLE), towards(WRITABLE), towards(RSS), 0, 0, sampled=False)
