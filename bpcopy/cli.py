"""The command line: parse options, run one copy, report, and exit with a status.

Exit statuses: 0 success; 1 runtime or I/O error; 2 usage error; 3 a CI guard failed
(--assert-max-rss, --assert-max-buffered, --assert-upstream-max-rss,
--assert-downstream-max-rss; the copy itself is complete); death by signal N, 128+N in
the shell, for a terminating signal (after clean-up and a summary so far; see
bpcopy.signals); 141 when the reader of stdout went away (EPIPE), silently, as cat's
128+SIGPIPE.

It knows options and output: click's values become one CommandOptions (bpcopy.options),
once, and everything after reads that. --help's layout is bpcopy.cli_help's. The copy
itself is bpcopy.copy's, and its signals bpcopy.signals' (bpcopy.startup's while bpcopy
starts).
"""

from __future__ import annotations

import os
import sys
from typing import IO, Any

import click

from bpcopy import __version__
from bpcopy.cli_help import SectionedCommand
from bpcopy.names import quote
from bpcopy.options import CommandOptions
from bpcopy.pump import MODES
from bpcopy.render.ttys import is_dumb, selector_for, view_would_collide
from bpcopy.startup import guard_start_up
from bpcopy.units import DURATION, MARK, RATE, SIZE, SIZE_OR_ZERO, counted, format_size

EXIT_FAILED = 1


class DefaultMark:
    """--high-water-mark's default: the streams' own (bpcopy.streams.marks), read when click
    needs it (it calls this for the value, and str()s it for --help) rather than when this
    module loads, because bpcopy.streams brings asyncio in, which must come after
    skip_tls_support()."""

    def __call__(self) -> str:
        from bpcopy.streams.marks import DEFAULT_HIGH_WATER_MARK

        return f"{DEFAULT_HIGH_WATER_MARK // 1024}KiB"

    __str__ = __call__


@click.command(cls=SectionedCommand, context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("source", metavar="SRC")
@click.argument("dest", metavar="DST")
@click.option("-H", "--high-water-mark", "high_water_mark", type=MARK,
              default=DefaultMark(), show_default=True,
              help="Mark of both streams (bytes per read, buffer limit).")
@click.option("--read-hwm", type=MARK, help="Mark of the readable side only.")
@click.option("--write-hwm", type=MARK, help="Mark of the writable side only.")
@click.option("--mode", type=click.Choice(MODES), default=MODES[0],
              show_default=True,
              help="pump: pause/resume loop; pipe: Readable.pipe(); none: ignore write().")
@click.option("--max-buffer", type=SIZE, default="256MiB", show_default=True,
              help="With --mode none, stop once this much is buffered.")
@click.option("--sink-delay", type=DURATION, default="0", help="Latency added to each write.")
@click.option("--sink-rate", type=RATE, help="Cap on write throughput, e.g. 1MiB/s.")
@click.option("--sink-jitter", type=DURATION, default="0",
              help="Random extra latency per write (see --seed).")
@click.option("--source-delay", type=DURATION, default="0", help="Latency added to each read.")
@click.option("--source-rate", type=RATE, help="Cap on read throughput.")
@click.option("--seed", type=click.IntRange(min=0), metavar="N",
              help="Seed for --sink-jitter and --sink-short-writes (without it, one is "
                   "picked and shown in the summary as `seed`).")
@click.option("--sink-fail-after", type=SIZE_OR_ZERO,
              help="Inject a fault: the sink fails with EIO after this many bytes "
                   "(0: the first write fails).")
@click.option("--sink-short-writes", is_flag=True,
              help="Inject a fault: the sink accepts only part of each write.")
@click.option("--trace", is_flag=True, help="Print one record per event.")
@click.option("--trace-format", type=click.Choice(["table", "jsonl", "csv"]), default="table",
              show_default=True)
@click.option("--trace-file", type=click.Path(dir_okay=False, writable=True),
              help="Write the trace here instead of stderr.")
@click.option("-q", "--quiet", is_flag=True, help="No summary.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the summary as one JSON object on stderr, and nothing else.")
@click.option("--fsync", is_flag=True, help="Sync the destination (and its directory).")
@click.option("-n", "--no-clobber", is_flag=True, help="Refuse to overwrite an existing DST.")
@click.option("-f", "--force", is_flag=True,
              help="Replace an existing DST even if it is read-only to you.")
@click.option("--sparse", type=click.Choice(["auto", "always", "never"]), default="auto",
              show_default=True, help="Zero chunks become holes in DST: auto when SRC has "
              "holes, always, or never (as cp --sparse).")
@click.option("--verify", is_flag=True, help="Compare sha256 of the bytes read and written.")
@click.option("--assert-max-rss", type=SIZE, help="CI guard: exit 3 if peak RSS exceeds this.")
@click.option("--assert-max-buffered", type=SIZE,
              help="CI guard: exit 3 if readable+writable length ever exceeds this.")
@click.option("--pipe-size", type=SIZE,
              help="Set the kernel buffer of every pipe or FIFO end (F_SETPIPE_SZ).")
@click.option("--assert-upstream-max-rss", type=SIZE,
              help="CI guard: exit 3 if a program writing into SRC peaked above this RSS.")
@click.option("--assert-downstream-max-rss", type=SIZE,
              help="CI guard: exit 3 if a program reading DST peaked above this RSS.")
@click.option("--no-progress", is_flag=True, help="No live view on a terminal.")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto",
              show_default=True, help="Colour in the trace table and summary.")
