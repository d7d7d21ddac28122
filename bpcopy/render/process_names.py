"""How the programs at the ends of a pipeline are named where room is short.

A neighbour's command is its whole command line, shell-quoted (diagnostics.neighbours);
charts and the live view often have room for the program alone. Text in, text out: this
knows nothing of processes, rich or HTML.
"""

from __future__ import annotations


def program_name(command: str) -> str:
    """The program of a shell-quoted command line, without its directory or arguments:
    "python3" for "/usr/bin/python3 -c 'print(1)'"."""
    first = command.split(" ", 1)[0]
    if first[:1] in ("'", '"', "$"):  # quoted or escaped: a path with odd bytes; keep as is
        return first
    return first.rsplit("/", 1)[-1] or first
