"""A trace or report never lands on the data: whatever the spelling (/dev/stdout,
/dev/fd/1, a hard link, a symlink), a --trace-file or --report that is the same file or
pipe as SRC, DST or the stdin/stdout that `-` names is refused before anything is
written; /dev/null and terminals, which keep nothing, stay allowed."""

from __future__ import annotations

import os
import pty
import subprocess
from pathlib import Path

import pytest
from e2e_helpers import BPCOPY, HANG_TIMEOUT_S, cli, jsonl_records, make_file
from small_filesystems import fill, mounted_tmpfs

STDOUT_SPELLINGS = ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"]


def usage_error(result: subprocess.CompletedProcess[bytes], option: str, *words: str) -> str:
    err = result.stderr.decode()
    assert result.returncode == 2, err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, err
    for word in (option, *words):
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("option", ["--trace-file", "--report"])
@pytest.mark.parametrize("spelling", STDOUT_SPELLINGS)
def test_a_diagnostic_on_stdout_that_is_a_file_is_refused_and_the_file_untouched(
        tmp_path: Path, option: str, spelling: str) -> None:
    src = tmp_path / "src"
    make_file(src, 300_000)
    out = tmp_path / "out"
    out.write_bytes(b"before")
    with open(out, "r+b") as stdout:
        result = cli(src, "-", option, spelling, "-q", stdout=stdout)
    usage_error(result, option, "destination (stdout)")
    assert out.read_bytes() == b"before"


@pytest.mark.parametrize("option", ["--trace-file", "--report"])
def test_a_diagnostic_on_stdout_s_pipe_is_refused_and_nothing_is_mixed_in(
        tmp_path: Path, option: str) -> None:
    src = tmp_path / "src"
    make_file(src, 300_000)
    result = cli(src, "-", option, "/dev/stdout", "-q")
    usage_error(result, option, "destination (stdout)")
    assert result.stdout == b""


def test_a_trace_on_stdout_is_allowed_when_the_data_goes_elsewhere(tmp_path: Path) -> None:
    src = tmp_path / "src"
    data = make_file(src, 100_000)
    result = cli(src, tmp_path / "dst", "--trace-file", "/dev/stdout",
                 "--trace-format", "jsonl", "-q")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "dst").read_bytes() == data
    chunks = [record for record in jsonl_records(result.stdout.decode())
              if record["event"] == "chunk"]
    assert sum(record["bytes"] for record in chunks) == len(data)


def test_a_hard_link_to_the_destination_is_refused_as_a_trace_file(tmp_path: Path) -> None:
    src, dst, alias = tmp_path / "src", tmp_path / "dst", tmp_path / "another-name"
    make_file(src, 5000)
    old = make_file(dst, 100, seed=1)
    os.link(dst, alias)
    usage_error(cli(src, dst, "--trace-file", alias), "--trace-file", "destination")
    assert dst.read_bytes() == old


def test_a_symlink_to_the_source_is_refused_as_a_report(tmp_path: Path) -> None:
    src, link = tmp_path / "src", tmp_path / "link.html"
    data = make_file(src, 5000)
    link.symlink_to(src)
    usage_error(cli(src, tmp_path / "dst", "--report", link), "--report", "source")
    assert src.read_bytes() == data


def test_dev_stdin_is_refused_as_a_trace_file_when_it_is_the_source(tmp_path: Path) -> None:
    src = tmp_path / "src"
    data = make_file(src, 5000)
    with open(src, "rb") as stdin:
        result = cli("-", tmp_path / "dst", "--trace-file", "/dev/stdin", stdin=stdin)
    usage_error(result, "--trace-file", "source (stdin)")
    assert src.read_bytes() == data


def test_a_new_destination_named_twice_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "src"
    make_file(src, 5000)
    result = cli(src, tmp_path / "new", "--trace-file", f"{tmp_path}/./new")
    usage_error(result, "--trace-file", "destination")
    assert not (tmp_path / "new").exists()


def test_dev_null_may_hold_both_the_data_and_the_trace(tmp_path: Path) -> None:
    src = tmp_path / "src"
    make_file(src, 100_000)
    result = cli(src, "/dev/null", "--trace-file", "/dev/null", "--report", "/dev/null", "-q")
    assert result.returncode == 0, result.stderr
    with open(os.devnull, "wb") as null:
        result = cli(src, "-", "--trace-file", "/dev/stdout", "-q", stdout=null)
    assert result.returncode == 0, result.stderr


def test_a_terminal_may_show_both_the_data_and_the_trace(tmp_path: Path) -> None:
    src = tmp_path / "src"
    make_file(src, 3000)
    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen([*BPCOPY, str(src), "-", "--trace-file", "/dev/stdout",
                                    "--trace-format", "csv", "-q"],
                                   stdin=subprocess.DEVNULL, stdout=terminal,
                                   stderr=subprocess.PIPE)
        os.close(terminal)
        shown = b""
        while True:
            try:
                piece = os.read(controller, 65536)
            except OSError:  # the terminal closed: bpcopy is done
                break
            if not piece:
                break
            shown += piece
        _, err = process.communicate(timeout=HANG_TIMEOUT_S)
    finally:
        os.close(controller)
    assert process.returncode == 0, err
    assert b"chunk" in shown  # the trace was shown, alongside the data


# -- the report's path, before and after the copy ----------------------------------------


@pytest.mark.parametrize("where", ["missing/r.html", "."])
def test_a_report_that_cannot_be_created_is_refused_before_the_copy(tmp_path: Path,
                                                                     where: str) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    make_file(src, 1000)
    result = cli(src, dst, "-q", "--report", tmp_path / where)
    usage_error(result, "--report")
    assert not dst.exists()  # found before the copy, not after it
    assert sorted(os.listdir(tmp_path)) == ["src"]


def test_a_report_checked_beforehand_leaves_no_file_of_its_own(tmp_path: Path) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    make_file(src, 1000)
    result = cli(src, dst, "-q", "--sink-fail-after", "10", "--report", tmp_path / "r.html")
    assert result.returncode == 1
    assert (tmp_path / "r.html").exists()  # a failed copy is reported too
    assert not dst.exists()


def test_a_report_that_fails_after_the_copy_is_one_line_and_the_copy_stands(
        tmp_path: Path) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    data = make_file(src, 1000)
    with mounted_tmpfs(tmp_path / "small", "256k") as small:
        fill(small)
        result = cli(src, dst, "-q", "--report", small / "r.html")
        err = result.stderr.decode()
        assert result.returncode == 1, err
        assert "Traceback" not in err
        assert "cannot write report" in err and "No space left on device" in err
    assert dst.read_bytes() == data  # the copy itself stands


def test_a_report_and_a_trace_file_that_are_one_file_are_refused(tmp_path: Path) -> None:
    src = tmp_path / "src"
    make_file(src, 1000)
    (tmp_path / "both").write_bytes(b"kept")
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "both")
    result = cli(src, tmp_path / "dst", "--trace-file", tmp_path / "both", "--report", link)
    usage_error(result, "--report", "is also the --trace-file")
    assert (tmp_path / "both").read_bytes() == b"kept"
    assert not (tmp_path / "dst").exists()


def test_a_report_and_a_trace_file_both_on_dev_null_are_allowed(tmp_path: Path) -> None:
    src = tmp_path / "src"
    make_file(src, 1000)
    result = cli(src, tmp_path / "dst", "--trace-file", os.devnull, "--report", os.devnull,
                 "-q")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "dst").read_bytes() == src.read_bytes()
