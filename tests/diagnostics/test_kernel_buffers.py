"""bpcopy.diagnostics.kernel on real pipes, FIFOs and sockets."""

from __future__ import annotations

import fcntl
import os
import socket
import subprocess
import sys

import pytest
from pipeline_helpers import HANG_TIMEOUT_S, nobody_prefix

from bpcopy.diagnostics.kernel import (
    F_GETPIPE_SZ,
    PIPE_BUF,
    NoPipeToSize,
    PipeSizeRefused,
    classify,
    is_full,
    read_proc_int,
    set_pipe_size,
    set_pipe_sizes,
    watch_end,
)


def test_an_anonymous_pipe_is_a_pipe_at_both_ends(pipe):
    read_end, write_end = pipe
    assert classify(read_end) == "pipe"
    assert classify(write_end) == "pipe"


def test_a_named_fifo_is_a_fifo(tmp_path):
    path = tmp_path / "fifo"
    os.mkfifo(path)
    fd = os.open(path, os.O_RDWR)  # O_RDWR: opening does not wait for a peer
    try:
        assert classify(fd) == "fifo"
        assert watch_end(fd, "upstream").link == str(path)
    finally:
        os.close(fd)


def test_a_socketpair_end_is_a_socket():
    left, right = socket.socketpair()
    with left, right:
        assert classify(left.fileno()) == "socket"


def test_files_devices_and_closed_descriptors_are_not_watched(tmp_path):
    path = tmp_path / "file"
    path.write_bytes(b"data")
    with open(path, "rb") as file, open(os.devnull, "rb") as null:
        assert classify(file.fileno()) is None
        assert classify(null.fileno()) is None
        assert watch_end(file.fileno(), "upstream") is None
    closed = os.open(os.devnull, os.O_RDONLY)
    os.close(closed)
    assert classify(closed) is None


def test_queued_bytes_read_the_same_from_either_end_of_a_pipe(pipe):
    read_end, write_end = pipe
    os.write(write_end, b"x" * 5000)
    upstream, downstream = watch_end(read_end, "upstream"), watch_end(write_end, "downstream")
    try:
        assert upstream.queued() == 5000
        assert downstream.queued() == 5000
        os.read(read_end, 1200)
        assert upstream.queued() == downstream.queued() == 3800
    finally:
        upstream.close()
        downstream.close()


def test_the_watch_outlives_the_copy_closing_its_own_descriptor(pipe):
    read_end, write_end = pipe
    watched = watch_end(read_end, "upstream")
    os.write(write_end, b"abc")
    duplicate = os.dup(read_end)
    os.close(read_end)
    try:
        assert watched.queued() == 3
    finally:
        watched.close()
        os.close(duplicate)
    os.fstat(write_end)  # closing the watch closed only its own duplicate


def test_capacity_is_what_the_kernel_gave_after_rounding_up(pipe):
    read_end, write_end = pipe
    watched = watch_end(read_end, "upstream")
    try:
        given = set_pipe_size(write_end, 70000, "stdin")
        assert given >= 70000
        assert given & (given - 1) == 0  # a power-of-two number of pages
        assert watched.capacity() == given == fcntl.fcntl(write_end, F_GETPIPE_SZ)
    finally:
        watched.close()


def test_a_pipe_is_full_when_a_pipe_buf_writer_would_block(pipe):
    read_end, write_end = pipe
    capacity = fcntl.fcntl(write_end, F_GETPIPE_SZ)
    os.set_blocking(write_end, False)
    os.write(write_end, b"x" * (capacity - PIPE_BUF))
    watched = watch_end(read_end, "upstream")
    try:
        assert not is_full(watched.queued(), capacity)
        os.write(write_end, b"y")
        assert is_full(watched.queued(), capacity)
        with pytest.raises(BlockingIOError):  # the kernel agrees: PIPE_BUF does not fit
            os.write(write_end, b"z" * PIPE_BUF)
    finally:
        watched.close()


def test_a_socket_reports_its_receive_queue_upstream_and_its_send_queue_downstream():
    ours_in, theirs_in = socket.socketpair()
    ours_out, theirs_out = socket.socketpair()
    with ours_in, theirs_in, ours_out, theirs_out:
        theirs_in.sendall(b"r" * 3000)
        ours_out.sendall(b"s" * 3000)
        upstream = watch_end(ours_in.fileno(), "upstream")
        downstream = watch_end(ours_out.fileno(), "downstream")
        try:
            assert upstream.queued() == 3000
            # SIOCOUTQ on a unix socket counts the kernel's overhead as well.
            assert downstream.queued() >= 3000
            assert upstream.capacity() == ours_in.getsockopt(socket.SOL_SOCKET,
                                                             socket.SO_RCVBUF)
            assert downstream.capacity() == ours_out.getsockopt(socket.SOL_SOCKET,
                                                                socket.SO_SNDBUF)
            theirs_out.recv(3000)
            assert downstream.queued() < 3000
        finally:
            upstream.close()
            downstream.close()


