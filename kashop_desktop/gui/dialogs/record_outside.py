"""Record a refund the owner already made outside the desk (登记台外退款): cash, a bank transfer,
another way.

``services.requests.record_outside`` writes it succeeded at once: nothing is queued, no gateway
is asked, the order's refunded amount and status move now. The dialog takes the amount (all that
is refundable by default), how the money went back, the reason and the owner's account of it
(required), and says beforehand what the order will become.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...domain.errors import DomainError
from ...domain.money import format_yuan, parse_yuan
from ...domain.order import ReasonCode
from ...domain.refund_states import OutsideMethod, RefundStatus, status_after_recorded
from ...domain.states import OrderStatus
from ...services import requests, views
from ...services.changes import Changes
from ..context import DeskContext
from ..i18n import status_label
from ..qt import QComboBox, QFormLayout, QGroupBox, QLabel, QLineEdit, QVBoxLayout, QWidget
from .base import OpDialog, OrderSummary, ReasonPicker, bullets, error_text, pick, yuan

# The ways a refund is made outside the desk, in the order offered (never the gateway).
METHODS = (OutsideMethod.CASH, OutsideMethod.BANK_TRANSFER, OutsideMethod.OTHER)


@dataclass(frozen=True)
class RecordOutsideResult:
    order_no: str
    amount_fen: int
    how: OutsideMethod
    refund_id: int
    changes: Changes


def status_after_outside(detail: views.OrderDetail, amount_fen: int) -> OrderStatus:
    """What the order becomes once ``amount_fen`` refunded outside is recorded
    (``domain.refund_states.status_after_recorded``, the rule ``record_outside`` applies)."""
    return status_after_recorded(detail.status, delivered=detail.delivered_at is not None, paid_fen=detail.paid_fen,
                                 refunded_fen=detail.refunded_fen, refundable_fen=detail.refundable_fen,
                                 gross_fen=amount_fen)


class RecordOutsideDialog(OpDialog):
    def __init__(self, parent: QWidget | None, ctx: DeskContext, order_no: str) -> None:
        super().__init__(parent, ctx)
        self.order_no = order_no
        self.detail: views.OrderDetail | None = None
        self.load_error: str | None = None
        self.amount_fen: int | None = None
        self.amount_error: str | None = None
        self.setWindowTitle(self.tr("登记台外退款 {order_no}").format(order_no=order_no))
        self.ok_button.setText(self.tr("登记退款"))
        self.summary = OrderSummary(self)
        self.amount = QLineEdit(self)
        self.method = QComboBox(self)
        for how in METHODS:
            label = pick(how.zh, how.en)  # the domain's words are for a sentence: "refunded in cash"
            self.method.addItem(label[:1].upper() + label[1:], how.value)
        self.reason = ReasonPicker(self)
        self.reason.set_reason(ReasonCode.OTHER)
        self.note = QLineEdit(self)
        self.note.setPlaceholderText(self.tr("何时、怎样退给了买家，例如：11月18日微信转账退回（必填）"))
        self.effects = QGroupBox(self.tr("登记后会发生什么"), self)
        self.consequences = QLabel(self.effects)
        self.consequences.setWordWrap(True)
        self._load()
        self._layout()
        self.watch(self.amount, self.method, self.reason, self.note)
        self.revalidate()

    def _load(self) -> None:
        try:
            self.detail = views.order_detail(self.ctx.desk, self.order_no)
        except DomainError as exc:
            self.load_error = error_text(exc)
            return
        self.summary.show_order(self.detail)
        self.summary.add(self.tr("可退"), f"<b>{yuan(self.detail.refundable_fen)}</b>")
        if self.detail.refundable_fen > 0:
            self.amount.setText(format_yuan(self.detail.refundable_fen))

    def _layout(self) -> None:
        form = QFormLayout()
        form.addRow(self.tr("退款金额(元)"), self.amount)
        form.addRow(self.tr("方式"), self.method)
        form.addRow(self.tr("原因"), self.reason)
        form.addRow(self.tr("说明"), self.note)
        inner = QVBoxLayout(self.effects)
        inner.addWidget(self.consequences)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addLayout(form)
        layout.addWidget(self.effects)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(540)

    # ---- live check --------------------------------------------------------------------------
    def how(self) -> OutsideMethod:
        return OutsideMethod(self.method.currentData())

    def _parse_amount(self) -> None:
        self.amount_fen, self.amount_error = None, None
        if not self.amount.text().strip():
            return
        try:
            self.amount_fen = parse_yuan(self.amount.text(), allow_zero=False)
        except DomainError as exc:
            self.amount_error = error_text(exc)

    def refresh(self) -> None:
        self._parse_amount()
        self.consequences.setText(bullets(self._consequences()))
        # A line more or less: the box's height is asked again now, not after the next paint,
        # so fit_height grows the window to it at once.
        self.effects.updateGeometry()

    def _consequences(self) -> list[str]:
        lines = [self.tr("这笔退款立即记为「{state}」，不会经网关发送：钱已在台外退给买家。").format(
            state=pick(RefundStatus.SUCCEEDED.zh, RefundStatus.SUCCEEDED.en))]
        d, amount = self.detail, self.amount_fen
        if d is None or amount is None or not 0 < amount <= d.refundable_fen:
            lines.append(self.tr("订单将变为「{partial}」或「{refunded}」；未发货的订单退回全部款项时变为「{cancelled}」。")
                         .format(partial=status_label("partially_refunded"), refunded=status_label("refunded"),
                                 cancelled=status_label("cancelled")))
            return lines
        after = status_after_outside(d, amount)
        if after is OrderStatus.CANCELLED and d.status is not OrderStatus.CANCELLED:
            lines.append(self.tr("订单未发货且款项全部退回：订单将变为「{status}」，库存、优惠券退回。").format(
                status=status_label(after.value)))
        elif after is d.status:
            lines.append(self.tr("订单状态不变（「{status}」），已退金额增加 {amount}。").format(
                status=status_label(after.value), amount=yuan(amount)))
        else:
            lines.append(self.tr("订单将变为「{status}」。").format(status=status_label(after.value)))
        return lines

    def problem(self) -> str | None:
        if self.load_error:
            return self.load_error
        d = self.detail
        if d is None or d.paid_at is None:
            return self.tr("订单未支付，没有可退的钱")
        if d.refundable_fen <= 0:
            return self.tr("该订单没有可退的金额（已全部退款或退款中）")
        if self.amount_error:
            return self.amount_error
        if self.amount_fen is None:
            return self.tr("请填写退款金额")
        if self.amount_fen > d.refundable_fen:
            return self.tr("退款金额不能超过可退金额 {amount}").format(amount=yuan(d.refundable_fen))
        if not self.note.text().strip():
            return self.tr("请写明何时、怎样退给了买家")
        return None

    async def perform(self) -> RecordOutsideResult:
        assert self.amount_fen is not None
        amount, how = self.amount_fen, self.how()
        changes, refund_id = await self.ctx.op(requests.record_outside, self.order_no, amount, how,
                                               self.note.text(), reason=self.reason.reason())
        return RecordOutsideResult(self.order_no, amount, how, refund_id, changes)

    @classmethod
    async def ask(cls, parent: QWidget | None, ctx: DeskContext, order_no: str) -> RecordOutsideResult | None:
        result: RecordOutsideResult | None = await cls.show_and_wait(parent, ctx, order_no)
        return result
