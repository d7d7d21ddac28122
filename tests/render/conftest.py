"""Fixtures for the renderer tests, and the snapshot comparison.

Snapshots live in tests/render/snapshots/. After an intended change of layout, rewrite
them with BPCOPY_UPDATE_SNAPSHOTS=1 and read the diff before committing.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest
from render_inputs import hand_built_samples, hand_built_summary, outcome_of

SNAPSHOTS = Path(__file__).parent / "snapshots"


@pytest.fixture
def run_outcome() -> SimpleNamespace:
    return outcome_of(hand_built_summary(), hand_built_samples())


@pytest.fixture
def snapshot():
    """Compare text with a stored snapshot (or store it, when asked to update)."""

    def check(name: str, text: str) -> None:
        path = SNAPSHOTS / name
        if os.environ.get("BPCOPY_UPDATE_SNAPSHOTS"):
            path.parent.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
            return
        if not path.exists():
            pytest.fail(f"snapshot {path} is missing: write it with BPCOPY_UPDATE_SNAPSHOTS=1")
        expected = path.read_text(encoding="utf-8")
        assert text == expected, (
            f"rendering differs from snapshot {path} (after an intended change, rerun with "
            "BPCOPY_UPDATE_SNAPSHOTS=1 and review the diff)")

    return check
