"""Opening a copy's source and destination, and committing or discarding the result.

The rules a careful copier keeps:
- SRC `-` is stdin and DST `-` is stdout. A DST that is an existing directory receives
  DST/basename(SRC), as with cp.
- A regular-file destination is written to a temporary file in its own directory and
  renamed over DST only once the whole copy has succeeded (with --fsync, the file is
  synced before the rename and the directory after it). On any failure the temporary
  file is removed and an existing DST is left exactly as it was.
- A new DST gets SRC's permission bits (less the umask), as with cp; a replaced DST keeps
  its own mode, and its owner where we may set it.
- Anything else (stdout, FIFOs, terminals, /dev/null and other devices) is written in
  place.
- Copying a file onto itself (same device and inode, however it is spelt) is refused,
  and so is overwriting an existing DST under --no-clobber.
- An existing regular DST that we may not write to (a read-only file, for anyone but
  root) is left alone, as cp leaves it, unless --force asks for it to be replaced: the
  rename would otherwise replace it on the directory's permission alone.
- Opening a FIFO waits for its other end; that happens here, before the copy starts.

Problems become CopyError, with a one-line message naming the file and the operating
system's reason. This module knows nothing of streams.
"""

from __future__ import annotations

import contextlib
import os
import stat
from dataclasses import dataclass

from bpcopy.names import quote


