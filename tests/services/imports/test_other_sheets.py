"""An XLSX with more than one worksheet holding rows: the first is imported, and the import says
which others were not (never a silent loss of the rows on 订单2, as the desk's own export of more
than 1,048,575 orders writes them)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from kashop_desktop.services.desk import Desk
from kashop_desktop.services.imports import Outcome, import_file
from kashop_desktop.services.imports.preview import preview_file
from tests.services.imports.files import HEADER_ZH, paid_row

pytestmark = pytest.mark.sqlite_only(reason="the file read is the subject; the store is the same on either")


def workbook(path: Path, sheets: dict[str, int]) -> Path:
    """A workbook (openpyxl's writer, as a spreadsheet program saves one) with one worksheet per
    name, each holding the header and that many paid rows (order nos numbered across sheets)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    n = 100
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        if rows >= 0:
            sheet.append(HEADER_ZH.split(","))
        for _ in range(rows):
            sheet.append(paid_row(n).split(","))
            n += 1
    book.save(path)
    return path


def test_only_the_first_sheet_is_imported_and_the_others_are_named(desk: Desk, tmp_path: Path) -> None:
    path = workbook(tmp_path / "two.xlsx", {"订单": 5, "订单2": 7, "空表": -1})
    preview = preview_file(path)
    assert preview.other_sheets == (("订单2", 8),)
    report = import_file(desk, path)
    assert report.inserted == 5 and report.outcome is Outcome.PARTIAL  # exit 3: the file is in only in part
    zh, en = report.notes[-1]
    assert "「订单2」（约 8 行）" in zh and "没有导入" in zh
    assert "'订单2' (about 8 rows)" in en and "were not" in en


def test_a_workbook_of_one_sheet_has_no_such_note(desk: Desk, tmp_path: Path) -> None:
    path = workbook(tmp_path / "one.xlsx", {"订单": 3, "说明": 0})  # a header alone is no rows
    assert preview_file(path).other_sheets == ()
    report = import_file(desk, path)
    assert report.inserted == 3 and not report.notes and report.outcome is Outcome.ALL
