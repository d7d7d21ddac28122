"""Opening a copy's ends (bpcopy.endpoints.places) on real files, links, FIFOs and
directories: where the bytes go, what is refused, and that a copy shows up only on
commit() and leaves everything as it was on discard()."""

import contextlib
import errno
import os
import stat
from pathlib import Path

import pytest

from bpcopy.endpoints.places import (
    CopyError,
    describe_os_error,
    open_destination,
    open_source,
    refuse_same_fifo,
    resolve_destination_path,
    same_file,
)

NOT_ROOT = pytest.mark.skipif(os.geteuid() == 0,
                              reason="root may write to a read-only file, so nothing is refused")


@pytest.fixture
def umask_027():
    """A known umask for the test's duration (the one the test runs under is anyone's)."""
    previous = os.umask(0o027)
    yield 0o027
    os.umask(previous)


@pytest.fixture
def source(tmp_path: Path):
    """An opened source file of known bytes and mode; closed at the end of the test."""
    path = tmp_path / "src.bin"
    path.write_bytes(b"source bytes")
    path.chmod(0o664)
    opened = open_source(str(path))
    yield opened
    opened.close()


def write_and_commit(destination, data: bytes) -> None:
    os.write(destination.fd, data)
    destination.commit()


def entries(directory: Path) -> list[str]:
    return sorted(os.listdir(directory))


# -- resolve_destination_path -----------------------------------------------------------


def test_a_directory_destination_receives_the_sources_base_name(tmp_path: Path):
    (tmp_path / "into").mkdir()
    assert resolve_destination_path("some/where/a.txt", str(tmp_path / "into")) == \
        str(tmp_path / "into" / "a.txt")


def test_a_source_named_with_a_trailing_slash_keeps_its_last_name(tmp_path: Path):
    (tmp_path / "into").mkdir()
    assert resolve_destination_path("some/where/", str(tmp_path / "into")) == \
        str(tmp_path / "into" / "where")


def test_a_symlink_to_a_directory_is_a_directory_destination(tmp_path: Path):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert resolve_destination_path("a.txt", str(tmp_path / "link")) == \
        str(tmp_path / "link" / "a.txt")


@pytest.mark.parametrize("name", ["new.bin", "existing.bin"])
def test_a_file_destination_is_used_as_named(tmp_path: Path, name: str):
    (tmp_path / "existing.bin").write_bytes(b"")
    assert resolve_destination_path("a.txt", str(tmp_path / name)) == str(tmp_path / name)


def test_stdout_is_never_a_directory():
    assert resolve_destination_path("a.txt", "-") == "-"


def test_stdin_cannot_be_copied_into_a_directory_without_a_name(tmp_path: Path):
    with pytest.raises(CopyError, match=r"cannot copy stdin into directory .*: name a file"):
        resolve_destination_path("-", str(tmp_path))


# -- same_file ----------------------------------------------------------------------------


def test_one_file_under_two_spellings_is_the_same_file(tmp_path: Path):
    path = tmp_path / "a"
    path.write_bytes(b"x")
    (tmp_path / "sub").mkdir()
    assert same_file(str(path), str(tmp_path / "sub" / ".." / "a"))


def test_a_hard_link_and_a_symlink_lead_to_the_same_file(tmp_path: Path):
    path = tmp_path / "a"
    path.write_bytes(b"x")
    os.link(path, tmp_path / "hard")
    (tmp_path / "soft").symlink_to(path)
    assert same_file(str(path), str(tmp_path / "hard"))
    assert same_file(str(path), str(tmp_path / "soft"))


def test_two_files_with_the_same_contents_are_not_the_same_file(tmp_path: Path):
    (tmp_path / "a").write_bytes(b"x")
    (tmp_path / "b").write_bytes(b"x")
    assert not same_file(str(tmp_path / "a"), str(tmp_path / "b"))


def test_two_spellings_of_one_new_name_are_the_same_file(tmp_path: Path):
    (tmp_path / "sub").mkdir()
    assert same_file(str(tmp_path / "new"), str(tmp_path / "sub" / ".." / "new"))
    assert not same_file(str(tmp_path / "new"), str(tmp_path / "other"))


def test_an_existing_file_and_a_new_name_are_not_the_same_file(tmp_path: Path):
    (tmp_path / "a").write_bytes(b"x")
    assert not same_file(str(tmp_path / "a"), str(tmp_path / "new"))


def test_standard_streams_are_never_the_same_file_as_a_name(tmp_path: Path):
    assert not same_file("-", "-")
    assert not same_file("-", str(tmp_path))


