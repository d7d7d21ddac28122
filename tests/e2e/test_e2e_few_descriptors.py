"""Under a small `ulimit -n` (set by a real shell), a copy ends with one line naming
what could not be opened, status 1, and leaves no temporary file."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest
from e2e_helpers import BPCOPY, HANG_TIMEOUT_S, make_file

# The line names what could not be opened: a file, the destination, or the event loop;
# or, in a pipeline, the watch on its kernel buffers (bpcopy.diagnostics.pipeline).
NAMES_WHAT = re.compile(r"bpcopy: error: cannot ((open|create destination|open source) "
                        r"('[^']+'|the event loop)|watch the pipeline: )")


def run_with_ulimit(limit: int, *args: object) -> subprocess.CompletedProcess[bytes]:
    command = " ".join(shlex.quote(str(arg)) for arg in (*BPCOPY, *args))
    return subprocess.run(["bash", "-c", f"ulimit -n {limit} && exec {command}"],
                          capture_output=True, stdin=subprocess.DEVNULL,
                          timeout=HANG_TIMEOUT_S, check=False)


# Below 5, Python itself cannot start; from about 12 up, everything fits.
@pytest.mark.parametrize("limit", [5, 6, 7, 8, 9, 10, 11])
@pytest.mark.parametrize("extra", [(), ("--verify",), ("--json",)], ids=["plain", "verify",
                                                                        "json"])
def test_few_descriptors_give_one_line_and_no_temporary_file(tmp_path: Path, limit: int,
                                                             extra: tuple[str, ...]) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    data = make_file(src, 200_000)
    result = run_with_ulimit(limit, src, dst, "-q", *extra)
    err = result.stderr.decode()
    assert "Traceback" not in err and "Warning" not in err
    assert sorted(os.listdir(tmp_path)) in (["dst", "src"], ["src"])
    if result.returncode == 0:
        assert dst.read_bytes() == data
        return
    assert result.returncode == 1
    if "--json" in extra:
        assert "Too many open files" in err and err.count("\n") == 1
        return
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert NAMES_WHAT.match(lines[0]), lines[0]
    assert f"Too many open files (ulimit -n is {limit})" in lines[0]
    assert not dst.exists()


def test_enough_descriptors_copy(tmp_path: Path) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    data = make_file(src, 200_000)
    result = run_with_ulimit(16, src, dst, "-q", "--verify")
    assert result.returncode == 0, result.stderr
    assert dst.read_bytes() == data


@pytest.mark.parametrize("limit", [7, 8, 9, 10, 12, 16])
def test_few_descriptors_in_a_pipeline_give_one_line_or_the_whole_copy(tmp_path: Path,
                                                                        limit: int) -> None:
    src, out = tmp_path / "src", tmp_path / "out"
    data = make_file(src, 200_000)
    bpcopy = " ".join(shlex.quote(arg) for arg in BPCOPY)
    script = (f"ulimit -n {limit} && cat {shlex.quote(str(src))} | {bpcopy} - - -q "
              f"| cat > {shlex.quote(str(out))}; exit ${{PIPESTATUS[1]}}")
    result = subprocess.run(["bash", "-c", script], capture_output=True,
                            stdin=subprocess.DEVNULL, timeout=HANG_TIMEOUT_S, check=False)
    err = result.stderr.decode()
    assert "Traceback" not in err and "Warning" not in err
    if result.returncode == 0:
        assert out.read_bytes() == data
        return
    assert result.returncode == 1
    lines = err.splitlines()
    assert len(lines) == 1 and NAMES_WHAT.match(lines[0]), err
    assert f"(ulimit -n is {limit})" in lines[0]
