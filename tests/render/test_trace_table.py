"""The human trace table: aligned, within the terminal's width, coloured by event."""

import io

from bpcopy.render.trace import FULL_TABLE_WIDTH, TableTrace


def write_some_rows(table: TableTrace) -> None:
    table.event("resume", 0.0001, {"resumes": 1})
    table.event("pause", 0.0002, {"pauses": 1})
    table.chunk(0.0003, 1, 65536, False, 0, 65536, True, True, 0, 1, 25 * 1048576)
    table.event("drain", 0.0100, {"drains": 1, "writable_length": 0, "readable_length": 0})
    table.chunk(0.0101, 2, 65536, True, 0, 0, False, False, 1, 1, 25 * 1048576)
    table.event("finish", 12.5, {"bytes": 8 * 1024**3})


def test_an_80_column_terminal_gets_the_compact_table_and_no_row_wraps():
    out = io.StringIO()
    write_some_rows(TableTrace(out, width=80))
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["t", "event", "seq", "bytes", "ok", "readable", "writable",
                                "paused", "drains", "pauses"]
    assert all(len(line) <= 80 for line in lines)
    assert all(line == line.rstrip() for line in lines)


def test_a_file_or_a_wide_terminal_gets_every_column_aligned():
    out = io.StringIO()  # not a terminal: the full table
    write_some_rows(TableTrace(out))
    lines = out.getvalue().splitlines()
    assert "rss" in lines[0] and "drain?" in lines[0]
    assert len(lines[0]) == FULL_TABLE_WIDTH
    chunk_rows = [line for line in lines if " chunk " in line]
    assert all(len(line) == FULL_TABLE_WIDTH for line in chunk_rows)
    assert "8.00 GiB" in lines[-1]  # a total too long for its column is shortened


def test_colour_marks_refused_writes_pauses_and_drains():
    out = io.StringIO()
    write_some_rows(TableTrace(out, color=True, width=120))
    lines = out.getvalue().splitlines()
    assert lines[2].startswith("\x1b[31m")  # pause
    assert lines[3].startswith("\x1b[33m")  # chunk whose write() returned false
    assert lines[4].startswith("\x1b[36m")  # drain
    assert not lines[5].startswith("\x1b[")  # a chunk that was accepted stays plain
