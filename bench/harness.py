"""What bench.py and soak.py share: making input, running a child and measuring it, checking.

This module knows how to time a child process and read its peak RSS from the kernel, and how
to describe the machine. It must not know which commands are compared or what the targets
are: those belong to the scripts that use it.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
OUT_DIR = BENCH_DIR / "out"
MIB = 1024 * 1024


@dataclass
class ChildRun:
    """One finished child process: how long it took, how much memory it held, how it ended."""

    wall_s: float
    peak_rss_bytes: int
    exit_code: int
    stderr_tail: str


def find_bpcopy(explicit: str | None) -> str | None:
    """Return the bpcopy executable to measure: the one given, the venv's, or the one on PATH."""
    if explicit:
        found = shutil.which(explicit)
        return str(Path(found).resolve()) if found else None
    # The venv's script sits next to the interpreter running the bench (make bench uses it).
    beside_interpreter = Path(sys.executable).parent / "bpcopy"
    if beside_interpreter.exists():
        return str(beside_interpreter)
    return shutil.which("bpcopy")


def missing_bpcopy_message(explicit: str | None) -> str:
    if explicit:
        return f"--bpcopy {explicit!r} is not an executable"
    return (
        "no bpcopy executable found: run `make install` once bpcopy/cli.py exists, "
        "or pass --bpcopy PATH"
    )


def make_input(path: Path, size: int) -> None:
    """Write ``size`` bytes of random-looking data to ``path``, quickly.

    One MiB of os.urandom is repeated with a per-MiB counter stamped in front, so every MiB
    differs (a reordered or repeated chunk changes the sha256) without paying for gigabytes
    of randomness.
    """
    block = bytearray(os.urandom(MIB))
    with open(path, "wb") as output:
        written = 0
        block_number = 0
        while written < size:
            block[:8] = block_number.to_bytes(8, "little")
            piece = min(MIB, size - written)
            output.write(memoryview(block)[:piece])
            written += piece
            block_number += 1


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    buffer = bytearray(MIB)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as source:
        while True:
            count = source.readinto(buffer)
            if not count:
                break
            digest.update(view[:count])
    return digest.hexdigest()


class MeasuredChild:
    """A command started so that the kernel's peak RSS for it is its own.

    A child forked from this harness and exec'd inherits the harness's RSS high-water mark
    (Linux keeps the pre-exec maximum in ru_maxrss), so a direct Popen would report ~20 MiB
    even for cat. Instead a small ``sh`` forks the command in the background and exits; the
    harness, being a child subreaper, inherits the command and reaps it itself with os.wait4,
    getting the command's own rusage. The extra sh costs about a millisecond of wall time.
    """

    def __init__(self, argv: list[str], stdout: int, stderr: int) -> None:
        become_child_subreaper()
        pid_reader, pid_writer = os.pipe()
        # The command must not hold the pid pipe open, or reading the pid would wait for it.
        launcher = f'"$@" {pid_writer}>&- & echo $! >&{pid_writer}'
        self.started = time.perf_counter()
        self.ended: float | None = None
        try:
            shell = subprocess.Popen(
                ["sh", "-c", launcher, "sh", *argv],
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                pass_fds=(pid_writer,),
            )
        finally:
            os.close(pid_writer)
        with os.fdopen(pid_reader, "rb") as pid_pipe:
            pid_text = pid_pipe.read()
        shell.wait()
        if shell.returncode != 0 or not pid_text.strip():
            raise RuntimeError(f"could not start {argv!r} (sh exited with {shell.returncode})")
        self.pid = int(pid_text)

    def poll(self) -> tuple[int, int] | None:
        """Return (exit code, peak RSS in bytes) once the command has ended, else None."""
        return self._reap(os.WNOHANG)

    def wait(self) -> tuple[int, int]:
        result = self._reap(0)
        assert result is not None
        return result

    def stop(self) -> None:
        """End the command early (e.g. on Ctrl-C, which a background command ignores)."""
        try:
            os.kill(self.pid, signal.SIGTERM)
            os.wait4(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        self.ended = time.perf_counter()

    def _reap(self, options: int) -> tuple[int, int] | None:
        pid, status, usage = os.wait4(self.pid, options)
        if pid == 0:
            return None
        self.ended = time.perf_counter()
        # Linux reports ru_maxrss in KiB.
        return os.waitstatus_to_exitcode(status), usage.ru_maxrss * 1024

    @property
    def wall_s(self) -> float:
        """Seconds from start to end, or to now while the command still runs."""
        end = self.ended if self.ended is not None else time.perf_counter()
        return end - self.started


_PR_SET_CHILD_SUBREAPER = 36
_is_subreaper = False


def become_child_subreaper() -> None:
    """Adopt orphaned descendants, so that a command whose parent sh exited can be reaped here."""
    global _is_subreaper
    if _is_subreaper:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"prctl(PR_SET_CHILD_SUBREAPER): {os.strerror(error)}")
    _is_subreaper = True


