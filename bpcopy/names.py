"""File names in output: how bpcopy shows a name to a person, and writes it into JSON or HTML.

A POSIX file name is bytes, any bytes but NUL and '/'. Python hands bpcopy such a name as
a str in which each byte that is not UTF-8 stands as a lone surrogate (U+DC80..U+DCFF,
"surrogateescape"). A lone surrogate cannot be encoded, so one written as it is crashes an
output, and one escaped by json.dumps ("\\udcff") is rejected by strict JSON parsers.

- `quote(name)` is for messages: GNU cp's shell quoting (its "shell-escape-always"
  style), so a newline, a control character or a byte that is not UTF-8 stays visible
  and the name can be pasted back into a shell: `'a'$'\\n''b'`, `''$'\\377'`, `"it's"`.
- `shown(name)` is the same, but leaves a name that needs no quoting bare (for headers).
- `shown_command(command)` is for a command line already quoted for a shell (as
  shlex.join quotes it, every control character inside single quotes): each run of
  such characters becomes a $'...' run, as cp writes them, so an escape sequence in
  another program's arguments never reaches the terminal and a newline stays visible.
- `text(name)` is for JSON and HTML: the name as it decodes, with each byte that does not
  written as the four characters `\\xff`. Every strict parser accepts it.

This module knows names and strings only; every output that shows a name goes through it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

# Characters that never need quoting (GNU's list for its shell styles).
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                   "%+,-./:@_")
# Characters a shell treats specially at the start of a word only.
_SPECIAL_FIRST = frozenset("#~")
# Characters that read the same inside C and shell double quotes: with a single quote
# and nothing else needing escapes, GNU writes "it's" rather than 'it'\''s'.
_DOUBLE_QUOTABLE = _PLAIN | frozenset(" '")
_C_ESCAPES = {"\a": "a", "\b": "b", "\f": "f", "\n": "n", "\r": "r", "\t": "t", "\v": "v"}
# Unicode categories written as escapes: controls, line and paragraph separators, and the
# surrogates that stand for undecodable bytes.
_ESCAPED_CATEGORIES = frozenset(("Cc", "Zl", "Zp", "Cs"))


Name = str | bytes | os.PathLike[str] | os.PathLike[bytes]


def quote(name: Name) -> str:
    """The name quoted for a message, always in quotes, as cp quotes it."""
    return _shell_quote(_as_str(name), always=True)


def shown(name: Name) -> str:
    """The name for a heading: bare when that is unambiguous, quoted as cp would otherwise."""
    return _shell_quote(_as_str(name), always=False)


def text(name: Name) -> str:
    """The name as text that any encoder accepts: undecodable bytes become `\\xff`."""
    name = _as_str(name)
    if _is_clean(name):
        return name
    return "".join(f"\\x{ord(char) - 0xDC00:02x}" if 0xDC80 <= ord(char) <= 0xDCFF else char
                   for char in name)


def shown_command(command: str) -> str:
    """A shell-quoted command line with its control characters written as $'...' runs.

    shlex.join quotes every word holding a character outside a small ASCII set, so each
    control character lies inside single quotes; closing them, writing the $'...' run and
    opening them again keeps the line one that pastes back into a shell.
    """
    if not any(_needs_escape(char) for char in command):
        return command
    parts, in_escape = _with_escape_runs(command, lambda char: char)
    if in_escape:
        parts.append("''")
    return "".join(parts)


def json_safe(value: Any) -> Any:
    """A copy of a JSON-bound value (dicts, lists, strings) with every string made `text()`."""
    if isinstance(value, str):
        return text(value)
    if isinstance(value, dict):
        return {text(key) if isinstance(key, str) else key: json_safe(item)
                for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    return value


def _as_str(name: Name) -> str:
    if isinstance(name, str):
        return name
    try:
        return os.fsdecode(name)
    except TypeError:  # an OSError's filename can be a descriptor number
        return str(name)


def _is_clean(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _needs_escape(char: str) -> bool:
    code = ord(char)
    if code < 128:  # ASCII: the controls and DEL; unicodedata is loaded only beyond it
        return code < 32 or code == 127
    import unicodedata

    return unicodedata.category(char) in _ESCAPED_CATEGORIES


def _escape(char: str) -> str:
    """A character as it goes between $'...': a C escape, else octal of its bytes."""
    if char in _C_ESCAPES:
        return "\\" + _C_ESCAPES[char]
    raw = char.encode("utf-8", "surrogateescape")
    return "".join(f"\\{byte:03o}" for byte in raw)


def _shell_quote(name: str, always: bool) -> str:
    if name and not always and name[0] not in _SPECIAL_FIRST and all(
            char in _PLAIN or (ord(char) > 127 and not _needs_escape(char)) for char in name):
        return name
    escapes = any(_needs_escape(char) for char in name)
    if "'" in name and not escapes and all(
            char in _DOUBLE_QUOTABLE or (ord(char) > 127 and char.isprintable())
            for char in name):
        return f'"{name}"'
    parts, _ = _with_escape_runs(name, lambda char: "'\\''" if char == "'" else char)
    return "'" + "".join(parts) + "'"


def _with_escape_runs(chars: str, plain: Callable[[str], str]) -> tuple[list[str], bool]:
    """The pieces of a single-quoted text in which each run of characters that need
    escaping goes between $'...': the quotes close before the run and open again after
    it. Also whether the text ends inside such a run."""
    parts = []
    in_escape = False
    for char in chars:
        if _needs_escape(char):
            if not in_escape:
                parts.append("'$'")
                in_escape = True
            parts.append(_escape(char))
            continue
        if in_escape:
            parts.append("''")
            in_escape = False
        parts.append(plain(char))
    return parts, in_escape
