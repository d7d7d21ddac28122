"""bpcopy where /proc cannot be read (a chroot, a container without it, and in effect
macOS): a real mount namespace with an empty tmpfs over /proc. The pipeline diagnostics
must then report what they can (the kernel's buffers are our own descriptors), leave
empty what they cannot (the programs at each end), and never report a wrong kind, a
made-up limit, or a traceback.

Needs root and unshare(1); skipped where a mount namespace cannot be made.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from e2e_helpers import BPCOPY, HANG_TIMEOUT_S, summary_of

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None,
                                reason="needs root and unshare(1) for a mount namespace")

# Runs "$@" with an empty tmpfs mounted over /proc, in a mount namespace of its own.
WITHOUT_PROC = ["unshare", "-m", "sh", "-c", 'mount -t tmpfs none /proc && exec "$@"', "sh"]


@pytest.fixture(scope="module", autouse=True)
def _mount_namespace_works() -> None:
    probe = subprocess.run([*WITHOUT_PROC, "sh", "-c", "! test -e /proc/self"],
                           capture_output=True, timeout=HANG_TIMEOUT_S, check=False)
    if probe.returncode != 0:
        pytest.skip(f"cannot hide /proc in a mount namespace here: {probe.stderr!r}")


def without_proc(script: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    """bash -c SCRIPT ARGS, with bpcopy's command line as "$B", where /proc is empty."""
    return subprocess.run([*WITHOUT_PROC, "env", f"B={' '.join(BPCOPY)}", "bash", "-c",
                           script, "bash", *args],
                          capture_output=True, timeout=HANG_TIMEOUT_S, check=False)


def test_a_fifo_into_a_pipe_is_still_a_fifo_and_a_pipe_with_nobody_named(tmp_path):
    data = os.urandom(3 << 20)
    (tmp_path / "src").write_bytes(data)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    result = without_proc('cat "$1" > "$2" & writer=$!; '
                          '$B "$2" - --json 2> "$3" | cat > "$4"; status=${PIPESTATUS[0]}; '
                          'kill "$writer" 2> /dev/null; exit "$status"',
                          str(tmp_path / "src"), str(fifo), str(tmp_path / "err"),
                          str(tmp_path / "out"))
    err = (tmp_path / "err").read_bytes()
    assert result.returncode == 0, err
    assert (tmp_path / "out").read_bytes() == data
    summary = summary_of(err)
    # The kind comes from the descriptor, not from a /proc link nobody can read.
    assert summary["upstream"]["kind"] == "fifo"
    assert summary["downstream"]["kind"] == "pipe"
    for role in ("upstream", "downstream"):
        assert summary[role]["processes"] == []
        assert summary[role]["capacity"] > 0
    assert summary["start_rss"] > 0 and summary["peak_rss"] >= summary["start_rss"]


def test_a_copy_between_files_still_measures_its_memory(tmp_path):
    # On Linux psutil reads /proc as well: with neither, the kernel's peak stands in.
    (tmp_path / "src").write_bytes(b"m" * 100_000)
    result = without_proc('$B "$1" "$2" --json', str(tmp_path / "src"),
                          str(tmp_path / "dst"))
    assert result.returncode == 0, result.stderr
    summary = summary_of(result)
    assert summary["ok"] is True and summary["start_rss"] > 0
    assert (tmp_path / "dst").read_bytes() == b"m" * 100_000


def test_a_refused_pipe_size_names_no_limit_it_could_not_read():
    # pipe-max-size is 1 MiB by default; 2 GiB is past it for anyone without
    # CAP_SYS_RESOURCE, and /proc/sys/fs, which would say by how much, is hidden.
    result = without_proc('head -c 64K /dev/zero | $B - - --pipe-size 2GiB | cat > /dev/null; '
                          'exit "${PIPESTATUS[1]}"')
    if result.returncode == 0:
        pytest.skip("bpcopy runs with CAP_SYS_RESOURCE here: no limit to hit")
    assert result.returncode == 1
    (line,) = result.stderr.decode().splitlines()
    assert line.startswith("bpcopy: error: cannot set the pipe size of stdin")
    assert "None" not in line and "/proc" in line


def test_a_guard_fails_and_its_reason_includes_an_unreadable_proc():
    result = without_proc('head -c 64K /dev/zero | $B - /dev/null --json '
                          '--assert-upstream-max-rss 1GiB; exit "${PIPESTATUS[1]}"')
    assert result.returncode == 3
    (failure,) = summary_of(result)["guards"]
    assert "cannot be checked" in failure and "/proc" in failure and "cannot be read" in failure
