"""Fixtures for the end-to-end tests (helpers live in e2e_helpers.py)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from e2e_helpers import as_nobody_prefix, make_file


@pytest.fixture
def data(tmp_path: Path):
    """make(name, size) -> (path, bytes): a file of seeded random bytes in tmp_path."""

    def make(name: str = "src.bin", size: int = 4096, seed: int = 0) -> tuple[Path, bytes]:
        path = tmp_path / name
        return path, make_file(path, size, seed)

    return make


@pytest.fixture
def nobody():
    prefix = as_nobody_prefix()
    if prefix is None:
        pytest.skip("cannot run the CLI as user nobody here (needs root and setpriv/runuser)")
    return prefix


@pytest.fixture
def open_dir():
    """A directory that user nobody can enter (pytest's tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="bpcopy-e2e-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)
