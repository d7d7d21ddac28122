"""One copy, start to finish: open the ends, join the streams, watch, settle, commit.

This is where the pieces meet. A copy goes through two phases, each its own object:
1. `open_ends(options)` opens the source and the destination (a FIFO waits for its other
   end here) and returns them as `Ends`;
2. `Copy(options, ends, signals)` builds the two streams over them, with any simulated
   slowness and injected faults, and the recorder that watches them; `await copy.run()`
   then
   a. joins the streams with the chosen strategy and attaches the hasher (for --verify)
      and the recorder, so the recorder sees each chunk after the strategy has handled it;
   b. waits for the destination's 'finish', or the first error, or a terminating signal;
   c. lets the loop settle (pipe()'s own 'finish' listener unpipes and pauses), stops the
      clock, checks the source gave all it promised, verifies;
   d. commits the destination, or discards it, and builds the summary.
`run_copy(options)` performs both phases under one window of terminating signals
(bpcopy.signals), and gives a copy that failed before it ran its summary too.

It decides no stream numbers (bpcopy.streams does) and prints nothing (the CLI does).
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

from bpcopy.diagnostics.memory import RssReader, peak_rss
from bpcopy.diagnostics.pipeline import PipelineUnwatchable, watch_pipeline
from bpcopy.diagnostics.recorder import Recorder
from bpcopy.diagnostics.summary import build_summary, describe
from bpcopy.endpoints import faults
from bpcopy.endpoints.fd import FdReadable, FdWritable, HoleWriter
from bpcopy.endpoints.pacing import Pacer
from bpcopy.endpoints.places import (
    CopyError,
    Destination,
    Source,
    cannot_open,
    open_destination,
    open_source,
    out_of_descriptors,
    refuse_same_fifo,
    require_descriptors,
    resolve_destination_path,
    wants_holes,
)
from bpcopy.names import quote
from bpcopy.pump import BufferLimitExceeded, connect
from bpcopy.signals import EndingSignals, Interrupted
from bpcopy.streams.marks import DEFAULT_HIGH_WATER_MARK
from bpcopy.units import counted

# Exit statuses (documented in the README); a signal's is Interrupted.exit_status.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_GUARD = 3
EXIT_SIGPIPE = 128 + signal.SIGPIPE


# CopyOptions and CopyOutcome are NamedTuples rather than dataclasses: as typed, and a
# dataclass compiles generated methods at import, a cost every run of bpcopy would pay.
class CopyOptions(NamedTuple):
    source: str
    dest: str
    read_hwm: int = DEFAULT_HIGH_WATER_MARK
    write_hwm: int = DEFAULT_HIGH_WATER_MARK
    mode: str = "pump"
    max_buffer: int = 256 * 1024 * 1024
    sink_delay: float = 0.0
    sink_rate: float | None = None
    sink_jitter: float = 0.0
    source_delay: float = 0.0
    source_rate: float | None = None
    seed: int | None = None
    sink_fail_after: int | None = None
    sink_short_writes: bool = False
    fsync: bool = False
    no_clobber: bool = False
    force: bool = False
    verify: bool = False
    sparse: str = "auto"  # auto | always | never, as cp's --sparse
    trace: Any = None  # a trace writer (bpcopy.render.trace), or None
    measure_rss: bool = True  # RSS at start and end, for the summary
    settle_ticks: int = 3
    pipe_size: int | None = None  # --pipe-size: F_SETPIPE_SZ on every pipe or FIFO end

    @property
    def simulates_slow_ends(self) -> bool:
        return bool(self.sink_delay or self.sink_rate or self.sink_jitter
                    or self.source_delay or self.source_rate)


class SourceShrank(Exception):
    pass


class VerifyMismatch(Exception):
    pass


class CopyOutcome(NamedTuple):
    summary: dict[str, Any]
    error: BaseException | None
    exit_code: int
    recorder: Recorder | None = None


class Ends(NamedTuple):
    """Both ends of a copy, opened."""

    source: Source
    destination: Destination

    def abandon(self) -> None:
        """Leave the destination as it was, and close the source."""
        self.destination.discard()
        self.source.close()


def open_ends(options: CopyOptions) -> Ends:
    """Open the source, then the destination (either may block on a FIFO).

    Raises CopyError for a refused or unopenable end, having closed what it opened.
    """
    dest_path = resolve_destination_path(options.source, options.dest)
    refuse_same_fifo(options.source, dest_path)
    source = open_source(options.source)
    try:
        destination = open_destination(source, dest_path, no_clobber=options.no_clobber,
                                       force=options.force, fsync=options.fsync)
    except BaseException:
        source.close()
        raise
    ends = Ends(source, destination)
    if options.pipe_size is not None:
        try:
            _set_pipe_sizes(ends, options.pipe_size)
        except BaseException:
            ends.abandon()
            raise
    return ends


def _set_pipe_sizes(ends: Ends, size: int) -> None:
    """--pipe-size, before any byte moves: a refusal is one line, exit 1 (exit 2 when
    neither end is a pipe or FIFO, which the CLI checks before opening anything)."""
    from bpcopy.diagnostics.kernel import NoPipeToSize, PipeSizeRefused, set_pipe_sizes

    try:
        set_pipe_sizes([(ends.source.fd, ends.source.name),
                        (ends.destination.fd, ends.destination.name)], size)
    except PipeSizeRefused as refused:
        raise CopyError(str(refused)) from None
    except NoPipeToSize as missing:
        raise CopyError(str(missing), exit_code=2) from None


class Copy:
    """A copy between opened ends: `await run()` performs it, once.

    The streams and the recorder exist from the start, so others (the live view) may
    watch `recorder` meanwhile; it says when it has `started`.
    """

    def __init__(self, options: CopyOptions, ends: Ends, *, signals: EndingSignals,
                 rss: RssReader, start_rss: int = 0) -> None:
        self.options = options
        self.source, self.destination = ends
        self.signals = signals
        self.rss = rss
        self.start_rss = start_rss
        self.readable, self.writable = _build_streams(options, ends)
        self.recorder = Recorder(self.readable, self.writable, trace=options.trace, rss=rss)
        self.sampler: Any = None  # in a pipeline, the kernel sampler (diagnostics.sampler)
        self.verification = Verification(self.destination) if options.verify else None

    async def run(self) -> CopyOutcome:
        """Stream, settle, check, then commit or discard. The first error decides."""
        loop = asyncio.get_running_loop()
        self._done: asyncio.Future[None] = loop.create_future()
        # Signals stay with the copy until the destination is committed or discarded, so
        # an interrupt while verifying or syncing still removes the temporary file.
        with self.signals.delivered_to(loop, self._end):
            with listener_errors_end_copy(loop, self._end):
                error = await self._stream()
            await self._settle()
            error = error or self._source_shortfall()
            if error is None and self.verification is not None:
                error = self.verification.compare()
                await asyncio.sleep(0)  # a signal that came while hashing is handled here
            error = error or self.signals.caught
            return self._conclude(error)

    def summary_so_far(self) -> dict[str, Any]:
        """The summary as it stands while the copy runs (for SIGUSR1), counts to now."""
        rss = self.rss.current() if self.options.measure_rss else 0
        return build_summary(
            self.recorder, mode=self.options.mode,
            marks=(self.readable.readable_high_water_mark,
                   self.writable.writable_high_water_mark),
            start_rss=self.start_rss, peak_rss=rss, error=None,
            extra={"source": self.source.name, "destination": self.destination.name})

    def abandon(self) -> None:
        """Undo everything, for a copy whose run() never got under way."""
        for stream in (self.readable, self.writable):
            stream.release()
        Ends(self.source, self.destination).abandon()

    # -- the steps of run() -------------------------------------------------------------

    async def _stream(self) -> BaseException | None:
        """Join the streams, start the clock, and wait for 'finish' or the first error."""
        readable, writable = self.readable, self.writable
        readable.on("error", self._end)
        writable.on("error", self._end)
        writable.on("finish", self._finished)
        connect(self.options.mode, readable, writable, self.options.max_buffer)
        if self.verification is not None:
            readable.on("data", self.verification.read_digest.update)
        unwatchable = self._watch_pipeline()
        if unwatchable is not None:
            self._end(unwatchable)  # before the first read: nothing has moved
        try:
            await self._done
        except BaseException as raised:  # every failure ends up in the summary
            return raised
        return None

    def _watch_pipeline(self) -> PipelineUnwatchable | None:
        """Start the clock; in a pipeline, sample the kernel's buffers at each end and the
        programs there, on the same clock, from before the first read. The sampler is
        built before the clock starts, so its set-up is not counted as the copy's time.
        Returns why the pipeline cannot be watched (out of descriptors), if it cannot."""
        try:
            sampler = watch_pipeline(self.source.fd, self.destination.fd,
                                     keep_records=self.options.trace is not None)
        except PipelineUnwatchable as unwatchable:
            self.recorder.start()
            return unwatchable
        self.recorder.start()
        if sampler is not None:
            self.recorder.kernel = self.sampler = sampler
            sampler.start(started_at=self.recorder.started_at)
        return None

    def _stop_watching_pipeline(self) -> None:
        if self.sampler is not None:
            self.sampler.stop()  # its last sample, at the end
            self.recorder.write_kernel_records()

    def _end(self, error: BaseException) -> None:
        """End the copy with `error` (a stream's, a listener's, or a signal's)."""
        if not self._done.done():
            self._done.set_exception(error)
        self.readable.destroy()
        self.writable.destroy()

    def _finished(self) -> None:
        if not self._done.done():
            self._done.set_result(None)

    async def _settle(self) -> None:
        for _ in range(self.options.settle_ticks):
            await asyncio.sleep(0)
        self.recorder.finish_clock()
        self._stop_watching_pipeline()

    def _source_shortfall(self) -> BaseException | None:
        source, bytes_read = self.source, self.recorder.bytes
        if source.is_regular and source.size is not None and bytes_read < source.size:
            return SourceShrank(
                f"source {quote(source.name)} shrank during the copy: read {bytes_read} of "
                f"{counted(source.size, 'byte')}; the destination was left untouched")
        return None

    def _conclude(self, error: BaseException | None) -> CopyOutcome:
        self._stop_watching_pipeline()  # already stopped, unless settling failed
        if error is None:
            try:
                self.destination.commit()
            except CopyError as commit_error:
                error = commit_error
        else:
            self.destination.discard()
        if error is not None:  # the trace ends with the summary's words for it
            try:
                self.recorder.record_error(describe(error))
            except OSError:
                pass  # the trace's own reader or disk may be what failed the copy
        self.source.close()
        measure_rss = self.options.measure_rss
        end_rss = max(self.rss.current(), peak_rss()) if measure_rss else 0
        extra = {"source": self.source.name, "destination": self.destination.name}
        if self.verification is not None:
            extra.update(self.verification.fields)
        summary = build_summary(
            self.recorder, mode=self.options.mode,
            marks=(self.readable.readable_high_water_mark,
                   self.writable.writable_high_water_mark),
            start_rss=self.start_rss, peak_rss=end_rss,
            error=None if error is None else describe(error), extra=extra,
            sink_fell_behind=isinstance(error, BufferLimitExceeded))
        return CopyOutcome(summary, error, exit_code_for(error), self.recorder)


def _build_streams(options: CopyOptions, ends: Ends) -> tuple[FdReadable, FdWritable]:
    """The two streams over the ends, with simulated slowness and faults as asked."""
    holes = HoleWriter() if wants_holes(ends.source, ends.destination,
                                        options.sparse) else None
    device_write: Any = holes or os.write
    if options.sink_short_writes:
        device_write = faults.short_writes(device_write, options.seed)
    if options.sink_fail_after is not None:
        device_write = faults.fail_after(device_write, options.sink_fail_after)
    readable = FdReadable(
        ends.source.fd, ends.source.name, options.read_hwm, close=False,
        skip_holes=ends.source.has_holes,  # its holes are zeros: no need to read them
        pacer=Pacer(options.source_delay, options.source_rate, 0.0, options.seed))
    writable = FdWritable(
        ends.destination.fd, ends.destination.name, options.write_hwm, close=False,
        device_write=device_write, holes=holes,
        pacer=Pacer(options.sink_delay, options.sink_rate, options.sink_jitter, options.seed))
    return readable, writable


@contextmanager
def listener_errors_end_copy(loop: asyncio.AbstractEventLoop,
                             end: Callable[[BaseException], None]) -> Iterator[None]:
    """A listener that raises (a trace writer whose disk filled up, say) would leave the
    copy half-done; as in Node, where it would end the process, it ends the copy."""
    previous_handler = loop.get_exception_handler()
    loop.set_exception_handler(lambda _, context: end(
        context.get("exception") or RuntimeError(context.get("message", "failed"))))
    try:
        yield
    finally:
        loop.set_exception_handler(previous_handler)


class Verification:
    """--verify: hash the bytes as they are read, then re-read the destination and compare.

    `fields` are what the summary gains: sha256, dest_sha256 and how it was verified.
    """

    def __init__(self, destination: Destination) -> None:
        import hashlib

        self._sha256 = hashlib.sha256
        self.destination = destination
        self.read_digest = hashlib.sha256()
        self.fields: dict[str, str] = {}

    def compare(self) -> BaseException | None:
        """Call before the destination is committed, while its temporary file exists."""
        read_digest = self.read_digest.hexdigest()
        self.fields["sha256"] = read_digest
        path = self.destination.temp_path
        if path is None:
            self.fields["verified"] = "source only: the destination cannot be read back"
            return None
        written = self._sha256()
        with open(path, "rb") as copy:
            for block in iter(lambda: copy.read(1 << 20), b""):
                written.update(block)
        self.fields["dest_sha256"] = written.hexdigest()
        if written.hexdigest() != read_digest:
            return VerifyMismatch(
                f"verification failed: {quote(self.destination.name)} would have sha256 "
                f"{written.hexdigest()} but the bytes read have {read_digest}; "
                "the destination was left untouched")
        self.fields["verified"] = "destination re-read and matched"
        return None


def outcome_before_start(options: CopyOptions, error: BaseException,
                         start_rss: int) -> CopyOutcome:
    """A copy that failed before its streams ran: every summary field, zero where
    nothing was measured, so --json keeps its shape."""
    summary = build_summary(None, mode=options.mode, marks=(options.read_hwm, options.write_hwm),
                            start_rss=start_rss, peak_rss=start_rss, error=describe(error),
                            extra={"source": options.source, "destination": options.dest})
    return CopyOutcome(summary, error, exit_code_for(error))


def exit_code_for(error: BaseException | None) -> int:
    if error is None:
        return EXIT_OK
    if isinstance(error, Interrupted):
        return error.exit_status
    if isinstance(error, BrokenPipeError):
        return EXIT_SIGPIPE
    if isinstance(error, CopyError):
        return error.exit_code
    return EXIT_FAILED


def run_copy(options: CopyOptions,
             run_on_loop: Callable[[Copy], CopyOutcome] | None = None) -> CopyOutcome:
    """Every phase of a copy, within one window of terminating signals.

    `run_on_loop(copy)` runs `copy.run()` on an event loop and returns its outcome (the
    CLI's adds the live view); by default, a fresh asyncio loop. A copy that fails or is
    interrupted before it runs still gets its summary.
    """
    rss = RssReader()
    start_rss = rss.current() if options.measure_rss else 0
    with EndingSignals() as signals:
        try:
            ends = open_ends(options)
        except (CopyError, Interrupted) as error:
            return outcome_before_start(options, error, start_rss)
        copy = None
        try:
            copy = Copy(options, ends, signals=signals, rss=rss, start_rss=start_rss)
            # Under a small ulimit -n, say so now rather than from a half-built loop.
            require_descriptors(3, "the event loop (epoll and its wake-up socket pair)")
            if run_on_loop is None:
                return asyncio.run(copy.run())
            return run_on_loop(copy)
        except (Interrupted, CopyError, OSError) as error:
            # Interrupted: before run() had the signals delivered to it. CopyError and
            # OSError: out of descriptors (ulimit -n); one line, and clean up.
            if isinstance(error, OSError):
                if not out_of_descriptors(error):
                    raise
                error = cannot_open(error)
            if copy is None:
                ends.abandon()
            else:
                copy.abandon()
            return outcome_before_start(options, error, start_rss)
