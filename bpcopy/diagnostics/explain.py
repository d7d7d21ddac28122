"""The explainer: folds a copy's events into cycles, as they happen, for --explain.

It is fed the calls a trace writer gets from the recorder (chunk, pause, resume, drain,
and event(name, ...) for end, finish and error), so it sees what the trace shows and
nothing else. It never touches a stream and never steers: it only receives numbers.
The account's wording is bpcopy.render.explanation's; this module keeps the facts.

What a cycle is. Each chunk starts one: the chunk's 'data', the write() it prompted and
the pause() that may have followed (emitted inside the 'data' handler, so the trace
shows 'pause' just before the chunk's record), then whatever came before the next
chunk: 'drain', 'resume', ... Two cycles are alike when they have the same sequence of
events with the same bytes, write_ok and paused state. What depends on timing may
differ between alike cycles and is kept as a range: times, and the buffer lengths
(readable_length at 'drain', writable_length behind a slow sink).

Memory stays flat whatever the size of the copy: the records before and in the first
cycle, at most HEAD_RUNS runs of alike cycles in order, the current run, a tally of any
further runs by kind (at most TALLY_KINDS kinds), at most ENDING_RECORDS records after
'end' or 'error', and write latencies for at most LATENCY_SIZES chunk sizes.

Theory of operation: the per-chunk work is a few list operations and comparisons.
A cycle's kind is a tuple of tokens; its timing-dependent values are a short list of
"measures" (None where the cycle has no such event) folded into the run's minima and
maxima when the next chunk arrives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# How much of the copy is kept in order before runs are only tallied: enough for the
# usual shapes (the first cycle, a long run, a short last chunk) on one screen.
HEAD_RUNS = 6
TALLY_KINDS = 8
FIRST_CYCLE_RECORDS = 16  # a cycle has four records in the usual shapes
ENDING_RECORDS = 16
LATENCY_SIZES = 8

# Tokens of a cycle's kind (a chunk's token is (bytes, write_ok, paused)).
PAUSE = "pause"
RESUME = "resume"
DRAIN = "drain"

# Positions in a cycle's measures (and a run's minima and maxima).
WRITABLE_AT_CHUNK = 0    # writable_length in the chunk's record
READABLE_AT_CHUNK = 1    # readable_length in the chunk's record
DRAIN_AFTER = 2          # seconds from the chunk's record to the cycle's 'drain'
READABLE_AT_DRAIN = 3    # readable_length at 'drain' (the paused reader's read-ahead)
PAUSED_FOR = 4           # seconds from the cycle's 'pause' to its 'resume'
CYCLE_TIME = 5           # seconds from the chunk's record to the next cycle (or the end)
MEASURES = 6


@dataclass(frozen=True)
class RunSetup:
    """How the copy was set up: what the account must know beyond the records."""

    mode: str
    read_hwm: int
    write_hwm: int
    source: str = "SRC"
    destination: str = "DST"
    source_size: int | None = None
    sink_delay: float = 0.0
    sink_rate: float | None = None
    sink_jitter: float = 0.0
    source_delay: float = 0.0
    source_rate: float | None = None
    sink_fail_after: int | None = None


@dataclass(frozen=True)
class Record:
    """One trace record, as the explainer received it."""

    event: str
    t: float
    fields: dict[str, Any] = field(default_factory=dict)


class Run:
    """Alike cycles, back to back (or, in the tally, of one kind wherever they came)."""

    __slots__ = ("kind", "first", "last", "count", "runs", "low", "high", "t_first",
                 "t_last", "bytes")

    def __init__(self, kind: tuple[Any, ...], seq: int, t: float,
                 measures: list[float | None], size: int) -> None:
        self.kind = kind
        self.first = self.last = seq
        self.count = 1
        self.runs = 1
        self.low = list(measures)
        self.high = list(measures)
        self.t_first = self.t_last = t
        self.bytes = size

    def add(self, seq: int, t: float, measures: list[float | None], size: int) -> None:
        self.count += 1
        self.last = seq
        self.t_last = t
        self.bytes += size
        low, high = self.low, self.high
        for index in range(MEASURES):
            value = measures[index]
            if value is not None:
                if low[index] is None or value < low[index]:
                    low[index] = value
                if high[index] is None or value > high[index]:
                    high[index] = value

    def merge(self, other: Run) -> None:
        """Fold a whole run into this tally entry."""
        self.count += other.count
        self.runs += other.runs
        self.first = min(self.first, other.first)
        self.last = max(self.last, other.last)
        self.t_first = min(self.t_first, other.t_first)
        self.t_last = max(self.t_last, other.t_last)
        self.bytes += other.bytes
        for index in range(MEASURES):
            for mine, theirs, pick in ((self.low, other.low, min),
                                       (self.high, other.high, max)):
                if theirs[index] is not None:
                    mine[index] = (theirs[index] if mine[index] is None
                                   else pick(mine[index], theirs[index]))

    def events(self, token: str) -> int:
        """How many `token` events ('pause', 'drain', 'resume') these cycles had."""
        return self.count * self.kind.count(token)

    @property
    def chunk(self) -> tuple[int, bool, bool]:
        """(bytes, write_ok, paused) of these cycles' chunk."""
        return next(token for token in self.kind if isinstance(token, tuple))


