"""The same numbers as Node: bpcopy's trace against Node's own streams on the same files.

Node's side is tests/node/oracle.js, run by the `node` on PATH; only the tests marked
`node` need it, and they skip without it. The matrix runs bpcopy in-process (the same
Copy the CLI runs, with the jsonl trace writer) to stay quick; the tutorial's examples
run the real CLI.
"""

from __future__ import annotations

import io
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from e2e_helpers import HANG_TIMEOUT_S, cli, jsonl_records, summary_of

from bpcopy.copy import CopyOptions, run_copy
from bpcopy.render.trace import JsonLinesTrace

NODE = shutil.which("node")
NODE_DIR = Path(__file__).resolve().parent.parent / "node"
ORACLE_JS = NODE_DIR / "oracle.js"
TUTORIAL_64_BYTES = NODE_DIR / "in64.txt"  # the tutorial's pump input: 0-9a-f, four times
CHUNK_FIELDS = ("seq", "bytes", "write_ok", "readable_length", "writable_length",
                "need_drain", "paused", "drains", "pauses")
# Node's readable_length at 'drain' depends on which of its thread-pool read and write
# finishes first (it varies from run to run), so drain records compare without it.
DRAIN_FIELDS = ("drains", "writable_length")
SUMMARY_FIELDS = ("chunks", "bytes", "pauses", "drains", "max_readable_length",
                  "max_writable_length")

needs_node = pytest.mark.skipif(NODE is None, reason="node is not on PATH")


def node_trace(src: Path, dst: Path, mark: int, mode: str) -> list[dict]:
    """Node's records for copying src to dst with both marks at `mark`."""
    result = subprocess.run([NODE, str(ORACLE_JS), str(src), str(dst), str(mark), mode],
                            capture_output=True, timeout=HANG_TIMEOUT_S, check=False)
    assert result.returncode == 0, result.stderr.decode()
    records = jsonl_records(result.stdout.decode())
    assert records and records[-1]["event"] == "summary", result.stdout.decode()
    return records


def bpcopy_trace(src: Path, dst: Path, mark: int, mode: str) -> tuple[list[dict], dict]:
    out = io.StringIO()
    outcome = run_copy(CopyOptions(source=str(src), dest=str(dst), read_hwm=mark,
                                   write_hwm=mark, mode=mode, trace=JsonLinesTrace(out),
                                   measure_rss=False))
    assert outcome.exit_code == 0, outcome.summary
    return jsonl_records(out.getvalue()), outcome.summary


def pick(records: list[dict], event: str, fields: tuple[str, ...]) -> list[dict]:
    return [{key: r[key] for key in fields} for r in records if r["event"] == event]


def cases() -> list[tuple[int, int]]:
    found = []
    for mark in (4, 1000, 16384, 65536):
        for size in sorted({0, 1, mark - 1, mark, mark + 1, 1024 * 1024}):
            if size // mark <= 20_000:  # 1 MiB in 4-byte chunks is too slow for node too
                found.append((mark, size))
    found.append((4, 4096))  # stands in for 1 MiB at the smallest mark
    return found


@pytest.mark.node
@needs_node
@pytest.mark.parametrize("mode", ["pump", "pipe"])
@pytest.mark.parametrize(("mark", "size"), cases())
def test_chunk_drain_and_summary_numbers_match_node(tmp_path: Path, mark: int, size: int,
                                                    mode: str) -> None:
    src = tmp_path / "src"
    src.write_bytes(random.Random(size).randbytes(size))
    theirs = node_trace(src, tmp_path / "node-out", mark, mode)
    ours, summary = bpcopy_trace(src, tmp_path / "bpcopy-out", mark, mode)
    assert (tmp_path / "bpcopy-out").read_bytes() == src.read_bytes()
    assert pick(ours, "chunk", CHUNK_FIELDS) == pick(theirs, "chunk", CHUNK_FIELDS)
    assert pick(ours, "drain", DRAIN_FIELDS) == pick(theirs, "drain", DRAIN_FIELDS)
    node_summary = next(r for r in theirs if r["event"] == "summary")
    assert {k: summary[k] for k in SUMMARY_FIELDS} == {k: node_summary[k]
                                                       for k in SUMMARY_FIELDS}


