"""--sparse auto|always|never, with cp's meaning: chunks of zeros become holes in a new
regular-file DST (auto: when SRC has holes), a DST that ends in a hole still has its
full length, stdout and pipes get the zeros, and the trace does not change by a digit.
A SRC with holes is read around them, with the same chunks, trace and copy as the same
bytes written densely, from any offset of stdin, and a SRC that shrinks still fails."""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from e2e_helpers import (
    HANG_TIMEOUT_S,
    cli,
    dir_entries,
    jsonl_records,
    kill_quietly,
    spawn,
    summary_of,
    wait_for_copy_to_write,
)
from small_filesystems import mounted_tmpfs

MIB = 1024 * 1024
TRACE_FIELDS = ("event", "seq", "bytes", "write_ok", "readable_length", "writable_length",
                "need_drain", "paused", "drains", "pauses", "resumes")
SUMMARY_FIELDS = ("bytes", "bytes_written", "chunks", "pauses", "resumes", "drains",
                  "max_readable_length", "max_writable_length")


def sparse_source(path: Path, size: int, islands: list[tuple[int, int]]) -> bytes:
    """A file of `size` bytes, all hole except random data at (offset, length) islands;
    returns its content."""
    content = bytearray(size)
    with open(path, "wb") as out:
        out.truncate(size)
        for offset, length in islands:
            island = random.Random(offset).randbytes(length)
            out.seek(offset)
            out.write(island)
            content[offset:offset + length] = island
    return bytes(content)


def allocated(path: Path) -> int:
    """Bytes the file system stores for `path` (what du counts)."""
    return path.stat().st_blocks * 512


def holes_supported(folder: Path) -> bool:
    probe = folder / "hole-probe"
    with open(probe, "wb") as out:
        out.truncate(4 * MIB)
    supported = allocated(probe) < MIB
    probe.unlink()
    return supported


@pytest.fixture
def holey(tmp_path: Path):
    if not holes_supported(tmp_path):
        pytest.skip("this file system stores no holes")
    src = tmp_path / "src"
    # Data at the start, in the middle (crossing a chunk boundary), and a hole at the end.
    content = sparse_source(src, 32 * MIB, [(0, 1000), (10 * MIB - 500, 70_000)])
    return src, content


def test_auto_copies_a_sparse_source_with_holes_and_its_full_length(tmp_path, holey):
    src, content = holey
    dst = tmp_path / "dst"
    result = cli(src, dst, "--json")
    assert result.returncode == 0, result.stderr
    assert dst.stat().st_size == len(content)  # ends in a hole: given its length
    assert dst.read_bytes() == content
    assert allocated(dst) <= allocated(src) + 256 * 1024
    summary = summary_of(result)
    assert summary["bytes"] == summary["bytes_written"] == len(content)


def test_never_writes_every_zero(tmp_path, holey):
    src, content = holey
    dst = tmp_path / "dst"
    assert cli(src, dst, "-q", "--sparse", "never").returncode == 0
    assert dst.read_bytes() == content
    assert allocated(dst) >= len(content)


def test_auto_writes_the_zeros_of_a_source_without_holes_as_cp_does(tmp_path):
    src, dst = tmp_path / "src", tmp_path / "dst"
    content = bytes(4 * MIB) + b"tail"
    src.write_bytes(content)  # written zeros: allocated, no holes
    if allocated(src) < len(content):
        pytest.skip("this file system compresses or deduplicates zeros")
    assert cli(src, dst, "-q").returncode == 0
    assert dst.read_bytes() == content
    assert allocated(dst) >= len(content)
    if shutil.which("cp"):
        subprocess.run(["cp", str(src), str(tmp_path / "by-cp")], check=True)
        assert allocated(tmp_path / "by-cp") >= len(content)


def test_always_makes_holes_from_written_zeros(tmp_path):
    if not holes_supported(tmp_path):
        pytest.skip("this file system stores no holes")
    src, dst = tmp_path / "src", tmp_path / "dst"
    content = b"head" + bytes(8 * MIB) + b"tail" + bytes(3 * MIB)
    src.write_bytes(content)
    assert cli(src, dst, "-q", "--sparse", "always").returncode == 0
    assert dst.read_bytes() == content
    assert allocated(dst) < MIB


