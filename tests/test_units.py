"""Tests for bpcopy.units: what option text means, how numbers read back, and click's errors."""

import math

import click
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from bpcopy.units import (
    DURATION,
    RATE,
    SIZE,
    SIZE_OR_ZERO,
    format_duration,
    format_rate,
    format_size,
    parse_duration,
    parse_rate,
    parse_size,
)

KIB = 1024
MIB = 1024**2
GIB = 1024**3
TIB = 1024**4


@pytest.mark.parametrize(
    ("text", "expected_bytes"),
    [
        ("1", 1),
        ("512", 512),
        ("512B", 512),
        ("512b", 512),
        ("64K", 64 * KIB),
        ("64KiB", 64 * KIB),
        ("64kib", 64 * KIB),
        ("64 KiB", 64 * KIB),
        ("  64KiB  ", 64 * KIB),
        ("16M", 16 * MIB),
        ("16MiB", 16 * MIB),
        ("1G", GIB),
        ("1GiB", GIB),
        ("2T", 2 * TIB),
        ("2TiB", 2 * TIB),
        ("64KB", 64_000),
        ("64kb", 64_000),
        ("5MB", 5_000_000),
        ("1GB", 1_000_000_000),
        ("1TB", 1_000_000_000_000),
    ],
)
def test_parse_size_reads_binary_and_decimal_units(text, expected_bytes):
    assert parse_size(text) == expected_bytes


@pytest.mark.parametrize(
    ("text", "expected_in_message"),
    [
        ("12Q", "is not a size"),
        ("", "is not a size"),
        ("KiB", "is not a size"),
        ("64 K i B", "is not a size"),
        ("1e3", "is not a size"),
        ("-5K", "cannot be negative"),
        ("1.5K", "only whole numbers"),
        ("0.5", "only whole numbers"),
        ("٣K", "is not a size"),  # a non-ASCII digit
    ],
)
def test_parse_size_rejects_malformed_text_and_says_why(text, expected_in_message):
    with pytest.raises(ValueError, match=expected_in_message) as raised:
        parse_size(text)
    assert repr(text) in str(raised.value)


def test_parse_size_error_names_the_accepted_form():
    with pytest.raises(ValueError) as raised:
        parse_size("12Q")
    message = str(raised.value)
    assert message.startswith("'12Q' is not a size: use a whole number of bytes")
    for unit in ("B", "K/KiB", "M/MiB", "G/GiB", "KB", "MB", "GB"):
        assert unit in message
    assert "e.g. 64KiB" in message


def test_parse_size_fraction_error_suggests_the_whole_number_of_bytes():
    with pytest.raises(ValueError, match=r"write 1536 for that many bytes"):
        parse_size("1.5K")


def test_parse_size_rejects_zero_by_default():
    with pytest.raises(ValueError, match="at least 1 byte"):
        parse_size("0")


def test_parse_size_accepts_zero_when_minimum_is_zero():
    assert parse_size("0", minimum=0) == 0
    assert parse_size("0KiB", minimum=0) == 0


def test_parse_size_enforces_a_larger_minimum():
    with pytest.raises(ValueError, match="at least 4096 bytes"):
        parse_size("4000", minimum=4096)


@given(st.integers(min_value=1, max_value=10**12))
def test_parse_size_round_trips_kib(n):
    assert parse_size(f"{n}KiB") == n * 1024


@given(
    st.integers(min_value=1, max_value=10**9),
    st.sampled_from(["B", "K", "KiB", "M", "MiB", "G", "GiB", "T", "TiB", "KB", "MB", "GB"]),
    st.sampled_from(["", " "]),
)
def test_parse_size_is_case_insensitive_and_allows_one_space(n, unit, gap):
    assert parse_size(f"{n}{gap}{unit.lower()}") == parse_size(f"{n}{unit.upper()}")


