"""The explainer: folds a copy's events into cycles, as they happen, for --explain.

It is fed the calls a trace writer gets from the recorder (chunk, pause, resume, drain,
event(name, ...) for end, finish and error, and kernel readings in a pipeline), so it
sees what the trace shows and nothing else. It never touches a stream and never steers:
it only receives numbers.
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
further runs by kind (at most TALLY_KINDS kinds) and at most ENDING_RECORDS records from
'end' or 'error' on.

Theory of operation: the per-chunk work is a few attribute updates and comparisons
(about 2 µs a cycle; it runs only with --explain). A cycle's kind is a list of tokens;
when the next chunk arrives it is compared with the current run's kind, and its
timing-dependent values widen that run's ranges.
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

# Tokens of a cycle's kind (a chunk's token is (bytes, write_ok, paused)).
PAUSE = "pause"
RESUME = "resume"
DRAIN = "drain"
CHUNK = "chunk"


@dataclass(frozen=True)
class RunSetup:
    """How the copy was set up: what the account must know beyond the records."""

    mode: str
    read_hwm: int
    write_hwm: int
    source: str = "SRC"
    destination: str = "DST"
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


Span = tuple[float, float]


def _widen(span: Span | None, other: Span | None) -> Span | None:
    if span is None:
        return other
    if other is None:
        return span
    return (min(span[0], other[0]), max(span[1], other[1]))


class Run:
    """Alike cycles back to back (in the tally: of one kind, wherever they came).

    The ranges are (lowest, highest) over the cycles: `writable` is writable_length
    after write(); `drain_after` the seconds from the chunk's record to the cycle's
    'drain' and `readable_at_drain` the readable's read-ahead then (None without a
    'drain'); `cycle` the seconds from one chunk's record to the next (or to the end).
    """

    __slots__ = ("kind", "first", "last", "count", "runs", "bytes", "writable_low",
                 "writable_high", "drain_low", "drain_high", "ahead_low", "ahead_high",
                 "cycle_low", "cycle_high", "mixed_events")

    def __init__(self, kind: list[Any], seq: int, size: int, writable: int,
                 drain_after: float | None, readable_at_drain: int, cycle: float) -> None:
        self.kind = kind
        self.first = self.last = seq
        self.count = self.runs = 1
        self.bytes = size
        self.writable_low = self.writable_high = writable
        self.drain_low = self.drain_high = drain_after
        self.ahead_low = self.ahead_high = readable_at_drain
        self.cycle_low = self.cycle_high = cycle
        # Only the tally's catch-all entry (kind []) counts its events itself.
        self.mixed_events: dict[str, int] = {}

    @property
    def writable(self) -> Span:
        return (self.writable_low, self.writable_high)

    @property
    def drain_after(self) -> Span | None:
        return None if self.drain_low is None else (self.drain_low, self.drain_high or 0.0)

    @property
    def readable_at_drain(self) -> Span | None:
        return None if self.drain_low is None else (self.ahead_low, self.ahead_high)

    @property
    def cycle(self) -> Span:
        return (self.cycle_low, self.cycle_high)

    @property
    def chunk(self) -> tuple[int, bool, bool]:
        """(bytes, write_ok, paused) of these cycles' chunk."""
        return next(token for token in self.kind if isinstance(token, tuple))

    def events(self, token: str) -> int:
        """How many `token` events ('pause', 'drain', 'resume') these cycles had."""
        if not self.kind:
            return self.mixed_events.get(token, 0)
        return self.count * self.kind.count(token)

    def become_mixed(self) -> None:
        """Turn into the tally's catch-all entry: the kind goes, the counts stay."""
        self.mixed_events = {token: self.events(token) for token in (PAUSE, DRAIN, RESUME)}
        self.kind = []

    def merge(self, other: Run) -> None:
        """Fold a whole run into this one (the tally's entries)."""
        if not self.kind:
            for token in (PAUSE, DRAIN, RESUME):
                self.mixed_events[token] = self.events(token) + other.events(token)
        self.count += other.count
        self.runs += other.runs
        self.first = min(self.first, other.first)
        self.last = max(self.last, other.last)
        self.bytes += other.bytes
        self.writable_low, self.writable_high = _widen(self.writable, other.writable) \
            or (0, 0)
        drain = _widen(self.drain_after, other.drain_after)
        ahead = _widen(self.readable_at_drain, other.readable_at_drain)
        self.drain_low, self.drain_high = drain if drain else (None, None)
        self.ahead_low, self.ahead_high = ahead if ahead else (0, 0)
        self.cycle_low, self.cycle_high = _widen(self.cycle, other.cycle) or (0.0, 0.0)

    def copy(self) -> Run:
        twin = Run.__new__(Run)
        for name in Run.__slots__:
            setattr(twin, name, getattr(self, name))
        twin.kind = list(self.kind)
        twin.mixed_events = dict(self.mixed_events)
        return twin


