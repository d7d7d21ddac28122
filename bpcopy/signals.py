"""The signals that end a copy, and their one owner.

Rules:
1. From before the ends are opened (opening a FIFO can block) until the destination is
   committed or discarded, a terminating signal ends the copy in order: the temporary file
   is removed, the summary so far is printed, and the exit status is 128 + the signal's
   number. Outside that window a signal does what it did before bpcopy touched it.
2. Every handler is installed and removed here, and every `Interrupted` is built here. The
   first signal decides the outcome; a second one only repeats the request.
3. A copy has two stretches, and a signal reaches each its own way:
   - before the event loop runs the copy (opening the ends), a Python handler raises
     `Interrupted`, which also breaks out of a blocking open();
   - while the loop runs it, the loop's own handler (`loop.add_signal_handler`) calls the
     copy back, which ends it through its streams: an exception raised inside a stream
     callback would leave the streams half-updated.
4. Outside the main thread Python cannot handle signals: the window does nothing there, and
   the caller handles them.

Extending it: `TERMINATING_SIGNALS` is the list of signals that end a copy, and
`restore_originals()` is the one place handlers go back to what bpcopy found, so adding
SIGHUP, SIGQUIT, SIGALRM, SIGUSR2 or SIGXCPU, keeping signals that were ignored at start
ignored, or re-raising a signal after clean-up each touch one place.

It knows signals and the event loop; nothing of files, streams, diagnostics or the
command line.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

# The signals that end a copy in order, each with the exit status 128 + its number.
TERMINATING_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM)


class Interrupted(Exception):
    """A terminating signal ended the copy."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"interrupted by {signal.Signals(signum).name}")
        self.signum = signum

    @property
    def exit_status(self) -> int:
        """The shell's convention for a death by signal: 128 + its number."""
        return 128 + self.signum


class EndingSignals:
    """The window in which terminating signals end the copy rather than bpcopy.

    Enter it before opening the ends and leave it once the destination is committed or
    discarded. Inside, `delivered_to(loop, end)` hands signals to the running copy.
    """

    def __init__(self, signums: tuple[signal.Signals, ...] = TERMINATING_SIGNALS) -> None:
        self.signums = signums
        self.caught: Interrupted | None = None
        self._originals: dict[int, Any] = {}

    def __enter__(self) -> EndingSignals:
        if threading.current_thread() is not threading.main_thread():
            return self  # rule 4
        for signum in self.signums:
            self._originals[signum] = signal.signal(signum, self._raise)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.restore_originals()

    def restore_originals(self) -> None:
        """Give every handler back as it was found (closing the window; idempotent)."""
        originals, self._originals = self._originals, {}
        for signum, handler in originals.items():
            signal.signal(signum, handler)

    def interrupt(self, signum: int) -> Interrupted:
        """The copy's `Interrupted`: the first signal's, whichever comes after it."""
        if self.caught is None:
            self.caught = Interrupted(signum)
        return self.caught

    def _raise(self, signum: int, frame: Any) -> None:
        raise self.interrupt(signum)

    @contextmanager
    def delivered_to(self, loop: Any, end: Callable[[BaseException], None]) -> Iterator[None]:
        """While inside, a terminating signal calls `end(Interrupted)` on `loop` (rule 3).

        Leaving closes the window: the copy has committed or discarded its destination.
        """
        handled = []
        if self._originals:
            for signum in self.signums:
                loop.add_signal_handler(signum, lambda signum=signum: end(self.interrupt(signum)))
                handled.append(signum)
        try:
            yield
        finally:
            for signum in handled:
                loop.remove_signal_handler(signum)
            self.restore_originals()