@pytest.mark.parametrize(
    ("text", "expected_seconds"),
    [
        ("0", 0.0),
        ("0s", 0.0),
        ("2", 2.0),
        ("1.5", 1.5),
        (".5", 0.5),
        ("1.5s", 1.5),
        ("2ms", 0.002),
        ("2 ms", 0.002),
        ("500us", 0.0005),
        ("500µs", 0.0005),  # micro sign
        ("500μs", 0.0005),  # Greek mu
        ("250ns", 250e-9),
        ("3m", 180.0),
        ("1.5m", 90.0),
        ("2h", 7200.0),
        ("2MS", 0.002),
    ],
)
def test_parse_duration_reads_units_and_bare_seconds(text, expected_seconds):
    assert parse_duration(text) == pytest.approx(expected_seconds)


@pytest.mark.parametrize(
    ("text", "expected_in_message"),
    [
        ("-1", "cannot be negative"),
        ("-2ms", "cannot be negative"),
        ("2 days", "is not a duration"),
        ("ms", "is not a duration"),
        ("", "is not a duration"),
        ("1e3s", "is not a duration"),
        ("9" * 400, "too large"),
    ],
)
def test_parse_duration_rejects_bad_text_and_names_the_form(text, expected_in_message):
    with pytest.raises(ValueError, match=expected_in_message) as raised:
        parse_duration(text)
    assert "e.g. 2ms" in str(raised.value)


@given(st.integers(min_value=0, max_value=10**9))
def test_parse_duration_round_trips_milliseconds(n):
    assert parse_duration(f"{n}ms") == pytest.approx(n / 1000)


@pytest.mark.parametrize(
    ("text", "expected_bytes_per_second"),
    [
        ("1MiB/s", MIB),
        ("100MiB/s", 100 * MIB),
        ("500KB/s", 500_000),
        ("10M/s", 10 * MIB),
        ("1.5MiB/s", 1.5 * MIB),
        ("1.5 MiB / s", 1.5 * MIB),
        ("1mib/S", MIB),
        ("100MiB", 100 * MIB),
        ("1000", 1000.0),
        ("0.5/s", 0.5),
    ],
)
def test_parse_rate_reads_size_per_second(text, expected_bytes_per_second):
    assert parse_rate(text) == pytest.approx(expected_bytes_per_second)


@pytest.mark.parametrize(
    ("text", "expected_in_message"),
    [
        ("0", "greater than zero"),
        ("0MiB/s", "greater than zero"),
        ("-1MiB/s", "cannot be negative"),
        ("fast", "is not a rate"),
        ("1MiB/h", "is not a rate"),
        ("1Q/s", "is not a rate"),
        ("/s", "is not a rate"),
    ],
)
def test_parse_rate_rejects_non_positive_or_malformed_rates(text, expected_in_message):
    with pytest.raises(ValueError, match=expected_in_message) as raised:
        parse_rate(text)
    assert "e.g. 100MiB/s" in str(raised.value)


@given(st.integers(min_value=1, max_value=10**6))
def test_parse_rate_round_trips_mib_per_second(n):
    assert parse_rate(f"{n}MiB/s") == n * MIB


@pytest.mark.parametrize(
    ("size", "expected_text"),
    [
        (0, "0 B"),
        (512, "512 B"),
        (1023, "1023 B"),
        (1024, "1.00 KiB"),
        (1536, "1.50 KiB"),
        (64 * KIB, "64.0 KiB"),
        (640 * KIB, "640 KiB"),
        (MIB - 1, "1.00 MiB"),  # rounding up moves to the next unit, never "1024 KiB"
        (GIB, "1.00 GiB"),
        (3 * TIB, "3.00 TiB"),
    ],
)
def test_format_size_uses_binary_units_and_three_figures(size, expected_text):
    assert format_size(size) == expected_text


@pytest.mark.parametrize(
    ("bytes_per_second", "expected_text"),
    [
        (0, "0 B/s"),
        (100, "100 B/s"),
        (2048, "2.0 KiB/s"),
        (123.4 * MIB, "123.4 MiB/s"),
        (MIB - 1, "1.0 MiB/s"),
        (1.5 * GIB, "1.5 GiB/s"),
    ],
)
def test_format_rate_shows_one_decimal_in_binary_units(bytes_per_second, expected_text):
    assert format_rate(bytes_per_second) == expected_text


