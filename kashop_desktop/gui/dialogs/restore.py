"""Restore (恢复订单) a cancelled order: what will happen, or why it cannot.

``services.orders.restore_preview`` says whether it can and what it will touch: the status it
returns to, the stock reserved again, the coupon applied again, the queued refunds that are
withdrawn before they reach the gateway, and the points (积分) taken back from the buyer. The
dialog only words it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...domain.errors import DomainError
from ...domain.states import OrderStatus
from ...services import orders, views
from ...services.changes import Changes
from ..context import DeskContext
from ..qt import QFormLayout, QGroupBox, QLabel, QLineEdit, QVBoxLayout, QWidget
from .base import OpDialog, OrderSummary, bullets, error_text, pick, yuan


@dataclass(frozen=True)
class RestoreResult:
    order_no: str
    changes: Changes


class RestoreDialog(OpDialog):
    def __init__(self, parent: QWidget | None, ctx: DeskContext, order_no: str) -> None:
        super().__init__(parent, ctx)
        self.order_no = order_no
        self.blocker: str | None = None
        self.setWindowTitle(self.tr("恢复订单 {order_no}").format(order_no=order_no))
        self.ok_button.setText(self.tr("恢复订单"))
        self.cancel_button.setText(self.tr("暂不恢复"))  # "取消" here would read as cancelling the order
        self.summary = OrderSummary(self)
        self.plan = QLabel(self)
        self.plan.setWordWrap(True)
        self.note = QLineEdit(self)
        self.note.setPlaceholderText(self.tr("可选：为什么恢复（写入订单时间线）"))
        self._load()
        self._layout()
        self.watch(self.note)
        self.revalidate()

    def _load(self) -> None:
        try:
            detail = views.order_detail(self.ctx.desk, self.order_no)
            preview = orders.restore_preview(self.ctx.desk, self.order_no)
        except DomainError as exc:
            self.blocker = error_text(exc)
            self.plan.setText(self.blocker)
            return
        self.summary.show_order(detail)
        if preview.refusal is not None:
            self.blocker = error_text(preview.refusal)
            self.plan.setText(self.tr("不能恢复。只有没发过货、退款还没发出的已取消订单才能恢复。"))
        else:
            self.plan.setText(bullets(self._plan_lines(detail, preview)))

    def _plan_lines(self, detail: views.OrderDetail, preview: orders.RestorePreview) -> list[str]:
        target = preview.target or OrderStatus.PENDING_PAYMENT
        lines = [self.tr("订单恢复为「{status}」").format(status=pick(target.zh, target.en))]
        if target is OrderStatus.PENDING_PAYMENT:
            lines.append(self.tr("重新开始计算支付时限，买家可以继续付款"))
        if preview.re_reserves_stock:
            lines.append(self.tr("重新占用库存 {quantity} 件（现有 {stock} 件）").format(
                quantity=detail.quantity, stock=preview.stock_available))
        if preview.coupon_code:
            lines.append(self.tr("重新使用优惠券 {code}").format(code=preview.coupon_code))
        for refund_no in preview.withdrawn_refunds:
            refund = next(r for r in detail.refunds if r.refund_no == refund_no)
            lines.append(self.tr("撤回排队中的退款 {refund_no}（{amount}），不会发给网关").format(
                refund_no=refund_no, amount=yuan(refund.amount_fen)))
        points = self._points_line(target, preview)
        if points:
            lines.append(points)
        return lines

    def _points_line(self, target: OrderStatus, preview: orders.RestorePreview) -> str:
        """What happens to the points (积分) the order was paid with, with the amount."""
        if preview.points_taken_back and target is OrderStatus.PENDING_PAYMENT:
            return self.tr("取消时退给买家的 {points} 积分重新用于此订单（从买家处扣回）").format(
                points=preview.points_taken_back)
        if preview.points_taken_back:
            return self.tr("撤回的退款本应退还的 {points} 积分不再退给买家（从买家处扣回）").format(
                points=preview.points_taken_back)
        if preview.points_used:
            return self.tr("订单使用的 {points} 积分不变（没有退给买家，也不会扣回）").format(points=preview.points_used)
        return ""

    def _layout(self) -> None:
        box = QGroupBox(self.tr("恢复后会发生什么"), self)
        inner = QVBoxLayout(box)
        inner.addWidget(self.plan)
        form = QFormLayout()
        form.addRow(self.tr("备注"), self.note)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(box)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)

    def problem(self) -> str | None:
        return self.blocker

    async def perform(self) -> RestoreResult:
        changes = await self.ctx.op(orders.restore, self.order_no, note=self.note.text())
        return RestoreResult(self.order_no, changes)

    @classmethod
    async def ask(cls, parent: QWidget | None, ctx: DeskContext, order_no: str) -> RestoreResult | None:
        result: RestoreResult | None = await cls.show_and_wait(parent, ctx, order_no)
        return result