@click.option("--report", type=click.Path(dir_okay=False),
              help="Write a self-contained HTML report (charts, summary, options).")
@click.option("--explain", is_flag=True,
              help="After the summary, tell the run in Node's words: why write() returned "
                   "false, why 'drain' came, what to change (also with -q; in --json as "
                   "'explanation'; a 'why' column in the trace table).")
@click.version_option(__version__, "-V", "--version", prog_name="bpcopy")
def command(**params: Any) -> None:
    """Copy SRC to DST through Node.js-style streams, and show the backpressure.

    SRC or DST may be - for stdin or stdout. If DST is a directory, the copy goes to
    DST/basename(SRC).
    """
    sys.exit(run(read_options(params)))


def read_options(params: dict[str, Any]) -> CommandOptions:
    """click's values, checked together and typed: the one conversion."""
    if params["as_json"] and params["trace"] and not params["trace_file"]:
        raise click.UsageError("--json keeps stderr for the summary alone: "
                               "send the trace elsewhere with --trace-file PATH")
    if params["pipe_size"] is not None and not any_end_is_a_pipe(params["source"],
                                                                 params["dest"]):
        raise click.BadParameter("neither SRC nor DST is a pipe or FIFO",
                                 param_hint="'--pipe-size'")
    return CommandOptions(**{**params, "trace": bool(params["trace"] or params["trace_file"]),
                             "seed": pick_seed(params)})


def pick_seed(params: dict[str, Any]) -> int | None:
    """--seed, or for a run that draws random numbers without one, a fresh seed, which
    the summary reports so that the run can be repeated."""
    if params["seed"] is not None or not (params["sink_jitter"] or params["sink_short_writes"]):
        return params["seed"]
    return int.from_bytes(os.urandom(4), "big")


def seed_in_use(options: CommandOptions) -> int | None:
    """The seed that drove this run's random numbers, if any did."""
    if options.sink_jitter or options.sink_short_writes:
        return options.seed
    return None


def any_end_is_a_pipe(source: str, dest: str) -> bool:
    """Whether SRC or DST is (or, for `-`, is connected to) a pipe or FIFO."""
    import stat

    from bpcopy.diagnostics.kernel import classify

    for path, fd in ((source, 0), (dest, 1)):
        if path == "-":
            if classify(fd) in ("pipe", "fifo"):
                return True
            continue
        try:
            if stat.S_ISFIFO(os.stat(path).st_mode):
                return True
        except OSError:
            continue
    return False


def parse_options(args: list[str]) -> CommandOptions:
    """The CommandOptions that `bpcopy ARGS...` would run with (for tests and tools)."""
    with command.make_context("bpcopy", list(args)) as context:
        return read_options(context.params)


