"""Whether a copy sits in a pipeline, and if so the sampler that watches it.

The one entry point the copy calls: it looks at both ends (a system call or two) and
starts nothing, imports nothing more, when neither end is a pipe, FIFO or socket. A copy
between files never loads the sampler, the neighbours' scan, or psutil.
"""

from __future__ import annotations

import os
import stat
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bpcopy.diagnostics.sampler import KernelSampler


def watch_pipeline(source_fd: int, dest_fd: int, *, keep_records: bool = False
                   ) -> KernelSampler | None:
    """A sampler (not yet started) for a copy from `source_fd` to `dest_fd`, or None
    when neither end is a pipe, FIFO or socket."""
    if not (_kernel_buffered(source_fd) or _kernel_buffered(dest_fd)):
        return None  # before any import: a copy between files pays one fstat per end
    from bpcopy.diagnostics.kernel import watch_end

    upstream = watch_end(source_fd, "upstream")
    downstream = watch_end(dest_fd, "downstream")
    if upstream is None and downstream is None:
        return None
    from bpcopy.diagnostics.sampler import KernelSampler

    return KernelSampler(upstream, downstream, keep_records=keep_records)


def _kernel_buffered(fd: int) -> bool:
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)