@pytest.mark.node
@needs_node
def test_cli_trace_matches_node_for_a_pipe_copy(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.write_bytes(random.Random(1).randbytes(50_000))
    theirs = node_trace(src, tmp_path / "node-out", 4096, "pipe")
    trace = tmp_path / "trace.jsonl"
    result = cli(src, tmp_path / "out", "--json", "--mode", "pipe", "-H", "4K",
                 "--trace-format", "jsonl", "--trace-file", trace)
    assert result.returncode == 0
    ours = jsonl_records(trace.read_text())
    assert pick(ours, "chunk", CHUNK_FIELDS) == pick(theirs, "chunk", CHUNK_FIELDS)
    node_summary = next(r for r in theirs if r["event"] == "summary")
    summary = summary_of(result)
    assert {k: summary[k] for k in SUMMARY_FIELDS} == {k: node_summary[k]
                                                       for k in SUMMARY_FIELDS}


# -- the tutorial's three examples, as commands ------------------------------------------


def test_tutorial_read_with_mark_4_gives_4_byte_chunks(tmp_path: Path) -> None:
    src = tmp_path / "hello.txt"
    src.write_bytes(b"Hello, backpressure!")  # 20 bytes
    result = cli(src, "-", "--read-hwm", "4", "--trace", "--trace-format", "jsonl")
    assert result.returncode == 0
    assert result.stdout == b"Hello, backpressure!"
    chunks = [r for r in jsonl_records(result.stderr.decode().split("bpcopy:")[0])
              if r["event"] == "chunk"]
    assert [r["bytes"] for r in chunks] == [4] * 5


def test_tutorial_write_of_hello_with_mark_4_returns_false_then_drains(tmp_path: Path) -> None:
    result = cli("-", tmp_path / "out.txt", "--write-hwm", "4", "--trace",
                 "--trace-format", "jsonl", input=b"Hello", stdin=None)
    assert result.returncode == 0
    assert (tmp_path / "out.txt").read_bytes() == b"Hello"
    records = jsonl_records(result.stderr.decode().split("bpcopy:")[0])
    events = [r["event"] for r in records]
    chunk = records[events.index("chunk")]
    assert chunk["write_ok"] is False and chunk["writable_length"] == 5
    assert chunk["need_drain"] is True
    assert "drain" in events[events.index("chunk"):]


def test_tutorial_pump_over_64_bytes_with_marks_4_and_4(tmp_path: Path) -> None:
    assert TUTORIAL_64_BYTES.stat().st_size == 64
    result = cli(TUTORIAL_64_BYTES, tmp_path / "out", "--json", "--read-hwm", "4",
                 "--write-hwm", "4")
    assert result.returncode == 0
    assert (tmp_path / "out").read_bytes() == TUTORIAL_64_BYTES.read_bytes()
    summary = summary_of(result)
    assert (summary["chunks"], summary["pauses"], summary["drains"]) == (16, 16, 16)
    assert summary["max_writable_length"] == 4


@pytest.mark.node
@needs_node
def test_tutorial_pump_over_64_bytes_matches_node_chunk_by_chunk(tmp_path: Path) -> None:
    trace = tmp_path / "trace.jsonl"
    result = cli(TUTORIAL_64_BYTES, tmp_path / "out", "--json", "-H", "4",
                 "--trace-format", "jsonl", "--trace-file", trace)
    assert result.returncode == 0
    theirs = node_trace(TUTORIAL_64_BYTES, tmp_path / "node-out", 4, "pump")
    node_summary = theirs[-1]
    assert (node_summary["chunks"], node_summary["pauses"], node_summary["drains"]) == (
        16, 16, 16)
    ours = jsonl_records(trace.read_text())
    assert pick(ours, "chunk", CHUNK_FIELDS) == pick(theirs, "chunk", CHUNK_FIELDS)
    assert {k: summary_of(result)[k] for k in SUMMARY_FIELDS} == {k: node_summary[k]
                                                                  for k in SUMMARY_FIELDS}
