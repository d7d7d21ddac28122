"""CI guards on the memory of the programs at each end: --assert-upstream-max-rss and
--assert-downstream-max-rss.

Rules kept here:
1. A guard fails when any process seen at its end peaked (VmHWM) above the limit; the
   line names the process, its pid, its peak and the limit.
2. A guard that cannot be checked fails too, saying why: the end is not a pipe, FIFO or
   socket; it is a socket (whose peer cannot be seen); no process could be seen there
   (it exited before bpcopy first looked, as `true | bpcopy ...` does, or it is another
   user's, or /proc is mounted with hidepid or cannot be read); or a process was gone
   before its first reading; or some process there may have gone unseen (bpcopy ran
   out of descriptors while looking, or another user's process was started beside
   it). A CI check must never pass by not looking.

It judges the summary's `upstream` and `downstream` objects (the --json contract), and
the reason a process may have gone unseen; it knows nothing of how they were measured.
"""

from __future__ import annotations

from typing import Any

from bpcopy.diagnostics.culprit import short_command
from bpcopy.units import format_size

OPTION_OF_ROLE = {"upstream": "--assert-upstream-max-rss",
                  "downstream": "--assert-downstream-max-rss"}
END_OF_ROLE = {"upstream": "stdin", "downstream": "stdout"}
# A CI log should show the whole command; only a runaway one is cut.
GUARD_NAME_LIMIT = 400


def rss_guard_failures(role: str, side: dict[str, Any] | None, limit: int,
                       end_name: str | None = None, *,
                       unseen: str | None = None) -> list[str]:
    """One line per failure of the guard on `role` (empty when it passes); `side` is
    the summary's object for that end, None when it is not a pipe, FIFO or socket;
    `unseen` says why a process there may have gone unseen, if one may have."""
    option = OPTION_OF_ROLE[role]
    end = end_name or END_OF_ROLE[role]
    limit_text = f"{option} {format_size(limit)} ({limit} bytes)"
    unchecked = f"{option} cannot be checked"
    if side is None:
        return [f"{unchecked}: {end} is not a pipe, FIFO or socket"]
    if side["kind"] == "socket":
        return [f"{unchecked}: {end} is a socket, and the program at its other end "
                "cannot be seen"]
    if not side["processes"]:
        return [f"{unchecked}: no process is visible at the {side['kind']} on {end} "
                "(it exited before bpcopy looked, or it is another user's, or /proc is "
                "mounted with hidepid or cannot be read)"]
    failures = []
    if unseen is not None:
        failures.append(f"{unchecked}: a process at the {side['kind']} on {end} may have "
                        f"gone unseen: {unseen}")
    for process in side["processes"]:
        who = f"{short_command(process['command'], GUARD_NAME_LIMIT)} (pid {process['pid']})"
        peak = process["peak_rss"]
        if peak is None:
            failures.append(f"{unchecked}: {who} was gone before its first reading")
        elif peak > limit:
            failures.append(f"{role} process {who} peaked at {format_size(peak)} "
                            f"({peak} bytes) of RSS, above {limit_text}")
    return failures
