"""File > 导出订单 (Ctrl+E, or 导出… on the orders page): the list as it is shown, to CSV or XLSX.

The dialog says which list it exports (tab, search, dates) and how many orders, asks for the
format and the file, then writes it on a thread of its own (not the database worker: a million
rows take a while and the window's own reads and writes go on meanwhile), with a progress bar,
the time left and 取消 that stops the export: the file is written under a temporary name and
only a finished one is renamed into place (``services.exports``), so a cancelled export leaves
nothing behind. Where it may write is ``services.outfiles.check_output``'s rule, checked on
every edit of the path: never inside the data folder, and a file that exists is replaced only
when the owner chose it in 浏览… (the save dialog asked) or ticked 替换已存在的文件.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

from ...domain.clock import from_epoch
from ...domain.errors import DomainError
from ...services import exports
from ...services.exports import ExportCancelled, ExportProgress, ExportResult
from ...services.outfiles import check_output
from ...services.views import OrderFilter
from ..context import DeskContext
from ..i18n import product_type_label, status_label
from ..qt import (
    QButtonGroup,
    QCheckBox,
    QCoreApplication,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QObject,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
    Signal,
)
from .base import OpDialog, error_text, ui_language


def describe_list(flt: OrderFilter) -> str:
    """Which list an export holds, in words: the tab, the search, the dates."""
    translate = QCoreApplication.translate
    tab = status_label(flt.status) or translate("ExportDialog", "全部订单")
    parts = [translate("ExportDialog", "导出订单列表：{tab}").format(tab=tab)]
    if flt.search:
        parts.append(translate("ExportDialog", "搜索：{text}").format(text=flt.search))
    if flt.date_from is not None or flt.date_to is not None:
        first = from_epoch(flt.date_from)
        last = from_epoch(flt.date_to - 1) if flt.date_to is not None else None
        parts.append(translate("ExportDialog", "日期：{start} 至 {end}").format(
            start=f"{first:%Y-%m-%d}" if first else "…", end=f"{last:%Y-%m-%d}" if last else "…"))
    if flt.product_type:
        parts.append(translate("ExportDialog", "类型：{kind}").format(kind=product_type_label(flt.product_type)))
    return translate("ExportDialog", "，").join(parts)


#: Seconds an exported row takes, by format (README: 1,000,000 rows to CSV ~25 s, to XLSX ~26 s,
#: measured at load 5 on two shared cores).
ROW_SECONDS = {"csv": 25e-6, "xlsx": 30e-6}


class _Relay(QObject):
    """Carries the export thread's progress to the window's thread (a queued signal)."""

    progress = Signal(object)


class ExportDialog(OpDialog):
    """Export ``flt`` (the orders page's list); ``described`` says in words which list it is."""

    def __init__(self, parent: QWidget | None, ctx: DeskContext, flt: OrderFilter, described: str) -> None:
        super().__init__(parent, ctx)
        self.flt = flt
        self.total: int | None = None
        self.stop = threading.Event()
        self.exporting = False
        self.outcome = ""  # what the last export came to (a cancel), shown until the next edit
        self.confirmed = ""  # a path the owner chose in the save dialog, which asked before replacing
        self.place_problem: str | None = None  # why the path is no place to write (outfiles), or None
        self.relay = _Relay(self)
        self.relay.progress.connect(self._show_progress)
        self.setWindowTitle(self.tr("导出订单"))
        self.setMinimumWidth(520)
        self._build(described)
        self.ok_button.setText(self.tr("导出"))
        self.revalidate()
        ctx.start(self._count())

    def _build(self, described: str) -> None:
        layout = QVBoxLayout(self)
        self.what = QLabel(described)
        self.what.setWordWrap(True)
        layout.addWidget(self.what)
        form = QFormLayout()
        formats = QHBoxLayout()
        self.csv_radio = QRadioButton(self.tr("CSV（Excel、WPS 都能打开）"))
        self.xlsx_radio = QRadioButton(self.tr("Excel 工作簿（.xlsx）"))
        self.csv_radio.setChecked(True)
        self.format_group = QButtonGroup(self)
        for radio in (self.csv_radio, self.xlsx_radio):
            self.format_group.addButton(radio)
            formats.addWidget(radio)
            radio.toggled.connect(self._on_format)
        formats.addStretch(1)
        form.addRow(self.tr("格式："), formats)
        where = QHBoxLayout()
        self.path_edit = QLineEdit(str(Path.home() / self.tr("订单导出.csv")))
        self.browse = QPushButton(self.tr("浏览…"))
        self.browse.clicked.connect(self._browse)
        where.addWidget(self.path_edit, 1)
        where.addWidget(self.browse)
        form.addRow(self.tr("保存到："), where)
        self.replace_box = QCheckBox(self.tr("替换已存在的文件"))
        self.replace_box.hide()
        form.addRow("", self.replace_box)
        layout.addLayout(form)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress_label = QLabel(self.tr("表头为中文；窗口为英文时为英文。金额以元为单位，时间为北京时间。"))
        self.progress_label.setWordWrap(True)
        self.progress_label.setStyleSheet("color:#5b6670;")
        layout.addWidget(self.progress)
        layout.addWidget(self.progress_label)
        layout.addWidget(self.message)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.watch(self.path_edit, self.replace_box)

    # ---- inputs --------------------------------------------------------------------------------
    @property
    def fmt(self) -> str:
        return "xlsx" if self.xlsx_radio.isChecked() else "csv"

    @property
    def path(self) -> Path:
        return Path(self.path_edit.text().strip()).expanduser()

    def _on_format(self, checked: bool) -> None:
        if not checked:
            return
        self.outcome = ""
        text = self.path_edit.text().strip()
        stem, dot, suffix = text.rpartition(".")
        if dot and suffix.lower() in exports.FORMATS:
            self.path_edit.setText(f"{stem}.{self.fmt}")
        self.revalidate()

    def _browse(self) -> None:
        wanted = self.tr("Excel 工作簿 (*.xlsx)") if self.fmt == "xlsx" else self.tr("CSV 文件 (*.csv)")
        chosen, _ = QFileDialog.getSaveFileName(self, self.tr("导出到"), str(self.path), wanted)
        if chosen:
            self.confirmed = chosen
            self.path_edit.setText(chosen)

    @property
    def replace_confirmed(self) -> bool:
        """Whether the owner agreed to replace the file at the path (save dialog or tick box)."""
        text = self.path_edit.text().strip()
        return bool(text) and (text == self.confirmed or self.replace_box.isChecked())

    def problem(self) -> str | None:
        if not self.path_edit.text().strip():
            return self.tr("请选择要保存的文件")
        if self.place_problem is not None:
            return self.place_problem
        if self.path.is_file() and not self.replace_confirmed:
            return self.tr("文件已存在：{name}。勾选“替换已存在的文件”才会覆盖它，或换一个文件名").format(
                name=self.path.name)
        return None

    def refresh(self) -> None:
        self.place_problem = None
        try:
            check_output(self.ctx.desk.data_dir, self.path, force=True)
        except DomainError as exc:
            self.place_problem = error_text(exc)
        replacing = bool(self.path_edit.text().strip()) and self.path.is_file() and self.place_problem is None
        self.replace_box.setVisible(replacing and self.path_edit.text().strip() != self.confirmed)
        self.ok_button.setText(self.tr("覆盖并导出") if replacing else self.tr("导出"))
        if not self.exporting and self.total and not self.outcome:
            self.progress_label.setText(self.estimate())

    def edited(self, *args: object) -> None:
        self.outcome = ""  # a new choice: the estimate again instead of the last outcome
        super().edited(*args)

    def estimate(self) -> str:
        """About how long the export takes (rates measured on the 2-core test machine under load)."""
        seconds = max(1, round((self.total or 0) * ROW_SECONDS[self.fmt]))
        return self.tr("预计用时约 {time}").format(time=f"{seconds // 60}:{seconds % 60:02d}")

    def update_actions(self) -> None:
        for widget in (self.csv_radio, self.xlsx_radio, self.path_edit, self.browse, self.replace_box):
            widget.setEnabled(not self.busy)
        if self.exporting:  # 取消 stops the export
            self.cancel_button.setEnabled(not self.stop.is_set())

    # ---- the export ----------------------------------------------------------------------------
    async def _count(self) -> None:
        self.total = await self.ctx.run(exports.export_total, self.ctx.desk, self.flt)
        count = self.tr("共 {n} 条订单", "", self.total).format(n=f"{self.total:,}")
        self.what.setText(self.what.text() + "\n" + count)
        self.revalidate()

    async def perform(self) -> ExportResult | None:
        self.outcome = ""
        self.stop.clear()
        self.progress.setRange(0, max(1, self.total or 1))
        self.progress.setValue(0)
        self.progress_label.setText(self.tr("正在导出…"))
        path, fmt, force = self.path, self.fmt, self.replace_confirmed
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(None, self._export, path, fmt, force)
        except ExportCancelled:
            self.outcome = self.tr("已取消，没有留下文件")
            return None
        except Exception:
            self.outcome = self.tr("没有导出，没有留下文件")
            raise
        finally:
            self.exporting = False
            if self.outcome:  # the bar and the line say the export did not finish
                self.progress_label.setText(self.outcome)
                self.progress.setValue(0)

    def _export(self, path: Path, fmt: str, force: bool) -> ExportResult:
        """On the export's own thread, with its own connection (closed at the end)."""
        desk = self.ctx.desk
        try:
            return exports.export_orders(desk, self.flt, path, fmt, lang=ui_language(), force=force,
                                         progress=self.relay.progress.emit, cancelled=self.stop.is_set)
        finally:
            desk.close()

    def _show_progress(self, p: ExportProgress) -> None:
        if not self.exporting:
            return
        self.progress.setRange(0, max(1, p.total))
        self.progress.setValue(p.done)
        text = self.tr("已导出 {done} / {total} 条").format(done=f"{p.done:,}", total=f"{p.total:,}")
        if p.left is not None and p.done < p.total:
            left = round(p.left)
            text += self.tr("，剩余约 {time}").format(time=f"{left // 60}:{left % 60:02d}")
        self.progress_label.setText(text)

    def reject(self) -> None:
        if self.exporting:
            self.stop.set()  # the export stops at its next chunk; the dialog stays for the outcome
            self.progress_label.setText(self.tr("正在取消…"))
            self.update_actions()
            return
        super().reject()

    async def submit(self) -> bool:
        """Export; close with the result when the file is written, stay open after a cancel."""
        if self.busy or self.problem() is not None:
            return False
        self.exporting = True  # before run_step locks the inputs: 取消 stays enabled to stop it
        ok, result = await self.run_step(self.perform)
        if ok and result is not None:
            self.result_value = result
            self.accept()
        return ok

    @classmethod
    async def ask(cls, parent: QWidget | None, ctx: DeskContext, flt: OrderFilter,
                  described: str) -> ExportResult | None:
        dialog = cls(parent, ctx, flt, described)
        try:
            result: Any = await dialog.wait()
            return result if isinstance(result, ExportResult) else None
        finally:
            dialog.deleteLater()
