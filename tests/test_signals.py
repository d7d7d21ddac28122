"""bpcopy.signals in process: which handlers the windows install, and what they leave."""

from __future__ import annotations

import asyncio
import os
import signal

from bpcopy.signals import TERMINATING_SIGNALS, EndingSignals, status_requests
from bpcopy.startup import guard_start_up, swallow_status_request


def test_a_signal_ignored_at_start_stays_ignored_inside_the_window() -> None:
    before = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        with EndingSignals():
            assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) != signal.SIG_DFL  # handled
        assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, before)


def test_the_window_handles_every_terminating_signal_and_gives_each_back() -> None:
    before = {signum: signal.getsignal(signum) for signum in TERMINATING_SIGNALS}
    with EndingSignals() as window:
        for signum in TERMINATING_SIGNALS:
            assert signal.getsignal(signum) == window._handle
    assert {signum: signal.getsignal(signum) for signum in TERMINATING_SIGNALS} == before


def test_sigusr1_calls_the_report_on_the_loop_and_is_given_back_after() -> None:
    before = signal.signal(signal.SIGUSR1, swallow_status_request)
    reports = []

    async def copy() -> None:
        with status_requests(lambda: reports.append("so far")):
            os.kill(os.getpid(), signal.SIGUSR1)
            for _ in range(100):
                if reports:
                    break
                await asyncio.sleep(0.01)

    try:
        asyncio.run(copy())
        assert reports == ["so far"]
        assert signal.getsignal(signal.SIGUSR1) is swallow_status_request
    finally:
        signal.signal(signal.SIGUSR1, before)


def test_sigusr1_ignored_at_start_is_left_ignored() -> None:
    before = signal.signal(signal.SIGUSR1, signal.SIG_IGN)

    async def copy() -> None:
        with status_requests(lambda: None):
            assert signal.getsignal(signal.SIGUSR1) == signal.SIG_IGN

    try:
        asyncio.run(copy())
    finally:
        signal.signal(signal.SIGUSR1, before)


def test_the_start_up_guard_leaves_sigint_to_the_default_action_and_is_idempotent() -> None:
    saved = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGUSR1)}
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGUSR1, signal.SIG_DFL)
        guard_start_up()
        guard_start_up()
        assert signal.getsignal(signal.SIGINT) == signal.SIG_DFL
        assert signal.getsignal(signal.SIGUSR1) is swallow_status_request
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a background job's
        guard_start_up()
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)
