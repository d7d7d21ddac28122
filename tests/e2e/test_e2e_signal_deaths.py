"""Signals sent to a real bpcopy: each terminating signal removes the temporary file,
prints the summary so far and ends bpcopy by that same signal; an ignored signal stays
ignored; SIGUSR1 prints the summary so far and the copy goes on; start-up is covered.

Every test sends real signals to real processes (bash, nohup, bpcopy)."""

from __future__ import annotations

import fcntl
import os
import pty
import resource
import shutil
import signal
import struct
import subprocess
import termios
import time
from pathlib import Path

import psutil
import pytest
from e2e_helpers import (
    BPCOPY,
    HANG_TIMEOUT_S,
    dir_entries,
    kill_quietly,
    make_file,
    sparse_file,
    summary_of,
    wait_for_copy_to_write,
)

OLD = b"old contents\n"
TERMINATING = [signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGTERM, signal.SIGALRM,
               signal.SIGUSR2, signal.SIGXCPU]
COMMAND = " ".join(BPCOPY)


def allow_core_files() -> None:
    """In the child: let a signal that dumps core write one, so a test can see none."""
    resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


def slow_copy(tmp_path: Path, *extra: str, **popen: object) -> subprocess.Popen[bytes]:
    src = tmp_path / "src"
    sparse_file(src, 16 * 1024 * 1024)
    popen.setdefault("stdout", subprocess.PIPE)
    popen.setdefault("stderr", subprocess.PIPE)
    # --sparse never: a copy of holes writes nothing until its end, and these tests wait
    # for the first bytes written.
    return subprocess.Popen([*BPCOPY, str(src), str(tmp_path / "dst"), "--sink-rate", "1MiB/s",
                             "--sparse", "never", *extra], cwd=tmp_path,
                            **popen)  # type: ignore[call-overload]


def signal_mask_bits(pid: int, field: str) -> int:
    """A field of /proc/PID/status such as SigCgt (signals caught), as a bit mask."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1], 16)
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def wait_until_guarded(process: subprocess.Popen[bytes]) -> None:
    """Wait until bpcopy's first code has run: it catches SIGUSR1 and leaves SIGINT to the
    default action. The slow imports of start-up come right after."""
    deadline = time.monotonic() + HANG_TIMEOUT_S
    usr1, sigint = 1 << (signal.SIGUSR1 - 1), 1 << (signal.SIGINT - 1)
    while time.monotonic() < deadline:
        caught = signal_mask_bits(process.pid, "SigCgt")
        if caught & usr1 and not caught & sigint:
            return
        time.sleep(0.0002)
    raise AssertionError("bpcopy never took over its signals")


@pytest.mark.parametrize("signum", TERMINATING, ids=lambda s: signal.Signals(s).name)
def test_each_terminating_signal_cleans_up_then_ends_bpcopy_by_that_signal(
        tmp_path: Path, signum: int) -> None:
    dst = tmp_path / "dst"
    dst.write_bytes(OLD)
    process = slow_copy(tmp_path, preexec_fn=allow_core_files)
    try:
        wait_for_copy_to_write(tmp_path)
        process.send_signal(signum)
        _, err = process.communicate(timeout=HANG_TIMEOUT_S)
    finally:
        kill_quietly(process)
    assert process.returncode == -signum
    text = err.decode()
    assert "Traceback" not in text
    assert "copy FAILED" in text and "copied" in text  # the summary so far
    assert f"interrupted by {signal.Signals(signum).name}" in text
    assert dst.read_bytes() == OLD
    assert dir_entries(tmp_path) == ["dst", "src"]  # no temporary file, no core file


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP],
                         ids=lambda s: signal.Signals(s).name)
def test_the_shell_sees_128_plus_the_signal_s_number(tmp_path: Path, signum: int) -> None:
    src = tmp_path / "src"
    sparse_file(src, 16 * 1024 * 1024)
    script = f"{COMMAND} src dst --sink-rate 1MiB/s --sparse never -q; echo status $?"
    shell = subprocess.Popen(["bash", "-c", script], cwd=tmp_path, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    try:
        wait_for_copy_to_write(tmp_path)
        copier = psutil.Process(shell.pid).children()[0]
        copier.send_signal(signum)  # to bpcopy alone: bash itself is not interrupted
        out, _ = shell.communicate(timeout=HANG_TIMEOUT_S)
    finally:
        kill_quietly(shell)
    assert out.decode() == f"status {128 + signum}\n"
    assert dir_entries(tmp_path) == ["src"]


def test_ctrl_c_stops_a_bash_script_as_it_does_for_sleep(tmp_path: Path) -> None:
    """Ctrl-C sends SIGINT to the whole foreground process group. bash waits for its
    child, and goes on with the script only if the child did not die of SIGINT."""
    src = tmp_path / "src"
    sparse_file(src, 16 * 1024 * 1024)
    script = f"{COMMAND} src dst --sink-rate 1MiB/s --sparse never -q; echo after"
    shell = subprocess.Popen(["bash", "-c", script], cwd=tmp_path, start_new_session=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for_copy_to_write(tmp_path)
        os.killpg(shell.pid, signal.SIGINT)  # as the terminal does on Ctrl-C
        out, err = shell.communicate(timeout=HANG_TIMEOUT_S)
    finally:
        kill_quietly(shell)
    assert b"after" not in out
    assert shell.returncode == -signal.SIGINT  # bash stopped itself by SIGINT, too
    assert b"interrupted by SIGINT" in err
    assert dir_entries(tmp_path) == ["src"]


def test_under_nohup_a_hangup_is_ignored_and_the_copy_completes(tmp_path: Path) -> None:
    content = make_file(tmp_path / "src", 4 * 1024 * 1024)
    process = subprocess.Popen(["nohup", *BPCOPY, "src", "dst", "--sink-rate", "8MiB/s",
                                "--json"], cwd=tmp_path, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for_copy_to_write(tmp_path)
        process.send_signal(signal.SIGHUP)
        _, err = process.communicate(timeout=HANG_TIMEOUT_S)
    finally:
        kill_quietly(process)
    assert process.returncode == 0, err
    assert summary_of(err)["ok"] is True
    assert (tmp_path / "dst").read_bytes() == content


def test_a_background_job_of_a_script_keeps_ignoring_sigint(tmp_path: Path) -> None:
    """bash starts a script's background jobs with SIGINT and SIGQUIT ignored."""
    content = make_file(tmp_path / "src", 4 * 1024 * 1024)
    script = (f"{COMMAND} src dst --sink-rate 8MiB/s -q & "
              "until [ -n \"$(ls -A | grep bpcopy-tmp)\" ]; do sleep 0.01; done; "
              "kill -INT $!; kill -QUIT $!; wait $!; echo status $?")
    result = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True,
                            timeout=HANG_TIMEOUT_S, check=False)
    assert result.stdout == b"status 0\n", result.stderr
    assert (tmp_path / "dst").read_bytes() == content


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP],
                         ids=lambda s: signal.Signals(s).name)
