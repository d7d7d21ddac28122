"""`make demo`: bpcopy's main job on samples it makes itself, with no arguments.

It runs the real command line in subprocesses, so what it shows is exactly what a user
of bpcopy sees: the tutorial's three examples, then a copy into a slow destination
with its summary, the pump explained in Node's words, and a pipeline whose reader is
slow. It knows nothing of bpcopy's
internals.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile

TUTORIAL_TEXT = b"0123456789abcdef" * 4  # 64 bytes, as in the tutorial's pump example


def run(title: str, command: str, workdir: str) -> None:
    print(f"\n\x1b[1m== {title}\x1b[0m" if sys.stdout.isatty() else f"\n== {title}")
    print(f"$ {command}", flush=True)
    bpcopy = shlex.quote(sys.executable) + " -m bpcopy"
    subprocess.run(command.replace("bpcopy ", bpcopy + " ", 1).replace("| bpcopy", "| " + bpcopy),
                   shell=True, cwd=workdir, check=False)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bpcopy-demo-") as workdir:
        with open(os.path.join(workdir, "input.txt"), "wb") as sample:
            sample.write(TUTORIAL_TEXT)
        with open(os.path.join(workdir, "sample.bin"), "wb") as sample:
            sample.write(os.urandom(1 << 20) * 16)
        print(f"bpcopy demo, in {workdir} (removed afterwards)")
        run("A read with highWaterMark 4: every chunk is 4 bytes",
            "bpcopy input.txt out.txt --read-hwm 4 --trace --trace-format jsonl -q "
            "--trace-file trace.jsonl && grep -c '\"event\":\"chunk\"' trace.jsonl "
            "&& head -n 3 trace.jsonl", workdir)
        run("write('Hello') into a writable with highWaterMark 4: false, 5 bytes, then drain",
            "printf Hello | bpcopy - hello.txt --write-hwm 4 --trace --trace-format jsonl -q",
            workdir)
        run("The tutorial's pump, marks 4 and 4: write() false, pause(), 'drain', resume()",
            "bpcopy input.txt copy.txt -H 4 --trace --trace-file trace.txt --json; "
            "head -n 9 trace.txt", workdir)
        run("The same pump, told in Node's words (--explain)",
            "bpcopy input.txt explained.txt -H 4 --explain -q", workdir)
        run("16 MiB into a destination limited to 64 MiB/s: sink-bound",
            "bpcopy sample.bin slow-copy.bin --sink-rate 64MiB/s --no-progress", workdir)
        run("A pipeline whose reader is slow: the kernel's pipe fills, and the verdict "
            "names the reader",
            "cat sample.bin | bpcopy - - --no-progress | "
            f"{shlex.quote(sys.executable)} -c \"import sys,time\n"
            "while sys.stdin.buffer.read(262144): time.sleep(0.004)\"", workdir)
        run("Without backpressure (--mode none), the writable's buffer grows",
            "bpcopy sample.bin none-copy.bin --mode none --sink-rate 64MiB/s --no-progress",
            workdir)


if __name__ == "__main__":
    main()
