"""Entry script of the frozen app: the same ``kashop_desktop.cli:main`` as the console script.

A windowed Windows build has no console, so ``sys.stdout``/``sys.stderr`` are None there; they
are pointed at the null device so a ``print`` in the CLI cannot crash the window.
"""

from __future__ import annotations

import os
import sys

if sys.stdout is None or sys.stderr is None:  # windowed build (no console)
    _null = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    sys.stdout = sys.stdout or _null
    sys.stderr = sys.stderr or _null

from kashop_desktop.cli import main

if __name__ == "__main__":
    import multiprocessing

    # The window imports orders in a spawned child process (services/imports/process.py); in a
    # frozen build the child starts as this executable and must be routed there.
    multiprocessing.freeze_support()
    sys.exit(main())
