"""支付 > 对账: a gateway's record of one day against the desk; fix, explain, export.

Modeless. The gateway's record is fetched on the asyncio loop and compared on the database
worker; a fix asks twice (the button turns into 确认修正 and the line above says what it will
do), an explanation needs a note. Nothing here decides anything: ``services.reconcile`` does.
Reading is open to every operator; fixing and explaining need the orders right, exporting the
export right (a viewer sees those greyed out with the reason; the services refuse them too).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from ...domain.errors import DomainError
from ...domain.money import format_yuan
from ...domain.roles import Right
from ...gateways.base import GatewayError
from ...services import reconcile as recon
from ...services.gateways import list_accounts
from ...services.payments import OUTCOMES
from ...services.recon_export import export_report
from ..context import DeskContext
from ..i18n import error_text, pick, ui_lang
from ..pages.permissions import refuse_reason
from ..qt import (
    QAbstractItemView,
    QComboBox,
    QDate,
    QDateEdit,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from .base import InlineMessage

#: Account kinds whose gateway gives a day's record.
RECORD_KINDS = ("alipay", "wechatpay_v3", "epay_v1", "epay_v2")


class ReconcileDialog(QDialog):
    """One account and one day; ``report`` is the last comparison shown."""

    def __init__(self, parent: QWidget | None, ctx: DeskContext) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.report: recon.ReconReport | None = None
        self.armed_key: str | None = None  # the fix waiting for its second click
        self.setWindowTitle(self.tr("对账"))
        self.resize(980, 560)
        self._build()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.account = QComboBox()
        for view in list_accounts(self.ctx.desk):
            if view.kind in RECORD_KINDS and view.enabled:
                self.account.addItem(view.name, view.name)
        self.day = QDateEdit()
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("yyyy-MM-dd")
        yesterday = self.ctx.desk.now().date() - timedelta(days=1)
        self.day.setDate(QDate(yesterday.year, yesterday.month, yesterday.day))
        self.run_button = QPushButton(self.tr("读取网关记录并对账"))
        self.run_button.clicked.connect(lambda: self.ctx.start(self.run()))
        for label, widget in ((self.tr("网关账户"), self.account), (self.tr("日期（北京时间）"), self.day)):
            top.addWidget(QLabel(label))
            top.addWidget(widget)
        top.addWidget(self.run_button)
        top.addStretch(1)
        layout.addLayout(top)
        self.summary = QLabel(self.tr("选择网关账户和已经结束的一天，读取网关的账单（易支付为订单列表）并与本店比对。"))
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.table = self._build_table()
        layout.addWidget(self.table, 1)
        self.message = InlineMessage(self)
        layout.addWidget(self.message)
        layout.addLayout(self._build_actions())
        self._update_buttons()

    def _build_table(self) -> QTableWidget:
        headers = [self.tr("差异"), self.tr("商户订单号"), self.tr("本店订单"), self.tr("交易号"), self.tr("网关金额"),
                   self.tr("本店金额"), self.tr("处理")]
        table = QTableWidget(0, len(headers))
        table.setHorizontalHeaderLabels(headers)
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        table.itemSelectionChanged.connect(self._selection_changed)
        return table

    def _build_actions(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.note = QLineEdit()
        self.note.setPlaceholderText(self.tr("说明（标记为已说明时必填），例如：网站测试单"))
        self.note.textChanged.connect(lambda _t: self._update_buttons())
        self.fix_button = QPushButton(self.tr("修正（补单）"))
        self.fix_button.clicked.connect(self.fix_clicked)
        self.explain_button = QPushButton(self.tr("标记为已说明"))
        self.explain_button.clicked.connect(lambda: self.ctx.start(self.explain()))
        self.export_button = QPushButton(self.tr("导出…"))
        self.export_button.clicked.connect(self.choose_export)
        row.addWidget(self.note, 1)
        for button in (self.fix_button, self.explain_button, self.export_button):
            row.addWidget(button)
        return row

    # ---- state ---------------------------------------------------------------------------------
    def selected(self) -> recon.Difference | None:
        rows = self.table.selectionModel().selectedRows()
        if self.report is None or not rows:
            return None
        return self.report.differences[rows[0].row()]

    def _selection_changed(self) -> None:
        self.armed_key = None
        self.fix_button.setText(self.tr("修正（补单）"))
        self._update_buttons()

    def _update_buttons(self) -> None:
        chosen = self.selected()
        may_fix = refuse_reason(self.ctx.desk, Right.ORDERS)
        may_export = refuse_reason(self.ctx.desk, Right.EXPORT)
        self.fix_button.setEnabled(may_fix is None and chosen is not None and chosen.fixable)
        self.explain_button.setEnabled(may_fix is None and chosen is not None and not chosen.mark
                                       and bool(self.note.text().strip()))
        self.note.setEnabled(may_fix is None)
        self.export_button.setEnabled(may_export is None and self.report is not None)
        for widget, reason in ((self.fix_button, may_fix), (self.explain_button, may_fix), (self.note, may_fix),
                               (self.export_button, may_export)):
            widget.setToolTip(reason or "")
        self.run_button.setEnabled(self.account.count() > 0)

    def show_report(self, report: recon.ReconReport) -> None:
        self.report = report
        open_count = len(report.open_differences)
        self.summary.setText(self.tr("{gateway} {day}：网关记录 {records} 笔，一致 {matched} 笔，差异 {n} 项（待处理 {open}）").format(
            gateway=report.gateway, day=report.day.isoformat(), records=report.records, matched=report.matched,
            n=len(report.differences), open=open_count))
        marks = {"": self.tr("待处理"), "fixed": self.tr("已修正"), "explained": self.tr("已说明")}
        self.table.setRowCount(len(report.differences))
        for r, d in enumerate(report.differences):
            note = pick(*OUTCOMES[d.mark_note]) if d.mark == "fixed" and d.mark_note in OUTCOMES else d.mark_note
            mark = marks.get(d.mark, d.mark) + (self.tr("：{note}").format(note=note) if note else "")
            values = [pick(d.zh, d.en), d.out_trade_no, d.order_no or "—", d.trade_no or "—",
                      format_yuan(d.gateway_fen, symbol=True) if d.gateway_fen is not None else "—",
                      format_yuan(d.desk_fen, symbol=True) if d.desk_fen is not None else "—", mark]
            for c, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(value)
                self.table.setItem(r, c, item)
        self._update_buttons()

    # ---- actions ---------------------------------------------------------------------------------
    async def run(self) -> recon.ReconReport | None:
        name = self.account.currentData()
        if not name:
            return None
        qdate = self.day.date()
        day = date(qdate.year(), qdate.month(), qdate.day())
        self.run_button.setEnabled(False)
        self.message.show_message(self.tr("正在读取网关的记录…"), "info")
        try:
            acct, records = await recon.fetch_records(self.ctx.desk, name, day)
            report = await self.ctx.run(recon.compare, self.ctx.desk, acct, day, records)
        except (DomainError, GatewayError) as exc:
            text = error_text(exc) if isinstance(exc, DomainError) else pick(exc.zh, exc.en)
            self.message.show_message(self.tr("无法对账：{why}").format(why=text), "error")
            return None
        finally:
            self.run_button.setEnabled(True)
        self.message.clear_message()
        self.show_report(report)
        return report

    def fix_clicked(self) -> None:
        chosen = self.selected()
        if chosen is None or not chosen.fixable:
            return
        if self.armed_key != chosen.key:  # first click: say what will happen
            self.armed_key = chosen.key
            self.fix_button.setText(self.tr("确认修正"))
            self.message.show_message(self.tr("将为订单 {order_no} 补单：交易号 {trade_no}，金额 {amount}；有卡密库存时自动发货。再点「确认修正」执行。").format(
                order_no=chosen.order_no, trade_no=chosen.trade_no or "—",
                amount=format_yuan(chosen.gateway_fen or 0, symbol=True)), "info")
            return
        self.ctx.start(self.fix(chosen.key))

    async def fix(self, key: str) -> str | None:
        assert self.report is not None
        try:
            _, code = await self.ctx.op(recon.fix_difference, self.report, key, confirmed=True)
        except DomainError as exc:
            self.message.show_message(error_text(exc), "error")
            return None
        self.message.show_message(pick(*OUTCOMES.get(code, (code, code))), "ok")
        await self._refresh()
        return str(code)

    async def explain(self) -> bool:
        chosen = self.selected()
        if chosen is None or self.report is None:
            return False
        try:
            await self.ctx.op(recon.explain_difference, self.report, chosen.key, self.note.text())
        except DomainError as exc:
            self.message.show_message(error_text(exc), "error")
            return False
        self.note.clear()
        self.message.show_message(self.tr("已标记为已说明，并记入订单时间线"), "ok")
        await self._refresh()
        return True

    async def _refresh(self) -> None:
        assert self.report is not None
        self.armed_key = None
        self.fix_button.setText(self.tr("修正（补单）"))
        self.show_report(await self.ctx.run(recon.recompare, self.ctx.desk, self.report))

    def choose_export(self) -> None:
        if self.report is None:
            return
        suggested = str(Path.home() / f"对账-{self.report.gateway}-{self.report.day.isoformat()}.xlsx")
        name, _ = QFileDialog.getSaveFileName(self, self.tr("导出对账结果"), suggested,
                                              self.tr("Excel 工作簿 (*.xlsx);;CSV (*.csv)"))
        if name:
            self.export_to(Path(name))

    def export_to(self, path: Path) -> Path | None:
        assert self.report is not None
        try:
            # the save dialog asked before replacing a file
            written = export_report(self.ctx.desk, self.report, path, force=True, english=ui_lang() == "en")
        except DomainError as exc:
            self.message.show_message(error_text(exc), "error")
            return None
        self.message.show_message(self.tr("已导出到 {path}").format(path=written), "ok")
        return written

    @classmethod
    def open_for(cls, parent: QWidget | None, ctx: DeskContext) -> ReconcileDialog:
        dialog = cls(parent, ctx)
        dialog.show()
        return dialog
