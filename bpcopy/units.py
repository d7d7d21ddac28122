"""Reading and writing the quantities a user types: sizes, durations and rates.

The parsers turn option text such as ``64KiB``, ``2ms`` or ``100MiB/s`` into plain numbers
(bytes, seconds, bytes per second) and the formatters turn numbers back into short text for
people. The click ParamTypes at the bottom wrap the parsers so that a bad value becomes
click's ordinary usage error.

This module must not know about streams, endpoints, files or which option uses which unit:
it is pure conversion, importing only the standard library and click.
"""

from __future__ import annotations

import math
import re

import click

_BINARY_UNIT_FACTORS = {
    "k": 1024,
    "kib": 1024,
    "m": 1024**2,
    "mib": 1024**2,
    "g": 1024**3,
    "gib": 1024**3,
    "t": 1024**4,
    "tib": 1024**4,
}
_DECIMAL_UNIT_FACTORS = {
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "tb": 1000**4,
}
_SIZE_UNIT_FACTORS = {"": 1, "b": 1, **_BINARY_UNIT_FACTORS, **_DECIMAL_UNIT_FACTORS}

_SIZE_UNITS_FOR_HUMANS = "B, K/KiB, M/MiB, G/GiB, T/TiB, KB, MB, GB, TB"

SIZE_FORM = (
    f"use a whole number of bytes with an optional unit ({_SIZE_UNITS_FOR_HUMANS}), e.g. 64KiB"
)
DURATION_FORM = (
    "use a number with an optional unit (ns, us/µs, ms, s, m for minutes, h; "
    "a bare number means seconds), e.g. 2ms or 1.5s"
)
RATE_FORM = (
    f"use a positive number of bytes per second with an optional unit "
    f"({_SIZE_UNITS_FOR_HUMANS}) and an optional /s, e.g. 100MiB/s or 1.5MiB"
)

# ASCII digits only: re's \d would also accept other scripts' digits, which nobody means here.
_DECIMAL_NUMBER = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
_SIZE_PATTERN = re.compile(r"(?P<number>[0-9]+)\s*(?P<unit>[a-z]*)", re.IGNORECASE)
_FRACTIONAL_SIZE_PATTERN = re.compile(
    rf"(?P<number>{_DECIMAL_NUMBER})\s*(?P<unit>[a-z]*)", re.IGNORECASE
)
_DURATION_PATTERN = re.compile(
    rf"(?P<number>{_DECIMAL_NUMBER})\s*(?P<unit>[a-zµμ]*)", re.IGNORECASE
)
_RATE_PATTERN = re.compile(
    rf"(?P<number>{_DECIMAL_NUMBER})\s*(?P<unit>[a-z]*)\s*(?P<per_second>/\s*s)?",
    re.IGNORECASE,
)

_SECONDS_PER_DURATION_UNIT = {
    "": 1.0,
    "s": 1.0,
    "ns": 1e-9,
    "us": 1e-6,
    # Both the micro sign (U+00B5) and the Greek small mu (U+03BC) are typed for "micro".
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "m": 60.0,
    "h": 3600.0,
}


def parse_size(text: str, minimum: int = 1) -> int:
    """Return the number of bytes that ``text`` (e.g. ``64KiB``, ``1 MB``, ``512``) names.

    Binary units (K, KiB, M, MiB, ...) are powers of 1024, decimal ones (KB, MB, ...) powers
    of 1000; units are case-insensitive. Raises ValueError naming the accepted form when the
    text is not a whole number of bytes of at least ``minimum``.
    """
    stripped = text.strip()
    match = _SIZE_PATTERN.fullmatch(stripped)
    if match is None:
        raise ValueError(_explain_bad_size(text, stripped))
    factor = _SIZE_UNIT_FACTORS.get(match["unit"].lower())
    if factor is None:
        raise ValueError(f"{text!r} is not a size: {SIZE_FORM}")
    size = int(match["number"]) * factor
    if size < minimum:
        unit_word = "byte" if minimum == 1 else "bytes"
        raise ValueError(
            f"{text!r} is too small: a size here must be at least {minimum} {unit_word}"
        )
    return size


