"""``orders export OUT`` writes only where ``services.outfiles`` allows: never into the data folder
(with or without --force, through a symlink or not), never over an existing file without
--force (not even one that appeared while the export ran), through a symlink to where it points,
``-`` to standard output, and a place the disk refuses is a clear message in both languages."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kashop_desktop.cli.main import main
from kashop_desktop.services import exports
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.outfiles import OutputRefused
from kashop_desktop.services.views import OrderFilter

from .conftest import PARSING_ONLY, Build, build_demo

pytestmark = pytest.mark.usefixtures("store_kind")  # on both stores: the file and a PostgreSQL server (tests/conftest.py)


@pytest.fixture
def shop(built_shop: Callable[[str, Build], Path]) -> Path:
    return built_shop("demo60", build_demo(60))


def export(shop: Path, capsys: Any, *args: str) -> tuple[int, str, str]:
    code = main(["orders", "export", *args, "--data-dir", str(shop)])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_data_folder_is_never_written_even_with_force(shop: Path, tmp_path: Path, capsys: Any) -> None:
    guarded = {p: p.read_bytes() for p in (shop / "kashop.sqlite3", shop / "vault.json") if p.exists()}
    assert shop / "vault.json" in guarded
    assert (shop / "kashop.sqlite3" in guarded) == ("KASHOP_DB_URL" not in os.environ)  # on a server: no file
    (shop / "backups").mkdir(exist_ok=True)
    link = tmp_path / "innocent.csv"
    link.symlink_to(shop / "kashop.sqlite3")
    for target in (shop / "kashop.sqlite3", shop / "vault.json", shop / "backups" / "x.xlsx", shop / "x.csv",
                   shop / "wallet-ledger.sqlite3", link):
        for force in ((), ("--force",)):
            code, out, err = export(shop, capsys, str(target), "--format", "csv", *force)
            assert code == 2, (target, force, out, err)
            assert "数据文件夹" in err and "data folder" in err and "Traceback" not in err
    assert {p: p.read_bytes() for p in guarded} == guarded
    assert not (shop / "x.csv").exists() and not (shop / "backups" / "x.xlsx").exists()
    assert link.is_symlink()
    assert main(["check", "--data-dir", str(shop)]) == 0  # the shop still opens, whole
    capsys.readouterr()


def test_an_existing_file_needs_force_and_a_symlink_is_written_through(shop: Path, tmp_path: Path,
                                                                        capsys: Any) -> None:
    out = tmp_path / "orders.csv"
    out.write_text("the owner's earlier file", encoding="utf-8")
    code, _, err = export(shop, capsys, str(out))
    assert code == 2 and "已存在" in err and "exists" in err and "--force" in err
    assert out.read_text(encoding="utf-8") == "the owner's earlier file"
    link = tmp_path / "latest.csv"
    link.symlink_to(out)
    assert export(shop, capsys, str(link))[0] == 2
    code, _, _ = export(shop, capsys, str(link), "--force")
    assert code == 0 and link.is_symlink() and link.resolve() == out.resolve()
    assert out.read_text(encoding="utf-8-sig").startswith("订单号")
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_dash_is_standard_output_and_a_device_or_pipe_is_refused(shop: Path, tmp_path: Path, capsys: Any,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = export(shop, capsys, "-", "--status", "completed")
    rows = list(csv.reader(io.StringIO(out)))
    assert code == 0 and rows[0][0] == "订单号" and len(rows) > 1
    assert "标准输出" in err and not Path("-").exists()
    assert main(["orders", "list", "--status", "completed", "--json", "--limit", "1", "--data-dir", str(shop)]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == len(rows) - 1
    assert export(shop, capsys, "-", "--format", "xlsx")[0] == 2
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for special in (fifo, Path("/dev/null")):
        code, _, err = export(shop, capsys, str(special), "--force")
        assert code == 2 and "不是普通文件" in err and "not a regular file" in err
    assert Path("/dev/null").is_char_device() and fifo.is_fifo()


def _unwritable_folder(tmp_path: Path) -> Path:
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o500)
        return folder
    if not Path("/sys/kernel").is_dir():
        pytest.skip("no folder here refuses root")
    return Path("/sys")  # sysfs refuses a new file even to root


@pytest.mark.parametrize("name", ["x.csv", "x.xlsx"])
def test_a_place_the_disk_refuses_is_a_message_not_a_crash(shop: Path, tmp_path: Path, capsys: Any,
                                                           name: str) -> None:
    folder = _unwritable_folder(tmp_path)
    code, _, err = export(shop, capsys, str(folder / name))
    assert code == 1 and "无法写入文件" in err and "cannot write file" in err and "Traceback" not in err
    assert not (folder / name).exists() and not [p for p in folder.iterdir() if p.name.endswith(".part")]


def test_a_file_that_appears_during_the_export_is_not_replaced(shop: Path, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "same.csv"

    def other_export_finishes_first(_progress: exports.ExportProgress) -> None:
        if not out.exists():
            out.write_text("the other export", encoding="utf-8")

    desk = Desk.open(shop)
    try:
        with pytest.raises(OutputRefused) as refused:
            exports.export_orders(desk, OrderFilter(), out, "csv", progress=other_export_finishes_first)
        assert refused.value.code == "output_exists"
        assert out.read_text(encoding="utf-8") == "the other export"
        assert [p.name for p in folder.iterdir()] == ["same.csv"]  # no temporary part left
        result = exports.export_orders(desk, OrderFilter(), out, "csv", force=True,
                                       progress=other_export_finishes_first)
    finally:
        desk.close()
    assert result.rows > 0 and out.read_text(encoding="utf-8-sig").startswith("订单号")


@PARSING_ONLY
@pytest.mark.parametrize("args", [
    ["reports", "sales", "--from", "9999-12-30", "--to", "9999-12-31"],
    ["reports", "refunds", "--from", "9999-12-01", "--to", "9999-12-31", "--by", "week"],
    ["reports", "reasons", "--from", "9999-12-01", "--by", "month"],
    ["orders", "export", "y.csv", "--from", "2026-01-01", "--to", "9999-12-31"],
    ["reports", "sales", "--from", "0001-01-01", "--to", "0001-01-31", "--by", "week"],
])
def test_dates_beyond_the_calendar_are_usage_errors(shop: Path, tmp_path: Path, capsys: Any,
                                                   monkeypatch: pytest.MonkeyPatch, args: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exited:
        raise SystemExit(main([*args, "--data-dir", str(shop)]))
    err = capsys.readouterr().err
    assert exited.value.code == 2 and "超出范围" in err and "out of range" in err and "Traceback" not in err
    assert not (tmp_path / "y.csv").exists()
