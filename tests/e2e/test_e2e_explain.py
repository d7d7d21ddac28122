"""--explain through the real command line: where the account goes, with -q, --json,
--trace and --report, and on a copy that fails."""

from __future__ import annotations

import json
import re
import signal
import subprocess
from pathlib import Path

from e2e_helpers import (
    BPCOPY,
    HANG_TIMEOUT_S,
    cli,
    jsonl_records,
    kill_quietly,
    sparse_file,
    summary_of,
    wait_for_copy_to_write,
)

TUTORIAL_FILE = b"0123456789abcdef" * 4
ACCOUNT_TITLE = "How this copy went, in Node's words"


def tutorial_file(tmp_path: Path) -> Path:
    path = tmp_path / "in64.txt"
    path.write_bytes(TUTORIAL_FILE)
    return path


def test_the_account_follows_the_summary_on_stderr(tmp_path: Path) -> None:
    result = cli(tutorial_file(tmp_path), tmp_path / "out.txt", "-H", "4", "--explain")
    assert result.returncode == 0, result.stderr
    err = result.stderr.decode()
    assert err.index("bpcopy: copy complete") < err.index(ACCOUNT_TITLE)
    assert "Chunks 2 to 16 repeated this cycle: 15 pauses, 15 drains." in err
    assert result.stdout == b""
    assert (tmp_path / "out.txt").read_bytes() == TUTORIAL_FILE


def test_quiet_keeps_the_account_and_drops_the_summary(tmp_path: Path) -> None:
    result = cli(tutorial_file(tmp_path), tmp_path / "out.txt", "-H", "4", "--explain", "-q")
    assert result.returncode == 0, result.stderr
    err = result.stderr.decode()
    assert err.startswith(ACCOUNT_TITLE)
    assert "copy complete" not in err
    assert len(err.splitlines()) <= 40 and all(len(line) <= 80 for line in err.splitlines())


def test_json_carries_the_account_as_a_list_of_lines_only_with_explain(tmp_path: Path
                                                                       ) -> None:
    source = tutorial_file(tmp_path)
    explained = summary_of(cli(source, tmp_path / "a", "-H", "4", "--json", "--explain"))
    plain = summary_of(cli(source, tmp_path / "b", "-H", "4", "--json"))
    assert "explanation" not in plain
    lines = explained["explanation"]
    assert isinstance(lines, list) and all(isinstance(line, str) for line in lines)
    assert lines[0] == ACCOUNT_TITLE
    told = " ".join(line.strip() for line in lines)
    assert f"{explained['chunks']} chunks" in told
    assert set(explained) - {"explanation"} == set(plain)


def test_the_trace_table_gains_a_why_column_and_json_lines_do_not(tmp_path: Path) -> None:
    source = tutorial_file(tmp_path)
    table = cli(source, tmp_path / "a", "-H", "4", "--explain", "-q", "--trace")
    rows = table.stderr.decode().split(ACCOUNT_TITLE)[0].splitlines()
    assert rows[0].rstrip().endswith("why")
    chunk_rows = [row for row in rows if re.search(r"^\s*\S+\s+chunk\s", row)]
    assert len(chunk_rows) == 16
    assert all(row.endswith("writable_length 4 >= mark 4") for row in chunk_rows)
    assert any(row.endswith("buffer empty after a false write") for row in rows)
    lines = cli(source, tmp_path / "b", "-H", "4", "--explain", "-q", "--trace",
                "--trace-format", "jsonl").stderr.decode().split(ACCOUNT_TITLE)[0]
    plain = cli(source, tmp_path / "c", "-H", "4", "-q", "--trace",
                "--trace-format", "jsonl").stderr.decode()
    assert [list(record) for record in jsonl_records(lines)] == \
        [list(record) for record in jsonl_records(plain)]


def test_the_report_gains_the_account_as_a_section(tmp_path: Path) -> None:
    report = tmp_path / "run.html"
    result = cli(tutorial_file(tmp_path), tmp_path / "out", "-H", "4", "--explain", "-q",
                 "--report", report)
    assert result.returncode == 0, result.stderr
    page = report.read_text(encoding="utf-8")
    assert "The run in Node&#x27;s words" in page
    assert "repeated this cycle: 15 pauses, 15 drains." in page


