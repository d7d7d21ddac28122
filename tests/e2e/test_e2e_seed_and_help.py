"""The command line's own promises: a seed that repeats a run, --help's sections and
grammar, shell completion, and the small wordings (1 chunk, errors, faults, rates)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from e2e_helpers import (
    BPCOPY,
    HANG_TIMEOUT_S,
    cli,
    kill_quietly,
    summary_of,
    wait_for_copy_to_write,
)

STRACE = shutil.which("strace")


def write_results(tmp_path: Path, *args: str) -> list[int]:
    """What each write() to the destination returned, seen through strace."""
    log = tmp_path / "strace.log"
    subprocess.run([STRACE, "-f", "-e", "trace=write", "-o", str(log), *BPCOPY, *args],
                   cwd=tmp_path, check=True, capture_output=True, timeout=HANG_TIMEOUT_S)
    results = [int(line.rsplit("= ", 1)[1].split()[0])
               for line in log.read_text().splitlines() if "write(" in line and "= " in line]
    log.unlink()
    return results


def test_a_run_without_seed_reports_the_seed_it_picked(tmp_path: Path, data) -> None:
    src, content = data(size=300_000)
    first = summary_of(cli(src, tmp_path / "a", "--sink-short-writes", "--json"))
    second = summary_of(cli(src, tmp_path / "b", "--sink-jitter", "100us", "--json"))
    assert isinstance(first["seed"], int) and first["seed"] >= 0
    assert isinstance(second["seed"], int)
    assert (tmp_path / "a").read_bytes() == content
    plain = cli(src, tmp_path / "c", "--sink-jitter", "100us", "--seed", "42")
    assert re.search(r"^  seed +42 ", plain.stderr.decode(), re.MULTILINE)


def test_no_seed_is_reported_when_nothing_is_random(tmp_path: Path, data) -> None:
    src, _ = data(size=1000)
    assert "seed" not in summary_of(cli(src, tmp_path / "a", "--json", "--seed", "3"))


@pytest.mark.skipif(STRACE is None, reason="strace is not installed")
def test_the_reported_seed_repeats_the_short_writes(tmp_path: Path, data) -> None:
    src, _ = data(size=400_000)
    log = tmp_path / "first.json"
    with open(log, "wb") as err:
        subprocess.run([STRACE, "-f", "-e", "trace=write", "-o", str(tmp_path / "first.log"),
                        *BPCOPY, "src.bin", "a", "--sink-short-writes", "--json"],
                       cwd=tmp_path, stderr=err, check=True, timeout=HANG_TIMEOUT_S)
    seed = summary_of(log.read_bytes())["seed"]
    first = [int(line.rsplit("= ", 1)[1].split()[0]) for line in
             (tmp_path / "first.log").read_text().splitlines() if "write(" in line]
    again = write_results(tmp_path, "src.bin", "b", "--sink-short-writes", "--json",
                          "--seed", str(seed))
    other = write_results(tmp_path, "src.bin", "c", "--sink-short-writes", "--json",
                          "--seed", str(seed + 1))
    # The last write of each run is the JSON summary on stderr, whose timings differ.
    assert len(first) > 8 and first[:-1] == again[:-1]
    assert other[:-1] != first[:-1]


def test_a_negative_seed_is_refused(tmp_path: Path, data) -> None:
    src, _ = data(size=10)
    result = cli(src, tmp_path / "a", "--sink-jitter", "1ms", "--seed", "-7")
    assert result.returncode == 2
    assert "--seed" in result.stderr.decode() and "Traceback" not in result.stderr.decode()
    assert not (tmp_path / "a").exists()


# -- --help ---------------------------------------------------------------------------

SECTION_TITLES = ["Marks and strategy", "Simulated ends", "Faults", "Output and traces",
                  "Safety", "CI guards", "The pipeline", "Other options"]


def help_sections(text: str) -> dict[str, str]:
    """--help's text by section heading (a line "Title:" at the left margin)."""
    sections: dict[str, str] = {}
    title = ""
    for line in text.splitlines():
        if line.endswith(":") and not line.startswith(" "):
            title = line[:-1]
            sections[title] = ""
        elif title:
            sections[title] += line + "\n"
    return sections


def option_names(section: str) -> list[str]:
    return re.findall(r"^  (?:-\w, )?(--[\w-]+)", section, re.MULTILINE)


def test_help_puts_every_option_in_one_section_in_pv_s_order() -> None:
    from bpcopy.cli import command

    result = cli("--help", env={**os.environ, "COLUMNS": "100"})
    assert result.returncode == 0
    sections = help_sections(result.stdout.decode())
    titles = [title for title in sections if title in SECTION_TITLES]
    assert titles == [title for title in SECTION_TITLES if title in titles]
    assert {"Marks and strategy", "Simulated ends", "Output and traces", "Safety"} <= set(titles)
    shown = [name for title in titles for name in option_names(sections[title])]
    declared = [next(opt for opt in param.opts if opt.startswith("--"))
                for param in command.params if param.opts[0].startswith("-")]
    assert sorted(shown) == sorted({*declared, "--help", "--version"})
    assert option_names(sections["Other options"]) == ["--version", "--help"]
    assert "--sink-rate" in option_names(sections["Simulated ends"])
    assert "--assert-max-rss" in option_names(sections["CI guards"])


def test_an_option_missing_from_the_table_falls_into_other_options() -> None:
    import click
    from click.testing import CliRunner

    from bpcopy.cli_help import SectionedCommand

    @click.command(cls=SectionedCommand)
    @click.option("--sink-rate")
    @click.option("--frobnicate", help="Not in the table.")
    def probe(**_: object) -> None:
        pass

    sections = help_sections(CliRunner().invoke(probe, ["--help"]).output)
    assert option_names(sections["Simulated ends"]) == ["--sink-rate"]
    assert option_names(sections["Other options"]) == ["--frobnicate", "--help"]