def test_holes_replace_an_existing_destination_atomically(tmp_path, holey):
    src, content = holey
    dst = tmp_path / "dst"
    dst.write_bytes(b"old")
    dst.chmod(0o640)
    assert cli(src, dst, "-q").returncode == 0
    assert dst.read_bytes() == content
    assert allocated(dst) <= allocated(src) + 256 * 1024
    assert dst.stat().st_mode & 0o777 == 0o640
    assert sorted(os.listdir(tmp_path)) == ["dst", "src"]


@pytest.mark.parametrize("sparse", ["auto", "always"])
def test_stdout_and_pipes_get_the_zeros(holey, sparse: str):
    src, content = holey
    result = cli(src, "-", "-q", "--sparse", sparse)
    assert result.returncode == 0
    assert result.stdout == content


def test_a_sparse_copy_fits_a_file_system_smaller_than_the_file(tmp_path):
    src = tmp_path / "src"
    content = sparse_source(src, 100 * MIB, [(50 * MIB, 4096)])
    with mounted_tmpfs(tmp_path / "small", "1M") as small:
        result = cli(src, small / "dst", "--json")
        assert result.returncode == 0, result.stderr
        assert (small / "dst").read_bytes() == content
        refused = cli(src, small / "full", "-q", "--sparse", "never")
        assert refused.returncode == 1
        assert b"No space left on device" in refused.stderr
        assert sorted(os.listdir(small)) == ["dst"]


def test_the_trace_is_the_same_with_and_without_holes(tmp_path, holey):
    src, _ = holey
    traces = {}
    for sparse in ("never", "always"):
        trace = tmp_path / f"trace-{sparse}.jsonl"
        result = cli(src, tmp_path / f"dst-{sparse}", "--json", "--sparse", sparse,
                     "-H", "16K", "--trace-format", "jsonl", "--trace-file", trace)
        assert result.returncode == 0, result.stderr
        summary = summary_of(result)
        records = [{key: record.get(key) for key in TRACE_FIELDS}
                   for record in jsonl_records(trace.read_text())]
        traces[sparse] = (records, {key: summary[key] for key in (
            "bytes", "bytes_written", "chunks", "pauses", "resumes", "drains",
            "max_readable_length", "max_writable_length")})
    assert traces["never"] == traces["always"]
    assert traces["always"][1]["chunks"] == 32 * MIB // (16 * 1024)  # zeros are chunks


def test_verify_reads_back_a_copy_with_holes(tmp_path, holey):
    src, content = holey
    result = cli(src, tmp_path / "dst", "--json", "--verify")
    assert result.returncode == 0, result.stderr
    summary = summary_of(result)
    assert summary["sha256"] == hashlib.sha256(content).hexdigest()
    assert summary["dest_sha256"] == summary["sha256"]


def test_an_injected_fault_still_fails_a_copy_of_zeros(tmp_path, holey):
    src, _ = holey
    dst = tmp_path / "dst"
    result = cli(src, dst, "-q", "--sparse", "always", "--sink-fail-after", "1MiB")
    assert result.returncode == 1
    assert b"Input/output error" in result.stderr
    assert not dst.exists()


def test_short_writes_still_copy_holes_exactly(tmp_path, holey):
    src, content = holey
    dst = tmp_path / "dst"
    result = cli(src, dst, "-q", "--sink-short-writes", "--seed", "3")
    assert result.returncode == 0
    assert dst.read_bytes() == content
    assert allocated(dst) <= allocated(src) + 256 * 1024


def test_an_unknown_sparse_choice_is_a_usage_error(holey, tmp_path):
    src, _ = holey
    result = cli(src, tmp_path / "dst", "--sparse", "sometimes")
    assert result.returncode == 2
    assert b"--sparse" in result.stderr and b"'always'" in result.stderr


