"""One copy, start to finish: open the ends, join the streams, watch, settle, commit.

This is where the pieces meet. The order of a run:
1. open the source and the destination (a FIFO waits for its other end here);
2. build the two streams over them, with any simulated slowness and injected faults;
3. join them with the chosen strategy, then attach the recorder (and the hasher for
   --verify), so the recorder sees each chunk after the strategy has handled it;
4. wait for the destination's 'finish', or the first error, or SIGINT/SIGTERM;
5. let the loop settle (pipe()'s own 'finish' listener unpipes and pauses), then stop
   the clock's bookkeeping, verify, and commit the destination, or discard it.

It decides no stream numbers (bpcopy.streams does) and prints nothing (the CLI does).
"""

from __future__ import annotations

import asyncio
import os
import signal
from dataclasses import dataclass, field
from typing import Any

from bpcopy.diagnostics.memory import RssReader, peak_rss
from bpcopy.diagnostics.recorder import Recorder
from bpcopy.diagnostics.summary import build_summary
from bpcopy.endpoints import faults
from bpcopy.endpoints.fd import FdReadable, FdWritable, HoleWriter
from bpcopy.endpoints.pacing import Pacer
from bpcopy.endpoints.places import (
    CopyError,
    Destination,
    Source,
    open_destination,
    open_source,
    refuse_same_fifo,
    resolve_destination_path,
    wants_holes,
)
from bpcopy.pump import BufferLimitExceeded, connect

# Exit statuses (documented in the README).
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_GUARD = 3
EXIT_SIGPIPE = 128 + signal.SIGPIPE
SIGNAL_EXITS = {signal.SIGINT: 128 + signal.SIGINT, signal.SIGTERM: 128 + signal.SIGTERM}


@dataclass
class CopyOptions:
    source: str
    dest: str
    read_hwm: int = 65536
    write_hwm: int = 65536
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

    @property
    def simulates_slow_ends(self) -> bool:
        return bool(self.sink_delay or self.sink_rate or self.sink_jitter
                    or self.source_delay or self.source_rate)


class Interrupted(Exception):
    def __init__(self, signum: int) -> None:
        super().__init__(f"interrupted by {signal.Signals(signum).name}")
        self.signum = signum


class SourceShrank(Exception):
    pass


class VerifyMismatch(Exception):
    pass


@dataclass
class CopyOutcome:
    summary: dict[str, Any]
    error: BaseException | None
    exit_code: int
    recorder: Recorder | None = None
    details: dict[str, Any] = field(default_factory=dict)