def test_a_failed_copy_is_explained_and_still_reports_its_error(tmp_path: Path) -> None:
    source = tmp_path / "in.bin"
    source.write_bytes(bytes(4 * 65536))
    result = cli(source, tmp_path / "out", "--sink-fail-after", "100000", "--explain",
                 "--json")
    assert result.returncode == 1
    summary = summary_of(result)
    assert summary["ok"] is False
    told = " ".join(line.strip() for line in summary["explanation"])
    assert f"The copy stopped at chunk 2, with 131072 bytes read: {summary['error']}." in told
    assert "the first 65536 bytes had been written" in told
    assert not (tmp_path / "out").exists()


def test_the_tutorials_pump_explained_through_the_command_line(tmp_path: Path) -> None:
    result = cli(tutorial_file(tmp_path), tmp_path / "out", "-H", "4", "--explain",
                 "--json", "--trace", "--trace-format", "jsonl", "--trace-file",
                 tmp_path / "trace.jsonl")
    summary = summary_of(result)
    records = jsonl_records((tmp_path / "trace.jsonl").read_text())
    told = " ".join(line.strip() for line in summary["explanation"])
    first = next(record for record in records if record["event"] == "chunk")
    assert (f"writableLength became {first['writable_length']}, not less than "
            f"writableHighWaterMark ({summary['writable_high_water_mark']})") in told
    assert summary["verdict"] in told
    assert json.dumps(summary["explanation"])  # plain strings, ready for any consumer


def test_a_copy_that_never_ran_says_so_in_its_account(tmp_path: Path) -> None:
    result = cli(tmp_path / "missing.bin", tmp_path / "out", "--explain", "--json")
    assert result.returncode == 1
    summary = summary_of(result)
    told = " ".join(line.strip() for line in summary["explanation"])
    assert summary["explanation"][0] == ACCOUNT_TITLE
    assert f"No stream ran, so there is nothing to explain: {summary['error']}." in told


def test_an_interrupted_copy_is_explained_up_to_where_it_stopped(tmp_path: Path) -> None:
    source = tmp_path / "src"
    sparse_file(source, 16 * 1024 * 1024)
    # --sparse never: a copy of holes writes nothing before its end, and this one must
    # be seen writing before it is stopped.
    process = subprocess.Popen([*BPCOPY, source, tmp_path / "dst", "--sink-rate", "1MiB/s",
                                "--explain", "--json", "--sparse", "never"],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    try:
        wait_for_copy_to_write(tmp_path)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=HANG_TIMEOUT_S)
    finally:
        kill_quietly(process)
    assert process.returncode == -signal.SIGINT  # death by SIGINT: 130 in the shell
    summary = summary_of(err)
    told = " ".join(line.strip() for line in summary["explanation"])
    stopped = re.search(r"The copy stopped at chunk (\d+), with (\d+) bytes read: "
                        r"interrupted by SIGINT\.", told)
    assert stopped, told
    assert (int(stopped[1]), int(stopped[2])) == (summary["chunks"], summary["bytes"])


def test_in_a_pipeline_the_account_tells_the_kernels_buffers_and_the_slow_reader() -> None:
    from test_e2e_pipeline import SLOW_READER, python, run_pipeline

    result, (producer, consumer) = run_pipeline(
        ["head", "-c", "2M", "/dev/zero"], ["--json", "--explain"],
        python(SLOW_READER, "0.002"))
    assert result.returncode == 0, result.stderr
    summary = summary_of(result)
    told = " ".join(line.strip() for line in summary["explanation"])
    downstream = summary["downstream"]
    assert (f"(pid {consumer.pid}) was full "
            f"{downstream['full_fraction'] * 100:.0f}% of the time") in told
    assert f"The kernel's pipe from head -c 2M /dev/zero (pid {producer.pid})" in told
    assert summary["verdict"] in told
    assert "That program sets the pace" in told
