"""报表: sales, refunds and cancellation reasons per day, week or month, in total or per
product, channel or gateway account, as a chart with the numbers in a table beside it.

Every report is read on the database worker from the summary tables (``services.reports``);
a newer choice made while one is being read wins (an older result is dropped). The page
reads again when an operation changed orders, requests or refunds, or another program (the
command line, an import) wrote to the store; a change while the page is hidden is read when it
is shown again. Dates stay in order (moving one past the other moves the other with it), a
split report lists each period's splits with their totals, and money is shown with thousands
separators. On a narrow window the table goes under the chart rather than scrolling sideways.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

from ...domain.money import format_yuan
from ...services import reports
from ...services.changes import Changes
from ...services.reports import Numbers, Report
from ..context import DeskContext
from ..i18n import pick
from ..qt import (
    QAbstractItemView,
    QComboBox,
    QDate,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    Qt,
    QTableWidget,
    QTableWidgetItem,
    QTimer,
    QVBoxLayout,
    QWidget,
)


def rate_text(bp: int | None) -> str:
    """Basis points as a percentage with two decimals (integers only)."""
    return "—" if bp is None else f"{bp // 100}.{bp % 100:02d}%"


def to_date(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


def to_qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def yuan(fen: int) -> str:
    """Money as the reports show it: ``¥941,810.00`` (thousands separated, exact from fen)."""
    return format_yuan(fen, symbol=True, grouped=True)


#: Below this many pixels of page width per column of the table, the table goes under the chart.
SIDE_BY_SIDE_CHART = 360


class ReportsPage(QWidget):
    """The reports screen; ``report`` is the one on show (None until the first is read)."""

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.report: Report | None = None
        self.loads = 0  # how many reads finished (tests wait on it)
        self._asked = 0  # the newest choice's number; an older read's result is dropped
        self.stale = False  # something changed while the page was hidden: read on show
        self._reload = QTimer(self)
        self._reload.setSingleShot(True)
        self._reload.setInterval(300)
        self._reload.timeout.connect(self.load)
        self._build()
        ctx.changed.connect(self._on_changed)
        self.load()

    # ---- building ------------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(self._build_controls())
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet("font-size: 11pt; padding: 4px 0;")
        layout.addWidget(self.summary)
        from .report_chart import ReportChart  # pyqtgraph and numpy load with this page only

        self.chart = ReportChart()
        self.table = QTableWidget()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.chart)
        self.splitter.addWidget(self.table)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        layout.addWidget(self.splitter, 1)

    def _combo(self, items: list[tuple[str, Any]]) -> QComboBox:
        combo = QComboBox()
        for text, data in items:
            combo.addItem(text, data)
        combo.currentIndexChanged.connect(lambda _i: self.load())
        return combo

    def _build_controls(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.kind = self._combo([(self.tr("销售"), "sales"), (self.tr("退款"), "refunds"),
                                 (self.tr("取消原因"), "reasons")])
        self.by = self._combo([(self.tr("按日"), "day"), (self.tr("按周"), "week"), (self.tr("按月"), "month")])
        self.split = self._combo([(self.tr("合计"), None), (self.tr("按商品"), "product"),
                                  (self.tr("按支付方式"), "channel"), (self.tr("按网关"), "gateway")])
        self.preset = QComboBox()
        for text, key in ((self.tr("近 7 天"), "7"), (self.tr("近 30 天"), "30"), (self.tr("近 90 天"), "90"),
                          (self.tr("本月"), "month"), (self.tr("今年"), "year"), (self.tr("自定义"), "custom")):
            self.preset.addItem(text, key)
        self.preset.setCurrentIndex(1)
        self.preset.currentIndexChanged.connect(self._on_preset)
        self.date_from, self.date_to = QDateEdit(), QDateEdit()
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setDateRange(to_qdate(reports.EARLIEST_DAY), to_qdate(reports.LATEST_DAY))
            edit.dateChanged.connect(self._on_dates_edited)
        widgets: list[QWidget] = [QLabel(self.tr("报表：")), self.kind, self.by, self.split]
        for widget in widgets:
            row.addWidget(widget)
        row.addSpacing(12)
        widgets = [self.preset, self.date_from, QLabel("—"), self.date_to]
        for widget in widgets:
            row.addWidget(widget)
        row.addStretch(1)
        self._set_range(*self._preset_range("30"))
        return row

    # ---- the range -----------------------------------------------------------------------------
    def _preset_range(self, key: str) -> tuple[date, date]:
        today = self.ctx.desk.now().date()
        if key == "month":
            return today.replace(day=1), today
        if key == "year":
            return today.replace(month=1, day=1), today
        return today - timedelta(days=int(key) - 1), today

    def _set_range(self, start: date, end: date) -> None:
        for edit, day in ((self.date_from, start), (self.date_to, end)):
            edit.blockSignals(True)
            edit.setDate(to_qdate(day))
            edit.blockSignals(False)

    def _on_preset(self, _index: int) -> None:
        key = self.preset.currentData()
        if key != "custom":
            self._set_range(*self._preset_range(key))
            self.load()

    def _on_dates_edited(self, _value: QDate) -> None:
        start, end = to_date(self.date_from.date()), to_date(self.date_to.date())
        if start > end:  # the date not being edited follows, so the range shown is the one read
            if self.sender() is self.date_to:
                self._set_range(end, end)
            else:
                self._set_range(start, start)
        self.preset.blockSignals(True)
        self.preset.setCurrentIndex(self.preset.findData("custom"))
        self.preset.blockSignals(False)
        self.load()

    def choice(self) -> tuple[str, date, date, str, str | None]:
        """(kind, start, end, by, split) as chosen (the dates are kept in order)."""
        start, end = to_date(self.date_from.date()), to_date(self.date_to.date())
        return self.kind.currentData(), start, end, self.by.currentData(), self.split.currentData()

    def view_state(self) -> dict[str, Any]:
        """The choices on show, for the page built again after a language switch."""
        kind, start, end, by, split = self.choice()
        return {"kind": kind, "by": by, "split": split, "preset": self.preset.currentData(), "range": (start, end)}

    def apply_view_state(self, state: dict[str, Any]) -> None:
        """Show the choices ``view_state`` gave (and read that report)."""
        for combo, key in ((self.kind, "kind"), (self.by, "by"), (self.split, "split"), (self.preset, "preset")):
            combo.blockSignals(True)
            combo.setCurrentIndex(max(0, combo.findData(state[key])))
            combo.blockSignals(False)
        self._set_range(*state["range"])
        self.load()

    # ---- reading -------------------------------------------------------------------------------
    def load(self) -> None:
        """Read the chosen report on the database worker (the newest choice wins)."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # no event loop runs (a bare widget): nothing can be read
            return
        self._asked += 1
        self.ctx.start(self._read(self._asked, self.choice()))

    async def _read(self, number: int, choice: tuple[str, date, date, str, str | None]) -> None:
        kind, start, end, by, split = choice
        result = await self.ctx.run(reports.report, self.ctx.desk, kind, start, end, by, split)
        if number != self._asked or self.chart.disposed:
            return  # a newer choice is being read, or the page is going
        self.report = result
        self.show_report(result)
        self.loads += 1

    def dispose(self) -> None:
        """Before the page goes (the window closes or is rebuilt): the chart taken apart first."""
        self._reload.stop()
        self._asked += 1  # a read still under way is dropped
        self.chart.dispose()

    def closeEvent(self, event: Any) -> None:
        self.dispose()
        super().closeEvent(event)

    def _on_changed(self, changes: Changes) -> None:
        if not (changes.order_ids or changes.request_ids or changes.refund_ids or changes.counts_changed
                or changes.outside):
            return
        if self.isVisible():
            self._reload.start()
        else:
            self.stale = True

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self.stale:
            self.stale = False
            self.load()

    # ---- showing -------------------------------------------------------------------------------
    def show_report(self, report: Report) -> None:
        self.summary.setText(self._summary(report))
        self.chart.show_report(report)
        self._fill_table(report)

    def _summary(self, r: Report) -> str:
        text = self._totals_text(r)
        if r.incomplete:
            text += "\n" + self.tr("正在批量导入订单：导入完成前，这些数字不含正在导入的订单。")
        return text

    def _totals_text(self, r: Report) -> str:
        n = r.total
        if r.kind == "sales":
            return self.tr("实收 {paid}，{orders} 个订单", "", n.orders).format(paid=yuan(n.paid_fen),
                                                                          orders=f"{n.orders:,}")
        if r.kind == "refunds":  # three counts, each with its own noun: three clauses (1 order, 2 requests)
            return self.tr("；").join((
                self.tr("已退 {refunded}（{count} 个订单），退款率 {rate}", "", n.refunded_orders).format(
                    refunded=yuan(n.refunded_fen), count=f"{n.refunded_orders:,}", rate=rate_text(n.refund_rate_bp)),
                self.tr("人工答复 {answered} 个申请，平均用时 {time}", "", n.answered).format(
                    answered=f"{n.answered:,}", time=self.duration(n.average_answer_seconds)),
                self.tr("自动通过 {auto} 个", "", n.auto_approved).format(auto=f"{n.auto_approved:,}")))
        return self.tr("取消 {n} 次", "", n.cancelled).format(n=f"{n.cancelled:,}")

    def duration(self, seconds: int | None) -> str:
        if seconds is None:
            return "—"
        hours, rest = divmod(seconds, 3600)
        if hours:
            return self.tr("{h} 小时 {m} 分").format(h=hours, m=rest // 60)
        return self.tr("{m} 分 {s} 秒").format(m=rest // 60, s=rest % 60)

    def _columns(self, r: Report) -> tuple[list[str], list[Any]]:
        """Headers and, per column, the function from Numbers to its cell text."""
        if r.kind == "sales":
            return ([self.tr("订单数"), self.tr("实收金额")], [lambda n: f"{n.orders:,}", lambda n: yuan(n.paid_fen)])
        if r.kind == "refunds":
            return ([self.tr("实收金额"), self.tr("退款订单"), self.tr("已退金额"), self.tr("退款率"), self.tr("人工答复"),
                     self.tr("平均答复用时"), self.tr("自动通过")],
                    [lambda n: yuan(n.paid_fen), lambda n: f"{n.refunded_orders:,}", lambda n: yuan(n.refunded_fen),
                     lambda n: rate_text(n.refund_rate_bp), lambda n: f"{n.answered:,}",
                     lambda n: self.duration(n.average_answer_seconds), lambda n: f"{n.auto_approved:,}"])
        reasons = sorted(r.total.cancels, key=lambda code: (-r.total.cancels[code], code))
        return ([self.tr("取消数"), *(pick(*reports.reason_label(code)) for code in reasons)],
                [lambda n: f"{n.cancelled:,}", *(lambda n, c=code: f"{n.cancels.get(c, 0):,}" for code in reasons)])

    def period_title(self, r: Report, i: int) -> str:
        """A period by its dates; a week or month the range covers only in part says so."""
        if r.partial[i]:
            return self.tr("{period}（部分）").format(period=r.titles[i])
        return r.titles[i]

    def _rows(self, r: Report) -> tuple[list[str], list[tuple[list[str], Numbers, bool]]]:
        """The first columns' headers and the rows: (first cells, numbers, a total row?)."""
        if r.split is None:
            rows = [([self.period_title(r, i)], n, False) for i, n in enumerate(r.totals)]
            return [self.tr("期间")], [*rows, ([self.tr("合计")], r.total, True)]
        name = {"product": self.tr("商品"), "channel": self.tr("支付方式"), "gateway": self.tr("网关")}[r.split]
        out: list[tuple[list[str], Numbers, bool]] = []
        if len(r.periods) > 1:  # each period's splits, then each split over the range
            for i in range(len(r.periods)):
                out += [([self.period_title(r, i), pick(s.zh, s.en)], r.by_split[s.key][i], False)
                        for s in r.splits if _active(r.by_split[s.key][i])]
        out += [([self.tr("合计"), pick(s.zh, s.en)], r.split_totals[s.key], len(r.periods) > 1) for s in r.splits]
        out.append(([self.tr("合计"), self.tr("全部")], r.total, True))
        return [self.tr("期间"), name], out

    def _fill_table(self, r: Report) -> None:
        headers, cells = self._columns(r)
        firsts, rows = self._rows(r)
        table = self.table
        table.setUpdatesEnabled(False)
        table.clear()
        table.setColumnCount(len(firsts) + len(headers))
        table.setHorizontalHeaderLabels([*firsts, *headers])
        table.setRowCount(len(rows))
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        bold = table.font()
        bold.setBold(True)
        for i, (labels, numbers, total) in enumerate(rows):
            texts = [(text, None) for text in labels] + [(cell(numbers), right) for cell in cells]
            for j, (text, align) in enumerate(texts):
                item = QTableWidgetItem(text)
                if align is not None:
                    item.setTextAlignment(align)
                if total:
                    item.setFont(bold)
                table.setItem(i, j, item)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.resizeColumnsToContents()
        table.setUpdatesEnabled(True)
        table.scrollToTop()
        self.fit_table()

    def fit_table(self) -> None:
        """The table gets its columns' width, the chart the rest; where that leaves the chart
        too little, the table goes under the chart, full width, its first column (the periods)
        taking what the others leave, so no column hides off the side."""
        table, header = self.table, self.table.horizontalHeader()
        widths = [max(table.sizeHintForColumn(j), header.sectionSizeHint(j)) for j in range(table.columnCount())]
        needed = sum(widths) + table.verticalScrollBar().sizeHint().width() + 2 * table.frameWidth() + 4
        whole = max(1, self.width() - 16)
        beside = whole - needed >= SIDE_BY_SIDE_CHART
        if table.columnCount():
            header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents if beside
                                        else QHeaderView.ResizeMode.Stretch)
        if beside:
            self.splitter.setOrientation(Qt.Orientation.Horizontal)
            self.splitter.setSizes([whole - needed, needed])
        else:
            self.splitter.setOrientation(Qt.Orientation.Vertical)
            tall = max(1, self.splitter.height())
            self.splitter.setSizes([tall * 2 // 5, tall - tall * 2 // 5])

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        if self.report is not None:
            self.fit_table()

    def row_texts(self, row: int) -> list[str]:
        return [self.cell_text(row, j) for j in range(self.table.columnCount())]

    def cell_text(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return item.text() if item is not None else ""


def _active(n: Numbers) -> bool:
    """Whether a split had anything in a period (a row worth listing)."""
    return bool(n.orders or n.cancelled or n.answered or n.auto_approved or n.refunded_orders)