def test_help_gives_the_units_grammar_and_the_exit_statuses() -> None:
    sections = help_sections(cli("--help").stdout.decode())
    units = sections["Units"]
    for unit in ("SIZE", "DURATION", "RATE"):
        assert re.search(rf"^  {unit} ", units, re.MULTILINE)
    assert "KiB" in units and "ms" in units and "/s" in units
    statuses = re.findall(r"^  (\S+) ", sections["Exit statuses"], re.MULTILINE)
    assert statuses == ["0", "1", "2", "3", "128+N", "141"]


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
@pytest.mark.parametrize("columns", [40, 100])
def test_help_fits_a_real_terminal_with_term_dumb(tmp_path: Path, columns: int) -> None:
    session = f"bpcopy-help-{os.getpid()}-{columns}"
    done = tmp_path / "done"
    command = (f"TERM=dumb {sys.executable} -m bpcopy --help; touch {done}; sleep 30")
    env = {key: value for key, value in os.environ.items()
           if key not in ("COLUMNS", "LINES", "TMUX")}
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", str(columns), "-y",
                    "200", command], check=True, env=env, timeout=HANG_TIMEOUT_S)
    try:
        deadline = time.monotonic() + HANG_TIMEOUT_S
        while not done.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        # -J joins the rows that the terminal wrapped: a line too long shows up whole.
        screen = subprocess.run(["tmux", "capture-pane", "-p", "-J", "-e", "-t", session],
                                capture_output=True, check=True, timeout=HANG_TIMEOUT_S
                                ).stdout.decode()
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False,
                       capture_output=True, timeout=HANG_TIMEOUT_S)
    lines = screen.rstrip("\n").splitlines()
    assert "Exit statuses:" in lines and "Simulated ends:" in lines
    assert max(len(line.rstrip()) for line in lines) <= columns
    assert "\x1b" not in screen  # TERM=dumb: no colour, no cursor movement


def test_shell_completion_works_for_the_console_script(tmp_path: Path) -> None:
    bpcopy = Path(sys.executable).with_name("bpcopy")
    script = ('eval "$(_BPCOPY_COMPLETE=bash_source bpcopy)"; '
              'COMP_WORDS=(bpcopy --sink-r); COMP_CWORD=1; _bpcopy_completion bpcopy; '
              'echo "${COMPREPLY[@]}"; '
              'COMPREPLY=(); COMP_WORDS=(bpcopy --mode ""); COMP_CWORD=2; '
              '_bpcopy_completion bpcopy; '
              'echo "${COMPREPLY[@]}"')
    env = {**os.environ, "PATH": f"{bpcopy.parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env,
                            capture_output=True, timeout=HANG_TIMEOUT_S, check=False)
    options, modes = result.stdout.decode().splitlines()
    assert "--sink-rate" in options.split()
    assert modes.split() == ["pump", "pipe", "none"]


# -- wording ----------------------------------------------------------------------------


def test_a_count_of_one_takes_the_singular(tmp_path: Path) -> None:
    src = tmp_path / "one"
    src.write_bytes(b"x")
    err = cli(src, tmp_path / "out", "-H", "1").stderr.decode()
    assert "(1 byte) in 1 chunk\n" in err
    assert "1 pause, 2 resumes, 1 drain," in err
    guard = cli(src, tmp_path / "out", "--assert-max-buffered", "1", "-H", "2", "-q")
    assert guard.returncode == 0, guard.stderr


@pytest.mark.parametrize("fault", [["--sink-fail-after", "0"], ["--sink-fail-after", "5K"]])
def test_the_trace_s_error_record_says_what_the_summary_says(tmp_path: Path, data,
                                                             fault: list[str]) -> None:
    src, _ = data(size=20_000)
    result = cli(src, tmp_path / "out", "-H", "4K", "--json", "--trace-format", "jsonl",
                 "--trace-file", tmp_path / "trace.jsonl", *fault)
    assert result.returncode == 1
    summary = summary_of(result)
    records = [json.loads(line) for line in (tmp_path / "trace.jsonl").read_text().splitlines()]
    errors = [record["message"] for record in records if record["event"] == "error"]
    assert errors == [summary["error"]]
    assert "Input/output error" in summary["error"]


def test_an_interrupt_ends_the_trace_with_the_summary_s_error(tmp_path: Path) -> None:
    src = tmp_path / "src"
    with open(src, "wb") as out:
        out.truncate(16 * 1024 * 1024)
    process = subprocess.Popen([*BPCOPY, str(src), str(tmp_path / "dst"), "--json",
                                "--sink-rate", "1MiB/s", "--sparse", "never",
                                "--trace-format", "jsonl",
                                "--trace-file", str(tmp_path / "trace.jsonl")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for_copy_to_write(tmp_path)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=HANG_TIMEOUT_S)
    finally:
        kill_quietly(process)
    last = json.loads((tmp_path / "trace.jsonl").read_text().splitlines()[-1])
    assert last["event"] == "error"
    assert last["message"] == summary_of(err)["error"] == "interrupted by SIGTERM"


def test_a_rate_without_per_second_is_the_same_rate() -> None:
    from bpcopy.cli import parse_options

    assert (parse_options(["a", "b", "--sink-rate", "3MiB"]).sink_rate
            == parse_options(["a", "b", "--sink-rate", "3MiB/s"]).sink_rate == 3 * 1024 * 1024)
