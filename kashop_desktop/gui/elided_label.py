"""A label that gives way on a narrow window: its text is cut with … instead of widening the window."""

from __future__ import annotations

from typing import Any

from .qt import QLabel, QPainter, QSize, Qt


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