def test_a_signal_in_the_first_moment_of_start_up_ends_bpcopy_by_it(tmp_path: Path,
                                                                    signum: int) -> None:
    process = slow_copy(tmp_path)
    process.send_signal(signum)  # before Python has even started, most likely
    try:
        out, err = process.communicate(timeout=HANG_TIMEOUT_S)
    finally:
        kill_quietly(process)
    assert process.returncode == -signum
    assert out == err == b""
    assert dir_entries(tmp_path) == ["src"]


def test_ctrl_c_during_the_imports_of_start_up_is_a_quiet_death_by_sigint(
        tmp_path: Path) -> None:
    process = slow_copy(tmp_path)
    try:
        wait_until_guarded(process)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=HANG_TIMEOUT_S)
    finally:
        kill_quietly(process)
    assert process.returncode == -signal.SIGINT
    assert b"Traceback" not in err and b"KeyboardInterrupt" not in err
    assert dir_entries(tmp_path) == ["src"]


def test_sigusr1_during_the_imports_of_start_up_does_not_kill_bpcopy(tmp_path: Path) -> None:
    content = make_file(tmp_path / "src", 256 * 1024)
    process = subprocess.Popen([*BPCOPY, "src", "dst", "--json"], cwd=tmp_path,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_until_guarded(process)
        sent = 0
        while process.poll() is None:  # from the imports through to the end of the copy
            process.send_signal(signal.SIGUSR1)
            sent += 1
            time.sleep(0.001)
        _, err = process.communicate(timeout=HANG_TIMEOUT_S)
    finally:
        kill_quietly(process)
    assert sent > 0
    assert process.returncode == 0, err
    assert summary_of(err)["ok"] is True  # and nothing else on stderr under --json
    assert (tmp_path / "dst").read_bytes() == content


def test_sigusr1_prints_the_summary_so_far_and_the_copy_goes_on(tmp_path: Path) -> None:
    content = make_file(tmp_path / "src", 3 * 1024 * 1024)
    process = subprocess.Popen([*BPCOPY, "src", "dst", "--sink-rate", "2MiB/s"], cwd=tmp_path,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for_copy_to_write(tmp_path)
        process.send_signal(signal.SIGUSR1)
        _, err = process.communicate(timeout=HANG_TIMEOUT_S)
    finally:
        kill_quietly(process)
    text = err.decode()
    assert process.returncode == 0, text
    assert (tmp_path / "dst").read_bytes() == content
    assert text.count("  copied ") == 2  # the summary so far, then the final one
    so_far, final = text.split("bpcopy: copy complete")
    assert "bpcopy: copy in progress" in so_far
    copied_so_far = int(so_far.split("(")[1].split(" bytes")[0])
    assert 0 < copied_so_far < len(content)
    assert f"({len(content)} bytes)" in final


def test_sigusr1_under_json_prints_nothing(tmp_path: Path) -> None:
    content = make_file(tmp_path / "src", 1024 * 1024)
    process = subprocess.Popen([*BPCOPY, "src", "dst", "--sink-rate", "2MiB/s", "--json"],
                               cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for_copy_to_write(tmp_path)
        process.send_signal(signal.SIGUSR1)
        _, err = process.communicate(timeout=HANG_TIMEOUT_S)
    finally:
        kill_quietly(process)
    assert process.returncode == 0
    assert summary_of(err)["bytes"] == len(content)  # one JSON object, nothing else
    assert (tmp_path / "dst").read_bytes() == content


def test_sigusr1_prints_above_the_live_view_on_a_terminal(tmp_path: Path) -> None:
    content = make_file(tmp_path / "src", 2 * 1024 * 1024)
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    try:
        process = subprocess.Popen([*BPCOPY, "src", "dst", "--sink-rate", "2MiB/s",
                                    "--color", "never"], cwd=tmp_path,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=follower)
        os.close(follower)
        follower = -1
        wait_for_copy_to_write(tmp_path)
        process.send_signal(signal.SIGUSR1)
        screen = bytearray()
        while True:
            try:
                piece = os.read(leader, 65536)
            except OSError:  # EIO: bpcopy has closed the terminal
                break
            if not piece:
                break
            screen += piece
        process.wait(timeout=HANG_TIMEOUT_S)
    finally:
        os.close(leader)
        if follower != -1:
            os.close(follower)
        kill_quietly(process)
    text = screen.decode(errors="replace")
    assert process.returncode == 0
    assert (tmp_path / "dst").read_bytes() == content
    in_progress = text.index("bpcopy: copy in progress")
    assert "written" in text[in_progress:]  # the live view is drawn again below it
    assert "copy complete" in text[in_progress:]


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_ctrl_c_after_ctrl_z_and_fg_still_ends_the_copy_in_order(tmp_path: Path) -> None:
    """The live view's Ctrl-Z handling and the terminating signals share the loop's
    wake-up: after a stop and a continue, Ctrl-C still cleans up and ends bpcopy."""
    sparse_file(tmp_path / "src", 16 * 1024 * 1024)
    socket = f"bpcopy-signals-{os.getpid()}"

    def tmux(*args: str) -> str:
        return subprocess.run(["tmux", "-L", socket, *args], capture_output=True, check=True,
                              timeout=HANG_TIMEOUT_S).stdout.decode()

    def wait_for(text: str, after: int = 0) -> str:
        deadline = time.monotonic() + HANG_TIMEOUT_S
        while time.monotonic() < deadline:
            screen = tmux("capture-pane", "-p", "-t", "t", "-S", "-200")
            if screen.count(text) > after:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared:\n{screen}")

    tmux("new-session", "-d", "-s", "t", "-x", "100", "-y", "50", "-c", str(tmp_path),
         "env", "PS1=$ ", "bash", "--norc", "--noprofile")
    try:
        wait_for("$")
        tmux("send-keys", "-t", "t", f"{COMMAND} src dst --sink-rate 1MiB/s --sparse never",
             "Enter")
        wait_for("ETA")
        tmux("send-keys", "-t", "t", "C-z")
        wait_for("Stopped")
        tmux("send-keys", "-t", "t", "fg", "Enter")
        wait_for_copy_to_write(tmp_path, 2 * 1024 * 1024)  # copying again
        tmux("send-keys", "-t", "t", "C-c")
        wait_for("interrupted by SIGINT")
        tmux("send-keys", "-t", "t", "echo status-$?", "Enter")
        screen = wait_for("status-1", after=0)
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True,
                       check=False)
    assert "status-130" in screen
    assert dir_entries(tmp_path) == ["src"]
