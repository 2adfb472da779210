"""``orders import`` given a path that is no file: a message in both languages and exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "kashop_desktop", "orders", "import", *args, "--data-dir",
                           str(data_dir)], capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.parametrize(("kind", "zh", "en"), [("missing", "找不到文件", "no such file"),
                                                ("folder", "是一个文件夹，不是文件", "is a folder, not a file")])
def test_a_missing_file_or_a_folder_is_a_usage_error_in_both_languages(tmp_path: Path, kind: str, zh: str,
                                                                       en: str) -> None:
    path = tmp_path / "nothing.csv"
    if kind == "folder":
        path.mkdir()
    data_dir = tmp_path / "shop"
    done = run(data_dir, str(path))
    assert done.returncode == 2
    assert zh in done.stderr and en in done.stderr and str(path) in done.stderr
    assert "Traceback" not in done.stderr and "Is a directory" not in done.stderr
    assert not data_dir.exists()  # no shop, nor a folder a later command would take for one


def test_all_or_nothing_stopped_by_another_header_says_why_nothing_was_written(tmp_path: Path) -> None:
    from tests.services.imports.test_reimport_identity import HEADER, SWAPPED, row

    path = tmp_path / "two.csv"
    below = "B1,2026-11-18 09:30,13800138001,卡密,1,,,9.90,待支付,,,支付宝,,点券A"
    path.write_text("\n".join([HEADER, row("A1"), row("A2"), SWAPPED, below]) + "\n", encoding="utf-8")
    done = run(tmp_path / "shop", str(path), "--all-or-nothing")
    assert done.returncode == 1, done.stderr
    assert "文件在第 4 行停止，它上面的 2 行也没有写入" in done.stderr
    assert "the file stopped at row 4, so the 2 rows above it were not written" in done.stderr
    assert "0 rows were refused" not in done.stderr and "有 0 行被拒绝" not in done.stderr


def test_a_file_missing_a_required_column_makes_no_new_shop(tmp_path: Path) -> None:
    path = tmp_path / "miss.csv"
    path.write_text("订单号,下单时间,商品\nA1,2026-11-18 09:30,点券A\n", encoding="utf-8")
    data_dir = tmp_path / "shop"
    done = run(data_dir, str(path))
    assert done.returncode == 2, done.stderr
    assert "缺少" in done.stderr and "missing" in done.stderr and "Traceback" not in done.stderr
    assert not data_dir.exists()  # no shop made for it, nor its folder


@pytest.mark.parametrize(("content", "zh", "en"), [(b"", "文件是空的", "the file is empty"),
                                                   (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40, "不是文本表格文件",
                                                    "not a text table")])
def test_a_file_refused_whole_makes_no_new_shop(tmp_path: Path, content: bytes, zh: str, en: str) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes(content)
    data_dir = tmp_path / "shop"
    done = run(data_dir, str(path))
    assert done.returncode == 1, done.stderr  # nothing imported: the file was refused whole
    assert zh in done.stderr and en in done.stderr and "Traceback" not in done.stderr
    assert not data_dir.exists()
    listed = subprocess.run([sys.executable, "-m", "kashop_desktop", "orders", "list", "--data-dir", str(data_dir)],
                            capture_output=True, text=True, env={**os.environ, "PYTHONIOENCODING": "utf-8"}, timeout=120)
    assert listed.returncode == 5 and "不存在" in listed.stderr  # still no shop there: the typo is caught


def test_a_column_the_desk_does_not_know_is_left_out_of_a_first_import(tmp_path: Path) -> None:
    """Most shop exports carry a 备注 column: the first import into a new folder imports the
    orders without it, with the note naming it and --column, as any later import does."""
    path = tmp_path / "orders.csv"
    path.write_text("订单号,下单时间,商品,商品类型,数量,原价,实付金额,状态,支付时间,发货时间,支付方式,交易号,买家,退款金额,备注\n"
                    "A1001,2025-01-01 00:00:00,腾讯视频月卡,卡密,1,15.00,15.00,已完成,2025-01-01 00:02:00,"
                    "2025/01/01 00:05,支付宝,T1,13800138000,,加急\n", encoding="utf-8")
    data_dir = tmp_path / "shop"
    done = run(data_dir, str(path))
    assert done.returncode == 0, done.stderr
    assert "备注" in done.stdout and "--column" in done.stdout and "inserted 1," in done.stdout
    assert "Traceback" not in done.stderr and (data_dir / "kashop.sqlite3").exists()
