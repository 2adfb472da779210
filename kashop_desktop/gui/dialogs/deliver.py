"""发货 and 完成: goods leave the shop, so the owner sees what goes to whom and confirms first.

``services.delivery.deliver_preview`` names the 卡密 that delivering will take (masked) and the
buyer they go to; ``complete_check`` says whether a delivered order can be completed. The
dialogs only word those answers and run the operation on OK.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...domain.errors import DomainError
from ...domain.order import ProductType
from ...services import delivery, orders, views
from ...services.changes import Changes
from ..context import DeskContext
from ..qt import QGroupBox, QLabel, Qt, QVBoxLayout, QWidget
from .base import OpDialog, OrderSummary, bullets, error_text


@dataclass(frozen=True)
class DeliverResult:
    order_no: str
    buyer: str
    product_type: ProductType
    codes: list[str]  # masked, as the owner confirmed them
    changes: Changes


@dataclass(frozen=True)
class CompleteResult:
    order_no: str
    changes: Changes


class ConfirmDialog(OpDialog):
    """An order summary, what will happen (or why not), and a confirm button."""

    def __init__(self, parent: QWidget | None, ctx: DeskContext, order_no: str) -> None:
        super().__init__(parent, ctx)
        self.order_no = order_no
        self.blocker: str | None = None
        self.summary = OrderSummary(self)
        self.plan_box = QGroupBox(self)
        self.plan = QLabel(self.plan_box)
        self.plan.setWordWrap(True)
        self.plan.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        QVBoxLayout(self.plan_box).addWidget(self.plan)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.plan_box)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)

    def load(self) -> None:
        try:
            self.summary.show_order(views.order_detail(self.ctx.desk, self.order_no))
            self.plan_lines()
        except DomainError as exc:
            self.blocker = error_text(exc)
        self.revalidate()

    def plan_lines(self) -> None:
        raise NotImplementedError

    def problem(self) -> str | None:
        return self.blocker


class DeliverDialog(ConfirmDialog):
    """Deliver one paid order: the codes that will go, and to whom."""

    def __init__(self, parent: QWidget | None, ctx: DeskContext, order_no: str) -> None:
        super().__init__(parent, ctx, order_no)
        self.preview: delivery.DeliverPreview | None = None
        self.setWindowTitle(self.tr("发货 {order_no}").format(order_no=order_no))
        self.ok_button.setText(self.tr("确认发货"))
        self.cancel_button.setText(self.tr("暂不发货"))
        self.plan_box.setTitle(self.tr("发货后会发生什么"))
        self.load()

    def plan_lines(self) -> None:
        pv = self.preview = delivery.deliver_preview(self.ctx.desk, self.order_no)
        if pv.refusal is not None:
            self.blocker = error_text(pv.refusal)
            self.plan.setText(self.tr("现在不能发货，库存和订单都不会变。"))
            return
        buyer = pv.buyer or self.tr("（未留联系方式）")
        if pv.product_type is ProductType.CARD_CODE:
            head = self.tr("从库存取出 {n} 个卡密，发给买家 {buyer}：", "", len(pv.codes)).format(n=len(pv.codes), buyer=buyer)
            codes = "\n".join("      " + code for code in pv.codes)  # under the line, no bullet of their own
            lines = [f"{head}\n{codes}"]
        elif pv.product_type is ProductType.DIRECT_RECHARGE:
            lines = [self.tr("直充：请先在上游为买家 {buyer} 充好「{product}」× {quantity}，再确认").format(
                buyer=buyer, product=pv.product, quantity=pv.quantity)]
        else:
            lines = [self.tr("实物：「{product}」× {quantity} 寄给买家 {buyer}").format(
                buyer=buyer, product=pv.product, quantity=pv.quantity)]
        lines.append(self.tr("订单变为「已发货」；发货不能撤回，每个订单只发一次"))
        self.plan.setText(bullets(lines))

    async def perform(self) -> DeliverResult:
        pv = self.preview
        assert pv is not None
        changes = await self.ctx.op(orders.deliver, self.order_no)
        return DeliverResult(self.order_no, pv.buyer, pv.product_type, pv.codes, changes)

    @classmethod
    async def ask(cls, parent: QWidget | None, ctx: DeskContext, order_no: str) -> DeliverResult | None:
        result: DeliverResult | None = await cls.show_and_wait(parent, ctx, order_no)
        return result


class CompleteDialog(ConfirmDialog):
    """Mark a delivered order completed (the buyer has what they paid for)."""

    def __init__(self, parent: QWidget | None, ctx: DeskContext, order_no: str) -> None:
        super().__init__(parent, ctx, order_no)
        self.setWindowTitle(self.tr("完成订单 {order_no}").format(order_no=order_no))
        self.ok_button.setText(self.tr("确认完成"))
        self.cancel_button.setText(self.tr("暂不完成"))
        self.plan_box.setTitle(self.tr("完成后会发生什么"))
        self.load()

    def plan_lines(self) -> None:
        refusal = delivery.complete_check(self.ctx.desk, self.order_no)
        if refusal is not None:
            self.blocker = error_text(refusal)
            self.plan.setText(self.tr("现在不能标记为完成，订单不会变。"))
            return
        self.plan.setText(bullets([self.tr("订单变为「已完成」：买家已收到并确认"),
                                   self.tr("完成后买家仍可以申请售后，由证据决定是否退款")]))

    async def perform(self) -> CompleteResult:
        changes = await self.ctx.op(delivery.complete_order, self.order_no)
        return CompleteResult(self.order_no, changes)

    @classmethod
    async def ask(cls, parent: QWidget | None, ctx: DeskContext, order_no: str) -> CompleteResult | None:
        result: CompleteResult | None = await cls.show_and_wait(parent, ctx, order_no)
        return result
