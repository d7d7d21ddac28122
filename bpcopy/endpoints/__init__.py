"""Endpoints: what a copy's streams are backed by.

Files, stdin/stdout, pipes, FIFOs and devices (fd.py); opening them safely, with an
atomic destination (places.py); simulated slow ends (pacing.py) and injected faults
(faults.py). Endpoints move bytes and report completions; the stream rules live in
bpcopy.streams.
"""
