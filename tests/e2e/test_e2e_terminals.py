"""The live view on real terminals: a pty for what can be read back byte for byte, and
tmux (skipped when absent) for what a person would see: width, job control, TERM=dumb.

The live view's marks: it hides the cursor while it draws (ESC [?25l).
"""

from __future__ import annotations

import fcntl
import os
import pty
import shutil
import struct
import subprocess
import sys
import termios
import time
import uuid

import pytest
from e2e_helpers import BPCOPY, make_file

HIDE_CURSOR = b"\x1b[?25l"


def run_on_terminal(args: list[str], columns: int = 80, env: dict[str, str] | None = None,
                    typed: bytes = b"", timeout: float = 60) -> tuple[int, bytes]:
    """Run bpcopy in a session of its own whose controlling terminal is a new pty (so
    /dev/tty means that pty); stdin, stdout and stderr on it. Returns (status, screen)."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 30, columns, 0, 0))

    def take_terminal() -> None:
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    process = subprocess.Popen([*BPCOPY, *args], stdin=follower, stdout=follower,
                               stderr=follower, start_new_session=True,
                               preexec_fn=take_terminal,
                               env={**os.environ, "TERM": "xterm-256color", **(env or {})})
    os.close(follower)
    if typed:
        time.sleep(1.0)  # let it start reading
        os.write(leader, typed)
    screen = bytearray()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            piece = os.read(leader, 65536)
        except OSError:  # EIO: the last holder of the terminal has closed it
            break
        if not piece:
            break
        screen += piece
    os.close(leader)
    return process.wait(timeout=timeout), bytes(screen)


def test_a_destination_of_dev_tty_gets_the_bytes_and_no_live_view(tmp_path):
    """/dev/tty has its own device number; it is still stderr's terminal."""
    source = tmp_path / "src"
    data = b"0123456789" * 50_000
    source.write_bytes(data)
    status, screen = run_on_terminal([str(source), "/dev/tty", "--sink-rate", "1MiB/s",
                                      "--color", "never"])
    assert status == 0
    assert data in screen.replace(b"\r\n", b"\n")
    assert HIDE_CURSOR not in screen
    assert b"copy complete" in screen


def test_reading_what_the_user_types_shows_no_live_view_over_it(tmp_path):
    dest = tmp_path / "typed"
    status, screen = run_on_terminal(["-", str(dest), "--color", "never"],
                                     typed=b"hello there\n\x04")
    assert status == 0
    assert dest.read_bytes() == b"hello there\n"
    assert HIDE_CURSOR not in screen
    assert b"hello there" in screen  # the terminal's echo is left alone
    assert screen.count(b"bpcopy: copy complete") == 1


def test_dev_null_as_destination_keeps_the_live_view(tmp_path):
    source = tmp_path / "src"
    make_file(source, 600_000)
    status, screen = run_on_terminal([str(source), "/dev/null", "--sink-rate", "1MiB/s"])
    assert status == 0
    assert HIDE_CURSOR in screen
    assert b"copy complete" in screen


def test_term_dumb_gets_no_colour_and_no_cursor_movement(tmp_path):
    source = tmp_path / "src"
    make_file(source, 600_000)
    status, screen = run_on_terminal([str(source), str(tmp_path / "dst"), "--sink-rate",
                                      "1MiB/s"], env={"TERM": "dumb"})
    assert status == 0
    assert b"copy complete" in screen
    assert b"\x1b" not in screen


# -- tmux: what a person sees -------------------------------------------------------------

needs_tmux = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Tmux:
    """One tmux server of our own (its own socket), one window of a given size."""

    def __init__(self, columns: int, term: str = "xterm-256color") -> None:
        self.socket = f"bpcopy-test-{uuid.uuid4().hex[:8]}"
        self.run("new-session", "-d", "-s", "t", "-x", str(columns), "-y", "50",
                 "env", f"TERM={term}", "PS1=$ ", "bash", "--norc", "--noprofile")
        self.wait_for("$")

    def run(self, *args: str) -> str:
        result = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True,
                                check=True, timeout=30)
        return result.stdout.decode()

    def type(self, *keys: str) -> None:
        self.run("send-keys", "-t", "t", *keys)

    def screen(self, joined: bool = False) -> str:
        """The pane as text; `joined` puts lines the terminal wrapped back together."""
        return self.run("capture-pane", "-p", "-t", "t", "-S", "-200", *(["-J"] if joined
                                                                          else []))

    def wait_for(self, text: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True,
                       check=False)


@pytest.fixture
def tmux_at():
    windows: list[Tmux] = []

    def open_window(columns: int, term: str = "xterm-256color") -> Tmux:
        windows.append(Tmux(columns, term))
        return windows[-1]

    yield open_window
    for window in windows:
        window.close()


def bpcopy_command(*args: object) -> str:
    import shlex

    return " ".join(shlex.quote(str(part)) for part in [sys.executable, "-m", "bpcopy", *args])


def longest_line(screen: str) -> int:
    return max((len(line.rstrip()) for line in screen.splitlines()), default=0)


@needs_tmux
@pytest.mark.parametrize("columns", [40, 100])
def test_view_summary_and_timeline_fit_the_terminal_without_wrapping(tmp_path, tmux_at,
                                                                      columns):
    source = tmp_path / "src"
    make_file(source, 3_000_000)
    window = tmux_at(columns)
    window.type("clear", "Enter")
    window.type(f"cd {tmp_path} && " + bpcopy_command(source, "dst", "--sink-rate", "1MiB/s")
                + " && echo COPY-$((6 * 7))", "Enter")
    during = window.wait_for("ETA")
    assert "written" in during or "wrote" in during
    window.wait_for("COPY-42")
    final = window.screen(joined=True)
    command_line = next(line for line in final.splitlines() if "COPY-$" in line)
    body = final.replace(command_line, "")  # the typed command is the shell's to wrap
    assert longest_line(body) <= columns, body
    assert "readable│" in body and "RSS│" in body and "verdict" in body


@needs_tmux
def test_after_ctrl_z_and_fg_the_view_starts_again_below_the_shell_s_lines(tmp_path,
                                                                            tmux_at):
    source = tmp_path / "src"
    make_file(source, 2_000_000)
    window = tmux_at(100)
    window.type("clear", "Enter")
    window.type(bpcopy_command(source, tmp_path / "dst", "--sink-rate", "512KiB/s"), "Enter")
    window.wait_for("ETA")
    window.type("C-z")
    stopped = window.wait_for("Stopped")
    assert "ETA" not in stopped  # erased before stopping, and the cursor given back
    window.type("fg", "Enter")
    time.sleep(1.0)
    resumed = window.screen()
    assert "Stopped" in resumed and "$ fg" in resumed  # the shell's lines survive
    assert resumed.count("ETA") == 1  # one view, drawn afresh below them
    final = window.wait_for("copy complete")
    assert "Stopped" in final and "ETA" not in final
    assert (tmp_path / "dst").read_bytes() == source.read_bytes()


@needs_tmux
def test_term_dumb_in_tmux_shows_the_summary_without_a_live_view(tmp_path, tmux_at):
    source = tmp_path / "src"
    make_file(source, 1_000_000)
    window = tmux_at(80, term="dumb")
    window.type(bpcopy_command(source, tmp_path / "dst", "--sink-rate", "1MiB/s"), "Enter")
    time.sleep(0.6)
    assert "ETA" not in window.screen()
    final = window.wait_for("copy complete")
    assert "verdict" in final
    coloured = window.run("capture-pane", "-p", "-e", "-t", "t")
    assert "\x1b[3" not in coloured  # no foreground colours
