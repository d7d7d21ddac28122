"""Traces, the summary and --json: what they contain and where they go."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from e2e_helpers import cli, jsonl_records, summary_of

CHUNK_KEYS = ["event", "t", "seq", "bytes", "write_ok", "readable_length", "writable_length",
              "need_drain", "paused", "drains", "pauses", "rss"]
SUMMARY_KEYS = {"bytes", "chunks", "elapsed_s", "throughput_bps", "pauses", "resumes",
                "drains", "max_readable_length", "max_writable_length", "paused_s",
                "start_rss", "peak_rss", "readable_high_water_mark",
                "writable_high_water_mark", "mode", "verdict", "ok", "error"}


def test_jsonl_chunk_records_have_exactly_the_contract_fields_in_order(data) -> None:
    src, content = data(size=10_000)
    result = cli(src, "-", "--trace", "--trace-format", "jsonl", "-H", "1K")
    assert result.returncode == 0
    assert result.stdout == content  # the data on stdout is untouched by the trace
    text = result.stderr.decode()
    trace_text = text[:text.index("bpcopy: copy complete")]
    records = jsonl_records(trace_text)
    chunks = [r for r in records if r["event"] == "chunk"]
    assert len(chunks) == 10
    for record in chunks:
        assert list(record) == CHUNK_KEYS
    assert [r["seq"] for r in chunks] == list(range(1, 11))
    assert sum(r["bytes"] for r in chunks) == len(content)
    for record in records:
        assert list(record)[:2] == ["event", "t"]
    events = {r["event"] for r in records}
    assert {"chunk", "pause", "resume", "drain", "end", "finish"} <= events
    for drain in (r for r in records if r["event"] == "drain"):
        assert {"drains", "writable_length", "readable_length"} <= set(drain)


def test_jsonl_error_record_carries_the_message(tmp_path: Path, data) -> None:
    src, _ = data(size=10_000)
    trace = tmp_path / "trace.jsonl"
    result = cli(src, tmp_path / "out", "-q", "--sink-fail-after", "3K", "-H", "1K",
                 "--trace-format", "jsonl", "--trace-file", trace)
    assert result.returncode == 1
    errors = [r for r in jsonl_records(trace.read_text()) if r["event"] == "error"]
    assert errors and "Input/output error" in errors[0]["message"]
    assert list(errors[0])[:2] == ["event", "t"]


def test_csv_trace_has_a_header_and_one_row_per_chunk(tmp_path: Path, data) -> None:
    src, _ = data(size=4096)
    trace = tmp_path / "trace.csv"
    result = cli(src, tmp_path / "out", "-q", "-H", "1K", "--trace-format", "csv",
                 "--trace-file", trace)
    assert result.returncode == 0 and result.stderr == b""
    rows = list(csv.DictReader(io.StringIO(trace.read_text())))
    chunks = [row for row in rows if row["event"] == "chunk"]
    assert [int(row["bytes"]) for row in chunks] == [1024] * 4
    assert any(row["event"] == "drain" for row in rows)


def test_table_trace_goes_to_stderr_and_leaves_stdout_byte_exact(data) -> None:
    src, content = data(size=50_000)
    result = cli(src, "-", "--trace", "-H", "8K")
    assert result.returncode == 0
    assert result.stdout == content
    lines = result.stderr.decode().splitlines()
    assert lines[0].split()[:3] == ["t", "event", "seq"]
    assert sum(1 for line in lines if " chunk " in line) == 7


def test_trace_file_keeps_the_trace_off_stderr(tmp_path: Path, data) -> None:
    src, _ = data(size=4096)
    trace = tmp_path / "trace.jsonl"
    result = cli(src, tmp_path / "out", "--json", "--trace-format", "jsonl",
                 "--trace-file", trace, "-H", "1K")
    assert result.returncode == 0
    assert summary_of(result)["chunks"] == 4
    assert len([r for r in jsonl_records(trace.read_text()) if r["event"] == "chunk"]) == 4


def test_json_prints_one_object_with_every_summary_field(tmp_path: Path, data) -> None:
    src, content = data(size=4096)
    result = cli(src, tmp_path / "out", "--json")
    assert result.returncode == 0 and result.stdout == b""
    summary = summary_of(result)
    assert SUMMARY_KEYS <= set(summary)
    assert summary["ok"] is True and summary["error"] is None
    assert summary["bytes"] == len(content)


def test_json_describes_a_failure_with_ok_false(tmp_path: Path) -> None:
    result = cli(tmp_path / "missing", tmp_path / "out", "--json")
    assert result.returncode == 1
    summary = json.loads(result.stderr)
    assert result.stderr.count(b"\n") == 1
    assert summary["ok"] is False
    assert "missing" in summary["error"] and "No such file or directory" in summary["error"]


def test_summary_is_printed_unless_quiet(tmp_path: Path, data) -> None:
    src, _ = data(size=4096)
    loud = cli(src, tmp_path / "a")
    quiet = cli(src, tmp_path / "b", "-q")
    assert loud.returncode == quiet.returncode == 0
    assert b"copy complete" in loud.stderr and b"verdict" in loud.stderr
    assert quiet.stderr == b""
