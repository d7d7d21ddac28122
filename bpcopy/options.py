"""What the user asked for on the command line, as one typed value.

The CLI (bpcopy.cli) parses click's options once into a `CommandOptions`; everything after
that (the copy's own options, the renderers, the HTML report's options table) reads this
value. Field names are click's parameter names, so a field `sink_rate` is `--sink-rate`.
Sizes are bytes, durations seconds and rates bytes per second, already parsed.

It holds no defaults (click's option declarations own those) and knows nothing of click,
streams or files.

Why a NamedTuple rather than a frozen dataclass: both are typed and immutable, but a
dataclass generates and compiles its methods when the module loads, 2 ms here for 29
fields against 0.5 ms, and every run of bpcopy loads this module.
"""

from __future__ import annotations

from typing import NamedTuple


class CommandOptions(NamedTuple):
    source: str
    dest: str
    high_water_mark: int
    read_hwm: int | None
    write_hwm: int | None
    mode: str
    max_buffer: int
    sink_delay: float
    sink_rate: float | None
    sink_jitter: float
    source_delay: float
    source_rate: float | None
    seed: int | None
    sink_fail_after: int | None
    sink_short_writes: bool
    trace: bool  # also true when --trace-file is given, which implies it
    trace_format: str
    trace_file: str | None
    quiet: bool
    as_json: bool
    fsync: bool
    no_clobber: bool
    force: bool
    verify: bool
    sparse: str
    assert_max_rss: int | None
    assert_max_buffered: int | None
    pipe_size: int | None
    assert_upstream_max_rss: int | None
    assert_downstream_max_rss: int | None
    no_progress: bool
    color: str
    report: str | None
    explain: bool  # the run told in Node's words, after the summary

    @property
    def read_mark(self) -> int:
        """The readable's mark: --read-hwm, else --high-water-mark."""
        return self.read_hwm or self.high_water_mark

    @property
    def write_mark(self) -> int:
        """The writable's mark: --write-hwm, else --high-water-mark."""
        return self.write_hwm or self.high_water_mark

    @property
    def needs_summary(self) -> bool:
        """Whether anything will show the summary (text, --json or the HTML report)."""
        return bool(self.as_json or not self.quiet or self.report)
