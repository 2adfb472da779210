"""``orders import`` exit statuses as a script sees them: 0 all, 3 some rows refused, 1 nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.services.imports.files import HEADER_ZH, paid_row, write_csv


def run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "kashop_desktop", "orders", "import", *args, "--data-dir",
                           str(data_dir)], capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return {
        "good": write_csv(tmp_path / "good.csv", [HEADER_ZH, paid_row(1), paid_row(2), ",,,,,,,,,"]),
        "mixed": write_csv(tmp_path / "mixed.csv", [HEADER_ZH, paid_row(3), paid_row(4).replace(",6.00,", ',"12,34",')]),
        "bad": write_csv(tmp_path / "bad.csv", [HEADER_ZH, paid_row("2.02611E+17")]),
        "big5": tmp_path / "big5.csv",
    }


def test_exit_statuses_tell_all_partial_and_nothing_apart(data_dir: Path, files: dict[str, Path]) -> None:
    assert run(data_dir, str(files["good"])).returncode == 0
    partial = run(data_dir, str(files["mixed"]), "--json")
    assert partial.returncode == 3
    report = json.loads(partial.stdout)
    assert (report["outcome"], report["inserted"], report["refused"]) == ("partial", 1, 1)
    assert report["problems"][0]["row"] == 3 and report["problems"][0]["column"] == "paid_amount"
    nothing = run(data_dir, str(files["bad"]))
    assert nothing.returncode == 1 and "文本" in nothing.stderr and "Text" in nothing.stderr


def test_all_or_nothing_refuses_the_whole_file(data_dir: Path, files: dict[str, Path]) -> None:
    proc = run(data_dir, str(files["mixed"]), "--all-or-nothing", "--json")
    assert proc.returncode == 1 and json.loads(proc.stdout)["rolled_back"] is True
    assert json.loads(run(data_dir, str(files["good"]), "--json").stdout)["inserted"] == 2  # KS3 was not written


def test_a_file_level_problem_is_a_message_not_a_traceback(data_dir: Path, files: dict[str, Path]) -> None:
    files["big5"].write_bytes("訂單號,商品\nKS1,點券\n".encode("big5"))
    proc = run(data_dir, str(files["big5"]))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "Big5" in proc.stderr and "UTF-8" in proc.stderr


def test_warnings_name_the_row_as_errors_do(data_dir: Path, tmp_path: Path) -> None:
    no_trade_no = paid_row(7).replace(",20261118227,", ",,")
    path = write_csv(tmp_path / "warn.csv", [HEADER_ZH, paid_row(6), no_trade_no])
    proc = run(data_dir, str(path))
    assert proc.returncode == 0, proc.stderr
    assert "第 3 行" in proc.stdout and "row 3" in proc.stdout and "no trade no" in proc.stdout
