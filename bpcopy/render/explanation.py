"""The account that --explain prints: the run told in the tutorial's words.

It takes the explainer's Story (bpcopy.diagnostics.explain) and the summary dict, and
returns lines of at most WIDTH columns, at most MAX_LINES of them, whatever the length
of the copy. Five parts: the set-up, the first cycle step by step, the repetition
folded, what stood out, and the verdict with its evidence and advice.

Every measured number comes from the summary or from the trace records the explainer
kept; a derived number says how it was derived. Every comparison of a length with a
mark is asked of bpcopy.streams.marks (write_accepts_more, drain_due, can_push_more),
the rules the streams decide with; none is made here. It knows nothing of streams'
workings, files or the command line.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

from bpcopy.diagnostics.explain import (
    DRAIN,
    PAUSE,
    RESUME,
    Record,
    Run,
    SinkCost,
    Story,
    sink_cost,
)
from bpcopy.diagnostics.reasons import STEERED_BY
from bpcopy.diagnostics.summary import (
    BLAME_SHARE,
    JUDGE_MIN_S,
    WORST_STALL_S,
    too_short_to_judge,
    too_short_verdict,
)
from bpcopy.names import quote
from bpcopy.streams.marks import can_push_more, drain_due, write_accepts_more
from bpcopy.units import format_duration, format_rate, format_size

TITLE = "How this copy went, in Node's words"
WIDTH = 80
MAX_LINES = 40
RUN_LINES = 9  # room for the folded repetition, so the whole account fits MAX_LINES
# Notes of this priority or more telling (lower) outlast all but the last lines of runs.
_KEPT_LONGER = 2
INDENT = "  "


def explanation_lines(story: Story, summary: dict[str, Any], width: int = WIDTH
                      ) -> list[str]:
    """The whole account, as lines of at most `width` columns and at most MAX_LINES.

    When everything would not fit, the least telling notes of "What stood out" give
    way first, then the folded runs shrink, then the other notes but the one on a
    failure."""
    notes = sorted(stood_out_notes(story, summary), key=lambda note: note[0])
    everything = bool(notes)
    run_lines = RUN_LINES
    while True:
        lines = _assemble(story, summary, width, [text for _, text in notes], run_lines,
                          trimmed=everything and not notes)
        if len(lines) <= MAX_LINES:
            return lines
        if notes and notes[-1][0] > _KEPT_LONGER:
            notes = notes[:-1]  # the least telling note gives way first
        elif run_lines > 3:
            run_lines -= 1
        elif notes and notes[-1][0] > 0:
            notes = notes[:-1]
        elif run_lines > 2:
            run_lines -= 1
        else:
            return lines[:MAX_LINES]


def explanation_of_no_copy(summary: dict[str, Any], width: int = WIDTH) -> list[str]:
    """The account of a copy whose streams never ran (a missing source, say)."""
    reason = summary.get("error") or "nothing was read"
    return [TITLE, "", *_wrap(f"No stream ran, so there is nothing to explain: {reason}.",
                               width)]


def _assemble(story: Story, summary: dict[str, Any], width: int, notes: list[str],
              run_lines: int, trimmed: bool = False) -> list[str]:
    lines = [TITLE]
    stood_out = [f"- {note}" for note in notes]
    if not notes and not trimmed:
        stood_out = ["Nothing: every cycle went as above."]
    for title, paragraphs in (("The set-up", setup_part(story)),
                              ("The first cycle, from the trace", first_cycle_part(story)),
                              ("Then", repetition_part(story, width, run_lines)),
                              ("What stood out", stood_out),
                              ("What this run shows", verdict_part(story, summary))):
        if not paragraphs:
            continue
        lines.append("")
        lines.append(title)
        for paragraph in paragraphs:
            lines.extend(_wrap(paragraph, width))
    return lines


# -- 1. the set-up --------------------------------------------------------------------


def setup_part(story: Story) -> list[str]:
    setup = story.setup
    read_mark, write_mark = setup.read_hwm, setup.write_hwm
    text = [f"The readable reads {quote(setup.source)} in chunks of up to "
            f"{_bytes(read_mark)}: "
            f"its highWaterMark is {read_mark}. write() returns false once "
            f"writableLength reaches {write_mark}, the writable's highWaterMark."]
    if setup.mode == "pump":
        text.append("The pump is the tutorial's: when write() returns false it calls "
                    "pause(); on 'drain' it calls resume(); on 'end', end().")
    elif setup.mode == "pipe":
        text.append("pipe() does the same as the tutorial's pump, inside the stream: it "
                    "pauses the source when write() returns false and resumes it on "
                    "'drain'.")
    else:
        text.append("--mode none ignores write()'s answer: it writes every chunk at "
                    "once and nothing calls pause().")
    slow = _simulated_ends(story)
    if slow:
        text.append(slow)
    return [" ".join(text)]


def _simulated_ends(story: Story) -> str:
    setup = story.setup
    given = [(option, value) for option, value in (
        ("--sink-delay", setup.sink_delay and format_duration(setup.sink_delay)),
        ("--sink-jitter", setup.sink_jitter and format_duration(setup.sink_jitter)),
        ("--sink-rate", setup.sink_rate and format_rate(setup.sink_rate)),
        ("--source-delay", setup.source_delay and format_duration(setup.source_delay)),
        ("--source-rate", setup.source_rate and format_rate(setup.source_rate)),
        ("--sink-fail-after", setup.sink_fail_after is not None
         and f"{setup.sink_fail_after} bytes")) if value]
    if len(given) > 2:  # one by one, they would take half the screen
        return "Simulated ends: " + ", ".join(f"{option} {value}"
                                               for option, value in given) + "."
    parts = []
    if setup.sink_delay or setup.sink_rate or setup.sink_jitter:
        parts.append("the destination is slowed: " + _device(
            setup.sink_delay, setup.sink_rate, setup.sink_jitter, "sink", "write"))
    if setup.source_delay or setup.source_rate:
        parts.append("the source is slowed: " + _device(
            setup.source_delay, setup.source_rate, 0.0, "source", "read"))
    if setup.sink_fail_after is not None:
        parts.append(f"the destination fails after {setup.sink_fail_after} bytes "
                     "(--sink-fail-after)")
    if not parts:
        return ""
    return _sentence("; ".join(parts))


def _device(delay: float, rate: float | None, jitter: float, side: str, verb: str) -> str:
    parts = []
    if delay:
        parts.append(f"each {verb} takes at least {format_duration(delay)} "
                     f"(--{side}-delay)")
    if jitter:
        parts.append(f"up to {format_duration(jitter)} more at random (--sink-jitter)")
    if rate:
        parts.append(f"at most {format_rate(rate)} (--{side}-rate)")
    return ", ".join(parts)


# -- 2. the first cycle ---------------------------------------------------------------


def first_cycle_part(story: Story) -> list[str]:
    records = story.first_cycle
    chunk = next((record for record in records if record.event == "chunk"), None)
    if chunk is None:
        return ["No chunk was read." if not story.ending or story.ending[0].event != "error"
                else "The copy failed before the first chunk."]
    setup = story.setup
    who = STEERED_BY[setup.mode]
    fields = chunk.fields
    size, seq = fields["bytes"], fields["seq"]
    writable_length = fields["writable_length"]
    steps = [f"The readable emitted 'data' with chunk {seq}: {_bytes(size)}."]
    caller = "The pump" if setup.mode == "pump" else "pipe()" if setup.mode == "pipe" \
        else "bpcopy"
    queued = writable_length - size
    behind = f" ({queued} bytes were already waiting)" if queued > 0 else ""
    if write_accepts_more(writable_length, setup.write_hwm):
        steps.append(f"{caller} called write(chunk). writableLength became "
                     f"{writable_length}{behind}, less than writableHighWaterMark "
                     f"({setup.write_hwm}), so write() returned true.")
    else:
        need_drain = ", and writableNeedDrain is true" if fields["need_drain"] else ""
        steps.append(f"{caller} called write(chunk). writableLength became "
                     f"{writable_length}{behind}, not less than writableHighWaterMark "
                     f"({setup.write_hwm}), so write() returned false{need_drain}.")
    if fields["paused"] and any(record.event == PAUSE for record in records):
        paused_by = "pipe() paused the source" if setup.mode == "pipe" else \
            f"{who} called pause()"
        steps.append(f"So {paused_by}: readableFlowing is now false. (In the trace, "
                     "'pause' comes first: it fired inside the 'data' handler.)")
    elif not fields["write_ok"]:
        steps.append(f"{who[0].upper() + who[1:]} ignores that answer: nothing called "
                     "pause(), and the next chunk may come at once.")
    else:
        steps.append(f"So {who} did not pause: readableFlowing stays true, and the next "
                     "'data' may follow at once.")
    for record in records:
        if record.event == DRAIN:
            steps.append(_drain_step(record, chunk, setup.read_hwm))
        elif record.event == RESUME:
            resumed_by = "pipe() resumed the source" if setup.mode == "pipe" else \
                f"{who} called resume()"
            if story.chunks == 1 and any(each.event == "end" for each in story.ending):
                ender = "pipe()" if setup.mode == "pipe" else "the pump"
                steps.append(f"On 'drain', {resumed_by}. The readable had no more data, "
                             f"so it emitted 'end', and {ender} called end().")
            else:
                steps.append(f"On 'drain', {resumed_by}, and 'data' flows again.")
    return [f"{number}. {step}" for number, step in enumerate(steps, start=1)]


def _drain_step(drain: Record, chunk: Record, read_mark: int) -> str:
    written = chunk.fields["writable_length"]
    after = format_duration(max(drain.t - chunk.t, 0.0))
    due = drain_due(True, drain.fields["writable_length"])
    text = (f"The writable flushed the {written} bytes and writableLength fell to "
            f"{drain.fields['writable_length']}. 'drain' came {after} after the chunk's "
            "record"
            + (": the buffer emptied after a false write." if due else "."))
    ahead = drain.fields["readable_length"]
    if ahead:
        text += f" Meanwhile the paused readable read ahead: readableLength was {ahead}"
        text += (" at 'drain', its highWaterMark, so it stopped reading." if not can_push_more(
            ahead, read_mark, False) else f" at 'drain', under its mark of {read_mark}.")
    return text


# -- 3. the folded repetition -----------------------------------------------------------


def repetition_part(story: Story, width: int = WIDTH, run_lines: int = RUN_LINES
                    ) -> list[str]:
    """One paragraph per run of alike cycles, within `run_lines` wrapped lines."""
    first_kind = story.runs[0].kind if story.runs else None
    paragraphs: list[str] = []
    entries: list[tuple[Run, bool]] = [(run, False) for run in story.runs]
    entries += [(run, True) for run in story.tally]
    if story.last_run is not None:
        entries.append((story.last_run, False))
    for index, (run, tallied) in enumerate(entries):
        if index == 0:
            continue  # the first cycle, told step by step above
        if tallied:
            paragraph = _tally_text(run, first_kind)
        else:
            paragraph = _run_text(run, first_kind)
        lines_so_far = sum(len(_wrap(text, width)) for text in paragraphs)
        rest = entries[index:]
        if lines_so_far + len(_wrap(paragraph, width)) > run_lines - 2 and len(rest) > 1:
            paragraphs.append(_rest_text([run for run, _ in rest]))
            break
        paragraphs.append(paragraph)
    if not paragraphs and story.chunks == 1:
        paragraphs.append("There was only the one chunk.")
    return paragraphs


def _run_text(run: Run, first_kind: Any) -> str:
    first, count = run.first, run.count
    span = (f"Chunk {first}" if count == 1 else f"Chunks {first} to {run.last}")
    if run.kind == first_kind:
        text = f"{span} repeated this cycle"
    else:
        text = f"{span}: {_kind_text(run.kind)}"
    counts = _event_counts(run.kind, count)
    text += f": {counts}." if counts else "."
    ranges = _ranges(run)
    return f"{text} {ranges}" if ranges else text


def _tally_text(run: Run, first_kind: Any) -> str:
    if not run.kind:
        return (f"{run.count} more cycles of other kinds, between chunks {run.first} and "
                f"{run.last}.")
    what = "this cycle" if run.kind == first_kind else _kind_text(run.kind)
    text = (f"{run.count} more cycles, between chunks {run.first} and {run.last} "
            f"({run.runs} runs): {what}")
    counts = _event_counts(run.kind, run.count)
    return f"{text}: {counts}." if counts else f"{text}."


def _rest_text(runs: list[Run]) -> str:
    count = sum(run.count for run in runs)
    pauses = sum(run.events(PAUSE) for run in runs)
    drains = sum(run.events(DRAIN) for run in runs)
    return (f"Chunks {min(run.first for run in runs)} to {max(run.last for run in runs)}: "
            f"{count} cycles of {len({tuple(run.kind) for run in runs})} kinds, with {pauses} "
            f"pauses and {drains} drains (the trace shows them one by one).")


def _kind_text(kind: tuple[Any, ...]) -> str:
    size, write_ok, paused = next(token for token in kind if isinstance(token, tuple))
    steps = [f"{size} bytes, write() returned {'true' if write_ok else 'false'}"]
    names = {PAUSE: "pause()", DRAIN: "'drain'", RESUME: "resume()"}
    steps += [names[token] for token in kind if token in names]
    if not write_ok and PAUSE not in kind:
        steps.append("no pause")
    return ", ".join(steps)


def _event_counts(kind: tuple[Any, ...], count: int) -> str:
    parts = []
    for token, name in ((PAUSE, "pause"), (DRAIN, "drain")):
        times = kind.count(token) * count
        if times:
            parts.append(f"{times} {name}{'s' if times != 1 else ''}")
    return ", ".join(parts)


def _ranges(run: Run) -> str:
    """What varied between alike cycles: timings and buffer lengths, as ranges."""
    parts = []
    drain_after, ahead = run.drain_after, run.readable_at_drain
    if drain_after is not None:
        parts.append(f"'drain' followed each chunk's record by {_time_span(drain_after)}")
    if ahead is not None and ahead[1]:
        parts.append(f"readableLength at 'drain' was {_count_span(ahead)}")
    if run.writable_low != run.writable_high:
        parts.append(f"writableLength after write() was {_count_span(run.writable)}")
    if drain_after is None and PAUSE not in run.kind and run.count > 1:
        parts.append(f"from one chunk to the next took {_time_span(run.cycle)}")
    if not parts:
        return ""
    return _sentence("; ".join(parts))


def _time_span(span: tuple[float, float]) -> str:
    low, high = format_duration(span[0]), format_duration(span[1])
    return low if low == high else f"{low} to {high}"


def _count_span(span: tuple[int, int] | tuple[float, float]) -> str:
    low, high = span
    return f"{low}" if low == high else f"{low} to {high}"


# -- 4. what stood out ------------------------------------------------------------------


def stood_out_notes(story: Story, summary: dict[str, Any]) -> list[tuple[int, str]]:
    """(priority, note) for what happened out of the ordinary; 0 is kept longest."""
    setup = story.setup
    notes = []
    error = next((record for record in story.ending if record.event == "error"), None)
    if error is not None or not summary.get("ok", True):
        notes.append((0, _failure_note(story, summary, error)))
    writable = story.fullest_writable
    if (writable is not None and writable[0] > setup.write_hwm + setup.read_hwm
            and setup.mode != "none"):  # for --mode none, the verdict tells it
        size, seq = writable
        notes.append((1, f"The writable's buffer went far past its mark: writableLength "
                         f"reached {size} after chunk {seq}, {size - setup.write_hwm} "
                         f"bytes over the mark of {setup.write_hwm}, more than a chunk "
                         f"({setup.read_hwm})."))
    for end in ("downstream", "upstream"):
        report = summary.get(end)
        if report:
            notes.append((2, _kernel_note(end, report)))
    if setup.mode == "pipe" and story.pauses_after_end:
        notes.append((2, "pipe() paused the source once more after 'end': its own "
                         "'finish' listener unpipes, and unpiping the last destination "
                         f"pauses the source. So pauses ({story.pauses}) outnumber drains "
                         f"({story.drains})."))
    readable = story.fullest_readable
    if readable is not None and readable[0] > 0 and not _told_in_first_cycle(story, readable):
        size, seq, where = readable
        place = f"'drain' after chunk {seq}" if where == DRAIN else f"chunk {seq}"
        stops = not can_push_more(size, setup.read_hwm, False)
        notes.append((3, f"The reader buffered while paused: readableLength reached "
                         f"{size} at {place}"
                         + (", its highWaterMark, where reading stops." if stops else
                            f", under its highWaterMark of {setup.read_hwm}.")))
    if story.longest_pause is not None and story.resumes > 1:
        length, seq = story.longest_pause
        notes.append((4, f"The longest pause: {format_duration(length)}, after chunk "
                         f"{seq}. The reader waited that long for 'drain'."))
    if setup.mode == "none" and story.false_writes:
        notes.append((5, f"write() returned false {_times(story.false_writes)}, and "
                         "nothing paused the reader."))
    if (story.resumes == story.drains + 1 and story.drains
            and any(record.event == RESUME for record in story.opening)):
        notes.append((6, f"resume() ran {_times(story.resumes)} for "
                         f"{_plural(story.drains, 'drain')}: the first came before any "
                         "chunk, when the 'data' listener started the flow."))
    return notes


def _kernel_note(end: str, report: dict[str, Any]) -> str:
    """What the kernel's buffer at one end of a pipeline did (the summary's `upstream`
    or `downstream`, from the sampler's readings)."""
    from bpcopy.diagnostics.culprit import short_command

    kind = {"fifo": "FIFO", "socket": "socket"}.get(report.get("kind", ""), "pipe")
    programs = [f"{short_command(each['command'], 40)} (pid {each['pid']})"
                for each in report.get("processes") or []]
    whose = ", ".join(programs) if programs else ("stdout" if end == "downstream"
                                                  else "stdin")
    where = f"The kernel's {kind} {'to' if end == 'downstream' else 'from'} {whose}"
    states = []
    if report.get("full_fraction") is not None:
        states.append(f"full {_percent(report['full_fraction'])} of the time")
    if report.get("empty_fraction") is not None:
        states.append(f"empty {_percent(report['empty_fraction'])}")
    if report.get("max_queued") is not None:
        states.append(f"and held up to {report['max_queued']} bytes")
    return f"{where} was {', '.join(states)}." if states else f"{where} was watched."


