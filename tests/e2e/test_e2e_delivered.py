"""What reached the destination: `bytes` counts what was read (the number Node agrees
on), `bytes_written` what the destination took; the summary says both when they
differ, and the verdict agrees with the error."""

from __future__ import annotations

from pathlib import Path

from e2e_helpers import cli, make_file, summary_of
from small_filesystems import mounted_tmpfs

MIB = 1024 * 1024


def test_a_complete_copy_wrote_what_it_read(tmp_path: Path) -> None:
    src = tmp_path / "src"
    data = make_file(src, 300_000)
    summary = summary_of(cli(src, tmp_path / "dst", "--json"))
    assert summary["bytes"] == summary["bytes_written"] == len(data)


def test_a_full_destination_reports_what_it_took(tmp_path: Path) -> None:
    src = tmp_path / "src"
    make_file(src, 3 * MIB)
    with mounted_tmpfs(tmp_path / "small", "1M") as small:
        result = cli(src, small / "dst", "--json")
        assert result.returncode == 1
        summary = summary_of(result)
        assert "No space left on device" in summary["error"]
        assert 0 < summary["bytes_written"] <= MIB < summary["bytes"]
        assert list(small.iterdir()) == []  # the temporary file went too
        text = cli(src, small / "dst").stderr.decode()
    assert "copied" not in text
    assert "read " in text and "wrote " in text


def test_mode_none_stopped_by_max_buffer_read_more_than_it_wrote_and_is_sink_bound(
        tmp_path: Path) -> None:
    src = tmp_path / "src"
    make_file(src, 8 * MIB)
    args = (src, tmp_path / "dst", "--mode", "none", "--max-buffer", "1MiB",
            "--sink-rate", "4MiB/s")
    summary = summary_of(cli(*args, "--json"))
    assert summary["ok"] is False and "--max-buffer" in summary["error"]
    assert summary["bytes_written"] < summary["bytes"]
    assert summary["verdict"].startswith("sink-bound")
    result = cli(*args)
    text = result.stderr.decode()
    assert result.returncode == 1
    row = next(line for line in text.splitlines() if "wrote" in line)
    assert "read " in row and "copied" not in text
    assert "sink-bound" in text


def test_a_failed_open_reports_nothing_written(tmp_path: Path) -> None:
    summary = summary_of(cli(tmp_path / "missing", tmp_path / "dst", "--json"))
    assert summary["bytes"] == summary["bytes_written"] == 0


def test_the_html_report_shows_read_and_wrote_when_the_destination_took_less(
        tmp_path: Path) -> None:
    src = tmp_path / "src"
    make_file(src, 8 * MIB)
    report = tmp_path / "report.html"
    result = cli(src, tmp_path / "dst", "--mode", "none", "--max-buffer", "1MiB",
                 "--sink-rate", "4MiB/s", "--report", report, "-q")
    assert result.returncode == 1
    page = report.read_text()
    assert "<div class=label>read</div>" in page
    assert "<div class=label>wrote</div>" in page
    assert "<div class=label>copied</div>" not in page