def test_a_packet_mode_writer_end_is_flagged():
    read_end, write_end = os.pipe2(os.O_DIRECT)
    try:
        writer = watch_end(write_end, "downstream")
        assert writer.packet_mode
        writer.close()
    finally:
        os.close(read_end)
        os.close(write_end)


def test_shrinking_below_the_queued_bytes_is_refused_with_ebusy_in_one_line(pipe):
    read_end, write_end = pipe
    os.write(write_end, b"q" * 8192)
    with pytest.raises(PipeSizeRefused) as refused:
        set_pipe_size(read_end, 4096, "stdin")
    message = str(refused.value)
    assert "\n" not in message
    assert "stdin" in message and "8192 bytes" in message and "shrink" in message


def test_a_size_past_pipe_max_size_is_refused_naming_the_limit(pipe):
    limit = read_proc_int("/proc/sys/fs/pipe-max-size")
    if limit is None:
        pytest.skip("no /proc/sys/fs/pipe-max-size here")
    read_end, write_end = pipe
    try:
        set_pipe_size(write_end, limit * 2, "stdout")
    except PipeSizeRefused as refused:
        assert "pipe-max-size" in str(refused) and str(limit) in str(refused)
    else:
        pytest.skip("this process has CAP_SYS_RESOURCE: no limit to hit")


@pytest.mark.parametrize("size", [(1 << 32) + 4096, 1 << 63, (1 << 64) + 8192])
def test_a_size_beyond_the_kernels_largest_pipe_is_refused_not_wrapped(pipe, size):
    # fcntl passes its argument as a C unsigned int: 4 GiB + 4 KiB would reach the
    # kernel as 4 KiB, and a pipe asked to grow would shrink to one page instead.
    read_end, write_end = pipe
    before = fcntl.fcntl(write_end, F_GETPIPE_SZ)
    with pytest.raises(PipeSizeRefused) as refused:
        set_pipe_size(write_end, size, "stdout")
    assert fcntl.fcntl(write_end, F_GETPIPE_SZ) == before
    message = str(refused.value)
    assert "\n" not in message and str(size) in message and "largest" in message


# Run as user nobody: pipes of pipe-max-size each, until the user's pages pass the soft
# limit; print the refusal of the first one the kernel turns down.
_FILL_USER_PIPES = """
import os, sys
from bpcopy.diagnostics.kernel import PipeSizeRefused, read_proc_int, set_pipe_size
size = read_proc_int('/proc/sys/fs/pipe-max-size')
kept = []
for _ in range(4096):
    read_end, write_end = os.pipe()
    kept.append((read_end, write_end))
    try:
        set_pipe_size(write_end, size, 'stdout')
    except PipeSizeRefused as refused:
        print(refused)
        sys.exit(0)
sys.exit(1)
"""


def test_a_user_past_pipe_user_pages_soft_is_refused_naming_that_limit():
    prefix = nobody_prefix()
    if prefix is None:
        pytest.skip("cannot run as user nobody here (needs root and setpriv)")
    if not read_proc_int("/proc/sys/fs/pipe-user-pages-soft"):
        pytest.skip("pipe-user-pages-soft is off here")
    result = subprocess.run([*prefix, sys.executable, "-c", _FILL_USER_PIPES],
                            capture_output=True, timeout=HANG_TIMEOUT_S, check=False)
    assert result.returncode == 0, result.stderr
    message = result.stdout.decode().strip()
    assert "pipe-user-pages-soft" in message
    assert "\n" not in message


def test_pipe_size_sets_every_pipe_end_and_leaves_files_alone(pipe, tmp_path):
    read_end, write_end = pipe
    with open(tmp_path / "file", "wb") as file:
        given = set_pipe_sizes([(read_end, "stdin"), (file.fileno(), "file")], 200000)
    assert list(given) == ["stdin"]
    assert given["stdin"] == fcntl.fcntl(write_end, F_GETPIPE_SZ) >= 200000


def test_pipe_size_without_any_pipe_end_is_a_usage_error(tmp_path):
    with open(tmp_path / "file", "wb") as file, pytest.raises(NoPipeToSize):
        set_pipe_sizes([(file.fileno(), "file")], 200000)
    left, right = socket.socketpair()
    with left, right, pytest.raises(NoPipeToSize):
        set_pipe_sizes([(left.fileno(), "stdin")], 200000)  # sockets have no pipe size
