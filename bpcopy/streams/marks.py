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
