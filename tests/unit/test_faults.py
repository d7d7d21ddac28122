"""Injected sink faults (bpcopy.endpoints.faults): short writes and a device that fails.

The faults wrap the real os.write on a real file, the way the copy's sink uses them, and
the file's contents show what the device took.
"""

import errno
import os
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bpcopy.endpoints.faults import fail_after, short_writes

# tmp_path is shared by the examples of a property test: each example uses a fresh file.
per_example = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


class RealFile:
    """A new file opened for writing, closed at the end of the test."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)

    def contents(self) -> bytes:
        return self.path.read_bytes()

    def close(self) -> None:
        os.close(self.fd)


@pytest.fixture
def new_file(tmp_path: Path):
    opened = []

    def make(name: str = "sink.bin") -> RealFile:
        real = RealFile(tmp_path / f"{len(opened)}-{name}")
        opened.append(real)
        return real

    yield make
    for real in opened:
        real.close()


def write_all(write, fd: int, data: bytes) -> list[int]:
    """Write every byte as FdWritable does: go on from where a short write stopped.
    Returns what each call reported."""
    reported = []
    view = memoryview(data)
    while view:
        written = write(fd, view)
        reported.append(written)
        view = view[written:]
    return reported


# -- fail_after -------------------------------------------------------------------------


def test_a_device_that_fails_after_zero_bytes_fails_the_first_write(new_file):
    sink = new_file()
    write = fail_after(os.write, 0)
    with pytest.raises(OSError) as raised:
        write(sink.fd, b"hello")
    assert raised.value.errno == errno.EIO
    assert raised.value.strerror == os.strerror(errno.EIO)
    assert sink.contents() == b""


def test_a_failing_device_takes_writes_whole_until_its_limit(new_file):
    sink = new_file()
    write = fail_after(os.write, 10)
    assert write(sink.fd, b"abcd") == 4
    assert write(sink.fd, b"efgh") == 4
    assert sink.contents() == b"abcdefgh"


def test_the_write_that_crosses_the_limit_is_cut_short_then_every_write_fails(new_file):
    sink = new_file()
    write = fail_after(os.write, 10)
    write(sink.fd, b"abcdefgh")
    assert write(sink.fd, b"ijklmnop") == 2
    for attempt in (b"q", b"rstu", b""):
        with pytest.raises(OSError) as raised:
            write(sink.fd, attempt)
        assert raised.value.errno == errno.EIO
    assert sink.contents() == b"abcdefghij"


def test_a_write_that_exactly_reaches_the_limit_is_taken_and_the_next_fails(new_file):
    sink = new_file()
    write = fail_after(os.write, 5)
    assert write(sink.fd, b"12345") == 5
    with pytest.raises(OSError, match="Input/output error"):
        write(sink.fd, b"6")
    assert sink.contents() == b"12345"


def test_a_failing_device_counts_what_the_device_took_not_what_it_was_offered(new_file):
    sink = new_file()
    took = []

    def device_taking_three_bytes(fd, data):
        written = os.write(fd, data[:3])
        took.append(written)
        return written

    write = fail_after(device_taking_three_bytes, 7)
    assert write_all(write, sink.fd, b"abcdefg") == [3, 3, 1]
    assert took == [3, 3, 1]
    with pytest.raises(OSError):
        write(sink.fd, b"h")
    assert sink.contents() == b"abcdefg"


def test_an_error_of_the_device_itself_passes_through_and_takes_nothing(new_file):
    sink = new_file()
    write = fail_after(os.write, 4)
    closed_fd = os.open(os.devnull, os.O_WRONLY)
    os.close(closed_fd)
    with pytest.raises(OSError) as raised:
        write(closed_fd, b"abcd")
    assert raised.value.errno == errno.EBADF
    assert write(sink.fd, b"abcd") == 4  # the failed write used none of the limit
    assert sink.contents() == b"abcd"


@per_example
@given(limit=st.integers(0, 5000), chunks=st.lists(st.binary(min_size=1, max_size=700),
                                                    max_size=20))
def test_a_failing_device_keeps_exactly_the_first_limit_bytes(new_file, limit, chunks):
    sink = new_file()
    write = fail_after(os.write, limit)
    offered = b"".join(chunks)
    failed = False
    for chunk in chunks:
        try:
            write_all(write, sink.fd, chunk)
        except OSError as error:
            assert error.errno == errno.EIO
            failed = True
            break
    assert sink.contents() == offered[:limit]
    assert failed == (len(offered) > limit)


# -- short_writes -----------------------------------------------------------------------


def test_a_short_write_takes_at_least_one_byte_and_never_all_of_them(new_file):
    sink = new_file()
    write = short_writes(os.write, seed=1)
    for size in (2, 3, 10, 4096, 65536):
        written = write(sink.fd, bytes(size))
        assert 1 <= written < size


def test_a_one_byte_write_is_taken_whole(new_file):
    sink = new_file()
    write = short_writes(os.write, seed=1)
    assert write(sink.fd, b"x") == 1
    assert sink.contents() == b"x"


def test_short_writes_vary_in_size(new_file):
    sink = new_file()
    write = short_writes(os.write, seed=2)
    sizes = {write(sink.fd, bytes(1000)) for _ in range(20)}
    assert len(sizes) > 1


@per_example
@given(seed=st.integers(0, 2**32), data=st.binary(max_size=5000))
def test_a_writer_that_goes_on_after_short_writes_writes_every_byte_in_order(new_file, seed,
                                                                             data):
    sink = new_file()
    reported = write_all(short_writes(os.write, seed), sink.fd, data)
    assert sink.contents() == data
    assert sum(reported) == len(data)
    if len(data) > 1:
        assert len(reported) > 1


def test_the_same_seed_cuts_the_same_writes(new_file):
    data = random.Random(0).randbytes(20_000)
    first = write_all(short_writes(os.write, seed=42), new_file().fd, data)
    second = write_all(short_writes(os.write, seed=42), new_file().fd, data)
    assert first == second


def test_different_seeds_cut_different_writes(new_file):
    data = random.Random(0).randbytes(20_000)
    first = write_all(short_writes(os.write, seed=42), new_file().fd, data)
    second = write_all(short_writes(os.write, seed=43), new_file().fd, data)
    assert first != second


def test_faults_compose_as_the_sink_stacks_them(new_file):
    """The sink wraps short writes in the failing device: what the short writes took
    is what counts towards the limit."""
    sink = new_file()
    data = random.Random(1).randbytes(3000)
    write = fail_after(short_writes(os.write, seed=9), 1000)
    with pytest.raises(OSError) as raised:
        write_all(write, sink.fd, data)
    assert raised.value.errno == errno.EIO
    assert sink.contents() == data[:1000]