@dataclass
class Story:
    """What the explainer kept of a copy: the account is told from this and the summary."""

    setup: RunSetup
    opening: list[Record]              # records before the first chunk ('resume')
    first_cycle: list[Record]          # the first cycle's records, in the trace's order
    runs: list[Run]                    # the first HEAD_RUNS runs, in order
    tally: list[Run]                   # later runs by kind (kind () holds the rest)
    last_run: Run | None               # the run the copy ended in, if not in `runs`
    ending: list[Record]               # from 'end' or 'error' on
    chunks: int
    bytes: int
    pauses: int
    resumes: int
    drains: int
    false_writes: int
    longest_pause: tuple[float, int] | None       # (seconds, chunk it followed)
    fullest_readable: tuple[int, int, str] | None  # (bytes, chunk, 'chunk' or 'drain')
    fullest_writable: tuple[int, int] | None       # (bytes, chunk)
    last_drained: tuple[int, int] | None           # (chunk, bytes up to it) at the last 'drain'
    last_chunk: Record | None
    write_latency: dict[int, tuple[int, float, float]]  # size -> (writes, total s, min s)
    pauses_after_end: int

    @property
    def all_runs(self) -> list[Run]:
        return [*self.runs, *self.tally, *([self.last_run] if self.last_run else [])]


