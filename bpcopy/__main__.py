"""`python -m bpcopy` runs the command line."""

from bpcopy.cli import main

if __name__ == "__main__":
    main()
