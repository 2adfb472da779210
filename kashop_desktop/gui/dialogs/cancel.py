"""The owner cancels an order: pick a reason, see the consequences live, confirm.

What the preview shows comes from ``services.requests.preview``: for an unpaid order the stock,
coupon and points that go back; for a paid one the refund breakdown, the ETA by channel and
whether the gateway refunds by itself (with the 易支付 V1 confirmation when it has no
idempotency); a delivered order cannot be cancelled, only disputed, and the dialog says so and
offers to open the dispute instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...domain.decision import Outcome
from ...domain.errors import DomainError
from ...services import requests, views
from ...services.changes import Changes
from ...services.requests import Preview
from ..context import DeskContext
from ..qt import QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget
from .base import (
    BreakdownView,
    NonIdempotentConfirm,
    OpDialog,
    OrderSummary,
    ReasonPicker,
    bullets,
    decision_reasons,
    error_text,
    gateway_text,
    text_button,
)


@dataclass(frozen=True)
class CancelResult:
    order_no: str
    changes: Changes
    #: Set when the owner chose to open a dispute instead (delivered orders).
    dispute_request_id: int | None = None


class CancelDialog(OpDialog):
    def __init__(self, parent: QWidget | None, ctx: DeskContext, order_no: str) -> None:
        super().__init__(parent, ctx)
        self.order_no = order_no
        self.preview: Preview | None = None
        self.load_error: str | None = None
        self.wants_dispute = False
        self.setWindowTitle(self.tr("取消订单 {order_no}").format(order_no=order_no))
        self.ok_button.setText(self.tr("确认取消订单"))
        self.cancel_button.setText(self.tr("保留订单"))  # "取消" beside "取消订单" reads both ways
        self.summary = OrderSummary(self)
        self.detail = self._load_detail()
        #: A cancelled order whose money was never refunded (an older system's, imported): the
        #: dialog returns that money; the order stays cancelled (``domain.decision._cancelled``).
        self.kept = self.detail is not None and self.detail.status.value == "cancelled"
        if self.kept:
            self.setWindowTitle(self.tr("退回订单 {order_no} 未退的款项").format(order_no=order_no))
            self.ok_button.setText(self.tr("确认退款"))
            self.cancel_button.setText(self.tr("暂不退款"))
        self.reason = ReasonPicker(self)
        self.note = QLineEdit(self)
        self.note.setPlaceholderText(self.tr("例如：面值50误拍成100（会写入订单时间线）"))
        self.consequences = QLabel(self)
        self.consequences.setWordWrap(True)
        self.breakdown = BreakdownView(self)
        self.confirm = NonIdempotentConfirm(self)
        self.dispute_button = text_button(self.tr("改为发起售后争议…"), self)
        self.dispute_button.clicked.connect(self.choose_dispute)
        self._layout()
        self.watch(self.reason, self.note, self.confirm.checkbox)
        self.revalidate()

    def _load_detail(self) -> views.OrderDetail | None:
        try:
            detail = views.order_detail(self.ctx.desk, self.order_no)
        except DomainError as exc:
            self.load_error = error_text(exc)
            return None
        self.summary.show_order(detail)
        return detail

    def _layout(self) -> None:
        form = QFormLayout()
        form.addRow(self.tr("取消原因"), self.reason)
        form.addRow(self.tr("备注"), self.note)
        box = QGroupBox(self.tr("退款后会发生什么") if self.kept else self.tr("取消后会发生什么"), self)
        inner = QVBoxLayout(box)
        inner.addWidget(self.consequences)
        inner.addWidget(self.breakdown)
        inner.addWidget(self.confirm)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.dispute_button)
        inner.addLayout(row)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addLayout(form)
        layout.addWidget(box)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(560)

    # ---- live preview ----------------------------------------------------------------------
    def refresh(self) -> None:
        if self.load_error:
            return
        try:
            self.preview = requests.preview(self.ctx.desk, self.order_no, self.reason.reason(), None,
                                            self.note.text())
        except DomainError as exc:
            self.preview, self.load_error = None, error_text(exc)
            return
        pv = self.preview
        blocked = pv.decision.is_dispute or pv.decision.outcome is Outcome.REFUSE
        self.breakdown.setVisible(pv.breakdown is not None and not blocked)
        self.breakdown.show_preview(pv)
        self.confirm.set_required(pv.needs_confirmation and not blocked)
        self.dispute_button.setVisible(pv.decision.is_dispute)
        self.consequences.setText(self._consequences(pv))

    def _consequences(self, pv: Preview) -> str:
        if pv.decision.is_dispute:
            return bullets([*decision_reasons(pv.decision),
                            self.tr("可以代买家发起售后争议，审核通过后按原路退款。")])
        if pv.decision.outcome is Outcome.REFUSE:
            return bullets(decision_reasons(pv.decision))
        if pv.decision.outcome is Outcome.CANCEL_NOW:
            return bullets(self._unpaid_lines())
        if self.kept:
            lines = [self.tr("订单已取消但款项未退回：按原路退款，订单仍为已取消，库存不变。"), gateway_text(pv)]
        else:
            lines = [self.tr("订单已支付未发货：取消并全额原路退款，库存退回。"), gateway_text(pv)]
        return bullets(lines)

    def _unpaid_lines(self) -> list[str]:
        detail = self.detail
        lines = [self.tr("订单未支付：立即取消，无需退款。")]
        if detail is None:
            return lines
        lines.append(self.tr("库存退回 {quantity} 件「{product}」").format(
            quantity=detail.quantity, product=detail.product))
        if detail.coupon_code:
            lines.append(self.tr("优惠券 {code} 退回给买家，可再次使用").format(code=detail.coupon_code))
        if detail.points:
            lines.append(self.tr("退回积分 {points}").format(points=detail.points))
        return lines

    def problem(self) -> str | None:
        if self.load_error:
            return self.load_error
        pv = self.preview
        if pv is None:
            return self.tr("无法预览该订单")
        if pv.decision.is_dispute or pv.decision.outcome is Outcome.REFUSE:
            return "；".join(decision_reasons(pv.decision)[:1])
        return self.confirm.problem()

    async def perform(self) -> CancelResult:
        changes = await self.ctx.op(requests.cancel_order, self.order_no, self.reason.reason(), self.note.text(),
                                    confirm_non_idempotent=self.confirm.isChecked())
        return CancelResult(self.order_no, changes)

    # ---- delivered: offer the dispute -------------------------------------------------------
    def choose_dispute(self) -> None:
        self.wants_dispute = True
        super().reject()

    @classmethod
    async def ask(cls, parent: QWidget | None, ctx: DeskContext, order_no: str) -> CancelResult | None:
        dialog = cls(parent, ctx, order_no)
        try:
            result: CancelResult | None = await dialog.wait()
            wants_dispute = dialog.wants_dispute
        finally:
            dialog.deleteLater()
        if not wants_dispute:
            return result
        from .open_request import OpenRequestDialog

        opened = await OpenRequestDialog.ask(parent, ctx, order_no)
        if opened is None:
            return None
        return CancelResult(order_no, opened.changes, opened.request_id)
