"""``products`` and ``codes`` on the command line: every verb with --json, the exit statuses, and
bad input that changes nothing."""

from __future__ import annotations

import os
from pathlib import Path

import openpyxl
import pytest

from .conftest import raw_sql
from .test_cli import HEADER, Cli, cli, stamp  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.usefixtures("store_kind"),
              pytest.mark.sqlite_only(reason="the command line's words, exit statuses and files; its rules run on both stores in tests/services, and the PostgreSQL wiring in the tests kept on both")]


def _shop(cli: Cli) -> None:  # noqa: F811
    cli("products", "add", "点卡 50元", "--type", "卡密", "--price", "49.90", "--threshold", "2", "--json")


def test_products_add_list_and_set_with_json(cli: Cli) -> None:  # noqa: F811
    _shop(cli)
    cli("products", "add", "点卡 50元", "--type", "卡密", "--price", "49.90", code=1)  # exists
    cli("products", "add", "坏价", "--type", "卡密", "--price", "4.999", code=2)
    cli("products", "add", "坏类型", "--type", "书", "--price", "1", code=2)
    cli.json("products", "set", "点卡 50元", "price=45", "threshold=3", "no_refunds=true", "reusable=false")
    cli("products", "set", "点卡 50元", "threshold=-1", code=2)
    cli("products", "set", "点卡 50元", "price=1", "no_refunds=ture", code=2)
    listed = cli.json("products", "list")["products"]
    card = next(p for p in listed if p["name"] == "点卡 50元")
    assert (card["price_fen"], card["threshold"], card["policy_overrides"]) == (4500, 3, {"no_refunds": True})
    assert card["stock"] == 0 and card["low_stock"] is True
    cli("products", "set", "点卡 50元", "no_refunds=")  # removes the override
    card = next(p for p in cli.json("products", "list")["products"] if p["name"] == "点卡 50元")
    assert card["policy_overrides"] == {}


def test_codes_import_list_lock_void_delete_export(cli: Cli, tmp_path: Path) -> None:  # noqa: F811
    _shop(cli)
    text = tmp_path / "codes.txt"
    text.write_text("卡号,密码\nCARD0001,PASS0001\nCARD0002----PASS0002\nCARD0001,PASS0001\nAB CD EF\n"
                    "SINGLECODE000003\n", encoding="utf-8")
    report = cli.json("codes", "import", str(text), "--product", "点卡 50元", "--batch", "11月", "--cost", "40",
                      code=3)
    assert report["imported"] == 3 and [d["line"] for d in report["duplicates"]] == [4]
    assert [p["line"] for p in report["problems"]] == [5]
    again = cli("codes", "import", str(text), "--product", "点卡 50元", code=1)  # all duplicates now
    assert "卡密已在库中" in again.stderr and "already stored" in again.stderr
    book = openpyxl.Workbook()
    book.active.append(["XLSXCODE00000001"])
    book.active.append(["XLSXCARD01", "XLSXPASS01"])
    book.active.append([12345678901234])
    book.save(tmp_path / "codes.xlsx")
    xlsx = cli.json("codes", "import", str(tmp_path / "codes.xlsx"), "--product", "点卡 50元", code=3)
    assert xlsx["imported"] == 2 and "Excel" in xlsx["problems"][0]["zh"]
    codes = cli.json("codes", "list", "--product", "点卡 50元")["codes"]
    assert len(codes) == 5 and all("PASS" not in c["masked"] for c in codes)
    assert {c["batch"] for c in codes} == {"11月", ""} and codes[0]["cost_fen"] == 4000
    ids = [str(c["id"]) for c in codes]
    cli.json("codes", "lock", ids[0])
    assert cli.json("codes", "list", "--product", "点卡 50元", "--state", "locked")["codes"][0]["id"] == int(ids[0])
    cli("codes", "unlock", ids[1], code=1)  # not locked
    cli.json("codes", "void", ids[1])
    preview = cli.json("codes", "delete", ids[2], code=1)
    assert preview["deletable"] == [int(ids[2])] and preview["stock"]["点卡 50元"] == {"before": 3, "after": 2}
    cli.json("codes", "delete", ids[2], "--yes")
    out = tmp_path / "out.csv"
    exported = cli.json("codes", "export", str(out), "--product", "点卡 50元", "--mark-sold")
    assert exported["count"] == 2 and "XLSXPASS01" in out.read_text("utf-8-sig")
    assert cli.json("codes", "list", "--product", "点卡 50元", "--state", "available")["codes"] == []
    check = cli.json("check")
    assert check["low_stock"] == [{"product": "点卡 50元", "stock": 0, "threshold": 2}]


