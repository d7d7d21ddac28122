"""The `bpcopy` command and `python -m bpcopy`: guard the signals, then run the command line.

The guard comes first, before the command line's imports (bpcopy.startup says why).
"""

from bpcopy.startup import guard_start_up


def main() -> None:
    guard_start_up()
    from bpcopy.cli import main as run_command_line

    run_command_line()


if __name__ == "__main__":
    main()
