"""The high-water marks: their default, the two rules that bound them, and the tests
Readable and Writable make against them.

Every stream module, endpoint and command-line default takes the mark from here, so the
default has one owner. Node has two separate rules about a mark's size, and they stay
apart here:
- a constructor accepts any non-negative integer, 2**31 and more included, and refuses a
  fraction, a negative or a non-number with ERR_INVALID_ARG_VALUE (`validated_mark`,
  Node's getHighWaterMark in lib/internal/streams/state.js);
- only `read(n)` is capped: it raises the mark to the next power of two >= n, and an n
  above 1 GiB is ERR_OUT_OF_RANGE (`mark_raised_for_read`, Node's
  computeNewHighWaterMark with its MAX_HWM).
A cap on what a user may ask for (bpcopy's --high-water-mark) is the caller's own
choice, not a stream rule, and does not live here.

This module knows nothing of streams' state, files or the command line: each function
takes the numbers it decides on.
"""

from __future__ import annotations

from bpcopy.streams import errors

# The mark of a file stream: fs.createReadStream and fs.createWriteStream use 64 KiB,
# so a file is read in 64 KiB chunks. (Node's generic Readable and Writable default to
# 16 KiB in v20; bpcopy's streams are always file- or pipe-backed.)
DEFAULT_HIGH_WATER_MARK = 64 * 1024

# Node's MAX_HWM: how far read(n) may raise a readable's mark. It bounds nothing else.
MAX_MARK_RAISED_BY_READ = 0x40000000  # 1 GiB


def validated_mark(value: object, name: str = "high_water_mark") -> int:
    """The mark a constructor keeps for `value` (None means the default).

    Node accepts any non-negative integer (a whole float such as 2.0 too, as JavaScript
    has one number type) and refuses anything else with ERR_INVALID_ARG_VALUE.
    """
    if value is None:
        return DEFAULT_HIGH_WATER_MARK
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise errors.invalid_arg_value(name, value)
    if isinstance(value, float):
        if not value.is_integer() or value < 0:
            raise errors.invalid_arg_value(name, value)
        return int(value)
    if value < 0:
        raise errors.invalid_arg_value(name, value)
    return value


def mark_raised_for_read(n: int) -> int:
    """The mark a readable takes when read(n) asks for more than its mark: the next
    power of two >= n. An n above MAX_MARK_RAISED_BY_READ is ERR_OUT_OF_RANGE."""
    if n > MAX_MARK_RAISED_BY_READ:
        raise errors.size_out_of_range(n)
    return 1 << (n - 1).bit_length()


# The tests against the mark. Readable and Writable decide with these, and the
# diagnostics that explain a decision (the trace's `why` column) name the same rules.

def write_accepts_more(writable_length: int, high_water_mark: int) -> bool:
    """write()'s answer once its chunk is counted: true while `writable_length` is under
    the mark (or nothing is buffered); false means the caller should wait for 'drain'."""
    return writable_length < high_water_mark or writable_length == 0


def drain_due(need_drain: bool, writable_length: int) -> bool:
    """'drain' comes when an earlier write() answered false and the buffer has emptied
    (Writable also holds it back once end() was called or the stream is destroyed)."""
    return need_drain and writable_length == 0


def can_push_more(readable_length: int, high_water_mark: int, ended: bool) -> bool:
    """Whether a readable wants more data from its source (Node's canPushMore): under the
    mark, or empty, and not ended."""
    return not ended and (readable_length < high_water_mark or readable_length == 0)
