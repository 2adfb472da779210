"""``demo``: the first run says what it built, a relaunch says the shop is already there."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from kashop_desktop.cli.main import main
from kashop_desktop.cli.output import EXIT_OK

pytestmark = [pytest.mark.usefixtures("store_kind"),
              pytest.mark.sqlite_only(reason="the demo is built on the data file only (on a server it is refused: "
                                             "tests/server)")]


def test_a_relaunch_does_not_read_like_an_empty_shop(data_dir: Path, capsys: Any) -> None:
    assert main(["demo", "--no-gui", "--orders", "60", "--data-dir", str(data_dir)]) == EXIT_OK
    first = capsys.readouterr().out
    from kashop_desktop.services.desk import Desk
    from kashop_desktop.store.models import Order

    desk = Desk.open(data_dir)
    try:
        made = Order.select().count()  # the history and the scenario orders: what the summary counts
    finally:
        desk.close()
    assert "演示店铺已建好" in first and f"{made} 个订单" in first and made >= 60 and "{" not in first
    assert main(["demo", "--no-gui", "--orders", "60", "--data-dir", str(data_dir), "--lang", "en"]) == EXIT_OK
    again = capsys.readouterr().out
    assert again.startswith(f"the demo shop is already in {data_dir} (")
    assert "orders)" in again and "0," not in again and "{" not in again
    desk = Desk.open(data_dir)
    desk.set_setting("language", "en")  # the owner chose English in the window's Settings
    desk.close()
    assert main(["demo", "--no-gui", "--orders", "60", "--data-dir", str(data_dir)]) == EXIT_OK  # no --lang
    assert capsys.readouterr().out.startswith(f"the demo shop is already in {data_dir} (")
    assert main(["demo", "--no-gui", "--orders", "60", "--data-dir", str(data_dir), "--lang", "zh"]) == EXIT_OK
    assert capsys.readouterr().out.startswith(f"演示店铺已在 {data_dir}")


def test_a_mistyped_data_dir_is_refused_not_made_into_an_empty_shop(tmp_path: Path, capsys: Any) -> None:
    from kashop_desktop.cli.output import EXIT_STORE

    mistyped = tmp_path / "mistyped" / "folder"
    for command in (["orders", "list"], ["orders", "show", "KS1"], ["check"], ["policy", "set", "risk_window_days=9"]):
        assert main([*command, "--data-dir", str(mistyped)]) == EXIT_STORE
        err = capsys.readouterr().err
        assert "不存在" in err and "does not exist" in err and "--data-dir" in err
        assert not mistyped.exists() and not (tmp_path / "mistyped").exists()
    assert main(["demo", "--no-gui", "--orders", "30", "--data-dir", str(mistyped)]) == EXIT_OK  # demo makes a shop
    assert main(["orders", "list", "--data-dir", str(mistyped)]) == EXIT_OK


@pytest.mark.parametrize("pc_file", ["vault.json", "desk-id"])
def test_a_folder_with_this_pcs_files_but_no_shop_is_refused_not_made_into_an_empty_shop(
        tmp_path: Path, capsys: Any, pc_file: str) -> None:
    from kashop_desktop.cli.output import EXIT_STORE

    folder = tmp_path / "second-pc"  # a second PC's folder: the vault copied over, the shop on a server
    folder.mkdir()
    (folder / pc_file).write_text("{}", encoding="utf-8")
    for command in (["orders", "list"], ["check"], ["reports", "sales", "--from", "2026-01-01", "--to", "2026-01-31"]):
        assert main([*command, "--data-dir", str(folder)]) == EXIT_STORE
        err = capsys.readouterr().err
        assert "没有店铺的数据文件" in err and "--db" in err and "KASHOP_DB_URL" in err and "No empty shop" in err
        assert not (folder / "kashop.sqlite3").exists()
    empty = tmp_path / "empty"  # a folder of nothing: a new shop, as before
    empty.mkdir()
    assert main(["orders", "list", "--data-dir", str(empty)]) == 0
    assert (empty / "kashop.sqlite3").exists()


def test_the_default_folder_with_this_pcs_files_but_no_shop_is_refused_too(
        tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from kashop_desktop.cli.output import EXIT_STORE

    folder = tmp_path / "default"  # no --data-dir: the folder KASHOP_DATA_DIR names
    folder.mkdir()
    (folder / "desk-id").write_text("pc-2", encoding="utf-8")
    monkeypatch.setenv("KASHOP_DATA_DIR", str(folder))
    assert main(["orders", "list"]) == EXIT_STORE
    assert "没有店铺的数据文件" in capsys.readouterr().err and not (folder / "kashop.sqlite3").exists()


def test_demo_import_and_restore_still_make_a_shop_beside_this_pcs_files(tmp_path: Path, capsys: Any) -> None:
    from kashop_desktop.services.secrets import VaultStore

    def second_pc(name: str) -> Path:  # a real key vault (the tests' passphrase), no shop file
        folder = tmp_path / name
        folder.mkdir()
        VaultStore(folder / "vault.json", os.environ["KASHOP_VAULT_PASSPHRASE"]).put("store_server", {"password": "x"})
        return folder

    demo = second_pc("demo")
    assert main(["demo", "--no-gui", "--orders", "30", "--data-dir", str(demo)]) == EXIT_OK
    assert main(["orders", "list", "--data-dir", str(demo)]) == EXIT_OK  # the shop made there is used
    capsys.readouterr()
    assert main(["backup", "--data-dir", str(demo), "--json"]) == EXIT_OK
    backup = json.loads(capsys.readouterr().out)["path"]

    restored = second_pc("restored")
    assert main(["restore", backup, "--yes", "--data-dir", str(restored)]) == EXIT_OK
    assert (restored / "kashop.sqlite3").exists()
    assert main(["orders", "list", "--data-dir", str(restored)]) == EXIT_OK

    imported = second_pc("imported")
    rows = tmp_path / "orders.csv"
    rows.write_text("order_no,created_at,product,product_type,paid_amount,status,paid_at,channel,gateway,gateway_trade_no,"
                    "buyer\n"
                    "A1,2026-11-18 09:00:00,爱奇艺会员月卡,card_code,19.80,paid,2026-11-18 09:01:00,alipay,沙箱,T1,"
                    "13800000001\n", encoding="utf-8")
    code = main(["orders", "import", str(rows), "--data-dir", str(imported)])
    assert code == EXIT_OK, capsys.readouterr().err
    assert (imported / "kashop.sqlite3").exists()


def _dump(folder: Path) -> list[str]:
    """Every row of the shop's data file (its WAL included), as SQL."""
    import sqlite3

    con = sqlite3.connect(folder / "kashop.sqlite3")
    try:
        return list(con.iterdump())
    finally:
        con.close()


