"""The buyer rows of the order detail: the contact, the owner's note on that buyer, the
blocklist mark, and the hold banner of an order waiting for the owner's review.

The note and the block belong to the buyer (``services.buyers``, keyed by the canonical
contact), so every order of theirs shows them. The buttons open the buyer dialogs, which say
what will happen first; the line they leave under the title says what was done.
"""

from __future__ import annotations

from typing import Any

from ..domain.roles import Right
from ..services.buyers import BuyerInfo
from .context import DeskContext
from .dialogs.buyer import (
    BlockBuyerDialog,
    BuyerNoteDialog,
    BuyerResult,
    ReleaseDialog,
    ReleaseTarget,
    UnblockBuyerDialog,
)
from .i18n import format_time_s
from .pages.permissions import refuse_reason
from .qt import QCoreApplication, QHBoxLayout, QLabel, QPushButton, Qt, QVBoxLayout, QWidget, Signal

LINK_STYLE = "QPushButton { color: #0b5cad; padding: 0 4px; }"
BLOCKED_STYLE = "color: #a61b1b; background: #fdecea; border-radius: 6px; padding: 0 6px;"


def _link(text: str, parent: QWidget) -> QPushButton:
    button = QPushButton(text, parent)
    button.setAutoDefault(False)
    button.setFlat(True)
    button.setStyleSheet(LINK_STYLE)
    return button


def buyer_outcome(result: BuyerResult) -> str:
    """The line that says what a buyer dialog did."""
    translate = QCoreApplication.translate
    if result.action == "note":
        return translate("BuyerField", "已保存买家 {buyer} 的备注").format(buyer=result.buyer)
    if result.action == "block":
        return translate("BuyerField", "已拉黑买家 {buyer}；{n} 个未发货订单扣留待审").format(
            buyer=result.buyer, n=result.count)
    if result.action == "unblock":
        if result.count:
            return translate("BuyerField", "已解除拉黑 {buyer}；仍有 {n} 个订单扣留待审，需要你放行").format(
                buyer=result.buyer, n=result.count)
        return translate("BuyerField", "已解除拉黑 {buyer}").format(buyer=result.buyer)
    return translate("BuyerField", "已放行 {n} 个订单，可以发货").format(n=result.count)


class BuyerField(QWidget):
    """Contact, note and blocklist mark of the order's buyer, with 备注 / 拉黑 / 解除拉黑."""

    notice = Signal(str, str)  # text, kind

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.contact = ""
        self.info: BuyerInfo | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        line = QHBoxLayout()
        self.text = QLabel(self)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.blocked = QLabel(self)
        self.blocked.setStyleSheet(BLOCKED_STYLE)
        self.note_button = _link(self.tr("备注"), self)
        self.note_button.setToolTip(self.tr("给这个买家写备注（显示在其所有订单中）"))
        self.block_button = _link(self.tr("拉黑"), self)
        self.block_button.setToolTip(self.tr("拉黑：其未发货订单扣留待审，不会发货"))
        self.unblock_button = _link(self.tr("解除拉黑"), self)
        self.unblock_button.setToolTip(self.tr("解除拉黑；已扣留的订单不会自动放行"))
        for widget in (self.text, self.blocked, self.note_button, self.block_button, self.unblock_button):
            line.addWidget(widget)
        line.addStretch(1)
        layout.addLayout(line)
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #5b6670;")
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.note)
        refused = refuse_reason(ctx.desk, Right.ORDERS)  # the buyer services refuse it too
        for button in (self.note_button, self.block_button, self.unblock_button):
            button.setEnabled(refused is None)
            if refused:
                button.setToolTip(refused)
        self.note_button.clicked.connect(lambda: self.ctx.start(self._run(BuyerNoteDialog, self.contact)))
        self.block_button.clicked.connect(lambda: self.ctx.start(self._run(BlockBuyerDialog, self.contact)))
        self.unblock_button.clicked.connect(lambda: self.ctx.start(self._run(UnblockBuyerDialog, self.contact)))

    def show_buyer(self, contact: str, info: BuyerInfo | None) -> None:
        """Show the order's buyer as written, and what the owner keeps on them."""
        self.contact, self.info = contact, info
        has_contact = bool(contact.strip())
        self.text.setText(contact or "—")
        blocked = info is not None and info.blocked
        self.blocked.setText(self.tr("已拉黑") if blocked else "")
        self.blocked.setVisible(blocked)
        if blocked and info is not None:
            self.blocked.setToolTip(self.tr("拉黑原因：{reason}（{at}）").format(
                reason=info.blocked_reason, at=format_time_s(info.blocked_at)))
        self.note_button.setVisible(has_contact)
        self.block_button.setVisible(has_contact and not blocked)
        self.unblock_button.setVisible(blocked)
        note = info.note if info is not None else ""
        self.note.setText(self.tr("备注：{note}").format(note=note) if note else "")
        self.note.setVisible(bool(note))

    async def _run(self, cls: Any, target: Any) -> None:
        result = await cls.ask(self.window(), self.ctx, target)
        if result is not None:
            self.notice.emit(buyer_outcome(result), "ok")


class HoldBanner(QWidget):
    """Shown above the facts of a held order: why it waits, 放行此单 and 全部放行."""

    notice = Signal(str, str)

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.contact = ""
        self.order_no = ""
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 4, 6, 4)
        self.setObjectName("holdBanner")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)  # a plain QWidget paints no sheet otherwise
        self.setStyleSheet("#holdBanner { background: #fff4e5; border: 1px solid #f0c58a; border-radius: 4px; }")
        self.text = QLabel(self)
        self.text.setWordWrap(True)
        self.text.setStyleSheet("color: #7a4a00;")
        self.release_one = QPushButton(self.tr("放行此单"), self)
        self.release_all = QPushButton("", self)
        refused = refuse_reason(ctx.desk, Right.ORDERS)  # the release refuses it too
        for button in (self.release_one, self.release_all):
            button.setAutoDefault(False)
            button.setEnabled(refused is None)
            button.setToolTip(refused or "")
        row.addWidget(self.text, 1)
        row.addWidget(self.release_one)
        row.addWidget(self.release_all)
        self.release_one.clicked.connect(lambda: self.ctx.start(self._run(ReleaseTarget(self.contact, self.order_no))))
        self.release_all.clicked.connect(lambda: self.ctx.start(self._run(ReleaseTarget(self.contact))))
        self.hide()

    def show_hold(self, order_no: str, contact: str, reason: str | None, info: BuyerInfo | None) -> None:
        """Visible only for a held order (``reason`` not None)."""
        self.order_no, self.contact = order_no, contact
        if reason is None:
            self.hide()
            return
        if info is not None and info.blocked:
            text = self.tr("扣留待审：买家在黑名单上（{reason}），此订单不会发货，直到你放行").format(reason=reason or "—")
        else:
            text = self.tr("扣留待审：买家已解除拉黑，但此订单仍等你决定放行或取消")
        self.text.setText(text)
        held = info.held if info is not None else 1
        self.release_all.setText(self.tr("全部放行（{n}）").format(n=held))
        self.release_all.setVisible(held > 1)
        self.show()

    async def _run(self, target: ReleaseTarget) -> None:
        result = await ReleaseDialog.ask(self.window(), self.ctx, target)
        if result is not None:
            self.notice.emit(buyer_outcome(result), "ok")