def traced_copy(src: Path, dst: Path, trace: Path, *options: object,
                stdin: object = subprocess.DEVNULL) -> tuple[list[dict], dict]:
    """The trace's records (Node's numbers only) and the summary's counts of a copy."""
    result = cli(src, dst, "--json", "--trace-format", "jsonl", "--trace-file", trace,
                 *options, stdin=stdin)
    assert result.returncode == 0, result.stderr
    summary = summary_of(result)
    records = [{key: record.get(key) for key in TRACE_FIELDS}
               for record in jsonl_records(trace.read_text())]
    return records, {key: summary[key] for key in SUMMARY_FIELDS}


@pytest.fixture
def unaligned(tmp_path: Path):
    """A sparse SRC with data at offsets no mark divides, ending in a hole, and DENSE: the
    same bytes written out (no holes, so it is read chunk by chunk)."""
    if not holes_supported(tmp_path):
        pytest.skip("this file system stores no holes")
    src, dense = tmp_path / "src", tmp_path / "dense"
    content = sparse_source(src, 8 * MIB + 777, [(1, 10), (65535, 2), (200_001, 70_000),
                                                 (5 * MIB - 3, 3)])
    dense.write_bytes(content)
    if allocated(dense) < len(content):
        pytest.skip("this file system compresses or deduplicates zeros")
    return src, dense, content


@pytest.mark.parametrize("mark", ["16K", "100000"])
def test_reading_around_holes_changes_no_number_in_the_trace(tmp_path, unaligned, mark):
    src, dense, content = unaligned
    around = traced_copy(src, tmp_path / "from-src", tmp_path / "src.jsonl", "-H", mark)
    through = traced_copy(dense, tmp_path / "from-dense", tmp_path / "dense.jsonl",
                          "-H", mark)
    assert around == through
    assert around[1]["bytes"] == len(content)
    assert (tmp_path / "from-src").read_bytes() == content
    assert (tmp_path / "from-dense").read_bytes() == content
    assert allocated(tmp_path / "from-src") <= allocated(src) + 256 * 1024


def test_stdin_from_a_sparse_file_at_an_offset_copies_the_rest(tmp_path, unaligned):
    src, dense, content = unaligned
    start = 700_001  # in a hole, on no chunk boundary
    copies = []
    for name, path in (("src", src), ("dense", dense)):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.lseek(fd, start, os.SEEK_SET)
            copies.append(traced_copy("-", tmp_path / f"from-{name}",
                                      tmp_path / f"{name}.jsonl", "-H", "64K", stdin=fd))
            # The shared offset ends where reading to the end leaves it, as cat leaves it.
            assert os.lseek(fd, 0, os.SEEK_CUR) == len(content)
        finally:
            os.close(fd)
        assert (tmp_path / f"from-{name}").read_bytes() == content[start:]
    assert copies[0] == copies[1]
    assert copies[0][1]["bytes"] == len(content) - start


def test_a_sparse_source_truncated_mid_copy_fails_and_leaves_the_destination(tmp_path):
    if not holes_supported(tmp_path):
        pytest.skip("this file system stores no holes")
    src, dst = tmp_path / "src.bin", tmp_path / "dst"
    sparse_source(src, 16 * MIB, [(0, 1000)])  # data first, so the copy writes a chunk
    old = b"the old destination\n"
    dst.write_bytes(old)
    process = spawn(src, dst, "-H", "64K", "--source-rate", "2MiB/s")
    try:
        wait_for_copy_to_write(tmp_path)  # a chunk in, seconds before the copy ends
        os.truncate(src, 4 * MIB + 1000)  # in the hole, ahead of the reader
        _, err = process.communicate(timeout=HANG_TIMEOUT_S)
    finally:
        kill_quietly(process)
    assert process.returncode == 1, err
    assert b"Traceback" not in err
    assert b"src.bin" in err and b"shrank" in err
    assert dst.read_bytes() == old
    assert dir_entries(tmp_path) == ["dst", "src.bin"]
