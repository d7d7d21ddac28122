"""The pipeline's verdict: which program at which end held the copy back, by name.

Rules kept here:
1. Only with MIN_SAMPLES kernel samples or more at that end; fewer say too little.
2. sink-bound when the buffer to the downstream program was full for at least
   BLAME_SHARE of the copy: that program did not read fast enough.
3. source-bound when the buffer from the upstream program was empty for at least
   BLAME_SHARE of the copy: that program did not write fast enough.
4. When both hold, the larger share wins. The program named is the culprit the
   neighbours module picks at that end; when nobody can be seen there, no verdict.
5. No verdict here (None) means: keep the verdict by busy time (summary.judge).

It reads BufferReports and knows nothing of how they were measured.
"""

from __future__ import annotations

from bpcopy.diagnostics.sampler import BufferReport
from bpcopy.names import shown_command

MIN_SAMPLES = 20
BLAME_SHARE = 0.5
# A verdict is one line; a long command line (python -c '...') is cut to this length.
LONGEST_NAME = 60


def name_culprit(upstream: BufferReport | None, downstream: BufferReport | None
                 ) -> str | None:
    """The verdict naming the culprit, or None to keep the verdict by busy time."""
    full = _share(downstream, "full")
    empty = _share(upstream, "empty")
    if full is not None and full >= BLAME_SHARE and (empty is None or full >= empty):
        assert downstream is not None
        return (f"sink-bound: {_who(downstream)} reads slowly: the {_what(downstream)} "
                f"to it was full {_percent(full)} of the time")
    if empty is not None and empty >= BLAME_SHARE:
        assert upstream is not None
        return (f"source-bound: {_who(upstream)} writes slowly: the {_what(upstream)} "
                f"from it was empty {_percent(empty)} of the time")
    return None


def _share(report: BufferReport | None, state: str) -> float | None:
    if report is None or report.samples < MIN_SAMPLES or report.culprit_pid is None:
        return None
    return report.full_fraction if state == "full" else report.empty_fraction


def _who(report: BufferReport) -> str:
    return f"{short_command(report.culprit_command or '?')} (pid {report.culprit_pid})"


def _what(report: BufferReport) -> str:
    return {"fifo": "FIFO", "socket": "socket"}.get(report.kind, "pipe")


def short_command(command: str, limit: int = LONGEST_NAME) -> str:
    """A command on one line for people (control characters written as $'...', as cp
    writes them: never raw on a terminal, never flattened into spaces), cut with an
    ellipsis when longer than `limit`."""
    one_line = shown_command(command)
    return one_line if len(one_line) <= limit else one_line[:limit - 1] + "…"


def _percent(share: float) -> str:
    return f"{share * 100:.0f}%"
