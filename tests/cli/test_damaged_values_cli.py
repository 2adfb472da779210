"""Values edited outside the desk that do not read: a clear message and an exit status, never exit 70."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kashop_desktop.services.desk import Desk

from .conftest import once, raw_sql

pytestmark = pytest.mark.usefixtures("store_kind")  # on both stores: the file and a PostgreSQL server (tests/conftest.py)


def _run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "kashop_desktop", *args, "--data-dir", str(data_dir)],
                          capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL)


def test_a_policy_that_does_not_parse(data_dir: Path) -> None:
    desk = Desk.open(data_dir)
    desk.set_policy(desk.policy().with_overrides({"cooling_off_minutes": 12}))
    desk.close()
    raw_sql(data_dir, "UPDATE setting SET value = '{broken' WHERE key = 'policy'")
    shown = _run(data_dir, "policy", "show")
    assert shown.returncode == 1, shown.stderr
    assert "the setting policy is damaged" in shown.stderr and "Traceback" not in shown.stderr
    checked = _run(data_dir, "check")
    assert checked.returncode == 1
    assert "the setting policy does not parse" in checked.stdout


@once("an operator's name refused as a bad value before anything is written")
def test_a_bad_operator_name_is_a_bad_value_exit_2(data_dir: Path) -> None:
    Desk.open(data_dir).close()
    for name in ("", "x" * 300, "系统"):
        proc = subprocess.run([sys.executable, "-m", "kashop_desktop", "operators", "add", name, "--role", "clerk",
                               "--data-dir", str(data_dir)], capture_output=True, text=True, timeout=120,
                              env={**os.environ, "PYTHONIOENCODING": "utf-8", "KASHOP_NEW_PASSWORD": "clerk-secret"},
                              stdin=subprocess.DEVNULL)
        assert proc.returncode == 2, (name[:10], proc.stderr)
        assert "operator's name" in proc.stderr and "Traceback" not in proc.stderr
