"""The recorder's timeline carries the kernel sampler's latest readings, taken at the
recorder's own timer (never per chunk), for the charts; and nothing for a copy between
files. Real copies in this process, from a FIFO a real program writes into."""

from __future__ import annotations

import os
import subprocess

from pipeline_helpers import HANG_TIMEOUT_S, python

from bpcopy.copy import CopyOptions, run_copy
from bpcopy.diagnostics.recorder import Sample, Timeline

# Writes 2 MiB in 16 KiB pieces, pausing 2 ms between them.
STEADY_WRITER = ("import os, sys, time\n"
                 "with open(sys.argv[1], 'wb', buffering=0) as fifo:\n"
                 "    for _ in range(128):\n"
                 "        fifo.write(b'f' * 16384)\n"
                 "        time.sleep(0.002)\n")


def test_a_copy_from_a_fifo_samples_the_kernel_buffer_it_reads(tmp_path, children):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    children.append(subprocess.Popen(python("-c", STEADY_WRITER, str(fifo))))
    outcome = run_copy(CopyOptions(source=str(fifo), dest=str(tmp_path / "out"),
                                   sink_rate=4 * 1024 * 1024))
    children[0].wait(HANG_TIMEOUT_S)
    assert outcome.error is None and outcome.summary["upstream"]["kind"] == "fifo"
    samples = outcome.recorder.timeline.samples
    readings = [sample.upstream_queued for sample in samples]
    assert all(sample.downstream_queued is None for sample in samples)  # a file
    seen = [reading for reading in readings if reading is not None]
    assert len(seen) >= len(samples) - 2  # every sample but the first few has one
    capacity = outcome.summary["upstream"]["capacity"]
    assert max(seen) <= capacity
    # The sink is slower than the writer: the FIFO filled, and the samples saw it.
    assert max(seen) > capacity // 2
    assert max(seen) <= outcome.summary["upstream"]["max_queued"]


def test_a_copy_between_files_samples_no_kernel_buffer(tmp_path):
    source = tmp_path / "in"
    source.write_bytes(b"x" * 1_000_000)
    outcome = run_copy(CopyOptions(source=str(source), dest=str(tmp_path / "out"),
                                   sink_rate=8 * 1024 * 1024))
    samples = outcome.recorder.timeline.samples
    assert len(samples) > 2
    assert all(sample.upstream_queued is None and sample.downstream_queued is None
               for sample in samples)


def test_thinning_the_timeline_keeps_the_kernel_readings_of_the_samples_it_keeps():
    timeline = Timeline(limit=8)
    for step in range(20):
        timeline.add(Sample(step * 0.01, 0, 0, 0, 0, 0, step * 100, None))
    assert len(timeline.samples) < 8
    assert all(sample.upstream_queued == round(sample.t * 100 / 0.01)
               for sample in timeline.samples)
