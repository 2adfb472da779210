"""Findings of a new user's first afternoon with imports, each as the file that showed it.

Every test imports a real file into a real store and looks at what was stored and said.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from kashop_desktop.services.desk import Desk
from kashop_desktop.services.imports import Outcome, import_file
from kashop_desktop.store.models import Order

from .files import Date, Day, header_cells, write_xlsx

HEADER = header_cells()


def xlsx_row(no: str, buyer: object, created: object = None) -> list[object]:
    return [no, created or Date(datetime(2026, 11, 18, 9, 0)), "王者荣耀点券 60点", "卡密", "6.00", "已支付",
            Date(datetime(2026, 11, 18, 9, 1)), "支付宝", f"T{no}", buyer]


def test_contacts_in_number_cells_are_refused_with_the_text_hint(desk: Desk, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "buyers.xlsx", [HEADER, xlsx_row("L1", 1012345678), xlsx_row("L2", 13800138000),
                                                 xlsx_row("L3", 1.38001e10), xlsx_row("L4", "13800138000")])
    report = import_file(desk, path)
    assert report.outcome is Outcome.PARTIAL and report.inserted == 1
    assert {(p.row, p.column) for p in report.problems} == {(2, "buyer"), (3, "buyer"), (4, "buyer")}
    assert all("文本" in p.zh and "as Text" in p.en for p in report.problems)
    assert [(o.order_no, o.buyer) for o in Order.select()] == [("L4", "13800138000")]


def test_a_date_only_cell_in_a_date_time_column_is_refused(desk: Desk, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "dates.xlsx", [HEADER, xlsx_row("D1", "a@b.cn", Day(datetime(2026, 11, 18))),
                                                xlsx_row("D2", "a@b.cn", Date(datetime(2026, 11, 18)))])
    report = import_file(desk, path)
    assert [(p.row, p.column) for p in report.problems] == [(2, "created_at")]
    assert "没有时刻" in report.problems[0].zh and "without a time" in report.problems[0].en
    assert [o.order_no for o in Order.select()] == ["D2"]  # a date-time cell at midnight is a time
