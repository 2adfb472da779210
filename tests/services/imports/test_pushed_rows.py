"""A value with an unquoted comma pushes the values after it one column on. Where that leaves
the row wider than the header with only empty cells beyond it (the last value pushed into a
column the desk does not import), the row is refused naming the comma, not imported with its
buyer's phone lost; a file whose every row ends in an empty cell (an exporter that ends each
line with a delimiter) imports as before."""

from __future__ import annotations

from pathlib import Path

from kashop_desktop.services.desk import Desk
from kashop_desktop.services.imports import import_file

from .files import write_csv

HEADER = "订单号,下单时间,商品,商品类型,实付金额,状态,支付时间,支付方式,交易号,买家,备注"


def _row(n: int, buyer: str = "13800138000") -> str:
    return f"KS{n},2026-11-18 09:00,月卡,直充,25.00,已支付,2026-11-18 09:05,支付宝,20261118220{n},{buyer},"


def test_a_pushed_row_is_refused(desk: Desk, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "pushed.csv", [HEADER, _row(1), _row(2, "张三,13800138009"), _row(3)])
    report = import_file(desk, path)
    assert (report.inserted, report.refused) == (2, 1)
    problem = report.problems[0]
    assert problem.row == 3 and problem.column == "" and "unquoted comma" in problem.en
    assert "张三,13800138009" in problem.value
    assert desk.db.execute_sql("SELECT COUNT(*) FROM orders WHERE order_no = 'KS2'").fetchone()[0] == 0


def test_every_row_ending_in_a_delimiter_imports(desk: Desk, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "trailing.csv", [HEADER, *(_row(n) + "," for n in range(1, 4))])
    report = import_file(desk, path)
    assert (report.inserted, report.refused) == (3, 0)


def test_a_pushed_row_among_rows_ending_in_a_delimiter_is_refused(desk: Desk, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "trailing.csv", [HEADER, _row(1) + ",", _row(2, "张三,13800138009") + ",", _row(3) + ","])
    report = import_file(desk, path)
    assert (report.inserted, report.refused) == (2, 1) and report.problems[0].row == 3


def test_a_first_row_with_a_value_past_the_header_sets_no_width(desk: Desk, tmp_path: Path) -> None:
    """The buyer last, every row ending in a delimiter, the first row's buyer split in two: that
    row is refused for its value past the header, and the good rows after it are not."""
    header = HEADER.removesuffix(",备注")
    rows = [_row(n).removesuffix(",") + "," for n in range(1, 4)]
    rows[0] = rows[0].replace("13800138000", "张三,13800138000")
    report = import_file(desk, write_csv(tmp_path / "first.csv", [header, *rows]))
    assert (report.inserted, report.refused) == (2, 1) and report.problems[0].row == 2