def _told_in_first_cycle(story: Story, readable: tuple[int, int, str]) -> bool:
    """Whether step by step already showed the reader's fullest read-ahead."""
    return any(record.event == DRAIN and record.fields["readable_length"] == readable[0]
               for record in story.first_cycle)


def _failure_note(story: Story, summary: dict[str, Any], error: Record | None) -> str:
    message = summary.get("error") or (error.fields.get("message") if error else "")
    if not story.chunks:
        return f"The copy stopped before the first chunk: {message}."
    text = (f"The copy stopped at chunk {story.last_seq}, with {story.bytes} bytes "
            f"read: {message}.")
    drained = story.last_drained
    if drained is not None:
        seq, written = drained
        text += (f" The last 'drain' came after chunk {seq}: the buffer was empty, so "
                 f"the first {written} bytes had been written.")
    else:
        text += " No 'drain' came: the buffer never emptied after a false write."
    return text


# -- 5. the verdict -------------------------------------------------------------------


def verdict_part(story: Story, summary: dict[str, Any]) -> list[str]:
    elapsed = summary["elapsed_s"]
    verdict = summary["verdict"]
    if verdict.startswith(_TOO_SHORT) or too_short_to_judge(elapsed):
        # The summary's own words when it has them (its elapsed time is not yet rounded).
        said = verdict if verdict.startswith(_TOO_SHORT) else too_short_verdict(
            elapsed, summary["chunks"])
        paragraphs = [
            said + ".",
            "Why: a stall of the machine counts as busy time for the side it catches. "
            f"Single stalls of up to {format_duration(WORST_STALL_S)} were measured on a "
            f"busy machine, and a side is blamed once busy for {_percent(BLAME_SHARE)} "
            f"of the copy: it takes about {format_duration(JUDGE_MIN_S)} before one "
            "stall cannot do that alone."]
    else:
        paragraphs = [verdict]
        paragraphs += _evidence_and_advice(story, summary)
    if story.setup.mode == "none":
        paragraphs.append(_none_mode_text(story, summary))
    return paragraphs


