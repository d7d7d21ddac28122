"""The kernel sampler: how full the pipes at each end were, over the whole copy.

Rules kept here:
1. Samples come from a timer, never from the chunks: one at the start, one every
   SAMPLE_INTERVAL_S while the copy runs, one at the end.
2. Each sample's state (full, empty) counts for the time around it: half the interval
   before and half the interval after (the midpoint rule). Sums grow; no list does, so
   memory stays flat over hours.
3. full_fraction and empty_fraction are shares of the time between the first and the
   last sample. A socket, or a packet-mode pipe, has no full_fraction (None): its
   capacity is not in the units of its readings (see kernel.py).
4. The neighbours are scanned first right after the start (the first read is not kept
   waiting), then again at widening intervals, since programs join a pipeline late.

Theory of operation: the timer is a thread that sleeps on an Event between samples. It
was chosen over a timer on the event loop by measurement, with this very sampler driven
both ways through `cat 512MiB | bpcopy - - | cat >/dev/null`, five runs each, on a shared
two-core machine (load average 8):
- lateness of each firing: thread median 0.20 ms, p90 3.9 ms, p99 13.7 ms (1,679
  firings); loop median 1.11 ms, p90 7.4 ms, p99 19.1 ms (1,954 firings). A loop timer
  runs only between batches of I/O, so it fires late exactly when bpcopy is busy.
- where the samples fall: a loop timer runs right after the reads and writes of the same
  turn, so it sees the pipe upstream just drained and the pipe downstream just filled.
  Over 300 MiB from `head` to `cat`, the loop saw the pipe to `cat` full 1-58% of the
  time (once enough to blame `cat`, which only writes to /dev/null); the thread, at
  moments unrelated to the loop's rhythm, 16-19% on every run.
- the price: 0.29 ms of CPU per sample on the thread against 0.21 ms on the loop (the
  same system calls, plus a wake-up and the GIL's hand-overs), some 10 ms per second of
  copying at this rate.
The readings are a few system calls, each of which releases the GIL.

Kernel trace records are queued here and written by the owner of the trace (on the
loop's thread), so a trace file is only ever written from one thread.

It watches and never steers: nothing here touches a stream or the copy's descriptors.
"""

from __future__ import annotations

import threading
from collections import deque
from time import perf_counter, thread_time
from typing import Any, NamedTuple

from bpcopy.diagnostics.kernel import KernelEnd, is_full
from bpcopy.diagnostics.neighbours import EndNeighbours, Neighbours

# At least every 10 ms, as asked; 8 ms leaves room for a late wake-up. Each sample reads
# VmHWM of every neighbour (some 40 us each), so this also sets the sampler's CPU cost.
SAMPLE_INTERVAL_S = 0.008
# Neighbour scans: right away, then after 0.1 s, 0.2 s, 0.4 s, ... up to every 2 s.
FIRST_RESCAN_S = 0.1
LONGEST_RESCAN_S = 2.0
# Capacity is re-read on one sample in this many (F_SETPIPE_SZ by anyone, TCP tuning).
CAPACITY_EVERY = 16
# Kernel trace records waiting for the trace's writer; far more than it ever leaves.
MAX_WAITING_RECORDS = 1 << 16


class BufferReport(NamedTuple):
    """What one end's kernel buffer did over the copy (the --json `upstream` object)."""

    role: str
    kind: str
    capacity: int | None
    max_queued: int
    full_fraction: float | None
    empty_fraction: float | None
    samples: int
    packet_mode: bool
    processes: list[dict[str, Any]]
    culprit_command: str | None
    culprit_pid: int | None
    hidden_pids: int
    # Why a process at this end may have gone unseen (neighbours rule 7), or None.
    unseen: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "capacity": self.capacity, "max_queued": self.max_queued,
                "full_fraction": self.full_fraction, "empty_fraction": self.empty_fraction,
                "processes": self.processes}


class BufferWatch:
    """Accumulates one kernel buffer's readings (rules 2 and 3)."""

    def __init__(self, end: KernelEnd) -> None:
        self.end = end
        self.capacity = end.capacity()
        self.queued: int | None = None  # the latest reading
        self.max_queued = 0
        self.samples = 0
        self.full_s = 0.0
        self.empty_s = 0.0
        self.seen_s = 0.0
        self._last_t: float | None = None
        self._last_full = False
        self._last_empty = False

    @property
    def judges_full(self) -> bool:
        return self.end.is_pipe_like and not self.end.packet_mode

    def observe(self, t: float) -> int | None:
        queued = self.end.queued()
        self.queued = queued
        if queued is None:
            self._last_t = None  # an unreadable moment counts for nothing
            return None
        self.samples += 1
        if self.samples % CAPACITY_EVERY == 0:
            self.capacity = self.end.capacity() or self.capacity
        if queued > self.max_queued:
            self.max_queued = queued
        full = self.capacity is not None and is_full(queued, self.capacity)
        empty = queued == 0
        if self._last_t is not None:
            half = (t - self._last_t) / 2
            self.full_s += half * (self._last_full + full)
            self.empty_s += half * (self._last_empty + empty)
            self.seen_s += 2 * half
        self._last_t, self._last_full, self._last_empty = t, full, empty
        return queued

    @property
    def full_fraction(self) -> float | None:
        if not self.judges_full or self.seen_s <= 0:
            return None
        return min(self.full_s / self.seen_s, 1.0)

    @property
    def empty_fraction(self) -> float | None:
        if self.seen_s <= 0:
            return None
        return min(self.empty_s / self.seen_s, 1.0)

    def report(self, side: EndNeighbours | None, hidden_pids: int,
               unseen: str | None = None) -> BufferReport:
        culprit = side.culprit() if side is not None else None
        return BufferReport(
            role=self.end.role, kind=self.end.kind, capacity=self.capacity,
            max_queued=self.max_queued,
            full_fraction=_rounded(self.full_fraction),
            empty_fraction=_rounded(self.empty_fraction),
            samples=self.samples, packet_mode=self.end.packet_mode,
            processes=side.processes() if side is not None else [],
            culprit_command=culprit.command if culprit is not None else None,
            culprit_pid=culprit.pid if culprit is not None else None,
            hidden_pids=hidden_pids, unseen=unseen)


