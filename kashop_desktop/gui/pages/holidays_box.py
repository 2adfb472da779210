"""Settings > Holidays: where each year's holidays come from, and loading next year's schedule.

chinese-calendar ships the years the State Council had published; for a later year only the
fixed-date holidays are known and dates computed across it are shown as 约 (approximate). The
owner loads the State Council's schedule from a JSON or CSV file (format: README "Holidays",
``domain.holidays``); open deadlines and refund ETAs are re-computed at once.
"""

from __future__ import annotations

from pathlib import Path

from ...domain.errors import DomainError
from ...services import holidays
from ...services.changes import Changes
from ..context import DeskContext
from ..dialogs.base import InlineMessage, describe
from ..qt import QComboBox, QFileDialog, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget


class HolidaysBox(QGroupBox):
    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("法定节假日"), parent)
        self.ctx = ctx
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        hint = QLabel(self.tr("国务院公布新一年的放假安排后，可在内置数据更新前先导入（JSON 或 CSV：日期、休/班、名称）。"
                              "未知年份里按工作日推算的日期标为“约”。"), self)
        hint.setWordWrap(True)
        hint.setStyleSheet("color:#555;")
        self.load_button = QPushButton(self.tr("导入放假安排…"), self)
        self.load_button.clicked.connect(self.choose_file)
        self.loaded_years = QComboBox(self)
        self.remove_button = QPushButton(self.tr("移除所选年份"), self)
        self.remove_button.clicked.connect(lambda: self.ctx.start(self.remove_selected()))
        self.message = InlineMessage(self)
        buttons = QHBoxLayout()
        buttons.addWidget(self.load_button)
        buttons.addStretch(1)
        buttons.addWidget(self.loaded_years)
        buttons.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(hint)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        self.refresh()

    def source_text(self, view: holidays.YearView) -> str:
        if view.source == "loaded":
            return self.tr("{year} 年：已导入（{holidays} 天假日，{workdays} 个调休上班日）").format(
                year=view.year, holidays=len(view.holidays), workdays=len(view.workdays))
        if view.source == "package":
            return self.tr("{year} 年：内置数据").format(year=view.year)
        return self.tr("{year} 年：仅知元旦、劳动节、国庆节，其余日期为约数").format(year=view.year)

    def refresh(self) -> None:
        years = holidays.years(self.ctx.desk)
        self.summary.setText("\n".join(self.source_text(y) for y in years))
        self.loaded_years.clear()
        for view in years:
            if view.source == "loaded":
                self.loaded_years.addItem(str(view.year), view.year)
        # Removing is offered only once something was loaded.
        self.loaded_years.setHidden(self.loaded_years.count() == 0)
        self.remove_button.setHidden(self.loaded_years.count() == 0)

    def choose_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, self.tr("导入放假安排"), str(Path.home()),
                                              self.tr("放假安排 (*.json *.csv)"))
        if name:
            self.ctx.start(self.load_file(Path(name)))

    async def load_file(self, path: Path) -> Changes | None:
        self.load_button.setEnabled(False)
        try:
            result: tuple[Changes, list[int]] = await self.ctx.op(holidays.load, path)
        except DomainError as exc:
            self.message.show_message(describe(exc))
            return None
        finally:
            self.load_button.setEnabled(True)
        changes, years = result
        self.refresh()
        self.message.show_message(self.tr("已导入 {years} 年的放假安排；{requests} 个申请的处理时限、{refunds} 笔退款的"
                                          "预计到账日已重新计算。").format(
            years=", ".join(str(y) for y in years), requests=len(changes.request_ids),
            refunds=len(changes.refund_ids)), "ok")
        return changes

    async def remove_selected(self) -> Changes | None:
        year = self.loaded_years.currentData()
        if year is None:
            return None
        changes: Changes = await self.ctx.op(holidays.remove_year, int(year))
        self.refresh()
        self.message.show_message(self.tr("已移除 {year} 年的导入安排。").format(year=year), "ok")
        return changes