_TOO_SHORT = "neither: too short to judge ("


def _evidence_and_advice(story: Story, summary: dict[str, Any]) -> list[str]:
    verdict = summary["verdict"]
    if " reads slowly: " in verdict and summary.get("downstream"):
        return ["The kernel's buffer to that program filled: bpcopy's writes waited for "
                "room in it, so 'drain' came late and the reader sat paused. That "
                "program sets the pace: a larger mark, or a larger pipe (--pipe-size), "
                "only delays the moment the buffers fill."]
    if " writes slowly: " in verdict and summary.get("upstream"):
        return ["The kernel's buffer from that program stayed empty: bpcopy's reads "
                "waited for it, and backpressure hardly engaged. That program sets the "
                "pace: no mark on bpcopy's side makes it write faster."]
    if verdict.startswith("sink-bound"):
        return [_sink_advice(story, summary, sink_cost(story.setup, story))]
    if verdict.startswith("source-bound"):
        return [_source_advice(story, summary)]
    if "evenly matched" in verdict:
        return ["Both ends were busy for about as long: neither held the copy back "
                "alone, so speeding up one of them alone would gain little."]
    return ["Neither end held the copy back: the time went to moving the bytes "
            f"through bpcopy, {summary['chunks']} chunks one at a time. Fewer, larger "
            "chunks (a larger -H) mean less of that per-chunk work."]


