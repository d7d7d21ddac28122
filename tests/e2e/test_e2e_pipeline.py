"""bpcopy in the middle of real pipelines: the kernel buffers at each end, the programs
there by name and pid, the verdict that names the culprit, --pipe-size and the CI guards
on the neighbours' memory.

The test process starts every program itself, so bpcopy's neighbours are its siblings:
the children of its parent, where bpcopy looks first.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from e2e_helpers import BPCOPY, HANG_TIMEOUT_S, jsonl_records, kill_quietly, summary_of

NODE = shutil.which("node")
NODE_PRODUCERS = Path(__file__).parent / "node_producers"
F_GETPIPE_SZ = getattr(fcntl, "F_GETPIPE_SZ", 1032)
CONTRACT_KEYS = {"kind", "capacity", "max_queued", "full_fraction", "empty_fraction",
                 "processes"}

# Writes COUNT blocks of 4 KiB, one every PAUSE seconds, then exits: a slow source.
SLOW_WRITER = ("import os, sys, time\n"
               "count, pause = int(sys.argv[1]), float(sys.argv[2])\n"
               "for _ in range(count):\n"
               "    os.write(1, b'w' * 4096)\n"
               "    time.sleep(pause)\n")
# Reads 4 KiB every PAUSE seconds until end of file: a slow sink.
SLOW_READER = ("import os, sys, time\n"
               "pause = float(sys.argv[1])\n"
               "while os.read(0, 4096):\n"
               "    time.sleep(pause)\n")


def python(*args: str) -> list[str]:
    return [sys.executable, "-c", *args]


def run_pipeline(producer: list[str] | None, options: list[str],
                 consumer: list[str] | None, *, source: str = "-", dest: str = "-",
                 stdin=subprocess.DEVNULL) -> tuple[subprocess.CompletedProcess[bytes],
                                                    list[subprocess.Popen[bytes]]]:
    """producer | bpcopy SOURCE DEST OPTIONS | consumer, as a shell would start it."""
    started: list[subprocess.Popen[bytes]] = []
    try:
        if producer is not None:
            started.append(subprocess.Popen(producer, stdout=subprocess.PIPE))
            stdin = started[-1].stdout
        stdout = subprocess.DEVNULL
        if consumer is not None:
            started.append(subprocess.Popen(consumer, stdin=subprocess.PIPE))
            stdout = started[-1].stdin
        copier = subprocess.Popen([*BPCOPY, source, dest, *options], stdin=stdin,
                                  stdout=stdout, stderr=subprocess.PIPE)
        for child in started:  # only the two ends and bpcopy hold the pipes now
            for end in (child.stdout, child.stdin):
                if end is not None:
                    end.close()
        _, err = copier.communicate(timeout=HANG_TIMEOUT_S)
        for child in started:
            child.wait(HANG_TIMEOUT_S)
        return subprocess.CompletedProcess(copier.args, copier.returncode, b"", err), started
    finally:
        for child in started:
            kill_quietly(child)


def test_a_slow_consumer_is_named_in_a_sink_bound_verdict():
    result, (producer, consumer) = run_pipeline(
        ["head", "-c", "2M", "/dev/zero"], ["--json"], python(SLOW_READER, "0.002"))
    assert result.returncode == 0, result.stderr
    summary = summary_of(result)
    downstream, upstream = summary["downstream"], summary["upstream"]
    assert set(downstream) == set(upstream) == CONTRACT_KEYS
    assert downstream["kind"] == upstream["kind"] == "pipe"
    assert [p["pid"] for p in downstream["processes"]] == [consumer.pid]
    assert [p["pid"] for p in upstream["processes"]] == [producer.pid]
    assert upstream["processes"][0]["command"] == "head -c 2M /dev/zero"
    assert downstream["full_fraction"] > 0.5
    assert summary["verdict"].startswith(f"sink-bound: {sys.executable} -c ")
    assert f"(pid {consumer.pid}) reads slowly: the pipe to it was full " in summary["verdict"]
    for side in (upstream, downstream):
        assert 0.0 <= side["empty_fraction"] <= 1.0
        assert 0 <= side["max_queued"] <= side["capacity"]
        assert all(p["peak_rss"] > 0 for p in side["processes"])


def test_a_slow_producer_is_named_in_a_source_bound_verdict():
    result, (producer, _) = run_pipeline(python(SLOW_WRITER, "300", "0.002"), ["--json"],
                                         ["cat"])
    assert result.returncode == 0, result.stderr
    summary = summary_of(result)
    assert summary["bytes"] == 300 * 4096
    assert summary["upstream"]["empty_fraction"] > 0.5
    assert summary["verdict"].startswith("source-bound: ")
    assert (f"(pid {producer.pid}) writes slowly: the pipe from it was empty "
            in summary["verdict"])


def test_a_producers_odd_name_stays_visible_in_the_verdict_and_the_guard():
    # A producer whose argv[0] holds a leading dash, a newline, an escape sequence and a
    # byte that is not UTF-8. The verdict and the guard's line are read by people, on
    # terminals: each control character is written as cp writes it, $'...', never raw
    # (the ESC would reach the terminal) and never flattened (a newline shown as a space
    # reads as two words). The JSON `command` keeps the contract's form.
    odd_name = "-a\nb\x1b[2J" + os.fsdecode(b"\xff")
    result, (producer, _) = run_pipeline(
        ["bash", "-c", 'exec -a "$0" "$1" -c "$2" 300 0.002', odd_name, sys.executable,
         SLOW_WRITER],
        ["--json", "--assert-upstream-max-rss", "1"], ["cat"])
    assert result.returncode == 3, result.stderr
    summary = summary_of(result)
    command = summary["upstream"]["processes"][0]["command"]
    assert command.startswith("'-a\nb\x1b[2J\\xff' -c 'import os")  # the contract
    verdict, (guard,) = summary["verdict"], summary["guards"]
    assert verdict.startswith("source-bound: ") and f"(pid {producer.pid})" in verdict
    assert f"(pid {producer.pid})" in guard
    shown = "'-a'$'\\n''b'$'\\033''[2J\\xff' -c 'import os, sys, time'$'\\n'"
    for line in (verdict, guard):
        assert "\n" not in line and "\x1b" not in line, line
        assert shown in line, line


def test_capacity_is_the_pipes_size_and_pipe_size_reports_the_kernels_rounding():
    result, _ = run_pipeline(["head", "-c", "1M", "/dev/zero"],
                             ["--json", "--pipe-size", "70000"], ["cat"])
    assert result.returncode == 0, result.stderr
    summary = summary_of(result)
    assert summary["bytes"] == 1 << 20
    # The kernel rounds 70000 up to a power-of-two number of pages.
    assert summary["upstream"]["capacity"] == summary["downstream"]["capacity"] == 131072


def test_default_capacity_agrees_with_f_getpipe_sz():
    read_end, write_end = os.pipe()
    expected = fcntl.fcntl(write_end, F_GETPIPE_SZ)
    os.close(read_end)
    os.close(write_end)
    result, _ = run_pipeline(["head", "-c", "64K", "/dev/zero"], ["--json"], ["cat"])
    assert summary_of(result)["upstream"]["capacity"] == expected


def test_pipe_size_past_the_limit_is_refused_in_one_line_exit_1():
    with open("/proc/sys/fs/pipe-max-size") as limit_file:
        limit = int(limit_file.read())
    result, _ = run_pipeline(["head", "-c", "64K", "/dev/zero"],
                             ["--pipe-size", str(limit * 2)], ["cat"])
    if result.returncode == 0:
        pytest.skip("bpcopy runs with CAP_SYS_RESOURCE here: no limit to hit")
    assert result.returncode == 1
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1 and "pipe-max-size" in lines[0], lines
    assert "Traceback" not in result.stderr.decode()


def test_pipe_size_of_4_gib_is_refused_in_one_line_not_given_a_single_page():
    # 4 GiB does not fit fcntl's C unsigned int: unchecked, it reached the kernel as 0,
    # which the kernel rounds up to one page, and the copy ran through a 4 KiB pipe.
    result, _ = run_pipeline(["head", "-c", "64K", "/dev/zero"],
                             ["--json", "--pipe-size", "4GiB"], ["cat"])
    assert result.returncode == 1
    summary = summary_of(result)
    assert summary["ok"] is False and summary["bytes"] == 0
    assert str(4 << 30) in summary["error"] and "largest" in summary["error"]


def test_pipe_size_without_a_pipe_at_either_end_is_a_usage_error(tmp_path):
    source = tmp_path / "src"
    source.write_bytes(b"x" * 100)
    result = subprocess.run([*BPCOPY, source, tmp_path / "dst", "--pipe-size", "1MiB"],
                            capture_output=True, timeout=HANG_TIMEOUT_S, check=False)
    assert result.returncode == 2
    assert b"--pipe-size" in result.stderr
    assert not (tmp_path / "dst").exists()


def test_files_and_devices_have_no_upstream_or_downstream(tmp_path):
    source = tmp_path / "src"
    source.write_bytes(b"x" * 1000)
    result = subprocess.run([*BPCOPY, source, os.devnull, "--json"], capture_output=True,
                            timeout=HANG_TIMEOUT_S, check=False)
    summary = summary_of(result)
    assert summary["upstream"] is None and summary["downstream"] is None


def test_a_named_fifo_is_a_fifo_and_its_writer_is_named(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    writer = subprocess.Popen(["sh", "-c", f"head -c 256K /dev/zero > '{fifo}'"])
    try:
        # A quarter of a second of copying: the shell opens the FIFO and only then
        # becomes head, and the later looks must see that.
        result = subprocess.run([*BPCOPY, fifo, os.devnull, "--json", "--sink-rate", "1MiB/s"],
                                capture_output=True,
                                timeout=HANG_TIMEOUT_S, check=False)
    finally:
        writer.wait(HANG_TIMEOUT_S)
    summary = summary_of(result)
    assert summary["upstream"]["kind"] == "fifo"
    assert summary["downstream"] is None
    commands = [p["command"] for p in summary["upstream"]["processes"]]
    assert "head -c 256K /dev/zero" in commands


def test_a_socket_on_stdin_has_no_full_fraction_and_no_processes():
    ours, theirs = socket.socketpair()
    with ours, theirs:
        copier = subprocess.Popen([*BPCOPY, "-", os.devnull, "--json"], stdin=ours,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        theirs.sendall(b"s" * 100_000)
        theirs.shutdown(socket.SHUT_WR)
        _, err = copier.communicate(timeout=HANG_TIMEOUT_S)
    summary = summary_of(err)
    assert summary["bytes"] == 100_000
    upstream = summary["upstream"]
    assert upstream["kind"] == "socket"
    assert upstream["full_fraction"] is None
    assert upstream["capacity"] > 0
    assert upstream["processes"] == []


def test_a_producer_that_exits_early_keeps_its_peak_and_the_copy_completes():
    # head is done in a moment; bpcopy's simulated sink takes far longer to drain.
    result, (producer, _) = run_pipeline(["head", "-c", "512K", "/dev/zero"],
                                         ["--json", "--sink-rate", "4MiB/s"], ["cat"])
    assert result.returncode == 0, result.stderr
    summary = summary_of(result)
    assert summary["bytes"] == 512 * 1024
    (process,) = summary["upstream"]["processes"]
    assert process["pid"] == producer.pid and process["peak_rss"] > 0


def test_the_upstream_guard_fails_with_exit_3_naming_the_process(tmp_path):
    hog = ("import os, time\n"
           "block = bytearray(96 << 20)\n"  # 96 MiB, touched, then written
           "os.write(1, bytes(block[:65536]))\n"
           "time.sleep(1)\n")
    dst = tmp_path / "dst"
    result, (producer,) = run_pipeline(python(hog), ["--assert-upstream-max-rss", "32MiB"],
                                       None, dest=str(dst))
    assert result.returncode == 3, result.stderr
    assert dst.stat().st_size == 65536  # the copy itself completed
    message = result.stderr.decode()
    assert f"(pid {producer.pid}) peaked at " in message
    assert f"above --assert-upstream-max-rss 32.0 MiB ({32 << 20} bytes)" in message


def test_a_guard_on_an_end_that_is_not_a_pipe_cannot_pass(tmp_path):
    source = tmp_path / "src"
    source.write_bytes(b"x" * 1000)
    result = subprocess.run([*BPCOPY, source, tmp_path / "dst",
                             "--assert-downstream-max-rss", "1GiB"],
                            capture_output=True, timeout=HANG_TIMEOUT_S, check=False)
    assert result.returncode == 3
    assert b"--assert-downstream-max-rss cannot be checked" in result.stderr
    assert (tmp_path / "dst").read_bytes() == b"x" * 1000


def test_a_guard_on_a_producer_gone_before_bpcopy_looked_fails_and_says_so():
    # `true | bpcopy ...`: the writer has exited before bpcopy starts, so nobody holds the
    # pipe's other end; the guard cannot look, and must not pass for it.
    producer = subprocess.Popen(["true"], stdout=subprocess.PIPE)
    producer.wait(HANG_TIMEOUT_S)
    try:
        result = subprocess.run([*BPCOPY, "-", os.devnull, "--json",
                                 "--assert-upstream-max-rss", "1GiB"],
                                stdin=producer.stdout, capture_output=True,
                                timeout=HANG_TIMEOUT_S, check=False)
    finally:
        producer.stdout.close()
    assert result.returncode == 3
    summary = summary_of(result)
    assert summary["ok"] is True and summary["upstream"]["processes"] == []
    (failure,) = summary["guards"]
    assert "cannot be checked" in failure and "exited before bpcopy looked" in failure


def test_a_guard_that_ran_out_of_descriptors_while_looking_fails_rather_than_passes():
    # Eighty processes hold the pipe into bpcopy, which may open only 64 descriptors:
    # it cannot look at every one of them. A guard that passed on the ones it saw
    # would pass by not looking at the rest.
    import resource

    def few_descriptors() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

    producer = subprocess.Popen(
        ["bash", "-c", "for _ in $(seq 80); do sleep 2 & done; head -c 64K /dev/zero"],
        stdout=subprocess.PIPE)
    try:
        result = subprocess.run([*BPCOPY, "-", os.devnull, "--json",
                                 "--assert-upstream-max-rss", "1GiB"],
                                stdin=producer.stdout, capture_output=True,
                                preexec_fn=few_descriptors, timeout=HANG_TIMEOUT_S,
                                check=False)
    finally:
        producer.stdout.close()
        producer.wait(HANG_TIMEOUT_S)
    assert result.returncode == 3, result.stderr
    summary = summary_of(result)
    assert summary["ok"] is True and summary["bytes"] == 65536
    (failure,) = summary["guards"]
    assert "cannot be checked" in failure and "descriptors" in failure, failure


@pytest.mark.parametrize("limit", range(9, 15))
def test_too_few_descriptors_for_the_pipeline_watch_is_one_line_and_no_leftover(tmp_path,
                                                                               limit):
    # Just enough descriptors to open the ends and the loop, not enough to watch the
    # pipeline: one line and status 1, or, with a few more, a complete copy; never a
    # traceback, and never a temporary file left beside DST.
    import resource

    def few_descriptors() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

    dst = tmp_path / "dst"
    dst.write_bytes(b"kept")
    producer = subprocess.Popen(["head", "-c", "256K", "/dev/zero"], stdout=subprocess.PIPE)
    try:
        result = subprocess.run([*BPCOPY, "-", dst, "-q"], stdin=producer.stdout,
                                capture_output=True, preexec_fn=few_descriptors,
                                timeout=HANG_TIMEOUT_S, check=False)
    finally:
        producer.stdout.close()
        kill_quietly(producer)
    message = result.stderr.decode()
    assert "Traceback" not in message
    assert sorted(os.listdir(tmp_path)) == ["dst"]
    if result.returncode == 0:
        assert dst.read_bytes() == bytes(256 << 10)
    else:
        assert result.returncode == 1
        assert len(message.splitlines()) == 1 and "Too many open files" in message, message
        assert dst.read_bytes() == b"kept"


def test_a_guard_fails_when_another_users_program_beside_bpcopy_may_hold_the_pipe(nobody):
    # bpcopy runs as nobody. Two programs write into its stdin: a nobody's `sleep` that
    # it can see, and root's writer, whose descriptors nobody may not read. A guard that
    # passed on the sleep alone would pass without looking at the program that matters.
    read_end, write_end = os.pipe()
    try:
        writer = subprocess.Popen(python("import os, time\n"
                                         "os.write(1, b'r' * 1000)\n"
                                         "time.sleep(1)\n"), stdout=write_end)
        seen = subprocess.Popen([*nobody, "sleep", "2"], stdout=write_end)
        os.close(write_end)
        result = subprocess.run([*nobody, *BPCOPY, "-", os.devnull, "--json",
                                 "--assert-upstream-max-rss", "1GiB"],
                                stdin=read_end, capture_output=True,
                                timeout=HANG_TIMEOUT_S, check=False)
    finally:
        os.close(read_end)
    for child in (writer, seen):
        child.wait(HANG_TIMEOUT_S)
    summary = summary_of(result)
    assert summary["bytes"] == 1000
    assert [p["pid"] for p in summary["upstream"]["processes"]] == [seen.pid]
    assert result.returncode == 3
    (failure,) = summary["guards"]
    assert "may have gone unseen" in failure and "another user" in failure, failure


def _hidepid_prefix() -> list[str] | None:
    """A command prefix that runs its command in a mount namespace of its own where /proc
    is mounted with hidepid=2, or None where this machine cannot make one."""
    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("setpriv"):
        return None
    probe = subprocess.run(["unshare", "-m", "sh", "-c",
                            "mount -t proc -o hidepid=2 proc /proc"],
                           capture_output=True, timeout=HANG_TIMEOUT_S, check=False)
    return None if probe.returncode else ["unshare", "-m", "sh", "-c",
                                          'mount -t proc -o hidepid=2 proc /proc && exec "$@"',
                                          "sh"]


def test_under_hidepid_the_guards_fail_and_the_fractions_are_still_measured():
    # bpcopy as user nobody, behind /proc mounted with hidepid=2: it can see no other
    # process at all. The kernel's buffers are still read (they are our own descriptors),
    # and the guards fail rather than pass unseen.
    hidepid = _hidepid_prefix()
    if hidepid is None:
        pytest.skip("cannot mount /proc with hidepid in a mount namespace here")
    nobody = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    result = subprocess.run(
        [*hidepid, "bash", "-c",
         'head -c 2M /dev/zero | "$@" | cat > /dev/null; exit "${PIPESTATUS[1]}"', "bash",
         *nobody, *BPCOPY, "-", "-", "--json", "--assert-upstream-max-rss", "1GiB",
         "--assert-downstream-max-rss", "1GiB"],
        capture_output=True, timeout=HANG_TIMEOUT_S, check=False)
    assert result.returncode == 3, result.stderr
    summary = summary_of(result)
    assert summary["ok"] is True and summary["bytes"] == 2 << 20
    for role in ("upstream", "downstream"):
        assert summary[role]["kind"] == "pipe" and summary[role]["processes"] == []
        assert 0.0 <= summary[role]["empty_fraction"] <= 1.0
    assert len(summary["guards"]) == 2
    assert all("cannot be checked" in line for line in summary["guards"])


def test_jsonl_trace_has_kernel_records_and_chunk_records_keep_twelve_fields(tmp_path):
    trace = tmp_path / "trace.jsonl"
    result, _ = run_pipeline(["head", "-c", "4M", "/dev/zero"],
                             ["-q", "--trace-format", "jsonl", "--trace-file", str(trace)],
                             python(SLOW_READER, "0.001"))
    assert result.returncode == 0, result.stderr
    records = jsonl_records(trace.read_text())
    kernel = [r for r in records if r["event"] == "kernel"]
    chunks = [r for r in records if r["event"] == "chunk"]
    assert len(kernel) >= 2
    assert all(set(r) == {"event", "t", "upstream_queued", "downstream_queued"}
               for r in kernel)
    assert all(isinstance(r["upstream_queued"], int) for r in kernel)
    assert all(len(r) == 12 for r in chunks)
    times = [r["t"] for r in kernel]
    assert times == sorted(times)


@pytest.mark.node
@pytest.mark.slow
@pytest.mark.skipif(NODE is None, reason="node is not on PATH")
@pytest.mark.parametrize(("producer", "status"), [("ignores_backpressure.js", 3),
                                                  ("honours_backpressure.js", 0)])
def test_a_node_producer_that_ignores_backpressure_fails_the_guard(producer, status):
    # 96 MiB drained at 25 MiB/s: the first producer buffers nearly all of it in its own
    # memory (some 140 MiB at its peak), the second stays near Node's baseline (~80 MiB).
    result, (node,) = run_pipeline(
        [NODE, str(NODE_PRODUCERS / producer), str(96 << 20)],
        ["--sink-rate", "25MiB/s", "--assert-upstream-max-rss", "112MiB", "-q"], None,
        dest=os.devnull)
    assert result.returncode == status, result.stderr
    if status == 3:
        assert f"(pid {node.pid}) peaked at " in result.stderr.decode()
    else:
        assert result.stderr == b""


def test_a_copy_between_files_imports_neither_psutil_nor_the_sampler(tmp_path):
    source = tmp_path / "src"
    source.write_bytes(b"x" * 1000)
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "bpcopy", source,
                             tmp_path / "dst", "--json"], capture_output=True,
                            timeout=HANG_TIMEOUT_S, check=False)
    assert result.returncode == 0, result.stderr
    imported = {line.split("|")[-1].strip() for line in result.stderr.decode().splitlines()
                if line.startswith("import time:")}
    assert "bpcopy.cli" in imported  # the list is real
    assert "psutil" not in imported
    assert "bpcopy.diagnostics.sampler" not in imported
    assert "bpcopy.diagnostics.neighbours" not in imported


def test_pipe_size_below_what_is_queued_is_refused_in_one_line_exit_1():
    read_end, write_end = os.pipe()
    os.write(write_end, b"q" * 8192)  # queued before bpcopy starts
    try:
        result = subprocess.run([*BPCOPY, "-", os.devnull, "--pipe-size", "4096"],
                                stdin=read_end, capture_output=True,
                                timeout=HANG_TIMEOUT_S, check=False)
    finally:
        os.close(read_end)
        os.close(write_end)
    assert result.returncode == 1
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1, lines
    assert "stdin" in lines[0] and "8192 bytes" in lines[0] and "shrink" in lines[0]
