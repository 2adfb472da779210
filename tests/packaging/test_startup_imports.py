"""A relaunch opens the window fast: what the command line and the window import before the
window shows leaves out the slow modules that are only needed later (measured by
benchmarks/bench_launch.py; here only that they stay out)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

LATE = ("importlib.metadata", "psycopg", "phonenumbers", "openpyxl", "httpx", "xlsxwriter", "pyqtgraph", "numpy", "argon2")


def test_the_window_and_the_command_line_start_without_the_slow_modules() -> None:
    code = ("import json, sys; import kashop_desktop.cli.main, kashop_desktop.gui.app, kashop_desktop.services.demo; "
            f"print(json.dumps([m for m in {LATE!r} if m in sys.modules]))")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60, check=True)
    assert json.loads(out.stdout) == []


def test_the_version_is_still_there_when_asked_for() -> None:
    import kashop_desktop

    assert kashop_desktop.version() == kashop_desktop.__version__ and kashop_desktop.version().count(".") >= 2
    out = subprocess.run([sys.executable, "-m", "kashop_desktop", "--version"], capture_output=True, text=True,
                         timeout=60, check=True)
    assert out.stdout.strip() == f"kashop-desktop {kashop_desktop.version()}"
