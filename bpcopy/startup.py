"""The first code bpcopy runs: which signals it handles, and their state while it starts.

Starting takes some 100 ms of imports (click, asyncio, rich's parts). Until the copy's
own handlers take over (bpcopy.signals), this module decides what a signal does:
- a terminating signal (TERMINATING_SIGNAL_NUMBERS) kills bpcopy by that signal, as it
  would kill `sleep`: nothing is open yet, so there is nothing to clean up, and the shell
  sees a death by signal. Python's own SIGINT handler (KeyboardInterrupt, then an exit
  with status 130) would tell a bash script that bpcopy handled Ctrl-C, and the script
  would carry on; so SIGINT goes back to the default action;
- SIGUSR1 (STATUS_SIGNAL, a request for the summary so far) is swallowed: there is no
  summary yet, and by default it would kill bpcopy;
- a signal that was ignored when bpcopy started (nohup's SIGHUP, a background job's
  SIGINT) stays ignored, here and later: bpcopy.signals leaves SIG_IGN alone.

Why `_signal`: the `signal` module is `_signal` (built in, loaded with the interpreter)
wrapped in enums, and importing enum costs 5 to 9 ms here, a window in which a SIGUSR1
would kill bpcopy. This module imports nothing else, and must stay that way.
"""

try:
    import _signal as signal
except ImportError:  # an interpreter without the built-in module
    import signal  # type: ignore[no-redef]

# The signals that end a copy in order, in the order a reader meets them: a closed
# terminal, Ctrl-C, Ctrl-\, kill, alarm(1), a user's own, the CPU-time limit.
TERMINATING_SIGNAL_NUMBERS = (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGTERM,
                              signal.SIGALRM, signal.SIGUSR2, signal.SIGXCPU)
# dd's request for the summary so far (BSD's SIGINFO, which Linux lacks).
STATUS_SIGNAL = signal.SIGUSR1


def swallow_status_request(signum: int, frame: object) -> None:
    """SIGUSR1 before or after the copy: nothing to report yet, or any more."""


def guard_start_up() -> None:
    """Put the signals in their start-up state; calling it again changes nothing."""
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
    if signal.getsignal(STATUS_SIGNAL) == signal.SIG_DFL:
        signal.signal(STATUS_SIGNAL, swallow_status_request)
