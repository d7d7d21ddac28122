"""A slow, jittery reader for soak.py: it drains stdin and reports what it received.

It reads random-sized pieces, sleeps to hold an average rate, and now and then stalls, all
from a seeded generator so a soak can be repeated. When stdin ends it prints one JSON object:
bytes, sha256, elapsed_s, rate_bps, reads, stalls. It must not know what writes to it.
"""

import argparse
import hashlib
import json
import os
import random
import sys
import time

SMALLEST_READ = 512
LARGEST_READ = 256 * 1024
STALL_PROBABILITY = 0.002
STALL_SECONDS = (0.005, 0.030)


def consume(rate_bps: float, seed: int) -> dict:
    generator = random.Random(seed)
    digest = hashlib.sha256()
    received = 0
    reads = 0
    stalls = 0
    started = time.monotonic()
    while True:
        piece = os.read(sys.stdin.fileno(), generator.randint(SMALLEST_READ, LARGEST_READ))
        if not piece:
            break
        digest.update(piece)
        received += len(piece)
        reads += 1
        if generator.random() < STALL_PROBABILITY:
            # A stall puts the reader behind schedule; it then reads without sleeping until it
            # catches up, so the writer sees both full pipes and sudden bursts of room.
            stalls += 1
            time.sleep(generator.uniform(*STALL_SECONDS))
            continue
        ahead_s = started + received / rate_bps - time.monotonic()
        if ahead_s > 0:
            time.sleep(ahead_s * generator.uniform(0.5, 1.5))
    elapsed_s = time.monotonic() - started
    return {
        "bytes": received,
        "sha256": digest.hexdigest(),
        "elapsed_s": elapsed_s,
        "rate_bps": received / elapsed_s if elapsed_s > 0 else None,
        "reads": reads,
        "stalls": stalls,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rate", type=float, default=300 * 1024 * 1024, help="average bytes per second"
    )
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()
    print(json.dumps(consume(arguments.rate, arguments.seed)))


if __name__ == "__main__":
    main()