def run_child(argv: list[str], stderr_path: Path) -> ChildRun:
    """Run ``argv`` to completion; return its wall time and the kernel's peak RSS for it."""
    with open(stderr_path, "wb") as stderr_file:
        child = MeasuredChild(argv, stdout=subprocess.DEVNULL, stderr=stderr_file.fileno())
        try:
            exit_code, peak_rss_bytes = child.wait()
        except BaseException:
            child.stop()
            raise
    return ChildRun(
        wall_s=child.wall_s,
        peak_rss_bytes=peak_rss_bytes,
        exit_code=exit_code,
        stderr_tail=tail_of(stderr_path),
    )


@dataclass
class PipelineRun:
    """One run of `cat SRC | MIDDLE | cat > SINK`: wall time, and the middle's own CPU."""

    wall_s: float
    middle_user_s: float
    middle_sys_s: float
    exit_codes: tuple[int, int, int]
    stderr_tail: str

    @property
    def middle_cpu_s(self) -> float:
        return self.middle_user_s + self.middle_sys_s


def run_pipeline(source: Path, middle: list[str], sink: Path, stderr_path: Path) -> PipelineRun:
    """Run `cat SOURCE | MIDDLE | cat > SINK` and return the middle's CPU time (user, sys).

    The middle is this process's own child, so os.wait4 hands over the kernel's rusage for
    it alone (the cats at either end are reaped separately). With three busy processes on
    a small machine the wall time swings with scheduling; the middle's CPU time is what it
    costs the rest of the pipeline.
    """
    started = time.perf_counter()
    with open(stderr_path, "wb") as stderr_file, open(sink, "wb") as sink_file:
        producer = subprocess.Popen(["cat", str(source)], stdout=subprocess.PIPE)
        try:
            middle_process = subprocess.Popen(middle, stdin=producer.stdout,
                                              stdout=subprocess.PIPE, stderr=stderr_file)
        except BaseException:
            producer.kill()
            producer.wait()
            raise
        finally:
            assert producer.stdout is not None
            producer.stdout.close()  # the middle holds the pipe's read end now
        consumer = subprocess.Popen(["cat"], stdin=middle_process.stdout, stdout=sink_file)
        assert middle_process.stdout is not None
        middle_process.stdout.close()
        _, status, usage = os.wait4(middle_process.pid, 0)
        middle_process.returncode = os.waitstatus_to_exitcode(status)
        producer.wait()
        consumer.wait()
    return PipelineRun(
        wall_s=time.perf_counter() - started,
        middle_user_s=usage.ru_utime,
        middle_sys_s=usage.ru_stime,
        exit_codes=(producer.returncode, middle_process.returncode, consumer.returncode),
        stderr_tail=tail_of(stderr_path),
    )


def tail_of(path: Path, limit: int = 2000) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return ""
    return data[-limit:].decode("utf-8", errors="replace")


