"""``--data-dir`` (or KASHOP_DATA_DIR) naming a file, not a folder: every command, the ones that
make a shop included, is refused with the store's exit status and a message naming the path,
never a traceback, an internal error or a log folder made inside a file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.sqlite_only(reason="the data folder of the file store")

COMMANDS = [("orders", "list"), ("orders", "import", "FILE"), ("restore", "FILE", "--yes"),
            ("demo", "--orders", "3", "--no-gui"), ("check",), ("backup",)]


def _run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kashop_desktop", *args], capture_output=True, text=True,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})}, timeout=120)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c))
def test_a_file_named_as_the_data_folder_is_refused_with_a_message(tmp_path: Path, command: tuple[str, ...]) -> None:
    file = tmp_path / "orders.csv"
    file.write_text("订单号,下单时间\n", encoding="utf-8")
    args = [str(file) if word == "FILE" else word for word in command]
    proc = _run([*args, "--data-dir", str(file)])
    assert proc.returncode == 5, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr and "内部错误" not in proc.stderr
    assert f"数据文件夹 {file} 是一个文件，不是文件夹" in proc.stderr and "is a file, not a folder" in proc.stderr
    assert file.read_text(encoding="utf-8") == "订单号,下单时间\n"  # untouched


def test_the_environment_variable_and_json_say_the_same(tmp_path: Path) -> None:
    file = tmp_path / "shop"
    file.write_bytes(b"")
    proc = _run(["orders", "list"], env={"KASHOP_DATA_DIR": str(file)})
    assert proc.returncode == 5 and "Traceback" not in proc.stderr and "不是文件夹" in proc.stderr
    proc = _run(["orders", "list", "--json", "--data-dir", str(file)])
    error = json.loads(proc.stdout)["error"]
    assert proc.returncode == 5 and error["exit"] == 5 and error["code"] == "store_missing"
    assert "is a file, not a folder" in error["en"]
