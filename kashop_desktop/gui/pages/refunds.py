"""The refund queue: refunds by state, sending them, and the owner's actions on single refunds.

"立即发送" runs ``ctx.send_refunds`` as a task: the window stays responsive and the button is
disabled until the report comes back. A report with unreachable gateways shows the offline
banner: approvals are still recorded and queued, nothing is lost. Per row: retry a failed
refund, query one (send with force, which asks the gateway first for unknown ones), confirm an
易支付 V1 refund, or resolve one that is not final by hand with a note: checked in the gateway's
back office, or refunded outside the desk (cash, bank transfer, another way). The tabs use the
refund states' one word each from ``domain.refund_states``; 待人工处理 comes first.
"""

from __future__ import annotations

from typing import Any

from ...domain.refund_states import REFUND_STATES_SHOWN, OutsideMethod
from ...domain.roles import Right
from ...services import gateways as gateway_service
from ...services import refund_queue, views
from ...services.changes import Changes
from ...services.refund_queue import QueueReport
from ..context import DeskContext
from ..dialogs.base import InlineMessage, NonIdempotentConfirm, OpDialog, describe, yuan
from ..i18n import actor_label, approx, pick, refund_state_label
from ..qt import (
    QAbstractItemView,
    QAbstractTableModel,
    QBrush,
    QColor,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QModelIndex,
    QPersistentModelIndex,
    QPushButton,
    Qt,
    QTableView,
    QTimer,
    QVBoxLayout,
    QWidget,
)
from ..tabs import FittingTabBar, TabCount
from .permissions import refuse_reason

Index = QModelIndex | QPersistentModelIndex
OBJECT_ROLE = Qt.ItemDataRole.UserRole
STATES = tuple(s.value for s in REFUND_STATES_SHOWN)  # needs the owner first
WARNING_STATES = ("failed", "unknown", "needs_owner")
MIN_ERROR_WIDTH = 60  # px: 最近错误 keeps at least this much
MIN_REFUND_NO_WIDTH = 86  # px: the start and end of a refund no (its tooltip has it whole)
(COL_REFUND_NO, COL_ORDER, COL_AMOUNT, COL_FEE, COL_GATEWAY, COL_STATE, COL_OPERATOR, COL_SENDER, COL_ATTEMPTS,
 COL_ERROR, COL_ETA) = range(11)


def state_label(state: str) -> str:
    return refund_state_label(state)


def eta_text(refund: views.RefundView) -> str:
    if not refund.eta_earliest:
        return "—"
    if refund.eta_earliest == refund.eta_latest:
        return approx(refund.eta_earliest, refund.eta_exact)
    return approx(f"{refund.eta_earliest} ~ {refund.eta_latest}", refund.eta_exact)


