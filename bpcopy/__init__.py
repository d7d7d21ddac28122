"""bpcopy: a file copier that makes backpressure visible.

The package root stays import-light: the command line imports only what a run needs.
"""

__version__ = "0.1.0"
