"""The marks' two size rules (bpcopy/streams/marks.py), each apart from the other.

Checked against node v20.20.2 (`new Readable({highWaterMark})`, `new Writable(...)`,
`read(n)`):
- a constructor keeps any non-negative integer, 0, 2**31 and 2**40 included, and
  refuses 1.5, -1, NaN, Infinity and '16' with ERR_INVALID_ARG_VALUE ("The property
  'options.highWaterMark' is invalid. Received 1.5");
- read(n) raises the mark to the next power of two >= n, and n above 1 GiB is
  ERR_OUT_OF_RANGE; a stream whose mark is already 2**31 reads 2**30 + 1 bytes without
  complaint, since its mark need not rise.
"""

import math

import pytest
from nodeport import make_readable, make_writable

from bpcopy.streams import StreamError
from bpcopy.streams.marks import (
    DEFAULT_HIGH_WATER_MARK,
    MAX_MARK_RAISED_BY_READ,
    can_push_more,
    drain_due,
    validated_mark,
    write_accepts_more,
)

ONE_GIB = 1 << 30


@pytest.mark.parametrize("make", [make_readable, make_writable], ids=["readable", "writable"])
@pytest.mark.parametrize("mark", [0, 1, 2**31, 2**40])
def test_a_constructor_keeps_any_non_negative_integer_mark(make, mark):
    stream = make(high_water_mark=mark)
    kept = (stream.readable_high_water_mark if hasattr(stream, "readable_high_water_mark")
            else stream.writable_high_water_mark)
    assert kept == mark


@pytest.mark.parametrize("make", [make_readable, make_writable], ids=["readable", "writable"])
@pytest.mark.parametrize("mark", [1.5, -1, -0.5, math.nan, math.inf, "16", True, [1]])
def test_a_constructor_refuses_a_fraction_a_negative_or_a_non_number(make, mark):
    with pytest.raises(StreamError) as raised:
        make(high_water_mark=mark)
    assert raised.value.code == "ERR_INVALID_ARG_VALUE"
    assert str(raised.value) == f"The property 'high_water_mark' is invalid. Received {mark!r}"
    assert isinstance(raised.value, ValueError)


def test_a_whole_float_is_an_integer_mark_as_in_javascript():
    assert validated_mark(2.0) == 2
    assert type(validated_mark(2.0)) is int


def test_no_mark_means_the_file_streams_default():
    assert validated_mark(None) == DEFAULT_HIGH_WATER_MARK == 65536
    assert make_readable().readable_high_water_mark == DEFAULT_HIGH_WATER_MARK
    assert make_writable().writable_high_water_mark == DEFAULT_HIGH_WATER_MARK


async def test_read_n_raises_the_mark_to_the_next_power_of_two():
    r = make_readable(high_water_mark=16)
    r.read(100)
    assert r.readable_high_water_mark == 128
    r.read(ONE_GIB)
    assert r.readable_high_water_mark == ONE_GIB == MAX_MARK_RAISED_BY_READ


async def test_read_n_above_one_gib_is_out_of_range():
    r = make_readable()
    with pytest.raises(StreamError) as raised:
        r.read(ONE_GIB + 1)
    assert raised.value.code == "ERR_OUT_OF_RANGE"
    assert r.readable_high_water_mark == DEFAULT_HIGH_WATER_MARK


async def test_the_one_gib_cap_binds_only_read_n_not_the_constructor():
    r = make_readable(high_water_mark=2**31)
    assert r.read(ONE_GIB + 1) is None  # no raise: the mark need not rise
    assert r.readable_high_water_mark == 2**31


@pytest.mark.parametrize(("length", "mark", "expected"), [
    (0, 0, True), (0, 10, True), (9, 10, True), (10, 10, False), (11, 10, False), (1, 0, False)])
def test_write_accepts_more_under_the_mark_or_when_empty(length, mark, expected):
    assert write_accepts_more(length, mark) is expected
    w = make_writable(lambda chunk, cb: None, high_water_mark=mark)
    if length:
        assert w.write(b"x" * length) is expected


def test_drain_is_due_only_when_asked_for_and_empty():
    assert drain_due(True, 0) is True
    assert drain_due(True, 1) is False
    assert drain_due(False, 0) is False


@pytest.mark.parametrize(("length", "mark", "ended", "expected"), [
    (0, 10, False, True), (9, 10, False, True), (10, 10, False, False),
    (0, 0, False, True), (3, 0, False, False), (0, 10, True, False)])
def test_can_push_more_under_the_mark_or_when_empty_and_not_ended(length, mark, ended, expected):
    assert can_push_more(length, mark, ended) is expected
