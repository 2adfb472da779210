"""Pieces of File > 导入订单 that are not the dialog's flow: picking the file without a nested
event loop, the preview and problem tables, the wording of counts and time left.

Everything the owner reads is translated here (context ``ImportDialog``); the import's own
reasons come from the service in both languages and are picked by the UI language.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from ...services.imports import COLUMNS, REQUIRED, RowProblem
from ...services.imports.preview import FilePreview, column_names
from ..i18n import pick, ui_lang
from ..qt import (
    QAbstractItemView,
    QBrush,
    QColor,
    QCoreApplication,
    QFileDialog,
    QHeaderView,
    QMenu,
    Qt,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

#: What the file dialogs offer: the formats ``orders import`` reads (by content, not by name).
TABLE_FILES = "*.csv *.txt *.tsv *.xlsx *.xlsm"
UNKNOWN_BG = "#fdecea"
PROBLEM_ROWS_SHOWN = 1000


translate = QCoreApplication.translate


def number(value: int) -> str:
    """A count as the owner reads it: 12,000."""
    return f"{value:,}"


def field_label(code: str | None, header: str = "x") -> str:
    """The desk's name of an import column in the UI language: 实付金额 / paid_amount."""
    if code is None:
        return translate("ImportDialog", "不认识")
    if not code:
        return translate("ImportDialog", "（无表头）") if not header else translate("ImportDialog", "不导入")
    zh, en = column_names(code)
    return en if ui_lang() == "en" else zh


def time_left(seconds: float) -> str:
    if seconds < 60:
        return translate("ImportDialog", "约剩 {n} 秒").format(n=max(1, round(seconds)))
    return translate("ImportDialog", "约剩 {m} 分 {s} 秒").format(m=int(seconds // 60), s=int(seconds % 60))


async def choose_file(parent: QWidget | None, folder: str = "") -> Path | None:
    """An open-file dialog shown window-modal and awaited (no nested event loop)."""
    dialog = QFileDialog(parent, translate("ImportDialog", "选择要导入的订单文件"), folder,
                         translate("ImportDialog", "表格文件 ({patterns})").format(patterns=TABLE_FILES) + ";;" + translate("ImportDialog", "所有文件 (*)"))
    dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
    return await _await_file(dialog)


async def choose_save_file(parent: QWidget | None, suggested: Path) -> Path | None:
    dialog = QFileDialog(parent, translate("ImportDialog", "保存被拒绝的行"), str(suggested), translate("ImportDialog", "CSV 文件 (*.csv)"))
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setDefaultSuffix("csv")
    return await _await_file(dialog)


def resolve(done: asyncio.Future[int], code: int) -> None:
    """Settle a dialog's future once (``finished`` may come again as the dialog is deleted)."""
    if not done.done():
        done.set_result(code)


async def _await_file(dialog: QFileDialog) -> Path | None:
    done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    dialog.finished.connect(lambda code: resolve(done, code))
    dialog.open()
    try:
        accepted = await done == int(QFileDialog.DialogCode.Accepted)
        files = dialog.selectedFiles()
        return Path(files[0]) if accepted and files else None
    finally:
        dialog.deleteLater()


def _table(parent: QWidget, columns: int) -> QTableWidget:
    table = QTableWidget(0, columns, parent)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setWordWrap(False)
    table.setAlternatingRowColors(True)
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
    return table


def preview_table(parent: QWidget) -> QTableWidget:
    table = _table(parent, 0)
    table.verticalHeader().setVisible(True)
    table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    return table


def fill_preview(table: QTableWidget, preview: FilePreview) -> None:
    """The first rows under two-line headers: the file's column, then what the desk reads it as
    (unknown columns tinted); the row numbers are Excel's."""
    columns = preview.columns
    table.clear()
    table.setColumnCount(len(columns))
    table.setRowCount(len(preview.rows))
    for match in columns:
        label = f"{_elided(match.header) or '—'}\n→ {field_label(match.code, match.header)}"
        item = QTableWidgetItem(label)
        if match.code is None:
            item.setBackground(QBrush(QColor(UNKNOWN_BG)))
            item.setForeground(QBrush(QColor("#a32020")))
            item.setToolTip(translate("ImportDialog", "订单台不认识这一列的表头：点它选择对应的字段，或选「不导入这一列」"))
        else:
            item.setToolTip(translate("ImportDialog", "点列标题可以改它对应的字段"))
        table.setHorizontalHeaderItem(match.position, item)
    table.setVerticalHeaderLabels([str(number_) for number_, _ in preview.rows])
    for row, (_, cells) in enumerate(preview.rows):
        for column, text in enumerate(cells[:len(columns)]):
            table.setItem(row, column, QTableWidgetItem(text))
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    table.resizeColumnsToContents()
    for column in range(len(columns)):
        table.setColumnWidth(column, min(table.columnWidth(column), 220))


def _elided(text: str) -> str:
    return text if len(text) <= 40 else text[:39] + "…"


def field_menu(parent: QWidget, current: str | None) -> QMenu:
    """The fields a file column can be read as (required ones marked), and 不导入这一列."""
    menu = QMenu(parent)
    for code in COLUMNS:
        label = field_label(code)
        if ui_lang() != "en":
            label += f"  {code}"
        if code in REQUIRED:
            label += translate("ImportDialog", "（必需）")
        action = menu.addAction(label)
        action.setData(code)
        action.setCheckable(True)
        action.setChecked(code == current)
    menu.addSeparator()
    skip = menu.addAction(translate("ImportDialog", "不导入这一列"))
    skip.setData("")
    skip.setCheckable(True)
    skip.setChecked(current == "")
    return menu


def problems_table(parent: QWidget) -> QTableWidget:
    table = _table(parent, 4)
    table.setHorizontalHeaderLabels([translate("ImportDialog", "行"), translate("ImportDialog", "列"), translate("ImportDialog", "值"), translate("ImportDialog", "原因")])
    table.verticalHeader().setVisible(False)
    header = table.horizontalHeader()
    for column in range(3):
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    table.setColumnWidth(0, 70)
    table.setColumnWidth(1, 110)
    table.setColumnWidth(2, 200)
    return table


def fill_problems(table: QTableWidget, problems: list[RowProblem]) -> None:
    shown = problems[:PROBLEM_ROWS_SHOWN]
    table.setRowCount(len(shown))
    for row, problem in enumerate(shown):
        reason = pick(problem.zh, problem.en)
        cells = [str(problem.row), field_label(problem.column) if problem.column else translate("ImportDialog", "整行"), problem.value, reason]
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            if column == 0:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(row, column, item)