@dataclass
class Story:
    """What the explainer kept of a copy: the account is told from this and the summary."""

    setup: RunSetup
    opening: list[Record]              # records before the first chunk ('resume')
    first_cycle: list[Record]          # the first cycle's records, in the trace's order
    runs: list[Run]                    # runs in order: the first cycle is runs[0]
    tally: list[Run]                   # later runs by kind (kind [] holds the rest)
    last_run: Run | None               # the run the copy ended in, when runs were tallied
    ending: list[Record]                # from 'end' or 'error' on
    chunks: int
    bytes: int
    pauses: int
    resumes: int
    drains: int
    false_writes: int
    last_seq: int                                   # the last chunk's number
    longest_pause: tuple[float, int] | None         # (seconds, the chunk it followed)
    fullest_readable: tuple[int, int, str] | None   # (bytes, chunk, 'chunk' or 'drain')
    fullest_writable: tuple[int, int] | None        # (bytes, chunk)
    last_drained: tuple[int, int] | None            # (chunk, bytes read by then)
    pauses_after_end: int

    @property
    def all_runs(self) -> list[Run]:
        return [*self.runs, *self.tally, *([self.last_run] if self.last_run else [])]

    def write_times(self) -> dict[int, tuple[int, float]]:
        """Chunk size -> (writes timed, quickest): the time from a chunk's record to
        'drain', in cycles where that chunk alone was buffered (so it is the time of
        that one write)."""
        times: dict[int, tuple[int, float]] = {}
        for run in self.all_runs:
            if not run.kind or run.drain_low is None:
                continue
            size = run.chunk[0]
            if run.writable_low == run.writable_high == size:
                count, quickest = times.get(size, (0, run.drain_low))
                times[size] = (count + run.count, min(quickest, run.drain_low))
        return times


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
        self._seq = 0
        self._size = 0
        self._chunk_t = 0.0
        self._writable = 0
        self._drain_after: float | None = None
        self._readable_at_drain = 0
        # A 'pause' waits for the next record to tell whose it is (-1.0: none waits).
        self._pending_pause_t = -1.0
        self._pending_pauses = 0
        # Counts and extremes, as plain numbers: they change on every chunk.
        self.chunks = 0
        self.bytes = 0
        self.pauses = 0
        self.resumes = 0
        self.drains = 0
        self.false_writes = 0
        self._paused_t = -1.0  # when the reader was paused, while it is
        self._paused_seq = 0
        self._longest_pause = -1.0
        self._longest_pause_seq = 0
        self._max_readable = 0
        self._max_readable_seq = 0
        self._max_readable_at = CHUNK
        self._max_writable = 0
        self._max_writable_seq = 0
        self._drained_seq = 0  # the chunk before the latest 'drain' (0: none came)
        self._drained_bytes = 0
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
        pause_t = self._pending_pause_t
        if pause_t < 0.0:
            self._kind = [(size, write_ok, paused)]
        else:
            self._kind = [PAUSE, (size, write_ok, paused)]
            self._pending_pause_t = -1.0
            self._paused_t = pause_t
            self._paused_seq = seq
        self._seq = seq
        self._size = size
        self._chunk_t = t
        self._writable = writable_length
        self._drain_after = None
        if writable_length > self._max_writable:
            self._max_writable = writable_length
            self._max_writable_seq = seq
        if readable_length > self._max_readable:
            self._max_readable = readable_length
            self._max_readable_seq = seq
            self._max_readable_at = CHUNK
        if self._keeping_first:
            if pause_t >= 0.0:
                self._first_cycle.append(Record(PAUSE, pause_t,
                                                {"pauses": self._pending_pauses}))
            self._first_cycle.append(Record(CHUNK, t, {
                "seq": seq, "bytes": size, "write_ok": write_ok,
                "readable_length": readable_length, "writable_length": writable_length,
                "need_drain": need_drain, "paused": paused, "drains": drains,
                "pauses": pauses}))

    def pause(self, t: float, pauses: int) -> None:
        self.pauses += 1
        if self._pending_pause_t >= 0.0:
            self._stray_pause()
        if self._ending is not None:
            self._paused_t = t
            self._paused_seq = self._seq
            self._pauses_after_end += 1
            self._keep_ending(Record(PAUSE, t, {"pauses": pauses}))
        else:
            self._pending_pause_t = t
            self._pending_pauses = pauses

    def resume(self, t: float, resumes: int) -> None:
        self.resumes += 1
        if self._pending_pause_t >= 0.0:
            self._stray_pause()
        paused_t = self._paused_t
        if paused_t >= 0.0:
            self._paused_t = -1.0
            if t - paused_t > self._longest_pause:
                self._longest_pause = t - paused_t
                self._longest_pause_seq = self._paused_seq
        kind = self._kind
        if kind is None:
            self._keep_opening(Record(RESUME, t, {"resumes": resumes}))
            return
        kind.append(RESUME)
        if self._keeping_first:
            self._keep_first(Record(RESUME, t, {"resumes": resumes}))

    def drain(self, t: float, drains: int, writable_length: int, readable_length: int
              ) -> None:
        self.drains += 1
        if self._pending_pause_t >= 0.0:
            self._stray_pause()
        self._drained_seq = self._seq
        self._drained_bytes = self.bytes
        if readable_length > self._max_readable:
            self._max_readable = readable_length
            self._max_readable_seq = self._seq
            self._max_readable_at = DRAIN
        kind = self._kind
        if kind is None:
            self._keep_opening(Record(DRAIN, t, {"drains": drains}))
            return
        kind.append(DRAIN)
        if self._drain_after is None:
            self._drain_after = t - self._chunk_t
            self._readable_at_drain = readable_length
        if self._keeping_first:
            self._keep_first(Record(DRAIN, t, {
                "drains": drains, "writable_length": writable_length,
                "readable_length": readable_length}))

    def event(self, name: str, t: float, fields: dict[str, Any]) -> None:
        if self._pending_pause_t >= 0.0:
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

    def kernel(self, t: float, upstream_queued: int | None,
               downstream_queued: int | None) -> None:
        """A kernel sampler's reading (in a pipeline). The account tells the kernel's
        buffers from the summary's `upstream` and `downstream`, so a reading is not kept;
        nor does it end a cycle: it comes at the sampler's pace, not the stream's."""

    # -- folding ------------------------------------------------------------------------

    def _close_cycle(self, t: float) -> None:
        """The open cycle is over: it joins the current run, or starts a new one."""
        kind = self._kind
        run = self._run
        cycle = t - self._chunk_t
        drain_after = self._drain_after
        if run is not None and run.kind == kind:
            # The hot path: widen the run's ranges (low <= high, so one test each).
            run.count += 1
            run.last = self._seq
            run.bytes += self._size
            writable = self._writable
            if writable < run.writable_low:
                run.writable_low = writable
            elif writable > run.writable_high:
                run.writable_high = writable
            if drain_after is not None:
                if drain_after < run.drain_low:
                    run.drain_low = drain_after
                elif drain_after > run.drain_high:
                    run.drain_high = drain_after
                ahead = self._readable_at_drain
                if ahead < run.ahead_low:
                    run.ahead_low = ahead
                elif ahead > run.ahead_high:
                    run.ahead_high = ahead
            if cycle < run.cycle_low:
                run.cycle_low = cycle
            elif cycle > run.cycle_high:
                run.cycle_high = cycle
            return
        if run is not None:
            self._shelve(run)
        self._run = Run(kind or [], self._seq, self._size, self._writable, drain_after,
                        self._readable_at_drain if drain_after is not None else 0, cycle)
        if self._seq == 1:
            # The first cycle is told step by step: it is a run of its own, so the
            # ranges of the runs after it describe only the chunks they name.
            self._shelve(self._run)
            self._run = None

    def _shelve(self, run: Run) -> None:
        """A run is over: keep it in order while there is room, else tally it by kind
        (kinds past the first TALLY_KINDS - 1 share the catch-all kind [])."""
        if len(self._runs) < HEAD_RUNS:
            self._runs.append(run)
            return
        key = tuple(run.kind)
        if key not in self._tally and len(self._tally) >= TALLY_KINDS - 1:
            key = ()
        tallied = self._tally.get(key)
        if tallied is None:
            if not key:
                run.become_mixed()
            self._tally[key] = run
        else:
            tallied.merge(run)

    def _stray_pause(self) -> None:
        """A pause that no chunk followed at once belongs to the open cycle."""
        pause_t = self._pending_pause_t
        self._pending_pause_t = -1.0
        self._paused_t = pause_t
        self._paused_seq = self._seq
        record = Record(PAUSE, pause_t, {"pauses": self._pending_pauses})
        if self._kind is None:
            self._keep_opening(record)
            return
        self._kind.append(PAUSE)
        if self._keeping_first:
            self._keep_first(record)

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
        runs = [run.copy() for run in self._runs]
        last_run = None if self._run is None else self._run.copy()
        if self._kind is not None:
            # The copy stopped inside a cycle (nothing closed it): count that cycle too.
            open_cycle = Run(list(self._kind), self._seq, self._size, self._writable,
                             self._drain_after, self._readable_at_drain, 0.0)
            if last_run is not None and last_run.kind == open_cycle.kind:
                last_run.merge(open_cycle)
            else:
                if last_run is not None:
                    runs.append(last_run)
                last_run = open_cycle
        tally = [run.copy() for run in self._tally.values()]
        if last_run is not None and not tally:
            runs.append(last_run)
            last_run = None
        return Story(
            setup=self.setup, opening=list(self._opening),
            first_cycle=list(self._first_cycle), runs=runs, tally=tally,
            last_run=last_run, ending=list(self._ending or []), chunks=self.chunks,
            bytes=self.bytes, pauses=self.pauses, resumes=self.resumes,
            drains=self.drains, false_writes=self.false_writes, last_seq=self._seq,
            longest_pause=(None if self._longest_pause < 0.0 else
                           (self._longest_pause, self._longest_pause_seq)),
            fullest_readable=(self._max_readable, self._max_readable_seq,
                              self._max_readable_at) if self.chunks else None,
            fullest_writable=(self._max_writable, self._max_writable_seq)
            if self.chunks else None,
            last_drained=((self._drained_seq, self._drained_bytes) if self.drains
                          else None),
            pauses_after_end=self._pauses_after_end)


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

    def kernel(self, t: float, upstream_queued: int | None,
               downstream_queued: int | None) -> None:
        self.first.kernel(t, upstream_queued, downstream_queued)
        self.second.kernel(t, upstream_queued, downstream_queued)