def run(options: CommandOptions) -> int:
    refuse_overwriting_the_copy(options)
    for path, fd, name in ((options.source, 0, "stdin"), (options.dest, 1, "stdout")):
        if path == "-" and fd in CLOSED_AT_START:
            emit(f"bpcopy: error: cannot copy with '-': {name} is closed\n")
            return EXIT_FAILED
    color = wants_color(options.color, sys.stderr)
    trace_out, trace = open_trace(options, color)
    explainer = None
    if options.explain:
        from bpcopy.diagnostics.explain import Explainer, TraceTee

        # The explainer takes the trace writer's calls; beside a trace, both get them.
        explainer = Explainer(explained_setup(options))
        trace = explainer if trace is None else TraceTee(trace, explainer)
    try:
        outcome = copy_with_views(options, trace, color)
    finally:
        if trace_out is not None and trace_out is not sys.stderr:
            try:
                trace_out.close()
            except OSError as error:
                emit(f"bpcopy: error: cannot write trace {quote(options.trace_file)}: "
                     f"{error.strerror or error}\n")
                return EXIT_FAILED
    if explainer is not None:
        from bpcopy.render.explanation import explanation_lines, explanation_of_no_copy

        outcome.summary["explanation"] = (
            explanation_lines(explainer.story(), outcome.summary)
            if outcome.recorder is not None else explanation_of_no_copy(outcome.summary))
    status = present_outcome(outcome, options, color)
    from bpcopy.signals import Interrupted

    if isinstance(outcome.error, Interrupted):
        raise outcome.error  # main() hands the signal on to the parent, once all is said
    return status


def explained_setup(options: CommandOptions) -> Any:
    """What --explain's account needs to know of the options."""
    from bpcopy.diagnostics.explain import RunSetup

    return RunSetup(
        mode=options.mode, read_hwm=options.read_mark, write_hwm=options.write_mark,
        source="stdin" if options.source == "-" else options.source,
        destination="stdout" if options.dest == "-" else options.dest,
        sink_delay=options.sink_delay, sink_rate=options.sink_rate,
        sink_jitter=options.sink_jitter, source_delay=options.source_delay,
        source_rate=options.source_rate, sink_fail_after=options.sink_fail_after)


def copy_with_views(options: CommandOptions, trace: Any, color: bool) -> Any:
    """Run the copy, with the live view when a person is watching.

    Terminating signals are bpcopy.signals' (through run_copy): from before the ends are
    opened until the destination is committed or discarded, they end the copy in order.
    """
    from bpcopy.copy import CopyOptions, run_copy

    copy_options = CopyOptions(
        source=options.source, dest=options.dest, read_hwm=options.read_mark,
        write_hwm=options.write_mark, mode=options.mode, max_buffer=options.max_buffer,
        sink_delay=options.sink_delay, sink_rate=options.sink_rate,
        sink_jitter=options.sink_jitter, source_delay=options.source_delay,
        source_rate=options.source_rate, seed=options.seed,
        sink_fail_after=options.sink_fail_after, sink_short_writes=options.sink_short_writes,
        fsync=options.fsync, no_clobber=options.no_clobber, force=options.force,
        verify=options.verify, sparse=options.sparse, trace=trace,
        pipe_size=options.pipe_size,
        measure_rss=options.needs_summary or options.assert_max_rss is not None,
    )

    def run_with_live_view(copy: Any) -> Any:
        live = None
        data_fds = [copy.source.fd, copy.destination.fd]
        if wants_live_view(options) and not view_would_collide(data_fds):
            from bpcopy.render.live import LiveView

            live = LiveView(copy, color=color)

        async def main() -> Any:
            if live is not None:
                live.start()
            try:
                with answering_status_requests(copy, options, live):
                    return await copy.run()
            finally:
                if live is not None:
                    live.stop()

        return run_loop(main(), selector_for(copy_options.simulates_slow_ends, data_fds))

    return run_copy(copy_options, run_with_live_view)


def answering_status_requests(copy: Any, options: CommandOptions, live: Any) -> Any:
    """SIGUSR1 prints the summary so far and the copy goes on, as dd does; above the live
    view when there is one. Not with --json (stderr holds the JSON object alone) nor -q
    (dd's status=none stays silent too)."""
    from contextlib import nullcontext

    from bpcopy.signals import status_requests

    if options.as_json or options.quiet:
        return nullcontext()

    def report() -> None:
        if not copy.recorder.started:
            return
        from bpcopy.render.summary_text import format_summary_text

        text = format_summary_text(copy.summary_so_far(), title="bpcopy: copy in progress")
        if live is not None:
            live.print_above(text)
        else:
            emit(text)

    return status_requests(report)


def run_loop(coroutine: Any, selector_class: Any) -> Any:
    """Run the copy on an asyncio loop that waits with `selector_class`
    (bpcopy.render.ttys.selector_for says which).

    The default (epoll) loop rounds every wait up to a whole millisecond, longer than a
    64 KiB chunk takes at 100 MiB/s, so simulated rates would drift slow. select() takes
    its timeout in microseconds (and bpcopy watches two descriptors at most), but costs
    a little more per turn, so it is used only when simulated ends need the timers, or
    where the default (kqueue) cannot watch a terminal.
    """
    import asyncio

    loop = asyncio.SelectorEventLoop(selector_class())
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.close()


