"""Strategies that join a readable to a writable.

- pump: the tutorial's loop. write() returned false: pause(); 'drain': resume();
  'end': end().
- pipe: Readable.pipe(), which does the same bookkeeping inside the stream core.
- none: ignore write()'s return value, to show what backpressure prevents. A guard
  stops the copy once more than `max_buffer` bytes wait in the writable, rather than
  letting it eat the machine's memory.

Strategies steer the copy; they do not measure it (the recorder listens) and they
compute no buffer numbers: they ask the streams (write()'s answer, writable_length).
"""

from __future__ import annotations

from typing import Any

MODES = ("pump", "pipe", "none")


class BufferLimitExceeded(Exception):
    """--mode none buffered more than --max-buffer bytes."""

    code = "ERR_BPCOPY_MAX_BUFFER"


def pump(source: Any, dest: Any) -> None:
    """The tutorial's pause/resume pump."""
    source.on("data", lambda chunk: dest.write(chunk) or source.pause())
    dest.on("drain", source.resume)
    source.on("end", dest.end)


def pipe(source: Any, dest: Any) -> None:
    source.pipe(dest)


def ignore_backpressure(source: Any, dest: Any, max_buffer: int) -> None:
    """Write every chunk at once, whatever write() says, up to a memory guard."""

    def write_regardless(chunk: Any) -> None:
        dest.write(chunk)
        if dest.writable_length > max_buffer:
            dest.destroy(BufferLimitExceeded(
                f"--mode none buffered {dest.writable_length} bytes, over --max-buffer "
                f"{max_buffer}: the destination is slower than the source and nothing "
                "is holding the source back"))
            source.destroy()

    source.on("data", write_regardless)
    source.on("end", dest.end)


def connect(mode: str, source: Any, dest: Any, max_buffer: int) -> None:
    """Join `source` to `dest` with the named strategy."""
    if mode == "pump":
        pump(source, dest)
    elif mode == "pipe":
        pipe(source, dest)
    elif mode == "none":
        ignore_backpressure(source, dest, max_buffer)
    else:
        raise ValueError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