def _rounded(fraction: float | None) -> float | None:
    return None if fraction is None else round(fraction, 4)


class KernelSampler:
    """Samples the kernel buffers at both ends, and their neighbours, on a thread.

    Between start() and stop(), others may read the latest readings: `upstream_queued`,
    `downstream_queued`, `upstream_capacity`, `downstream_capacity`, and
    `names(role)` for the processes at an end. After stop(), `report(role)`.
    """

    def __init__(self, upstream: KernelEnd | None, downstream: KernelEnd | None, *,
                 started_at: float | None = None, interval: float = SAMPLE_INTERVAL_S,
                 keep_records: bool = False, parent_pid: int | None = None) -> None:
        self.ends = {end.role: end for end in (upstream, downstream) if end is not None}
        self.watches = {role: BufferWatch(end) for role, end in self.ends.items()}
        self.neighbours = Neighbours(self.ends.values(), parent_pid=parent_pid)
        self.interval = interval
        self.started_at = perf_counter() if started_at is None else started_at
        self.records: deque[tuple[float, int | None, int | None]] | None = (
            deque(maxlen=MAX_WAITING_RECORDS) if keep_records else None)
        self.longest_gap_s = 0.0  # the widest interval between two samples
        self.thread_cpu_s = 0.0  # CPU time the sampling thread used (for benchmarks)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_sample_t: float | None = None
        self._stopped = False

    # -- the latest readings, for a live view -------------------------------------------

    @property
    def upstream_queued(self) -> int | None:
        watch = self.watches.get("upstream")
        return watch.queued if watch is not None else None

    @property
    def downstream_queued(self) -> int | None:
        watch = self.watches.get("downstream")
        return watch.queued if watch is not None else None

    @property
    def upstream_capacity(self) -> int | None:
        watch = self.watches.get("upstream")
        return watch.capacity if watch is not None else None

    @property
    def downstream_capacity(self) -> int | None:
        watch = self.watches.get("downstream")
        return watch.capacity if watch is not None else None

    def names(self, role: str) -> list[tuple[str, int]]:
        """(command, pid) of each process seen at that end so far, by pid."""
        end = self.ends.get(role)
        side = self.neighbours.side(end) if end is not None else None
        if side is None:
            return []
        return [(side.by_pid[pid].command, pid) for pid in sorted(side.by_pid)]

    @property
    def samples(self) -> int:
        return min((watch.samples for watch in self.watches.values()), default=0)

    # -- running --------------------------------------------------------------------------

    def start(self, started_at: float | None = None) -> None:
        """Take the first sample now (two ioctls), then sample on a thread. Times count
        from `started_at` (a perf_counter() reading) when given."""
        if started_at is not None:
            self.started_at = started_at
        self._sample(perf_counter())
        self._thread = threading.Thread(target=self._run, name="bpcopy-kernel-sampler",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and take the last sample (idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._sample(perf_counter())
        self.neighbours.close()
        for end in self.ends.values():
            end.close()

    def write_records(self, trace: Any, until: float = float("inf")) -> None:
        """Hand the kernel records taken up to `until` (seconds on the copy's clock) to a
        trace writer, on the loop's thread: the trace file has one writer."""
        records = self.records
        while records and records[0][0] <= until:
            t, upstream, downstream = records.popleft()
            trace.kernel(t, upstream, downstream)

    def json_fields(self) -> dict[str, Any]:
        """The summary's `upstream` and `downstream` objects (None for an end not watched)."""
        fields: dict[str, Any] = {}
        for role in ("upstream", "downstream"):
            report = self.report(role)
            fields[role] = report.as_json() if report is not None else None
        return fields

    def report(self, role: str) -> BufferReport | None:
        watch = self.watches.get(role)
        if watch is None:
            return None
        neighbours = self.neighbours
        return watch.report(neighbours.side(watch.end), neighbours.hidden_pids,
                            neighbours.unseen)

    def _run(self) -> None:
        stop, interval = self._stop, self.interval
        self.neighbours.scan(stop.is_set)
        rescan_after = FIRST_RESCAN_S
        next_scan = perf_counter() + rescan_after
        due = perf_counter() + interval
        while not stop.wait(max(due - perf_counter(), 0.0)):
            now = perf_counter()
            self._sample(now)
            if now >= next_scan:
                self.neighbours.scan(stop.is_set)
                rescan_after = min(rescan_after * 2, LONGEST_RESCAN_S)
                next_scan = now + rescan_after
            due += interval
            if due < now:  # woken very late: keep the rhythm from here on
                due = now + interval
        self.thread_cpu_s = thread_time()

    def _sample(self, now: float) -> None:
        t = now - self.started_at
        upstream = downstream = None
        for role, watch in self.watches.items():
            if role == "upstream":
                upstream = watch.observe(t)
            else:
                downstream = watch.observe(t)
        self.neighbours.sample()
        if self._last_sample_t is not None and t - self._last_sample_t > self.longest_gap_s:
            self.longest_gap_s = t - self._last_sample_t
        self._last_sample_t = t
        if self.records is not None:
            # Stamped when it joins the queue, after its readings (which take a while on
            # a busy machine), so that no record the loop writes later is older.
            self.records.append((perf_counter() - self.started_at, upstream, downstream))
