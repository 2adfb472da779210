"""Rows whose status and times or amounts disagree, and a quote left open, found by trying the import
as a new owner would: an unpaid row never brings money or a delivery, an unpaid row's 实付金额 of 0
does not make a ¥0.00 order, and a cell whose quote is never closed stops the import at its row
instead of taking in the rows after it."""

from __future__ import annotations

from pathlib import Path

from kashop_desktop.services.desk import Desk
from kashop_desktop.services.imports import import_file
from kashop_desktop.services.maintenance import check

from .files import write_csv

HEADER = "订单号,下单时间,商品,商品类型,原价,优惠券,实付金额,状态,支付时间,发货时间,交易号,买家,退款金额"


def _import(desk: Desk, tmp_path: Path, rows: list[str]) -> dict[str, str]:
    """Import ``rows``; returns the refused rows' columns by order no (the row's first cell)."""
    report = import_file(desk, write_csv(tmp_path / "orders.csv", [HEADER, *rows]))
    numbers = {number: row.split(",")[0] for number, row in enumerate(rows, 2)}
    assert all(p.zh and p.en for p in report.problems)
    return {numbers[p.row]: p.column for p in report.problems}


def _order(desk: Desk, order_no: str) -> tuple[str, int, int, int | None, int | None] | None:
    row = desk.db.execute_sql("SELECT status, paid_fen, list_fen, paid_at, delivered_at FROM orders WHERE order_no = ?",
                              (order_no,)).fetchone()
    return None if row is None else tuple(row)  # type: ignore[return-value]


def test_an_unpaid_row_never_brings_a_payment_or_a_delivery(desk: Desk, tmp_path: Path) -> None:
    refused = _import(desk, tmp_path, [
        "M1,2026-11-18 09:50,爱奇艺季卡,卡密,100,,100,待支付,2026-11-18 09:51,,TM1,13800138000,",
        "M2,2026-11-18 09:50,爱奇艺季卡,卡密,100,,100,待支付,,2026-11-18 09:52,,13800138000,",
        "M3,2026-11-18 09:50,爱奇艺季卡,卡密,100,,100,待发货,2026-11-18 09:51,2026-11-18 09:52,TM3,13800138000,",
        "M4,2026-11-18 09:50,爱奇艺季卡,卡密,100,,100,已取消,,2026-11-18 09:52,,13800138000,",
        "M5,2026-11-18 09:50,爱奇艺季卡,卡密,100,,100,待支付,,,,13800138000,",
        "M6,2026-11-18 09:50,爱奇艺季卡,卡密,100,,100,已完成,2026-11-18 09:51,2026-11-18 09:52,TM6,13800138000,",
        "M7,2026-11-18 09:50,爱奇艺季卡,卡密,100,,100,已取消,2026-11-18 09:51,,TM7,13800138000,0",
    ])
    assert refused == {"M1": "paid_at", "M2": "delivered_at", "M3": "delivered_at", "M4": "delivered_at"}
    for order_no in ("M1", "M2", "M3", "M4"):
        assert _order(desk, order_no) is None
    assert _order(desk, "M5")[:2] == ("pending_payment", 10000) and _order(desk, "M5")[3:] == (None, None)
    assert _order(desk, "M6")[0] == "completed" and _order(desk, "M7")[0] == "cancelled"
    sales = desk.db.execute_sql("SELECT COALESCE(SUM(paid_fen), 0) FROM orders WHERE paid_at IS NOT NULL").fetchone()[0]
    assert sales == 20000  # M6 and M7 paid; nothing of the unpaid rows
    assert check(desk).ok


