"""`make soak`: does bpcopy's memory stay flat while a slow, jittery pipe holds it back?

It runs ``bpcopy --json SRC - | slow_consumer.py`` on its own input, samples bpcopy's RSS
every 0.2 s with psutil, and checks that the consumer got exactly the input (size and
sha256). It reports RSS at 10%, 50% and 90% of the run and the peak, and PASS when the
second half's RSS stays within 2 MiB of the first quarter's.

It measures the bpcopy command line from the outside (SRC, DST ``-`` for stdout, --json with
a one-object summary on stderr) and must not import bpcopy's internals beyond bpcopy.units.

Exit status: 0 when the copy arrived intact, whatever the flatness verdict; 1 when bpcopy or
the consumer failed, the data differs, or the run hit --timeout.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
from harness import (
    MIB,
    OUT_DIR,
    MeasuredChild,
    machine_description,
    make_input,
    run_in_scratch_folder,
    sha256_of,
    tail_of,
)

from bpcopy.units import format_duration, format_rate, format_size, parse_rate, parse_size

FLATNESS_TOLERANCE = 2 * MIB
STARTUP_S = 0.3
CONSUMER = Path(__file__).with_name("slow_consumer.py")


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="1GiB", help="bytes to push through, e.g. 64MiB")
    parser.add_argument(
        "--consumer-rate", default="300MiB/s", help="the consumer's average rate (300MiB/s)"
    )
    parser.add_argument("--seed", type=int, default=1, help="the consumer's random seed")
    parser.add_argument("--sample-interval", type=float, default=0.2, help="seconds (0.2)")
    parser.add_argument(
        "--timeout", type=float, help="give up after this many seconds (default: 5× expected)"
    )
    parser.add_argument("--workdir", help="where to put the scratch folder (default: temp dir)")
    parser.add_argument("--keep-workdir", action="store_true", help="leave the scratch folder")
    parser.add_argument("--bpcopy", help="bpcopy executable (default: the venv's, then PATH)")
    parser.add_argument(
        "--output", default=str(OUT_DIR / "soak.json"), help="where to write results JSON"
    )
    arguments = parser.parse_args()
    try:
        arguments.size_bytes = parse_size(arguments.size)
        arguments.consumer_rate_bps = parse_rate(arguments.consumer_rate)
    except ValueError as error:
        parser.error(str(error))
    if arguments.timeout is None:
        expected_s = arguments.size_bytes / arguments.consumer_rate_bps
        arguments.timeout = max(60.0, 5 * expected_s)
    return arguments


def main() -> int:
    return run_in_scratch_folder("soak", parse_arguments(), soak)


def soak(arguments: argparse.Namespace, bpcopy: str, workdir: Path) -> int:
    size = arguments.size_bytes
    source = workdir / "src"
    print(f"soak: writing {format_size(size)} of input", file=sys.stderr)
    make_input(source, size)
    source_sha256 = sha256_of(source)

    bpcopy_argv = [bpcopy, "--json", str(source), "-"]
    consumer_argv = [
        sys.executable,
        str(CONSUMER),
        "--rate",
        repr(arguments.consumer_rate_bps),
        "--seed",
        str(arguments.seed),
    ]
    print(
        f"soak: {' '.join(bpcopy_argv)} | slow_consumer.py "
        f"(~{format_rate(arguments.consumer_rate_bps)}, seed {arguments.seed})",
        file=sys.stderr,
    )
    stderr_path = workdir / "bpcopy-stderr"
    pipe_reader, pipe_writer = os.pipe()
    with open(stderr_path, "wb") as stderr_file:
        try:
            consumer = subprocess.Popen(consumer_argv, stdin=pipe_reader, stdout=subprocess.PIPE)
            copier = MeasuredChild(bpcopy_argv, stdout=pipe_writer, stderr=stderr_file.fileno())
        finally:
            # Only the two children may hold the pipe, or the consumer would never see its end.
            os.close(pipe_reader)
            os.close(pipe_writer)
        try:
            samples, copier_exit, copier_peak_rss, timed_out = sample_until_done(
                copier, arguments.sample_interval, arguments.timeout
            )
        except BaseException:
            copier.stop()
            consumer.kill()
            raise
    try:
        consumer_output, _ = consumer.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        consumer.kill()
        consumer_output, _ = consumer.communicate()
    received = parse_last_json_object(consumer_output.decode(errors="replace")) or {}
    summary = parse_last_json_object(tail_of(stderr_path, limit=20000))

    problems = []
    if timed_out:
        problems.append(f"gave up after {arguments.timeout:.0f} s (--timeout)")
    if copier_exit != 0:
        problems.append(f"bpcopy exited with {copier_exit}: {tail_of(stderr_path).strip()}")
    if consumer.returncode != 0:
        problems.append(f"the consumer exited with {consumer.returncode}")
    if received.get("bytes") != size:
        problems.append(f"the consumer received {received.get('bytes')} bytes, expected {size}")
    elif received.get("sha256") != source_sha256:
        problems.append("the consumer's sha256 differs from the source's")

    results = report(
        arguments, machine_description(workdir), copier, samples, copier_peak_rss, received, summary
    )
    results["problems"] = problems
    output = Path(arguments.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nresults written to {output}")
    if problems:
        print("\nthe soak failed:", file=sys.stderr)
        for problem in problems:
            print(f"- {problem}", file=sys.stderr)
        return 1
    return 0


def sample_until_done(
    copier: MeasuredChild, interval_s: float, timeout_s: float
) -> tuple[list[tuple[float, int]], int | None, int | None, bool]:
    """Sample the copier's RSS until it ends; return samples, exit code, peak RSS, timed out."""
    samples: list[tuple[float, int]] = []
    watched = psutil.Process(copier.pid)
    next_sample_at = copier.started
    while True:
        ended = copier.poll()
        if ended is not None:
            exit_code, peak_rss = ended
            return samples, exit_code, peak_rss, False
        now = time.perf_counter()
        if now - copier.started > timeout_s:
            copier.stop()
            return samples, None, None, True
        if now >= next_sample_at:
            next_sample_at += interval_s
            try:
                rss = watched.memory_info().rss
            except psutil.Error:  # ended between poll and the read
                rss = 0
            if rss > 0:  # a process that has just ended reads as 0 until it is reaped
                samples.append((now - copier.started, rss))
        # Poll often, so the end (and so the wall time) is seen within 10 ms, not 200.
        time.sleep(min(0.01, max(0.0, next_sample_at - time.perf_counter())))


