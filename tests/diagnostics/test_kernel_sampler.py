"""bpcopy.diagnostics.sampler and culprit: time-weighted readings of real pipes with real
slow programs at their far ends, and the verdict that names them."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import tracemalloc

from pipeline_helpers import HANG_TIMEOUT_S, SLOW_READER, SLOW_WRITER, python

from bpcopy.diagnostics.culprit import MIN_SAMPLES, name_culprit
from bpcopy.diagnostics.kernel import PIPE_BUF, watch_end
from bpcopy.diagnostics.pipeline import watch_pipeline
from bpcopy.diagnostics.sampler import BufferWatch, KernelSampler


def sampler_for(upstream=None, downstream=None, **options) -> KernelSampler:
    # The test process plays bpcopy: its own children are the neighbours.
    return KernelSampler(upstream, downstream, parent_pid=os.getpid(), **options)


def test_a_slow_reader_downstream_is_named_sink_bound(pipe, children):
    read_end, write_end = pipe
    reader = subprocess.Popen(python("-c", SLOW_READER, "0.01"), stdin=read_end)
    children.append(reader)
    os.close(read_end)
    sampler = sampler_for(downstream=watch_end(write_end, "downstream"))
    sampler.start()
    os.write(write_end, b"d" * (256 * 1024))  # blocks while the reader dawdles
    sampler.stop()
    report = sampler.report("downstream")
    assert report.kind == "pipe"
    assert report.samples >= MIN_SAMPLES
    assert report.max_queued > report.capacity - PIPE_BUF
    assert report.full_fraction > 0.5
    assert report.processes[0]["pid"] == reader.pid
    verdict = name_culprit(sampler.report("upstream"), report)
    assert verdict.startswith(f"sink-bound: {python()[0]} -c ")
    assert f"(pid {reader.pid}) reads slowly: the pipe to it was full " in verdict


def test_a_slow_writer_upstream_is_named_source_bound(pipe, children):
    read_end, write_end = pipe
    writer = subprocess.Popen(python("-c", SLOW_WRITER, "0.01"), stdout=write_end)
    children.append(writer)
    os.close(write_end)
    sampler = sampler_for(upstream=watch_end(read_end, "upstream"))
    sampler.start()
    received = 0
    while received < 256 * 1024:  # read each 4 KiB as soon as it comes
        received += len(os.read(read_end, 65536))
    sampler.stop()
    report = sampler.report("upstream")
    assert report.empty_fraction > 0.5
    assert 0.0 <= report.full_fraction <= 1.0
    assert report.samples >= MIN_SAMPLES
    verdict = name_culprit(report, None)
    assert f"(pid {writer.pid}) writes slowly: the pipe from it was empty " in verdict
    assert verdict.startswith("source-bound: ")


def test_each_state_counts_for_half_the_time_on_either_side_of_its_sample(pipe):
    read_end, write_end = pipe
    watch = BufferWatch(watch_end(read_end, "upstream"))
    os.set_blocking(write_end, False)
    filled = os.write(write_end, b"f" * watch.capacity)
    watch.observe(0.0)  # full
    watch.observe(1.0)  # full
    os.read(read_end, filled)
    watch.observe(3.0)  # empty
    os.write(write_end, b"h" * 100)
    watch.observe(4.0)  # neither
    # full: 1 s between two full samples, then half of the 2 s to the empty one.
    assert watch.full_fraction == 2.0 / 4.0
    # empty: half of the 2 s before it, half of the 1 s after it.
    assert watch.empty_fraction == 1.5 / 4.0
    assert watch.max_queued == filled
    watch.end.close()


def test_memory_stays_flat_however_many_samples(pipe):
    read_end, write_end = pipe
    os.write(write_end, b"m" * 1000)
    sampler = sampler_for(upstream=watch_end(read_end, "upstream"),
                          downstream=watch_end(write_end, "downstream"))
    for tick in range(1000):
        sampler._sample(tick / 1000)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for tick in range(1000, 21000):
        sampler._sample(tick / 1000)
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    sampler.stop()
    assert sampler.samples >= 21000
    assert grown < 16 * 1024


def test_kernel_records_carry_both_ends_readings_and_none_for_an_absent_end(pipe):
    read_end, write_end = pipe
    os.write(write_end, b"k" * 300)
    sampler = sampler_for(upstream=watch_end(read_end, "upstream"), keep_records=True)
    sampler.start()
    while len(sampler.records) < 3:
        time.sleep(0.005)
    sampler.stop()
    records = list(sampler.records)
    assert all(up == 300 and down is None for _, up, down in records)
    times = [t for t, _, _ in records]
    assert times == sorted(times)


def test_a_socket_has_no_full_fraction_and_no_processes():
    ours, theirs = socket.socketpair()
    with ours, theirs:
        theirs.sendall(b"s" * 1000)
        sampler = sampler_for(upstream=watch_end(ours.fileno(), "upstream"))
        sampler.start()
        sampler.stop()
        report = sampler.report("upstream").as_json()
        assert report["kind"] == "socket"
        assert report["full_fraction"] is None
        assert report["empty_fraction"] == 0.0
        assert report["max_queued"] == 1000
        assert report["capacity"] == ours.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
        assert report["processes"] == []


def test_a_packet_mode_pipe_has_no_full_fraction(children):
    read_end, write_end = os.pipe2(os.O_DIRECT)
    try:
        writer = subprocess.Popen(["sleep", "30"], stdout=write_end)
        children.append(writer)
        sampler = sampler_for(upstream=watch_end(read_end, "upstream"))
        sampler.start()
        while not sampler.names("upstream"):
            time.sleep(0.005)
        sampler.stop()
        report = sampler.report("upstream")
        assert report.packet_mode
        assert report.full_fraction is None
        assert report.empty_fraction == 1.0
    finally:
        os.close(read_end)
        os.close(write_end)


def test_a_neighbour_that_exits_early_stays_listed_with_its_peak(pipe, children):
    read_end, write_end = pipe
    writer = subprocess.Popen(python("-c", "import sys; sys.stdin.read()"),
                              stdout=write_end, stdin=subprocess.PIPE)
    children.append(writer)
    os.close(write_end)
    sampler = sampler_for(upstream=watch_end(read_end, "upstream"))
    sampler.start()
    while not sampler.names("upstream"):
        time.sleep(0.005)
    writer.stdin.close()
    writer.wait(HANG_TIMEOUT_S)
    time.sleep(0.05)  # a few samples after it has gone
    sampler.stop()
    processes = sampler.report("upstream").processes
    assert [process["pid"] for process in processes] == [writer.pid]
    assert processes[0]["peak_rss"] > 0


def test_stopping_leaves_the_copys_own_descriptors_open(pipe):
    read_end, write_end = pipe
    sampler = sampler_for(upstream=watch_end(read_end, "upstream"),
                          downstream=watch_end(write_end, "downstream"))
    sampler.start()
    sampler.stop()
    sampler.stop()  # a second stop changes nothing
    os.write(write_end, b"still open")
    assert os.read(read_end, 100) == b"still open"


def test_a_copy_between_files_starts_no_sampler(tmp_path):
    path = tmp_path / "file"
    path.write_bytes(b"x")
    with open(path, "rb") as source, open(os.devnull, "wb") as sink:
        assert watch_pipeline(source.fileno(), sink.fileno()) is None


def test_json_fields_give_null_for_an_end_that_is_not_a_pipe(pipe, tmp_path):
    read_end, write_end = pipe
    os.write(write_end, b"j" * 10)
    with open(tmp_path / "out", "wb") as sink:
        sampler = watch_pipeline(read_end, sink.fileno(), keep_records=True)
    sampler.start()
    sampler.stop()
    fields = sampler.json_fields()
    assert fields["downstream"] is None
    assert set(fields["upstream"]) == {"kind", "capacity", "max_queued", "full_fraction",
                                       "empty_fraction", "processes"}
    assert fields["upstream"]["max_queued"] == 10


class ListTrace:
    def __init__(self) -> None:
        self.kernel_records: list[tuple] = []

    def kernel(self, t, upstream_queued, downstream_queued) -> None:
        self.kernel_records.append((t, upstream_queued, downstream_queued))


def test_written_records_leave_the_queue_in_order(pipe):
    read_end, write_end = pipe
    sampler = sampler_for(upstream=watch_end(read_end, "upstream"), keep_records=True)
    sampler.start()
    sampler.stop()
    trace = ListTrace()
    sampler.write_records(trace)
    assert len(trace.kernel_records) >= 2  # the first sample and the last
    assert not sampler.records
    assert [t for t, _, _ in trace.kernel_records] == sorted(
        t for t, _, _ in trace.kernel_records)
