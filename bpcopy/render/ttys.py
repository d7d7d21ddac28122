"""Which terminal is which, and what a terminal can do: the questions asked before any view.

- `same_terminal(a, b)`: do two descriptors lead to one terminal? /dev/tty has a device
  number of its own (5,0), not that of the /dev/pts/N it stands for, so equal device
  numbers are not the only test: the session a terminal controls (tcgetsid), or its
  foreground process group, names it too.
- `view_would_collide(...)`: the live view redraws stderr's terminal in place, so it must
  stay off when the copy reads from or writes to that same terminal; it would draw over
  the data, or hide what the user types.
- `is_dumb()`: TERM=dumb (or no TERM) means no colour and no cursor movement.
- `selector_for(...)`: macOS's kqueue cannot watch terminals, so a copy from or to a
  terminal there waits with select() instead.

No rich here: the command line asks these questions before it decides to import rich.
"""

from __future__ import annotations

import os
import selectors
import sys
from collections.abc import Iterable

VIEW_FD = 2  # the live view and the summary go to stderr


def same_terminal(fd: int, other: int) -> bool:
    """True when both descriptors are terminals and the same one."""
    try:
        if not (os.isatty(fd) and os.isatty(other)):
            return False
        if os.fstat(fd).st_rdev == os.fstat(other).st_rdev:
            return True
    except OSError:
        return False
    # /dev/tty (or another path with its own device number) for the same terminal: a
    # terminal that is some session's controlling terminal names that session.
    session, other_session = _session_of(fd), _session_of(other)
    if session is not None and session == other_session:
        return True
    name, other_name = _name_of(fd), _name_of(other)
    return name is not None and name == other_name


def view_would_collide(data_fds: Iterable[int], view_fd: int = VIEW_FD) -> bool:
    """True when any of the copy's descriptors is the terminal the view would redraw."""
    return any(same_terminal(fd, view_fd) for fd in data_fds if fd is not None and fd >= 0)


def is_dumb(environ: dict[str, str] | os._Environ[str] | None = None) -> bool:
    """A terminal that cannot move its cursor or show colour (TERM=dumb, or no TERM)."""
    environ = os.environ if environ is None else environ
    return environ.get("TERM", "") in ("", "dumb")


def in_foreground(fd: int = VIEW_FD) -> bool:
    """True unless the terminal belongs to another process group (we were put in the
    background with `bg`): a background job should not redraw the terminal."""
    try:
        return os.tcgetpgrp(fd) == os.getpgrp()
    except OSError:
        return True


def selector_for(fine_timers: bool, data_fds: Iterable[int],
                 platform: str = sys.platform) -> type[selectors.BaseSelector]:
    """The selector to wait with: select() for microsecond timers, or where the default
    (kqueue, on macOS and the BSDs) cannot watch a terminal; the default otherwise."""
    if fine_timers:
        return selectors.SelectSelector
    if _kqueue_is_default(platform) and any(_is_terminal(fd) for fd in data_fds):
        return selectors.SelectSelector
    return selectors.DefaultSelector


def _kqueue_is_default(platform: str) -> bool:
    return platform == "darwin" or "bsd" in platform


def _is_terminal(fd: int) -> bool:
    try:
        return os.isatty(fd)
    except OSError:
        return False


def _session_of(fd: int) -> int | None:
    """The session whose controlling terminal `fd` is (tcgetsid, which Python's os
    module lacks: the TIOCGSID ioctl where termios has it, else the foreground
    process group, which also belongs to one terminal only)."""
    import fcntl
    import struct
    import termios

    request = getattr(termios, "TIOCGSID", None)
    try:
        if request is not None:
            answer = fcntl.ioctl(fd, request, struct.pack("i", 0))
            return int(struct.unpack("i", answer)[0])
        return -os.tcgetpgrp(fd)  # negative: never equal to a session id
    except OSError:
        return None


def _name_of(fd: int) -> str | None:
    try:
        return os.path.realpath(os.ttyname(fd))
    except OSError:
        return None
