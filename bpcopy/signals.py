"""The signals that end a copy, the one that asks for its summary so far, and their owner.

Rules:
1. From before the ends are opened (opening a FIFO can block) until the destination is
   committed or discarded, a terminating signal (SIGHUP, SIGINT, SIGQUIT, SIGTERM,
   SIGALRM, SIGUSR2, SIGXCPU) ends the copy in order: the temporary file is removed and
   the summary so far printed. Then `die_by(signum)` resets the signal to its default
   action and raises it again, so the parent sees a death by that signal (the shell's
   `$?` is 128 + its number, and a bash script stops on Ctrl-C, as it does for `sleep`).
   Outside that window a signal does what it did before bpcopy touched it.
2. A signal that was ignored when bpcopy started stays ignored (nohup's SIGHUP, a
   background job's SIGINT): a handler found as SIG_IGN is never replaced.
3. Every handler is installed and removed here (bpcopy.startup sets their state while
   bpcopy starts), and every `Interrupted` is built here. The first signal decides the
   outcome; a second one only repeats the request.
4. A copy has two stretches, and a signal reaches each its own way:
   - before the event loop runs the copy (opening the ends), a Python handler raises
     `Interrupted`, which also breaks out of a blocking open();
   - while the loop runs it, the Python handler schedules the copy's callback on the
     loop (`call_soon_threadsafe`), and the copy ends through its streams: an exception
     raised inside a stream callback would leave the streams half-updated. The loop's
     self-pipe wakes it meanwhile (`_Wakeup`). This is what `loop.add_signal_handler` does, without
     its cost: it checks each signal against `signal.valid_signals()` (64 enum
     conversions, some 0.6 ms here per call, two calls per signal per copy).
5. SIGUSR1 asks for the summary so far, as it does of dd: `status_requests(report)`
   calls `report()` on the running loop, and the copy goes on.
6. Outside the main thread Python cannot handle signals: the window does nothing there, and
   the caller handles them.

It knows signals and the event loop; nothing of files, streams, diagnostics or the
command line.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from bpcopy.startup import STATUS_SIGNAL, TERMINATING_SIGNAL_NUMBERS
from bpcopy.startup import signal as raw_signal  # no enums: a tenth of the cost per call

# The signals that end a copy in order, each a death by that signal once cleaned up.
TERMINATING_SIGNALS: tuple[signal.Signals, ...] = tuple(
    signal.Signals(signum) for signum in TERMINATING_SIGNAL_NUMBERS)
# Signals whose default action also writes a core file.
_DUMPING_CORE = frozenset({signal.SIGQUIT, signal.SIGXCPU})


class Interrupted(Exception):
    """A terminating signal ended the copy."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"interrupted by {signal.Signals(signum).name}")
        self.signum = signum

    @property
    def exit_status(self) -> int:
        """The shell's convention for a death by signal: 128 + its number."""
        return 128 + self.signum


def die_by(signum: int) -> None:
    """End the process by `signum`'s default action, so its parent sees a death by that
    signal. Call it last, once everything is cleaned up and flushed.

    A core file would show only a finished clean-up, so none is written (SIGQUIT and
    SIGXCPU dump core by default). Returns only if the signal could not end the process.
    """
    if signum in _DUMPING_CORE:
        import resource

        try:
            resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(
                resource.RLIMIT_CORE)[1]))
        except (OSError, ValueError):
            pass
    signal.signal(signum, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signum})
    signal.raise_signal(signum)


class EndingSignals:
    """The window in which terminating signals end the copy rather than bpcopy.

    Enter it before opening the ends and leave it once the destination is committed or
    discarded. Inside, `delivered_to(loop, end)` hands signals to the running copy.
    """

    def __init__(self, signums: tuple[signal.Signals, ...] = TERMINATING_SIGNALS) -> None:
        self.signums = signums
        self.caught: Interrupted | None = None
        self._originals: dict[int, Any] = {}
        self._deliver: Callable[[int], None] | None = None  # set while on the loop

    def __enter__(self) -> EndingSignals:
        if threading.current_thread() is not threading.main_thread():
            return self  # rule 6
        for signum in self.signums:
            if _is_ours(signum):
                self._originals[signum] = raw_signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.restore_originals()

    def restore_originals(self) -> None:
        """Give every handler back as it was found (closing the window; idempotent)."""
        originals, self._originals = self._originals, {}
        for signum, handler in originals.items():
            raw_signal.signal(signum, handler)

    def interrupt(self, signum: int) -> Interrupted:
        """The copy's `Interrupted`: the first signal's, whichever comes after it."""
        if self.caught is None:
            self.caught = Interrupted(signum)
        return self.caught

    def _handle(self, signum: int, frame: Any) -> None:
        if self._deliver is None:
            raise self.interrupt(signum)
        self._deliver(signum)  # rule 4: on the loop, never inside a stream's callback

    @contextmanager
    def delivered_to(self, loop: Any, end: Callable[[BaseException], None]) -> Iterator[None]:
        """While inside, a terminating signal calls `end(Interrupted)` on `loop` (rule 4).

        Leaving closes the window: the copy has committed or discarded its destination.
        """
        with _waking(loop, tuple(self._originals)):
            self._deliver = lambda signum: loop.call_soon_threadsafe(end, self.interrupt(signum))
            try:
                yield
            finally:
                self._deliver = None
                self.restore_originals()


