"""Waiting for a pipe to become readable or writable (bpcopy.endpoints.readiness).

Both kinds of watch, the private one-shot epoll and the loop's add_reader/add_writer, run
on a real asyncio loop over a real non-blocking pipe. Readiness is made by writing to or
reading from the pipe's other end; "a later turn" is checked by counting turns, never by
the clock.
"""

from __future__ import annotations

import asyncio
import os
import select
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bpcopy.endpoints.readiness import LoopWatch, OneShotEpollWatch, watch_readiness

WATCHES = [pytest.param(LoopWatch, id="loop")]
if hasattr(select, "epoll"):
    WATCHES.insert(0, pytest.param(OneShotEpollWatch, id="epoll"))

TURNS = 20  # loop turns to let pass: far more than any wake-up needs


@pytest.fixture
def pipe() -> Iterator[tuple[int, int]]:
    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)
    os.set_blocking(write_end, False)
    yield read_end, write_end
    for fd in (read_end, write_end):
        try:
            os.close(fd)
        except OSError:
            pass


def run_task(callback: Callable[[], Any]) -> None:
    callback()


async def turns(count: int = TURNS) -> None:
    for _ in range(count):
        await asyncio.sleep(0)


def fill(write_end: int) -> None:
    while True:
        try:
            os.write(write_end, b"x" * 65536)
        except BlockingIOError:
            return


def drain(read_end: int) -> None:
    while True:
        try:
            os.read(read_end, 65536)
        except BlockingIOError:
            return


@pytest.mark.parametrize("kind", WATCHES)
def test_an_armed_watch_calls_back_once_data_arrives_and_not_before(kind, pipe):
    read_end, write_end = pipe
    calls: list[bytes] = []

    async def scenario() -> None:
        watch = kind(asyncio.get_running_loop(), run_task, read_end, False,
                     lambda: calls.append(os.read(read_end, 100)))
        watch.arm()
        await turns()
        assert calls == []  # an empty pipe: nothing to report
        os.write(write_end, b"hello")
        await turns()
        watch.close()

    asyncio.run(scenario())
    assert calls == [b"hello"]


@pytest.mark.parametrize("kind", WATCHES)
def test_the_callback_runs_on_a_later_turn_never_inside_arm(kind, pipe):
    read_end, write_end = pipe
    os.write(write_end, b"ready already")
    calls = []

    async def scenario() -> None:
        watch = kind(asyncio.get_running_loop(), run_task, read_end, False,
                     lambda: calls.append("called"))
        watch.arm()
        assert calls == []
        await turns()
        watch.close()

    asyncio.run(scenario())
    assert calls == ["called"]


@pytest.mark.parametrize("kind", WATCHES)
def test_a_watch_calls_back_once_per_arm_even_while_the_pipe_stays_readable(kind, pipe):
    read_end, write_end = pipe
    os.write(write_end, b"data nobody reads")
    calls = []

    async def scenario() -> None:
        watch = kind(asyncio.get_running_loop(), run_task, read_end, False,
                     lambda: calls.append("called"))
        watch.arm()
        await turns()
        assert calls == ["called"]
        watch.arm()
        await turns()
        watch.close()

    asyncio.run(scenario())
    assert calls == ["called", "called"]


@pytest.mark.parametrize("kind", WATCHES)
def test_a_disarmed_watch_does_not_call_back(kind, pipe):
    read_end, write_end = pipe
    calls = []

    async def scenario() -> None:
        watch = kind(asyncio.get_running_loop(), run_task, read_end, False,
                     lambda: calls.append("called"))
        watch.arm()
        watch.disarm()
        os.write(write_end, b"too late")
        await turns()
        watch.close()

    asyncio.run(scenario())
    assert calls == []


@pytest.mark.parametrize("kind", WATCHES)
def test_a_hang_up_before_any_wait_is_reported_only_once_armed(kind, pipe):
    read_end, write_end = pipe
    calls: list[bytes] = []

    async def scenario() -> None:
        watch = kind(asyncio.get_running_loop(), run_task, read_end, False,
                     lambda: calls.append(os.read(read_end, 100)))
        os.close(write_end)  # the writer went away while nobody was waiting
        await turns()
        assert calls == []
        watch.arm()
        await turns()
        watch.close()

    asyncio.run(scenario())
    assert calls == [b""]  # woken to read the end of the data


@pytest.mark.parametrize("kind", WATCHES)
def test_a_write_watch_calls_back_once_the_reader_makes_room(kind, pipe):
    read_end, write_end = pipe
    fill(write_end)
    calls = []

    async def scenario() -> None:
        watch = kind(asyncio.get_running_loop(), run_task, write_end, True,
                     lambda: calls.append(os.write(write_end, b"more")))
        watch.arm()
        await turns()
        assert calls == []  # a full pipe: no room yet
        drain(read_end)
        await turns()
        watch.close()

    asyncio.run(scenario())
    assert calls == [4]


def test_closing_an_epoll_watch_gives_its_descriptor_back(pipe):
    if not hasattr(select, "epoll"):
        pytest.skip("epoll is Linux's")
    read_end, _ = pipe

    async def scenario() -> None:
        before = len(os.listdir("/proc/self/fd"))
        watch = watch_readiness(asyncio.get_running_loop(), run_task, read_end, False,
                                lambda: None)
        assert isinstance(watch, OneShotEpollWatch)
        assert len(os.listdir("/proc/self/fd")) == before + 1
        watch.close()
        watch.close()  # twice is harmless
        assert len(os.listdir("/proc/self/fd")) == before

    asyncio.run(scenario())
