"""bpcopy.diagnostics.neighbours: finding the programs at the far ends of real pipes.

Here the test process plays bpcopy: its children hold the other ends, so the search
starts from the test process itself (parent_pid=os.getpid()).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from pipeline_helpers import (
    HANG_TIMEOUT_S,
    SLOW_WRITER,
    SPINNER,
    nobody_prefix,
    python,
)

from bpcopy.diagnostics.kernel import watch_end
from bpcopy.diagnostics.neighbours import (
    SLOW_READINGS_EVERY,
    Neighbour,
    Neighbours,
    command_line,
)


def writer_into(children, write_end: int, *args: str) -> subprocess.Popen[bytes]:
    child = subprocess.Popen(list(args), stdout=write_end)
    children.append(child)
    return child


def reader_from(children, read_end: int, *args: str) -> subprocess.Popen[bytes]:
    child = subprocess.Popen(list(args), stdin=read_end)
    children.append(child)
    return child


def scanned(*ends, parent_pid: int | None = None) -> Neighbours:
    neighbours = Neighbours([end for end in ends if end is not None],
                            parent_pid=os.getpid() if parent_pid is None else parent_pid)
    neighbours.scan()
    return neighbours


def pids_of(neighbours: Neighbours, end) -> list[int]:
    return [process["pid"] for process in neighbours.side(end).processes()]


def test_the_writer_of_our_input_pipe_is_found_upstream(pipe, children):
    read_end, write_end = pipe
    writer = writer_into(children, write_end, *python("-c", SLOW_WRITER, "0.05"))
    os.close(write_end)
    os.read(read_end, 1)  # the writer is running
    upstream = watch_end(read_end, "upstream")
    neighbours = scanned(upstream)
    assert pids_of(neighbours, upstream) == [writer.pid]
    assert neighbours.side(upstream).culprit().pid == writer.pid
    neighbours.close()
    upstream.close()


def test_the_reader_of_our_output_pipe_is_found_downstream(pipe, children):
    read_end, write_end = pipe
    reader = reader_from(children, read_end, "cat")
    os.close(read_end)
    downstream = watch_end(write_end, "downstream")
    neighbours = scanned(downstream)
    assert pids_of(neighbours, downstream) == [reader.pid]
    process = neighbours.side(downstream).processes()[0]
    assert process["command"] == "cat"
    assert process["peak_rss"] > 0
    neighbours.close()
    downstream.close()


def test_a_process_holding_the_same_end_as_ours_is_not_a_neighbour(pipe, children):
    read_end, write_end = pipe
    # Both children hold the read end; only the second holds the write end.
    fellow_reader = reader_from(children, read_end, "sleep", "30")
    writer = writer_into(children, write_end, *python("-c", SLOW_WRITER, "0.05"))
    os.close(write_end)
    upstream = watch_end(read_end, "upstream")
    neighbours = scanned(upstream)
    assert pids_of(neighbours, upstream) == [writer.pid]
    assert fellow_reader.pid not in pids_of(neighbours, upstream)
    neighbours.close()
    upstream.close()


def test_all_of_proc_is_scanned_when_the_parents_family_holds_nothing(pipe, children):
    read_end, write_end = pipe
    stranger_parent = subprocess.Popen(["sleep", "30"])  # a parent with no children
    children.append(stranger_parent)
    writer = writer_into(children, write_end, *python("-c", SLOW_WRITER, "0.05"))
    os.close(write_end)
    upstream = watch_end(read_end, "upstream")
    neighbours = scanned(upstream, parent_pid=stranger_parent.pid)
    assert pids_of(neighbours, upstream) == [writer.pid]
    neighbours.close()
    upstream.close()


def test_the_command_is_shell_quoted_with_undecodable_bytes_as_text(pipe, children):
    read_end, write_end = pipe
    odd = os.fsdecode(b"caf\xe9 \xff")
    child = writer_into(children, write_end, sys.executable, "-c",
                        "import time; time.sleep(30)", "two words", odd)
    command = None
    for _ in range(100):  # until exec has replaced the forked image's command line
        command = command_line(child.pid)
        if command is not None and "two words" in command:
            break
        time.sleep(0.01)
    assert command == (f"{sys.executable} -c 'import time; time.sleep(30)' 'two words' "
                       "'caf\\xe9 \\xff'")
    encoded = json.dumps({"command": command}, ensure_ascii=False).encode("utf-8")
    assert json.loads(encoded)["command"] == command  # no lone surrogate anywhere


def test_peak_rss_is_the_kernels_high_water_mark_not_the_current_size(pipe, children):
    read_end, write_end = pipe
    allocate_then_free = ("import os, sys\n"
                          "block = bytearray(64 << 20)\n"
                          "del block\n"
                          "os.write(1, b'r')\n"
                          "sys.stdin.read()\n")
    writer = subprocess.Popen(python("-c", allocate_then_free), stdout=write_end,
                              stdin=subprocess.PIPE)
    children.append(writer)
    os.close(write_end)
    assert os.read(read_end, 1) == b"r"
    upstream = watch_end(read_end, "upstream")
    neighbours = scanned(upstream)
    peak = neighbours.side(upstream).processes()[0]["peak_rss"]
    with open(f"/proc/{writer.pid}/status") as status:
        current = next(int(line.split()[1]) * 1024 for line in status
                       if line.startswith("VmRSS:"))
    assert peak >= 64 << 20
    assert current < peak - (32 << 20)
    writer.stdin.close()
    neighbours.close()
    upstream.close()


def test_a_neighbour_that_exits_keeps_its_last_reading(pipe, children):
    read_end, write_end = pipe
    writer = subprocess.Popen(python("-c", "import sys; sys.stdin.read()"),
                              stdout=write_end, stdin=subprocess.PIPE)
    children.append(writer)
    os.close(write_end)
    upstream = watch_end(read_end, "upstream")
    neighbours = scanned(upstream)
    neighbour = neighbours.side(upstream).by_pid[writer.pid]
    seen = neighbour.peak_rss
    assert seen is not None
    writer.stdin.close()
    writer.wait(HANG_TIMEOUT_S)
    neighbours.sample()
    assert neighbour.gone
    assert neighbour.peak_rss == seen
    assert neighbours.side(upstream).processes() == [
        {"pid": writer.pid, "command": neighbour.command, "peak_rss": seen}]
    upstream.close()


def test_a_process_gone_before_its_first_reading_has_no_peak():
    gone = subprocess.Popen(["true"])
    gone.wait(HANG_TIMEOUT_S)
    neighbour = Neighbour.found(gone.pid)
    assert neighbour.peak_rss is None
    assert neighbour.gone


def test_a_subshell_waiting_on_its_child_is_not_the_culprit(pipe, children):
    read_end, write_end = pipe
    # bash runs the writer as a child (the `; true` keeps it from exec'ing it) and
    # waits for it; both hold the write end.
    shell = writer_into(children, write_end, "bash", "-c",
                        f"{sys.executable} -c \"$0\" 0.02; true", SLOW_WRITER)
    os.close(write_end)
    os.read(read_end, 1)
    upstream = watch_end(read_end, "upstream")
    neighbours = scanned(upstream)
    side = neighbours.side(upstream)
    for _ in range(50):  # until the scan has seen the writer as well as the shell
        if len(side.by_pid) == 2:
            break
        time.sleep(0.02)
        neighbours.scan()
    for _ in range(4 * SLOW_READINGS_EVERY):
        neighbours.sample()
        time.sleep(0.005)
    assert shell.pid in side.by_pid
    assert side.by_pid[shell.pid].merely_waiting
    culprit = side.culprit()
    assert culprit.pid != shell.pid
    assert culprit.ppid == shell.pid
    neighbours.close()
    upstream.close()


def test_of_several_writers_the_one_using_most_cpu_is_the_culprit(pipe, children):
    read_end, write_end = pipe
    idle = writer_into(children, write_end, "sleep", "30")
    busy = writer_into(children, write_end, *python("-c", SPINNER))
    os.close(write_end)
    upstream = watch_end(read_end, "upstream")
    neighbours = scanned(upstream)
    side = neighbours.side(upstream)
    assert sorted(side.by_pid) == sorted([idle.pid, busy.pid])
    while side.by_pid[busy.pid].cpu_ticks <= side.by_pid[idle.pid].cpu_ticks:
        time.sleep(0.02)  # until the spinner has used a clock tick
        for neighbour in side.by_pid.values():
            neighbour.sample(slow=True)
    assert side.culprit().pid == busy.pid
    neighbours.close()
    upstream.close()


def test_sockets_are_not_followed_to_their_peers():
    import socket

    ours, theirs = socket.socketpair()
    with ours, theirs:
        upstream = watch_end(ours.fileno(), "upstream")
        neighbours = scanned(upstream)
        assert neighbours.side(upstream) is None
        upstream.close()


_SCAN_AS_NOBODY = """
import json
from bpcopy.diagnostics.kernel import watch_end
from bpcopy.diagnostics.neighbours import Neighbours
upstream = watch_end(0, "upstream")
neighbours = Neighbours([upstream])
neighbours.scan()
neighbours.sample()
print(json.dumps({"processes": neighbours.side(upstream).processes(),
                  "hidden": neighbours.hidden_pids}))
