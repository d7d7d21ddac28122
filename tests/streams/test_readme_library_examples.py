"""The README's library section runs as written and prints what it says it prints.

Each Python block of "## The streams as a library" runs in a fresh interpreter; the
paused-mode block's output is compared with the lines the README quotes after it.
"""

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def library_section():
    text = README.read_text()
    start = text.index("## The streams as a library")
    return text[start:text.index("\n## ", start + 1)]


def python_blocks():
    return re.findall(r"```python\n(.*?)```", library_section(), re.S)


def run(code):
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_every_library_example_runs():
    blocks = python_blocks()
    assert len(blocks) >= 2
    for block in blocks:
        run(block)


def test_the_paused_mode_example_prints_what_the_readme_quotes():
    section = library_section()
    block = next(b for b in python_blocks() if "aclosing" in b)
    quoted = re.search(r"```\n\nprints (.*?), one to a line", section, re.S).group(1)
    expected = [line.strip("`") for line in re.split(r",\s+(?:and\s+)?(?=`)|\s+and\s+(?=`)",
                                                    quoted.replace("\n", " "))]
    assert run(block).splitlines() == expected
