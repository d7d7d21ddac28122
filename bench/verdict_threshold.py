"""How long must a copy last before its verdict means anything? Measures the two facts
behind bpcopy.diagnostics.summary.JUDGE_MIN_S.

1. Stalls: the tutorial's 64-byte copy (marks 4), traced, many times. The longest gap
   between two consecutive trace records is a stall of the machine: nothing in that
   copy waits on a device for more than a few microseconds.
2. Flips: copies of 1 to 256 chunks of 64 KiB with no simulated slowness, several times
   each: how often the verdict differs from the most common one, by duration.

Run it on the machine the threshold is for (busy, if that is how it is used):
    .venv/bin/python bench/verdict_threshold.py [--runs 40]
It must not know how the verdict is computed; it reads bpcopy's --json and traces.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from harness import find_bpcopy, missing_bpcopy_message

TUTORIAL_FILE = b"0123456789abcdef" * 4
CHUNK = 64 * 1024
BLAME_SHARE = 0.35  # judge()'s share: a side busy less than this is not blamed


def longest_gaps(bpcopy: str, folder: Path, runs: int) -> list[float]:
    source = folder / "in64.txt"
    source.write_bytes(TUTORIAL_FILE)
    trace = folder / "trace.jsonl"
    gaps = []
    for _ in range(runs):
        subprocess.run([bpcopy, source, folder / "out", "-H", "4", "-q", "--trace",
                        "--trace-format", "jsonl", "--trace-file", trace], check=True)
        times = [json.loads(line)["t"] for line in trace.read_text().splitlines()]
        gaps.append(max(later - earlier for earlier, later in zip(times, times[1:], strict=False)))
    return gaps


def verdict_flips(bpcopy: str, folder: Path, runs: int) -> list[tuple[int, list, str]]:
    rows = []
    for chunks in (1, 4, 16, 64, 256):
        source = folder / f"in{chunks}.bin"
        source.write_bytes(os.urandom(chunks * CHUNK))
        seen = []
        for _ in range(runs):
            result = subprocess.run([bpcopy, source, folder / "out", "--json"],
                                    capture_output=True, text=True, check=True)
            summary = json.loads(result.stderr)
            seen.append((summary["elapsed_s"], summary["verdict"].split(":")[0]))
        common = collections.Counter(verdict for _, verdict in seen).most_common(1)[0][0]
        rows.append((chunks, sorted(seen), common))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--bpcopy")
    args = parser.parse_args()
    bpcopy = find_bpcopy(args.bpcopy)
    if bpcopy is None:
        print(missing_bpcopy_message(args.bpcopy), file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        gaps = longest_gaps(bpcopy, folder, args.runs)
        print(f"longest gap between records, {args.runs} runs of the 64-byte copy: "
              f"median {statistics.median(gaps) * 1e3:.2f} ms, "
              f"max {max(gaps) * 1e3:.2f} ms")
        for chunks, seen, common in verdict_flips(bpcopy, folder, max(args.runs // 4, 5)):
            flips = [(round(elapsed * 1e3, 1), verdict) for elapsed, verdict in seen
                     if verdict != common]
            print(f"{chunks:4} chunks of 64 KiB: {min(e for e, _ in seen) * 1e3:.1f} to "
                  f"{max(e for e, _ in seen) * 1e3:.1f} ms, mostly {common}; "
                  f"others (ms, verdict): {flips}")
        print(f"a copy must last max stall / {BLAME_SHARE} = "
              f"{max(gaps) / BLAME_SHARE * 1e3:.0f} ms before one stall cannot be "
              "blamed on a side by itself")
    return 0


if __name__ == "__main__":
    sys.exit(main())
