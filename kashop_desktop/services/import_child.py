"""Where the window's import child process starts (``services.imports.process``).

The child lowers its own scheduling priority before it imports anything heavy: importing the
desk's modules takes it a second of CPU, and on a busy machine that second should not come
out of the window's. This module is kept light for that reason (the package it lives in
imports nothing at start).
"""

from __future__ import annotations

import os
from typing import Any

#: How much lower the child's scheduling priority is than the window's (POSIX ``nice``): when
#: every core is busy the window's few milliseconds of work come before the import's.
CHILD_NICE = 5


def run_child(data_dir: str, path: str, options: dict[str, Any], cancel: Any, conn: Any) -> None:
    """The child process's target: lower the priority, then run the import (``child_body``)."""
    if hasattr(os, "nice"):  # POSIX; on an idle machine both still run at full speed
        os.nice(CHILD_NICE)
    from .imports.process import child_body

    child_body(data_dir, path, options, cancel, conn)
