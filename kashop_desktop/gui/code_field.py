"""The 卡密 row of the order detail: masked until the owner reveals it, copyable, hidden again.

Revealing goes through ``services.delivery.reveal_code`` and copying through
``delivery.copy_code``: each writes who took the code and when into the order's timeline
(查看卡密 / 复制卡密). 隐藏 masks a revealed code again, as does choosing another order. A copied
code is taken off the clipboard again after ``CLEAR_AFTER_MS`` (30 s), unless something else
was copied meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable

from ..domain.errors import DomainError
from ..services import delivery
from ..services.changes import Changes
from .context import DeskContext
from .dialogs.vault import needing_secrets
from .i18n import error_text
from .qt import QGuiApplication, QHBoxLayout, QLabel, QPushButton, Qt, QTimer, QWidget, Signal

CLEAR_AFTER_MS = 30_000


class CodeField(QWidget):
    """Masked code, a 显示 button that reveals it (logged), 隐藏 that masks it again and 复制
    (logged)."""

    # A line for the owner: what happened (revealed, copied, cleared) or why not.
    notice = Signal(str, str)  # text, kind ("ok" | "error" | "info")

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.order_no: str | None = None
        self.masked = ""
        self.clear_code: str | None = None
        self.clear_after_ms = CLEAR_AFTER_MS
        self._copied: str | None = None
        self.clear_timer = QTimer(self)
        self.clear_timer.setSingleShot(True)
        self.clear_timer.timeout.connect(self.clear_clipboard)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.text = QLabel(self)
        self.text.setStyleSheet("font-family: monospace;")
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reveal_button = QPushButton(self.tr("显示"), self)
        self.reveal_button.setToolTip(self.tr("显示完整卡密（会记入时间线：谁、何时）"))
        self.reveal_button.clicked.connect(lambda: self.ctx.start(self.reveal()))
        self.hide_button = QPushButton(self.tr("隐藏"), self)
        self.hide_button.setToolTip(self.tr("重新遮住卡密（换选订单时也会自动遮住）"))
        self.hide_button.clicked.connect(self.hide_code)
        self.copy_button = QPushButton(self.tr("复制"), self)
        self.copy_button.setToolTip(self.tr("复制完整卡密发给买家（会记入时间线：谁、何时）；30 秒后从剪贴板清除"))
        self.copy_button.clicked.connect(lambda: self.ctx.start(self.copy()))
        for button in (self.reveal_button, self.hide_button, self.copy_button):
            button.setAutoDefault(False)
            button.setFlat(True)
            button.setStyleSheet("QPushButton { color: #0b5cad; padding: 0 4px; }")
        layout.addWidget(self.text)
        layout.addWidget(self.reveal_button)
        layout.addWidget(self.hide_button)
        layout.addWidget(self.copy_button)
        layout.addStretch(1)

    def show_code(self, order_no: str | None, masked: str) -> None:
        """Show an order's masked code; a code revealed for another order (or before the
        selection moved to none) is hidden again."""
        if order_no != self.order_no:
            self.clear_code = None
        self.order_no = order_no
        self.masked = masked
        has_code = bool(masked)
        self.text.setText(self.clear_code or masked or "—")
        self.reveal_button.setVisible(has_code and self.clear_code is None)
        self.hide_button.setVisible(has_code and self.clear_code is not None)
        self.copy_button.setVisible(has_code)

    def hide_code(self) -> None:
        """Mask the revealed code again (the timeline keeps who saw it)."""
        self.clear_code = None
        self.show_code(self.order_no, self.masked)

    async def _take(self, access: Callable[..., tuple[Changes, str]]) -> str | None:
        """The code in the clear through ``access`` (reveal or copy: each writes its timeline
        entry), or None when it could not be read or the selection moved meanwhile."""
        order_no = self.order_no
        if order_no is None:
            return None
        try:
            _changes, code = await needing_secrets(self, self.ctx, lambda: self.ctx.op(access, order_no))
        except DomainError as exc:
            self.notice.emit(error_text(exc), "error")
            return None
        return str(code) if self.order_no == order_no else None

    async def reveal(self) -> None:
        code = await self._take(delivery.reveal_code)
        if code is not None:
            self.clear_code = code
            self.show_code(self.order_no, self.masked)

    async def copy(self) -> None:
        """Copy the code for the buyer (logged as 复制卡密 each time), shown or not."""
        code = await self._take(delivery.copy_code)
        if code is None:
            return
        QGuiApplication.clipboard().setText(code)
        self._copied = code
        self.clear_timer.start(self.clear_after_ms)
        self.notice.emit(self.tr("卡密已复制，{seconds} 秒后从剪贴板清除").format(
            seconds=self.clear_after_ms // 1000), "ok")

    def clear_clipboard(self) -> None:
        """Take the copied code off the clipboard, unless the owner copied something else since."""
        clipboard = QGuiApplication.clipboard()
        if self._copied is not None and clipboard.text() == self._copied:
            clipboard.clear()
        self._copied = None
