"""With --explain, the trace table's last column says why each record happened; the
machine formats (JSON Lines, CSV) keep exactly their fields."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bpcopy.copy import CopyOptions, run_copy
from bpcopy.diagnostics.explain import TraceTee
from bpcopy.diagnostics.reasons import Reasons
from bpcopy.render.trace import CSV_FIELDS, JsonLinesTrace, make_trace

TUTORIAL_FILE = b"0123456789abcdef" * 4


def traced(tmp_path: Path, mode: str, format_name: str, why: Reasons | None) -> str:
    source = tmp_path / "in64.txt"
    source.write_bytes(TUTORIAL_FILE)
    out = io.StringIO()
    run_copy(CopyOptions(source=str(source), dest=str(tmp_path / "out.txt"), read_hwm=4,
                         write_hwm=4, mode=mode, trace=make_trace(format_name, out, why=why)))
    return out.getvalue()


def rows_by_event(table: str) -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    for line in table.splitlines()[1:]:
        rows.setdefault(line.split()[1], []).append(line)
    return rows


@pytest.mark.parametrize("mode", ["pump", "pipe"])
def test_every_row_of_the_table_ends_with_its_reason(tmp_path: Path, mode: str) -> None:
    table = traced(tmp_path, mode, "table", Reasons(mode, 4, 4))
    assert table.splitlines()[0].endswith("  why")
    rows = rows_by_event(table)
    assert len(rows["chunk"]) == 16
    assert all(row.endswith("writable_length 4 >= mark 4") for row in rows["chunk"])
    assert all(row.endswith("buffer empty after a false write") for row in rows["drain"])
    assert rows["resume"][0].endswith("'data' listener starts the flow")
    assert all(row.endswith("'drain': " + ("pipe() resumes" if mode == "pipe" else "resume()"))
               for row in rows["resume"][1:])
    assert rows["end"][0].endswith("source exhausted: end()")
    assert rows["finish"][0].endswith("end() and buffer empty")
    if mode == "pipe":
        assert rows["pause"][-1].endswith("pipe() unpipes at 'finish'")


def test_the_reason_agrees_with_the_write_ok_column(tmp_path: Path) -> None:
    table = traced(tmp_path, "pump", "table", Reasons("pump", 4, 4))
    for row in rows_by_event(table)["chunk"]:
        write_ok = row.split()[4]
        assert (">=" in row) == (write_ok == "false")


def test_without_explain_the_table_has_no_why_column(tmp_path: Path) -> None:
    table = traced(tmp_path, "pump", "table", None)
    assert "why" not in table.splitlines()[0]
    assert "mark" not in table


def test_json_lines_and_csv_keep_exactly_their_fields_with_explain(tmp_path: Path) -> None:
    jsonl = traced(tmp_path, "pump", "jsonl", Reasons("pump", 4, 4))
    plain = traced(tmp_path, "pump", "jsonl", None)
    keys = [list(json.loads(line)) for line in jsonl.splitlines()]
    assert keys == [list(json.loads(line)) for line in plain.splitlines()]
    assert all("why" not in record for record in keys)
    csv = traced(tmp_path, "pump", "csv", Reasons("pump", 4, 4))
    assert csv.splitlines()[0].split(",") == list(CSV_FIELDS)
    assert all(line.count(",") == len(CSV_FIELDS) - 1 for line in csv.splitlines())


def test_the_explainer_beside_a_trace_leaves_the_trace_unchanged(tmp_path: Path) -> None:
    from bpcopy.diagnostics.explain import Explainer, RunSetup

    source = tmp_path / "in64.txt"
    source.write_bytes(TUTORIAL_FILE)
    out = io.StringIO()
    explainer = Explainer(RunSetup("pump", 4, 4))
    run_copy(CopyOptions(source=str(source), dest=str(tmp_path / "out.txt"), read_hwm=4,
                         write_hwm=4, trace=TraceTee(JsonLinesTrace(out), explainer)))
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert sum(record["event"] == "chunk" for record in records) == explainer.chunks == 16
    assert sum(record["event"] == "drain" for record in records) == explainer.drains == 16