def remove_if_present(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def machine_description(workdir: Path) -> dict[str, str]:
    """The facts a reader needs to compare numbers across machines."""
    description = {
        "cpu": _cpu_model(),
        "cores": str(os.cpu_count()),
        "memory": _total_memory(),
        "kernel": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "node": _node_version() or "not installed",
        "workdir_filesystem": _filesystem_of(workdir),
        "cat": _how_cat_copies(workdir),
    }
    return description


def _how_cat_copies(workdir: Path) -> str:
    """cat's version and the system call it copies a file with (seen through strace).

    coreutils 9 copies a file to a file with copy_file_range, inside the kernel, in a few
    large calls; older cats read and write through a buffer. The ratios to cat mean
    different things in the two cases, so the report says which one ran.
    """
    try:
        version = subprocess.run(["cat", "--version"], capture_output=True, text=True,
                                 timeout=10).stdout.splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        version = "cat"
    strace = shutil.which("strace")
    if strace is None:
        return f"{version} (install strace to see how it copies)"
    probe_source, probe_destination = workdir / "cat-probe-src", workdir / "cat-probe-dst"
    log = workdir / "cat-probe.strace"
    probe_source.write_bytes(b"\0" * (1024 * 1024))
    try:
        with open(probe_destination, "wb") as destination:
            subprocess.run([strace, "-f", "-o", str(log), "-e",
                            "trace=copy_file_range,read,write,splice,sendfile", "cat",
                            str(probe_source)], stdout=destination, check=True, timeout=30)
        calls = log.read_text()
    except (OSError, subprocess.SubprocessError):
        return f"{version} (strace could not run it)"
    finally:
        for path in (probe_source, probe_destination):
            path.unlink(missing_ok=True)
        log.unlink(missing_ok=True)
    for call, meaning in (("copy_file_range(", "copy_file_range, in the kernel"),
                          ("sendfile(", "sendfile, in the kernel"),
                          ("splice(", "splice, in the kernel")):
        if call in calls:
            return f"{version}, copies with {meaning}"
    return f"{version}, copies with read/write through a buffer"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _total_memory() -> str:
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    kib = int(line.split()[1])
                    return f"{kib / MIB:.1f} GiB"
    except (OSError, ValueError):
        pass
    return "unknown"


def _node_version() -> str | None:
    node = shutil.which("node")
    if node is None:
        return None
    try:
        result = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() or None


def _filesystem_of(path: Path) -> str:
    """The mount's filesystem type: page-cache ext4 and tmpfs give different copy speeds."""
    resolved = str(path.resolve())
    best_mount, best_type = "", "unknown"
    try:
        with open("/proc/mounts") as mounts:
            for line in mounts:
                fields = line.split()
                if len(fields) < 3:
                    continue
                mount_point, fs_type = fields[1], fields[2]
                inside = resolved == mount_point or resolved.startswith(
                    mount_point.rstrip("/") + "/"
                )
                if inside and len(mount_point) > len(best_mount):
                    best_mount, best_type = mount_point, fs_type
    except OSError:
        pass
    return best_type


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def run_in_scratch_folder(tool: str, arguments: Any,
                          body: Callable[[Any, str, Path], int]) -> int:
    """Find bpcopy, make a scratch folder, run `body(arguments, bpcopy, folder)`, and
    remove the folder afterwards unless --keep-workdir asked to keep it."""
    bpcopy = find_bpcopy(arguments.bpcopy)
    if bpcopy is None:
        print(f"{tool}: {missing_bpcopy_message(arguments.bpcopy)}", file=sys.stderr)
        return 1
    workdir = Path(tempfile.mkdtemp(prefix=f"bpcopy-{tool}-", dir=arguments.workdir))
    try:
        return body(arguments, bpcopy, workdir)
    finally:
        if arguments.keep_workdir:
            print(f"{tool}: kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