class RefundsModel(QAbstractTableModel):
    WARNING: Any = QColor("#a61b1b")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[views.RefundView] = []
        self.headers = [self.tr("退款单号"), self.tr("订单号"), self.tr("实退金额"), self.tr("手续费"),
                        self.tr("网关"), self.tr("状态"), self.tr("批准人"), self.tr("发送人"), self.tr("尝试次数"),
                        self.tr("最近错误"), self.tr("预计到账")]

    def set_rows(self, rows: list[views.RefundView]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.headers[section] if 0 <= section < len(self.headers) else None
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        refund = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(refund, column)
        if role == OBJECT_ROLE:
            return refund
        if role == Qt.ItemDataRole.ToolTipRole and column in (COL_ERROR, COL_STATE):
            return refund.last_error or None
        if role == Qt.ItemDataRole.ToolTipRole and column == COL_REFUND_NO:
            return refund.refund_no
        if role == Qt.ItemDataRole.ToolTipRole and column == COL_OPERATOR:
            return self.tr("批准这笔退款的操作员（规则自动通过时为系统）") if refund.operator else None
        if role == Qt.ItemDataRole.ToolTipRole and column == COL_SENDER:
            return self.sender_tip(refund)
        if role == Qt.ItemDataRole.ForegroundRole and column == COL_STATE and (
                refund.security_warning or refund.state in WARNING_STATES):
            return QBrush(self.WARNING)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (COL_AMOUNT, COL_FEE, COL_ATTEMPTS):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _display(self, refund: views.RefundView, column: int) -> str:
        if column == COL_STATE:
            return self.state_text(refund)
        if column == COL_GATEWAY:
            return refund.gateway or self.tr("无网关（手工退款）")
        values = (refund.refund_no, refund.order_no, yuan(refund.amount_fen), yuan(refund.fee_fen), "", "",
                  actor_label(refund.operator) if refund.operator else "—", self.sender_text(refund), str(refund.attempts),
                  refund.last_error.splitlines()[0] if refund.last_error else "", eta_text(refund))
        return values[column]

    def sender_text(self, refund: views.RefundView) -> str:
        """Who sent it last: the operator who pressed 立即发送 (or ran ``refunds send``), 自动 for
        the queue's own run, — when it was never sent."""
        if refund.sent_by_hand is None:
            return "—"
        return (refund.sent_by or "—") if refund.sent_by_hand else self.tr("自动")  # the tooltip says more

    def sender_tip(self, refund: views.RefundView) -> str | None:
        if refund.sent_by_hand is None:
            return None
        if refund.sent_by_hand:
            return self.tr("最近一次由 {name} 手动发送（立即发送或命令行）").format(name=refund.sent_by or "—")
        if refund.sent_by:
            return self.tr("最近一次由退款队列自动发送（当时登录的是 {name}）").format(name=refund.sent_by)
        return self.tr("最近一次由退款队列自动发送（当时无人登录）")

    def state_text(self, refund: views.RefundView) -> str:
        text = state_label(refund.state)
        if refund.needs_confirmation and not refund.confirmed and refund.state == "queued":
            text = self.tr("{state}（待确认）").format(state=text)
        if refund.security_warning:
            text = self.tr("⚠ 安全警告 · {state}").format(state=text)
        return text


class RefundsPage(QWidget):
    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        # Opens on the refunds that need the owner when there are any, else on those waiting to send.
        owner = views.refund_counts(ctx.desk).get("needs_owner", 0)
        self.state = "needs_owner" if owner else "queued"
        self.sending = False
        self.last_report: QueueReport | None = None
        self.model = RefundsModel(self)
        self._build()
        ctx.changed.connect(self.on_changed)
        ctx.queue_report.connect(self.on_report)
        self.tabs.blockSignals(True)
        self.tabs.setCurrentIndex(STATES.index(self.state))
        self.tabs.blockSignals(False)
        self.reload()

    def _build(self) -> None:
        self.banner = QLabel(self)
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet("background:#fff4e0;color:#8a4b00;border:1px solid #f0c36d;padding:8px;")
        self.banner.hide()
        self.tabs = FittingTabBar(self)
        for _ in STATES:
            self.tabs.addTab("")
        self.tabs.currentChanged.connect(self.on_tab)
        self.send_button = QPushButton(self.tr("立即发送"), self)
        self.send_button.clicked.connect(lambda: self.ctx.start(self.send_now()))
        self.progress = QLabel(self)
        self.progress.setWordWrap(True)  # the English summary would otherwise set the window's minimum width
        self.buttons: dict[str, QPushButton] = {}
        for key, text in (("retry", self.tr("重新发送")), ("query", self.tr("查询结果")),
                          ("confirm", self.tr("确认发送…")), ("resolve", self.tr("人工处理…"))):
            button = QPushButton(text, self)
            button.clicked.connect(lambda _=False, k=key: self.ctx.start(self.row_action(k)))
            self.buttons[key] = button
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_ERROR, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COL_REFUND_NO, QHeaderView.ResizeMode.Interactive)  # see fit_refund_no
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # a cut refund no keeps its start and end
        self.table.selectionModel().selectionChanged.connect(self.update_actions)
        self.message = InlineMessage(self)
        bar = QHBoxLayout()
        bar.addWidget(self.send_button)
        bar.addWidget(self.progress, 1)
        for button in self.buttons.values():
            bar.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addWidget(self.tabs)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)

    def fit_refund_no(self) -> None:
        """The refund no as wide as its longest value, less on a narrow window (1024 px): cut in
        the middle, whole in its tooltip, so the other columns stay whole without sideways scrolling."""
        header = self.table.horizontalHeader()

        def content(column: int) -> int:  # what ResizeToContents gives a column, laid out or not yet
            return max(self.table.sizeHintForColumn(column), header.sectionSizeHint(column))

        others = sum(content(c) for c in range(self.model.columnCount()) if c not in (COL_REFUND_NO, COL_ERROR))
        wanted = content(COL_REFUND_NO)
        room = self.table.viewport().width() - others - MIN_ERROR_WIDTH
        header.resizeSection(COL_REFUND_NO, max(MIN_REFUND_NO_WIDTH, min(wanted, room)))

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        QTimer.singleShot(0, self, self.fit_refund_no)  # once the table has its new width

    # ---- data --------------------------------------------------------------------------------
    def reload(self) -> None:
        selected = self.selected()
        self.model.set_rows(views.list_refunds(self.ctx.desk, self.state))
        counts = views.refund_counts(self.ctx.desk)
        self.tabs.fit_counts([TabCount(state_label(state), counts.get(state, 0)) for state in STATES])
        self.fit_refund_no()
        if selected is not None:
            for row, refund in enumerate(self.model.rows):
                if refund.id == selected.id:
                    self.table.selectRow(row)
        self.update_actions()

    def on_changed(self, changes: Changes) -> None:
        self.reload()

    def on_tab(self, index: int) -> None:
        self.state = STATES[index]
        self.reload()

    def selected(self) -> views.RefundView | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self.model.rows[rows[0].row()] if rows and rows[0].row() < len(self.model.rows) else None

    def update_actions(self, *_: object) -> None:
        busy = self.sending or self.ctx.sending
        refused = refuse_reason(self.ctx.desk, Right.REFUNDS)
        self.send_button.setEnabled(not busy and refused is None)  # the periodic send goes on anyway
        self.send_button.setToolTip(refused or "")
        refund = self.selected()
        allowed = refund.actions if refund is not None else frozenset()
        # 查询结果 asks the gateway by hand, as 立即发送 does: the refunds right (the service refuses it too)
        for key in ("retry", "query", "resolve"):
            self.buttons[key].setEnabled(key in allowed and not busy and refused is None)
        self.buttons["confirm"].setEnabled("confirm" in allowed and refused is None)
        for key in ("retry", "query", "resolve", "confirm"):
            self.buttons[key].setToolTip(refused or "")

    # ---- sending -----------------------------------------------------------------------------
    async def send_now(self, refund_ids: list[int] | None = None, force: bool = False) -> QueueReport | None:
        if self.sending or self.ctx.sending:
            return None
        self.sending = True
        self.progress.setText(self.tr("正在发送退款，可以继续其他操作…"))
        self.update_actions()
        try:
            report = await self.ctx.send_refunds(refund_ids=refund_ids, force=force, by_hand=True)
        except Exception as exc:
            self.progress.setText("")
            self.message.show_message(self.tr("发送失败：{error}").format(error=describe(exc)))
            return None
        finally:
            self.sending = False
            self.update_actions()
        self.progress.setText(self.summary(report))
        return report

    def summary(self, report: QueueReport) -> str:
        return self.tr("本次处理 {picked} 笔：成功 {ok}，处理中 {processing}，失败 {failed}，结果未知 {unknown}，"
                       "重新排队 {requeued}").format(picked=report.picked, ok=report.succeeded,
                                                    processing=report.processing, failed=report.failed,
                                                    unknown=report.unknown, requeued=report.requeued) + (
            self.tr("；{count} 笔已由别处办结（另一处发送或店主先处理了）").format(count=report.settled_elsewhere)
            if report.settled_elsewhere else "") + "".join(
            self.tr("；{count} 笔未发送：{why}").format(count=len(ids), why=pick(zh_text, en_text))
            for (zh_text, en_text), ids in report.not_sent.items())

    def on_report(self, report: QueueReport) -> None:
        self.last_report = report
        if self.message.kind == "ok":  # "已重新排队" was true before this send, not after it
            self.message.clear_message()
        if report.failed or report.unknown:
            self.message.show_message(self.tr("这次发送有 {failed} 笔失败、{unknown} 笔结果未知，原因见「失败」和「结果未知」")
                                      .format(failed=report.failed, unknown=report.unknown))
        if not report.unreachable_gateways:
            self.banner.hide()
            return
        names = {a.id: a.name for a in gateway_service.list_accounts(self.ctx.desk)}
        offline = self.tr("、").join(sorted(names.get(g, str(g)) for g in report.unreachable_gateways))
        self.banner.setText(self.tr("⚠ 网关暂时无法连接：{gateways}。批准和退款仍会照常记录并排队，恢复连接后再点“立即发送”即可，"
                                    "不会丢失也不会重复。").format(gateways=offline))
        self.banner.show()

    # ---- per-row actions ---------------------------------------------------------------------
    async def row_action(self, action: str) -> Any:
        refund = self.selected()
        if refund is None:
            return None
        self.message.clear_message()
        if action == "query":
            return await self.send_now([refund.id], force=True)
        if action == "retry" and not refund.needs_confirmation:
            return await self.retry(refund)
        return await RefundActionDialog.ask(self, self.ctx, (refund, action))

    async def retry(self, refund: views.RefundView) -> Changes | None:
        try:
            changes: Changes = await self.ctx.op(refund_queue.retry, refund.id)
        except Exception as exc:
            self.message.show_message(describe(exc))
            return None
        self.message.show_message(self.tr("已重新排队：{refund_no}").format(refund_no=refund.refund_no), "ok")
        return changes


