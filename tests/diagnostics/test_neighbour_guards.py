"""bpcopy.diagnostics.neighbour_guards: the CI guards on the neighbours' peak RSS."""

from __future__ import annotations

from bpcopy.diagnostics.neighbour_guards import rss_guard_failures

LIMIT = 100 << 20
# The summary's `upstream` object (the --json contract).
REPORT = {"kind": "pipe", "capacity": 65536, "max_queued": 0, "full_fraction": 0.0,
          "empty_fraction": 1.0,
          "processes": [{"pid": 40, "command": "node ignore.js", "peak_rss": 60 << 20},
                        {"pid": 41, "command": "node flat.js", "peak_rss": 50 << 20}]}


def replace(side: dict, **changes) -> dict:
    return {**side, **changes}


def test_every_process_under_the_limit_passes():
    assert rss_guard_failures("upstream", REPORT, LIMIT) == []


def test_a_process_over_the_limit_is_named_with_its_pid_peak_and_the_limit():
    over = replace(REPORT, processes=[{**REPORT["processes"][0], "peak_rss": 180 << 20},
                                      REPORT["processes"][1]])
    (failure,) = rss_guard_failures("upstream", over, LIMIT)
    assert failure == ("upstream process node ignore.js (pid 40) peaked at 180 MiB "
                       f"({180 << 20} bytes) of RSS, above --assert-upstream-max-rss "
                       f"100 MiB ({LIMIT} bytes)")


def test_an_end_that_is_not_a_pipe_cannot_be_checked_and_fails():
    (failure,) = rss_guard_failures("downstream", None, LIMIT)
    assert failure == ("--assert-downstream-max-rss cannot be checked: stdout is not a "
                       "pipe, FIFO or socket")


def test_a_socket_cannot_be_checked_and_fails():
    (failure,) = rss_guard_failures("upstream", replace(REPORT, kind="socket"), LIMIT)
    assert "cannot be checked" in failure and "socket" in failure


def test_no_visible_process_cannot_be_checked_and_fails():
    (failure,) = rss_guard_failures("upstream", replace(REPORT, processes=[]), LIMIT)
    assert failure == ("--assert-upstream-max-rss cannot be checked: no process is visible "
                       "at the pipe on stdin (it exited before bpcopy looked, or it is "
                       "another user's, or /proc is mounted with hidepid or cannot be "
                       "read)")


def test_a_process_gone_before_its_first_reading_fails_the_guard():
    gone = replace(REPORT, processes=[{**REPORT["processes"][0], "peak_rss": None}])
    (failure,) = rss_guard_failures("upstream", gone, LIMIT)
    assert failure.endswith("node ignore.js (pid 40) was gone before its first reading")


def test_a_process_that_may_have_gone_unseen_fails_the_guard_even_when_all_seen_pass():
    failures = rss_guard_failures("upstream", REPORT, LIMIT,
                                  unseen="bpcopy ran out of file descriptors (ulimit -n)")
    assert failures == [
        "--assert-upstream-max-rss cannot be checked: a process at the pipe on stdin may "
        "have gone unseen: bpcopy ran out of file descriptors (ulimit -n)"]
    assert rss_guard_failures("upstream", REPORT, LIMIT) == []