# -- what the account may conclude --------------------------------------------------------

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
    return _cost_from_write_times(story.write_times())


def _cost_from_write_times(times: dict[int, tuple[int, float]]) -> SinkCost:
    import math

    sizes = sorted(size for size, (count, _) in times.items()
                   if count >= _WRITES_PER_SIZE and size > 0)
    if len(sizes) < 2 or sizes[-1] < _SIZE_RATIO * sizes[0]:
        seen = ", ".join(str(size) for size in sorted(times)) or "none"
        if len(times) == 1:
            return SinkCost("unknown", f"every timed write was {seen} bytes")
        return SinkCost("unknown", f"too few writes of different sizes were timed "
                                   f"({seen} bytes)")
    small, large = sizes[0], sizes[-1]
    t_small, t_large = times[small][1], times[large][1]  # the quickest of each size
    if t_small <= 0 or t_large <= 0:
        return SinkCost("unknown", "the writes were too quick to time")
    exponent = math.log(t_large / t_small) / math.log(large / small)
    basis = (f"the quickest write of {small} bytes took {t_small * 1e3:.3f} ms, "
             f"of {large} bytes {t_large * 1e3:.3f} ms")
    if exponent >= _PER_BYTE_EXPONENT:
        return SinkCost("per byte", basis, rate=large / t_large)
    if exponent <= _PER_WRITE_EXPONENT:
        return SinkCost("per write", basis, t_small)
    return SinkCost("both", basis, t_small)
