"""Why each trace record happened: a short reason per record, for the trace's `why`
column and the account's steps.

Every reason that compares a length with a mark asks bpcopy.streams.marks, the rules the
streams themselves decide with (write_accepts_more, drain_due, can_push_more); nothing
here compares a length with a mark on its own. It is fed the records in the trace's
order (the trace-writer calls) and keeps the little state a reason needs: whether the
flow has started and whether the readable has ended. It never touches a stream.
"""

from __future__ import annotations

from bpcopy.streams.marks import can_push_more, drain_due, write_accepts_more

# Who calls write(), pause() and resume() in each strategy (bpcopy.pump).
STEERED_BY = {"pump": "the pump", "pipe": "pipe()", "none": "--mode none"}


def write_answer(writable_length: int, high_water_mark: int) -> str:
    """write()'s answer for a chunk record, as the mark test puts it."""
    if write_accepts_more(writable_length, high_water_mark):
        if writable_length == 0:
            return "writable_length 0: buffer empty"
        return f"writable_length {writable_length} < mark {high_water_mark}"
    return f"writable_length {writable_length} >= mark {high_water_mark}"


def drain_answer(writable_length: int) -> str:
    """Why 'drain' came (the drain condition), for a 'drain' record."""
    if drain_due(True, writable_length):
        return "buffer empty after a false write"
    return f"writable_length {writable_length} after a false write"


def read_ahead(readable_length: int, high_water_mark: int) -> str:
    """What a paused readable's buffer says about reading on (Node's canPushMore)."""
    if readable_length == 0:
        return ""
    if can_push_more(readable_length, high_water_mark, False):
        return f"read ahead {readable_length} < mark {high_water_mark}"
    return f"read ahead to {readable_length}, mark {high_water_mark}: stops"


class Reasons:
    """A short reason for each record, given in the order the trace writes them."""

    def __init__(self, mode: str, read_hwm: int, write_hwm: int) -> None:
        self.mode = mode
        self.read_hwm = read_hwm
        self.write_hwm = write_hwm
        self._flowing_started = False
        self._ended = False

    def chunk(self, write_ok: bool, writable_length: int, paused: bool) -> str:
        answer = write_answer(writable_length, self.write_hwm)
        if write_ok != write_accepts_more(writable_length, self.write_hwm):
            # The length moved between write() and the record (not seen in bpcopy's
            # streams, whose writes complete on a later turn): give write()'s own word.
            return f"write() returned {'true' if write_ok else 'false'}"
        if not write_ok and not paused and self.mode == "none":
            return f"{answer}; ignored"
        return answer

    def pause(self) -> str:
        if self._ended:
            return "pipe() unpipes at 'finish'" if self.mode == "pipe" else "after 'end'"
        if self.mode == "pipe":
            return "write() false: pipe() pauses"
        return "write() false: pause()"

    def resume(self) -> str:
        if not self._flowing_started:
            self._flowing_started = True
            return "'data' listener starts the flow"
        if self.mode == "pipe":
            return "'drain': pipe() resumes"
        return "'drain': resume()"

    def drain(self, writable_length: int, readable_length: int) -> str:
        reason = drain_answer(writable_length)
        ahead = read_ahead(readable_length, self.read_hwm)
        return f"{reason}; {ahead}" if ahead else reason

    def event(self, name: str) -> str:
        if name == "end":
            self._ended = True
            return "source exhausted: end()"
        if name == "finish":
            return "end() and buffer empty"
        if name == "error":
            self._ended = True
            return "the copy stops"
        return ""