# -- refuse_same_fifo ---------------------------------------------------------------------


def test_reading_and_writing_one_fifo_is_refused(tmp_path: Path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(CopyError, match="are the same FIFO"):
        refuse_same_fifo(str(fifo), str(fifo))


def test_one_fifo_under_another_name_is_refused_too(tmp_path: Path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    (tmp_path / "alias").symlink_to(fifo)
    os.link(fifo, tmp_path / "hard")
    for other in ("alias", "hard"):
        with pytest.raises(CopyError) as raised:
            refuse_same_fifo(str(fifo), str(tmp_path / other))
        assert str(raised.value) == f"'{fifo}' and '{tmp_path / other}' are the same FIFO"


def test_two_different_fifos_may_be_joined(tmp_path: Path):
    os.mkfifo(tmp_path / "in")
    os.mkfifo(tmp_path / "out")
    refuse_same_fifo(str(tmp_path / "in"), str(tmp_path / "out"))


@pytest.mark.parametrize(("source_name", "dest_name"), [
    ("file", "file"),  # the same regular file is open_destination's to refuse
    ("fifo", "missing"),
    ("missing", "fifo"),
    ("-", "fifo"),
    ("fifo", "-"),
])
def test_only_one_existing_fifo_at_both_ends_is_refused_here(tmp_path: Path, source_name,
                                                               dest_name):
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "file").write_bytes(b"x")

    def named(name: str) -> str:
        return name if name == "-" else str(tmp_path / name)

    refuse_same_fifo(named(source_name), named(dest_name))


# -- open_source --------------------------------------------------------------------------


def test_a_regular_source_knows_its_size_mode_and_identity(tmp_path: Path, source):
    info = os.stat(tmp_path / "src.bin")
    assert (source.size, source.is_regular, source.owns_fd) == (12, True, True)
    assert source.mode == 0o664
    assert source.dev_ino == (info.st_dev, info.st_ino)
    assert os.read(source.fd, 100) == b"source bytes"


def test_a_missing_source_names_the_file_and_the_reason(tmp_path: Path):
    missing = tmp_path / "nope"
    with pytest.raises(CopyError) as raised:
        open_source(str(missing))
    assert str(raised.value) == f"cannot open source '{missing}': No such file or directory"
    assert raised.value.exit_code == 1


def test_a_directory_is_not_a_source(tmp_path: Path):
    with pytest.raises(CopyError, match="it is a directory"):
        open_source(str(tmp_path))


def test_a_fifo_source_has_no_size(tmp_path: Path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    writer_side = os.open(fifo, os.O_RDWR)  # keeps the open from waiting for a writer
    try:
        opened = open_source(str(fifo))
        try:
            assert (opened.size, opened.is_regular) == (None, False)
        finally:
            opened.close()
    finally:
        os.close(writer_side)


@contextlib.contextmanager
def stdin_from(path: Path, offset: int):
    """Descriptor 0 reads `path` from `offset` for the duration of the block."""
    saved = os.dup(0)
    fd = os.open(path, os.O_RDONLY)
    try:
        os.lseek(fd, offset, os.SEEK_SET)
        os.dup2(fd, 0)
        yield
    finally:
        os.dup2(saved, 0)
        os.close(saved)
        os.close(fd)


def test_stdin_redirected_from_a_file_part_read_counts_only_the_bytes_left(tmp_path: Path):
    path = tmp_path / "in.bin"
    path.write_bytes(bytes(100))
    with stdin_from(path, 30):
        opened = open_source("-")
        assert (opened.fd, opened.name, opened.owns_fd) == (0, "stdin", False)
        assert (opened.size, opened.is_regular) == (70, True)
        opened.close()
        assert os.fstat(0).st_size == 100  # close() left the borrowed descriptor open


# -- open_destination: where the bytes go ---------------------------------------------------


def test_a_new_destination_appears_only_on_commit(tmp_path: Path, source, umask_027):
    dest = tmp_path / "dst.bin"
    destination = open_destination(source, str(dest))
    assert not dest.exists()
    assert destination.temp_path is not None
    assert Path(destination.temp_path).parent == tmp_path
    os.write(destination.fd, b"copied")
    assert not dest.exists()
    destination.commit()
    assert dest.read_bytes() == b"copied"
    assert entries(tmp_path) == ["dst.bin", "src.bin"]


def test_a_new_destination_gets_the_sources_mode_less_the_umask(tmp_path: Path, source,
                                                               umask_027):
    dest = tmp_path / "dst.bin"
    write_and_commit(open_destination(source, str(dest)), b"x")
    assert stat.S_IMODE(dest.stat().st_mode) == 0o664 & ~umask_027


def test_a_discarded_new_destination_leaves_no_trace(tmp_path: Path, source):
    destination = open_destination(source, str(tmp_path / "dst.bin"))
    os.write(destination.fd, b"half a copy")
    destination.discard()
    assert entries(tmp_path) == ["src.bin"]
    assert destination.fd == -1


def test_a_discarded_copy_leaves_an_existing_destination_exactly_as_it_was(tmp_path: Path,
                                                                           source):
    dest = tmp_path / "dst.bin"
    dest.write_bytes(b"precious")
    dest.chmod(0o640)
    before = dest.stat()
    destination = open_destination(source, str(dest))
    os.write(destination.fd, b"half a copy")
    destination.discard()
    after = dest.stat()
    assert dest.read_bytes() == b"precious"
    assert (after.st_ino, after.st_mode, after.st_mtime_ns) == \
        (before.st_ino, before.st_mode, before.st_mtime_ns)
    assert entries(tmp_path) == ["dst.bin", "src.bin"]


def test_a_replaced_destination_keeps_its_own_mode(tmp_path: Path, source):
    dest = tmp_path / "dst.bin"
    dest.write_bytes(b"old")
    dest.chmod(0o600)
    write_and_commit(open_destination(source, str(dest)), b"new contents")
    assert dest.read_bytes() == b"new contents"
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600


def test_commit_and_discard_end_a_destination_once(tmp_path: Path, source):
    dest = tmp_path / "dst.bin"
    destination = open_destination(source, str(dest))
    write_and_commit(destination, b"kept")
    destination.commit()
    destination.discard()
    assert dest.read_bytes() == b"kept"
    assert entries(tmp_path) == ["dst.bin", "src.bin"]


def test_a_synced_commit_writes_the_file_and_leaves_no_temporary(tmp_path: Path, source):
    dest = tmp_path / "dst.bin"
    write_and_commit(open_destination(source, str(dest), fsync=True), b"durable")
    assert dest.read_bytes() == b"durable"
    assert entries(tmp_path) == ["dst.bin", "src.bin"]


def test_a_symlinked_destination_replaces_the_file_it_points_to_and_stays_a_link(
        tmp_path: Path, source):
    (tmp_path / "elsewhere").mkdir()
    target = tmp_path / "elsewhere" / "target.bin"
    target.write_bytes(b"old")
    link = tmp_path / "link.bin"
    link.symlink_to(target)
    destination = open_destination(source, str(link))
    assert Path(destination.temp_path).parent == tmp_path / "elsewhere"
    write_and_commit(destination, b"new")
    assert link.is_symlink()
    assert target.read_bytes() == b"new"


@pytest.mark.parametrize("device", ["/dev/null"])
def test_a_device_is_written_in_place(source, device: str):
    destination = open_destination(source, device)
    assert (destination.temp_path, destination.owns_fd, destination.name) == \
        (None, True, device)
    write_and_commit(destination, b"gone")
    assert destination.fd == -1
    assert stat.S_ISCHR(os.stat(device).st_mode)


def test_a_fifo_destination_is_written_in_place(tmp_path: Path, source):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # the other end, so open won't wait
    try:
        destination = open_destination(source, str(fifo))
        assert destination.temp_path is None
        write_and_commit(destination, b"through the fifo")
        assert os.read(reader, 100) == b"through the fifo"
    finally:
        os.close(reader)
    assert entries(tmp_path) == ["fifo", "src.bin"]


def test_stdout_is_written_in_place_and_never_closed(source):
    destination = open_destination(source, "-")
    assert (destination.fd, destination.name, destination.owns_fd, destination.temp_path) == \
        (1, "stdout", False, None)
    destination.commit()
    os.fstat(1)  # still open


# -- open_destination: what is refused ----------------------------------------------------


def test_a_copy_onto_its_own_source_is_refused(tmp_path: Path, source):
    for spelling in ("src.bin", "hard.bin", "soft.bin"):
        if spelling == "hard.bin":
            os.link(tmp_path / "src.bin", tmp_path / spelling)
        if spelling == "soft.bin":
            (tmp_path / spelling).symlink_to(tmp_path / "src.bin")
        with pytest.raises(CopyError) as raised:
            open_destination(source, str(tmp_path / spelling))
        assert str(raised.value) == f"'{source.name}' and '{tmp_path / spelling}' are the " \
                                    "same file"
    assert (tmp_path / "src.bin").read_bytes() == b"source bytes"
    assert entries(tmp_path) == ["hard.bin", "soft.bin", "src.bin"]


def test_no_clobber_refuses_an_existing_destination_and_leaves_it(tmp_path: Path, source):
    dest = tmp_path / "dst.bin"
    dest.write_bytes(b"precious")
    with pytest.raises(CopyError) as raised:
        open_destination(source, str(dest), no_clobber=True)
    assert str(raised.value) == f"not overwriting '{dest}': it exists (--no-clobber)"
    assert dest.read_bytes() == b"precious"
    assert entries(tmp_path) == ["dst.bin", "src.bin"]


def test_no_clobber_writes_a_new_destination(tmp_path: Path, source):
    dest = tmp_path / "dst.bin"
    write_and_commit(open_destination(source, str(dest), no_clobber=True), b"fresh")
    assert dest.read_bytes() == b"fresh"
    assert entries(tmp_path) == ["dst.bin", "src.bin"]


def test_no_clobber_keeps_a_file_that_appears_while_the_copy_runs(tmp_path: Path, source):
    dest = tmp_path / "dst.bin"
    destination = open_destination(source, str(dest), no_clobber=True)
    os.write(destination.fd, b"ours")
    dest.write_bytes(b"someone else's")  # appears after the check at open time
    with pytest.raises(CopyError) as raised:
        destination.commit()
    assert str(raised.value) == f"cannot write '{dest}': File exists"
    assert dest.read_bytes() == b"someone else's"
    assert entries(tmp_path) == ["dst.bin", "src.bin"]


def test_without_no_clobber_a_file_that_appears_while_the_copy_runs_is_replaced(
        tmp_path: Path, source):
    dest = tmp_path / "dst.bin"
    destination = open_destination(source, str(dest))
    dest.write_bytes(b"someone else's")
    write_and_commit(destination, b"ours")
    assert dest.read_bytes() == b"ours"


def test_a_directory_named_as_the_destination_is_not_overwritten(tmp_path: Path, source):
    (tmp_path / "dir").mkdir()
    with pytest.raises(CopyError, match=r"cannot overwrite directory '.*dir'"):
        open_destination(source, str(tmp_path / "dir"))
    assert entries(tmp_path) == ["dir", "src.bin"]


def test_a_destination_in_a_missing_directory_names_the_reason(tmp_path: Path, source):
    dest = tmp_path / "missing" / "dst.bin"
    with pytest.raises(CopyError) as raised:
        open_destination(source, str(dest))
    assert str(raised.value) == f"cannot create destination '{dest}': No such file or " \
                                "directory"


def test_a_commit_that_cannot_rename_reports_and_removes_the_temporary(tmp_path: Path,
                                                                       source):
    dest = tmp_path / "dst.bin"
    destination = open_destination(source, str(dest))
    os.write(destination.fd, b"ours")
    dest.mkdir()  # a directory took the name while the copy ran
    (dest / "inside").write_bytes(b"kept")
    with pytest.raises(CopyError, match=rf"^cannot write '{dest}': "):
        destination.commit()
    assert entries(tmp_path) == ["dst.bin", "src.bin"]
    assert (dest / "inside").read_bytes() == b"kept"
    assert destination.done


@NOT_ROOT
def test_a_read_only_destination_is_refused_without_force(tmp_path: Path, source):
    dest = tmp_path / "dst.bin"
    dest.write_bytes(b"read only")
    dest.chmod(0o444)
    with pytest.raises(CopyError, match=r"read-only; --force replaces it"):
        open_destination(source, str(dest))
    assert dest.read_bytes() == b"read only"
    assert entries(tmp_path) == ["dst.bin", "src.bin"]


def test_force_replaces_a_read_only_destination_and_keeps_its_mode(tmp_path: Path, source):
    dest = tmp_path / "dst.bin"
    dest.write_bytes(b"read only")
    dest.chmod(0o444)
    write_and_commit(open_destination(source, str(dest), force=True), b"replaced")
    assert dest.read_bytes() == b"replaced"
    assert stat.S_IMODE(dest.stat().st_mode) == 0o444


def test_an_os_error_is_described_by_action_name_and_reason():
    error = OSError(errno.EACCES, os.strerror(errno.EACCES))
    assert describe_os_error(error, "cannot open source", "a.txt") == \
        "cannot open source 'a.txt': Permission denied"
