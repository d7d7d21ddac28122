"""How the programs at the ends of a pipeline are named where room is short.

A neighbour's command is its whole command line, shell-quoted (diagnostics.neighbours);
charts and the live view often have room for the program alone. Text in, text out: this
knows nothing of processes, rich or HTML.
"""

from __future__ import annotations

import shlex

from bpcopy.names import shown_command


def program_name(command: str) -> str:
    """The program of a shell-quoted command line, without its directory or arguments:
    "python3" for "/usr/bin/python3 -c 'print(1)'"; still quoted when it needs to be."""
    if command.startswith("[") and command.endswith("]"):
        return command  # no command line, only the kernel's name for it: "[kworker/0:1]"
    try:
        words = shlex.split(command)
    except ValueError:  # not shell-quoted after all
        words = command.split()
    if not words:
        return command
    return shown_command(shlex.quote(words[0].rsplit("/", 1)[-1] or words[0]))
