"""Helpers for the pipeline diagnostics tests: programs for real child processes at the
far ends of real pipes, and a way to run as another user.

Timeouts here are safety nets against a hang, never assertions about speed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

HANG_TIMEOUT_S = 30

# A writer that writes 4 KiB every `pause` seconds for ever: a slow source.
SLOW_WRITER = ("import os, sys, time\n"
               "pause = float(sys.argv[1])\n"
               "try:\n"
               "    while True:\n"
               "        os.write(1, b'w' * 4096)\n"
               "        time.sleep(pause)\n"
               "except BrokenPipeError:\n"
               "    pass\n")
# A reader that reads 4 KiB every `pause` seconds until end of file: a slow sink.
SLOW_READER = ("import os, sys, time\n"
               "pause = float(sys.argv[1])\n"
               "while os.read(0, 4096):\n"
               "    time.sleep(pause)\n")
# Burns CPU while holding its descriptors, until killed.
SPINNER = "while True:\n    pass\n"


def python(*args: str) -> list[str]:
    return [sys.executable, *args]


def nobody_prefix() -> tuple[str, ...] | None:
    """A command prefix that runs as user nobody, or None if this machine cannot."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        return None
    prefix = ("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups")
    probe = subprocess.run([*prefix, sys.executable, "-c", "import bpcopy"],
                           capture_output=True, timeout=HANG_TIMEOUT_S, check=False)
    return prefix if probe.returncode == 0 else None