def test_backorders_fill_on_import_and_reveal_and_return(cli: Cli, tmp_path: Path) -> None:  # noqa: F811
    _shop(cli)
    orders = tmp_path / "o.csv"
    orders.write_text(HEADER + "\n" + "\n".join(
        f"B{i},{stamp(10 - i)},点卡 50元,card_code,49.90,pending_payment,,alipay,沙箱,,1380000000{i}"
        for i in range(3)), encoding="utf-8")
    cli("gateways", "list")
    cli("orders", "import", str(orders))
    for i in range(3):
        cli("orders", "mark-paid", f"B{i}", "--trade-no", f"TB{i}", "--yes")
    waiting = cli.json("orders", "backorders")
    assert waiting["count"] == 3 and [b["order_no"] for b in waiting["backorders"]] == ["B0", "B1", "B2"]
    codes = tmp_path / "two.txt"
    codes.write_text("FILLCODE00000001\nFILLCODE00000002\n", encoding="utf-8")
    report = cli.json("codes", "import", str(codes), "--product", "点卡 50元")
    assert report["delivered_backorders"] == ["B0", "B1"]
    assert [b["order_no"] for b in cli.json("orders", "backorders")["backorders"]] == ["B2"]
    shown = cli.json("codes", "reveal", "B0")
    assert shown["codes"] == ["FILLCODE00000001"]
    assert cli.json("orders", "show", "B0")["events"][-1]["action"] == "reveal_code"
    cli("codes", "return", "B0", "--unused", "--note", "未使用", code=1)  # not refunded
    cli("codes", "return", "B0", "--note", "x", code=1)


def test_codes_import_reads_standard_input(cli: Cli) -> None:  # noqa: F811
    import os
    import subprocess
    import sys

    _shop(cli)
    proc = subprocess.run([sys.executable, "-m", "kashop_desktop", "codes", "import", "-", "--product", "点卡 50元",
                           "--json", "--data-dir", str(cli.data_dir)], input="STDINCODE0000001\nSTDINCODE0000002\n",
                          capture_output=True, text=True, env={**os.environ, "PYTHONIOENCODING": "utf-8"}, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert '"imported": 2' in proc.stdout


def test_hints_schema_13_removed_are_written_again_once_the_key_is_at_hand(cli: Cli, tmp_path: Path) -> None:  # noqa: F811
    """A shop moved to a server before the desk held its key after schema 13 (the hints still to
    write again): the first command that opens the codes writes them, on either store."""
    _shop(cli)
    source = tmp_path / "in.txt"
    source.write_text("HINTCARD00001234----PASSWORD01\nHINTCARD00005678----PASSWORD02\n", encoding="utf-8")
    cli("codes", "import", str(source), "--product", "点卡 50元")
    shown = {c["id"]: c["masked"] for c in cli.json("codes", "list", "--product", "点卡 50元")["codes"]}
    position = "strpos" if "KASHOP_DB_URL" in os.environ else "instr"
    raw_sql(cli.data_dir, "UPDATE card_code SET hint = '', "  # what schema 13 leaves behind
                          f"sealed = substr(sealed, 1, 3 + {position}(substr(sealed, 4), ':'))")
    raw_sql(cli.data_dir, "INSERT INTO setting (key, value) VALUES ('codes_rehint', 'true')")
    assert {c["id"]: c["masked"] for c in cli.json("codes", "list", "--product", "点卡 50元")["codes"]} != shown
    done = cli.json("codes", "export", str(tmp_path / "out.csv"), "--product", "点卡 50元")
    assert done["count"] == 2 and "HINTCARD00005678" in (tmp_path / "out.csv").read_text("utf-8-sig")
    assert {c["id"]: c["masked"] for c in cli.json("codes", "list", "--product", "点卡 50元")["codes"]} == shown
    assert not raw_sql(cli.data_dir, "SELECT 1 FROM setting WHERE key = 'codes_rehint'")
