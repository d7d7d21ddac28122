"""Opening a copy's source and destination, and committing or discarding the result.

The rules a careful copier keeps:
- SRC `-` is stdin and DST `-` is stdout. A DST that is an existing directory receives
  DST/basename(SRC), as with cp.
- A regular-file destination is written to a temporary file in its own directory and
  renamed over DST only once the whole copy has succeeded (with --fsync, the file is
  synced before the rename and the directory after it). On any failure the temporary
  file is removed and an existing DST is left exactly as it was.
- A new DST gets SRC's permission bits (less the umask), without setuid, setgid or the
  sticky bit, as with cp without -p. A replaced DST keeps its own mode, setuid included,
  and its owner where we may set it: the owner is set first, since changing it clears
  setuid and setgid.
- The temporary file (`.NAME.XXXXXXXXXXXX.bpcopy-tmp`, NAME shortened to fit NAME_MAX)
  is held under an exclusive flock for as long as the copy lives. A copy that was killed
  (kill -9, a power cut) cannot remove its own; the next copy into that directory
  removes every `*.bpcopy-tmp` whose lock it can take, since no live copy holds it. A
  pid in the name would be wrong across pid namespaces and NFS.
- As with cp: DST `NAME/` that is not a directory is "Not a directory", and a DST that
  is a dangling symbolic link is not written through.
- Anything else (stdout, FIFOs, terminals, /dev/null and other devices) is written in
  place.
- Copying a file onto itself (same device and inode, however it is spelt) is refused,
  and so is overwriting an existing DST under --no-clobber.
- An existing regular DST that we may not write to (a read-only file, for anyone but
  root) is left alone, as cp leaves it, unless --force asks for it to be replaced: the
  rename would otherwise replace it on the directory's permission alone.
- Opening a FIFO waits for its other end; that happens here, before the copy starts.
- A trace or report file that is the copy's data (SRC, DST, or the stdin/stdout that `-`
  names; same device and inode, or the same pipe) is refused before anything is opened.
  /dev/null and terminals hold no data to lose, so they are allowed.
- With holes in SRC (or --sparse always), a regular-file DST gets holes where SRC's
  chunks are all zeros (see `wants_holes`).

Problems become CopyError, with a one-line message naming the file and the operating
system's reason. This module knows nothing of streams.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from dataclasses import dataclass

from bpcopy.names import quote

TEMPORARY_SUFFIX = ".bpcopy-tmp"


class CopyError(Exception):
    """A failure to report in one line, with the exit status to leave with."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def describe_os_error(error: OSError, action: str, name: str) -> str:
    return f"{action} {quote(name)}: {os_reason(error)}"


def os_reason(error: OSError) -> str:
    """The operating system's reason; for too many open files, with the limit."""
    reason = error.strerror or str(error)
    if error.errno == errno.EMFILE:
        import resource

        reason += f" (ulimit -n is {resource.getrlimit(resource.RLIMIT_NOFILE)[0]})"
    return reason


def out_of_descriptors(error: OSError) -> bool:
    return error.errno in (errno.EMFILE, errno.ENFILE)


def cannot_open(error: OSError) -> CopyError:
    """One line for a file that could not be opened, naming it if the error does."""
    what = quote(os.fsdecode(error.filename)) if error.filename is not None else "a file"
    return CopyError(f"cannot open {what}: {os_reason(error)}")


def require_descriptors(count: int, what: str) -> None:
    """Fail now, in one line, unless `count` more descriptors can be opened (under a
    small `ulimit -n`), rather than half-way through building what needs them."""
    held: list[int] = []
    try:
        for _ in range(count):
            held.append(os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC))
    except OSError as error:
        raise CopyError(f"cannot open {what}: {os_reason(error)}") from None
    finally:
        _close_all(*held)


@dataclass
class Source:
    fd: int
    name: str
    size: int | None  # known for regular files, for progress and ETA
    is_regular: bool
    owns_fd: bool
    mode: int | None
    dev_ino: tuple[int, int] | None
    has_holes: bool = False

    def close(self) -> None:
        if self.owns_fd:
            with contextlib.suppress(OSError):
                os.close(self.fd)


