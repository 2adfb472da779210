"""``orders export`` and ``reports`` on the command line: files, refusals, exit statuses."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from kashop_desktop.cli.main import main

from .conftest import PARSING_ONLY, Build, build_demo, raw_sql

pytestmark = [pytest.mark.usefixtures("store_kind"),
              pytest.mark.sqlite_only(reason="the command line's words, exit statuses and files; its rules run on both stores in tests/services, and the PostgreSQL wiring in the tests kept on both")]


@pytest.fixture
def shop(built_shop: Callable[[str, Build], Path]) -> Path:
    return built_shop("demo400", build_demo(400))


def listed_total(capsys: Any, d: str, *filters: str) -> int:
    assert main(["orders", "list", "--json", "--limit", "1", *filters, "--data-dir", d]) == 0
    return int(json.loads(capsys.readouterr().out)["total"])


def test_orders_export_writes_the_listed_orders_and_refuses_an_existing_file(shop: Path, tmp_path: Path,
                                                                               capsys: Any) -> None:
    d = str(shop)
    out = tmp_path / "paid.csv"
    assert main(["orders", "export", str(out), "--status", "completed", "--data-dir", d]) == 0
    assert "已导出" in capsys.readouterr().out
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][0] == "订单号" and len(rows) - 1 == listed_total(capsys, d, "--status", "completed") > 0
    assert {r[rows[0].index("状态")] for r in rows[1:]} == {"已完成"}
    assert main(["orders", "export", str(out), "--data-dir", d]) == 2  # a bad value, as for codes export
    assert "文件已存在" in capsys.readouterr().err
    xlsx = tmp_path / "all.xlsx"
    assert main(["orders", "export", str(xlsx), "--lang", "en", "--json", "--data-dir", d]) == 0
    result = json.loads(capsys.readouterr().out)
    book = openpyxl.load_workbook(xlsx, read_only=True)
    rows_x = list(book.worksheets[0].iter_rows(values_only=True))
    book.close()
    assert result["format"] == "xlsx" and result["rows"] == len(rows_x) - 1 == listed_total(capsys, d)
    assert rows_x[0][0] == "Order no"
    assert main(["orders", "export", str(out), "--force", "--format", "xlsx", "--data-dir", d]) == 0
    assert out.read_bytes().startswith(b"PK")  # the format asked for, whatever the name


@PARSING_ONLY
@pytest.mark.parametrize("args", [["--from", "2026-13-01"], ["--from", "2026-11-20", "--to", "2026-11-01"],
                                  ["--format", "pdf"]])
def test_bad_dates_and_formats_are_usage_errors(shop: Path, tmp_path: Path, capsys: Any, args: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        code = main(["orders", "export", str(tmp_path / "x.csv"), *args, "--data-dir", str(shop)])
        raise SystemExit(code)
    assert exited.value.code == 2
    assert not (tmp_path / "x.csv").exists()


def test_a_missing_folder_is_refused(shop: Path, tmp_path: Path, capsys: Any) -> None:
    assert main(["orders", "export", str(tmp_path / "no" / "x.csv"), "--data-dir", str(shop)]) == 2
    err = capsys.readouterr().err
    assert "文件夹不存在" in err and "no such folder" in err


def test_reports_print_tables_and_json_that_agree(shop: Path, capsys: Any) -> None:
    d = str(shop)
    span = ["--from", "2020-01-01", "--to", "2030-12-31", "--by", "month", "--data-dir", d]
    assert main(["reports", "sales", *span, "--json"]) == 0
    sales = json.loads(capsys.readouterr().out)
    assert sales["total"]["orders"] == sum(p["orders"] for p in sales["periods"]) > 0
    assert main(["reports", "sales", "--per", "product", *span, "--json"]) == 0
    split = json.loads(capsys.readouterr().out)
    assert sum(s["total"]["paid_fen"] for s in split["splits"]) == sales["total"]["paid_fen"]
    assert main(["reports", "refunds", *span]) == 0
    text = capsys.readouterr().out
    assert "退款率" in text and "合计" in text
    assert main(["reports", "reasons", *span, "--lang", "en"]) == 0
    text = capsys.readouterr().out
    assert "cancelled" in text and "total" in text and "合计" not in text
    assert main(["reports", "sales", "--from", "yesterday", "--data-dir", d]) == 2


def test_check_notices_report_tables_that_disagree_and_reports_rebuild_mends_them(shop: Path, capsys: Any) -> None:
    d = str(shop)
    assert main(["reports", "sales", "--from", "2020-01-01", "--to", "2030-12-31", "--json", "--data-dir", d]) == 0
    before = json.loads(capsys.readouterr().out)["total"]["paid_fen"]
    # a row lost outside the desk: the report is off by that day's money
    raw_sql(shop, "DELETE FROM report_sales WHERE day = (SELECT day FROM report_sales ORDER BY paid_fen DESC LIMIT 1)")
    assert main(["reports", "sales", "--from", "2020-01-01", "--to", "2030-12-31", "--json", "--data-dir", d]) == 0
    assert json.loads(capsys.readouterr().out)["total"]["paid_fen"] < before
    assert main(["check", "--data-dir", d]) == 1
    out = capsys.readouterr().out
    assert "报表数据与订单不符：report_sales" in out and "reports rebuild" in out
    assert main(["reports", "rebuild", "--json", "--data-dir", d]) == 0
    assert json.loads(capsys.readouterr().out) == {"rebuilt": True, "disagreed": ["report_sales"]}
    assert main(["check", "--data-dir", d]) == 0
    capsys.readouterr()
    assert main(["reports", "sales", "--from", "2020-01-01", "--to", "2030-12-31", "--json", "--data-dir", d]) == 0
    assert json.loads(capsys.readouterr().out)["total"]["paid_fen"] == before


def test_orders_export_to_a_name_that_says_no_format_is_a_usage_error(shop: Path, tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "x.txt"
    assert main(["orders", "export", str(out), "--data-dir", str(shop)]) == 2
    assert ".csv" in capsys.readouterr().err and not out.exists()
    assert main(["orders", "export", str(out), "--format", "csv", "--data-dir", str(shop)]) == 0
    assert out.read_bytes().startswith("订单号".encode("utf-8-sig"))