def _explain_bad_size(text: str, stripped: str) -> str:
    """Say why ``text`` is not a size, singling out the two mistakes people actually make."""
    if stripped.startswith("-"):
        return f"{text!r} is not a size: sizes cannot be negative; {SIZE_FORM}"
    fractional = _FRACTIONAL_SIZE_PATTERN.fullmatch(stripped)
    if fractional is not None:
        factor = _SIZE_UNIT_FACTORS.get(fractional["unit"].lower())
        if factor is not None:
            hint = ""
            exact_bytes = float(fractional["number"]) * factor
            if exact_bytes.is_integer():
                hint = f" (write {int(exact_bytes)} for that many bytes)"
            return f"{text!r} is not a size: only whole numbers are accepted{hint}; {SIZE_FORM}"
    return f"{text!r} is not a size: {SIZE_FORM}"


def parse_duration(text: str) -> float:
    """Return the seconds that ``text`` (e.g. ``500us``, ``2ms``, ``1.5s``, ``3m``) names.

    A bare number means seconds and ``0`` means no delay. Raises ValueError naming the
    accepted form for anything else, including negative durations.
    """
    stripped = text.strip()
    if stripped.startswith("-"):
        raise ValueError(
            f"{text!r} is not a duration: durations cannot be negative; {DURATION_FORM}"
        )
    match = _DURATION_PATTERN.fullmatch(stripped)
    if match is None:
        raise ValueError(f"{text!r} is not a duration: {DURATION_FORM}")
    # Lower-casing leaves µ and μ alone, so "MS", "Us" and "µS" all work.
    seconds_per_unit = _SECONDS_PER_DURATION_UNIT.get(match["unit"].lower())
    if seconds_per_unit is None:
        raise ValueError(f"{text!r} is not a duration: {DURATION_FORM}")
    seconds = float(match["number"]) * seconds_per_unit
    if not math.isfinite(seconds):
        raise ValueError(f"{text!r} is not a duration: it is too large; {DURATION_FORM}")
    return seconds


def parse_rate(text: str) -> float:
    """Return the bytes per second that ``text`` (e.g. ``100MiB/s``, ``1.5M/s``) names.

    The ``/s`` may be left out; the number may be fractional. Raises ValueError naming the
    accepted form unless the rate is a finite number greater than zero.
    """
    stripped = text.strip()
    if stripped.startswith("-"):
        raise ValueError(f"{text!r} is not a rate: rates cannot be negative; {RATE_FORM}")
    match = _RATE_PATTERN.fullmatch(stripped)
    if match is None:
        raise ValueError(f"{text!r} is not a rate: {RATE_FORM}")
    factor = _SIZE_UNIT_FACTORS.get(match["unit"].lower())
    if factor is None:
        raise ValueError(f"{text!r} is not a rate: {RATE_FORM}")
    bytes_per_second = float(match["number"]) * factor
    if not math.isfinite(bytes_per_second):
        raise ValueError(f"{text!r} is not a rate: it is too large; {RATE_FORM}")
    if bytes_per_second <= 0:
        raise ValueError(f"{text!r} is not a rate: it must be greater than zero; {RATE_FORM}")
    return bytes_per_second


_BINARY_UNIT_NAMES = ("KiB", "MiB", "GiB", "TiB", "PiB", "EiB")


def format_size(size: float) -> str:
    """Return ``size`` bytes as short binary-unit text: ``512 B``, ``64.0 KiB``, ``1.00 GiB``."""
    sign, magnitude = _split_sign(size)
    if round(magnitude) < 1024:
        return f"{sign}{magnitude:.0f} B"
    return f"{sign}{_three_significant_binary(magnitude)}"


def format_rate(bytes_per_second: float) -> str:
    """Return a rate as short text in binary units per second, e.g. ``123.4 MiB/s``."""
    sign, magnitude = _split_sign(bytes_per_second)
    value = magnitude
    unit = "B"
    for unit_name in _BINARY_UNIT_NAMES:
        # Compare the rounded text, so 1023.96 KiB/s is shown as 1.0 MiB/s, not 1024.0 KiB/s.
        if float(f"{value:.1f}") < 1024:
            break
        value /= 1024
        unit = unit_name
    if unit == "B":
        return f"{sign}{value:.0f} B/s"
    return f"{sign}{value:.1f} {unit}/s"


def _three_significant_binary(magnitude: float) -> str:
    value = magnitude
    unit = "B"
    for unit_name in _BINARY_UNIT_NAMES:
        if float(_three_significant(value)) < 1024:
            break
        value /= 1024
        unit = unit_name
    return f"{_three_significant(value)} {unit}"


