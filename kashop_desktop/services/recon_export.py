"""The reconciliation report as a CSV or XLSX file for the owner's accountant.

Ids (order no, trade no) stay text: in XLSX they are string cells formatted as text (``@``); in
CSV they are written ``="..."``, so a spreadsheet does not turn a 19-digit trade no into
2.02407E+18 and no tab trails them (a trailing tab, as Alipay's bills have, breaks lookups). No cell can run as a formula (CSV/formula injection, OWASP): text that
starts with ``= + - @`` or a tab/CR gets a leading apostrophe. Amounts are yuan with two decimals
(the file is read by people); CSV is UTF-8 with a byte-order mark so Excel reads the Chinese.
"""

from __future__ import annotations

import csv
from pathlib import Path

from ..domain.money import format_yuan
from ..domain.roles import Right
from .desk import Desk
from .outfiles import check_output, write_atomically
from .payments import OUTCOMES
from .reconcile import ReconReport

HEADER_ZH = ["网关", "日期", "差异", "商户订单号", "本店订单号", "交易号", "网关金额", "本店金额", "处理", "说明"]
HEADER_EN = ["gateway", "date", "difference", "out_trade_no", "order no", "trade no", "gateway amount",
             "desk amount", "handled", "note"]
ID_COLUMNS = (3, 4, 5)
MARKS = {"": ("待处理", "open"), "fixed": ("已修正", "fixed"), "explained": ("已说明", "explained")}


def safe_text(value: str) -> str:
    """A cell that a spreadsheet will show, never evaluate."""
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


def text_formula(value: str) -> str:
    """An id as ``="..."``: Excel and WPS show the text itself (a 19-digit trade no stays whole,
    nothing trails it), lookups match it, and the desk's import unwraps it
    (services.imports.cells.unwrap_excel_text). The value sits inside a string literal, so it
    cannot run as anything."""
    return '="' + value.replace('"', '""') + '"'


def rows(report: ReconReport, *, english: bool = False) -> list[list[str]]:
    out = []
    for d in report.differences:
        mark = MARKS.get(d.mark, (d.mark, d.mark))
        note = d.mark_note
        if d.mark == "fixed" and note in OUTCOMES:  # a fix keeps the outcome's code
            note = OUTCOMES[note][1 if english else 0]
        out.append([report.gateway, report.day.isoformat(), d.en if english else d.zh, d.out_trade_no,
                    d.order_no or "", d.trade_no or "",
                    "" if d.gateway_fen is None else format_yuan(d.gateway_fen),
                    "" if d.desk_fen is None else format_yuan(d.desk_fen),
                    mark[1] if english else mark[0], note])
    return out


def export_target(desk: Desk, path: Path, *, force: bool = False) -> Path:
    """Whether the operator may export and ``path`` may be written, before anything is asked
    of the gateway or fixed: the export right (clerk, owner: PermissionRefused) and
    ``outfiles.check_output`` (.csv or .xlsx, not inside the data folder, an existing file only
    with ``force``: OutputRefused). Returns the path to write."""
    desk.require(Right.EXPORT)
    return check_output(desk.data_dir, path, force=force, suffixes=(".csv", ".xlsx"))


def export_report(desk: Desk, report: ReconReport, path: Path, *, force: bool = False,
                  english: bool = False) -> Path:
    """Write the report to ``path`` (.csv or .xlsx) once ``export_target`` allows it. Raises
    PermissionRefused, OutputRefused, or DomainError(file_unwritable)."""
    target = export_target(desk, path, force=force)
    header = HEADER_EN if english else HEADER_ZH
    body = rows(report, english=english)
    if target.suffix.lower() == ".csv":
        return write_atomically(target, lambda tmp: _write_csv(tmp, header, body), replace=force)
    return write_atomically(target, lambda tmp: _write_xlsx(tmp, header, body), replace=force)


def _write_csv(path: Path, header: list[str], body: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in body:
            writer.writerow([text_formula(c) if i in ID_COLUMNS and c else safe_text(c) for i, c in enumerate(row)])


def _write_xlsx(path: Path, header: list[str], body: list[list[str]]) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "对账"
    sheet.append(header)
    for r, row in enumerate(body, start=2):
        for c, value in enumerate(row, start=1):
            cell = sheet.cell(row=r, column=c)
            cell.value = safe_text(value)
            cell.data_type = "s"  # text, whatever it looks like: never a number or a formula
            if c - 1 in ID_COLUMNS:
                cell.number_format = "@"
    for column, width in zip("ABCDEFGHIJ", (14, 12, 30, 26, 26, 32, 12, 12, 10, 30), strict=True):
        sheet.column_dimensions[column].width = width
    book.save(path)
