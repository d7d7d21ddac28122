"""The floor for a Python copier: os.readv into one reused 64 KiB buffer, then os.write.

bench.py runs this with the same interpreter as bpcopy to show what Python itself costs.
It must stay the simplest correct loop: no events, no options, no allocation per chunk.
"""

import os
import sys

CHUNK_SIZE = 64 * 1024


def copy(source_path: str, destination_path: str) -> None:
    buffer = bytearray(CHUNK_SIZE)
    view = memoryview(buffer)
    source = os.open(source_path, os.O_RDONLY)
    destination = os.open(destination_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        while True:
            count = os.readv(source, [buffer])
            if count == 0:
                break
            written = 0
            # A write to a regular file is rarely short, but a correct loop never assumes it.
            while written < count:
                written += os.write(destination, view[written:count])
    finally:
        os.close(source)
        os.close(destination)


if __name__ == "__main__":
    copy(sys.argv[1], sys.argv[2])
