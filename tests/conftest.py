"""Suite-wide set-up: which node the parity tests use, and whether it must be there.

The parity tests compare with whatever `node` is on PATH (tests/node/oracle.js), so a
run's header says which one that was, or that those tests skip; with
BPCOPY_REQUIRE_NODE=1 (as .ci/run sets) a missing node is an error instead.

Each test folder's helpers (e2e_helpers, render_inputs, nodeport) are found through
pytest's `pythonpath` setting in pyproject.toml, not through the installed package.
"""

from __future__ import annotations

import os
import platform
import shutil
import signal
import subprocess

import pytest


def pytest_report_header() -> list[str]:
    node = shutil.which("node")
    if node is None:
        return ["node: not on PATH (the tests marked `node` skip)"]
    try:
        version = subprocess.run([node, "--version"], capture_output=True, text=True,
                                 timeout=30, check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError) as error:
        version = f"does not run ({error})"
    return [f"node: {version or 'no version'} ({node}); python: {platform.python_version()}"]


def pytest_configure(config: pytest.Config) -> None:
    """CI sets BPCOPY_REQUIRE_NODE=1, so a missing node fails the run instead of skipping.

    The suite also takes back the signals it tests. A run started in the background by a
    non-interactive shell (`make test &`, or a CI runner that does so) inherits SIGINT and
    SIGQUIT ignored, `nohup` SIGHUP; bpcopy rightly keeps an ignored signal ignored, and
    every bpcopy the tests start would inherit that. A handler of the suite's own is reset
    to the default in each child, so the children start as from a terminal.
    """
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for signum in (signal.SIGHUP, signal.SIGQUIT, signal.SIGTERM, signal.SIGALRM,
                   signal.SIGUSR1, signal.SIGUSR2, signal.SIGXCPU):
        if signal.getsignal(signum) == signal.SIG_IGN:
            signal.signal(signum, _leave_to_children_as_default)
    if os.environ.get("BPCOPY_REQUIRE_NODE") == "1" and shutil.which("node") is None:
        raise pytest.UsageError("BPCOPY_REQUIRE_NODE=1 but node is not on PATH")


def _leave_to_children_as_default(signum: int, frame: object) -> None:
    """Stands in for an inherited SIG_IGN in the suite's own process; never expected to
    run (the tests signal their children, not themselves)."""
