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


class PipelineUnwatchable(Exception):
    """The pipeline cannot be watched (out of descriptors); the message is one line."""


def watch_pipeline(source_fd: int, dest_fd: int, *, keep_records: bool = False
                   ) -> KernelSampler | None:
    """A sampler (not yet started) for a copy from `source_fd` to `dest_fd`, or None
    when neither end is a pipe, FIFO or socket.

    Raises PipelineUnwatchable when an end is one but bpcopy runs out of descriptors
    setting up the watch (a small ulimit -n): the copy would rather stop at once, in one
    line, than report a pipe as "not a pipe" or fail with a traceback.
    """
    if not (_kernel_buffered(source_fd) or _kernel_buffered(dest_fd)):
        return None  # before any import: a copy between files pays one fstat per end
    ends = []
    try:
        from bpcopy.diagnostics.kernel import watch_end

        ends = [watch_end(source_fd, "upstream"), watch_end(dest_fd, "downstream")]
        if ends == [None, None]:
            return None
        from bpcopy.diagnostics.sampler import KernelSampler

        return KernelSampler(*ends, keep_records=keep_records)
    except OSError as error:  # an import or a duplicate found no descriptor free
        for end in ends:
            if end is not None:
                end.close()
        raise PipelineUnwatchable(
            f"cannot watch the pipeline: {error.strerror or error} (ulimit -n is "
            f"{_descriptor_limit()})") from None


def _descriptor_limit() -> str:
    import resource

    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return "unlimited" if soft == resource.RLIM_INFINITY else str(soft)


def _kernel_buffered(fd: int) -> bool:
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)
