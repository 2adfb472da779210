"""订单 > 新建订单 (Ctrl+N): a sale at the desk, from the product to the delivered code.

The form prices the sale live (``services.sale.quote``: price × quantity less the coupon, the
units on the shelf) and reads the buyer's contact as the desk keys it. 创建 makes the order
(``sale_flow.open_sale`` for a gateway, ``sale.create_order`` for money the owner already has)
and turns the dialog into the payment view: the QR code, the amount and the countdown. While it
is open the dialog asks the gateway through payment sync with a growing pause (``POLL_STEPS``),
on the loop and the database worker, never blocking the window; the background sync keeps asking
once it is closed. A payment is taken once whichever path sees it first, and the view follows
any change to the order (``ctx.changed``). 取消订单 asks twice, cancels and closes the trade.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ...domain.errors import DomainError
from ...domain.money import format_yuan
from ...services import sale as sale_ops
from ...services import sale_flow
from ...services.changes import Changes
from ...services.products import list_products
from ..context import DeskContext
from ..i18n import pick
from ..qt import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTimer,
    QVBoxLayout,
    QWidget,
)
from ..sale_pay import SalePayView
from .base import OpDialog, error_text, text_button
from .vault import needing_secrets

#: Seconds between the dialog's own checks while the QR is open: soon at first, then every 15 s.
POLL_STEPS = (2.0, 3.0, 5.0, 8.0, 13.0, 15.0)
MANUAL = "manual:"  # item data prefix of a manual method in the payment picker


class NewSaleDialog(OpDialog):
    """Form first, then the payment view of the order it made (``sale``)."""

    def __init__(self, parent: QWidget | None, ctx: DeskContext, _ref: Any = None) -> None:
        super().__init__(parent, ctx)
        self.sale: sale_flow.SaleView | None = None
        self.priced: sale_ops.Quote | None = None
        self.quote_error: str | None = None
        self.poll_steps = POLL_STEPS
        self.poll_task: asyncio.Task[Any] | None = None
        self.checks = 0
        self.last_answer = ""
        self.cancel_armed = False
        self.setWindowTitle(self.tr("新建订单"))
        self.ok_button.setText(self.tr("创建"))
        self._build_form()
        self.pay = SalePayView(ctx, self)
        self.pay.codes.notice.connect(lambda text, kind: self.pay.show_state(text, kind))
        self.pay.hide()
        self.cancel_order = text_button(self.tr("取消订单"), self)
        self.cancel_order.clicked.connect(lambda: self.ctx.start(self.cancel_clicked()))
        self.close_button = text_button(self.tr("关闭"), self)
        self.close_button.clicked.connect(self.close_clicked)
        for button in (self.cancel_order, self.close_button):
            self.buttons.addButton(button, self.buttons.ButtonRole.ActionRole)
            button.hide()  # shown once the order is made
        layout = QVBoxLayout(self)
        layout.addWidget(self.form_box)
        layout.addWidget(self.pay)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.tick_timer = QTimer(self)
        self.tick_timer.setInterval(1000)
        self.tick_timer.timeout.connect(lambda: self.pay.tick(self.ctx.desk.now()))
        ctx.changed.connect(self._on_changed)
        self.listening = True
        self.resize(560, 0)
        self.revalidate()

    # ---- the form ----------------------------------------------------------------------------
    def _build_form(self) -> None:
        self.form_box = QWidget(self)
        form = QFormLayout(self.form_box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.product = QComboBox(self.form_box)
        self.quantity = QSpinBox(self.form_box)
        self.quantity.setRange(1, sale_ops.MAX_QUANTITY)
        self.stock = QLabel(self.form_box)
        self.buyer = QLineEdit(self.form_box)
        self.buyer.setPlaceholderText(self.tr("手机、QQ 或邮箱，如 138 0013 8000、QQ 12345678"))
        self.buyer_hint = QLabel(self.form_box)
        self.buyer_hint.setStyleSheet("color:#555;")
        self.coupon = QLineEdit(self.form_box)
        self.coupon.setPlaceholderText(self.tr("可不填"))
        self.amount = QLabel(self.form_box)
        self.amount.setStyleSheet("font-size: 14pt; font-weight: bold;")
        self.amount.setWordWrap(True)
        self.payment = QComboBox(self.form_box)
        self.reference = QLineEdit(self.form_box)
        self.reference.setPlaceholderText(self.tr("转账流水号等，可不填"))
        self.received = QCheckBox(self.form_box)
        self.no_qr = QLabel(self.tr("没有能扫码收款的网关账户：在「网关」页添加支付宝、微信支付或易支付账户后，"
                                    "这里可以生成收款二维码"), self.form_box)
        self.no_qr.setWordWrap(True)
        self.no_qr.setStyleSheet("color:#8a4b00;")
        for label, widget in ((self.tr("商品"), self.product), (self.tr("数量"), self.quantity),
                              ("", self.stock), (self.tr("买家"), self.buyer), ("", self.buyer_hint),
                              (self.tr("优惠券"), self.coupon), (self.tr("应付"), self.amount),
                              (self.tr("收款方式"), self.payment), (self.tr("收款凭证"), self.reference),
                              ("", self.no_qr), ("", self.received)):
            form.addRow(label, widget)
        self.reference_label = form.labelForField(self.reference)
        self._fill_products()
        self._fill_payments()
        self.watch(self.product, self.buyer, self.coupon, self.payment, self.reference, self.received)
        self.quantity.valueChanged.connect(self.edited)

    def _fill_products(self) -> None:
        current = self.product.currentData()
        self.product.blockSignals(True)
        self.product.clear()
        for p in list_products(self.ctx.desk):
            self.product.addItem(self.tr("{name}（{price}）").format(
                name=p.name, price=format_yuan(p.price_fen, symbol=True)), p.id)
        if current is not None and self.product.findData(current) >= 0:
            self.product.setCurrentIndex(self.product.findData(current))
        self.product.blockSignals(False)

    def _fill_payments(self) -> None:
        accounts = sale_flow.sale_accounts()
        self.no_qr.setVisible(not accounts)
        for name, _kind in accounts:
            self.payment.addItem(self.tr("扫码：{account}").format(account=name), name)
        for method in sale_ops.MANUAL_METHODS.values():
            self.payment.addItem(self.tr("已当面收款：{method}").format(method=pick(method.zh, method.en)),
                                 MANUAL + method.code)

    def manual_method(self) -> str | None:
        data = str(self.payment.currentData() or "")
        return data[len(MANUAL):] if data.startswith(MANUAL) else None

    def refresh(self) -> None:
        if self.sale is not None:
            return
        self.priced, self.quote_error = None, None
        if self.product.currentData() is not None:
            try:
                self.priced = sale_ops.quote(self.ctx.desk, int(self.product.currentData()), self.quantity.value(),
                                             self.coupon.text())
            except DomainError as exc:
                self.quote_error = error_text(exc)
        self._show_quote()
        self._show_buyer()
        manual = self.manual_method()
        self.reference.setVisible(manual == "bank_transfer")
        if self.reference_label is not None:
            self.reference_label.setVisible(manual == "bank_transfer")
        self.received.setVisible(manual is not None)
        amount = format_yuan(self.priced.amount_fen, symbol=True) if self.priced else "—"
        if manual is not None:
            method = sale_ops.MANUAL_METHODS[manual]
            self.received.setText(self.tr("我已收到买家付款 {amount}（{method}）").format(
                amount=amount, method=pick(method.zh, method.en)))
        self.ok_button.setText(self.tr("收款并发货") if manual else self.tr("创建并显示二维码"))

    def _show_quote(self) -> None:
        q = self.priced
        if q is None:
            self.stock.setText("")
            self.amount.setText("—")
            return
        self.stock.setText(self.tr("单价 {price}，库存 {n} 件").format(
            price=format_yuan(q.unit_fen, symbol=True), n=q.available))
        if q.coupon_fen:
            self.amount.setText(self.tr("{amount}（原价 {list}，优惠券 −{coupon}）").format(
                amount=format_yuan(q.amount_fen, symbol=True), list=format_yuan(q.list_fen, symbol=True),
                coupon=format_yuan(q.coupon_fen, symbol=True)))
        else:
            self.amount.setText(format_yuan(q.amount_fen, symbol=True))

    def _show_buyer(self) -> None:
        if not self.buyer.text().strip():
            self.buyer_hint.setText("")
            return
        try:
            found = sale_ops.check_buyer(self.buyer.text())
        except DomainError as exc:
            self.buyer_hint.setText(error_text(exc))
            self.buyer_hint.setStyleSheet("color:#a61b1b;")
            return
        kinds = {"phone": self.tr("手机/电话"), "qq": self.tr("QQ"), "email": self.tr("邮箱"),
                 "other": self.tr("其他（微信号等，按原样保存）")}
        text = self.tr("{kind}：{key}").format(kind=kinds.get(found.kind.value, found.kind.value), key=found.key)
        if found.blocked_reason is not None:
            text += self.tr("；该买家在黑名单，付款后订单扣留待审")
        self.buyer_hint.setText(text)
        self.buyer_hint.setStyleSheet("color:#a61b1b;" if found.blocked_reason is not None else "color:#555;")

    def problem(self) -> str | None:
        if self.sale is not None:
            return None
        if self.product.count() == 0:
            return self.tr("还没有商品：先在「商品」页添加")
        if self.quote_error:
            return self.quote_error
        if self.priced is not None and self.priced.problem is not None:
            return error_text(self.priced.problem)
        try:
            sale_ops.parse_buyer(self.buyer.text())
        except DomainError as exc:
            return error_text(exc)
        if self.payment.count() == 0:
            return self.tr("没有可收款的网关账户")
        if self.manual_method() is not None and not self.received.isChecked():
            return self.tr("请先确认已收到买家付款")
        return None

    def update_actions(self) -> None:
        if self.sale is None:
            return
        self.ok_button.hide()
        self.cancel_button.hide()
        waiting = self.sale.waiting
        self.cancel_order.setVisible(waiting)
        self.cancel_order.setEnabled(waiting and not self.busy)
        self.close_button.show()
        self.close_button.setEnabled(not self.busy)

    # ---- creating the order -------------------------------------------------------------------
    def sale_input(self) -> sale_ops.SaleInput:
        manual = self.manual_method()
        return sale_ops.SaleInput(int(self.product.currentData()), self.quantity.value(), self.buyer.text(),
                                  self.coupon.text(), None if manual else str(self.payment.currentData()), manual,
                                  self.reference.text())

    async def submit(self) -> bool:
        """创建: make the order and show its payment; the dialog stays open on the payment view."""
        if self.busy or self.sale is not None or self.problem() is not None:
            return False
        ok, view = await self.run_step(self.perform)
        if ok:
            self.result_value = view
            self.show_payment(view)
        return ok

    async def perform(self) -> sale_flow.SaleView:
        entered = self.sale_input()
        if entered.manual is not None:
            created = await needing_secrets(self, self.ctx, lambda: self.ctx.run(
                sale_ops.create_order, self.ctx.desk, entered, confirmed=True))
            self.ctx.changed.emit(created.changes)
            view: sale_flow.SaleView = await self.ctx.run(sale_flow.sale_view, self.ctx.desk, created.order_no)
            return view
        self.message.show_message(self.tr("正在向网关创建收款二维码…"), "info")  # until the gateway answers
        try:
            created, view = await needing_secrets(self, self.ctx, lambda: sale_flow.open_sale(
                self.ctx.desk, entered, self.ctx.payment_sync))
        except DomainError as exc:
            if exc.code == "qr_failed":
                self.ctx.changed.emit(Changes(counts_changed=True))  # the voided order is in the list
                self._fill_products()
            raise
        self.ctx.changed.emit(created.changes)
        return view

    def show_payment(self, view: sale_flow.SaleView) -> None:
        self.sale = view
        self.result_value = view
        self.form_box.hide()
        self.pay.show()
        self.setWindowTitle(self.tr("新建订单 {order_no}").format(order_no=view.order_no))
        self._show_sale(view)
        if view.waiting:
            self.tick_timer.start()
            self.poll_task = self.ctx.start(self.poll_loop())
        self.revalidate()
        self.fit_height()

    def _show_sale(self, view: sale_flow.SaleView) -> None:
        self.sale = view
        self.pay.show_sale(view, self.ctx.desk.now())
        self.pay.show_state(*self.pay.state_of(view, self.last_answer, self.checks))
        if not view.waiting:
            self.tick_timer.stop()

    # ---- polling ------------------------------------------------------------------------------
    async def poll_loop(self) -> None:
        """Ask the gateway with a growing pause until the order is no longer waiting."""
        step = 0
        while self.sale is not None and self.sale.waiting and self.sale.expires_at > self.ctx.desk.now():
            await asyncio.sleep(self.poll_steps[min(step, len(self.poll_steps) - 1)])
            step += 1
            await self.poll_once()

    async def poll_once(self) -> None:
        if self.sale is None:
            return
        try:
            report, view = await sale_flow.poll_sale(self.ctx.desk, self.ctx.payment_sync, self.sale.order_no)
        except DomainError as exc:
            self.pay.show_state(error_text(exc), "error")
            return
        self.checks += 1
        self.last_answer = report.results[0].code if report.results else ""
        self.ctx.changed.emit(report.changes)
        self._show_sale(view)
        self.revalidate()

    def _on_changed(self, changes: Changes) -> None:
        """Another path (the background sync, 补单, the order page) changed this order: re-read it."""
        if self.sale is None:
            if changes.product_ids or changes.counts_changed:
                self.revalidate()  # stock moved under the form
            return
        self.ctx.start(self._reread())

    async def _reread(self) -> None:
        if self.sale is None:
            return
        view = await self.ctx.run(sale_flow.sale_view, self.ctx.desk, self.sale.order_no)
        if view != self.sale:
            self._show_sale(view)
            self.revalidate()

    # ---- cancel and close ---------------------------------------------------------------------
    async def cancel_clicked(self) -> None:
        """取消订单 asks twice: the first click says what will happen."""
        if self.sale is None or not self.sale.waiting:
            return
        if not self.cancel_armed:
            self.cancel_armed = True
            self.cancel_order.setText(self.tr("确认取消订单"))
            self.pay.show_state(self.tr("再点一次「确认取消订单」：订单取消，库存和优惠券退回，并在网关关闭交易，"
                                        "买家将无法再付款"), "error")
            return
        order_no = self.sale.order_no
        ok, result = await self.run_step(lambda: sale_flow.cancel_sale(self.ctx.desk, self.ctx.payment_sync, order_no))
        if ok:
            changes, _closes, view = result
            self.ctx.changed.emit(changes)
            self._show_sale(view)
        self.revalidate()

    def close_clicked(self) -> None:
        self.accept()

    def done(self, code: int) -> None:
        """Closing leaves a waiting order to the background sync, and says so."""
        if self.poll_task is not None:
            self.poll_task.cancel()
        self.tick_timer.stop()
        if self.listening:  # done() may come twice (a close button and the window's own close)
            self.ctx.changed.disconnect(self._on_changed)
            self.listening = False
        if self.sale is not None and self.sale.waiting and self.isVisible():
            self.ctx.status_message.emit(self.tr("订单 {order_no} 仍在等待付款：后台继续同步，付款后自动发货").format(
                order_no=self.sale.order_no))
        super().done(code)

    @classmethod
    async def resume(cls, parent: QWidget | None, ctx: DeskContext, order_no: str) -> sale_flow.SaleView | None:
        """The payment view of a desk sale made earlier (its QR shown again, polling resumed)."""
        dialog = cls(parent, ctx)
        try:
            dialog.show_payment(await ctx.run(sale_flow.sale_view, ctx.desk, order_no))
            result: sale_flow.SaleView | None = await dialog.wait()
            return result
        finally:
            dialog.deleteLater()

    @classmethod
    async def ask(cls, parent: QWidget | None, ctx: DeskContext) -> sale_flow.SaleView | None:
        """Show the dialog; the sale it made (as last seen), or None when nothing was made."""
        result: sale_flow.SaleView | None = await cls.show_and_wait(parent, ctx, None)
        return result