def _three_significant(value: float) -> str:
    """Three significant figures without an exponent: 1.23, 12.3, 123, 1023."""
    if round(value, 2) < 10:
        return f"{value:.2f}"
    if round(value, 1) < 100:
        return f"{value:.1f}"
    return f"{value:.0f}"


_SUBSECOND_UNITS = (("ns", 1e-9), ("µs", 1e-6), ("ms", 1e-3), ("s", 1.0))


def format_duration(seconds: float) -> str:
    """Return a duration as short text: ``850 µs``, ``12.3 ms``, ``1.23 s``, ``2m03s``."""
    sign, magnitude = _split_sign(seconds)
    if magnitude == 0:
        return "0 s"
    for index, (unit, unit_seconds) in enumerate(_SUBSECOND_UNITS):
        text = _three_significant(magnitude / unit_seconds)
        next_unit_seconds = (
            _SUBSECOND_UNITS[index + 1][1] if index + 1 < len(_SUBSECOND_UNITS) else 60.0
        )
        # Move up a unit when rounding reaches it, so 999.7 ms reads 1.00 s, not 1000 ms.
        if float(text) * unit_seconds < next_unit_seconds:
            return f"{sign}{text} {unit}"
    whole_seconds = round(magnitude)
    hours, remainder = divmod(whole_seconds, 3600)
    minutes, secs = divmod(remainder, 60)
    if hours:
        return f"{sign}{hours}h{minutes:02d}m{secs:02d}s"
    return f"{sign}{minutes}m{secs:02d}s"


def counted(number: float, noun: str) -> str:
    """A count with its noun, singular for exactly one: ``1 chunk``, ``0 chunks``,
    ``2 bytes``. Nouns here take a plain s."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _split_sign(number: float) -> tuple[str, float]:
    return ("-", -number) if number < 0 else ("", number)


class SizeParamType(click.ParamType):
    """A click option value in bytes, written like ``64KiB``; see parse_size."""

    name = "size"

    def __init__(self, minimum: int = 1, maximum: int | None = None,
                 maximum_reason: str = "") -> None:
        self.minimum = minimum
        self.maximum = maximum
        self.maximum_reason = maximum_reason

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> int:
        # Defaults written in code may already be ints; check them by the same rule.
        text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
        if not isinstance(text, str):
            self.fail(f"{value!r} is not a size: {SIZE_FORM}", param, ctx)
        try:
            size = parse_size(text, minimum=self.minimum)
        except ValueError as error:
            self.fail(str(error), param, ctx)
        if self.maximum is not None and size > self.maximum:
            self.fail(f"{text!r} is too large: at most {format_size(self.maximum)}"
                      f"{self.maximum_reason}", param, ctx)
        return size


class DurationParamType(click.ParamType):
    """A click option value in seconds, written like ``2ms`` or ``1.5s``; see parse_duration."""

    name = "duration"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if math.isfinite(value) and value >= 0:
                return float(value)
            self.fail(f"{value!r} is not a duration: {DURATION_FORM}", param, ctx)
        if not isinstance(value, str):
            self.fail(f"{value!r} is not a duration: {DURATION_FORM}", param, ctx)
        try:
            return parse_duration(value)
        except ValueError as error:
            self.fail(str(error), param, ctx)


class RateParamType(click.ParamType):
    """A click option value in bytes per second, written like ``100MiB/s``; see parse_rate."""

    name = "rate"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if math.isfinite(value) and value > 0:
                return float(value)
            self.fail(f"{value!r} is not a rate: {RATE_FORM}", param, ctx)
        if not isinstance(value, str):
            self.fail(f"{value!r} is not a rate: {RATE_FORM}", param, ctx)
        try:
            return parse_rate(value)
        except ValueError as error:
            self.fail(str(error), param, ctx)


SIZE = SizeParamType()
SIZE_OR_ZERO = SizeParamType(minimum=0)
# The cap on --high-water-mark, --read-hwm and --write-hwm is bpcopy's own choice, not a
# rule of Node's: Node's stream constructors accept any non-negative integer mark (2^31
# included), and its 1 GiB MAX_HWM only caps how far read(n) raises a readable's mark.
# bpcopy reads a mark's worth at a time and may hold a mark per side in memory, so it
# refuses marks over 1 GiB rather than let a typo allocate gigabytes.
MARK_LIMIT = 1 << 30
MARK = SizeParamType(maximum=MARK_LIMIT, maximum_reason=", bpcopy's limit for a mark")
DURATION = DurationParamType()
RATE = RateParamType()
