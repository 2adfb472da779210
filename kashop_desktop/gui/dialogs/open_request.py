"""Open a cancel request or dispute on the buyer's behalf (they asked by chat or phone).

Before OK the dialog shows what the decision function will do with it: cancel at once (unpaid),
auto-approve (with the refund breakdown), send it to review (with the reasons), or refuse it
(with the reason, and OK disabled).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...domain.decision import Outcome
from ...domain.errors import DomainError
from ...domain.money import parse_yuan
from ...services import requests, views
from ...services.changes import Changes
from ...services.requests import Preview
from ..context import DeskContext
from ..qt import QFormLayout, QGroupBox, QLabel, QLineEdit, QPlainTextEdit, QVBoxLayout, QWidget
from .base import (
    BreakdownView,
    NonIdempotentConfirm,
    OpDialog,
    ReasonPicker,
    bullets,
    decision_reasons,
    error_text,
    join_reasons,
    outcome_text,
    pick,
    yuan,
)

OUTCOME_STYLE = {
    Outcome.CANCEL_NOW: "color:#1d4f91;",
    Outcome.AUTO_APPROVE: "color:#1e6b30;",
    Outcome.NEEDS_REVIEW: "color:#8a4b00;",
    Outcome.REFUSE: "color:#a61b1b;",
}


@dataclass(frozen=True)
class OpenRequestResult:
    order_no: str
    request_id: int | None  # None when an unpaid order was cancelled at once
    outcome: Outcome
    changes: Changes


class OpenRequestDialog(OpDialog):
    def __init__(self, parent: QWidget | None, ctx: DeskContext, order_no: str) -> None:
        super().__init__(parent, ctx)
        self.order_no = order_no
        self.preview: Preview | None = None
        self.amount_fen: int | None = None
        self.amount_error: str | None = None
        self.load_error: str | None = None
        self.setWindowTitle(self.tr("代买家发起售后申请：{order_no}").format(order_no=order_no))
        self.ok_button.setText(self.tr("提交申请"))
        self.header = QLabel(self._header_text(), self)
        self.header.setWordWrap(True)
        self.reason = ReasonPicker(self)
        self.note = QLineEdit(self)
        self.note.setPlaceholderText(self.tr("说清楚原因，例如：面值50误拍100；收到B卡密而非A"))
        self.evidence = QPlainTextEdit(self)
        self.evidence.setPlaceholderText(self.tr("证据：聊天记录、付款截图、卡密未使用的核验结果…"))
        self.evidence.setFixedHeight(70)
        self.amount = QLineEdit(self)
        self.outcome = QLabel(self)
        self.reasons = QLabel(self)
        self.reasons.setWordWrap(True)
        self.breakdown = BreakdownView(self)
        self.confirm = NonIdempotentConfirm(self)
        self._layout()
        self.watch(self.reason, self.note, self.amount, self.confirm.checkbox)
        self.revalidate()

    def _layout(self) -> None:
        form = QFormLayout()
        form.addRow(self.tr("原因"), self.reason)
        form.addRow(self.tr("说明"), self.note)
        form.addRow(self.tr("证据"), self.evidence)
        form.addRow(self.tr("退款金额(元)"), self.amount)
        box = QGroupBox(self.tr("审核预判"), self)
        inner = QVBoxLayout(box)
        inner.addWidget(self.outcome)
        inner.addWidget(self.reasons)
        inner.addWidget(self.breakdown)
        inner.addWidget(self.confirm)
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addLayout(form)
        layout.addWidget(box)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(560)

    def _header_text(self) -> str:
        try:
            detail = views.order_detail(self.ctx.desk, self.order_no)
        except DomainError as exc:
            self.load_error = error_text(exc)
            return self.order_no
        return self.tr("订单 {order_no} · {product} · {status} · 实付 {paid}").format(
            order_no=detail.order_no, product=detail.product, status=pick(detail.status.zh, detail.status.en),
            paid=yuan(detail.paid_fen))

    # ---- live decision -----------------------------------------------------------------------
    def _parse_amount(self) -> None:
        text = self.amount.text().strip()
        self.amount_fen, self.amount_error = None, None
        if not text:
            return
        try:
            self.amount_fen = parse_yuan(text, allow_zero=False)
        except DomainError as exc:
            self.amount_error = error_text(exc)

    def refresh(self) -> None:
        self._parse_amount()
        if self.load_error and self.preview is None:
            return
        try:
            self.preview = requests.preview(self.ctx.desk, self.order_no, self.reason.reason(), self.amount_fen,
                                            self.note.text())
        except DomainError as exc:
            self.preview, self.load_error = None, error_text(exc)
            return
        pv = self.preview
        if pv.max_fen:
            self.amount.setPlaceholderText(self.tr("留空 = 全部可退金额 {amount}").format(amount=yuan(pv.max_fen)))
        self.outcome.setText("<b>" + outcome_text(pv.decision.outcome) + "</b>")
        self.outcome.setStyleSheet(OUTCOME_STYLE[pv.decision.outcome])
        self.reasons.setText(bullets(decision_reasons(pv.decision)))
        self.breakdown.setVisible(pv.breakdown is not None)
        self.breakdown.show_preview(pv)
        self.confirm.set_required(pv.needs_confirmation and pv.decision.outcome is Outcome.AUTO_APPROVE)

    def problem(self) -> str | None:
        if self.load_error:
            return self.load_error
        if self.amount_error:
            return self.amount_error
        pv = self.preview
        if pv is None:
            return self.tr("无法预览该订单")
        if self.amount_fen is not None and not pv.min_fen <= self.amount_fen <= pv.max_fen:
            return self.tr("退款金额必须在 {low} 到 {high} 之间").format(low=yuan(pv.min_fen), high=yuan(pv.max_fen))
        if pv.decision.outcome is Outcome.REFUSE:
            return join_reasons(decision_reasons(pv.decision))
        return None

    async def perform(self) -> OpenRequestResult:
        assert self.preview is not None
        outcome = self.preview.decision.outcome
        changes, request_id = await self.ctx.op(
            requests.open_request, self.order_no, self.reason.reason(), note=self.note.text(),
            evidence=self.evidence.toPlainText(), amount_fen=self.amount_fen,
            confirm_non_idempotent=self.confirm.isChecked())
        return OpenRequestResult(self.order_no, request_id, outcome, changes)

    @classmethod
    async def ask(cls, parent: QWidget | None, ctx: DeskContext, order_no: str) -> OpenRequestResult | None:
        result: OpenRequestResult | None = await cls.show_and_wait(parent, ctx, order_no)
        return result
