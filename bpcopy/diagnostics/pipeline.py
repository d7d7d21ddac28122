"""Whether a copy sits in a pipeline, and if so the sampler that watches it.

The one entry point the copy calls: it looks at both ends (a system call or two) and
starts nothing, imports nothing more, when neither end is a pipe, FIFO or socket. A copy
between files never loads the sampler, the neighbours' scan, or psutil.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bpcopy.diagnostics.kernel import watch_end

if TYPE_CHECKING:
    from bpcopy.diagnostics.sampler import KernelSampler


def watch_pipeline(source_fd: int, dest_fd: int, *, keep_records: bool = False,
                   started_at: float | None = None) -> KernelSampler | None:
    """A sampler (not yet started) for a copy from `source_fd` to `dest_fd`, or None
    when neither end is a pipe, FIFO or socket. `started_at` is the perf_counter() the
    copy's clock counts from."""
    upstream = watch_end(source_fd, "upstream")
    downstream = watch_end(dest_fd, "downstream")
    if upstream is None and downstream is None:
        return None
    from bpcopy.diagnostics.sampler import KernelSampler

    return KernelSampler(upstream, downstream, keep_records=keep_records,
                         started_at=started_at)
