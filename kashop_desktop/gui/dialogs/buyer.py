"""A buyer's note, blocking and unblocking, and releasing orders held for review.

Each dialog says what will happen before OK (how many orders will be held, that unblocking
releases nothing, which orders a release lets go) and runs one ``services.buyers`` operation.
The rules live there; these only word its answers.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...services import buyers
from ...services.changes import Changes
from ..context import DeskContext
from ..qt import QFormLayout, QGroupBox, QLabel, QLineEdit, QPlainTextEdit, Qt, QVBoxLayout, QWidget
from .base import OpDialog, bullets


@dataclass(frozen=True)
class BuyerResult:
    """What a buyer dialog did: ``action`` is note | block | unblock | release; ``count`` the
    orders held (block), still held (unblock) or released (release)."""

    action: str
    buyer: str
    count: int
    changes: Changes


def _count(changes: Changes, prefix: str) -> int:
    return next((int(m.split(":", 1)[1]) for m in changes.messages if m.startswith(prefix + ":")), 0)


class _BuyerDialog(OpDialog):
    """The buyer on top, what will happen in the middle, OK and 取消 (here: 关闭) below."""

    def __init__(self, parent: QWidget | None, ctx: DeskContext, contact: str) -> None:
        super().__init__(parent, ctx)
        self.info = buyers.buyer_info(ctx.desk, contact)
        self.key = self.info.key if self.info else contact
        self.form = QFormLayout()
        who = QLabel(self.key)
        who.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.form.addRow(self.tr("买家"), who)
        self.plan_box = QGroupBox(self.tr("会发生什么"), self)
        self.plan = QLabel(self.plan_box)
        self.plan.setWordWrap(True)
        QVBoxLayout(self.plan_box).addWidget(self.plan)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.plan_box)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.cancel_button.setText(self.tr("关闭"))
        self.setMinimumWidth(460)

    @property
    def held(self) -> int:
        return self.info.held if self.info else 0


class BuyerNoteDialog(_BuyerDialog):
    """Write or clear the note kept on a buyer (shown with every order of theirs)."""

    def __init__(self, parent: QWidget | None, ctx: DeskContext, contact: str) -> None:
        super().__init__(parent, ctx, contact)
        self.setWindowTitle(self.tr("买家备注"))
        self.note = QPlainTextEdit(self.info.note if self.info else "")
        self.note.setPlaceholderText(self.tr("例如：老客户，常买 Steam 卡；只在晚上回消息"))
        self.note.setFixedHeight(self.fontMetrics().height() * 5)
        self.form.addRow(self.tr("备注"), self.note)
        self.ok_button.setText(self.tr("保存备注"))
        self.plan.setText(bullets([self.tr("备注显示在该买家每个订单的详情里（任何写法的同一联系方式都算同一买家）"),
                                   self.tr("留空保存即清除备注")]))
        self.watch(self.note)
        self.revalidate()

    def problem(self) -> str | None:
        if len(self.note.toPlainText().strip()) > buyers.NOTE_MAX:
            return self.tr("备注最多 {n} 个字").format(n=buyers.NOTE_MAX)
        return None

    async def perform(self) -> BuyerResult:
        changes = await self.ctx.op(buyers.set_note, self.key, self.note.toPlainText())
        return BuyerResult("note", self.key, 0, changes)

    @classmethod
    async def ask(cls, parent: QWidget | None, ctx: DeskContext, contact: str) -> BuyerResult | None:
        result: BuyerResult | None = await cls.show_and_wait(parent, ctx, contact)
        return result


class BlockBuyerDialog(_BuyerDialog):
    """Block a buyer with a reason: their undelivered orders are held for the owner's review."""

    def __init__(self, parent: QWidget | None, ctx: DeskContext, contact: str) -> None:
        super().__init__(parent, ctx, contact)
        self.setWindowTitle(self.tr("拉黑买家"))
        self.reason = QLineEdit(self.info.blocked_reason if self.info else "")
        self.reason.setPlaceholderText(self.tr("例如：多次恶意退款；盗刷的支付账户"))
        self.form.addRow(self.tr("原因"), self.reason)
        self.ok_button.setText(self.tr("拉黑"))
        pending = buyers.holdable_count(ctx.desk, self.key)
        self.plan.setText(bullets([
            self.tr("该买家现有 {n} 个未发货的订单（待支付、待发货）将扣留待审，不会发货", "", pending).format(n=pending),
            self.tr("以后导入的该买家订单也会扣留待审"),
            self.tr("扣留的订单在订单页「扣留待审」标签下，由你逐个或全部放行；也可以取消"),
        ]))
        self.watch(self.reason)
        self.revalidate()

    def problem(self) -> str | None:
        text = self.reason.text().strip()
        if not text:
            return self.tr("请写明拉黑原因")
        if len(text) > buyers.REASON_MAX:
            return self.tr("原因最多 {n} 个字").format(n=buyers.REASON_MAX)
        return None

    async def perform(self) -> BuyerResult:
        changes = await self.ctx.op(buyers.block, self.key, self.reason.text())
        return BuyerResult("block", self.key, _count(changes, "held"), changes)

    @classmethod
    async def ask(cls, parent: QWidget | None, ctx: DeskContext, contact: str) -> BuyerResult | None:
        result: BuyerResult | None = await cls.show_and_wait(parent, ctx, contact)
        return result


