"""The HTML report: parsed (charts, values, no external URLs, escaping), and rendered in
headless Chromium when it is installed, to check the page draws something."""

import shutil
import struct
import subprocess
import tempfile
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest
from render_inputs import hand_built_samples, hand_built_summary, outcome_of

from bpcopy.cli import parse_options
from bpcopy.render.report import write_html_report

OPTIONS = parse_options(["/data/in.bin", "/backup/out.bin", "-H", "64KiB", "--sink-rate",
                         "20MiB/s", "--sink-delay", "2ms", "--report", "/tmp/run.html"])


class PageParts(HTMLParser):
    """Collects what the checks need: tags, attributes, and the visible text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += [(tag, name, value or "") for name, value in attrs]

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_data(self, data):
        self.text.append(data)


def parse(path: Path) -> PageParts:
    parts = PageParts()
    parts.feed(path.read_text(encoding="utf-8"))
    return parts


@pytest.fixture
def report_path(tmp_path, run_outcome) -> Path:
    path = tmp_path / "report.html"
    write_html_report(path, run_outcome, OPTIONS)
    return path


def test_the_report_has_its_charts_the_summary_and_the_options(report_path):
    page = parse(report_path)
    text = " ".join(page.text)
    assert page.tags.count("svg") >= 3
    assert "polyline" in page.tags
    for value in ("32.0 MiB (33554432 bytes) in 512 chunks", "sink-bound", "50 drains",
                  "24.0 MiB peak", "Readable buffer", "Writable buffer", "RSS"):
        assert value in text, value
    assert "--high-water-mark" in text and "64.0 KiB (65536 bytes)" in text
    assert "20.0 MiB/s" in text and "--json" in text


def test_the_report_fetches_nothing(report_path):
    page = parse(report_path)
    for tag, name, value in page.attributes:
        if name in ("src", "href", "xlink:href", "action", "data"):
            assert not value.startswith(("http://", "https://", "//")), (tag, name, value)
    assert "script" not in page.tags and "link" not in page.tags and "img" not in page.tags
    assert "url(" not in report_path.read_text(encoding="utf-8")


def test_every_outside_text_is_escaped(tmp_path):
    hostile = '<script>alert("x")</script>&'
    summary = hand_built_summary(source=hostile, ok=False, error=f"cannot open '{hostile}'")
    path = tmp_path / "report.html"
    write_html_report(path, outcome_of(summary, hand_built_samples()),
                      parse_options([hostile, hostile]))
    html_text = path.read_text(encoding="utf-8")
    assert "<script>" not in html_text
    assert "&lt;script&gt;" in html_text
    assert "script" not in parse(path).tags


def test_a_copy_without_a_timeline_still_reports(tmp_path):
    path = tmp_path / "report.html"
    write_html_report(path, outcome_of(hand_built_summary(bytes=0), []), OPTIONS)
    page = parse(path)
    assert "svg" not in page.tags
    assert "Nothing to chart" in " ".join(page.text)


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_the_report_renders_in_headless_chromium(report_path, tmp_path):
    screenshot = tmp_path / "report.png"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={profile}", f"--screenshot={screenshot}",
             "--window-size=1280,1600", report_path.as_uri()],
            check=True, capture_output=True, timeout=60)
    assert screenshot.exists()
    assert distinct_pixel_bytes(screenshot) > 20, "the screenshot is blank"


def distinct_pixel_bytes(png: Path) -> int:
    """How many different byte values the decoded image data holds (a blank page: few)."""
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, compressed = 8, b""
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        if kind == b"IDAT":
            compressed += data[position + 8:position + 8 + length]
        position += 12 + length
    return len(set(zlib.decompress(compressed)))


def test_the_account_of_explain_is_a_section_of_its_own_and_escaped(tmp_path):
    account = ["How this copy went, in Node's words", "", "The set-up",
               "  write() returns false once writableLength reaches 4 <mark>"]
    outcome = outcome_of(hand_built_summary(explanation=account), hand_built_samples())
    path = tmp_path / "report.html"
    write_html_report(path, outcome, OPTIONS)
    page = parse(path)
    text = "".join(page.text)
    assert "The run in Node's words" in text
    assert "write() returns false once writableLength reaches 4 <mark>" in text  # as text
    assert "<mark>" not in path.read_text(encoding="utf-8")  # escaped, not a tag
    assert "mark" not in page.tags


def test_without_explain_the_report_has_no_account(report_path):
    assert "The run in Node's words" not in report_path.read_text(encoding="utf-8")
