"""Trace writers: one record per event, as JSON Lines, CSV or an aligned table.

JSON Lines chunk records carry exactly these fields, in this order (a contract that
users' scripts parse):
  event, t, seq, bytes, write_ok, readable_length, writable_length, need_drain, paused,
  drains, pauses, rss
Other records (pause, resume, drain, end, finish, error) carry "event" and "t" and the
fields the recorder hands over (drain: drains, writable_length, readable_length;
error: message). In a pipeline, kernel records come at the kernel sampler's rate:
  {"event":"kernel","t":T,"upstream_queued":N|null,"downstream_queued":N|null}
(the bytes queued in the kernel's buffer at each end; null where that end is not a pipe,
FIFO or socket).

The chunk writers format strings by hand rather than through json/csv modules: they run
once per chunk and must stay within a few microseconds.
"""

from __future__ import annotations

import json
from typing import IO, Any

from bpcopy import names

CHUNK_FIELDS = ("t", "seq", "bytes", "write_ok", "readable_length", "writable_length",
                "need_drain", "paused", "drains", "pauses", "rss")
KERNEL_FIELDS = ("upstream_queued", "downstream_queued")
CSV_FIELDS = ("event", *CHUNK_FIELDS, "message", *KERNEL_FIELDS)

_JSON_BOOL = {True: "true", False: "false"}


class TraceRecords:
    """What every trace writer offers. The recorder calls `chunk`, `pause`, `resume` and
    `drain` once per chunk each, so a writer may format those four directly; the rest
    come through `event`."""

    def event(self, name: str, t: float, fields: dict[str, Any]) -> None:
        raise NotImplementedError

    def pause(self, t: float, pauses: int) -> None:
        self.event("pause", t, {"pauses": pauses})

    def resume(self, t: float, resumes: int) -> None:
        self.event("resume", t, {"resumes": resumes})

    def drain(self, t: float, drains: int, writable_length: int, readable_length: int) -> None:
        self.event("drain", t, {"drains": drains, "writable_length": writable_length,
                                "readable_length": readable_length})

    def kernel(self, t: float, upstream_queued: int | None,
               downstream_queued: int | None) -> None:
        self.event("kernel", t, {"upstream_queued": upstream_queued,
                                 "downstream_queued": downstream_queued})


class JsonLinesTrace(TraceRecords):
    def __init__(self, out: IO[str]) -> None:
        self.out = out

    def pause(self, t: float, pauses: int) -> None:
        self.out.write(f'{{"event":"pause","t":{t:.6f},"pauses":{pauses}}}\n')

    def resume(self, t: float, resumes: int) -> None:
        self.out.write(f'{{"event":"resume","t":{t:.6f},"resumes":{resumes}}}\n')

    def drain(self, t: float, drains: int, writable_length: int, readable_length: int) -> None:
        self.out.write(f'{{"event":"drain","t":{t:.6f},"drains":{drains},'
                       f'"writable_length":{writable_length},'
                       f'"readable_length":{readable_length}}}\n')

    def chunk(self, t: float, seq: int, size: int, write_ok: bool, readable_length: int,
              writable_length: int, need_drain: bool, paused: bool, drains: int,
              pauses: int, rss: int) -> None:
        self.out.write(
            f'{{"event":"chunk","t":{t:.6f},"seq":{seq},"bytes":{size},'
            f'"write_ok":{_JSON_BOOL[write_ok]},"readable_length":{readable_length},'
            f'"writable_length":{writable_length},"need_drain":{_JSON_BOOL[need_drain]},'
            f'"paused":{_JSON_BOOL[paused]},"drains":{drains},"pauses":{pauses},'
            f'"rss":{rss}}}\n')

    def event(self, name: str, t: float, fields: dict[str, Any]) -> None:
        # Counts and lengths (plain ints) need no escaping; anything else goes through json.
        rest = "".join(
            f',"{key}":{value}' if value.__class__ is int else
            f",{json.dumps(key)}:{json.dumps(names.json_safe(value))}"
            for key, value in fields.items())
        self.out.write(f'{{"event":"{name}","t":{t:.6f}{rest}}}\n')


