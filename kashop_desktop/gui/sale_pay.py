"""The payment half of 新建订单: the QR code, the amount, the countdown, and what happened.

It shows a ``services.sale_flow.SaleView`` and nothing else: the dialog re-reads the sale after
every poll and whenever an operation elsewhere (the background payment sync, 补单) changed the
order, and hands the new view here. The delivered 卡密 sit in the order detail's own CodeField
(masked, 显示 / 复制 written to the timeline, the clipboard cleared after 30 s).
"""

from __future__ import annotations

from datetime import datetime

from ..domain.money import format_yuan
from ..services.sale_flow import SaleView
from .code_field import CodeField
from .context import DeskContext
from .dialogs.base import InlineMessage
from .i18n import format_time
from .payment_status import answer_text
from .qr_image import qr_image
from .qt import QGuiApplication, QHBoxLayout, QLabel, QPixmap, QPushButton, Qt, QVBoxLayout, QWidget


def countdown_text(left_s: int) -> str:
    """``mm:ss`` (or ``h:mm:ss``) of the seconds left, never negative."""
    left_s = max(0, left_s)
    hours, rest = divmod(left_s, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes:02d}:{seconds:02d}"


class SalePayView(QWidget):
    """QR, amount, order no, countdown and the state line of one desk sale."""

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.view: SaleView | None = None
        self.qr_content: str | None = None
        self.heading = QLabel(self)
        self.heading.setWordWrap(True)
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.amount = QLabel(self)
        self.amount.setStyleSheet("font-size: 22pt; font-weight: bold; color: #1d4f91;")
        self.qr = QLabel(self)
        self.qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.scan_hint = QLabel(self)
        self.scan_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.scan_hint.setWordWrap(True)
        # A buyer in a QQ/WeChat chat cannot scan this screen: the owner sends the code or the link.
        self.copy_qr = QPushButton(self.tr("复制二维码图片"), self)
        self.copy_qr.setToolTip(self.tr("复制后粘贴到与买家的 QQ / 微信聊天里，买家长按识别付款"))
        self.copy_qr.clicked.connect(self.copy_qr_image)
        self.copy_link = QPushButton(self.tr("复制付款链接"), self)
        self.copy_link.clicked.connect(self.copy_payment_link)
        for button in (self.copy_qr, self.copy_link):
            button.setAutoDefault(False)  # Enter never copies by surprise
        self.copied = QLabel(self)
        self.copied.setStyleSheet("color:#1e6b30;")
        self.countdown = QLabel(self)
        self.countdown.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.state = InlineMessage(self)
        self.codes_label = QLabel(self.tr("卡密"), self)
        self.codes = CodeField(ctx, self)
        self._layout()

    def _layout(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.amount, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.qr, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.scan_hint)
        copy_row = QHBoxLayout()
        copy_row.addStretch(1)
        for widget in (self.copy_qr, self.copy_link, self.copied):
            copy_row.addWidget(widget)
        copy_row.addStretch(1)
        layout.addLayout(copy_row)
        layout.addWidget(self.countdown)
        layout.addWidget(self.state)
        codes_row = QHBoxLayout()
        codes_row.addWidget(self.codes_label)
        codes_row.addWidget(self.codes, 1)
        layout.addLayout(codes_row)
        layout.addStretch(1)

    def show_sale(self, view: SaleView, now: datetime) -> None:
        """Show the sale as it stands now (``now`` for the countdown)."""
        self.view = view
        self.heading.setText(self.tr("订单号 {order_no} · {product} × {quantity}").format(
            order_no=view.order_no, product=view.product_name, quantity=view.quantity))
        self.amount.setText(format_yuan(view.amount_fen, symbol=True))
        self._show_qr(view)
        self.codes.show_code(view.order_no, view.masked_codes)
        self.codes_label.setVisible(bool(view.codes))
        self.codes.setVisible(bool(view.codes))
        self.tick(now)

    def _show_qr(self, view: SaleView) -> None:
        waiting = view.waiting and bool(view.qr_content)
        if waiting and view.qr_content != self.qr_content:
            self.qr_content = view.qr_content
            self.qr.setPixmap(QPixmap.fromImage(qr_image(view.qr_content or "")))
        for widget in (self.qr, self.scan_hint, self.copy_qr, self.copy_link, self.copied):
            widget.setVisible(waiting)
        if waiting:
            self.scan_hint.setText(self.tr("请买家扫码付款（{gateway}）").format(gateway=view.gateway_name))

    def copy_qr_image(self) -> None:
        """The QR code as an image on the clipboard, to paste into the buyer's chat."""
        QGuiApplication.clipboard().setImage(self.qr.pixmap().toImage())
        self.copied.setText(self.tr("二维码图片已复制"))

    def copy_payment_link(self) -> None:
        """The QR's payload (the gateway's pay link) on the clipboard."""
        QGuiApplication.clipboard().setText(self.qr_content or "")
        self.copied.setText(self.tr("付款链接已复制"))

    def tick(self, now: datetime) -> None:
        """The countdown line (every second while the order waits)."""
        view = self.view
        if view is None or not view.waiting:
            self.countdown.hide()
            return
        left = int((view.expires_at - now).total_seconds())
        self.countdown.show()
        if left > 0:
            self.countdown.setText(self.tr("{left} 后未付款将自动关闭（{at}）").format(
                left=countdown_text(left), at=format_time(view.expires_at)))
        else:
            self.countdown.setText(self.tr("已到付款期限：订单即将自动关闭，网关交易随之关闭"))

    def show_state(self, text: str, kind: str) -> None:
        self.state.show_message(text, kind)

    def state_of(self, view: SaleView, last_answer: str = "", checks: int = 0) -> tuple[str, str]:
        """(text, kind) for the state line: paid, flagged, cancelled, or still waiting."""
        if view.flag:
            return self.tr("网关报告了付款，但需要你核对：{finding}。订单未发货，请在订单详情查看").format(
                finding=answer_text(view.flag if view.flag != "backorder" else "late_backorder")), "error"
        if view.paid:
            return self._paid_text(view), "ok"
        if view.status == "cancelled" and view.coupon_code:
            return self.tr("订单已取消：库存和优惠券已退回，网关交易已关闭或正在关闭"), "info"
        if view.status == "cancelled":
            return self.tr("订单已取消：库存已退回，网关交易已关闭或正在关闭"), "info"
        if not view.qr_content:
            return self.tr("正在生成收款二维码…"), "info"
        if checks:
            return self.tr("等待买家付款… 已查询网关 {n} 次，最近一次：{answer}", "", checks).format(
                n=checks, answer=answer_text(last_answer) if last_answer else "—"), "info"
        return self.tr("等待买家付款… 付款后自动发货"), "info"

    def _paid_text(self, view: SaleView) -> str:
        if view.held:
            return self.tr("已支付。买家在黑名单：订单扣留待审，放行后才发货")
        if view.backorder:
            return self.tr("已支付。卡密不足：已加入缺货待发，导入卡密后自动发货")
        if view.codes:
            return self.tr("已支付，已发货：卡密如下，可复制发给买家")
        if view.delivered_at is not None:
            return self.tr("已支付，已发货")
        return self.tr("已支付，待发货")
