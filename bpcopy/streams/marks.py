"""The high-water marks: their default and the rules that check them.

Every stream module, endpoint and command-line default takes the mark from here, so the
default has one owner. (The rules that validate a mark join this module as they are
written; until then each stream checks its own.)
"""

from __future__ import annotations

# The mark of a file stream: fs.createReadStream and fs.createWriteStream use 64 KiB,
# so a file is read in 64 KiB chunks. (Node's generic Readable and Writable default to
# 16 KiB in v20; bpcopy's streams are always file- or pipe-backed.)
DEFAULT_HIGH_WATER_MARK = 64 * 1024


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
