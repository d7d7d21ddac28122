"""Names the OS allows but UTF-8 does not, or a shell reads oddly, through the real CLI:
every output (report, trace in each format, --json, messages) survives them."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from e2e_helpers import BPCOPY, make_file

ODD_NAMES = {
    "not UTF-8": b"\xff",
    "newline": b"a\nb",
    "leading dash": b"-x \xfe",
    "spaces": b"two  spaces ",
    "250 bytes": b"\xe9\xff" + b"n" * 248,
}


def other(tag: bytes, name: bytes) -> bytes:
    """Another odd name made from `name`, short enough to leave room for a temporary
    name beside it (a long DST name is the temporary file's concern, tested elsewhere)."""
    return tag + name[:100]


def run(*args: bytes | str, cwd: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([*BPCOPY, *[a if isinstance(a, bytes) else a.encode() for a in args]],
                          cwd=cwd, capture_output=True, stdin=subprocess.DEVNULL, timeout=60,
                          check=False)


def strict_text(raw: bytes) -> str:
    """Decoding that fails on any byte sequence that is not UTF-8."""
    return raw.decode("utf-8", "strict")


@pytest.fixture(params=list(ODD_NAMES), ids=list(ODD_NAMES))
def odd(request, tmp_path):
    """(directory, the odd name as bytes, its data): a source file under the odd name."""
    name = ODD_NAMES[request.param]
    directory = os.fsencode(tmp_path)
    path = os.path.join(directory, name)
    data = make_file(Path(os.fsdecode(path)), 200_000)
    return directory, name, data


def test_json_names_undecodable_bytes_as_backslash_x_for_strict_parsers(odd):
    directory, name, data = odd
    result = run("--json", "--", name, other(b"copy", name), cwd=directory)
    assert result.returncode == 0, result.stderr
    raw = strict_text(result.stderr)
    assert "\\udc" not in raw
    summary = json.loads(raw)
    expected = name.decode("utf-8", "backslashreplace")
    assert summary["source"] == expected
    assert summary["destination"] == other(b"copy", name).decode("utf-8", "backslashreplace")
    with open(os.path.join(directory, other(b"copy", name)), "rb") as copied:
        assert copied.read() == data


@pytest.mark.parametrize("trace_format", ["jsonl", "csv", "table"])
def test_a_trace_survives_a_failing_copy_of_an_odd_name(odd, trace_format):
    directory, name, _ = odd
    result = run("--trace", "--trace-format", trace_format, "--trace-file", other(b"t.", name),
                 "--sink-fail-after", "1000", "-q", "--", name, other(b"c.", name), cwd=directory)
    assert result.returncode == 1
    with open(os.path.join(directory, other(b"t.", name)), "rb") as trace:
        records = strict_text(trace.read())
    assert "error" in records
    if trace_format == "jsonl":
        assert all(json.loads(line) for line in records.splitlines())


def test_the_html_report_is_written_and_shows_the_name(odd):
    directory, name, _ = odd
    result = run("--report", other(b"r", name) + b".html", "-q", "--", name, other(b"c", name),
                 cwd=directory)
    assert result.returncode == 0, result.stderr
    assert b"Traceback" not in result.stderr
    with open(os.path.join(directory, other(b"r", name) + b".html"), "rb") as report:
        page = strict_text(report.read())
    assert page.rstrip().endswith("</html>")
    visible = name.decode("utf-8", "backslashreplace").replace("\n", " ")
    assert visible.split()[0] in page


def test_a_message_quotes_the_name_as_cp_does(odd):
    directory, name, _ = odd
    missing = other(b"missing.", name)
    result = run("--", missing, b"dst", cwd=directory)
    assert result.returncode == 1
    message = strict_text(result.stderr)
    assert message.count("\n") == 1  # a newline in the name stays inside the quotes
    from bpcopy.names import quote

    assert f"cannot open source {quote(os.fsdecode(missing))}: No such file" in message


def test_the_summary_and_error_stay_readable_on_stderr(odd):
    directory, name, _ = odd
    result = run("--sink-fail-after", "1000", "--", name, other(b"2.", name), cwd=directory)
    assert result.returncode == 1
    text = strict_text(result.stderr)
    assert "copy FAILED" in text and "bpcopy: error:" in text