"""


def test_another_users_processes_are_hidden_without_failing(pipe, children):
    prefix = nobody_prefix()
    if prefix is None:
        pytest.skip("cannot run as user nobody here (needs root and setpriv)")
    read_end, write_end = pipe
    writer_into(children, write_end, "sleep", "30")  # root's, holding the write end
    os.close(write_end)
    result = subprocess.run([*prefix, sys.executable, "-c", _SCAN_AS_NOBODY],
                            stdin=read_end, capture_output=True, timeout=HANG_TIMEOUT_S,
                            check=False)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["processes"] == []
    assert seen["hidden"] >= 1


def test_a_writer_in_packet_mode_marks_the_upstream_pipe(children):
    read_end, write_end = os.pipe2(os.O_DIRECT)
    try:
        writer_into(children, write_end, "sleep", "30")
        upstream = watch_end(read_end, "upstream")
        assert not upstream.packet_mode  # the read end does not carry the flag
        neighbours = scanned(upstream)
        assert upstream.packet_mode
        neighbours.close()
        upstream.close()
    finally:
        os.close(read_end)
        os.close(write_end)


def test_a_shell_that_replaces_itself_is_named_by_the_program_it_became(tmp_path):
    """`sh -c 'exec prog'` holds the pipe as sh first, then as prog, under one pid."""
    read_end, write_end = os.pipe()
    go = tmp_path / "go"
    os.mkfifo(go)
    # `read` is a shell builtin: until the go-ahead the shell has no child that could
    # hold the pipe too.
    shell = subprocess.Popen(["sh", "-c", f"read line < '{go}'; exec sleep 30"],
                             stdout=write_end)
    os.close(write_end)
    try:
        end = watch_end(read_end, "upstream")
        neighbours = Neighbours([end])
        neighbours.scan()
        side = neighbours.side(end)
        assert [p["command"].split()[0] for p in side.processes()] == ["sh"]
        with open(go, "w") as signal_go:
            signal_go.write("go\n")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            for _ in range(SLOW_READINGS_EVERY):
                neighbours.sample()
            if side.processes()[0]["command"] == "sleep 30":
                break
            time.sleep(0.02)
        assert side.processes() == [{"pid": shell.pid, "command": "sleep 30",
                                     "peak_rss": side.processes()[0]["peak_rss"]}]
        neighbours.close()
        end.close()
    finally:
        shell.kill()
        shell.wait()
        os.close(read_end)
