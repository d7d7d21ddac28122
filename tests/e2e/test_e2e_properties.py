"""Properties over many sizes, marks and modes, run in-process (the CLI's own Copy).

Whatever the size, marks, mode, small delays or short writes: DST equals SRC, and in
pump and pipe modes the buffers stay within their mark plus one chunk at every record.
"""

from __future__ import annotations

import io
import os
import random
import tempfile
from pathlib import Path

from e2e_helpers import jsonl_records
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bpcopy.copy import CopyOptions
from bpcopy.copy import run_copy as copy_in_process
from bpcopy.render.trace import JsonLinesTrace

MAX_SIZE = 3 * 1024 * 1024
MAX_CHUNKS = 3000  # keeps each example well under a second


@st.composite
def copies(draw: st.DrawFn) -> dict:
    read_hwm = draw(st.one_of(st.integers(1, 64), st.integers(1, 1 << 20),
                              st.sampled_from([1, 4, 1000, 16384, 65536, 1 << 20])))
    write_hwm = draw(st.one_of(st.just(read_hwm), st.integers(1, 1 << 20)))
    limit = min(MAX_SIZE, read_hwm * MAX_CHUNKS)
    multiple = draw(st.integers(0, limit // read_hwm))
    size = draw(st.one_of(
        st.integers(0, limit),
        st.sampled_from([-1, 0, 1]).map(lambda d: max(0, min(limit, multiple * read_hwm + d))),
    ))
    chunks = -(-size // read_hwm)
    slow = chunks <= 40 and draw(st.booleans())
    return {
        "size": size,
        "read_hwm": read_hwm,
        "write_hwm": write_hwm,
        "mode": draw(st.sampled_from(["pump", "pipe", "none"])),
        "sink_delay": draw(st.sampled_from([0.0, 0.0005, 0.002])) if slow else 0.0,
        "source_delay": draw(st.sampled_from([0.0, 0.001])) if slow else 0.0,
        "sink_short_writes": draw(st.booleans()),
        "seed": draw(st.integers(0, 1000)),
    }


def run_copy(case: dict, directory: Path) -> tuple[bytes, bytes, list[dict], dict]:
    src, dst = directory / "src", directory / "dst"
    content = random.Random(case["seed"]).randbytes(case["size"])
    src.write_bytes(content)
    out = io.StringIO()
    outcome = copy_in_process(CopyOptions(
        source=str(src), dest=str(dst), read_hwm=case["read_hwm"],
        write_hwm=case["write_hwm"], mode=case["mode"], sink_delay=case["sink_delay"],
        source_delay=case["source_delay"], sink_short_writes=case["sink_short_writes"],
        seed=case["seed"], trace=JsonLinesTrace(out), measure_rss=False))
    assert outcome.exit_code == 0, outcome.summary
    return content, dst.read_bytes(), jsonl_records(out.getvalue()), outcome.summary


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=copies())
def test_destination_equals_source_and_buffers_stay_within_mark_plus_one_chunk(
        case: dict) -> None:
    with tempfile.TemporaryDirectory() as directory:
        content, copied, records, summary = run_copy(case, Path(directory))
        assert sorted(os.listdir(directory)) == ["dst", "src"]  # no temporary file left
    assert copied == content
    assert summary["bytes"] == len(content)
    chunks = [r for r in records if r["event"] == "chunk"]
    assert sum(r["bytes"] for r in chunks) == len(content)
    assert all(r["bytes"] <= case["read_hwm"] for r in chunks)
    if case["mode"] == "none":
        return
    largest = max((r["bytes"] for r in chunks), default=0)
    for record in records:
        if "writable_length" in record:
            assert record["writable_length"] <= case["write_hwm"] + largest, record
        if "readable_length" in record:
            assert record["readable_length"] <= case["read_hwm"] + largest, record
    assert summary["max_writable_length"] <= case["write_hwm"] + largest
    assert summary["max_readable_length"] <= case["read_hwm"] + largest


@settings(max_examples=25, deadline=None)
@given(size=st.integers(0, 200_000), mark=st.sampled_from([1000, 4096, 65536]),
       seed=st.integers(0, 100))
def test_pump_and_pipe_record_the_same_numbers_for_a_file(size: int, mark: int,
                                                          seed: int) -> None:
    """The two backpressure-respecting strategies see identical chunk traffic."""
    results = {}
    for mode in ("pump", "pipe"):
        case = {"size": size, "read_hwm": mark, "write_hwm": mark, "mode": mode,
                "sink_delay": 0.0, "source_delay": 0.0, "sink_short_writes": False,
                "seed": seed}
        with tempfile.TemporaryDirectory() as directory:
            content, copied, records, summary = run_copy(case, Path(directory))
        assert copied == content
        results[mode] = [(r["seq"], r["bytes"], r["write_ok"], r["writable_length"])
                         for r in records if r["event"] == "chunk"]
    assert results["pump"] == results["pipe"]