class UnblockBuyerDialog(_BuyerDialog):
    """Take a buyer off the blocklist; nothing held is released by it."""

    def __init__(self, parent: QWidget | None, ctx: DeskContext, contact: str) -> None:
        super().__init__(parent, ctx, contact)
        self.setWindowTitle(self.tr("解除拉黑"))
        self.ok_button.setText(self.tr("解除拉黑"))
        reason = QLabel(self.info.blocked_reason if self.info else "")
        reason.setWordWrap(True)
        self.form.addRow(self.tr("拉黑原因"), reason)
        lines = [self.tr("以后导入的该买家订单不再扣留")]
        if self.held:
            lines.append(self.tr("已扣留的 {n} 个订单仍然扣留待审，不会自动放行：请逐个或全部放行", "", self.held).format(n=self.held))
        self.plan.setText(bullets(lines))
        self.revalidate()

    async def perform(self) -> BuyerResult:
        changes = await self.ctx.op(buyers.unblock, self.key)
        return BuyerResult("unblock", self.key, _count(changes, "still_held"), changes)

    @classmethod
    async def ask(cls, parent: QWidget | None, ctx: DeskContext, contact: str) -> BuyerResult | None:
        result: BuyerResult | None = await cls.show_and_wait(parent, ctx, contact)
        return result


@dataclass(frozen=True)
class ReleaseTarget:
    """One held order (``order_no``), or every held order of the buyer (``order_no`` None)."""

    contact: str
    order_no: str | None = None


class ReleaseDialog(_BuyerDialog):
    """Release one held order, or all of a buyer's: they may be delivered again."""

    def __init__(self, parent: QWidget | None, ctx: DeskContext, target: ReleaseTarget) -> None:
        super().__init__(parent, ctx, target.contact)
        self.target = target
        self.setWindowTitle(self.tr("放行订单"))
        self.note = QLineEdit()
        self.note.setPlaceholderText(self.tr("可选：为什么放行（写入时间线）"))
        self.form.addRow(self.tr("备注"), self.note)
        if target.order_no:
            self.ok_button.setText(self.tr("放行此订单"))
            first = self.tr("订单 {order_no} 不再扣留，可以发货或补单后自动发货").format(order_no=target.order_no)
        else:
            self.ok_button.setText(self.tr("全部放行"))
            first = self.tr("该买家扣留的 {n} 个订单全部放行，可以发货", "", self.held).format(n=self.held)
        lines = [first, self.tr("放行不会发货；发货仍需你确认")]
        if self.info and self.info.blocked:
            lines.append(self.tr("买家仍在黑名单上：以后导入的订单还会扣留"))
        self.plan.setText(bullets(lines))
        self.revalidate()

    def problem(self) -> str | None:
        if self.target.order_no is None and not self.held:
            return self.tr("该买家没有扣留的订单")
        return None

    async def perform(self) -> BuyerResult:
        if self.target.order_no:
            changes = await self.ctx.op(buyers.release, [self.target.order_no], note=self.note.text())
        else:
            changes = await self.ctx.op(buyers.release_buyer, self.key, note=self.note.text())
        return BuyerResult("release", self.key, _count(changes, "released"), changes)

    @classmethod
    async def ask(cls, parent: QWidget | None, ctx: DeskContext, target: ReleaseTarget) -> BuyerResult | None:
        result: BuyerResult | None = await cls.show_and_wait(parent, ctx, target)
        return result
