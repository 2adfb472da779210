"""The 卡密 row of the order detail: masked until the owner reveals it, then copyable.

Revealing goes through ``services.delivery.reveal_code``, which writes who saw the code and
when into the order's timeline. A copied code is taken off the clipboard again after
``CLEAR_AFTER_MS`` (30 s), unless something else was copied meanwhile.
"""

from __future__ import annotations

from ..domain.errors import DomainError
from ..services import delivery
from .context import DeskContext
from .dialogs.vault import needing_secrets
from .i18n import error_text
from .qt import QGuiApplication, QHBoxLayout, QLabel, QPushButton, Qt, QTimer, QWidget, Signal

CLEAR_AFTER_MS = 30_000


class CodeField(QWidget):
    """Masked code, a 显示 button that reveals it (logged) and a 复制 button."""

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
        self.copy_button = QPushButton(self.tr("复制"), self)
        self.copy_button.setToolTip(self.tr("复制完整卡密发给买家；30 秒后从剪贴板清除"))
        self.copy_button.clicked.connect(lambda: self.ctx.start(self.copy()))
        for button in (self.reveal_button, self.copy_button):
            button.setAutoDefault(False)
            button.setFlat(True)
            button.setStyleSheet("QPushButton { color: #0b5cad; padding: 0 4px; }")
        layout.addWidget(self.text)
        layout.addWidget(self.reveal_button)
        layout.addWidget(self.copy_button)
        layout.addStretch(1)

    def show_code(self, order_no: str | None, masked: str) -> None:
        """Show an order's masked code; a code revealed for another order is hidden again."""
        if order_no != self.order_no:
            self.clear_code = None
        self.order_no = order_no
        self.masked = masked
        has_code = bool(masked)
        self.text.setText(self.clear_code or masked or "—")
        self.reveal_button.setVisible(has_code and self.clear_code is None)
        self.copy_button.setVisible(has_code)

    async def _fetch(self) -> str | None:
        if self.clear_code is not None:
            return self.clear_code
        if self.order_no is None:
            return None
        try:
            order_no = self.order_no
            _changes, code = await needing_secrets(self, self.ctx, lambda: self.ctx.op(delivery.reveal_code, order_no))
        except DomainError as exc:
            self.notice.emit(error_text(exc), "error")
            return None
        self.clear_code = str(code)
        return self.clear_code

    async def reveal(self) -> None:
        code = await self._fetch()
        if code is not None:
            self.show_code(self.order_no, self.masked)

    async def copy(self) -> None:
        code = await self._fetch()
        if code is None:
            return
        self.show_code(self.order_no, self.masked)
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