def _sink_advice(story: Story, summary: dict[str, Any], cost: SinkCost) -> str:
    setup = story.setup
    chunks, total = summary["chunks"], summary["bytes"]
    elapsed = summary["elapsed_s"]
    if cost.kind == "per write" and cost.per_write_s:
        waited = chunks * cost.per_write_s
        larger = _larger_mark(setup.read_hwm)
        writes_then = -(-total // larger)
        how = ("--sink-delay" if cost.basis == "options" else f"measured: {cost.basis}")
        least = "at least" if cost.basis == "options" else "about"
        return (f"The destination's cost is per write ({how}): each write takes {least} "
                f"{format_duration(cost.per_write_s)} whatever its size. Each chunk is one "
                f"write, so {chunks} writes spent {least} {format_duration(waited)} "
                f"({chunks} x {format_duration(cost.per_write_s)}) of the "
                f"{format_duration(elapsed)}. A larger read mark means fewer writes: with "
                f"-H {_mark_option(larger)}, the {total} bytes take {writes_then} writes, "
                f"{least} {format_duration(writes_then * cost.per_write_s)} of waiting.")
    if cost.kind == "per byte" and cost.rate:
        how = "--sink-rate" if cost.basis == "options" else cost.basis
        return (f"The destination's cost is per byte ({how}): "
                f"it takes at most {format_rate(cost.rate)}, so {total} bytes need about "
                f"{format_duration(total / cost.rate)} whatever the mark. A larger mark "
                "would not make it faster; it would only hold more bytes in "
                "writableLength.")
    if cost.kind == "both":
        return ("The destination costs both per write and per byte (" + cost.basis +
                "): a larger read mark saves the per-write part only.")
    return ("bpcopy cannot tell from this run whether the destination's cost is per "
            f"write or per byte: {cost.basis}. Run it again with another mark (say -H "
            "16KiB and -H 1MiB): if the time falls with the larger mark, the cost is per "
            "write; if it stays, it is per byte.")


def _source_advice(story: Story, summary: dict[str, Any]) -> str:
    setup = story.setup
    paused = summary["paused_s"] / summary["elapsed_s"] if summary["elapsed_s"] else 0.0
    if paused < _HARDLY:
        text = (f"The writer waited for data, and backpressure hardly engaged: the "
                f"reader sat paused for {_percent(paused)} of the copy.")
    else:
        text = (f"The writer waited for data most of the time, though the reader still "
                f"sat paused for {_percent(paused)} of the copy, waiting for 'drain'.")
    if setup.source_delay and not setup.source_rate:
        text += (" Each read costs about "
                 f"{format_duration(setup.source_delay)} whatever its size "
                 "(--source-delay): a larger read mark (--read-hwm) means fewer reads.")
    elif setup.source_rate:
        text += (f" The source gives at most {format_rate(setup.source_rate)} "
                 "(--source-rate): no mark makes it faster.")
    else:
        text += " A larger mark on the writable would not help: the source sets the pace."
    return text


# Under this share of the copy spent paused, backpressure "hardly engaged".
_HARDLY = 0.10


def _none_mode_text(story: Story, summary: dict[str, Any]) -> str:
    setup = story.setup
    peak = summary["max_writable_length"]
    mark = setup.write_hwm
    times = peak / mark if mark else 0.0
    pump_peak = (f"at the mark itself ({mark}), since chunks are the size of the mark"
                 if setup.read_hwm == mark else
                 f"at most one chunk above the mark ({mark} + {setup.read_hwm} bytes)")
    return (f"Nothing paused the reader: writableLength peaked at {_bytes(peak)}, "
            f"{times:.1f} times the mark ({peak} / {mark}). The pump would have kept "
            f"it {pump_peak}.")


def _mark_option(mark: int) -> str:
    """A mark as one would type it after -H: 64KiB, 1MiB, or plain bytes."""
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if mark % size == 0:
            return f"{mark // size}{unit}"
    return str(mark)


def _larger_mark(mark: int) -> int:
    """A mark worth suggesting: four times this one, at least 64 KiB, at most 1 GiB."""
    return min(max(mark * 4, 64 * 1024), 1 << 30)


# -- text helpers -----------------------------------------------------------------------


def _sentence(text: str) -> str:
    """Capitalised and closed, unless it starts with a name from Node's API
    (writableLength, 'drain', write()), which keeps its spelling."""
    first = text.split(" ", 1)[0]
    keeps_case = first.startswith("'") or "(" in first or first != first.lower()
    return (text if keeps_case else text[0].upper() + text[1:]) + "."


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


def _bytes(count: int) -> str:
    if count < 1024:
        return f"{count} byte{'s' if count != 1 else ''}"
    return f"{count} bytes ({format_size(count)})"


def _percent(share: float) -> str:
    return f"{min(share, 1.0) * 100:.0f}%"


_NUMBER_AND_UNIT = re.compile(r"(\d) (ns|µs|ms|s|B|KiB|MiB|GiB|TiB)\b")
_GLUE = "\x00"


def _wrap(paragraph: str, width: int) -> list[str]:
    """A paragraph as indented lines; a numbered step or a bullet hangs its lines.
    A number and its unit stay on one line; only a word longer than a line (a long
    path) is broken."""
    head = paragraph.split(" ", 1)[0]
    hang = " " * (len(head) + 1) if head == "-" or head.rstrip(".").isdigit() else ""
    glued = _NUMBER_AND_UNIT.sub(lambda match: f"{match[1]}{_GLUE}{match[2]}", paragraph)
    lines = textwrap.wrap(glued, width=width, initial_indent=INDENT,
                          subsequent_indent=INDENT + hang, break_on_hyphens=False)
    return [line.replace(_GLUE, " ") for line in lines]
