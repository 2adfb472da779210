"""Exports of a filtered order list read back with csv and openpyxl: the same rows, in the
same order, with the same totals as the list, for several tabs, searches and date ranges;
ids kept as text, formula-like text neutralised, no half file after a cancel."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from kashop_desktop.domain.clock import SHOP_TZ, from_epoch, to_epoch
from kashop_desktop.domain.errors import DomainError
from kashop_desktop.services import datagen, exports, reports
from kashop_desktop.services.desk import Desk
from kashop_desktop.store import export_rows, queries, search
from kashop_desktop.store.queries import OrderFilter

from .helpers import order, product

pytestmark = pytest.mark.sqlite_only(reason="not ported to PostgreSQL yet: its shop comes from the data generator, "
                                            "whose bulk SQL is SQLite's (the export's snapshot and chunks on a server: "
                                            "test_export_snapshot, tests/cli)")

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=SHOP_TZ)


@pytest.fixture
def shop(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    """3,000 generated orders over a year; searches over 60 matches are unselective here."""
    datagen.load(desk, 3000, seed=5, now=NOW, years=1.0, events=False)
    monkeypatch.setattr(search, "CAP", 60)
    search.forget()
    yield desk
    search.forget()


def listed(desk: Desk, flt: OrderFilter) -> list[tuple]:
    """The list as the orders page reads it: every row, in list order."""
    return queries.page(desk.db, flt, 10**7)


def csv_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel reads the Chinese right
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def unwrap(cell: str) -> str:
    """A CSV id cell's text as Excel shows it."""
    if cell.startswith('="') and cell.endswith('"'):
        return cell[2:-1]
    return cell[1:] if cell.startswith("'") else cell


def to_fen(text: str) -> int:
    whole, _, cents = text.partition(".")
    assert len(cents) == 2, text
    return int(whole) * 100 + int(cents)


def filters(shop: Desk) -> list[OrderFilter]:
    phone = shop.db.execute_sql("SELECT buyer FROM orders GROUP BY buyer HAVING COUNT(*) BETWEEN 2 AND 5 "
                                "AND buyer GLOB '1[3-9]*' LIMIT 1").fetchone()[0]
    start, end = reports.epoch_window(date(2026, 5, 1), date(2026, 8, 31))
    return [OrderFilter(), OrderFilter(status="completed"), OrderFilter(status="cancelled", date_from=start, date_to=end),
            OrderFilter(search=phone), OrderFilter(search="KS2026"), OrderFilter(search="王者", status="refunded"),
            OrderFilter(status="paid", sort="amount", descending=False), OrderFilter(search="nothing-matches-this")]


def test_a_csv_export_holds_the_lists_rows_in_order_with_its_totals(shop: Desk, tmp_path: Path) -> None:
    for i, flt in enumerate(filters(shop)):
        rows = listed(shop, flt)
        out = tmp_path / f"list{i}.csv"
        result = exports.export_orders(shop, flt, out, "csv")
        header, body = csv_rows(out)
        assert header[:3] == ["订单号", "下单时间", "商品"]
        assert [unwrap(r[0]) for r in body] == [r[1] for r in rows], flt
        received = sum(r[7] for r in rows if r[13] is not None)
        paid_col = header.index("实付金额")
        assert sum(to_fen(r[paid_col]) for r in body if r[paid_col]) == received == result.received_fen
        assert result.rows == len(rows)
        for r, cells in zip(rows[:50], body[:50], strict=False):  # times in Beijing time
            assert cells[1] == f"{from_epoch(r[2]):%Y-%m-%d %H:%M:%S}"
    assert not list(tmp_path.glob(".*part*"))


def test_an_xlsx_export_holds_the_same_rows_with_ids_as_text_and_money_as_numbers(shop: Desk, tmp_path: Path) -> None:
    for i, flt in enumerate(filters(shop)[:4]):
        rows = listed(shop, flt)
        out = tmp_path / f"list{i}.xlsx"
        exports.export_orders(shop, flt, out, "xlsx", lang="en")
        book = openpyxl.load_workbook(out, read_only=True)
        cells = list(book.worksheets[0].iter_rows())
        book.close()
        header = [c.value for c in cells[0]]
        assert header[0] == "Order no" and "Paid" in header
        body = cells[1:]
        assert [r[0].value for r in body] == [r[1] for r in rows]
        assert all(r[0].data_type == "s" for r in body)
        paid_col = header.index("Paid")
        money = [r[paid_col] for r in body if r[paid_col].value is not None]
        assert all(c.data_type == "n" and c.number_format == "0.00" for c in money)
        total = sum(round(c.value * 100) for c in money)
        assert total == sum(r[7] for r in rows if r[13] is not None)


