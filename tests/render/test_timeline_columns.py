"""Folding timeline samples into time columns: peaks, events, and the gaps between."""

from types import SimpleNamespace

from bpcopy.diagnostics.recorder import Sample, Timeline
from bpcopy.render.timeline import Column, duration_of, fold_into_columns, samples_of


def test_each_column_keeps_its_peaks_its_last_rss_and_its_events():
    samples = [Sample(0.0, 0, 0, 100, 0, 0), Sample(0.1, 5, 50, 110, 1, 1),
               Sample(0.2, 3, 90, 120, 2, 1), Sample(0.6, 0, 10, 130, 3, 2),
               Sample(1.0, 0, 0, 140, 3, 2)]
    columns = fold_into_columns(samples, 2)
    assert columns == [Column(5, 90, 120, 2, 1), Column(0, 10, 140, 1, 1)]


def test_a_column_with_no_sample_lies_between_its_neighbours():
    samples = [Sample(0.0, 0, 0, 100, 0, 0), Sample(1.0, 0, 400, 500, 4, 4)]
    columns = fold_into_columns(samples, 4)
    assert [column.sampled for column in columns] == [True, False, False, True]
    assert [column.peak_writable for column in columns] == [0, 150, 250, 400]
    assert sum(column.drains for column in columns) == 4


def test_degenerate_timelines_fold_to_something_drawable():
    assert fold_into_columns([], 10) == []
    assert duration_of([Sample(0.5, 0, 0, 0, 0, 0)]) == 0.0
    one = fold_into_columns([Sample(0.5, 1, 2, 3, 0, 0)], 3)
    assert len(one) == 3 and one[0].peak_writable == 2


def test_both_charts_read_the_samples_the_recorder_took():
    timeline = Timeline(limit=4)
    for step in range(5):
        timeline.add(Sample(step * 0.1, step, 2 * step, 100, step, 0))
    recorder = SimpleNamespace(timeline=timeline)
    samples = samples_of(SimpleNamespace(recorder=recorder))
    assert samples == timeline.samples and samples is not timeline.samples
    assert [sample.readable_length for sample in samples] == [0, 2, 4]  # thinned once
    assert samples_of(SimpleNamespace(recorder=None)) == []