class Explainer:
    """Receives the recorder's trace calls and folds them into a Story."""

    def __init__(self, setup: RunSetup) -> None:
        self.setup = setup
        self._opening: list[Record] = []
        self._first_cycle: list[Record] = []
        self._keeping_first = False  # while the first cycle is open
        self._ending: list[Record] | None = None  # a list once 'end' or 'error' came
        self._runs: list[Run] = []
        self._tally: dict[tuple[Any, ...], Run] = {}
        self._run: Run | None = None
        # The open cycle.
        self._kind: list[Any] | None = None
        self._measures: list[float | None] = [None] * MEASURES
        self._seq = 0
        self._size = 0
        self._chunk_t = 0.0
        self._cycle_pause_t: float | None = None
        self._pending_pause: tuple[float, int] | None = None
        # Tallies.
        self.chunks = 0
        self.bytes = 0
        self.pauses = 0
        self.resumes = 0
        self.drains = 0
        self.false_writes = 0
        self._paused_at: tuple[float, int] | None = None
        self._longest_pause: tuple[float, int] | None = None
        self._fullest_readable: tuple[int, int, str] | None = None
        self._fullest_writable: tuple[int, int] | None = None
        self._last_drained: tuple[int, int] | None = None
        self._last_chunk: tuple[Any, ...] | None = None
        self._latency: dict[int, list[float]] = {}
        self._pauses_after_end = 0

    # -- the trace-writer calls ---------------------------------------------------------

    def chunk(self, t: float, seq: int, size: int, write_ok: bool, readable_length: int,
              writable_length: int, need_drain: bool, paused: bool, drains: int,
              pauses: int, rss: int) -> None:
        if self._kind is not None:
            self._close_cycle(t)
            self._keeping_first = False
        elif self.chunks == 0 and self._ending is None:
            self._keeping_first = True
        self.chunks += 1
        self.bytes += size
        if not write_ok:
            self.false_writes += 1
        token = (size, write_ok, paused)
        pending = self._pending_pause
        if pending is None:
            self._kind = [token]
            self._cycle_pause_t = None
        else:
            self._kind = [PAUSE, token]
            self._pending_pause = None
            self._cycle_pause_t = pending[0]
            self._paused_at = (pending[0], seq)
        self._measures = [writable_length, readable_length, None, None, None, None]
        self._seq = seq
        self._size = size
        self._chunk_t = t
        self._last_chunk = last = (t, seq, size, write_ok, readable_length,
                                   writable_length, need_drain, paused, drains, pauses)
        fullest = self._fullest_writable
        if fullest is None or writable_length > fullest[0]:
            self._fullest_writable = (writable_length, seq)
        fullest_r = self._fullest_readable
        if fullest_r is None or readable_length > fullest_r[0]:
            self._fullest_readable = (readable_length, seq, "chunk")
        if self._keeping_first:
            if pending is not None:
                self._first_cycle.append(Record(PAUSE, pending[0], {"pauses": pending[1]}))
            self._first_cycle.append(Record("chunk", t, _chunk_fields(last)))

    def pause(self, t: float, pauses: int) -> None:
        self.pauses += 1
        if self._pending_pause is not None:
            self._stray_pause()
        if self._ending is not None:
            self._paused_at = (t, self._seq)
            self._pauses_after_end += 1
            self._keep_ending(Record(PAUSE, t, {"pauses": pauses}))
        else:
            self._pending_pause = (t, pauses)  # the next record tells whose pause it is

    def resume(self, t: float, resumes: int) -> None:
        self.resumes += 1
        if self._pending_pause is not None:
            self._stray_pause()
        paused_at = self._paused_at
        if paused_at is not None:
            self._paused_at = None
            length = t - paused_at[0]
            longest = self._longest_pause
            if longest is None or length > longest[0]:
                self._longest_pause = (length, paused_at[1])
        if self._kind is None:
            self._keep_opening(Record(RESUME, t, {"resumes": resumes}))
            return
        self._kind.append(RESUME)
        if self._cycle_pause_t is not None and self._measures[PAUSED_FOR] is None:
            self._measures[PAUSED_FOR] = t - self._cycle_pause_t
        if self._keeping_first:
            self._keep_first(Record(RESUME, t, {"resumes": resumes}))

    def drain(self, t: float, drains: int, writable_length: int, readable_length: int
              ) -> None:
        self.drains += 1
        if self._pending_pause is not None:
            self._stray_pause()
        self._last_drained = (self._seq, self.bytes)
        fullest = self._fullest_readable
        if fullest is None or readable_length > fullest[0]:
            self._fullest_readable = (readable_length, self._seq, DRAIN)
        if self._kind is None:
            self._keep_opening(Record(DRAIN, t, {"drains": drains}))
            return
        self._kind.append(DRAIN)
        measures = self._measures
        if measures[DRAIN_AFTER] is None:
            measures[DRAIN_AFTER] = t - self._chunk_t
            measures[READABLE_AT_DRAIN] = readable_length
            if measures[WRITABLE_AT_CHUNK] == self._size:
                # Only this chunk was buffered: the time to 'drain' is its write's time.
                self._note_latency(self._size, t - self._chunk_t)
        if self._keeping_first:
            self._keep_first(Record(DRAIN, t, {
                "drains": drains, "writable_length": writable_length,
                "readable_length": readable_length}))

    def event(self, name: str, t: float, fields: dict[str, Any]) -> None:
        if self._pending_pause is not None:
            self._stray_pause()
        if name in ("end", "error") and self._ending is None:
            if self._kind is not None:
                self._close_cycle(t)
                self._kind = None
            self._keeping_first = False
            self._ending = []
        record = Record(name, t, dict(fields))
        if self._ending is not None:
            self._keep_ending(record)
        else:
            self._keep_opening(record)

    # -- folding ------------------------------------------------------------------------

    def _close_cycle(self, t: float) -> None:
        measures = self._measures
        measures[CYCLE_TIME] = t - self._chunk_t
        kind = tuple(self._kind or ())
        run = self._run
        if run is not None and run.kind == kind:
            run.add(self._seq, self._chunk_t, measures, self._size)
            return
        if run is not None:
            self._shelve(run)
        self._run = Run(kind, self._seq, self._chunk_t, measures, self._size)
        if self._seq == 1:
            # The first cycle is told step by step: it is a run of its own, so the
            # ranges of the runs after it describe only the chunks they name.
            self._shelve(self._run)
            self._run = None

    def _shelve(self, run: Run) -> None:
        """A run is over: keep it in order while there is room, else tally it by kind
        (kinds past the first TALLY_KINDS - 1 share the catch-all kind ())."""
        if len(self._runs) < HEAD_RUNS:
            self._runs.append(run)
            return
        key = run.kind
        if key not in self._tally and len(self._tally) >= TALLY_KINDS - 1:
            key = ()
        tallied = self._tally.get(key)
        if tallied is None:
            run.kind = key
            self._tally[key] = run
        else:
            tallied.merge(run)

    def _stray_pause(self) -> None:
        """A pause that no chunk followed at once belongs to the open cycle."""
        assert self._pending_pause is not None
        pause_t, pauses = self._pending_pause
        self._pending_pause = None
        self._paused_at = (pause_t, self._seq)
        record = Record(PAUSE, pause_t, {"pauses": pauses})
        if self._kind is None:
            self._keep_opening(record)
            return
        self._kind.append(PAUSE)
        if self._cycle_pause_t is None:
            self._cycle_pause_t = pause_t
        if self._keeping_first:
            self._keep_first(record)

    def _note_latency(self, size: int, seconds: float) -> None:
        seen = self._latency.get(size)
        if seen is None:
            if len(self._latency) < LATENCY_SIZES:
                self._latency[size] = [1, seconds, seconds]
            return
        seen[0] += 1
        seen[1] += seconds
        if seconds < seen[2]:
            seen[2] = seconds

    def _keep_opening(self, record: Record) -> None:
        if len(self._opening) < FIRST_CYCLE_RECORDS:
            self._opening.append(record)

    def _keep_first(self, record: Record) -> None:
        if len(self._first_cycle) < FIRST_CYCLE_RECORDS:
            self._first_cycle.append(record)

    def _keep_ending(self, record: Record) -> None:
        ending = self._ending
        if ending is not None and len(ending) < ENDING_RECORDS:
            ending.append(record)

    # -- the result ---------------------------------------------------------------------

    def story(self) -> Story:
        """What was kept so far (call once the copy has settled; it changes nothing)."""
        runs = list(self._runs)
        last_run = None if self._run is None else _copy_run(self._run)
        if self._kind is not None:
            # The copy stopped inside a cycle (nothing closed it): fold that cycle in.
            kind = tuple(self._kind)
            if last_run is not None and last_run.kind == kind:
                last_run.add(self._seq, self._chunk_t, list(self._measures), self._size)
            else:
                if last_run is not None:
                    runs.append(last_run)
                last_run = Run(kind, self._seq, self._chunk_t, list(self._measures),
                               self._size)
        tally = [_copy_run(run) for run in self._tally.values()]
        if last_run is not None and not tally and len(runs) < HEAD_RUNS + 1:
            runs.append(last_run)
            last_run = None
        last = self._last_chunk
        return Story(
            setup=self.setup, opening=list(self._opening),
            first_cycle=list(self._first_cycle), runs=runs, tally=tally,
            last_run=last_run, ending=list(self._ending or []), chunks=self.chunks,
            bytes=self.bytes, pauses=self.pauses, resumes=self.resumes,
            drains=self.drains, false_writes=self.false_writes,
            longest_pause=self._longest_pause, fullest_readable=self._fullest_readable,
            fullest_writable=self._fullest_writable, last_drained=self._last_drained,
            last_chunk=None if last is None else Record("chunk", last[0],
                                                        _chunk_fields(last)),
            write_latency={size: (int(n), total, low)
                           for size, (n, total, low) in self._latency.items()},
            pauses_after_end=self._pauses_after_end)