class RefundActionDialog(OpDialog):
    """Retry (with the no-idempotency confirmation), confirm, or resolve one refund by hand."""

    def __init__(self, parent: QWidget | None, ctx: DeskContext, ref: tuple[views.RefundView, str]) -> None:
        super().__init__(parent, ctx)
        self.refund, self.action = ref
        titles = {"retry": self.tr("重新发送退款"), "confirm": self.tr("确认发送退款"),
                  "resolve": self.tr("人工处理退款")}
        self.setWindowTitle(titles[self.action])
        self.ok_button.setText(titles[self.action])
        self.confirm = NonIdempotentConfirm(self)
        self.confirm.set_required(self.action in ("retry", "confirm"))
        self.outcome = QComboBox(self)
        if self.refund.gateway_verifiable:
            self.outcome.addItem(self.tr("网关后台显示已退款（记为成功）"), (True, OutsideMethod.GATEWAY))
        if self.refund.state != "failed" and self.refund.gateway is not None:
            self.outcome.addItem(self.tr("网关后台没有这笔退款（记为失败，可重新发送）"), (False, OutsideMethod.GATEWAY))
        self.outcome.addItem(self.tr("已用现金退给买家（记为成功）"), (True, OutsideMethod.CASH))
        self.outcome.addItem(self.tr("已通过银行转账退给买家（记为成功）"), (True, OutsideMethod.BANK_TRANSFER))
        self.outcome.addItem(self.tr("已用其他方式退给买家（记为成功，在说明里写明）"), (True, OutsideMethod.OTHER))
        self.note = QLineEdit(self)
        self.note.setPlaceholderText(self.tr("核实情况或退款方式（必填），例如：后台查到退款单号 2026…，或 微信转账给买家"))
        self._layout()
        self.watch(self.confirm.checkbox, self.outcome, self.note)
        self.revalidate()

    def _layout(self) -> None:
        refund = self.refund
        form = QFormLayout()
        form.addRow(self.tr("退款单号"), QLabel(refund.refund_no, self))
        form.addRow(self.tr("订单号"), QLabel(refund.order_no, self))
        form.addRow(self.tr("金额"), QLabel(yuan(refund.amount_fen), self))
        form.addRow(self.tr("状态"), QLabel(state_label(refund.state), self))
        if refund.last_error:
            error = QLabel(refund.last_error, self)
            error.setWordWrap(True)
            form.addRow(self.tr("最近错误"), error)
        if self.action == "resolve":
            form.addRow(self.tr("核实结果"), self.outcome)
            form.addRow(self.tr("说明"), self.note)
        else:
            self.outcome.hide()
            self.note.hide()
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.confirm)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)

    def problem(self) -> str | None:
        if self.action == "resolve" and not self.note.text().strip():
            return self.tr("请写明核实情况")
        return self.confirm.problem()

    async def perform(self) -> Changes:
        refund_id = self.refund.id
        changes: Changes
        if self.action == "retry":
            changes = await self.ctx.op(refund_queue.retry, refund_id, confirmed=True)
        elif self.action == "confirm":
            changes = await self.ctx.op(refund_queue.confirm, refund_id)
        else:
            succeeded, how = self.outcome.currentData()
            # The failed choice says the gateway's back office shows no such refund: checked there.
            changes = await self.ctx.op(refund_queue.resolve_manually, refund_id, bool(succeeded), self.note.text(),
                                        how=how, gateway_checked=not succeeded)
        return changes

    @classmethod
    async def ask(cls, parent: QWidget | None, ctx: DeskContext,
                  ref: tuple[views.RefundView, str]) -> Changes | None:
        result: Changes | None = await cls.show_and_wait(parent, ctx, ref)
        return result