class Copy:
    """A prepared copy: `await run()` performs it. Others may watch `recorder` meanwhile."""

    def __init__(self, options: CopyOptions) -> None:
        self.options = options
        self.source: Source | None = None
        self.destination: Destination | None = None
        self.readable: FdReadable | None = None
        self.writable: FdWritable | None = None
        self.recorder: Recorder | None = None
        self.start_rss = 0
        self.rss = RssReader()
        self.total_bytes: int | None = None
        self.interrupted: Interrupted | None = None

    def open(self) -> None:
        """Open both ends (may block on a FIFO). Raises CopyError."""
        options = self.options
        if options.measure_rss:
            self.start_rss = self.rss.current()
        dest_path = resolve_destination_path(options.source, options.dest)
        refuse_same_fifo(options.source, dest_path)
        self.source = open_source(options.source)
        self.total_bytes = self.source.size
        try:
            self.destination = open_destination(self.source, dest_path,
                                                no_clobber=options.no_clobber,
                                                force=options.force,
                                                fsync=options.fsync)
        except BaseException:
            self.source.close()
            raise

    def abandon(self) -> None:
        """Undo what open() and run() set up, after an interrupt that bypassed run()."""
        for stream in (self.readable, self.writable):
            if stream is not None:
                stream.release()
        if self.destination is not None:
            self.destination.discard()
        if self.source is not None:
            self.source.close()

    def _build_streams(self) -> None:
        options = self.options
        assert self.source is not None and self.destination is not None
        holes = HoleWriter() if wants_holes(self.source, self.destination,
                                            options.sparse) else None
        device_write: Any = holes or os.write
        if options.sink_short_writes:
            device_write = faults.short_writes(device_write, options.seed)
        if options.sink_fail_after is not None:
            device_write = faults.fail_after(device_write, options.sink_fail_after)
        self.readable = FdReadable(
            self.source.fd, self.source.name, options.read_hwm, close=False,
            pacer=Pacer(options.source_delay, options.source_rate, 0.0, options.seed))
        self.writable = FdWritable(
            self.destination.fd, self.destination.name, options.write_hwm, close=False,
            device_write=device_write, holes=holes,
            pacer=Pacer(options.sink_delay, options.sink_rate, options.sink_jitter,
                        options.seed))

    async def run(self) -> CopyOutcome:
        if self.source is None:
            self.open()
        assert self.source is not None and self.destination is not None
        options = self.options
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._build_streams()
        readable, writable = self.readable, self.writable
        assert readable is not None and writable is not None

        def fail(error: BaseException) -> None:
            if not done.done():
                done.set_exception(error)
            readable.destroy()
            writable.destroy()

        def on_finish() -> None:
            if not done.done():
                done.set_result(None)

        readable.on("error", fail)
        writable.on("error", fail)
        writable.on("finish", on_finish)
        hasher = None
        if options.verify:
            import hashlib

            hasher = hashlib.sha256()
        connect(options.mode, readable, writable, options.max_buffer)
        self.recorder = recorder = Recorder(readable, writable, trace=options.trace,
                                            rss=self.rss)
        if hasher is not None:
            readable.on("data", hasher.update)
        handled = self._handle_signals(loop, fail)
        # A listener that raises (a trace writer whose disk filled up, say) would leave
        # the copy half-done; as in Node, where it would end the process, it ends the copy.
        previous_handler = loop.get_exception_handler()
        loop.set_exception_handler(lambda _, context: fail(
            context.get("exception") or RuntimeError(context.get("message", "failed"))))
        recorder.start()
        error: BaseException | None = None
        try:
            await done
        except BaseException as raised:  # every failure ends up in the summary
            error = raised
        finally:
            loop.set_exception_handler(previous_handler)
        # The signal handlers stay until the destination is committed or discarded, so
        # an interrupt while verifying or syncing still removes the temporary file.
        try:
            for _ in range(options.settle_ticks):
                await asyncio.sleep(0)
            recorder.finish_clock()
            if error is None:
                error = self._check_source_complete(recorder.bytes)
            details: dict[str, Any] = {}
            if error is None and hasher is not None:
                error = self._verify(hasher.hexdigest(), details)
                await asyncio.sleep(0)  # a signal that came while hashing is handled here
            if error is None and self.interrupted is not None:
                error = self.interrupted
            return self._conclude(error, details)
        finally:
            for signum in handled:
                loop.remove_signal_handler(signum)

    def _handle_signals(self, loop: asyncio.AbstractEventLoop, fail: Any) -> list[int]:
        def interrupt(signum: int) -> None:
            if self.interrupted is None:
                self.interrupted = Interrupted(signum)
            fail(self.interrupted)

        handled = []
        for signum in SIGNAL_EXITS:
            try:
                loop.add_signal_handler(signum, interrupt, signum)
                handled.append(signum)
            except (ValueError, RuntimeError, NotImplementedError):
                pass  # not the main thread: the caller handles signals
        return handled

    def _check_source_complete(self, bytes_read: int) -> BaseException | None:
        source = self.source
        assert source is not None
        if source.is_regular and source.size is not None and bytes_read < source.size:
            return SourceShrank(
                f"source '{source.name}' shrank during the copy: read {bytes_read} of "
                f"{source.size} bytes; the destination was left untouched")
        return None

    def _verify(self, read_digest: str, details: dict[str, Any]) -> BaseException | None:
        destination = self.destination
        assert destination is not None
        details["sha256"] = read_digest
        path = destination.temp_path
        if path is None:
            details["verified"] = "source only: the destination cannot be read back"
            return None
        import hashlib

        written = hashlib.sha256()
        with open(path, "rb") as copy:
            for block in iter(lambda: copy.read(1 << 20), b""):
                written.update(block)
        details["dest_sha256"] = written.hexdigest()
        if written.hexdigest() != read_digest:
            return VerifyMismatch(
                f"verification failed: '{destination.name}' would have sha256 "
                f"{written.hexdigest()} but the bytes read have {read_digest}; "
                "the destination was left untouched")
        details["verified"] = "destination re-read and matched"
        return None

    def _conclude(self, error: BaseException | None, details: dict[str, Any]) -> CopyOutcome:
        destination, source = self.destination, self.source
        assert destination is not None and source is not None
        if error is None:
            try:
                destination.commit()
            except CopyError as commit_error:
                error = commit_error
        else:
            destination.discard()
        source.close()
        end_rss = 0
        if self.options.measure_rss:
            end_rss = self.rss.current()
        recorder = self.recorder
        assert recorder is not None
        extra = {"source": source.name, "destination": destination.name, **details}
        summary = build_summary(recorder, self.readable, self.writable,
                                mode=self.options.mode, start_rss=self.start_rss,
                                peak_rss=max(end_rss, peak_rss() if self.options.measure_rss
                                             else 0),
                                error=None if error is None else describe(error), extra=extra,
                                sink_fell_behind=isinstance(error, BufferLimitExceeded))
        return CopyOutcome(summary, error, exit_code_for(error), recorder, details)


def failed_outcome(copy: Copy, error: BaseException, exit_code: int) -> CopyOutcome:
    """A copy that failed before its streams ran: every summary field, zero where
    nothing was measured, so --json keeps its shape."""
    copy.abandon()
    options = copy.options
    summary = {
        "bytes": 0, "chunks": 0, "elapsed_s": 0.0, "throughput_bps": 0.0, "pauses": 0,
        "resumes": 0, "drains": 0, "max_readable_length": 0, "max_writable_length": 0,
        "paused_s": 0.0, "start_rss": copy.start_rss, "peak_rss": copy.start_rss,
        "readable_high_water_mark": options.read_hwm,
        "writable_high_water_mark": options.write_hwm, "mode": options.mode,
        "verdict": "neither: the copy did not run", "ok": False, "error": describe(error),
        "max_buffered": 0, "bytes_written": 0, "source": options.source,
        "destination": options.dest,
    }
    return CopyOutcome(summary, error, exit_code)


def describe(error: BaseException) -> str:
    """One line for a person: the file, then the operating system's reason."""
    if isinstance(error, OSError) and error.filename is not None:
        reason = error.strerror or str(error)
        return f"'{error.filename}': {reason}"
    return str(error) or type(error).__name__


def exit_code_for(error: BaseException | None) -> int:
    if error is None:
        return EXIT_OK
    if isinstance(error, Interrupted):
        return SIGNAL_EXITS[error.signum]
    if isinstance(error, BrokenPipeError):
        return EXIT_SIGPIPE
    if isinstance(error, CopyError):
        return error.exit_code
    return EXIT_FAILED


def run_copy(options: CopyOptions) -> CopyOutcome:
    """Run a copy on a fresh event loop (for library use and tests)."""
    return asyncio.run(Copy(options).run())
