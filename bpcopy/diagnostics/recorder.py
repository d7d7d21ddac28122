"""The recorder: listens to a copy's two streams and keeps its numbers.

It subscribes to the source's 'data', 'pause', 'resume', 'end' and 'error' and the
destination's 'drain', 'finish' and 'error', after the strategy has attached its own
listeners, so a chunk is recorded once the strategy has handled it (after write() and
any pause()). It reads buffer lengths from the streams' own properties and computes
none itself. It never calls a stream method that changes anything.

Theory of operation: counters are plain attributes, updated per event; the per-chunk
path does a few additions and comparisons, and formats a trace record only when a trace
writer is attached. A timer on the loop samples the buffers into a Timeline, bounded and
evenly spaced, for charts, whatever the length of the copy; in a pipeline each sample also
carries the kernel sampler's latest readings of the pipes at each end.
"""

from __future__ import annotations

import asyncio
from time import perf_counter
from typing import Any, NamedTuple

from bpcopy.diagnostics.memory import RssReader
from bpcopy.diagnostics.summary import describe

# A trace writer is a bpcopy.render.trace.TraceRecords: chunk(...), pause(t, pauses),
# resume(t, resumes), drain(t, drains, writable_length, readable_length) and
# event(name, t, fields) for the rest.
# (Not a typing.Protocol: building one costs start-up time that a 1 KiB copy notices.)


# How long a trace record may reuse an RSS reading.
RSS_REUSE_S = 0.001


class Sample(NamedTuple):
    """The buffers, memory and counts at one moment of a copy (a point on its timeline)."""

    t: float  # seconds since the copy started
    readable_length: int
    writable_length: int
    rss: int
    drains: int  # so far
    pauses: int  # so far
    # In a pipeline, the bytes queued in the kernel's buffer at each end, as the kernel
    # sampler last read them (None: that end is not watched, or had no reading yet).
    upstream_queued: int | None = None
    downstream_queued: int | None = None


class Timeline:
    """Samples taken by a timer, every `interval` seconds.

    At most `limit` samples are kept: when full, every other one is dropped and the
    spacing doubles, so memory stays flat for copies of any length.
    """

    def __init__(self, interval: float = 0.005, limit: int = 2000) -> None:
        self.interval = interval
        self.limit = limit
        self.samples: list[Sample] = []

    def add(self, sample: Sample) -> None:
        self.samples.append(sample)
        if len(self.samples) >= self.limit:
            self.samples = self.samples[::2]
            self.interval *= 2


