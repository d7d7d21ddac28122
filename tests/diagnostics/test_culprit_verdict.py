"""bpcopy.diagnostics.culprit: the thresholds of the verdict that names a program."""

from __future__ import annotations

from bpcopy.diagnostics.culprit import BLAME_SHARE, LONGEST_NAME, MIN_SAMPLES, name_culprit
from bpcopy.diagnostics.sampler import BufferReport

UPSTREAM = BufferReport(role="upstream", kind="pipe", capacity=65536, max_queued=65536,
                        full_fraction=0.0, empty_fraction=0.0, samples=MIN_SAMPLES,
                        packet_mode=False, processes=[{"pid": 812, "command": "tar c .",
                                                       "peak_rss": 4096}],
                        culprit_command="tar c .", culprit_pid=812, hidden_pids=0)
DOWNSTREAM = UPSTREAM._replace(role="downstream", culprit_command="gzip -9",
                     culprit_pid=815,
                     processes=[{"pid": 815, "command": "gzip -9", "peak_rss": 4096}])


def test_a_full_pipe_to_the_sink_names_its_reader():
    verdict = name_culprit(UPSTREAM, DOWNSTREAM._replace(full_fraction=0.96))
    assert verdict == ("sink-bound: gzip -9 (pid 815) reads slowly: "
                       "the pipe to it was full 96% of the time")


def test_an_empty_pipe_from_the_source_names_its_writer():
    verdict = name_culprit(UPSTREAM._replace(empty_fraction=0.9), DOWNSTREAM)
    assert verdict == ("source-bound: tar c . (pid 812) writes slowly: "
                       "the pipe from it was empty 90% of the time")


def test_fewer_than_the_minimum_samples_names_nobody():
    short = DOWNSTREAM._replace(full_fraction=0.96, samples=MIN_SAMPLES - 1)
    assert name_culprit(None, short) is None
    assert name_culprit(None, short._replace(samples=MIN_SAMPLES)) is not None


def test_a_share_below_the_threshold_names_nobody():
    assert name_culprit(UPSTREAM._replace(empty_fraction=BLAME_SHARE - 0.01),
                        DOWNSTREAM._replace(full_fraction=BLAME_SHARE - 0.01)) is None
    assert name_culprit(None, DOWNSTREAM._replace(full_fraction=BLAME_SHARE)) is not None


def test_when_both_ends_qualify_the_larger_share_wins():
    verdict = name_culprit(UPSTREAM._replace(empty_fraction=0.8),
                           DOWNSTREAM._replace(full_fraction=0.6))
    assert verdict.startswith("source-bound: tar c . (pid 812)")
    verdict = name_culprit(UPSTREAM._replace(empty_fraction=0.6),
                           DOWNSTREAM._replace(full_fraction=0.8))
    assert verdict.startswith("sink-bound: gzip -9 (pid 815)")


def test_an_end_whose_processes_cannot_be_seen_names_nobody():
    hidden = DOWNSTREAM._replace(full_fraction=0.96, culprit_command=None, culprit_pid=None,
                     processes=[])
    assert name_culprit(None, hidden) is None


def test_a_socket_without_a_full_fraction_is_never_called_full():
    socket_end = DOWNSTREAM._replace(kind="socket", full_fraction=None)
    assert name_culprit(None, socket_end) is None


def test_a_fifo_is_called_a_fifo_and_a_long_command_is_cut():
    command = "python3 -c '" + "x = 1\n" * 40 + "'"
    verdict = name_culprit(None, DOWNSTREAM._replace(kind="fifo", full_fraction=0.7,
                                         culprit_command=command))
    name = verdict.split(": ", 1)[1].split(" (pid ")[0]
    assert "\n" not in verdict
    assert len(name) == LONGEST_NAME and name.endswith("…")
    assert verdict.endswith("the FIFO to it was full 70% of the time")