@pytest.mark.parametrize(
    ("seconds", "expected_text"),
    [
        (0, "0 s"),
        (5e-9, "5.00 ns"),
        (850e-6, "850 µs"),
        (0.0123, "12.3 ms"),
        (0.9997, "1.00 s"),  # rounding up moves to the next unit, never "1000 ms"
        (1.234, "1.23 s"),
        (59.999, "1m00s"),
        (123.4, "2m03s"),
        (3725, "1h02m05s"),
    ],
)
def test_format_duration_picks_a_readable_unit(seconds, expected_text):
    assert format_duration(seconds) == expected_text


@given(st.integers(min_value=0, max_value=2**59))
def test_format_size_reads_back_within_rounding(size):
    text = format_size(size)
    number, unit = text.split(" ")
    bytes_per_unit = {"B": 1, "KiB": KIB, "MiB": MIB, "GiB": GIB, "TiB": TIB, "PiB": 1024**5}
    read_back = float(number) * bytes_per_unit[unit]
    assert math.isclose(read_back, size, rel_tol=0.01, abs_tol=0.5)


def _command_with(option_type, default=None):
    @click.command()
    @click.option("--value", type=option_type, default=default)
    def command(value):
        click.echo(repr(value))

    return command


@pytest.mark.parametrize(
    ("option_type", "good_text", "expected"),
    [
        (SIZE, "64KiB", 65536),
        (SIZE_OR_ZERO, "0", 0),
        (DURATION, "2ms", 0.002),
        (RATE, "1MiB/s", float(MIB)),
    ],
)
def test_param_types_convert_good_values(option_type, good_text, expected):
    result = CliRunner().invoke(_command_with(option_type), ["--value", good_text])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == repr(expected)


@pytest.mark.parametrize(
    ("option_type", "bad_text", "expected_message"),
    [
        (SIZE, "0", "'0' is too small"),
        (SIZE, "12Q", "'12Q' is not a size: use a whole number of bytes"),
        (SIZE_OR_ZERO, "-1", "'-1' is not a size"),
        (DURATION, "-2ms", "'-2ms' is not a duration"),
        (RATE, "0", "'0' is not a rate: "),
    ],
)
def test_param_types_turn_bad_values_into_usage_errors(option_type, bad_text, expected_message):
    result = CliRunner().invoke(_command_with(option_type), ["--value", bad_text])
    assert result.exit_code == 2
    assert f"Error: Invalid value for '--value': {expected_message}" in result.output
    assert "Traceback" not in result.output


def test_bad_sink_rate_gives_clicks_usage_error_naming_the_option():
    @click.command()
    @click.option("--sink-rate", type=RATE)
    @click.option("--sink-fail-after", type=SIZE_OR_ZERO)
    def copy(sink_rate, sink_fail_after):
        click.echo("ran")

    result = CliRunner().invoke(copy, ["--sink-rate", "0"])
    assert result.exit_code == 2
    assert "Usage:" in result.output
    assert "Error: Invalid value for '--sink-rate': '0' is not a rate: " in result.output
    assert "Traceback" not in result.output
    assert "ran" not in result.output

    accepted = CliRunner().invoke(copy, ["--sink-fail-after", "0"])
    assert accepted.exit_code == 0
    assert accepted.output == "ran\n"


@pytest.mark.parametrize(
    ("option_type", "default", "expected"),
    [
        (SIZE, 65536, 65536),
        (SIZE, "64KiB", 65536),
        (DURATION, 0, 0.0),
        (RATE, 1000, 1000.0),
    ],
)
def test_param_types_accept_numeric_and_text_defaults(option_type, default, expected):
    result = CliRunner().invoke(_command_with(option_type, default=default), [])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == repr(expected)
