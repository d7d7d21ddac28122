"""Options: marks with units, strategies, simulated slowness, and usage errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e_helpers import cli, summary_of

from bpcopy.endpoints.pacing import Pacer


@pytest.mark.parametrize(("text", "size"), [
    ("4", 4), ("4B", 4), ("1K", 1024), ("1KiB", 1024), ("2M", 2 * 1024**2),
    ("1MiB", 1024**2), ("1G", 1024**3), ("1GiB", 1024**3), ("2KB", 2000), ("1MB", 10**6),
    ("1GB", 10**9),
])
def test_high_water_mark_accepts_every_documented_unit(tmp_path: Path, data, text: str,
                                                       size: int) -> None:
    src, content = data(size=3000)
    result = cli(src, tmp_path / "out", "--json", "-H", text)
    assert result.returncode == 0, result.stderr
    summary = summary_of(result)
    assert summary["readable_high_water_mark"] == size
    assert summary["writable_high_water_mark"] == size
    assert (tmp_path / "out").read_bytes() == content


def test_read_and_write_marks_override_the_common_mark(tmp_path: Path, data) -> None:
    src, content = data(size=10_000)
    result = cli(src, tmp_path / "out", "--json", "-H", "1K", "--read-hwm", "2KiB",
                 "--write-hwm", "512")
    assert result.returncode == 0, result.stderr
    summary = summary_of(result)
    assert summary["readable_high_water_mark"] == 2048
    assert summary["writable_high_water_mark"] == 512
    assert summary["chunks"] == 5  # a file is read in chunks of the read mark
    assert (tmp_path / "out").read_bytes() == content


@pytest.mark.parametrize("mode", ["pump", "pipe", "none"])
def test_every_mode_copies_exactly_and_is_named_in_the_summary(tmp_path: Path, data,
                                                               mode: str) -> None:
    src, content = data(size=100_000)
    result = cli(src, tmp_path / "out", "--json", "--mode", mode, "-H", "4K")
    assert result.returncode == 0, result.stderr
    summary = summary_of(result)
    assert summary["mode"] == mode and summary["ok"] is True
    assert (tmp_path / "out").read_bytes() == content
    if mode == "none":
        assert summary["pauses"] == 0


def test_mode_none_with_a_small_max_buffer_stops_with_a_clear_error(tmp_path: Path,
                                                                    data) -> None:
    src, _ = data(size=1024 * 1024)
    dst = tmp_path / "dst"
    dst.write_bytes(b"precious")
    result = cli(src, dst, "--mode", "none", "-H", "4K", "--sink-delay", "5ms",
                 "--max-buffer", "64K")
    assert result.returncode == 1
    err = result.stderr.decode()
    assert "--max-buffer" in err and "Traceback" not in err
    assert dst.read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dst", "src.bin"]


def test_sink_delay_applies_to_every_chunk(tmp_path: Path, data) -> None:
    src, content = data(size=16 * 1024)
    result = cli(src, tmp_path / "out", "--json", "-H", "1K", "--sink-delay", "20ms")
    assert result.returncode == 0, result.stderr
    summary = summary_of(result)
    assert summary["chunks"] == 16
    assert summary["elapsed_s"] >= 16 * 0.020
    assert (tmp_path / "out").read_bytes() == content


def test_source_delay_applies_to_every_read(tmp_path: Path, data) -> None:
    src, content = data(size=8 * 1024)
    result = cli(src, tmp_path / "out", "--json", "-H", "1K", "--source-delay", "0.03s")
    assert result.returncode == 0, result.stderr
    summary = summary_of(result)
    assert summary["chunks"] == 8
    assert summary["elapsed_s"] >= 8 * 0.030  # eight data reads (and one more for EOF)
    assert summary["verdict"].startswith("source-bound")


def test_sink_rate_caps_throughput(tmp_path: Path, data) -> None:
    src, content = data(size=256 * 1024)
    result = cli(src, tmp_path / "out", "--json", "-H", "16K", "--sink-rate", "1MiB/s")
    assert result.returncode == 0, result.stderr
    summary = summary_of(result)
    # N bytes take N/rate, less at most one operation's worth of catching up.
    assert summary["elapsed_s"] >= (256 - 16) * 1024 / 1024**2
    assert summary["verdict"].startswith("sink-bound")
    assert (tmp_path / "out").read_bytes() == content


def test_source_rate_caps_throughput(tmp_path: Path, data) -> None:
    src, content = data(size=128 * 1024)
    result = cli(src, tmp_path / "out", "--json", "-H", "8K", "--source-rate", "512KiB/s")
    assert result.returncode == 0, result.stderr
    assert summary_of(result)["elapsed_s"] >= (128 - 8) / 512
    assert (tmp_path / "out").read_bytes() == content


def seeded_sink_latency(delay: float, jitter: float, seed: int, writes: int) -> float:
    """The latency a seeded sink adds over `writes` writes, as Pacer draws it."""
    pacer = Pacer(delay=delay, jitter=jitter, seed=seed)
    return sum(pacer.complete_at(0.0, 1) for _ in range(writes))


def test_sink_jitter_adds_the_latency_its_seed_draws(tmp_path: Path, data) -> None:
    writes, delay, jitter = 8, 0.010, 0.040
    # The seed whose draws add the most latency among the first hundred: a copy that
    # ignored --seed would draw a typical total, well below this one, and finish sooner.
    seed = max(range(100), key=lambda s: seeded_sink_latency(delay, jitter, s, writes))
    latency = seeded_sink_latency(delay, jitter, seed, writes)
    assert latency > writes * (delay + jitter / 2)
    src, content = data(size=writes * 1024)
    result = cli(src, tmp_path / "out", "--json", "-H", "1K", "--sink-delay", "10ms",
                 "--sink-jitter", "40ms", "--seed", seed)
    assert result.returncode == 0, result.stderr
    summary = summary_of(result)
    assert summary["chunks"] == writes
    # Writes run one after another, so the copy lasts at least their latencies' sum.
    assert summary["elapsed_s"] >= latency
    assert (tmp_path / "out").read_bytes() == content


@pytest.mark.parametrize("zero", ["0", "0ms", "0s"])
def test_a_zero_duration_means_no_delay(tmp_path: Path, data, zero: str) -> None:
    chunks = 256
    src, content = data(size=chunks * 1024)
    result = cli(src, tmp_path / "out", "--json", "-H", "1K", "--sink-delay", zero,
                 "--source-delay", zero, "--sink-jitter", zero)
    assert result.returncode == 0, result.stderr
    summary = summary_of(result)
    assert summary["ok"] is True and summary["chunks"] == chunks
    # Even 10 ms per write would take 2.56 s; unpaced, this copy takes some 15 ms on a
    # loaded machine, so the bound is two orders of magnitude away from a slow run.
    assert summary["elapsed_s"] < chunks * 0.010
    assert (tmp_path / "out").read_bytes() == content


@pytest.mark.parametrize(("args", "option"), [
    (["-H", "4X"], "--high-water-mark"),
    (["-H", "lots"], "--high-water-mark"),
    (["-H", "0"], "--high-water-mark"),
    (["-H", "-4K"], "--high-water-mark"),
    (["--read-hwm", "0B"], "--read-hwm"),
    (["--write-hwm", "1.5x"], "--write-hwm"),
    (["--max-buffer", "0"], "--max-buffer"),
    (["--sink-delay", "-1s"], "--sink-delay"),
    (["--sink-delay", "soon"], "--sink-delay"),
    (["--source-delay", "-5ms"], "--source-delay"),
    (["--sink-jitter", "abc"], "--sink-jitter"),
    (["--sink-rate", "0"], "--sink-rate"),
    (["--sink-rate", "-1MiB/s"], "--sink-rate"),
    (["--source-rate", "fast"], "--source-rate"),
    (["--sink-fail-after", "-1"], "--sink-fail-after"),
    (["--assert-max-rss", "0"], "--assert-max-rss"),
    (["--mode", "turbo"], "--mode"),
    (["--trace-format", "xml"], "--trace-format"),
])
def test_a_bad_value_is_a_usage_error_naming_the_option(tmp_path: Path, data,
                                                        args: list[str], option: str) -> None:
    src, _ = data(size=10)
    result = cli(src, tmp_path / "out", *args)
    err = result.stderr.decode()
    assert result.returncode == 2, err
    assert err.startswith("Usage: ") and option in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_json_with_a_trace_on_stderr_is_a_usage_error(tmp_path: Path, data) -> None:
    src, _ = data(size=10)
    result = cli(src, tmp_path / "out", "--json", "--trace")
    assert result.returncode == 2
    assert "--trace-file" in result.stderr.decode()


def test_a_missing_argument_is_a_usage_error(tmp_path: Path) -> None:
    result = cli(tmp_path / "only-one")
    assert result.returncode == 2
    assert b"Usage:" in result.stderr and b"Traceback" not in result.stderr