def refuse_overwriting_the_copy(options: CommandOptions) -> None:
    """A trace or report written over SRC, DST or the stdout the data goes to would
    destroy the data being copied; a report that cannot be written is found now, not
    after a long copy."""
    from bpcopy.endpoints.places import (
        aliased_data,
        is_character_device,
        resolve_destination_path,
        same_file,
        unwritable_reason,
    )

    try:
        dest = resolve_destination_path(options.source, options.dest)
    except Exception:  # the copy itself reports a bad destination, in its own words
        dest = options.dest
    for option, path in (("--trace-file", options.trace_file), ("--report", options.report)):
        role = path and aliased_data(path, options.source, dest)
        if role:
            raise click.BadParameter(f"{quote(path)} is the copy's {role}; writing there "
                                     "would corrupt the data", param_hint=f"'{option}'")
    if options.trace_file and options.report and same_file(options.trace_file, options.report) \
            and not is_character_device(options.report):
        raise click.BadParameter(f"{quote(options.report)} is also the --trace-file; one "
                                 "would overwrite the other", param_hint="'--report'")
    problem = options.report and unwritable_reason(options.report)
    if problem:
        raise click.BadParameter(f"cannot write {quote(options.report)}: {problem}",
                                 param_hint="'--report'")


def wants_color(choice: str, stream: IO[str]) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR") or is_dumb():
        return False
    return stream.isatty()


def wants_live_view(options: CommandOptions) -> bool:
    return (not options.no_progress and not options.as_json and not options.quiet
            and not (options.trace and not options.trace_file)
            and sys.stderr.isatty() and not is_dumb())


def open_trace(options: CommandOptions, color: bool) -> tuple[IO[str] | None, Any]:
    if not options.trace:
        return None, None
    from bpcopy.render.trace import make_trace

    why = None
    if options.explain and options.trace_format == "table":
        from bpcopy.diagnostics.reasons import Reasons

        why = Reasons(options.mode, options.read_mark, options.write_mark)
    if options.trace_file:
        try:
            # A large buffer: appending to the trace in small pieces while the copy
            # appends to its destination made the file system several times slower.
            out: IO[str] = open(options.trace_file, "w", buffering=1 << 20)  # noqa: SIM115
        except OSError as error:
            raise click.BadParameter(f"cannot open {quote(options.trace_file)}: "
                                     f"{error.strerror}", param_hint="'--trace-file'") from None
        return out, make_trace(options.trace_format, out, color=False, why=why)
    return sys.stderr, make_trace(options.trace_format, sys.stderr, color=color, why=why)


def present_outcome(outcome: Any, options: CommandOptions, color: bool) -> int:
    """Print the summary and errors the user asked for, write the HTML report if asked,
    and return the exit status."""
    from bpcopy.copy import EXIT_GUARD, EXIT_SIGPIPE

    summary = outcome.summary
    exit_code = outcome.exit_code
    if seed_in_use(options) is not None:
        summary["seed"] = options.seed
    kernel = getattr(outcome.recorder, "kernel", None)  # the pipeline's sampler, if any
    guard_failures = check_guards(summary, options, kernel) if outcome.error is None else []
    if guard_failures:
        exit_code = EXIT_GUARD
        summary["guards"] = guard_failures
    problems = []
    if options.report and outcome.recorder is not None:
        problem = write_report(outcome, options)
        if problem is not None:
            problems.append(problem)
            summary["report_error"] = problem
            exit_code = exit_code or EXIT_FAILED
    if options.as_json:
        import json

        from bpcopy.names import json_safe

        emit(json.dumps(json_safe(summary)) + "\n")
        return exit_code
    if exit_code == EXIT_SIGPIPE:
        return exit_code  # the reader went away: nothing more to say, as with cat
    shown_summary = not options.quiet and outcome.recorder is not None
    if shown_summary:
        emit(render_summary(outcome, color))
    if summary.get("explanation"):
        emit(("\n" if shown_summary else "") + "\n".join(summary["explanation"]) + "\n")
    if outcome.error is not None:
        emit(f"bpcopy: error: {summary.get('error')}\n")
    for failure in guard_failures:
        emit(f"bpcopy: guard failed: {failure}\n")
    for problem in problems:
        emit(f"bpcopy: error: {problem}\n")
    return exit_code