def open_source(path: str) -> Source:
    if path == "-":
        info = os.fstat(0)
        regular = stat.S_ISREG(info.st_mode)
        return Source(0, "stdin", _remaining(0, info) if regular else None, regular, False,
                      None, (info.st_dev, info.st_ino) if regular else None,
                      regular and _has_holes(0, info))
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
                  stat.S_IMODE(info.st_mode), (info.st_dev, info.st_ino),
                  regular and _has_holes(fd, info))


def _has_holes(fd: int, info: os.stat_result) -> bool:
    """cp's test for a sparse file: fewer blocks than its size needs, or a hole that
    SEEK_HOLE finds before the end (the file's offset is left where it was)."""
    if info.st_blocks * 512 < info.st_size:
        return True
    try:
        offset = os.lseek(fd, 0, os.SEEK_CUR)
        try:
            return os.lseek(fd, offset, os.SEEK_HOLE) < info.st_size
        finally:
            os.lseek(fd, offset, os.SEEK_SET)
    except (OSError, AttributeError):  # no SEEK_HOLE here, or past the end
        return False


def wants_holes(source: Source, destination: Destination, sparse: str) -> bool:
    """--sparse, with cp's meaning: `never`; `always` turns every chunk of zeros into a
    hole; `auto` does so when SRC has holes. Only a new regular file (our temporary
    file) can take holes; stdout, pipes and devices get the zeros."""
    if sparse == "never" or destination.temp_path is None:
        return False
    return sparse == "always" or source.has_holes


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
    # A second descriptor for the temporary file's flock: `fd` is closed before the
    # rename (to hear late write errors), and the lock must outlive it.
    lock_fd: int = -1

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
        self._unlock()
        self.done = True

    def discard(self) -> None:
        """Leave everything as it was before the copy: remove the temporary file."""
        if self.done:
            return
        self.done = True
        if self.temp_path is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.temp_path)
            self.temp_path = None
        self._close()
        self._unlock()

    def _close(self) -> None:
        if self.owns_fd and self.fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = -1

    def _unlock(self) -> None:
        if self.lock_fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self.lock_fd)
            self.lock_fd = -1


def resolve_destination_path(source_path: str, dest_path: str) -> str:
    """DST, or DST/basename(SRC) when DST is a directory.

    A DST written with a trailing slash names a directory; when it is none, cp says
    "Not a directory" rather than creating a file of that name, and so do we.
    """
    if dest_path == "-":
        return dest_path
    if os.path.isdir(dest_path):
        if source_path == "-":
            raise CopyError(f"cannot copy stdin into directory {quote(dest_path)}: name a file")
        return os.path.join(dest_path, os.path.basename(os.path.normpath(source_path)))
    if dest_path.endswith("/"):
        raise CopyError(f"cannot create regular file {quote(dest_path)}: "
                        f"{os.strerror(errno.ENOTDIR)}")
    return dest_path


def open_destination(source: Source, dest_path: str, *, no_clobber: bool = False,
                     force: bool = False, fsync: bool = False) -> Destination:
    if dest_path == "-":
        _refuse_same_file(source, os.fstat(1), "stdout")
        return Destination(1, "stdout", owns_fd=False, fsync=False)
    try:
        info: os.stat_result | None = os.stat(dest_path)  # follows symlinks, as cp does
    except FileNotFoundError:
        if os.path.islink(dest_path):
            # cp refuses too: the link may point somewhere another user chose.
            raise CopyError(f"not writing through dangling symlink {quote(dest_path)}") \
                from None
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
    """Reading and writing one pipe or FIFO would go on for ever (or wait for ever on
    opening it): say so instead. `-` stands for stdin as SRC and stdout as DST, so
    `bpcopy - - <&7 >&7` with one pipe on both is caught too. (One socket on both sides
    is an echo, and allowed.)"""
    try:
        source_info = os.fstat(0) if source_path == "-" else os.stat(source_path)
        dest_info = os.fstat(1) if dest_path == "-" else os.stat(dest_path)
    except OSError:
        return
    if stat.S_ISFIFO(source_info.st_mode) and \
            (source_info.st_dev, source_info.st_ino) == (dest_info.st_dev, dest_info.st_ino):
        source = "stdin" if source_path == "-" else quote(source_path)
        dest = "stdout" if dest_path == "-" else quote(dest_path)
        if "-" not in (source_path, dest_path):
            raise CopyError(f"{source} and {dest} are the same FIFO")
        raise CopyError(f"{source} and {dest} are the same pipe: bpcopy would read back "
                        "what it writes, for ever")


