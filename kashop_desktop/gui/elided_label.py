"""A label that gives way on a narrow window: its text is cut with … instead of widening the window."""

from __future__ import annotations

from typing import Any

from .qt import QLabel, QPainter, QSize, QStatusBar, Qt, QWidget


class ElidedLabel(QLabel):
    """A one-line QLabel whose minimum width is small: where the layout gives it less than its
    text needs (a 1024-pixel screen, English, a long product name in the low-stock warning), the
    text ends in … and the whole of it is in the tooltip, unless the caller set a tooltip of its own."""

    MIN_WIDTH = 48  # pixels: room for a word and the …

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._own_tip = False

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        return QSize(min(hint.width(), self.MIN_WIDTH), hint.height())

    def setToolTip(self, tip: str) -> None:
        self._own_tip = bool(tip)
        super().setToolTip(tip)

    def paintEvent(self, event: Any) -> None:
        rect = self.contentsRect()
        shown = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, rect.width())
        if not self._own_tip:
            QLabel.setToolTip(self, self.text() if shown != self.text() else "")
        painter = QPainter(self)
        self.style().drawItemText(painter, rect, int(self.alignment()), self.palette(), self.isEnabled(), shown,
                                  self.foregroundRole())


def show_elided_message(bar: QStatusBar, text: str, timeout_ms: int) -> str:
    """Show ``text`` as ``bar``'s temporary message cut with … where it would run under the
    permanent widgets (the gateways, refunds and operator on the right; a long store problem
    must not overlap them), the whole of it in the bar's tooltip. Returns the text shown."""
    first_line = text.splitlines()[0] if text else ""
    bar.showMessage(first_line, timeout_ms)  # hides the bar's normal widgets: the right-hand ones stay
    right = bar.width() - 12
    for widget in bar.findChildren(QWidget):
        if widget.parent() is bar and widget.isVisible():  # the message hides the others
            right -= widget.sizeHint().width() + 8  # what each right-hand widget takes once laid out
    shown = bar.fontMetrics().elidedText(first_line, Qt.TextElideMode.ElideRight, max(right - 6, 48))
    bar.setToolTip(text if shown != text else "")
    bar.showMessage(shown, timeout_ms)
    return shown