class CsvTrace(TraceRecords):
    """Every record on one header: chunk columns, with `message` for errors."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        out.write(",".join(CSV_FIELDS) + "\n")

    def chunk(self, t: float, seq: int, size: int, write_ok: bool, readable_length: int,
              writable_length: int, need_drain: bool, paused: bool, drains: int,
              pauses: int, rss: int) -> None:
        self.out.write(
            f"chunk,{t:.6f},{seq},{size},{_JSON_BOOL[write_ok]},{readable_length},"
            f"{writable_length},{_JSON_BOOL[need_drain]},{_JSON_BOOL[paused]},"
            f"{drains},{pauses},{rss},,,\n")

    def event(self, name: str, t: float, fields: dict[str, Any]) -> None:
        row = {"event": name, "t": f"{t:.6f}", **fields}
        cells = []
        for column in CSV_FIELDS:
            value = row.get(column, "")
            if value is None:
                value = ""
            elif isinstance(value, bool):
                value = _JSON_BOOL[value]
            text = names.text(str(value))
            if any(mark in text for mark in ',"\n'):
                text = '"' + text.replace('"', '""') + '"'
            cells.append(text)
        self.out.write(",".join(cells) + "\n")


# (header, width). The full table needs 104 columns; a narrower terminal gets the compact
# one, which leaves out need_drain (on chunk rows it is the opposite of write_ok) and RSS
# (the summary has it), so that no row wraps in 80 columns.
TABLE_COLUMNS = (("t", 10), ("event", 7), ("seq", 7), ("bytes", 8), ("write_ok", 8),
                 ("readable", 9), ("writable", 9), ("drain?", 6), ("paused", 6),
                 ("drains", 7), ("pauses", 7), ("rss", 9))
COMPACT_TABLE_COLUMNS = (("t", 10), ("event", 6), ("seq", 6), ("bytes", 8), ("ok", 5),
                         ("readable", 8), ("writable", 9), ("paused", 6), ("drains", 6),
                         ("pauses", 6))
FULL_TABLE_WIDTH = sum(width for _, width in TABLE_COLUMNS) + len(TABLE_COLUMNS) - 1
_COMPACT_SOURCE = {"ok": "write_ok"}  # compact header -> the full column it shows


class TableTrace(TraceRecords):
    """An aligned table for people. With colour, rows where write() returned false are
    yellow, pauses red, resumes green and drains cyan.

    It fits the terminal it writes to: the full table when there is room (or when the
    output is a file), the compact one otherwise. With `why` (a
    bpcopy.diagnostics.reasons.Reasons, for --explain), a last column gives each
    record's reason."""

    def __init__(self, out: IO[str], color: bool = False, width: int | None = None,
                 why: Any = None) -> None:
        self.out = out
        self.color = color
        self.why = why
        width = width if width is not None else _terminal_width(out)
        self.columns = (COMPACT_TABLE_COLUMNS if width is not None and width < FULL_TABLE_WIDTH
                        else TABLE_COLUMNS)
        self._picks = tuple(_column_index(name) for name, _ in self.columns)
        header = " ".join(f"{name:>{width}}" for name, width in self.columns)
        if why is not None:
            header += "  why"
        out.write((f"\x1b[1m{header}\x1b[0m" if color else header) + "\n")

    def _row(self, cells: tuple[Any, ...], style: str | None, why: str = "") -> None:
        line = " ".join(f"{cells[index]!s:>{width}}" for index, (_, width)
                        in zip(self._picks, self.columns, strict=True))
        # Trailing blanks would wrap into empty lines on a terminal just too narrow.
        line = f"{line}  {why}".rstrip() if why else line.rstrip()
        if self.color and style:
            line = f"\x1b[{style}m{line}\x1b[0m"
        self.out.write(line + "\n")

    def chunk(self, t: float, seq: int, size: int, write_ok: bool, readable_length: int,
              writable_length: int, need_drain: bool, paused: bool, drains: int,
              pauses: int, rss: int) -> None:
        self._row((f"{t:.6f}", "chunk", seq, size, _yes_no(write_ok), readable_length,
                   writable_length, _yes_no(need_drain), _yes_no(paused), drains, pauses,
                   _mib(rss)), None if write_ok else "33",
                  self.why.chunk(write_ok, writable_length, paused) if self.why else "")

    def kernel(self, t: float, upstream_queued: int | None,
               downstream_queued: int | None) -> None:
        # The kernel's buffers have no column of their own: one short line says both.
        event_width = self.columns[1][1]
        self.out.write(f"{t:>10.6f} {'kernel':>{event_width}} upstream {_queued(upstream_queued)}, "
                       f"downstream {_queued(downstream_queued)}\n")

    def event(self, name: str, t: float, fields: dict[str, Any]) -> None:
        style = {"pause": "31", "resume": "32", "drain": "36", "error": "1;31"}.get(name)
        if name == "error":
            if self.why is not None:
                self.why.event(name)
            message = names.text(str(fields.get("message", "")))
            self.out.write(f"{t:>10.6f} {'error':>6} {message}\n"
                           if not self.color else
                           f"\x1b[1;31m{t:>10.6f} {'error':>6} {message}"
                           "\x1b[0m\n")
            return
        self._row((f"{t:.6f}", name, "", _total(fields.get("bytes", "")), "",
                   fields.get("readable_length", ""), fields.get("writable_length", ""), "",
                   "", fields.get("drains", ""), fields.get("pauses", ""), ""), style,
                  self._why_event(name, fields) if self.why else "")

    def _why_event(self, name: str, fields: dict[str, Any]) -> str:
        why = self.why
        if name == "pause":
            return why.pause()
        if name == "resume":
            return why.resume()
        if name == "drain":
            return why.drain(fields.get("writable_length", 0), fields.get("readable_length", 0))
        return why.event(name)


def _column_index(name: str) -> int:
    name = _COMPACT_SOURCE.get(name, name)
    return next(index for index, (full, _) in enumerate(TABLE_COLUMNS) if full == name)


def _terminal_width(out: IO[str]) -> int | None:
    """Columns of the terminal `out` writes to, or None for a file or a pipe."""
    import os

    try:
        if not out.isatty():
            return None
        return os.get_terminal_size(out.fileno()).columns
    except (AttributeError, OSError, ValueError):
        return None


def _total(size: Any) -> Any:
    """End and finish rows carry the whole copy's size: keep it inside the column."""
    if isinstance(size, int) and len(str(size)) > 8:
        from bpcopy.units import format_size

        return format_size(size)
    return size


def _queued(size: int | None) -> str:
    return "-" if size is None else f"{size} B"


def _yes_no(value: bool) -> str:
    return "true" if value else "false"


def _mib(rss: int) -> str:
    return f"{rss / 1048576:.1f}M" if rss else ""


def make_trace(format_name: str, out: IO[str], color: bool = False, why: Any = None) -> Any:
    """A trace writer. `why` (--explain's reasons) adds the table's last column; JSON
    Lines and CSV records keep exactly their fields."""
    if format_name == "jsonl":
        return JsonLinesTrace(out)
    if format_name == "csv":
        return CsvTrace(out)
    return TableTrace(out, color=color, why=why)