def test_an_unpaid_rows_paid_amount_of_zero_is_not_its_amount_due(desk: Desk, tmp_path: Path) -> None:
    refused = _import(desk, tmp_path, [
        "U1,2026-11-18 09:50,京东E卡100,卡密,100,,0,待支付,,,,13800138000,",  # 0 until paid: due ¥100
        "U2,2026-11-18 09:50,京东E卡100,卡密,100,10,0.00,待支付,,,,13800138000,",  # due ¥90 after the coupon
        "U3,2026-11-18 09:50,京东E卡100,卡密,,,0,待支付,,,,13800138000,",  # nothing says what is due
        "U4,2026-11-18 09:50,京东E卡100,卡密,100,100,0,待支付,,,,13800138000,",  # the coupon covers it
        "U5,2026-11-18 09:50,京东E卡100,卡密,,,0,已取消,,,,13800138000,",  # closed unpaid: nothing due ever
        "U6,2026-11-18 09:50,京东E卡100,卡密,100,,95,待支付,,,,13800138000,",  # the file's amount due
        "U7,2026-11-18 09:50,京东E卡100,卡密,100,,0,已取消,,,,13800138000,",
    ])
    assert refused == {"U3": "paid_amount"}
    assert _order(desk, "U1")[:3] == ("pending_payment", 10000, 10000)
    assert _order(desk, "U2")[:3] == ("pending_payment", 9000, 10000)
    assert _order(desk, "U4")[:3] == ("pending_payment", 0, 10000)
    assert _order(desk, "U5")[:3] == ("cancelled", 0, 0)
    assert _order(desk, "U6")[:3] == ("pending_payment", 9500, 10000)
    assert _order(desk, "U7")[:3] == ("cancelled", 10000, 10000)
    assert check(desk).ok


def test_a_quote_never_closed_stops_the_import_at_its_row(desk: Desk, tmp_path: Path) -> None:
    header = "订单号,下单时间,商品,商品类型,实付金额,状态,买家,备注"
    opened = '"尺寸 7寸'  # a quote opened, never closed
    rows = [f"Q{n},2026-11-18 09:50,京东E卡50,卡密,50,待支付,13800138000,{opened if n == 5 else '备注'}"
            for n in range(1, 10)]
    report = import_file(desk, write_csv(tmp_path / "quote.csv", [header, *rows]))
    assert report.stopped is not None and report.stopped.row == 6  # Q5, under the header (row 1)
    assert "引号" in report.stopped.zh and "quote" in report.stopped.en and "4" in report.stopped.en
    assert report.inserted == 0 and desk.db.execute_sql("SELECT COUNT(*) FROM orders").fetchone()[0] == 0


def test_a_cell_with_line_breaks_of_its_own_is_read_as_one_cell(desk: Desk, tmp_path: Path) -> None:
    """Alt+Enter in Excel: a quoted cell over several lines, a comma or two on them, is a note, not swallowed rows."""
    header = "订单号,下单时间,商品,商品类型,实付金额,状态,买家,备注"
    rows = ['L1,2026-11-18 09:50,京东E卡50,卡密,50,待支付,13800138000,"第一行\n北京, 朝阳区\n第三行"',
            "L2,2026-11-18 09:51,京东E卡50,卡密,50,待支付,13800138000,x"]
    report = import_file(desk, write_csv(tmp_path / "notes.csv", [header, *rows]))
    assert report.stopped is None and report.inserted == 2


def test_a_reimport_that_disagrees_on_the_payment_or_the_product_type_is_refused(desk: Desk, tmp_path: Path) -> None:
    """Counted unchanged before: a paid order's payment time and route (refunds go back that way)
    and an order's product type are what the order is; a file that says otherwise is not it."""
    header = "订单号,下单时间,商品,商品类型,实付金额,状态,支付时间,支付方式,交易号,买家"
    rows = {n: f"P{n},2026-11-18 09:00,京东E卡50,卡密,50,已支付,2026-11-18 09:06:10,支付宝,T{n},13800138000"
            for n in range(1, 7)}
    assert import_file(desk, write_csv(tmp_path / "first.csv", [header, *rows.values()])).inserted == 6
    again = dict(rows)
    again[2] = again[2].replace(",卡密,", ",直充,")
    again[4] = again[4].replace(",支付宝,", ",微信,")
    again[5] = again[5].replace("09:06:10", "09:20:00")
    again[6] = again[6].replace("09:06:10", "09:06")  # the same minute, written without seconds
    report = import_file(desk, write_csv(tmp_path / "again.csv", [header, *again.values()]))
    assert {p.row: p.column for p in report.problems} == {3: "product_type", 5: "channel", 6: "paid_at"}
    assert all("已记录" in p.zh and "stored" in p.en for p in report.problems)
    assert (report.unchanged, report.updated, report.inserted) == (3, 0, 0)
    assert check(desk).ok
