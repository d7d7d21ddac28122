"""FdReadable over real sparse files, with and without `skip_holes`: the same chunks (same
sizes, same bytes, same order), a chunk wholly inside a hole is the shared zero block
(no read), the descriptor's offset ends where read() would leave it, and a hole is asked
about again as the copy goes on, so data written into it later is read."""

from __future__ import annotations

import asyncio
import os
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bpcopy.endpoints.fd import (
    HOLE_RECHECK_BYTES,
    MOST_CHUNKS_BETWEEN_LOOKS,
    FdReadable,
    HoleWriter,
    zero_block,
)

KIB = 1024
MIB = 1024 * KIB
# Holes and data are found in whole blocks; a chunk this far from any data is in a hole
# on every file system that stores holes.
MARGIN = 64 * KIB


def write_sparse(path: Path, size: int, islands: list[tuple[int, int]]) -> bytes:
    """A file of `size` bytes, all hole but random data at the (offset, length) islands;
    returns its content."""
    content = bytearray(size)
    with open(path, "wb") as out:
        out.truncate(size)
        for offset, length in islands:
            island = random.Random(offset * 7 + length).randbytes(length)
            out.seek(offset)
            out.write(island)
            content[offset:offset + length] = island
    return bytes(content[:size])


def stores_holes(folder: Path) -> bool:
    probe = folder / "probe"
    with open(probe, "wb") as out:
        out.truncate(4 * MIB)
    stored = probe.stat().st_blocks * 512 < MIB
    probe.unlink()
    return stored


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    if not stores_holes(tmp_path):
        pytest.skip("this file system stores no holes")
    return tmp_path


def read_all(fd: int, mark: int, skip_holes: bool, during=None) -> list[bytes]:
    """Every chunk a flowing FdReadable over `fd` delivers, up to 'end'. `during(chunks)`
    runs after each chunk, for a test that changes the file under the reader."""

    async def run() -> list[bytes]:
        stream = FdReadable(fd, "source", mark, close=False, skip_holes=skip_holes)
        chunks: list[bytes] = []
        ended = asyncio.get_running_loop().create_future()

        def on_data(chunk: bytes) -> None:
            chunks.append(chunk)
            if during is not None:
                during(chunks)

        stream.on("data", on_data)
        stream.on("end", lambda: ended.set_result(None))
        stream.on("error", lambda error: ended.set_exception(error))
        await asyncio.wait_for(ended, 30)
        return chunks

    return asyncio.run(run())


