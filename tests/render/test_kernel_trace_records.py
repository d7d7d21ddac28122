"""Kernel records in every trace format, beside chunk records that keep their fields."""

from __future__ import annotations

import csv
import io
import json

from bpcopy.render.trace import CHUNK_FIELDS, make_trace


def traced(format_name: str) -> str:
    out = io.StringIO()
    trace = make_trace(format_name, out)
    trace.kernel(0.008, 65536, None)
    trace.chunk(0.0101, 1, 65536, False, 0, 65536, True, True, 0, 1, 20 << 20)
    trace.kernel(0.016, None, 4096)
    return out.getvalue()


def test_jsonl_kernel_records_carry_both_ends_with_null_for_an_absent_one():
    kernel, chunk, later = (json.loads(line) for line in traced("jsonl").splitlines())
    assert kernel == {"event": "kernel", "t": 0.008, "upstream_queued": 65536,
                      "downstream_queued": None}
    assert later["upstream_queued"] is None and later["downstream_queued"] == 4096
    assert list(chunk) == ["event", *CHUNK_FIELDS]  # exactly the twelve fields


def test_csv_has_one_header_ending_with_the_kernel_columns():
    text = traced("csv")
    header = text.splitlines()[0].split(",")
    assert header[-2:] == ["upstream_queued", "downstream_queued"]
    rows = list(csv.DictReader(io.StringIO(text)))
    assert all(len(row) == len(header) and None not in row for row in rows)
    assert rows[0]["event"] == "kernel"
    assert (rows[0]["upstream_queued"], rows[0]["downstream_queued"]) == ("65536", "")
    assert rows[1]["event"] == "chunk" and rows[1]["upstream_queued"] == ""
    assert rows[1]["rss"] == str(20 << 20)


def test_the_table_shows_kernel_records_on_their_own_line():
    lines = traced("table").splitlines()
    assert lines[1].split() == ["0.008000", "kernel", "upstream", "65536", "B,",
                                "downstream", "-"]
    assert lines[3].split()[-2:] == ["4096", "B"]
