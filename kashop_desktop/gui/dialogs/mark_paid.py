"""Mark an order paid by hand (补单): the gateway took the money but never told the desk.

Two steps guard it: the gateway trade no is typed twice, and the owner ticks that they checked
the payment in the gateway's back office. The service delivers at most once: marking the same
trade no again changes nothing, and another trade no on a paid order is refused.

The payment time is now unless the owner gives the one the gateway shows (Beijing time, to the
second, between the order's creation and now: the service refuses anything else).

不发货 records the payment alone: nothing is delivered and nothing is taken from stock (an order
the older system delivered, refunded or cancelled, as the import's advice says with
``--no-deliver``).

收款方式: the buyer paid through the gateway (the order's own channel), or paid the shop directly
in cash or by a bank transfer (``domain.order.OUTSIDE_CHANNELS``): its refund is then the owner's
by hand, never sent to the gateway, and the number typed is the transfer's serial no.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ...domain.clock import SHOP_TZ, to_epoch
from ...domain.errors import DomainError
from ...domain.order import Channel
from ...services import orders, views
from ...services.changes import Changes
from ..context import DeskContext
from ..qt import (
    QCheckBox,
    QComboBox,
    QDateTime,
    QDateTimeEdit,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTimeZone,
    QVBoxLayout,
    QWidget,
)
from .base import OpDialog, OrderSummary, error_text

# How the payment time is shown and typed (to the second, as the gateways' back offices show it).
TIME_FORMAT = "yyyy-MM-dd HH:mm:ss"


def shop_zone() -> QTimeZone:
    """The shop's time zone (Beijing time) for Qt, whatever the computer's own zone is."""
    offset = SHOP_TZ.utcoffset(None)
    assert offset is not None
    return QTimeZone(int(offset.total_seconds()))


def to_qt(moment: datetime) -> QDateTime:
    return QDateTime.fromSecsSinceEpoch(to_epoch(moment), shop_zone())


def from_qt(value: QDateTime) -> datetime:
    return datetime.fromtimestamp(value.toSecsSinceEpoch(), SHOP_TZ)


@dataclass(frozen=True)
class MarkPaidResult:
    order_no: str
    trade_no: str
    changes: Changes
    paid_at: datetime | None = None  # the payment time the owner gave; None: now
    deliver: bool = True  # False: the payment recorded alone (不发货)
    channel: str | None = None  # cash / bank_transfer: paid to the shop directly; None: as the order recorded

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
        self.route = QComboBox(self)
        self.route.addItem(self.tr("经网关付款（订单记录的支付方式）"), None)
        self.route.addItem(self.tr("现金：买家直接付给本店"), Channel.CASH.value)
        self.route.addItem(self.tr("银行转账：买家直接转给本店"), Channel.BANK_TRANSFER.value)
        self.route.setToolTip(self.tr("买家没有经网关付款、而是直接付给本店时选现金或银行转账：之后的退款由店主手工退，不会发到网关"))
        self.trade_no_label = QLabel(self.tr("网关交易号"), self)
        self.trade_no = QLineEdit(self)
        self.trade_no.setPlaceholderText(self.tr("网关后台显示的交易号"))
        self.trade_no_again = QLineEdit(self)
        self.trade_no_again.setPlaceholderText(self.tr("再输入一次交易号"))
        self.verified = QCheckBox(self.tr("我已在网关后台核实收款"), self)
        self.paid_at_given = QCheckBox(self.tr("按网关后台填写"), self)
        self.paid_at_given.setToolTip(self.tr("不勾选：付款时间记为现在（补单的时间）"))
        self.paid_at = self._time_edit()
        self.no_deliver = QCheckBox(self.tr("不发货：只记录收款（已在别处发货或退款）"), self)
        self.no_deliver.setToolTip(self.tr("订单已在别处（例如旧系统）发货、退款或取消时勾选：不发货、不占用库存，订单记为已支付"))
        self.promise = QLabel(self)
        self.promise.setWordWrap(True)
        self.promise.setStyleSheet("color:#555;")
        self._load()
        self._layout()
        self.no_deliver.toggled.connect(self._show_promise)
        self.route.currentIndexChanged.connect(self._show_route)
        self._show_promise()
        self.watch(self.trade_no, self.trade_no_again, self.verified, self.paid_at_given, self.paid_at, self.no_deliver,
                   self.route)
        self.revalidate()

    def _time_edit(self) -> QDateTimeEdit:
        """The buyer's payment time: Beijing time, seconds shown, no later than now."""
        edit = QDateTimeEdit(self)
        edit.setTimeZone(shop_zone())
        edit.setDisplayFormat(TIME_FORMAT)
        edit.setCalendarPopup(True)
        now = to_qt(self.ctx.desk.now())
        edit.setMaximumDateTime(now)
        edit.setDateTime(now)
        edit.setToolTip(self.tr("北京时间，以网关后台显示的付款时间为准"))
        edit.setEnabled(False)
        self.paid_at_given.toggled.connect(edit.setEnabled)
        return edit

    def outside(self) -> str | None:
        """The channel of money paid to the shop directly (cash, bank_transfer), or None."""
        data = self.route.currentData()
        return str(data) if data else None

    def _show_route(self) -> None:
        """The words of the number and the check follow the route: a gateway's trade no checked in
        its back office, or a transfer's serial no (a receipt's number for cash) and the money in hand."""
        if self.outside() is None:
            self.trade_no_label.setText(self.tr("网关交易号"))
            self.trade_no.setPlaceholderText(self.tr("网关后台显示的交易号"))
            self.trade_no_again.setPlaceholderText(self.tr("再输入一次交易号"))
            self.paid_at_given.setText(self.tr("按网关后台填写"))
            self.verified.setText(self.tr("我已在网关后台核实收款"))
        else:
            self.trade_no_label.setText(self.tr("凭证号"))
            self.trade_no.setPlaceholderText(self.tr("转账记录上的流水号（现金可填收据号）"))
            self.trade_no_again.setPlaceholderText(self.tr("再输入一次凭证号"))
            self.paid_at_given.setText(self.tr("按转账记录填写"))
            self.verified.setText(self.tr("我已核实收到这笔钱"))
        self._show_promise()

    def _show_promise(self) -> None:
        if self.no_deliver.isChecked():
            self.promise.setText(self.tr("补单只把订单记为已支付：不发货，不占用库存。同一交易号重复补单不会有任何变化。"))
        else:
            self.promise.setText(self.tr("补单会把订单记为已支付并自动发货。同一交易号重复补单不会有任何变化："
                                         "每个订单最多发货一次。"))
        if self.outside() is not None:
            self.promise.setText(self.promise.text() + " " + self.tr("钱没有经过网关：之后的退款由你手工退给买家，不会发到网关。"))

    def _load(self) -> None:
        try:
            detail = views.order_detail(self.ctx.desk, self.order_no)
        except DomainError as exc:
            self.load_error = error_text(exc)
            return
        self.summary.show_order(detail)
        self.paid_at.setMinimumDateTime(to_qt(detail.created_at))  # the service refuses earlier
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
        form.addRow(self.tr("收款方式"), self.route)
        form.addRow(self.trade_no_label, self.trade_no)
        form.addRow(self.tr("再次输入"), self.trade_no_again)
        when = QHBoxLayout()
        when.addWidget(self.paid_at_given)
        when.addWidget(self.paid_at, 1)
        form.addRow(self.tr("付款时间"), when)
        form.addRow("", self.no_deliver)
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
            return self.tr("请填写网关交易号") if self.outside() is None else self.tr("请填写凭证号")
        if first != second:
            return self.tr("两次输入的交易号不一致") if self.outside() is None else self.tr("两次输入的凭证号不一致")
        if not self.verified.isChecked():
            return self.tr("请勾选：{check}").format(check=self.verified.text())
        return None

    def payment_time(self) -> datetime | None:
        """The payment time to record: the one typed when ticked, else None (the service's now)."""
        return from_qt(self.paid_at.dateTime()) if self.paid_at_given.isChecked() else None

    async def perform(self) -> MarkPaidResult:
        trade_no, paid_at, deliver = self.trade_no.text().strip(), self.payment_time(), not self.no_deliver.isChecked()
        channel = self.outside()
        changes = await self.ctx.op(orders.mark_paid, self.order_no, trade_no, confirmed=True, paid_at=paid_at,
                                    deliver=deliver, channel=channel)
        return MarkPaidResult(self.order_no, trade_no, changes, paid_at, deliver, channel)

    @classmethod
    async def ask(cls, parent: QWidget | None, ctx: DeskContext, order_no: str) -> MarkPaidResult | None:
        result: MarkPaidResult | None = await cls.show_and_wait(parent, ctx, order_no)
        return result
