"""Mark an order paid by hand (补单): the gateway took the money but never told the desk.

Two steps guard it: the gateway trade no is typed twice, and the owner ticks that they checked
the payment in the gateway's back office. The service delivers at most once: marking the same
trade no again changes nothing, and another trade no on a paid order is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...domain.errors import DomainError
from ...services import orders, views
from ...services.changes import Changes
from ..context import DeskContext
from ..qt import QCheckBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget
from .base import OpDialog, OrderSummary, error_text


@dataclass(frozen=True)
class MarkPaidResult:
    order_no: str
    trade_no: str
    changes: Changes

    @property
    def already_paid(self) -> bool:
        """The order was already paid with this trade no: nothing changed, nothing delivered."""
        return "already_paid" in self.changes.messages


class MarkPaidDialog(OpDialog):
    def __init__(self, parent: QWidget | None, ctx: DeskContext, order_no: str) -> None:
        super().__init__(parent, ctx)
        self.order_no = order_no
        self.load_error: str | None = None
        self.setWindowTitle(self.tr("补单：标记已支付 {order_no}").format(order_no=order_no))
        self.ok_button.setText(self.tr("确认补单"))
        self.summary = OrderSummary(self)
        self.paid_hint = QLabel(self)
        self.paid_hint.setWordWrap(True)
        self.paid_hint.hide()
        self.trade_no = QLineEdit(self)
        self.trade_no.setPlaceholderText(self.tr("网关后台显示的交易号"))
        self.trade_no_again = QLineEdit(self)
        self.trade_no_again.setPlaceholderText(self.tr("再输入一次交易号"))
        self.verified = QCheckBox(self.tr("我已在网关后台核实收款"), self)
        self.promise = QLabel(self.tr("补单会把订单记为已支付并自动发货。同一交易号重复补单不会有任何变化："
                                      "每个订单最多发货一次。"), self)
        self.promise.setWordWrap(True)
        self.promise.setStyleSheet("color:#555;")
        self._load()
        self._layout()
        self.watch(self.trade_no, self.trade_no_again, self.verified)
        self.revalidate()

    def _load(self) -> None:
        try:
            detail = views.order_detail(self.ctx.desk, self.order_no)
        except DomainError as exc:
            self.load_error = error_text(exc)
            return
        self.summary.show_order(detail)
        if detail.paid_at is not None:
            self.paid_hint.setText(self.tr("该订单已支付（交易号 {trade_no}）。用同一交易号再次补单不会产生任何变化。")
                                   .format(trade_no=detail.gateway_trade_no or "—"))
            self.paid_hint.setStyleSheet("color:#8a4b00;")
            self.paid_hint.show()
        elif detail.gateway_trade_no:  # an unpaid order that came (imported) with a trade no
            self.paid_hint.setText(self.tr("该订单记录的交易号是 {trade_no}。补单会把它改为你输入的交易号，时间线保留两者。")
                                   .format(trade_no=detail.gateway_trade_no))
            self.paid_hint.setStyleSheet("color:#8a4b00;")
            self.paid_hint.show()

    def _layout(self) -> None:
        form = QFormLayout()
        form.addRow(self.tr("网关交易号"), self.trade_no)
        form.addRow(self.tr("再次输入"), self.trade_no_again)
        form.addRow("", self.verified)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.paid_hint)
        layout.addLayout(form)
        layout.addWidget(self.promise)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)

    def problem(self) -> str | None:
        if self.load_error:
            return self.load_error
        first, second = self.trade_no.text().strip(), self.trade_no_again.text().strip()
        if not first:
            return self.tr("请填写网关交易号")
        if first != second:
            return self.tr("两次输入的交易号不一致")
        if not self.verified.isChecked():
            return self.tr("请勾选：我已在网关后台核实收款")
        return None

    async def perform(self) -> MarkPaidResult:
        trade_no = self.trade_no.text().strip()
        changes = await self.ctx.op(orders.mark_paid, self.order_no, trade_no, confirmed=True)
        return MarkPaidResult(self.order_no, trade_no, changes)

    @classmethod
    async def ask(cls, parent: QWidget | None, ctx: DeskContext, order_no: str) -> MarkPaidResult | None:
        result: MarkPaidResult | None = await cls.show_and_wait(parent, ctx, order_no)
        return result
