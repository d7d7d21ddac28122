"""Destinations by cp's rules: a trailing slash, a dangling symlink, setuid bits, names
as long as the file system allows; and temporary files that a kill -9 left behind."""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import stat
import subprocess
import time
from pathlib import Path

import pytest
from e2e_helpers import HANG_TIMEOUT_S, cli, kill_quietly, make_file, spawn

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="setuid bits need root here")
needs_cp = pytest.mark.skipif(shutil.which("cp") is None, reason="cp is not installed")


def error_line(result: subprocess.CompletedProcess[bytes]) -> str:
    err = result.stderr.decode()
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("bpcopy: error:")]
    assert len(lines) == 1, err
    return lines[0]


def temporaries(folder: Path) -> list[str]:
    return sorted(name for name in os.listdir(folder) if name.endswith(".bpcopy-tmp"))


# -- a trailing slash --------------------------------------------------------------------


@needs_cp
def test_a_trailing_slash_on_a_missing_directory_is_not_a_directory_as_with_cp(tmp_path):
    src = tmp_path / "f"
    make_file(src, 100)
    cp = subprocess.run(["cp", str(src), f"{tmp_path}/by-cp/"], capture_output=True,
                        check=False)
    result = cli(src, f"{tmp_path}/nodir/")
    assert result.returncode == cp.returncode == 1
    assert "Not a directory" in error_line(result)
    assert b"Not a directory" in cp.stderr
    assert sorted(os.listdir(tmp_path)) == ["f"]  # nothing created, by either


def test_a_trailing_slash_on_an_existing_directory_copies_into_it(tmp_path):
    src = tmp_path / "f"
    data = make_file(src, 100)
    (tmp_path / "d").mkdir()
    result = cli(src, f"{tmp_path}/d/", "-q")
    assert result.returncode == 0
    assert (tmp_path / "d" / "f").read_bytes() == data


# -- a dangling symlink ------------------------------------------------------------------


@needs_cp
def test_a_dangling_symlink_destination_is_refused_as_cp_refuses_it(tmp_path):
    src = tmp_path / "f"
    make_file(src, 100)
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "nowhere")
    cp = subprocess.run(["cp", str(src), str(link)], capture_output=True, check=False)
    result = cli(src, link)
    assert result.returncode == cp.returncode == 1
    line = error_line(result)
    assert "dangling symlink" in line and str(link) in line
    assert b"dangling symlink" in cp.stderr
    assert not (tmp_path / "nowhere").exists()
    assert link.is_symlink()
    assert temporaries(tmp_path) == []


def test_a_symlink_to_an_existing_file_is_still_written_through(tmp_path):
    src, target = tmp_path / "f", tmp_path / "target"
    data = make_file(src, 100)
    make_file(target, 10, seed=1)
    link = tmp_path / "link"
    link.symlink_to(target)
    assert cli(src, link, "-q").returncode == 0
    assert link.is_symlink() and target.read_bytes() == data


# -- setuid and setgid -------------------------------------------------------------------


@needs_root
@needs_cp
@pytest.mark.parametrize("mode", [0o4755, 0o2755, 0o6755, 0o1755], ids=oct)
def test_a_new_copy_drops_setuid_setgid_and_sticky_as_cp_does(tmp_path, mode: int):
    src = tmp_path / "f"
    make_file(src, 100)
    src.chmod(mode)
    subprocess.run(["cp", str(src), str(tmp_path / "by-cp")], check=True)
    assert cli(src, tmp_path / "by-bpcopy", "-q").returncode == 0
    ours = stat.S_IMODE((tmp_path / "by-bpcopy").stat().st_mode)
    assert ours == stat.S_IMODE((tmp_path / "by-cp").stat().st_mode)
    assert ours & (stat.S_ISUID | stat.S_ISGID | stat.S_ISVTX) == 0


@needs_root
@pytest.mark.parametrize("mode", [0o4755, 0o2750, 0o6711], ids=oct)
def test_an_existing_destination_keeps_setuid_and_setgid_when_replaced(tmp_path,
                                                                       mode: int):
    src, dst = tmp_path / "f", tmp_path / "dst"
    data = make_file(src, 100)
    make_file(dst, 10, seed=1)
    os.chown(dst, 65534, 65534)  # not ours: the owner is set back, then the mode
    dst.chmod(mode)
    assert cli(src, dst, "-q").returncode == 0
    info = dst.stat()
    assert dst.read_bytes() == data
    assert stat.S_IMODE(info.st_mode) == mode
    assert (info.st_uid, info.st_gid) == (65534, 65534)