def rss_near(samples: list[tuple[float, int]], moment_s: float) -> int | None:
    if not samples:
        return None
    return min(samples, key=lambda sample: abs(sample[0] - moment_s))[1]


def report(
    arguments: argparse.Namespace,
    machine: dict[str, str],
    copier: MeasuredChild,
    samples: list[tuple[float, int]],
    copier_peak_rss: int | None,
    received: dict,
    summary: dict | None,
) -> dict:
    duration_s = copier.wall_s
    at_fraction = {
        fraction: rss_near(samples, fraction * duration_s) for fraction in (0.1, 0.5, 0.9)
    }
    # Python's start-up (a fraction of a second) is not the copy: samples from before
    # STARTUP_S are left out, and the first quarter's highest remaining sample is the
    # baseline, so the import ramp does not count as growth.
    first_quarter = [rss for moment, rss in samples
                     if STARTUP_S <= moment <= max(0.25 * duration_s, STARTUP_S)]
    second_half = [rss for moment, rss in samples
                   if moment >= max(0.5 * duration_s, STARTUP_S)]
    baseline = max(first_quarter) if first_quarter else None
    largest_drift = (
        max(abs(rss - baseline) for rss in second_half)
        if baseline is not None and second_half
        else None
    )
    flat = None if largest_drift is None else largest_drift <= FLATNESS_TOLERANCE
    verdict = {True: "PASS", False: "FAIL", None: "n/a (run too short to sample)"}[flat]

    print("\n## Machine\n")
    for name, value in machine.items():
        print(f"- {name}: {value}")
    print(f"\n## Soak: {format_size(arguments.size_bytes)} into a slow, jittery pipe\n")
    print(f"- wall: {format_duration(duration_s)}, {len(samples)} RSS samples")
    consumer_rate = received.get("rate_bps")
    if consumer_rate:
        print(
            f"- consumer: {format_rate(consumer_rate)} average, {received.get('reads')} reads, "
            f"{received.get('stalls')} stalls"
        )
    for fraction, rss in at_fraction.items():
        print(f"- RSS at {fraction:.0%}: {format_size(rss) if rss else 'n/a'}")
    sampled_peak = max((rss for _, rss in samples), default=None)
    print(f"- peak RSS sampled: {format_size(sampled_peak) if sampled_peak else 'n/a'}")
    print(f"- peak RSS (kernel): {format_size(copier_peak_rss) if copier_peak_rss else 'n/a'}")
    if summary is None:
        print("- bpcopy's --json summary: not found on stderr")
    else:
        shown = {key: summary[key] for key in summary if not isinstance(summary[key], dict)}
        print(f"- bpcopy's --json summary: {json.dumps(shown)}")
    print(
        f"\n| target | measured | result |\n| --- | ---: | --- |\n"
        f"| second-half RSS within {format_size(FLATNESS_TOLERANCE)} of the first quarter's "
        f"| {format_size(largest_drift) if largest_drift is not None else 'n/a'} | {verdict} |"
    )
    return {
        "machine": machine,
        "size_bytes": arguments.size_bytes,
        "consumer_rate_target_bps": arguments.consumer_rate_bps,
        "seed": arguments.seed,
        "wall_s": duration_s,
        "samples": [{"t_s": moment, "rss_bytes": rss} for moment, rss in samples],
        "rss_at_10_50_90_percent": [at_fraction[0.1], at_fraction[0.5], at_fraction[0.9]],
        "peak_rss_sampled_bytes": sampled_peak,
        "peak_rss_kernel_bytes": copier_peak_rss,
        "first_quarter_baseline_bytes": baseline,
        "second_half_largest_drift_bytes": largest_drift,
        "flat": verdict,
        "consumer": received,
        "bpcopy_summary": summary,
    }


def parse_last_json_object(text: str) -> dict | None:
    """The last JSON object in ``text`` that starts a line; one line or pretty-printed."""
    decoder = json.JSONDecoder()
    line_starts = [0] + [index + 1 for index, char in enumerate(text) if char == "\n"]
    for start in reversed(line_starts):
        if not text.startswith("{", start):
            continue
        try:
            parsed, _ = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            continue
        if isinstance(parsed, dict):
            return parsed
    return None


if __name__ == "__main__":
    sys.exit(main())
