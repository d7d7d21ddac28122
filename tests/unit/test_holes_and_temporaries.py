"""places.py and the hole writer on real files: temporary names within NAME_MAX, the
clean-up of temporary files no live copy holds (real flock locks), holes written and
read back, the source's holes detected, and diagnostics that alias the data."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest

from bpcopy.endpoints.fd import HoleWriter
from bpcopy.endpoints.places import (
    TEMPORARY_SUFFIX,
    aliased_data,
    new_file_mode,
    open_source,
    remove_abandoned_temporaries,
    temporary_name,
    unwritable_reason,
)

MIB = 1024 * 1024


# -- temporary names ---------------------------------------------------------------------


@pytest.mark.parametrize("base", ["short", "a" * 255, "é" * 127, "日本" * 42 + "x",
                                  os.fsdecode(b"\xff" * 250)],
                         ids=["short", "255-ascii", "e-acute", "cjk", "not-utf-8"])
@pytest.mark.parametrize("name_max", [255, 143])  # 143: eCryptfs
def test_a_temporary_name_fits_name_max_and_keeps_its_suffix(base: str,
                                                             name_max: int) -> None:
    name = temporary_name(base, name_max)
    raw = os.fsencode(name)
    assert len(raw) <= name_max
    assert name.startswith(".") and name.endswith(TEMPORARY_SUFFIX)
    if base.isascii() or base == "é" * 127 or base.startswith("日"):
        raw.decode("utf-8")  # shortened between characters, never inside one
    kept = raw[1:-len(f".{'0' * 12}{TEMPORARY_SUFFIX}")]
    assert os.fsencode(base).startswith(kept) and kept


def test_two_temporary_names_differ() -> None:
    assert temporary_name("x") != temporary_name("x")


# -- abandoned temporary files -----------------------------------------------------------


def test_only_unlocked_temporary_files_are_removed(tmp_path: Path) -> None:
    held, abandoned = tmp_path / f".a.1{TEMPORARY_SUFFIX}", tmp_path / f".b.2{TEMPORARY_SUFFIX}"
    other = tmp_path / "a-file-of-the-user.txt"
    for path in (held, abandoned, other):
        path.write_bytes(b"x")
    (tmp_path / f"dir{TEMPORARY_SUFFIX}").mkdir()
    (tmp_path / f"link{TEMPORARY_SUFFIX}").symlink_to(other)
    with open(held, "rb") as holder:
        fcntl.flock(holder, fcntl.LOCK_EX)  # another open file description: a live copy
        removed = remove_abandoned_temporaries(str(tmp_path))
    assert removed == [abandoned.name]
    assert held.exists() and other.exists() and not abandoned.exists()
    assert (tmp_path / f"dir{TEMPORARY_SUFFIX}").is_dir()
    assert (tmp_path / f"link{TEMPORARY_SUFFIX}").is_symlink()


def test_a_missing_directory_has_nothing_to_clean(tmp_path: Path) -> None:
    assert remove_abandoned_temporaries(str(tmp_path / "missing")) == []


# -- holes -------------------------------------------------------------------------------


def write_chunks(path: Path, chunks: list) -> HoleWriter:
    holes = HoleWriter()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for chunk in chunks:
            assert holes(fd, chunk) == len(chunk)
        holes.settle(fd)
    finally:
        os.close(fd)
    return holes


def test_zero_chunks_become_holes_and_a_trailing_hole_gets_its_length(tmp_path: Path) -> None:
    chunks = [b"start", bytes(MIB), b"\x00" * 10 + b"!", bytes(2 * MIB)]
    path = tmp_path / "out"
    write_chunks(path, chunks)
    assert path.read_bytes() == b"".join(chunks)
    assert path.stat().st_size == sum(map(len, chunks))
    assert path.stat().st_blocks * 512 < MIB


def test_the_rest_of_a_short_write_may_be_a_hole_too(tmp_path: Path) -> None:
    path = tmp_path / "out"
    chunk = b"data" + bytes(MIB)
    write_chunks(path, [memoryview(chunk)[:4], memoryview(chunk)[4:]])  # as after a short write
    assert path.read_bytes() == chunk
    assert path.stat().st_blocks * 512 < MIB


def test_a_file_that_ends_in_data_needs_no_truncation(tmp_path: Path) -> None:
    path = tmp_path / "out"
    write_chunks(path, [bytes(MIB), b"end"])
    assert path.read_bytes() == bytes(MIB) + b"end"


def test_a_source_with_holes_is_told_from_one_without(tmp_path: Path) -> None:
    sparse, dense = tmp_path / "sparse", tmp_path / "dense"
    with open(sparse, "wb") as out:
        out.truncate(4 * MIB)
    dense.write_bytes(bytes(4 * MIB))
    if dense.stat().st_blocks * 512 < 4 * MIB or sparse.stat().st_blocks:
        pytest.skip("this file system does not store holes and zeros as they were written")
    opened = [open_source(str(sparse)), open_source(str(dense))]
    try:
        assert [source.has_holes for source in opened] == [True, False]
        assert os.lseek(opened[0].fd, 0, os.SEEK_CUR) == 0  # the offset is left alone
    finally:
        for source in opened:
            source.close()


def test_new_files_drop_setuid_setgid_and_sticky() -> None:
    mask = os.umask(0o027)
    try:
        assert new_file_mode(0o7777) == 0o750
        assert new_file_mode(None) == 0o640
    finally:
        os.umask(mask)


# -- diagnostics that alias the data -----------------------------------------------------


def test_aliases_are_found_by_inode_not_by_spelling(tmp_path: Path) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.write_bytes(b"s")
    dst.write_bytes(b"d")
    os.link(dst, tmp_path / "hard")
    (tmp_path / "soft").symlink_to(src)
    assert aliased_data(str(tmp_path / "hard"), str(src), str(dst)) == "destination"
    assert aliased_data(str(tmp_path / "soft"), str(src), str(dst)) == "source"
    assert aliased_data(str(tmp_path / "other"), str(src), str(dst)) is None
    assert aliased_data(f"{tmp_path}/./new", str(src), str(tmp_path / "new")) \
        == "destination"
    assert aliased_data(os.devnull, os.devnull, os.devnull) is None


def test_a_report_path_is_checked_without_leaving_a_file(tmp_path: Path) -> None:
    assert unwritable_reason(str(tmp_path / "r.html")) is None
    assert not (tmp_path / "r.html").exists()
    assert unwritable_reason(str(tmp_path / "missing" / "r.html")) == \
        "No such file or directory"
    assert unwritable_reason(str(tmp_path)) == "Is a directory"
    existing = tmp_path / "old.html"
    existing.write_bytes(b"kept")
    assert unwritable_reason(str(existing)) is None
    assert existing.read_bytes() == b"kept"
