"""How `bpcopy --help` is laid out: options in sections, then the units and exit statuses.

The sections follow pv's manual: each option's long name maps to its section in
`SECTION_OF`, a plain table that a new option joins with one line; an option missing
from it lands in "Other options", so it is never left out. Rendering is click's own
formatter (no rich-click, which would cost start-up time on every run), fitted to the
terminal's width however narrow: click's default never goes below 50 columns.

It knows click's help API and the wording of --help; nothing of copying.
"""

from __future__ import annotations

import click

MARKS = "Marks and strategy"
ENDS = "Simulated ends"
FAULTS = "Faults"
OUTPUT = "Output and traces"
SAFETY = "Safety"
GUARDS = "CI guards"
PIPELINE = "The pipeline"
OTHER = "Other options"
SECTIONS = (MARKS, ENDS, FAULTS, OUTPUT, SAFETY, GUARDS, PIPELINE, OTHER)

# Each option's section, by its long name. Options yet to come are listed already.
SECTION_OF = {
    "--high-water-mark": MARKS,
    "--read-hwm": MARKS,
    "--write-hwm": MARKS,
    "--mode": MARKS,
    "--max-buffer": MARKS,
    "--sink-delay": ENDS,
    "--sink-rate": ENDS,
    "--sink-jitter": ENDS,
    "--source-delay": ENDS,
    "--source-rate": ENDS,
    "--seed": ENDS,
    "--sink-fail-after": FAULTS,
    "--sink-short-writes": FAULTS,
    "--trace": OUTPUT,
    "--trace-format": OUTPUT,
    "--trace-file": OUTPUT,
    "--quiet": OUTPUT,
    "--json": OUTPUT,
    "--no-progress": OUTPUT,
    "--color": OUTPUT,
    "--report": OUTPUT,
    "--explain": OUTPUT,
    "--fsync": SAFETY,
    "--no-clobber": SAFETY,
    "--force": SAFETY,
    "--verify": SAFETY,
    "--sparse": SAFETY,
    "--assert-max-rss": GUARDS,
    "--assert-max-buffered": GUARDS,
    "--assert-upstream-max-rss": GUARDS,
    "--assert-downstream-max-rss": GUARDS,
    "--pipe-size": PIPELINE,
}

UNITS = (
    ("SIZE", "a whole number of bytes, with an optional unit: B; K or KiB, M or MiB, "
             "G or GiB, T or TiB (powers of 1024); KB, MB, GB, TB (powers of 1000). "
             "Units ignore case. E.g. 4096, 64KiB, 1MB."),
    ("DURATION", "a number with an optional unit: ns, us (or µs), ms, s, m (minutes), h; "
                 "a bare number is seconds. E.g. 500us, 2ms, 1.5s."),
    ("RATE", "bytes per second: a SIZE that may be fractional, with an optional /s "
             "(100MiB/s and 100MiB are the same rate). E.g. 1.5MiB/s."),
)

EXIT_STATUSES = (
    ("0", "the copy is complete"),
    ("1", "a runtime or I/O error (one line names the file and the reason)"),
    ("2", "a usage error: a bad option value or an unknown option"),
    ("3", "a CI guard failed; the copy itself is complete"),
    ("128+N", "ended by signal N (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP) after removing "
              "the temporary file and printing the summary so far; bpcopy dies by the "
              "signal itself. SIGUSR1 prints the summary so far and the copy goes on "
              "(not with --json or -q)."),
    ("141", "the reader of stdout went away, as with cat"),
)

NARROWEST = 20  # below this, wrapping helps nobody


def section_of(param: click.Parameter) -> str:
    long_names = [name for name in param.opts if name.startswith("--")]
    return SECTION_OF.get(long_names[0], OTHER) if long_names else OTHER


class HelpContext(click.Context):
    """A context whose help fits the terminal, however narrow (click stops at 50)."""

    def make_formatter(self) -> click.HelpFormatter:
        import shutil  # here, not at the top: it brings compression modules a copy never needs

        columns = shutil.get_terminal_size().columns
        width = max(min(columns, self.max_content_width or 80) - 2, NARROWEST)
        return click.HelpFormatter(width=width)


class SectionedCommand(click.Command):
    """A command whose --help groups its options into SECTIONS and ends with the grammar
    of the units and the exit statuses."""

    context_class = HelpContext

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows: dict[str, list[tuple[str, str]]] = {section: [] for section in SECTIONS}
        for param in self.get_params(ctx):
            if not isinstance(param, click.Option):
                continue  # SRC and DST are in the usage line and the description
            record = param.get_help_record(ctx)
            if record is not None:
                rows[section_of(param)].append(record)
        for section, records in rows.items():
            if records:
                with formatter.section(section):
                    formatter.write_dl(records, col_max=first_column(formatter))

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        for title, records in (("Units", UNITS), ("Exit statuses", EXIT_STATUSES)):
            with formatter.section(title):
                formatter.write_dl(records, col_max=first_column(formatter))


def first_column(formatter: click.HelpFormatter) -> int:
    """The widest an option's name may be beside its help; a longer one gets its own
    line. On a narrow terminal every name does, with its help indented below it, as in
    a manual page."""
    return 30 if formatter.width >= 70 else 6

