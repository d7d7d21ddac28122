"""The pipeline row of `make bench`: `cat SRC | X | cat > /dev/null`, X in the middle.

X is bpcopy (`bpcopy - -`), the plain Python readv/write loop (plain_copy.py - -), Debian's
`pv -q` (which splices inside the kernel) and `cat`. The figure that matters is the CPU
time (user + sys) of the middle process: with three busy processes on a small machine
the wall time swings with scheduling, while the middle's CPU time is what it costs the
rest of the pipeline. Each command is checked once (the bytes that reach the end are the
source's), then all are timed round-robin, and the best and the median are reported.

This module knows the commands of the row and its target; how a pipeline is run and
measured is harness.py's. It never imports bpcopy.
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import PipelineRun, median, remove_if_present, run_pipeline, sha256_of

# bpcopy's CPU in the middle of a pipeline, at most this many times the plain loop's.
TARGET_RATIO_TO_PLAIN_LOOP = 1.6
PV_MISSING = "not installed (Debian: apt-get install pv)"


@dataclass
class Middle:
    """One program in the middle of the pipeline, with its runs."""

    key: str
    label: str
    argv: list[str]
    missing: str | None = None  # why it cannot run here
    failure: str | None = None
    runs: list[PipelineRun] = field(default_factory=list)

    def cpu(self, pick: Any) -> float | None:
        return pick([run.middle_cpu_s for run in self.runs]) if self.runs else None

    def wall(self, pick: Any) -> float | None:
        return pick([run.wall_s for run in self.runs]) if self.runs else None


def middles(bpcopy: str, baseline: str | None = None) -> list[Middle]:
    """The row; `baseline`, another bpcopy executable, runs beside this one (before/after)."""
    plain_loop = str(Path(__file__).with_name("plain_copy.py"))
    pv = shutil.which("pv")
    compared = [Middle("bpcopy_baseline", "bpcopy - - (baseline)", [baseline, "-", "-"])]
    return [
        Middle("bpcopy", "bpcopy - -", [bpcopy, "-", "-"]),
        *(compared if baseline else []),
        Middle("python_readv", "Python readv/write loop", [sys.executable, plain_loop, "-", "-"]),
        Middle("pv", "pv -q", [pv or "pv", "-q"], missing=None if pv else PV_MISSING),
        Middle("cat", "cat", ["cat"]),
    ]


def measure(bpcopy: str, source: Path, workdir: Path, rounds: int,
            baseline: str | None = None) -> list[Middle]:
    """Check each middle once, then time them all `rounds` times, alternating."""
    size = source.stat().st_size
    source_sha256 = sha256_of(source)
    row = middles(bpcopy, baseline)
    print(f"pipeline: cat SRC | X | cat > /dev/null, {rounds} rounds", file=sys.stderr)
    for middle in row:
        if middle.missing:
            print(f"  {middle.label}: {middle.missing}", file=sys.stderr)
            continue
        check_once(middle, source, size, source_sha256, workdir)
    devnull = Path("/dev/null")
    for round_number in range(1, rounds + 1):
        print(f"  round {round_number}/{rounds}:", file=sys.stderr)
        for middle in row:
            if middle.missing or middle.failure:
                continue
            run = run_pipeline(source, middle.argv, devnull, workdir / f"stderr-pipe-{middle.key}")
            if run.exit_codes != (0, 0, 0):
                fail(middle, f"exit statuses {run.exit_codes}", run)
                continue
            middle.runs.append(run)
            print(f"    {middle.label:<26} cpu {run.middle_cpu_s * 1000:7.1f} ms"
                  f"  wall {run.wall_s:6.2f} s", file=sys.stderr)
    return row


def check_once(middle: Middle, source: Path, size: int, source_sha256: str,
               workdir: Path) -> None:
    """An untimed run into a file: the bytes that come out must be the source's."""
    sink = workdir / f"dst-pipe-{middle.key}"
    run = run_pipeline(source, middle.argv, sink, workdir / f"stderr-pipe-{middle.key}")
    try:
        if run.exit_codes != (0, 0, 0):
            fail(middle, f"exit statuses {run.exit_codes}", run)
        elif sink.stat().st_size != size:
            fail(middle, f"{sink.stat().st_size} bytes came out of {size}", run)
        elif sha256_of(sink) != source_sha256:
            fail(middle, "the bytes that came out differ from the source's", run)
    finally:
        remove_if_present(sink)


def fail(middle: Middle, problem: str, run: PipelineRun) -> None:
    middle.failure = f"pipeline {middle.label}: {problem}\n  argv: {middle.argv}\n" \
                     f"{run.stderr_tail}"
    print(f"  FAILED pipeline {middle.label}: {problem}", file=sys.stderr)


def report(row: list[Middle], size_text: str, rounds: int) -> tuple[dict[str, Any], Any]:
    """Print the row's table; return its JSON and the target's (value, passed) pair."""
    by_key = {middle.key: middle for middle in row}
    plain = by_key["python_readv"]
    print(f"\n## In a pipeline: cat SRC | X | cat > /dev/null, {size_text} "
          f"(best and median of {rounds}, alternating)\n")
    print("| X (the middle) | CPU best | CPU median | vs plain loop (best / median) "
          "| user + sys (median) | wall best | wall median |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    commands = {}
    for middle in row:
        if middle.missing or middle.failure or not middle.runs:
            reason = middle.missing or "failed"
            print(f"| {middle.label} | {reason} | | | | | |")
        else:
            best_ratio = ratio(middle.cpu(min), plain.cpu(min))
            median_ratio = ratio(middle.cpu(median), plain.cpu(median))
            user = median([run.middle_user_s for run in middle.runs])
            system = median([run.middle_sys_s for run in middle.runs])
            print(f"| {middle.label} | {ms(middle.cpu(min))} | {ms(middle.cpu(median))} "
                  f"| {times(best_ratio)} / {times(median_ratio)} "
                  f"| {ms(user)} + {ms(system)} | {middle.wall(min):.2f} s "
                  f"| {middle.wall(median):.2f} s |")
        commands[middle.key] = {
            "label": middle.label,
            "argv": middle.argv,
            "missing": middle.missing,
            "failure": middle.failure,
            "cpu_s": [run.middle_cpu_s for run in middle.runs],
            "user_s": [run.middle_user_s for run in middle.runs],
            "sys_s": [run.middle_sys_s for run in middle.runs],
            "wall_s": [run.wall_s for run in middle.runs],
            "best_cpu_s": middle.cpu(min),
            "median_cpu_s": middle.cpu(median),
            "best_wall_s": middle.wall(min),
            "median_wall_s": middle.wall(median),
            "cpu_ratio_to_plain_loop_best": ratio(middle.cpu(min), plain.cpu(min)),
            "cpu_ratio_to_plain_loop_median": ratio(middle.cpu(median), plain.cpu(median)),
        }
    target_value = ratio(by_key["bpcopy"].cpu(min), plain.cpu(min))
    return {"rounds": rounds, "commands": commands}, target_value


def target_description() -> str:
    return f"pipeline: bpcopy's CPU ≤ {TARGET_RATIO_TO_PLAIN_LOOP}× the plain loop's (best)"


def meets_target(value: float) -> bool:
    return value <= TARGET_RATIO_TO_PLAIN_LOOP


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def ms(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds * 1000:.0f} ms"


def times(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}×"
