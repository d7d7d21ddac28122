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
    """CI sets BPCOPY_REQUIRE_NODE=1, so a missing node fails the run instead of skipping."""
    if os.environ.get("BPCOPY_REQUIRE_NODE") == "1" and shutil.which("node") is None:
        raise pytest.UsageError("BPCOPY_REQUIRE_NODE=1 but node is not on PATH")
