"""Each contract has one owner: the summary's shape, the default mark, the modes, signals."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import click
import pytest

from bpcopy.cli import command, parse_options
from bpcopy.copy import CopyOptions, run_copy
from bpcopy.pump import MODES
from bpcopy.signals import EndingSignals, Interrupted
from bpcopy.streams.marks import DEFAULT_HIGH_WATER_MARK


def test_a_copy_that_never_ran_has_the_summary_shape_of_one_that_did(tmp_path: Path) -> None:
    source = tmp_path / "in.bin"
    source.write_bytes(b"x" * 100_000)
    done = run_copy(CopyOptions(source=str(source), dest=str(tmp_path / "out.bin")))
    never = run_copy(CopyOptions(source=str(tmp_path / "missing"), dest=str(tmp_path / "o")))
    assert done.error is None and done.summary["bytes"] == 100_000
    assert never.error is not None and never.exit_code == 1 and never.recorder is None
    assert list(never.summary) == list(done.summary)
    assert never.summary["source_busy_s"] == never.summary["sink_busy_s"] == 0.0
    assert never.summary["verdict"] == "neither: the copy did not run"
    assert never.summary["readable_high_water_mark"] == DEFAULT_HIGH_WATER_MARK


def test_verify_adds_its_fields_to_the_summary(tmp_path: Path) -> None:
    source = tmp_path / "in.bin"
    source.write_bytes(b"y" * 70_000)
    outcome = run_copy(CopyOptions(source=str(source), dest=str(tmp_path / "out.bin"),
                                   verify=True))
    assert outcome.summary["sha256"] == outcome.summary["dest_sha256"]
    assert outcome.summary["verified"] == "destination re-read and matched"


def test_the_command_line_takes_its_default_mark_from_the_streams() -> None:
    options = parse_options(["a", "b"])
    assert options.high_water_mark == DEFAULT_HIGH_WATER_MARK
    assert options.read_mark == options.write_mark == DEFAULT_HIGH_WATER_MARK
    assert parse_options(["a", "b", "-H", "1K", "--write-hwm", "2K"]).write_mark == 2048


def test_the_command_line_offers_exactly_the_strategies_modes() -> None:
    mode = next(param for param in command.params if param.name == "mode")
    assert isinstance(mode.type, click.Choice)
    assert tuple(mode.type.choices) == MODES
    assert parse_options(["a", "b"]).mode == MODES[0]


def test_a_trace_file_implies_the_trace_and_json_refuses_a_trace_on_stderr() -> None:
    assert parse_options(["a", "b", "--trace-file", "t.jsonl"]).trace is True
    with pytest.raises(click.UsageError):
        parse_options(["a", "b", "--json", "--trace"])


def test_a_signal_inside_the_window_raises_interrupted_and_leaving_restores_handlers() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Interrupted) as caught, EndingSignals() as window:
        os.kill(os.getpid(), signal.SIGTERM)
        signal.sigtimedwait([], 0)  # a call, so Python runs the handler now
    assert caught.value.signum == signal.SIGTERM and caught.value.exit_status == 143
    assert window.caught is caught.value
    assert signal.getsignal(signal.SIGTERM) is before


def test_the_first_signal_decides_the_outcome() -> None:
    window = EndingSignals()
    first = window.interrupt(signal.SIGINT)
    assert window.interrupt(signal.SIGTERM) is first
    assert first.exit_status == 130 and "SIGINT" in str(first)


def _slow_copy(tmp_path: Path) -> CopyOptions:
    source = tmp_path / "in.bin"
    source.write_bytes(b"z" * (1 << 20))
    return CopyOptions(source=str(source), dest=str(tmp_path / "out.bin"), sink_rate=1 << 20)


def test_a_signal_while_the_copy_runs_ends_it_through_its_streams(tmp_path: Path) -> None:
    before = signal.getsignal(signal.SIGTERM)

    def run_on_loop(copy):
        async def main():
            asyncio.get_running_loop().call_later(0.05, os.kill, os.getpid(), signal.SIGTERM)
            return await copy.run()

        return asyncio.run(main())

    outcome = run_copy(_slow_copy(tmp_path), run_on_loop)
    assert isinstance(outcome.error, Interrupted) and outcome.exit_code == 143
    assert outcome.recorder is not None and 0 < outcome.summary["bytes"] < 1 << 20
    assert sorted(os.listdir(tmp_path)) == ["in.bin"]  # the temporary file is gone
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_signal_before_the_copy_runs_abandons_the_opened_ends(tmp_path: Path) -> None:
    def run_on_loop(copy):
        os.kill(os.getpid(), signal.SIGINT)
        signal.sigtimedwait([], 0)
        raise AssertionError("the signal should have ended the copy")

    outcome = run_copy(_slow_copy(tmp_path), run_on_loop)
    assert isinstance(outcome.error, Interrupted) and outcome.exit_code == 130
    assert outcome.recorder is None and outcome.summary["bytes"] == 0
    assert sorted(os.listdir(tmp_path)) == ["in.bin"]