def _copy_run(run: Run) -> Run:
    copy = Run(run.kind, run.first, run.t_first, list(run.low), 0)
    copy.last, copy.count, copy.runs = run.last, run.count, run.runs
    copy.high = list(run.high)
    copy.t_last, copy.bytes = run.t_last, run.bytes
    return copy


def _chunk_fields(values: tuple[Any, ...]) -> dict[str, Any]:
    keys = ("seq", "bytes", "write_ok", "readable_length", "writable_length",
            "need_drain", "paused", "drains", "pauses")
    return dict(zip(keys, values[1:], strict=True))


class TraceTee:
    """Hands each trace call to two writers: the trace the user asked for, and the
    explainer. Only a copy run with both --trace and --explain pays for it."""

    def __init__(self, first: Any, second: Any) -> None:
        self.first = first
        self.second = second

    def chunk(self, *args: Any) -> None:
        self.first.chunk(*args)
        self.second.chunk(*args)

    def pause(self, t: float, pauses: int) -> None:
        self.first.pause(t, pauses)
        self.second.pause(t, pauses)

    def resume(self, t: float, resumes: int) -> None:
        self.first.resume(t, resumes)
        self.second.resume(t, resumes)

    def drain(self, t: float, drains: int, writable_length: int, readable_length: int
              ) -> None:
        self.first.drain(t, drains, writable_length, readable_length)
        self.second.drain(t, drains, writable_length, readable_length)

    def event(self, name: str, t: float, fields: dict[str, Any]) -> None:
        self.first.event(name, t, fields)
        self.second.event(name, t, fields)


