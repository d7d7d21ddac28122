"""The command line's own promises: a seed that repeats a run, --help's sections and
grammar, shell completion, and the small wordings (1 chunk, errors, faults, rates)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from e2e_helpers import BPCOPY, HANG_TIMEOUT_S, cli, summary_of

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