@contextmanager
def status_requests(report: Callable[[], None]) -> Iterator[None]:
    """While inside (on a running loop), SIGUSR1 calls `report()` there (rule 5).

    Leaving gives SIGUSR1 back as it was (bpcopy.startup swallows it outside the copy).
    """
    if threading.current_thread() is not threading.main_thread() or not _is_ours(
            STATUS_SIGNAL):
        yield
        return
    import asyncio

    loop = asyncio.get_running_loop()
    previous = raw_signal.signal(STATUS_SIGNAL,
                                 lambda signum, frame: loop.call_soon_threadsafe(report))
    try:
        with _waking(loop, (STATUS_SIGNAL,)):
            yield
    finally:
        raw_signal.signal(STATUS_SIGNAL, previous)


class _Wakeup:
    """What wakes the loop when a signal arrives.

    Python runs a signal's handler in the main thread, between two steps of its code; a
    loop asleep in epoll_wait takes no step until something wakes it, and a signal taken
    by another thread (the pipeline's sampler) or just before the wait would not. So the
    C-level handler writes the signal's number to a descriptor the loop watches
    (`signal.set_wakeup_fd`): the loop wakes, the Python handler runs, and that schedules
    the work with `loop.call_soon_threadsafe`. The descriptor is the loop's own self-pipe,
    as asyncio's add_signal_handler uses it (asyncio ignores a number it has no handler
    for, and still gets those it has, such as the live view's SIGTSTP); a loop without one
    gets a pipe of bpcopy's own, which costs two descriptors.
    """

    def __init__(self) -> None:
        self.signums: dict[int, int] = {}  # signal -> how many windows want it
        self.open_for: Any = None  # the loop, while open
        self.own_fds: tuple[int, int] | None = None
        self.previous_fd = -1

    def open(self, loop: Any) -> None:
        self_pipe = getattr(loop, "_csock", None)
        if self_pipe is not None:
            write_fd = self_pipe.fileno()
        else:
            import os

            read_fd, write_fd = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
            self.own_fds = (read_fd, write_fd)
            loop.add_reader(read_fd, self.drain)
        self.previous_fd = raw_signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
        self.open_for = loop

    def close(self) -> None:
        if self.open_for is None:
            return
        raw_signal.set_wakeup_fd(self.previous_fd)
        if self.own_fds is not None:
            import os

            self.drain()
            self.open_for.remove_reader(self.own_fds[0])
            for fd in self.own_fds:
                os.close(fd)
            self.own_fds = None
        self.open_for = None

    def drain(self) -> None:
        import os

        while self.own_fds is not None:
            try:
                if not os.read(self.own_fds[0], 256):
                    return
            except BlockingIOError:
                return


_WAKEUP = _Wakeup()


@contextmanager
def _waking(loop: Any, signums: tuple[int, ...]) -> Iterator[None]:
    """While inside, `signums` wake `loop` (their Python handlers do the rest)."""
    if not signums:
        yield
        return
    if _WAKEUP.open_for is None:
        _WAKEUP.open(loop)
    for signum in signums:
        _WAKEUP.signums[signum] = _WAKEUP.signums.get(signum, 0) + 1
    try:
        yield
    finally:
        for signum in signums:
            _WAKEUP.signums[signum] -= 1
            if not _WAKEUP.signums[signum]:
                del _WAKEUP.signums[signum]
        if not _WAKEUP.signums:
            _WAKEUP.close()


def _is_ours(signum: int) -> bool:
    """Whether bpcopy may handle `signum`: not if it was ignored at start (rule 2), nor if
    a handler from outside Python holds it."""
    found = raw_signal.getsignal(signum)
    return found is not None and found != signal.SIG_IGN