def is_character_device(path: str) -> bool:
    """/dev/null, a terminal: places that hold no data a second writer could spoil."""
    try:
        return stat.S_ISCHR(os.stat(path).st_mode)
    except OSError:
        return False


def same_file(path: str, other: str) -> bool:
    """True when both names lead to one existing file, or to the same new name."""
    if path == "-" or other == "-":
        return False
    try:
        first, second = os.stat(path), os.stat(other)
    except OSError:
        return os.path.realpath(path) == os.path.realpath(other)
    return _same_inode(first, second)


def aliased_data(path: str, source_path: str, dest_path: str) -> str | None:
    """Which of the copy's data a trace or report written to `path` would land on:
    "source", "destination", "destination (stdout)", ... or None.

    Decided by what the names lead to (device and inode; a pipe or socket is its own
    inode), never by spelling: /dev/stdout, /dev/fd/1 and /proc/self/fd/1 are all
    stdout. /dev/null and terminals hold no data to lose, so they never alias.
    A name that does not exist yet aliases only a DST of the same new name.
    """
    try:
        info = os.stat(path)
    except OSError:
        if dest_path != "-" and os.path.realpath(path) == os.path.realpath(dest_path):
            return "destination"
        return None
    if stat.S_ISCHR(info.st_mode) and _holds_no_data(path, info):
        return None
    for role, other, fd, stream in (("source", source_path, 0, "stdin"),
                                    ("destination", dest_path, 1, "stdout")):
        try:
            other_info = os.fstat(fd) if other == "-" else os.stat(other)
        except OSError:
            continue
        if _same_inode(info, other_info):
            return f"{role} ({stream})" if other == "-" else role
    return None


def _holds_no_data(path: str, info: os.stat_result) -> bool:
    """/dev/null, or a terminal: what is written there is shown or dropped, not kept."""
    with contextlib.suppress(OSError):
        if info.st_rdev == os.stat(os.devnull).st_rdev:
            return True
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NOCTTY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        return os.isatty(fd)
    finally:
        os.close(fd)


def unwritable_reason(path: str) -> str | None:
    """Why a file to be written at the end (the report) could not be, checked before a
    long copy: the operating system's reason, or None. A new file is created to find
    out, then removed; an existing one is opened for writing and left as it is."""
    try:
        info: os.stat_result | None = os.stat(path)
    except FileNotFoundError:
        info = None
    except OSError as error:
        return os_reason(error)
    if info is not None and stat.S_ISDIR(info.st_mode):
        return os.strerror(errno.EISDIR)
    if info is not None and not stat.S_ISREG(info.st_mode):
        return None  # a device or FIFO: opening it now could block or have effects
    flags = os.O_WRONLY | os.O_CLOEXEC | os.O_NOCTTY
    if info is None:
        flags |= os.O_CREAT | os.O_EXCL
    try:
        fd = os.open(path, flags, 0o666)
    except FileExistsError:  # created meanwhile by someone else: theirs, not ours
        return None
    except OSError as error:
        return os_reason(error)
    os.close(fd)
    if info is None:
        with contextlib.suppress(OSError):
            os.unlink(path)
    return None


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
    remove_abandoned_temporaries(directory)
    try:
        fd, temp_path, lock_fd = _create_temporary(directory, os.path.basename(target))
    except OSError as error:
        raise CopyError(describe_os_error(error, "cannot create destination", shown_name)) \
            from None
    try:
        if existing is not None:
            # Owner first: chown clears setuid and setgid, so the mode must come after.
            with contextlib.suppress(OSError):
                os.fchown(fd, existing.st_uid, existing.st_gid)
            os.fchmod(fd, stat.S_IMODE(existing.st_mode))
        else:
            os.fchmod(fd, new_file_mode(source.mode))
    except OSError as error:
        os.unlink(temp_path)
        os.close(fd)
        os.close(lock_fd)
        raise CopyError(describe_os_error(error, "cannot set permissions of", shown_name)) \
            from None
    return Destination(fd, shown_name, owns_fd=True, temp_path=temp_path, final_path=target,
                       fsync=fsync, lock_fd=lock_fd)


