"""The floors for a Python copier that moves 64 KiB per system call, as bpcopy does.

bench.py runs this with the same interpreter as bpcopy to show what Python itself costs:
- the default: os.readv into one reused 64 KiB buffer, then os.write (the bytes pass
  through the process, as they do through bpcopy); `-` is stdin or stdout, for the middle
  of a pipeline (blocking reads and writes: a pipe's readiness is the kernel's business);
- `--in-kernel`: os.copy_file_range, 64 KiB per call (the bytes never leave the kernel;
  this is how coreutils' cat copies one file to another, in far larger calls).
Each must stay the simplest correct loop: no events, no options, no allocation per chunk.
"""

import os
import sys

CHUNK_SIZE = 64 * 1024


def copy(source_path: str, destination_path: str) -> None:
    buffer = bytearray(CHUNK_SIZE)
    view = memoryview(buffer)
    source = 0 if source_path == "-" else os.open(source_path, os.O_RDONLY)
    destination = (1 if destination_path == "-" else
                   os.open(destination_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644))
    try:
        while True:
            count = os.readv(source, [buffer])
            if count == 0:
                break
            written = 0
            # A write to a regular file is rarely short (to a pipe it can be), but a
            # correct loop never assumes it.
            while written < count:
                written += os.write(destination, view[written:count])
    finally:
        os.close(source)
        os.close(destination)


def copy_in_kernel(source_path: str, destination_path: str) -> None:
    source = os.open(source_path, os.O_RDONLY)
    destination = os.open(destination_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        # Both file positions advance with each call; 0 means the end of the source.
        while os.copy_file_range(source, destination, CHUNK_SIZE):
            pass
    finally:
        os.close(source)
        os.close(destination)


if __name__ == "__main__":
    if sys.argv[1] == "--in-kernel":
        copy_in_kernel(sys.argv[2], sys.argv[3])
    else:
        copy(sys.argv[1], sys.argv[2])