# -- what the account may conclude --------------------------------------------------------

# Below this, a verdict would outrun its evidence. judge() blames a side once it was busy
# for 35% of the copy; a stall of the machine (the scheduler running something else)
# counts as busy time for whichever side had an operation in flight. On a shared 2-core
# machine, 40 runs of the tutorial's 64-byte copy had single gaps between events of up
# to 32 ms (median gap 15 µs), and 1-to-16-chunk copies of 64 KiB chunks flipped between
# all three verdicts. 35 ms / 0.35 = 100 ms: from there on, one stall alone cannot make
# a side look busy enough to be blamed. (bench/verdict_threshold.py measures it again.)
JUDGE_MIN_S = 0.1
WORST_STALL_S = 0.035


def too_short_to_judge(elapsed_s: float) -> bool:
    """Whether a copy was too short for the busy times to mean anything."""
    return elapsed_s < JUDGE_MIN_S


@dataclass(frozen=True)
class SinkCost:
    """What a write costs the destination: per write, per byte, both, or unknown."""

    kind: str         # "per write", "per byte", "both" or "unknown"
    basis: str        # what told us: "options", "write times" or why we cannot tell
    per_write_s: float = 0.0  # the fixed cost of one write, when known
    rate: float | None = None  # bytes per second, when known


# Write times tell per-write from per-byte when two chunk sizes differ at least this
# much, each seen this often; the exponent of time against size decides (0: the same
# time whatever the size; 1: time proportional to size).
_SIZE_RATIO = 2.0
_WRITES_PER_SIZE = 3
_PER_BYTE_EXPONENT = 0.7
_PER_WRITE_EXPONENT = 0.3


def sink_cost(setup: RunSetup, story: Story) -> SinkCost:
    """Tell from the simulated options, or from how write times scale with chunk size."""
    delay = setup.sink_delay + setup.sink_jitter / 2
    if delay or setup.sink_rate:
        if delay and setup.sink_rate:
            chunk = setup.read_hwm
            if delay >= chunk / setup.sink_rate:
                kind = "per write" if delay >= 4 * chunk / setup.sink_rate else "both"
            else:
                kind = "per byte" if chunk / setup.sink_rate >= 4 * delay else "both"
            return SinkCost(kind, "options", delay, setup.sink_rate)
        if delay:
            return SinkCost("per write", "options", delay)
        return SinkCost("per byte", "options", rate=setup.sink_rate)
    return _cost_from_write_times(story.write_latency)


def _cost_from_write_times(latency: dict[int, tuple[int, float, float]]) -> SinkCost:
    import math

    sizes = sorted(size for size, (count, _, _) in latency.items()
                   if count >= _WRITES_PER_SIZE and size > 0)
    if len(sizes) < 2 or sizes[-1] < _SIZE_RATIO * sizes[0]:
        seen = ", ".join(f"{size}" for size in sorted(latency)) or "none"
        return SinkCost("unknown", f"all timed writes had one size ({seen} bytes)"
                        if len(latency) == 1 else
                        f"too few writes of different sizes were timed ({seen} bytes)")
    small, large = sizes[0], sizes[-1]
    t_small, t_large = latency[small][2], latency[large][2]  # the quickest of each size
    if t_small <= 0 or t_large <= 0:
        return SinkCost("unknown", "the writes were too quick to time")
    exponent = math.log(t_large / t_small) / math.log(large / small)
    basis = f"write times: {small} bytes took {t_small:.6f} s, {large} bytes {t_large:.6f} s"
    if exponent >= _PER_BYTE_EXPONENT:
        return SinkCost("per byte", basis, rate=large / t_large)
    if exponent <= _PER_WRITE_EXPONENT:
        return SinkCost("per write", basis, t_small)
    return SinkCost("both", basis, t_small)