class CopyError(Exception):
    """A failure to report in one line, with the exit status to leave with."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def describe_os_error(error: OSError, action: str, name: str) -> str:
    reason = error.strerror or str(error)
    return f"{action} {quote(name)}: {reason}"


@dataclass
class Source:
    fd: int
    name: str
    size: int | None  # known for regular files, for progress and ETA
    is_regular: bool
    owns_fd: bool
    mode: int | None
    dev_ino: tuple[int, int] | None

    def close(self) -> None:
        if self.owns_fd:
            with contextlib.suppress(OSError):
                os.close(self.fd)


def open_source(path: str) -> Source:
    if path == "-":
        info = os.fstat(0)
        regular = stat.S_ISREG(info.st_mode)
        return Source(0, "stdin", _remaining(0, info) if regular else None, regular, False,
                      None, (info.st_dev, info.st_ino) if regular else None)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as error:
        raise CopyError(describe_os_error(error, "cannot open source", path)) from None
    info = os.fstat(fd)
    if stat.S_ISDIR(info.st_mode):
        os.close(fd)
        raise CopyError(f"cannot copy {quote(path)}: it is a directory (bpcopy copies files)")
    regular = stat.S_ISREG(info.st_mode)
    return Source(fd, path, info.st_size if regular else None, regular, True,
                  stat.S_IMODE(info.st_mode), (info.st_dev, info.st_ino))


def _remaining(fd: int, info: os.stat_result) -> int | None:
    try:
        return max(info.st_size - os.lseek(fd, 0, os.SEEK_CUR), 0)
    except OSError:
        return None


@dataclass
class Destination:
    """Where the bytes go; `commit()` or `discard()` ends it exactly once."""

    fd: int
    name: str
    owns_fd: bool
    temp_path: str | None = None  # set when writing atomically
    final_path: str | None = None
    fsync: bool = False
    no_clobber: bool = False
    done: bool = False

    def commit(self) -> None:
        """Make the copy visible: sync if asked, then rename over the final name."""
        if self.done:
            return
        try:
            if self.fsync and self.owns_fd:
                os.fsync(self.fd)
            if self.owns_fd:
                # A late write error (NFS, quotas) can surface only here: not suppressed.
                fd, self.fd = self.fd, -1
                os.close(fd)
            if self.temp_path is not None and self.final_path is not None:
                if self.no_clobber:
                    # link() fails if the name appeared since the check at open time,
                    # where rename() would silently replace it.
                    os.link(self.temp_path, self.final_path)
                    os.unlink(self.temp_path)
                else:
                    os.rename(self.temp_path, self.final_path)
                self.temp_path = None
                if self.fsync:
                    _fsync_directory(os.path.dirname(self.final_path) or ".")
        except OSError as error:
            self.discard()
            raise CopyError(describe_os_error(error, "cannot write", self.name)) from None
        self.done = True

    def discard(self) -> None:
        """Leave everything as it was before the copy: remove the temporary file."""
        if self.done:
            return
        self.done = True
        self._close()
        if self.temp_path is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.temp_path)
            self.temp_path = None

    def _close(self) -> None:
        if self.owns_fd and self.fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = -1


def resolve_destination_path(source_path: str, dest_path: str) -> str:
    """DST, or DST/basename(SRC) when DST is a directory."""
    if dest_path != "-" and os.path.isdir(dest_path):
        if source_path == "-":
            raise CopyError(f"cannot copy stdin into directory {quote(dest_path)}: name a file")
        return os.path.join(dest_path, os.path.basename(os.path.normpath(source_path)))
    return dest_path


def open_destination(source: Source, dest_path: str, *, no_clobber: bool = False,
                     force: bool = False, fsync: bool = False) -> Destination:
    if dest_path == "-":
        _refuse_same_file(source, os.fstat(1), "stdout")
        return Destination(1, "stdout", owns_fd=False, fsync=False)
    try:
        info: os.stat_result | None = os.stat(dest_path)  # follows symlinks, as cp does
    except FileNotFoundError:
        info = None
    except OSError as error:
        raise CopyError(describe_os_error(error, "cannot access destination", dest_path)) \
            from None
    if info is not None:
        if no_clobber:
            raise CopyError(f"not overwriting {quote(dest_path)}: it exists (--no-clobber)")
        _refuse_same_file(source, info, dest_path)
        if stat.S_ISDIR(info.st_mode):
            raise CopyError(f"cannot overwrite directory {quote(dest_path)}")
        if stat.S_ISREG(info.st_mode) and not force and not os.access(dest_path, os.W_OK):
            raise CopyError(f"not overwriting {quote(dest_path)}: Permission denied "
                            "(it is read-only; --force replaces it)")
        if not stat.S_ISREG(info.st_mode):
            # Opened by the name given: /dev/stdout and friends resolve to /proc
            # entries that only the name itself opens.
            return _open_in_place(dest_path, dest_path)
    # The temporary file goes beside the file a symlink points to, so the rename
    # replaces that file and leaves the link in place.
    destination = _open_atomic(source, os.path.realpath(dest_path), dest_path, info, fsync)
    destination.no_clobber = no_clobber
    return destination


def _refuse_same_file(source: Source, dest_info: os.stat_result, dest_name: str) -> None:
    if source.dev_ino is not None and stat.S_ISREG(dest_info.st_mode) \
            and (dest_info.st_dev, dest_info.st_ino) == source.dev_ino:
        raise CopyError(f"{quote(source.name)} and {quote(dest_name)} are the same file")


def refuse_same_fifo(source_path: str, dest_path: str) -> None:
    """Reading and writing one FIFO would wait for ever on opening it: say so instead."""
    if source_path == "-" or dest_path == "-":
        return
    try:
        source_info, dest_info = os.stat(source_path), os.stat(dest_path)
    except OSError:
        return
    if stat.S_ISFIFO(source_info.st_mode) and \
            (source_info.st_dev, source_info.st_ino) == (dest_info.st_dev, dest_info.st_ino):
        raise CopyError(f"{quote(source_path)} and {quote(dest_path)} are the same FIFO")


def same_file(path: str, other: str) -> bool:
    """True when both names lead to one existing file, or to the same new name."""
    if path == "-" or other == "-":
        return False
    try:
        first, second = os.stat(path), os.stat(other)
    except OSError:
        return os.path.realpath(path) == os.path.realpath(other)
    return (first.st_dev, first.st_ino) == (second.st_dev, second.st_ino)


def _open_in_place(target: str, shown_name: str) -> Destination:
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CLOEXEC)
    except OSError as error:
        raise CopyError(describe_os_error(error, "cannot open destination", shown_name)) \
            from None
    return Destination(fd, shown_name, owns_fd=True)


def _open_atomic(source: Source, target: str, shown_name: str,
                 existing: os.stat_result | None, fsync: bool) -> Destination:
    directory = os.path.dirname(target) or "."
    try:
        fd, temp_path = _create_temporary(directory, os.path.basename(target))
    except OSError as error:
        raise CopyError(describe_os_error(error, "cannot create destination", shown_name)) \
            from None
    try:
        if existing is not None:
            os.fchmod(fd, stat.S_IMODE(existing.st_mode))
            with contextlib.suppress(OSError):
                os.fchown(fd, existing.st_uid, existing.st_gid)
        else:
            os.fchmod(fd, (source.mode if source.mode is not None else 0o666) & ~_umask())
    except OSError as error:
        os.close(fd)
        os.unlink(temp_path)
        raise CopyError(describe_os_error(error, "cannot set permissions of", shown_name)) \
            from None
    return Destination(fd, shown_name, owns_fd=True, temp_path=temp_path, final_path=target,
                       fsync=fsync)


def _create_temporary(directory: str, base: str) -> tuple[int, str]:
    """A new, private, empty file beside the destination (tempfile's job, without the
    start-up cost of importing it)."""
    for _ in range(100):
        path = os.path.join(directory, f".{base}.{os.urandom(6).hex()}.bpcopy-tmp")
        try:
            return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC,
                           0o600), path
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name in {directory}")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_directory(directory: str) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
