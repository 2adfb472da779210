"""File > 恢复备份: pick one of the backups (date, size, kind) to put back as the data file.

The dialog only chooses. A backup older than refunds sent or settled, payments, deliveries or
codes sold since says what it would roll back, and is chosen only once the owner ticks that they
checked; a backup whose card codes are sealed under another key (another shop's) cannot be chosen. The restore itself (``services.maintenance.restore``: the backup is
checked through and through first, the current file is set aside, never deleted) runs between
two windows, when no connection to the store is open (gui/app.py). Two entry points: ``ask``
inside the running window (window-modal, no nested event loop) and ``ask_modal`` before the
window exists (the store was refused at start), where no asyncio loop runs yet.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

from ...domain.clock import SHOP_TZ
from ...domain.errors import DomainError
from ...services import maintenance
from ..i18n import error_text
from ..qt import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    Qt,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)


class RestoreBackupDialog(QDialog):
    """Lists ``data_dir/backups`` newest first; ``chosen`` is the selected backup after OK."""

    def __init__(self, parent: QWidget | None, data_dir: Path, problem: str = "") -> None:
        super().__init__(parent)
        self.data_dir = data_dir
        self.backups = maintenance.list_backups(data_dir)
        self.chosen: Path | None = None
        self.refusal: DomainError | None = None  # the selected backup can never be restored (another key)
        self.setWindowTitle(self.tr("恢复备份"))
        layout = QVBoxLayout(self)
        if problem:
            self.problem = QLabel(problem, self)
            self.problem.setWordWrap(True)
            self.problem.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.problem.setStyleSheet("QLabel{background:#fdecea;border:1px solid #e0a0a0;padding:6px;}")
            layout.addWidget(self.problem)
        self.explain = QLabel(self.tr(
            "选择要恢复的备份。恢复前会完整检查备份；当前数据文件会移到“{folder}”文件夹保留，不会删除。"
            "备份之后新增或改动的订单不在备份里。").replace("{folder}", str(data_dir / maintenance.SET_ASIDE_DIR)), self)
        self.explain.setWordWrap(True)
        layout.addWidget(self.explain)
        self.table = self._table()
        layout.addWidget(self.table)
        self.empty = QLabel(self.tr("备份文件夹 {folder} 里还没有备份。").replace(
            "{folder}", str(data_dir / "backups")), self)
        self.empty.setVisible(not self.backups)
        layout.addWidget(self.empty)
        # A backup older than refunds sent or settled since would forget them: name them, ask.
        self.refunds_warning = QLabel(self)
        self.refunds_warning.setWordWrap(True)
        self.refunds_warning.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.refunds_warning.setStyleSheet("QLabel{background:#fdecea;border:1px solid #e0a0a0;padding:6px;}")
        self.refunds_warning.hide()
        layout.addWidget(self.refunds_warning)
        self.refunds_ack = QCheckBox(self.tr("我已核对这些变动，仍要恢复这个备份"), self)
        self.refunds_ack.hide()
        self.refunds_ack.toggled.connect(self._update_ok)
        layout.addWidget(self.refunds_ack)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(self.tr("恢复所选备份"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("取消"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        if self.backups:
            self.table.selectRow(0)
        self._selection_changed()
        self.resize(760, 420)

    def _table(self) -> QTableWidget:
        kinds = {"auto": self.tr("每日自动"), "manual": self.tr("手动"), "migration": self.tr("升级前")}
        table = QTableWidget(len(self.backups), 4, self)
        table.setHorizontalHeaderLabels([self.tr("备份时间"), self.tr("大小"), self.tr("类型"), self.tr("文件")])
        for row, backup in enumerate(self.backups):
            when = datetime.fromtimestamp(backup.taken_at, SHOP_TZ).strftime("%Y-%m-%d %H:%M")
            cells = [when, _size(backup.size), kinds[backup.kind], backup.path.name]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(str(backup.path))
                if column == 1:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                table.setItem(row, column, item)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().setVisible(False)
        header = table.horizontalHeader()
        for column in range(3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        return table

    def _selection_changed(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        path = self.backups[rows[0].row()].path if rows else None
        self.refusal = maintenance.restore_refusal(self.data_dir, path) if path else None
        warning = self.refusal or (maintenance.restore_warning(self.data_dir, path, command_line=False) if path else None)
        self.refunds_warning.setText(error_text(warning) if warning else "")
        self.refunds_warning.setVisible(warning is not None)
        self.refunds_ack.setChecked(False)
        self.refunds_ack.setVisible(warning is not None and self.refusal is None)
        self._update_ok()

    def _update_ok(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        self.ok_button.setEnabled(bool(rows) and self.refusal is None
                                  and (self.refunds_ack.isHidden() or self.refunds_ack.isChecked()))

    def accept(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or not self.ok_button.isEnabled():
            return
        self.chosen = self.backups[rows[0].row()].path
        super().accept()

    # ---- entry points ----------------------------------------------------------------------------
    @classmethod
    async def ask(cls, parent: QWidget | None, data_dir: Path) -> Path | None:
        """Inside the running window: show window-modal and return the chosen backup (None: cancelled)."""
        dialog = cls(parent, data_dir)
        done: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def finished(code: int) -> None:
            if not done.done():
                done.set_result(code)

        dialog.finished.connect(finished)
        dialog.open()
        try:
            await done
            return dialog.chosen
        finally:
            dialog.deleteLater()

    @classmethod
    def ask_modal(cls, data_dir: Path, problem: str) -> Path | None:
        """Before the window exists (no event loop runs yet): a plain modal dialog."""
        dialog = cls(None, data_dir, problem)
        try:
            dialog.exec()
            return dialog.chosen
        finally:
            dialog.deleteLater()


def _size(size: int) -> str:
    if size >= 1_048_576:
        return f"{size / 1_048_576:.1f} MB"
    return f"{max(size, 1024) // 1024} KB"
