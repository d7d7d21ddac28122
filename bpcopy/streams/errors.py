"""Stream errors, each carrying the Node.js error code in `.code`.

Scripts and tests match on `.code` (as Node users match on `err.code`), so the codes are
the contract; the classes only group them.
"""

from __future__ import annotations


class StreamError(Exception):
    """An error raised or emitted by a stream. `code` is Node's name for it."""

    code: str = "ERR_STREAM"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


def write_after_end() -> StreamError:
    return StreamError("write after end", "ERR_STREAM_WRITE_AFTER_END")


def destroyed(method: str) -> StreamError:
    return StreamError(f"Cannot call {method} after a stream was destroyed", "ERR_STREAM_DESTROYED")


def push_after_eof() -> StreamError:
    return StreamError("stream.push() after EOF", "ERR_STREAM_PUSH_AFTER_EOF")


def null_values() -> StreamError:
    return StreamError("May not write null values to stream", "ERR_STREAM_NULL_VALUES")


def invalid_chunk(chunk: object) -> StreamError:
    return StreamError(
        "The \"chunk\" argument must be of type str or a bytes-like object. "
        f"Received {type(chunk).__name__}",
        "ERR_INVALID_ARG_TYPE",
    )


def multiple_callback() -> StreamError:
    return StreamError("Callback called multiple times", "ERR_MULTIPLE_CALLBACK")


def already_finished(method: str) -> StreamError:
    return StreamError(f"Cannot call {method} after a stream was finished",
                       "ERR_STREAM_ALREADY_FINISHED")


def premature_close() -> StreamError:
    return StreamError("Premature close", "ERR_STREAM_PREMATURE_CLOSE")


def size_out_of_range(size: int) -> StreamError:
    return StreamError(
        f'The value of "size" is out of range. It must be <= 1GiB. Received {size}',
        "ERR_OUT_OF_RANGE",
    )


class InvalidArgValue(StreamError, ValueError):
    """A constructor argument Node refuses; a ValueError too, as Python callers expect."""

    code = "ERR_INVALID_ARG_VALUE"


def invalid_arg_value(name: str, value: object) -> InvalidArgValue:
    return InvalidArgValue(f"The property '{name}' is invalid. Received {value!r}")


def aborted() -> StreamError:
    """Node's AbortError, as an iterator left early destroys its stream with it."""
    return StreamError("The operation was aborted", "ABORT_ERR")