# -- long names --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["a" * 250, "é" * 127, "a" * 255, "x" + "€" * 84],
                         ids=["250-ascii", "254-bytes-of-e-acute", "255-ascii", "253-bytes-euro"])
def test_a_name_as_long_as_the_file_system_allows_copies_as_with_cp(tmp_path, name: str):
    assert len(os.fsencode(name)) <= os.pathconf(tmp_path, "PC_NAME_MAX")
    src = tmp_path / "f"
    data = make_file(src, 70000)
    result = cli(src, tmp_path / name, "-q")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / name).read_bytes() == data
    assert temporaries(tmp_path) == []


def test_a_long_name_copy_interrupted_leaves_its_shortened_temporary_file_meanwhile(
        tmp_path):
    src = tmp_path / "f"
    make_file(src, 4 * 1024 * 1024)
    name = "n" * 250
    process = spawn(src, tmp_path / name, "-q", "--sink-rate", "1MiB/s")
    try:
        found = wait_for_temporary(tmp_path, process)
        assert len(os.fsencode(found)) <= os.pathconf(tmp_path, "PC_NAME_MAX")
        assert found.startswith(".nnnn")
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=HANG_TIMEOUT_S)
    finally:
        kill_quietly(process)
    assert temporaries(tmp_path) == []


# -- what kill -9 leaves behind ----------------------------------------------------------


def wait_for_temporary(folder: Path, process: subprocess.Popen[bytes]) -> str:
    """The temporary file of a running copy, once it exists (a safety net of a minute)."""
    deadline = time.monotonic() + HANG_TIMEOUT_S
    while time.monotonic() < deadline:
        found = temporaries(folder)
        if found:
            return found[0]
        assert process.poll() is None, process.communicate()
        time.sleep(0.02)
    raise AssertionError("the copy never created its temporary file")


def test_a_temporary_file_left_by_kill_9_is_removed_by_the_next_copy_there(tmp_path):
    src = tmp_path / "f"
    data = make_file(src, 2 * 1024 * 1024)
    process = spawn(src, tmp_path / "first", "-q", "--sink-rate", "512KiB/s")
    try:
        leftover = wait_for_temporary(tmp_path, process)
    finally:
        kill_quietly(process)  # SIGKILL: no clean-up of its own
    assert temporaries(tmp_path) == [leftover]
    assert cli(src, tmp_path / "second", "-q").returncode == 0
    assert temporaries(tmp_path) == []
    assert (tmp_path / "second").read_bytes() == data
    assert not (tmp_path / "first").exists()


def test_a_live_copy_s_temporary_file_is_left_to_it(tmp_path):
    src = tmp_path / "f"
    make_file(src, 8 * 1024 * 1024)
    slow = spawn(src, tmp_path / "slow", "-q", "--sink-rate", "512KiB/s")  # 16 s
    try:
        live = wait_for_temporary(tmp_path, slow)
        assert cli(src, tmp_path / "quick", "-q").returncode == 0
        assert slow.poll() is None  # still copying, so its file must still be there
        assert temporaries(tmp_path) == [live]
        slow.send_signal(signal.SIGINT)
        slow.communicate(timeout=HANG_TIMEOUT_S)
    finally:
        kill_quietly(slow)
    assert slow.returncode == -signal.SIGINT  # death by SIGINT: 130 in the shell
    assert temporaries(tmp_path) == []
    assert not (tmp_path / "slow").exists()


def test_a_temporary_file_locked_by_another_process_is_kept(tmp_path):
    src = tmp_path / "f"
    make_file(src, 1000)
    held = tmp_path / ".other.0123456789ab.bpcopy-tmp"
    held.write_bytes(b"someone's copy in progress")
    abandoned = tmp_path / ".gone.ba9876543210.bpcopy-tmp"
    abandoned.write_bytes(b"left by kill -9")
    holder = subprocess.Popen(["flock", "--exclusive", str(held), "sleep", "60"]) \
        if shutil.which("flock") else None
    if holder is None:
        pytest.skip("flock(1) is not installed")
    try:
        wait_until_locked(held)
        assert cli(src, tmp_path / "dst", "-q").returncode == 0
        assert temporaries(tmp_path) == [held.name]
    finally:
        kill_quietly(holder)


def wait_until_locked(path: Path) -> None:
    deadline = time.monotonic() + HANG_TIMEOUT_S
    with open(path, "rb") as probe:
        while time.monotonic() < deadline:
            try:
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return
            fcntl.flock(probe, fcntl.LOCK_UN)
            time.sleep(0.02)
    raise AssertionError(f"{path} never got locked")