class Recorder:
    """Counts, maxima and timings of one copy, gathered from stream events."""

    def __init__(self, source: Any, dest: Any, *, trace: Any = None,
                 rss: RssReader | None = None) -> None:
        self.source = source
        self.dest = dest
        self.trace = trace
        self.rss = rss or RssReader()
        self.timeline = Timeline()
        self.bytes = 0
        self.chunks = 0
        self.pauses = 0
        self.resumes = 0
        self.drains = 0
        self.max_readable_length = 0
        self.max_writable_length = 0
        self.max_buffered = 0
        self.max_rss = 0
        self.paused_s = 0.0
        self.started = False
        self.started_at = 0.0
        self.finished_at: float | None = None
        self.error_recorded: str | None = None
        self._paused_since: float | None = None
        self._next_sample: asyncio.TimerHandle | None = None
        self._rss = 0
        self._rss_fresh_until = 0.0
        # In a pipeline, the kernel sampler (diagnostics.sampler), set by the copy: its
        # records join the trace here, on the loop's thread, before each of the streams'
        # records, so the trace stays in time order.
        self.kernel: Any = None

    # -- wiring -------------------------------------------------------------------------

    def start(self) -> None:
        """Attach the listeners and start the clock (just before the first read)."""
        source, dest = self.source, self.dest
        source.on("data", self._on_chunk)
        source.on("pause", self._on_pause)
        source.on("resume", self._on_resume)
        source.on("end", self._on_end)
        source.on("error", self._on_error)
        dest.on("drain", self._on_drain)
        dest.on("finish", self._on_finish)
        dest.on("error", self._on_error)
        self.started_at = perf_counter()
        self.started = True
        self._sample(0.0)
        self._loop = asyncio.get_running_loop()
        self._next_sample = self._loop.call_later(self.timeline.interval, self._sample_now)

    def now(self) -> float:
        """Seconds since the copy started."""
        return perf_counter() - self.started_at

    @property
    def elapsed_s(self) -> float:
        end = self.finished_at if self.finished_at is not None else self.now()
        return max(end, 0.0)

    @property
    def paused_total_s(self) -> float:
        """Time the source spent paused, up to the end of the copy."""
        total = self.paused_s
        if self._paused_since is not None:
            total += max(self.elapsed_s - self._paused_since, 0.0)
        return total

    # -- listeners ----------------------------------------------------------------------

    def _on_chunk(self, chunk: Any) -> None:
        self.chunks += 1
        size = len(chunk)
        self.bytes += size
        readable_length = self.source.readable_length
        writable_length = self.dest.writable_length
        if readable_length > self.max_readable_length:
            self.max_readable_length = readable_length
        if writable_length > self.max_writable_length:
            self.max_writable_length = writable_length
        self._note_buffered(readable_length + writable_length)
        if self.trace is not None:
            t = perf_counter() - self.started_at
            if self.kernel is not None and self.kernel.records:
                self.kernel.write_records(self.trace, t)
            if t >= self._rss_fresh_until:
                # Reading /proc costs a system call; RSS moves slowly, so a reading is
                # reused for up to RSS_REUSE_S (the kernel's peak is read at the end).
                self._rss = self.rss.current()
                self._rss_fresh_until = t + RSS_REUSE_S
                if self._rss > self.max_rss:
                    self.max_rss = self._rss
            self.trace.chunk(t, self.chunks, size, self.dest.last_write_ok, readable_length,
                             writable_length, self.dest.writable_need_drain,
                             self.source.is_paused(), self.drains, self.pauses, self._rss)

    def _sample_now(self) -> None:
        # A timer, not the chunks, paces the timeline: it also sees the buffers between
        # chunks (a paused reader's read-ahead, a writable draining after the last read).
        t = self.now()
        self.write_kernel_records(t)
        self._sample(t)
        self._next_sample = self._loop.call_later(self.timeline.interval, self._sample_now)

    def _sample(self, t: float) -> None:
        rss = self.rss.current()
        if rss > self.max_rss:
            self.max_rss = rss
        readable_length = self.source.readable_length
        writable_length = self.dest.writable_length
        self._note_buffered(readable_length + writable_length)
        kernel = self.kernel
        if kernel is None:
            self.timeline.add(Sample(t, readable_length, writable_length, rss, self.drains,
                                     self.pauses))
            return
        # The sampler's latest readings, taken on its own thread at most one interval ago:
        # reading them costs two attribute lookups, and nothing per chunk.
        self.timeline.add(Sample(t, readable_length, writable_length, rss, self.drains,
                                 self.pauses, kernel.upstream_queued, kernel.downstream_queued))

    def _note_buffered(self, buffered: int) -> None:
        """Keep the most bytes held in both buffers at once (--assert-max-buffered).

        Three moments feed it, for their peaks differ: a chunk (after the strategy has
        written it), 'drain' (when a paused reader's read-ahead is fullest) and the timer
        (which sees the buffers between chunks).
        """
        if buffered > self.max_buffered:
            self.max_buffered = buffered

    # The pause, resume and drain listeners run once per chunk each: they build a trace
    # record only when someone is tracing.

    def _on_pause(self) -> None:
        self.pauses += 1
        t = perf_counter() - self.started_at
        if self._paused_since is None:
            self._paused_since = t
        if self.trace is not None:
            self.write_kernel_records(t)
            self.trace.pause(t, self.pauses)

    def _on_resume(self) -> None:
        self.resumes += 1
        t = perf_counter() - self.started_at
        if self._paused_since is not None:
            self.paused_s += t - self._paused_since
            self._paused_since = None
        if self.trace is not None:
            self.write_kernel_records(t)
            self.trace.resume(t, self.resumes)

    def _on_drain(self) -> None:
        self.drains += 1
        readable_length = self.source.readable_length
        # While the writer drains, the paused reader reads ahead: this is when the
        # readable's buffer is fullest, so the maxima look here as well as at chunks.
        if readable_length > self.max_readable_length:
            self.max_readable_length = readable_length
        self._note_buffered(readable_length + self.dest.writable_length)
        if self.trace is not None:
            t = self.now()
            self.write_kernel_records(t)
            self.trace.drain(t, self.drains, self.dest.writable_length, readable_length)

    def _on_end(self) -> None:
        self._event("end", self.now(), {"bytes": self.bytes})

    def _on_finish(self) -> None:
        self.finish_clock()
        self._event("finish", self.finished_at or 0.0, {"bytes": self.bytes})

    def _on_error(self, error: BaseException) -> None:
        self.record_error(describe(error))

    def record_error(self, message: str) -> None:
        """An error record in the trace, unless the last one said the same (a stream's
        error is also the copy's)."""
        if message != self.error_recorded:
            self.error_recorded = message
            self._event("error", self.now(), {"message": message})

    def write_kernel_records(self, until: float = float("inf")) -> None:
        """Trace the kernel sampler's records taken up to `until` (the time of the record
        about to be written, which they must precede)."""
        if self.trace is not None and self.kernel is not None and self.kernel.records:
            self.kernel.write_records(self.trace, until)

    def finish_clock(self) -> None:
        """Stop the clock (at 'finish', or when a copy is abandoned)."""
        if self._next_sample is not None:
            self._next_sample.cancel()
            self._next_sample = None
        if self.finished_at is None:
            self.finished_at = self.now()
            if self._paused_since is not None:
                self.paused_s += self.finished_at - self._paused_since
                self._paused_since = None
            self._sample(self.finished_at)

    def _event(self, name: str, t: float, fields: dict[str, Any]) -> None:
        if self.trace is not None:
            self.write_kernel_records(t)
            self.trace.event(name, t, fields)
