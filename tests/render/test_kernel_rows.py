"""The kernel buffers as two more rows of the timeline, in the terminal and in the HTML
report, when a copy sat in a pipeline; and none for a copy between files."""

from __future__ import annotations

import re

from render_inputs import (
    MARK,
    hand_built_samples,
    hand_built_summary,
    outcome_of,
    pipe_end,
    pipeline_samples,
)

from bpcopy.diagnostics.recorder import Sample
from bpcopy.render.report import build_charts, build_html_report
from bpcopy.render.terminal import render_terminal_summary
from bpcopy.render.timeline import duration_of, fold_into_columns

PRODUCER = {"pid": 812, "command": "/usr/bin/tar -cf - /etc", "peak_rss": 4 << 20}
CONSUMER = {"pid": 815, "command": "gzip -9", "peak_rss": 2 << 20}


def pipeline_outcome(**ends):
    ends = ends or {"upstream": pipe_end(processes=[PRODUCER]),
                    "downstream": pipe_end(processes=[CONSUMER])}
    return outcome_of(hand_built_summary(**ends), pipeline_samples())


def test_columns_keep_the_kernel_peaks_and_none_where_nothing_was_read():
    samples = [Sample(0.0, 0, 0, 1, 0, 0), Sample(0.1, 0, 0, 1, 0, 0, 10, None),
               Sample(0.2, 0, 0, 1, 0, 0, 30, None), Sample(0.9, 0, 0, 1, 0, 0, 5, None),
               Sample(1.0, 0, 0, 1, 0, 0, 0, None)]
    columns = fold_into_columns(samples, 4)
    assert [column.peak_upstream for column in columns] == [30, 24, 15, 5]  # a line between
    assert [column.sampled for column in columns] == [True, False, False, True]
    assert all(column.peak_downstream is None for column in columns)


def test_the_terminal_timeline_gains_an_upstream_and_a_downstream_row(snapshot):
    text = render_terminal_summary(pipeline_outcome(), color=False, width=80)
    rows = text.splitlines()
    upstream = next(index for index, row in enumerate(rows) if row.startswith("  upstream│"))
    downstream = next(index for index, row in enumerate(rows)
                      if row.startswith("downstream│"))
    assert rows[upstream - 1].startswith("  64.0 KiB┤")  # the capacity, on top
    assert rows[downstream - 1].startswith("  64.0 KiB┤")
    assert downstream == upstream + 2
    assert rows.index(next(r for r in rows if r.strip().startswith("writable│"))) < upstream
    full_then_low = rows[upstream][11:]
    assert set(full_then_low[:30]) == {"█"} and "█" not in full_then_low[-20:]
    snapshot("summary_pipeline_80.txt", text)


def test_at_40_columns_the_kernel_rows_keep_short_labels_and_fit():
    text = render_terminal_summary(pipeline_outcome(), color=False, width=40)
    rows = text.splitlines()
    assert any(row.startswith("upstream│") for row in rows)
    assert any(row.startswith("    down│") for row in rows)
    assert all(len(row) <= 40 for row in rows), text


def test_only_the_ends_that_were_watched_get_a_row():
    text = render_terminal_summary(pipeline_outcome(upstream=None,
                                                    downstream=pipe_end()), False, 80)
    assert "downstream│" in text and "upstream│" not in text


def test_a_copy_between_files_has_no_kernel_rows():
    text = render_terminal_summary(outcome_of(hand_built_summary(upstream=None,
                                                                 downstream=None),
                                              hand_built_samples()), False, 80)
    assert "upstream" not in text and "downstream" not in text


def test_the_report_gains_a_chart_for_each_kernel_buffer_against_its_capacity():
    outcome = pipeline_outcome()
    samples = outcome.recorder.timeline.samples
    charts = build_charts(samples, outcome.summary, duration_of(samples))
    kernel = [chart for chart in charts if "kernel buffer" in chart.title]
    assert [chart.title for chart in kernel] == [
        "Upstream kernel buffer: the pipe from tar (pid 812); full 50% and empty 0% of "
        "the time",
        "Downstream kernel buffer: the pipe to gzip (pid 815); full 50% and empty 0% of "
        "the time"]
    for chart in kernel:
        assert [(rule.label, rule.value) for rule in chart.rules] == [
            ("capacity", MARK), ("full above", MARK - 4096)]
        assert len(chart.lines[0].points) == len(samples) - 1  # the first had no reading
    assert max(value for _, value in kernel[0].lines[0].points) == MARK


def test_a_socket_s_chart_says_its_capacity_is_approximate_and_judges_no_fullness():
    outcome = pipeline_outcome(upstream=pipe_end("socket", 212992), downstream=None)
    samples = outcome.recorder.timeline.samples
    chart = next(chart for chart in build_charts(samples, outcome.summary,
                                                 duration_of(samples))
                 if "kernel" in chart.title)
    assert chart.title == ("Upstream kernel buffer: the socket from a process not visible; "
                           "empty 0% of the time")
    assert [rule.label for rule in chart.rules] == ["capacity (approximate)"]


def test_the_report_page_lists_the_whole_command_lines_escaped():
    odd = {"pid": 9, "command": "prog '<b>'", "peak_rss": None}
    page = build_html_report(pipeline_outcome(upstream=pipe_end(processes=[odd]),
                                              downstream=None), options=_Options())
    assert "<code>prog &#x27;&lt;b&gt;&#x27;</code>" in page
    assert re.search(r'aria-label="Upstream kernel buffer: the pipe from prog \(pid 9\)', page)
    assert "Downstream kernel buffer" not in page


class _Options:
    def _asdict(self):
        return {}
