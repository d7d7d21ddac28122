"""`make bench`: how fast and how lean bpcopy copies a file, next to cat, dd, Python and Node.

It makes its own input, runs every command several times round-robin (so drift hits all
alike), checks every copy, and prints the machine, a Markdown table for the README and each
target with PASS or FAIL. Results also go to bench/out/results.json. Its last row puts
each copier in the middle of a pipeline and compares the CPU it uses there
(pipeline_row.py; `--pipeline-only` runs that row alone).

It measures the bpcopy command line from the outside only (options -q, --explain, --trace,
--trace-format, --trace-file, --sink-rate) and must not import bpcopy's internals; the one
exception is bpcopy.units, to read --size the same way bpcopy reads sizes.

Exit status: 0 when every command copied correctly, whatever the targets say; 1 when a
command failed or produced a wrong copy.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pipeline_row
from harness import (
    MIB,
    OUT_DIR,
    ChildRun,
    machine_description,
    make_input,
    median,
    remove_if_present,
    run_child,
    run_in_scratch_folder,
    sha256_of,
)

from bpcopy.units import format_duration, format_rate, format_size, parse_rate, parse_size

SIMULATED_SINK_RATE = "100MiB/s"
SIMULATION_SIZE = 256 * MIB
MEMORY_SMALL_SIZE = 8 * MIB
STARTUP_SIZE = 1024


@dataclass
class Command:
    """One way of copying, with everything measured about it."""

    key: str
    label: str
    argv: list[str]
    destination: Path
    is_bpcopy: bool = False
    trace_file: Path | None = None
    runs: list[ChildRun] = field(default_factory=list)
    content_checked: bool = False
    failure: str | None = None

    @property
    def median_wall_s(self) -> float | None:
        return median([run.wall_s for run in self.runs]) if self.runs else None

    @property
    def peak_rss_bytes(self) -> int | None:
        return max(run.peak_rss_bytes for run in self.runs) if self.runs else None


@dataclass
class Target:
    description: str
    measured: str
    passed: bool | None  # None when a command it needs is missing or failed

    @property
    def status(self) -> str:
        return {True: "PASS", False: "FAIL", None: "n/a"}[self.passed]


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="1GiB", help="input size, e.g. 256MiB (default 1GiB)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per command (default 5)")
    parser.add_argument(
        "--warmup", type=int, default=1, help="untimed rounds first, to fill caches (default 1)"
    )
    parser.add_argument(
        "--startup-runs", type=int, default=20, help="runs of the 1 KiB start-up copy (20)"
    )
    parser.add_argument(
        "--rate-runs", type=int, default=3, help="runs of the --sink-rate check (default 3)"
    )
    parser.add_argument(
        "--workdir",
        help="directory to put a scratch folder in (default: the system temp dir); "
        "the scratch folder is removed afterwards",
    )
    parser.add_argument("--keep-workdir", action="store_true", help="leave the scratch folder")
    parser.add_argument("--bpcopy", help="bpcopy executable (default: the venv's, then PATH)")
    parser.add_argument("--pipeline-size", default="512MiB",
                        help="input of the pipeline row, cat SRC | X | cat (default 512MiB)")
    parser.add_argument("--pipeline-runs", type=int, default=7,
                        help="timed rounds of the pipeline row (default 7)")
    parser.add_argument("--baseline-bpcopy", metavar="PATH",
                        help="another bpcopy executable to time beside this one in the "
                        "pipeline row (before and after a change, in the same run)")
    parser.add_argument("--pipeline-only", action="store_true",
                        help="run only the pipeline row (a few minutes), and update its part "
                        "of the results file")
    parser.add_argument(
        "--output", default=str(OUT_DIR / "results.json"), help="where to write results JSON"
    )
    arguments = parser.parse_args()
    try:
        arguments.size_bytes = parse_size(arguments.size)
    except ValueError as error:
        parser.error(f"--size: {error}")
    try:
        arguments.pipeline_size_bytes = parse_size(arguments.pipeline_size)
    except ValueError as error:
        parser.error(f"--pipeline-size: {error}")
    if min(arguments.runs, arguments.startup_runs, arguments.rate_runs,
           arguments.pipeline_runs) < 1:
        parser.error("--runs, --startup-runs, --rate-runs and --pipeline-runs must be at least 1")
    return arguments


def build_commands(bpcopy: str, source: Path, workdir: Path) -> list[Command]:
    def destination(key: str) -> Path:
        return workdir / f"dst-{key}"

    trace_file = workdir / "trace.jsonl"
    commands = [
        Command(
            "bpcopy",
            "bpcopy (default, summary on)",
            [bpcopy, str(source), str(destination("bpcopy"))],
            destination("bpcopy"),
            is_bpcopy=True,
        ),
        Command(
            "bpcopy_quiet",
            "bpcopy -q",
            [bpcopy, "-q", str(source), str(destination("bpcopy_quiet"))],
            destination("bpcopy_quiet"),
            is_bpcopy=True,
        ),
        Command(
            "bpcopy_explain",
            "bpcopy -q --explain",
            [bpcopy, "-q", "--explain", str(source), str(destination("bpcopy_explain"))],
            destination("bpcopy_explain"),
            is_bpcopy=True,
        ),
        Command(
            "bpcopy_trace_jsonl",
            "bpcopy -q --trace jsonl",
            [
                bpcopy,
                "-q",
                "--trace",
                "--trace-format",
                "jsonl",
                "--trace-file",
                str(trace_file),
                str(source),
                str(destination("bpcopy_trace_jsonl")),
            ],
            destination("bpcopy_trace_jsonl"),
            is_bpcopy=True,
            trace_file=trace_file,
        ),
        Command(
            "cat",
            "cat src > dst",
            ["sh", "-c", 'cat "$1" > "$2"', "sh", str(source), str(destination("cat"))],
            destination("cat"),
        ),
        Command(
            "dd",
            "dd bs=64K",
            [
                "dd",
                f"if={source}",
                f"of={destination('dd')}",
                "bs=64K",
                "status=none",
            ],
            destination("dd"),
        ),
        Command(
            "python_readv",
            "Python readv/write loop",
            [
                sys.executable,
                str(Path(__file__).with_name("plain_copy.py")),
                str(source),
                str(destination("python_readv")),
            ],
            destination("python_readv"),
        ),
        Command(
            "python_copy_file_range",
            "Python copy_file_range loop",
            [
                sys.executable,
                str(Path(__file__).with_name("plain_copy.py")),
                "--in-kernel",
                str(source),
                str(destination("python_copy_file_range")),
            ],
            destination("python_copy_file_range"),
        ),
    ]
    node = shutil.which("node")
    if node is not None:
        commands.append(
            Command(
                "node_pipe",
                "Node createReadStream().pipe()",
                node_pipe_argv(node, source, destination("node_pipe")),
                destination("node_pipe"),
            )
        )
    return commands


def node_pipe_argv(node: str, source: Path, destination: Path) -> list[str]:
    # Paths are passed as arguments, not pasted into the script, so no quoting can break.
    script = (
        "const fs = require('fs');"
        "fs.createReadStream(process.argv[1]).pipe(fs.createWriteStream(process.argv[2]));"
    )
    return [node, "-e", script, str(source), str(destination)]


def run_and_check(
    command: Command,
    source: Path,
    source_size: int,
    source_sha256: str,
    workdir: Path,
    *,
    record: bool,
) -> ChildRun | None:
    """Run ``command`` once with a fresh destination and check the copy; None on failure."""
    remove_if_present(command.destination)
    if command.trace_file is not None:
        remove_if_present(command.trace_file)
    # Flush the previous runs' dirty pages now, untimed: otherwise each run pays for the
    # writeback of the one before it, and whoever runs after a big copy looks slow.
    os.sync()
    run = run_child(command.argv, workdir / f"stderr-{command.key}")
    problem = None
    if run.exit_code != 0:
        problem = f"exited with {run.exit_code}"
    elif not command.destination.exists():
        problem = "wrote no destination file"
    elif command.destination.stat().st_size != source_size:
        problem = (
            f"destination has {command.destination.stat().st_size} bytes, source has {source_size}"
        )
    elif not command.content_checked:
        if sha256_of(command.destination) != source_sha256:
            problem = "destination's sha256 differs from the source's"
        command.content_checked = True
    remove_if_present(command.destination)
    if problem is not None:
        command.failure = f"{command.label}: {problem}\n  argv: {command.argv}\n{run.stderr_tail}"
        print(f"  FAILED {command.label}: {problem}", file=sys.stderr)
        if run.stderr_tail:
            print("  " + run.stderr_tail.strip().replace("\n", "\n  "), file=sys.stderr)
        return None
    if record:
        command.runs.append(run)
    return run


def run_round_robin(
    commands: list[Command],
    source: Path,
    source_size: int,
    source_sha256: str,
    workdir: Path,
    warmup_rounds: int,
    timed_rounds: int,
) -> None:
    total_rounds = warmup_rounds + timed_rounds
    for round_index in range(total_rounds):
        is_warmup = round_index < warmup_rounds
        title = (
            f"warm-up {round_index + 1}/{warmup_rounds}"
            if is_warmup
            else f"run {round_index - warmup_rounds + 1}/{timed_rounds}"
        )
        print(f"{title}:", file=sys.stderr)
        for command in commands:
            if command.failure is not None:
                continue
            run = run_and_check(
                command, source, source_size, source_sha256, workdir, record=not is_warmup
            )
            if run is not None:
                print(
                    f"  {command.label:<34} {format_duration(run.wall_s):>9}"
                    f"  {format_size(run.peak_rss_bytes):>10}",
                    file=sys.stderr,
                )


def measure_alternating(commands: list[Command], source: Path, workdir: Path, rounds: int) -> None:
    """Run small copies alternately, recording time and memory; copies are checked as usual."""
    size = source.stat().st_size
    sha = sha256_of(source)
    for _ in range(rounds):
        for command in commands:
            if command.failure is None:
                run_and_check(command, source, size, sha, workdir, record=True)


def median_elapsed_s(command: Command) -> float | None:
    """The median of the elapsed_s that a --json run reported on stderr."""
    values = []
    for run in command.runs:
        lines = run.stderr_tail.strip().splitlines()
        try:
            values.append(float(json.loads(lines[-1])["elapsed_s"]))
        except (IndexError, ValueError, KeyError, TypeError):
            return None
    return statistics.median(values) if values else None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def format_ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}×"


def judge(
    description: str,
    value: float | None,
    meets_target: Callable[[float], bool],
    formatter: Callable[[float], str],
) -> Target:
    """A target's verdict; n/a when the value is missing because a command failed or is absent."""
    if value is None:
        return Target(description, "n/a", None)
    return Target(description, formatter(value), meets_target(value))