def check_guards(summary: dict[str, Any], options: CommandOptions,
                 kernel: Any = None) -> list[str]:
    failures = []
    limit = options.assert_max_rss
    if limit is not None and summary.get("peak_rss", 0) > limit:
        failures.append(f"peak RSS {format_size(summary['peak_rss'])} "
                        f"({counted(summary['peak_rss'], 'byte')}) exceeds --assert-max-rss "
                        f"{format_size(limit)} ({counted(limit, 'byte')})")
    limit = options.assert_max_buffered
    if limit is not None and summary.get("max_buffered", 0) > limit:
        failures.append(f"buffered {counted(summary['max_buffered'], 'byte')} (readable + "
                        f"writable) exceeds --assert-max-buffered {counted(limit, 'byte')}")
    for role, limit in (("upstream", options.assert_upstream_max_rss),
                        ("downstream", options.assert_downstream_max_rss)):
        if limit is not None:
            from bpcopy.diagnostics.neighbour_guards import rss_guard_failures

            end = summary.get("source" if role == "upstream" else "destination")
            report = kernel.report(role) if kernel is not None else None
            failures.extend(rss_guard_failures(
                role, summary.get(role), limit, end,
                unseen=report.unseen if report is not None else None))
    return failures


def render_summary(outcome: Any, color: bool) -> str:
    if sys.stderr.isatty():
        from bpcopy.render.terminal import render_terminal_summary

        return render_terminal_summary(outcome, color=color)
    from bpcopy.render.summary_text import format_summary_text

    return format_summary_text(outcome.summary)


def write_report(outcome: Any, options: CommandOptions) -> str | None:
    """Write the HTML report; return what went wrong, if anything (the copy stands)."""
    from bpcopy.render.report import write_html_report

    try:
        write_html_report(options.report, outcome, options)
    except OSError as error:
        return (f"cannot write report {quote(options.report)}: {error.strerror or error} "
                "(the copy itself is complete)")
    return None


CLOSED_AT_START: set[int] = set()


def reopen_closed_standard_streams() -> None:
    """Point a closed stdin, stdout or stderr at /dev/null before anything opens a file.

    Otherwise the next file opened would take the lowest free number, 0, 1 or 2, and be
    mistaken for a standard stream: a copy of "stdin" would read whatever that was.
    """
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            if os.open(os.devnull, os.O_RDWR) == fd:
                CLOSED_AT_START.add(fd)
    if sys.stdout is None:
        sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
    if sys.stderr is None:
        sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115


def skip_tls_support() -> None:
    """Keep asyncio from loading the ssl module, which bpcopy never uses.

    asyncio imports ssl (some 10 ms, a tenth of a small copy's run) only to offer TLS
    transports; with ssl marked absent it simply offers none. Only the command line does
    this, in its own process; the library leaves the import system alone.
    """
    sys.modules.setdefault("ssl", None)  # type: ignore[arg-type]


def emit(text: str) -> None:
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except (BrokenPipeError, OSError):
        pass


def main() -> None:
    guard_start_up()  # done already by the `bpcopy` command; here for other callers
    skip_tls_support()
    reopen_closed_standard_streams()
    try:
        command(standalone_mode=True)
    except KeyboardInterrupt:  # only if SIGINT's handler is Python's again: die by it too
        leave(130, ending_signal=130 - 128)
    except SystemExit as exiting:
        leave(exiting.code)
    except Exception as error:
        from bpcopy.signals import Interrupted  # loaded by now if a copy ran

        if not isinstance(error, Interrupted):
            raise
        leave(error.exit_status, ending_signal=error.signum)
    leave(0)


def leave(code: int | str | None, ending_signal: int | None = None) -> None:
    """Exit now, without tearing the interpreter down; by `ending_signal` if given.

    By the time the command returns, the destination is committed or removed and every
    file bpcopy opened is closed; what is left is Python unloading its modules, some
    15 ms that a small copy would notice. Only the standard streams need flushing.
    A copy ended by a signal ends bpcopy by that same signal, after the flush, so the
    parent sees what it sent (bpcopy.signals.die_by).
    """
    if isinstance(code, str):
        emit(code + "\n")
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    if ending_signal is not None:
        from bpcopy.signals import die_by

        die_by(ending_signal)
    os._exit(code or 0)