def test_ids_are_text_and_formula_like_cells_are_neutralised(desk: Desk, tmp_path: Path) -> None:
    bad = product(desk, name="=cmd|' /C calc'!A0")
    order(desk, "paid", order_no="202611180001234567", buyer="13800138000")
    order(desk, "paid", prod=bad, buyer="+86 138 0013 8001", gateway_trade_no="2026111822001400001234")
    order(desk, "paid", buyer="@SUM(1+1)")
    order(desk, "paid", buyer="-2+3")
    order(desk, "pending_payment", buyer="\t=1+1")
    csv_out, xlsx_out = tmp_path / "o.csv", tmp_path / "o.xlsx"
    exports.export_orders(desk, OrderFilter(), csv_out, "csv")
    exports.export_orders(desk, OrderFilter(), xlsx_out, "xlsx")
    header, body = csv_rows(csv_out)
    by_no = {unwrap(r[0]): r for r in body}
    buyer, product_col, trade = header.index("买家"), header.index("商品"), header.index("交易号")
    assert by_no["202611180001234567"][0] == '="202611180001234567"'
    assert by_no["202611180001234567"][buyer] == '="13800138000"'
    for cells in body:
        for text in cells:
            assert not text.startswith(("=", "+", "-", "@", "\t", "\r")) or text.startswith('="'), text
    assert "'=cmd|' /C calc'!A0" in [r[product_col] for r in body]
    assert "'+86 138 0013 8001" in [r[buyer] for r in body]
    assert '="2026111822001400001234"' in [r[trade] for r in body]
    assert {"'@SUM(1+1)", "'-2+3", "'\t=1+1"} <= {r[buyer] for r in body}
    sheet = openpyxl.load_workbook(xlsx_out).worksheets[0]
    values = {(c.value, c.data_type) for row in sheet.iter_rows(min_row=2) for c in row if c.value is not None}
    for text in ("=cmd|' /C calc'!A0", "@SUM(1+1)", "\t=1+1", "13800138000", "202611180001234567",
                 "2026111822001400001234"):
        assert (text, "s") in values  # a string cell, never a formula or a number
    assert not [v for v, kind in values if kind == "f"]


def test_a_cancelled_export_leaves_no_file_and_an_existing_file_is_kept(shop: Desk, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export_rows, "CHUNK", 500)
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    out = tmp_path / "all.csv"
    seen: list[int] = []
    with pytest.raises(exports.ExportCancelled):
        exports.export_orders(shop, OrderFilter(), out, "csv", progress=lambda p: seen.append(p.done),
                              cancelled=lambda: bool(seen))
    assert seen == [500] and not out.exists() and list(tmp_path.iterdir()) == []
    out.write_text("the owner's own file")
    with pytest.raises(DomainError) as refused:
        exports.export_orders(shop, OrderFilter(), out, "xlsx")
    assert refused.value.code == "output_exists" and out.read_text() == "the owner's own file"
    result = exports.export_orders(shop, OrderFilter(status="paid"), out, "csv", force=True)
    assert result.rows == queries.count(shop.db, OrderFilter(status="paid")) and out.read_text(encoding="utf-8-sig")
    with pytest.raises(DomainError) as missing:
        exports.export_orders(shop, OrderFilter(), tmp_path / "no" / "such.csv", "csv")
    assert missing.value.code == "output_folder_missing"
    store = shop.data_dir / "kashop.sqlite3"
    before = store.stat().st_size
    with pytest.raises(DomainError) as inside:  # even with force: the store is never written over
        exports.export_orders(shop, OrderFilter(), store, "csv", force=True)
    assert inside.value.code == "output_in_data_folder" and store.stat().st_size == before


def test_progress_counts_up_to_the_total(shop: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export_rows, "CHUNK", 700)
    seen: list[exports.ExportProgress] = []
    exports.export_orders(shop, OrderFilter(), tmp_path / "a.xlsx", "xlsx", progress=seen.append)
    assert seen[-1].done == seen[-1].total == 3000 and seen[-1].left == 0
    assert [p.done for p in seen] == [700, 1400, 2100, 2800, 3000]


def test_a_day_range_is_beijing_days_both_included() -> None:
    start, end = reports.epoch_window(date(2026, 11, 18), date(2026, 11, 18))
    assert start == to_epoch(datetime(2026, 11, 18, tzinfo=SHOP_TZ))
    assert end == start + 86400  # type: ignore[operator]
