"""The end-of-copy summary as plain text, for logs and any stderr that is not a terminal.

It takes the summary dict (bpcopy.diagnostics.summary) and returns lines; it knows
nothing of streams. The terminal version with colour and a chart lives in
render/terminal.py.
"""

from __future__ import annotations

from typing import Any

from bpcopy.units import format_duration, format_rate, format_size


def summary_rows(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) pairs, in the order people read them."""
    rows = [
        _amount_row(summary),
        ("time", f"{format_duration(summary['elapsed_s'])} at "
                 f"{format_rate(summary['throughput_bps'])}"),
        ("mode", f"{summary['mode']}, marks: "
                 f"read {format_size(summary['readable_high_water_mark'])}, "
                 f"write {format_size(summary['writable_high_water_mark'])}"),
        ("backpressure", f"{summary['pauses']} pauses, {summary['resumes']} resumes, "
                         f"{summary['drains']} drains, paused "
                         f"{format_duration(summary['paused_s'])}"),
        ("buffers (max)", f"readable {format_size(summary['max_readable_length'])}, "
                          f"writable {format_size(summary['max_writable_length'])}"),
        ("memory (RSS)", f"{format_size(summary['start_rss'])} at start, "
                         f"{format_size(summary['peak_rss'])} peak"),
    ]
    if summary.get("sha256"):
        rows.append(("sha256", f"{summary['sha256']} ({summary.get('verified', '')})"))
    if summary.get("error"):
        rows.append(("error", summary["error"]))
    rows.append(("verdict", summary["verdict"]))
    return rows


def _amount_row(summary: dict[str, Any]) -> tuple[str, str]:
    """What was copied; or, when the destination took less than was read (a full disk,
    --max-buffer), both amounts: "copied" would count bytes that never arrived."""
    read = summary["bytes"]
    amount = f"{format_size(read)} ({read} bytes) in {summary['chunks']} chunks"
    written = summary.get("bytes_written", read)
    if written == read:
        return ("copied", amount)
    return ("data", f"read {amount}, wrote {format_size(written)} ({written} bytes)")


def format_summary_text(summary: dict[str, Any]) -> str:
    rows = summary_rows(summary)
    width = max(len(label) for label, _ in rows)
    title = "bpcopy: copy complete" if summary["ok"] else "bpcopy: copy FAILED"
    lines = [title] + [f"  {label:<{width}}  {value}" for label, value in rows]
    return "\n".join(lines) + "\n"
