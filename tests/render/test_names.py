"""File names in output (bpcopy.names): cp's quoting for messages, and text that every
JSON parser and HTML page accepts for names that are not UTF-8."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpcopy.names import json_safe, quote, shown, shown_command, text

# What GNU cp 9.1 prints for each name in "cp: cannot stat NAME: ...", under C.UTF-8.
CP_QUOTES = [
    (b"plain", "'plain'"),
    (b"a b", "'a b'"),
    (b"it's", '"it\'s"'),
    (b"it's $x", "'it'\\''s $x'"),
    (b"a\nb", "'a'$'\\n''b'"),
    (b"\xff", "''$'\\377'"),
    (b"a\tb\xfe c", "'a'$'\\t''b'$'\\376'' c'"),
    (b"\n\n", "''$'\\n\\n'"),
    (b"a\x1bb", "'a'$'\\033''b'"),
    (b"\xc2\x85", "''$'\\302\\205'"),  # a C1 control, valid UTF-8
    (b"\xe2\x80", "''$'\\342\\200'"),  # a UTF-8 sequence cut short
    ("aé".encode() + b"\xffz", "'aé'$'\\377''z'"),
    (b"-x", "'-x'"),
    (b"a\\b'", "'a\\b'\\'''"),
    (b"", "''"),
]


@pytest.mark.parametrize("raw, expected", CP_QUOTES)
def test_messages_quote_a_name_as_gnu_cp_does(raw, expected):
    assert quote(os.fsdecode(raw)) == expected


def test_a_heading_leaves_a_plain_name_bare_and_quotes_the_rest():
    assert shown("/data/in.bin") == "/data/in.bin"
    assert shown("données.bin") == "données.bin"
    assert shown("a b") == "'a b'"
    assert shown(os.fsdecode(b"\xff")) == "''$'\\377'"
    assert shown("~x") == "'~x'"


def test_quote_takes_bytes_and_paths_as_the_os_gives_them():
    assert quote(b"a\xffb") == "'a'$'\\377''b'"
    assert quote(os.fsdecode(b"a\xffb")) == quote(b"a\xffb")


@pytest.mark.skipif(shutil.which("cp") is None, reason="no cp on PATH")
def test_quoting_matches_the_cp_on_this_machine(tmp_path):
    """The same names through the real cp, where it is GNU cp."""
    version = subprocess.run(["cp", "--version"], capture_output=True, check=False)
    if b"GNU coreutils" not in version.stdout:
        pytest.skip("cp is not GNU cp")
    for raw, _ in CP_QUOTES:
        result = subprocess.run([b"cp", b"--", raw, str(tmp_path / "missing" / "x").encode()],
                                capture_output=True, env={"LC_ALL": "C.UTF-8"}, check=False)
        message = result.stderr.decode()
        assert message.startswith(f"cp: cannot stat {quote(os.fsdecode(raw))}: "), message


names = st.binary(min_size=1, max_size=40).filter(lambda raw: b"\0" not in raw)


@settings(max_examples=60, deadline=None)
@given(st.lists(names, min_size=1, max_size=8))
def test_a_quoted_name_pasted_into_bash_gives_back_the_same_bytes(raws):
    """The point of cp's quoting: what the message shows is the name, unambiguously."""
    if shutil.which("bash") is None:
        pytest.skip("no bash")
    script = "".join(f"printf '%s\\0' {quote(os.fsdecode(raw))}\n" for raw in raws)
    result = subprocess.run(["bash", "-c", script], capture_output=True, check=True)
    assert result.stdout.split(b"\0")[:-1] == raws


@given(names)
def test_a_quoted_name_shows_no_control_character_and_no_undecodable_byte(raw):
    quoted = quote(os.fsdecode(raw))
    quoted.encode("utf-8")  # strict: no lone surrogate
    assert not any(ord(char) < 32 or ord(char) == 127 for char in quoted)


@given(names)
def test_json_text_is_strict_utf8_and_keeps_every_decodable_character(raw):
    name = os.fsdecode(raw)
    written = json.dumps(json_safe({"source": name}), ensure_ascii=False)
    written.encode("utf-8")  # a lone surrogate would fail here
    shown_text = json.loads(written)["source"]
    assert "\\udc" not in written
    if raw.decode("utf-8", "replace") == raw.decode("utf-8", "ignore"):  # valid UTF-8
        assert shown_text == name


def test_undecodable_bytes_become_the_text_backslash_x():
    assert text(os.fsdecode(b"a\xffb\xc3")) == "a\\xffb\\xc3"
    assert json.dumps(json_safe({"s": os.fsdecode(b"\xff"), "n": 1, "l": [os.fsdecode(b"\xfe")]})
                      ) == '{"s": "\\\\xff", "n": 1, "l": ["\\\\xfe"]}'


utf8_words = st.lists(st.text(st.characters(blacklist_categories=("Cs",),
                                            blacklist_characters="\0"), max_size=12),
                      min_size=1, max_size=6)


@settings(max_examples=60, deadline=None)
@given(utf8_words)
def test_a_shown_command_line_pasted_into_bash_gives_back_the_same_words(words):
    """A neighbour's command line as people see it (shlex.join's, control characters
    written as $'...'): no control character left, and still the same words to bash."""
    if shutil.which("bash") is None:
        pytest.skip("no bash")
    line = shown_command(shlex.join(words))
    assert not any(ord(char) < 32 or ord(char) == 127 for char in line)
    result = subprocess.run(["bash", "-c", f"printf '%s\\0' {line}"], capture_output=True,
                            check=True)
    assert result.stdout.split(b"\0")[:-1] == [word.encode() for word in words]


def test_a_shown_command_line_writes_control_runs_as_cp_does():
    assert shown_command("tar -cf - .") == "tar -cf - ."
    assert shown_command(shlex.join(["a\nb", "\x1b[2J", "x"])) == (
        "'a'$'\\n''b' ''$'\\033''[2J' x")
