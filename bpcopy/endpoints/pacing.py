"""Simulated slow ends: how long an operation on N bytes should take.

A Pacer models a device with a fixed latency per operation (`delay`), an optional random
extra latency (`jitter`, reproducible with a seed) and a throughput cap (`rate`). It only
answers "when should this operation complete?"; the endpoints wait that long on the
event loop's clock, so the streams see a slow device exactly as they would a real one.

Rate rule: N bytes take N/rate seconds, back to back, and the latency (delay and
jitter) comes on top: the device does one operation at a time, and the next starts when
the previous one has completed. A timer that fires late may be made up for, but by at
most one operation's worth of time, so the device never bursts more than one chunk
ahead of the rate.

It knows nothing of streams or files.
"""

from __future__ import annotations

from typing import Any


class Pacer:
    """Completion times for a simulated device on a monotonic clock."""

    def __init__(self, delay: float = 0.0, rate: float | None = None, jitter: float = 0.0,
                 seed: int | None = None) -> None:
        self.delay = delay
        self.rate = rate
        self.jitter = jitter
        self._seed = seed
        self._random: Any = None
        self._previous_done: float | None = None

    @property
    def active(self) -> bool:
        return bool(self.delay or self.rate or self.jitter)

    def complete_at(self, now: float, size: int) -> float:
        """The time an operation of `size` bytes started at `now` completes."""
        latency = self.delay
        if self.jitter:
            if self._random is None:
                import random  # only jitter needs it; start-up time matters

                self._random = random.Random(self._seed)
            latency += self._random.uniform(0.0, self.jitter)
        if not self.rate:
            return now + latency
        transfer = size / self.rate
        start = now
        if self._previous_done is not None:
            # Catch up on a late timer by at most one operation (no larger bursts). The
            # previous operation's latency is its own: the device was busy until it
            # completed, so it is not time to make up.
            start = max(now - transfer, self._previous_done)
        done = self._previous_done = start + transfer + latency
        return done