def main() -> int:
    return run_in_scratch_folder("bench", parse_arguments(), run_benchmark)


def run_benchmark(arguments: argparse.Namespace, bpcopy: str, workdir: Path) -> int:
    if arguments.pipeline_only:
        return run_pipeline_only(arguments, bpcopy, workdir)
    size = arguments.size_bytes
    machine = machine_description(workdir)
    source = workdir / "src"
    print(f"bench: writing {format_size(size)} of input to {source}", file=sys.stderr)
    make_input(source, size)
    source_sha256 = sha256_of(source)  # also pulls the input into the page cache

    commands = build_commands(bpcopy, source, workdir)
    by_key = {command.key: command for command in commands}
    run_round_robin(
        commands, source, size, source_sha256, workdir, arguments.warmup, arguments.runs
    )

    # Start-up: a 1 KiB copy, where interpreter and import time is all there is.
    print(f"start-up: {arguments.startup_runs} runs of a 1 KiB copy", file=sys.stderr)
    startup_source = workdir / "src-1KiB"
    make_input(startup_source, STARTUP_SIZE)
    startup_commands = [
        Command(
            "bpcopy_quiet",
            "bpcopy -q (1 KiB)",
            [bpcopy, "-q", str(startup_source), str(workdir / "dst-startup-bpcopy")],
            workdir / "dst-startup-bpcopy",
            is_bpcopy=True,
        )
    ]
    # The plain loop's start-up is Python's own: what bpcopy adds on top is its imports.
    startup_commands.append(
        Command(
            "python_readv",
            "Python readv/write loop (1 KiB)",
            [*by_key["python_readv"].argv[:2], str(startup_source),
             str(workdir / "dst-startup-python")],
            workdir / "dst-startup-python",
        )
    )
    if "node_pipe" in by_key:
        node_destination = workdir / "dst-startup-node"
        startup_commands.append(
            Command(
                "node_pipe",
                "Node pipe (1 KiB)",
                node_pipe_argv(by_key["node_pipe"].argv[0], startup_source, node_destination),
                node_destination,
            )
        )
    measure_alternating(startup_commands, startup_source, workdir, arguments.startup_runs)
    startup_bpcopy = startup_commands[0]
    startup_python = startup_commands[1]
    startup_node = startup_commands[2] if len(startup_commands) > 2 else None

    # Memory: bpcopy's peak RSS must not grow with the file size.
    print(f"memory: {arguments.runs} runs of an 8 MiB copy", file=sys.stderr)
    memory_source = workdir / "src-8MiB"
    make_input(memory_source, MEMORY_SMALL_SIZE)
    memory_small = Command(
        "bpcopy_quiet",
        "bpcopy -q (8 MiB)",
        [bpcopy, "-q", str(memory_source), str(workdir / "dst-memory")],
        workdir / "dst-memory",
        is_bpcopy=True,
    )
    measure_alternating([memory_small], memory_source, workdir, arguments.runs)
    remove_if_present(memory_source)

    # Simulation accuracy: a sink limited to 100 MiB/s should take size / rate seconds.
    simulation_size = min(SIMULATION_SIZE, size)
    simulation_source = source
    if simulation_size < size:
        simulation_source = workdir / "src-simulation"
        make_input(simulation_source, simulation_size)
    expected_s = simulation_size / parse_rate(SIMULATED_SINK_RATE)
    print(
        f"simulation: {arguments.rate_runs} runs at --sink-rate {SIMULATED_SINK_RATE} "
        f"on {format_size(simulation_size)} (expect {format_duration(expected_s)})",
        file=sys.stderr,
    )
    simulated = Command(
        "bpcopy_sink_rate",
        f"bpcopy --json --sink-rate {SIMULATED_SINK_RATE}",
        [
            bpcopy,
            "--json",
            "--sink-rate",
            SIMULATED_SINK_RATE,
            str(simulation_source),
            str(workdir / "dst-simulation"),
        ],
        workdir / "dst-simulation",
        is_bpcopy=True,
    )
    measure_alternating([simulated], simulation_source, workdir, arguments.rate_runs)
    remove_if_present(source)
    pipeline = measure_pipeline_row(arguments, bpcopy, workdir)

    results = summarise(
        arguments,
        machine,
        commands,
        by_key,
        startup_bpcopy,
        startup_python,
        startup_node,
        memory_small,
        simulated,
        expected_s,
        simulation_size,
        pipeline,
    )
    output = Path(arguments.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nresults written to {output}")

    failed = [
        command.failure
        for command in [*commands, *startup_commands, memory_small, simulated, *pipeline]
        if command.failure is not None
    ]
    if failed:
        print("\ncommands that failed:", file=sys.stderr)
        for failure in failed:
            print(f"- {failure}", file=sys.stderr)
        return 1
    return 0


def summarise(
    arguments: argparse.Namespace,
    machine: dict[str, str],
    commands: list[Command],
    by_key: dict[str, Command],
    startup_bpcopy: Command,
    startup_python: Command,
    startup_node: Command | None,
    memory_small: Command,
    simulated: Command,
    expected_s: float,
    simulation_size: int,
    pipeline: list[pipeline_row.Middle],
) -> dict:
    """Print the report and return the same numbers as a JSON-ready dict."""
    size = arguments.size_bytes
    cat_median = by_key["cat"].median_wall_s
    bpcopy_median = by_key["bpcopy"].median_wall_s

    print("\n## Machine\n")
    for name, value in machine.items():
        print(f"- {name}: {value}")

    print(
        f"\n## Copying {format_size(size)} from the page cache "
        f"(median of {arguments.runs} runs, round-robin)\n"
    )
    print("| command | median wall | vs cat | throughput | peak RSS |")
    print("| --- | ---: | ---: | ---: | ---: |")
    command_results = {}
    for command in commands:
        wall = command.median_wall_s
        peak = command.peak_rss_bytes
        if wall is None or peak is None:
            print(f"| {command.label} | failed | | | |")
        else:
            print(
                f"| {command.label} | {format_duration(wall)} "
                f"| {format_ratio(ratio(wall, cat_median))} "
                f"| {format_rate(size / wall)} | {format_size(peak)} |"
            )
        command_results[command.key] = {
            "label": command.label,
            "argv": command.argv,
            "wall_s": [run.wall_s for run in command.runs],
            "median_wall_s": wall,
            "ratio_to_cat": ratio(wall, cat_median),
            "throughput_bps": size / wall if wall else None,
            "peak_rss_bytes": peak,
            "failure": command.failure,
        }

    startup_bpcopy_s = startup_bpcopy.median_wall_s
    startup_node_s = startup_node.median_wall_s if startup_node else None
    print(f"\n## Start-up: 1 KiB copy (median of {arguments.startup_runs} runs)\n")
    print(f"- bpcopy -q: {_seconds_or_na(startup_bpcopy_s)}")
    print(f"- Node pipe: {_seconds_or_na(startup_node_s)}")
    print(f"- bpcopy / Node: {format_ratio(ratio(startup_bpcopy_s, startup_node_s))}")
    startup_python_s = startup_python.median_wall_s
    print(f"- plain Python loop: {_seconds_or_na(startup_python_s)}")
    budget = per_chunk_budget(size, cat_median, bpcopy_median,
                              by_key["python_readv"].median_wall_s,
                              startup_bpcopy_s, startup_python_s)
    print_budget(budget)

    small_rss = memory_small.peak_rss_bytes
    full_rss = by_key["bpcopy_quiet"].peak_rss_bytes
    rss_growth = None if small_rss is None or full_rss is None else full_rss - small_rss
    print("\n## Memory: bpcopy -q peak RSS\n")
    print(f"- 8 MiB copy: {_size_or_na(small_rss)}")
    print(f"- {format_size(size)} copy: {_size_or_na(full_rss)}")
    print(f"- difference: {_size_or_na(rss_growth)}")

    simulated_s = simulated.median_wall_s
    # The simulated device's own time is the copy's elapsed_s (first read to 'finish'),
    # as bpcopy reports it; the wall time adds start-up and is shown beside it.
    copy_s = median_elapsed_s(simulated)
    rate_error_pct = None if copy_s is None else (copy_s - expected_s) / expected_s * 100
    wall_error_pct = None if simulated_s is None else (simulated_s - expected_s) / expected_s * 100
    # The wall time includes start-up; shown separately so a miss can be attributed.
    without_startup_pct = (
        None
        if simulated_s is None or startup_bpcopy_s is None
        else (simulated_s - startup_bpcopy_s - expected_s) / expected_s * 100
    )
    print(f"\n## Simulation: --sink-rate {SIMULATED_SINK_RATE} on {format_size(simulation_size)}\n")
    print(f"- expected: {expected_s:.3f} s")
    print(f"- measured copy time, elapsed_s (median of {arguments.rate_runs}): "
          f"{_seconds_or_na(copy_s)}, error {_percent_or_na(rate_error_pct)}")
    print(f"- measured wall (median of {arguments.rate_runs}): {_seconds_or_na(simulated_s)}, "
          f"error {_percent_or_na(wall_error_pct)}")
    print(f"- wall error without the 1 KiB start-up time: {_percent_or_na(without_startup_pct)}")

    pipeline_results, pipeline_vs_plain = pipeline_row.report(
        pipeline, format_size(arguments.pipeline_size_bytes), arguments.pipeline_runs)

    bpcopy_peaks = [c.peak_rss_bytes for c in commands if c.is_bpcopy]
    worst_bpcopy_rss = None if None in bpcopy_peaks or not bpcopy_peaks else max(bpcopy_peaks)
    default_vs_cat = ratio(bpcopy_median, cat_median)
    node_vs_default = ratio(
        by_key["node_pipe"].median_wall_s if "node_pipe" in by_key else None, bpcopy_median
    )
    traced_vs_cat = ratio(by_key["bpcopy_trace_jsonl"].median_wall_s, cat_median)
    startup_vs_node = ratio(startup_bpcopy_s, startup_node_s)

    targets = [
        judge("bpcopy default ≤ 1.5× cat", default_vs_cat, lambda v: v <= 1.5, format_ratio),
        judge("Node pipe ≥ 2.5× bpcopy default", node_vs_default, lambda v: v >= 2.5, format_ratio),
        judge("traced jsonl ≤ 2.0× cat", traced_vs_cat, lambda v: v <= 2.0, format_ratio),
        judge("bpcopy peak RSS ≤ 40 MiB", worst_bpcopy_rss, lambda v: v <= 40 * MIB, _size_or_na),
        judge(
            f"{format_size(size)} copy RSS within 2 MiB of the 8 MiB copy",
            rss_growth,
            lambda v: abs(v) <= 2 * MIB,
            _size_or_na,
        ),
        judge("1 KiB start-up: bpcopy ≤ Node", startup_vs_node, lambda v: v <= 1.0, format_ratio),
        judge(
            f"--sink-rate {SIMULATED_SINK_RATE} copy time within 5% of expected",
            rate_error_pct,
            lambda v: abs(v) <= 5,
            _percent_or_na,
        ),
        judge(pipeline_row.target_description(), pipeline_vs_plain, pipeline_row.meets_target,
              format_ratio),
    ]
    print("\n## Targets\n")
    print("| target | measured | result |")
    print("| --- | ---: | --- |")
    for target in targets:
        print(f"| {target.description} | {target.measured} | {target.status} |")

    return {
        "machine": machine,
        "size_bytes": size,
        "runs": arguments.runs,
        "warmup_rounds": arguments.warmup,
        "commands": command_results,
        "startup": {
            "size_bytes": STARTUP_SIZE,
            "runs": arguments.startup_runs,
            "bpcopy_quiet_median_s": startup_bpcopy_s,
            "node_pipe_median_s": startup_node_s,
            "python_loop_median_s": startup_python_s,
            "ratio_bpcopy_to_node": startup_vs_node,
        },
        "budget": budget,
        "memory": {
            "small_size_bytes": MEMORY_SMALL_SIZE,
            "small_peak_rss_bytes": small_rss,
            "full_size_bytes": size,
            "full_peak_rss_bytes": full_rss,
            "difference_bytes": rss_growth,
        },
        "simulation": {
            "sink_rate": SIMULATED_SINK_RATE,
            "size_bytes": simulation_size,
            "expected_s": expected_s,
            "wall_s": [run.wall_s for run in simulated.runs],
            "median_wall_s": simulated_s,
            "median_elapsed_s": copy_s,
            "error_percent": rate_error_pct,
            "wall_error_percent": wall_error_pct,
            "wall_error_percent_without_startup": without_startup_pct,
        },
        "pipeline": {"size_bytes": arguments.pipeline_size_bytes, **pipeline_results},
        "targets": [
            {"target": t.description, "measured": t.measured, "result": t.status} for t in targets
        ],
    }


def measure_pipeline_row(arguments: argparse.Namespace, bpcopy: str,
                         workdir: Path) -> list[pipeline_row.Middle]:
    source = workdir / "src-pipeline"
    print(f"bench: writing {format_size(arguments.pipeline_size_bytes)} of pipeline input",
          file=sys.stderr)
    make_input(source, arguments.pipeline_size_bytes)
    try:
        return pipeline_row.measure(bpcopy, source, workdir, arguments.pipeline_runs,
                                    arguments.baseline_bpcopy)
    finally:
        remove_if_present(source)


def run_pipeline_only(arguments: argparse.Namespace, bpcopy: str, workdir: Path) -> int:
    """BENCH_ARGS=--pipeline-only: the pipeline row alone, merged into the results file."""
    pipeline = measure_pipeline_row(arguments, bpcopy, workdir)
    print("\n## Machine\n")
    machine = machine_description(workdir)
    for name, value in machine.items():
        print(f"- {name}: {value}")
    pipeline_results, pipeline_vs_plain = pipeline_row.report(
        pipeline, format_size(arguments.pipeline_size_bytes), arguments.pipeline_runs)
    target = judge(pipeline_row.target_description(), pipeline_vs_plain,
                   pipeline_row.meets_target, format_ratio)
    print(f"\n- {target.description}: {target.measured} {target.status}")
    output = Path(arguments.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        results = json.loads(output.read_text())
    except (OSError, ValueError):
        results = {"machine": machine}
    results["pipeline"] = {"size_bytes": arguments.pipeline_size_bytes, **pipeline_results,
                           "target": {"target": target.description,
                                      "measured": target.measured, "result": target.status}}
    output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nresults written to {output} (its pipeline part)")
    failed = [middle.failure for middle in pipeline if middle.failure is not None]
    for failure in failed:
        print(f"- {failure}", file=sys.stderr)
    return 1 if failed else 0


def per_chunk_budget(
    size: int,
    cat_s: float | None,
    bpcopy_s: float | None,
    loop_s: float | None,
    bpcopy_startup_s: float | None,
    loop_startup_s: float | None,
) -> dict[str, float] | None:
    """What the 1.5× cat target leaves for the stream rules, per 64 KiB chunk.

    The plain loop makes the same system calls per chunk that bpcopy makes; bpcopy also
    pays for its imports (its 1 KiB start-up less the loop's). Whatever remains of
    1.5× cat is the time the stream rules may take, spread over the chunks.
    """
    if None in (cat_s, bpcopy_s, loop_s, bpcopy_startup_s, loop_startup_s):
        return None
    chunks = max(-(-size // (64 * 1024)), 1)
    extra_startup_s = bpcopy_startup_s - loop_startup_s
    left_s = 1.5 * cat_s - loop_s - extra_startup_s
    spent_s = bpcopy_s - loop_s - extra_startup_s
    return {
        "chunks": chunks,
        "extra_startup_s": extra_startup_s,
        "floor_vs_cat": (loop_s + extra_startup_s) / cat_s,
        "left_per_chunk_us": left_s / chunks * 1e6,
        "spent_per_chunk_us": spent_s / chunks * 1e6,
    }


def print_budget(budget: dict[str, float] | None) -> None:
    print("\n## What 1.5× cat leaves for the stream rules\n")
    if budget is None:
        print("- n/a (a command it needs failed)")
        return
    print(f"- 64 KiB chunks: {budget['chunks']:.0f}")
    print(f"- bpcopy's start-up beyond Python's: {_seconds_or_na(budget['extra_startup_s'])}")
    print("- floor (plain loop + that start-up): "
          f"{format_ratio(budget['floor_vs_cat'])} cat")
    print(f"- left per chunk at 1.5× cat: {budget['left_per_chunk_us']:.1f} µs")
    print(f"- bpcopy spends per chunk: {budget['spent_per_chunk_us']:.1f} µs")


def _seconds_or_na(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.3f} s"


def _size_or_na(size: int | None) -> str:
    if size is None:
        return "n/a"
    return ("-" if size < 0 else "") + format_size(abs(size))


def _percent_or_na(percent: float | None) -> str:
    return "n/a" if percent is None else f"{percent:+.1f}%"


if __name__ == "__main__":
    sys.exit(main())