def read_path(path: Path, mark: int, skip_holes: bool, start: int = 0) -> tuple[list[bytes], int]:
    """The chunks read from `path` from `start`, and where the descriptor's offset ends."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.lseek(fd, start, os.SEEK_SET)
        chunks = read_all(fd, mark, skip_holes)
        return chunks, os.lseek(fd, 0, os.SEEK_CUR)
    finally:
        os.close(fd)


def far_from_data(start: int, end: int, mark: int, islands: list[tuple[int, int]]) -> bool:
    """Far enough from data to be skipped: where data and holes alternate within a
    chunk, the reader asks less often, and may meet the hole after them that late."""
    late = MOST_CHUNKS_BETWEEN_LOOKS * mark
    return all(end <= offset - MARGIN or start >= offset + length + MARGIN + late
               for offset, length in islands)


def assert_read_around_holes(path: Path, content: bytes, islands: list[tuple[int, int]],
                             mark: int, start: int = 0) -> list[bytes]:
    plain, plain_offset = read_path(path, mark, skip_holes=False, start=start)
    around, around_offset = read_path(path, mark, skip_holes=True, start=start)
    assert [len(chunk) for chunk in around] == [len(chunk) for chunk in plain]
    assert around == plain
    assert b"".join(around) == content[start:]
    assert around_offset == plain_offset == len(content)
    shared = zero_block(mark)
    position = start
    for chunk in around:
        if len(chunk) == mark and far_from_data(position, position + mark, mark, islands):
            assert chunk is shared, f"the chunk at {position} was read, not skipped"
        position += len(chunk)
    return around


islands_strategy = st.lists(
    st.tuples(st.integers(0, 3 * MIB), st.integers(1, 200 * KIB)), max_size=6)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(islands=islands_strategy, tail=st.integers(0, 300 * KIB),
       mark=st.sampled_from([4 * KIB, 16 * KIB, 65536, 100_000, 3 * 65536 + 17]),
       start=st.integers(0, 200 * KIB))
def test_chunks_read_around_holes_are_the_chunks_read_through_them(
        folder: Path, islands: list[tuple[int, int]], tail: int, mark: int,
        start: int) -> None:
    path = folder / "sparse"
    size = max([offset + length for offset, length in islands] + [0]) + tail
    content = write_sparse(path, size, islands)
    assert_read_around_holes(path, content, islands, mark, start=min(start, size))


def test_data_at_offsets_not_aligned_to_the_mark(folder: Path) -> None:
    path = folder / "sparse"
    islands = [(1, 10), (65535, 2), (200_001, 70_000), (3 * MIB - 5, 5)]
    content = write_sparse(path, 3 * MIB, islands)
    chunks = assert_read_around_holes(path, content, islands, 65536)
    assert sum(chunk is zero_block(65536) for chunk in chunks) >= 30


def test_a_file_that_ends_in_a_hole_ends_with_a_short_chunk_of_zeros(folder: Path) -> None:
    path = folder / "sparse"
    islands = [(0, 100)]
    content = write_sparse(path, 2 * MIB + 12_345, islands)
    chunks = assert_read_around_holes(path, content, islands, 65536)
    assert len(chunks[-1]) == 12_345 and not any(chunks[-1])
    assert chunks[-2] is zero_block(65536)


def test_a_file_that_is_all_hole_is_read_without_reading(folder: Path) -> None:
    path = folder / "sparse"
    content = write_sparse(path, 4 * MIB, [])
    chunks = assert_read_around_holes(path, content, [], 65536)
    assert all(chunk is zero_block(65536) for chunk in chunks)


def test_a_start_in_the_middle_of_a_hole_keeps_the_chunks_and_the_offset(folder: Path) -> None:
    """As with stdin redirected from a file that another program has read part of."""
    path = folder / "sparse"
    islands = [(0, 5000), (MIB + 333, 4000)]
    content = write_sparse(path, 3 * MIB, islands)
    for start in (4097, 700_001, MIB + 1000, 3 * MIB - 1, 3 * MIB):
        chunks = assert_read_around_holes(path, content, islands, 65536, start=start)
        assert sum(map(len, chunks)) == len(content) - start


def test_data_written_into_a_hole_ahead_of_the_reader_is_read(folder: Path) -> None:
    path = folder / "sparse"
    size = 8 * MIB
    write_sparse(path, size, [(0, 10)])
    late = b"written while the copy ran" * 100
    late_at = 2 * HOLE_RECHECK_BYTES + 12_345

    def write_late(chunks: list[bytes]) -> None:
        if len(chunks) == 2:  # the reader is in the hole, well before `late_at`
            with open(path, "r+b") as file:
                file.seek(late_at)
                file.write(late)

    fd = os.open(path, os.O_RDONLY)
    try:
        data = b"".join(read_all(fd, 65536, skip_holes=True, during=write_late))
    finally:
        os.close(fd)
    assert len(data) == size
    assert data[late_at:late_at + len(late)] == late


def test_a_source_that_shrinks_in_a_hole_comes_up_short(folder: Path) -> None:
    """A plain reader stops at the new end; reading around holes stops within
    HOLE_RECHECK_BYTES of it, short of the old size, which is how a copy sees it shrank."""
    path = folder / "sparse"
    size = 16 * MIB
    write_sparse(path, size, [(0, 10)])
    new_size = 4 * MIB + 1000

    def shrink(chunks: list[bytes]) -> None:
        if len(chunks) == 2:
            os.truncate(path, new_size)

    fd = os.open(path, os.O_RDONLY)
    try:
        read = sum(map(len, read_all(fd, 65536, skip_holes=True, during=shrink)))
    finally:
        os.close(fd)
    assert new_size <= read <= new_size + HOLE_RECHECK_BYTES + 65536
    assert read < size


def test_a_source_that_grows_is_read_to_its_new_end(folder: Path) -> None:
    path = folder / "sparse"
    content = write_sparse(path, 3 * MIB, [(0, 10)])
    more = os.urandom(100_000)

    def grow(chunks: list[bytes]) -> None:
        if len(chunks) == 2:
            with open(path, "ab") as file:
                file.write(more)

    fd = os.open(path, os.O_RDONLY)
    try:
        data = b"".join(read_all(fd, 65536, skip_holes=True, during=grow))
    finally:
        os.close(fd)
    assert data == content + more


def test_the_hole_writer_makes_holes_of_shared_and_of_written_zeros(folder: Path) -> None:
    path = folder / "out"
    chunks = [b"head", zero_block(65536), bytes(65536), b"\x00" * 65535 + b"!",
              zero_block(65536)]
    holes = HoleWriter()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for chunk in chunks:
            assert holes(fd, chunk) == len(chunk)
        holes.settle(fd)
    finally:
        os.close(fd)
    assert path.read_bytes() == b"".join(chunks)
    assert path.stat().st_blocks * 512 <= 2 * 65536  # only the blocks with data


def test_data_in_every_chunk_is_asked_about_less_and_less_often(folder: Path) -> None:
    """A block of data inside each chunk: every chunk is read, and the hole after them
    is still read around."""
    path = folder / "sparse"
    islands = [(chunk * 65536 + 1000, 4096) for chunk in range(40)]
    content = write_sparse(path, 40 * 65536 + 4 * MIB, islands)
    chunks = assert_read_around_holes(path, content, islands, 65536)
    skipped = sum(chunk is zero_block(65536) for chunk in chunks)
    assert skipped >= 64 - MOST_CHUNKS_BETWEEN_LOOKS - 1  # of the 64 in the last 4 MiB