def new_file_mode(source_mode: int | None) -> int:
    """The mode of a new DST: SRC's permission bits less the umask, as cp gives without
    -p; setuid, setgid and sticky are dropped (a copy is not vouched for as SRC was)."""
    permissions = source_mode if source_mode is not None else 0o666
    return permissions & 0o777 & ~_umask()


def _create_temporary(directory: str, base: str) -> tuple[int, str, int]:
    """A new, private, empty file beside the destination, under an exclusive flock:
    (descriptor, path, a second descriptor that holds the lock).

    Between creating the file and locking it, another copy's clean-up could take the
    lock first and remove the file; so the lock must be ours and the name still ours
    afterwards, or we try another name.
    """
    import fcntl

    name_max = _name_max(directory)
    for _ in range(100):
        path = os.path.join(directory, temporary_name(base, name_max))
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        except FileExistsError:
            continue
        lock_fd = -1
        try:
            lock_fd = os.dup(fd)  # shares the open file description, so the lock
            fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if _same_inode(os.lstat(path), os.fstat(fd)):
                return fd, path, lock_fd
        except BlockingIOError:  # another copy's clean-up holds it: not ours any more
            with contextlib.suppress(OSError):
                os.unlink(path)
        except FileNotFoundError:  # a clean-up removed it before we locked it
            pass
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(path)
            _close_all(fd, lock_fd)
            raise
        _close_all(fd, lock_fd)
    raise FileExistsError(errno.EEXIST, f"no free temporary name in {directory}")


def temporary_name(base: str, name_max: int = 255) -> str:
    """`.BASE.XXXXXXXXXXXX.bpcopy-tmp`, with BASE shortened (never mid-character) so
    that the whole name fits in `name_max` bytes."""
    tag = os.urandom(6).hex()
    room = name_max - len(f"..{tag}{TEMPORARY_SUFFIX}")
    raw = os.fsencode(base)
    if len(raw) > room:
        raw = raw[:max(room, 0)]
        for cut in range(min(4, len(raw) + 1)):  # drop a partly kept UTF-8 character
            try:
                (raw[:len(raw) - cut]).decode("utf-8")
            except UnicodeDecodeError:
                continue
            raw = raw[:len(raw) - cut]
            break
        base = os.fsdecode(raw)
    return f".{base}.{tag}{TEMPORARY_SUFFIX}"


def remove_abandoned_temporaries(directory: str) -> list[str]:
    """Remove the `*.bpcopy-tmp` files in `directory` that no live copy holds (a copy
    keeps its temporary file under an exclusive flock until it ends); return their
    names. A file we cannot open or lock is left alone."""
    removed = []
    try:
        with os.scandir(directory) as entries:
            candidates = [entry.name for entry in entries
                          if entry.name.endswith(TEMPORARY_SUFFIX)
                          and entry.is_file(follow_symlinks=False)]
    except OSError:
        return removed
    for name in candidates:
        if _remove_if_abandoned(os.path.join(directory, name)):
            removed.append(name)
    return removed


def _remove_if_abandoned(path: str) -> bool:
    import fcntl

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY
                     | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        # Locked: no copy is alive to hold it. Remove it only if the name still leads
        # to the file we locked.
        if not _same_inode(os.lstat(path), os.fstat(fd)):
            return False
        os.unlink(path)
        return True
    except OSError:  # held by a live copy, or not ours to remove
        return False
    finally:
        os.close(fd)


def _same_inode(first: os.stat_result, second: os.stat_result) -> bool:
    return (first.st_dev, first.st_ino) == (second.st_dev, second.st_ino)


def _close_all(*fds: int) -> None:
    for fd in fds:
        if fd >= 0:
            with contextlib.suppress(OSError):
                os.close(fd)


def _name_max(directory: str) -> int:
    try:
        return os.pathconf(directory, "PC_NAME_MAX")
    except (OSError, ValueError):
        return 255


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
