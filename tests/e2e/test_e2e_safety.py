"""A careful copier: atomic replacement, permissions, refusals, verification, faults."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
from pathlib import Path

import pytest
from e2e_helpers import (
    BPCOPY,
    HANG_TIMEOUT_S,
    cli,
    dir_entries,
    kill_quietly,
    summary_of,
    wait_for_copy_to_write,
)

OLD = b"the old destination, which must survive any failure\n"


def assert_one_clean_line(result: subprocess.CompletedProcess[bytes], *needles: str) -> str:
    err = result.stderr.decode()
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("bpcopy: error:")]
    assert len(lines) == 1, err
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


# -- atomic destination ------------------------------------------------------------------


def test_success_leaves_no_temporary_file(tmp_path: Path, data) -> None:
    src, content = data(size=100_000)
    dst = tmp_path / "dst"
    dst.write_bytes(OLD)
    result = cli(src, dst, "-q", "-H", "4K")
    assert result.returncode == 0
    assert dst.read_bytes() == content
    assert dir_entries(tmp_path) == ["dst", "src.bin"]


@pytest.mark.parametrize("size", ["0", "1", "5000", "64K"])
def test_sink_failure_leaves_an_existing_destination_byte_identical(tmp_path: Path, data,
                                                                     size: str) -> None:
    src, _ = data(size=100_000)
    dst = tmp_path / "dst"
    dst.write_bytes(OLD)
    result = cli(src, dst, "--sink-fail-after", size, "-H", "4K")
    assert result.returncode == 1
    assert_one_clean_line(result, "'" + str(dst) + "'", "Input/output error")
    assert dst.read_bytes() == OLD
    assert dir_entries(tmp_path) == ["dst", "src.bin"]


def test_sink_failure_of_a_new_destination_leaves_nothing_behind(tmp_path: Path, data) -> None:
    src, _ = data(size=20_000)
    result = cli(src, tmp_path / "new", "--sink-fail-after", "1K", "--json")
    assert result.returncode == 1
    summary = summary_of(result)
    assert summary["ok"] is False and "Input/output error" in summary["error"]
    assert dir_entries(tmp_path) == ["src.bin"]


def test_short_writes_still_copy_exactly(tmp_path: Path, data) -> None:
    src, content = data(size=300_000)
    result = cli(src, tmp_path / "out", "--sink-short-writes", "--seed", "3", "-q")
    assert result.returncode == 0
    assert (tmp_path / "out").read_bytes() == content


def test_new_destination_gets_source_permission_bits_less_umask(tmp_path: Path,
                                                                 data) -> None:
    src, _ = data(size=100)
    src.chmod(0o640)
    umask_022 = cli(src, tmp_path / "a", "-q", umask=0o022)
    src.chmod(0o755)
    umask_077 = cli(src, tmp_path / "b", "-q", umask=0o077)
    assert umask_022.returncode == umask_077.returncode == 0
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o640
    assert stat.S_IMODE((tmp_path / "b").stat().st_mode) == 0o700


def test_a_replaced_destination_keeps_its_own_mode(tmp_path: Path, data) -> None:
    src, content = data(size=100)
    src.chmod(0o644)
    dst = tmp_path / "dst"
    dst.write_bytes(OLD)
    dst.chmod(0o600)
    assert cli(src, dst, "-q").returncode == 0
    assert dst.read_bytes() == content
    assert stat.S_IMODE(dst.stat().st_mode) == 0o600


def test_dev_null_is_written_in_place(data) -> None:
    src, content = data(size=100_000)
    result = cli(src, "/dev/null", "--json")
    assert result.returncode == 0
    assert summary_of(result)["bytes"] == len(content)
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_no_clobber_refuses_an_existing_destination(tmp_path: Path, data) -> None:
    src, _ = data(size=100)
    dst = tmp_path / "dst"
    dst.write_bytes(OLD)
    result = cli(src, dst, "-n")
    assert result.returncode == 1
    assert_one_clean_line(result, str(dst))
    assert dst.read_bytes() == OLD
    assert dir_entries(tmp_path) == ["dst", "src.bin"]


def test_no_clobber_still_copies_to_a_new_destination(tmp_path: Path, data) -> None:
    src, content = data(size=100)
    assert cli(src, tmp_path / "new", "--no-clobber", "-q").returncode == 0
    assert (tmp_path / "new").read_bytes() == content


@pytest.mark.parametrize("spelling", ["same", "symlink", "hardlink", "dot-slash", "directory"])
def test_copying_a_file_onto_itself_is_refused(tmp_path: Path, data, spelling: str) -> None:
    src, content = data("file", 5000)
    dst: str = str(src)
    if spelling == "symlink":
        (tmp_path / "link").symlink_to(src)
        dst = str(tmp_path / "link")
    elif spelling == "hardlink":
        os.link(src, tmp_path / "hard")
        dst = str(tmp_path / "hard")
    elif spelling == "dot-slash":
        dst = "./file"
    elif spelling == "directory":
        dst = "."
    result = cli("file", dst, cwd=tmp_path)
    assert result.returncode == 1
    assert_one_clean_line(result, "same file")
    assert src.read_bytes() == content
    assert len(os.listdir(tmp_path)) == (1 if spelling in ("same", "dot-slash", "directory")
                                         else 2)


def test_verify_reports_the_sha256_of_the_file(tmp_path: Path, data) -> None:
    src, content = data(size=200_000)
    result = cli(src, tmp_path / "out", "--verify", "--json")
    assert result.returncode == 0
    assert summary_of(result)["sha256"] == hashlib.sha256(content).hexdigest()
    assert (tmp_path / "out").read_bytes() == content


def test_fsync_copies_and_commits(tmp_path: Path, data) -> None:
    src, content = data(size=50_000)
    result = cli(src, tmp_path / "out", "--fsync", "--json")
    assert result.returncode == 0
    assert summary_of(result)["ok"] is True
    assert (tmp_path / "out").read_bytes() == content
    assert dir_entries(tmp_path) == ["out", "src.bin"]


# -- faults: one clear line, documented exit status -----------------------------------------


def test_dev_full_reports_no_space_left(data) -> None:
    src, _ = data(size=100_000)
    result = cli(src, "/dev/full")
    assert result.returncode == 1
    assert_one_clean_line(result, "/dev/full", "No space left on device")


def test_a_missing_source_is_named_with_the_reason(tmp_path: Path) -> None:
    result = cli(tmp_path / "nope", tmp_path / "out")
    assert result.returncode == 1
    assert_one_clean_line(result, "nope", "No such file or directory")
    assert dir_entries(tmp_path) == []


def test_a_directory_source_is_refused(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    result = cli(tmp_path / "dir", tmp_path / "out")
    assert result.returncode == 1
    assert_one_clean_line(result, "dir", "directory")
    assert dir_entries(tmp_path) == ["dir"]


def test_a_destination_in_a_missing_directory_is_named_with_the_reason(tmp_path: Path,
                                                                       data) -> None:
    src, _ = data(size=10)
    result = cli(src, tmp_path / "no-such-dir" / "out")
    assert result.returncode == 1
    assert_one_clean_line(result, "no-such-dir", "No such file or directory")


def test_an_unreadable_source_is_named_with_the_reason(open_dir: Path, nobody) -> None:
    src = open_dir / "secret"
    src.write_bytes(b"x" * 100)
    src.chmod(0o600)  # root's, so nobody cannot read it
    out_dir = open_dir / "out"
    out_dir.mkdir()
    out_dir.chmod(0o777)
    result = subprocess.run([*nobody, *BPCOPY, str(src), str(out_dir / "copy")],
                            capture_output=True, timeout=HANG_TIMEOUT_S, check=False)
    assert result.returncode == 1, result.stderr
    assert_one_clean_line(result, "secret", "Permission denied")
    assert os.listdir(out_dir) == []


def test_an_unwritable_destination_directory_is_named_with_the_reason(open_dir: Path,
                                                                       nobody) -> None:
    src = open_dir / "public"
    src.write_bytes(b"x" * 100)
    src.chmod(0o644)
    locked = open_dir / "locked"
    locked.mkdir()
    locked.chmod(0o755)  # root's: nobody may enter but not write
    result = subprocess.run([*nobody, *BPCOPY, str(src), str(locked / "copy")],
                            capture_output=True, timeout=HANG_TIMEOUT_S, check=False)
    assert result.returncode == 1, result.stderr
    assert_one_clean_line(result, "locked", "Permission denied")
    assert os.listdir(locked) == []


def test_a_source_truncated_mid_copy_fails_and_leaves_the_destination(tmp_path: Path,
                                                                      data) -> None:
    src, _ = data(size=256 * 1024)
    dst = tmp_path / "dst"
    dst.write_bytes(OLD)
    process = subprocess.Popen([*BPCOPY, str(src), str(dst), "-H", "16K",
                                "--source-rate", "256KiB/s"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for_copy_to_write(tmp_path)  # a chunk in, well before the one-second copy ends
        os.truncate(src, 20_000)
        _, err = process.communicate(timeout=HANG_TIMEOUT_S)
    finally:
        kill_quietly(process)
    assert process.returncode == 1
    assert b"Traceback" not in err
    assert b"src.bin" in err and b"shrank" in err
    assert dst.read_bytes() == OLD
    assert dir_entries(tmp_path) == ["dst", "src.bin"]


def _nobody_owned_folder_with_read_only_destination(open_dir: Path) -> tuple[Path, Path]:
    """A folder user nobody may write, holding a source and a read-only DST of theirs."""
    import pwd

    nobody_ids = pwd.getpwnam("nobody")
    folder = open_dir / "theirs"
    folder.mkdir()
    os.chown(folder, nobody_ids.pw_uid, nobody_ids.pw_gid)
    src, dst = folder / "src", folder / "dst"
    src.write_bytes(b"new bytes\n" * 100)
    src.chmod(0o644)
    dst.write_bytes(OLD)
    os.chown(dst, nobody_ids.pw_uid, nobody_ids.pw_gid)
    dst.chmod(0o444)
    return src, dst


def test_a_read_only_destination_is_refused_as_cp_refuses_it(open_dir: Path, nobody) -> None:
    src, dst = _nobody_owned_folder_with_read_only_destination(open_dir)
    result = subprocess.run([*nobody, *BPCOPY, str(src), str(dst)],
                            capture_output=True, timeout=HANG_TIMEOUT_S, check=False)
    assert result.returncode == 1, result.stderr
    assert_one_clean_line(result, "'" + str(dst) + "'", "Permission denied", "--force")
    assert dst.read_bytes() == OLD
    assert sorted(os.listdir(dst.parent)) == ["dst", "src"]


def test_force_replaces_a_read_only_destination_and_keeps_its_mode(open_dir: Path,
                                                                  nobody) -> None:
    src, dst = _nobody_owned_folder_with_read_only_destination(open_dir)
    result = subprocess.run([*nobody, *BPCOPY, "--force", "-q", str(src), str(dst)],
                            capture_output=True, timeout=HANG_TIMEOUT_S, check=False)
    assert result.returncode == 0, result.stderr
    assert dst.read_bytes() == src.read_bytes()
    assert stat.S_IMODE(dst.stat().st_mode) == 0o444
