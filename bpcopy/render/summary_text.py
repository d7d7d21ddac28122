"""The end-of-copy summary as plain text, for logs and any stderr that is not a terminal.

It takes the summary dict (bpcopy.diagnostics.summary) and returns lines; it knows
nothing of streams. The terminal version with colour and a chart lives in
render/terminal.py.
"""

from __future__ import annotations

from typing import Any

from bpcopy.units import counted, format_duration, format_rate, format_size


def summary_rows(summary: dict[str, Any], compact: bool = False) -> list[tuple[str, str]]:
    """(label, value) pairs, in the order people read them. `compact` abbreviates the
    figures for a narrow terminal (about 40 columns); prose and hashes stay whole."""
    size = short_size if compact else format_size
    if compact:
        rows = [
            *_amount_rows(summary, compact),
            ("time", f"{format_duration(summary['elapsed_s'])} at "
                     f"{format_rate(summary['throughput_bps'])}"),
            ("mode", f"{summary['mode']}, marks {size(summary['readable_high_water_mark'])}"
                     f"/{size(summary['writable_high_water_mark'])}"),
            ("pressure", f"{counted(summary['pauses'], 'pause')}, "
                         f"{counted(summary['drains'], 'drain')}"),
            ("paused", format_duration(summary["paused_s"])),
            ("buffers", f"read {size(summary['max_readable_length'])}, "
                        f"write {size(summary['max_writable_length'])}"),
            ("RSS", f"{size(summary['start_rss'])} start, {size(summary['peak_rss'])} peak"),
        ]
    else:
        rows = [
            *_amount_rows(summary, compact),
            ("time", f"{format_duration(summary['elapsed_s'])} at "
                     f"{format_rate(summary['throughput_bps'])}"),
            ("mode", f"{summary['mode']}, marks: "
                     f"read {format_size(summary['readable_high_water_mark'])}, "
                     f"write {format_size(summary['writable_high_water_mark'])}"),
            ("backpressure", f"{counted(summary['pauses'], 'pause')}, "
                             f"{counted(summary['resumes'], 'resume')}, "
                             f"{counted(summary['drains'], 'drain')}, paused "
                             f"{format_duration(summary['paused_s'])}"),
            ("buffers (max)", f"readable {format_size(summary['max_readable_length'])}, "
                              f"writable {format_size(summary['max_writable_length'])}"),
            ("memory (RSS)", f"{format_size(summary['start_rss'])} at start, "
                             f"{format_size(summary['peak_rss'])} peak"),
        ]
    if summary.get("sha256"):
        rows.append(("sha256", f"{summary['sha256']} ({summary.get('verified', '')})"))
    if summary.get("seed") is not None:
        rows.append(("seed", f"{summary['seed']} (--seed {summary['seed']} repeats the "
                             "random delays and short writes)"))
    if summary.get("error"):
        rows.append(("error", summary["error"]))
    rows.append(("verdict", summary["verdict"]))
    return rows


def _amount_rows(summary: dict[str, Any], compact: bool) -> list[tuple[str, str]]:
    """What was copied; or, when the destination took less than was read (a full disk,
    --max-buffer), both amounts: "copied" would count bytes that never arrived."""
    read, chunks = summary["bytes"], summary["chunks"]
    written = summary.get("bytes_written", read)
    if compact:
        amount = f"{short_size(read)} in {counted(chunks, 'chunk')}"
        if written == read:
            return [("copied", amount)]
        return [("read", amount), ("wrote", short_size(written))]
    amount = (f"{format_size(read)} ({counted(read, 'byte')}) in "
              f"{counted(chunks, 'chunk')}")
    if written == read:
        return [("copied", amount)]
    return [("data", f"read {amount}, wrote {format_size(written)} "
                     f"({counted(written, 'byte')})")]


def short_size(size: float) -> str:
    """64.0K for 64.0 KiB: a size in at most seven cells."""
    return format_size(size).replace(" B", "B").replace("iB", "").replace(" ", "")


def format_summary_text(summary: dict[str, Any], title: str | None = None) -> str:
    """The summary as lines under `title` (by default, whether the copy succeeded)."""
    rows = summary_rows(summary)
    width = max(len(label) for label, _ in rows)
    if title is None:
        title = "bpcopy: copy complete" if summary["ok"] else "bpcopy: copy FAILED"
    lines = [title] + [f"  {label:<{width}}  {value}" for label, value in rows]
    return "\n".join(lines) + "\n"