def _real_shop(folder: Path, capsys: Any, rows: int = 3) -> None:
    """A shop whose orders were imported from the old system (no demo order no among them)."""
    csv = folder.parent / f"{folder.name}-orders.csv"
    lines = ["order_no,created_at,product,product_type,paid_amount,status,paid_at,channel,gateway,gateway_trade_no,buyer"]
    lines += [f"A{i},2026-11-18 09:00:00,爱奇艺会员月卡,card_code,19.80,paid,2026-11-18 09:01:00,alipay,沙箱,T{i},"
              f"1380000000{i}" for i in range(1, rows + 1)]
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["orders", "import", str(csv), "--data-dir", str(folder)]) == EXIT_OK, capsys.readouterr().err
    capsys.readouterr()


@pytest.mark.parametrize("where", ["--data-dir", "KASHOP_DATA_DIR"])
def test_the_demo_refuses_a_shop_with_real_orders_and_writes_nothing(
        tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    from kashop_desktop.cli.output import EXIT_REFUSED

    shop = tmp_path / "shop"
    shop.mkdir()
    _real_shop(shop, capsys)
    before, files = _dump(shop), sorted(p.name for p in shop.iterdir())
    vault = (shop / "vault.json").read_bytes() if (shop / "vault.json").exists() else None
    if where == "KASHOP_DATA_DIR":
        monkeypatch.setenv("KASHOP_DATA_DIR", str(shop))
        command = ["demo", "--orders", "1000", "--no-gui"]
    else:
        command = ["--data-dir", str(shop), "demo", "--orders", "1000", "--no-gui"]
    assert main(command) == EXIT_REFUSED
    out, err = capsys.readouterr()
    assert "演示店铺已建好" not in out and "passphrase" not in out
    assert "这个店铺已有真实订单，演示只建在新的文件夹里：用 --data-dir 指定一个新文件夹" in err
    assert "already holds real orders" in err and "Traceback" not in err
    assert _dump(shop) == before  # no demo order, gateway, coupon, product, setting or log entry
    assert sorted(p.name for p in shop.iterdir()) == files  # no vault made under the demo's passphrase...
    assert ((shop / "vault.json").read_bytes() if vault is not None else None) == vault  # ...nor one changed


def test_a_demo_shop_is_reused_and_one_built_before_the_mark_is_recognised(data_dir: Path, capsys: Any) -> None:
    import sqlite3

    from kashop_desktop.cli.output import EXIT_REFUSED

    assert main(["demo", "--no-gui", "--orders", "40", "--data-dir", str(data_dir)]) == EXIT_OK
    assert main(["demo", "--no-gui", "--orders", "60", "--data-dir", str(data_dir)]) == EXIT_OK  # its own: builds more
    assert "演示店铺已建好" in capsys.readouterr().out
    con = sqlite3.connect(data_dir / "kashop.sqlite3")
    with con:  # as an older version left it: the demo's orders, no mark
        con.execute("DELETE FROM setting WHERE key = 'demo_shop'")
    con.close()
    assert main(["demo", "--no-gui", "--orders", "60", "--data-dir", str(data_dir)]) == EXIT_OK
    assert "演示店铺已在" in capsys.readouterr().out
    assert _dump(data_dir) and any("demo_shop" in line for line in _dump(data_dir))  # marked once, now
    con = sqlite3.connect(data_dir / "kashop.sqlite3")
    with con:  # an older demo shop the owner then imported real orders into is a real shop
        con.execute("DELETE FROM setting WHERE key = 'demo_shop'")
    con.close()
    _real_shop(data_dir, capsys, rows=1)
    before = _dump(data_dir)
    assert main(["demo", "--no-gui", "--orders", "100", "--data-dir", str(data_dir)]) == EXIT_REFUSED
    assert "已有真实订单" in capsys.readouterr().err and _dump(data_dir) == before


@pytest.mark.parametrize("orders", ["0", "-5"])
def test_a_demo_of_no_orders_is_a_usage_error(tmp_path: Path, capsys: Any, orders: str) -> None:
    from kashop_desktop.cli.output import EXIT_USAGE

    folder = tmp_path / "new"
    with pytest.raises(SystemExit) as exited:  # argparse exits while reading the command line
        main(["demo", "--no-gui", "--orders", orders, "--data-dir", str(folder)])
    assert exited.value.code == EXIT_USAGE
    err = capsys.readouterr().err
    assert f"参数 --orders：至少为 1，而不是 {orders}（例如 --orders 2000）" in err
    assert f"argument --orders: must be at least 1, not {orders} (e.g. --orders 2000)" in err
    assert not folder.exists()  # found before any store is made


def test_every_count_in_the_summary_has_the_same_format() -> None:
    from kashop_desktop.cli.demo import _summary

    added = {"products": 9, "orders": 200_015, "requests": 19_871, "refunds": 1_234}
    assert "200,015 个订单、19,871 个售后申请、1,234 笔退款" in _summary(added, 200_015, "/d", True, False)
    assert "200,015 orders, 19,871 requests, 1,234 refunds" in _summary(added, 200_015, "/d", False, False)
