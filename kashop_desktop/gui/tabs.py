"""A tab bar that fits its width: no scroll arrows, ever.

On a small screen (1024 px, English labels) a row of status tabs can be wider than the page.
Scroll arrows hide tabs off to the side; instead each tab gives way and elides its label, and
the full label is its tooltip. Where the labels fit, nothing changes.
"""

from __future__ import annotations

from .qt import Qt, QTabBar, QWidget


class FittingTabBar(QTabBar):
    """``set_label`` sets a tab's text and its tooltip (the whole label when the text is elided)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setUsesScrollButtons(False)
        self.setElideMode(Qt.TextElideMode.ElideRight)

    def set_label(self, index: int, text: str) -> None:
        if self.tabText(index) != text:
            self.setTabText(index, text)
            self.setTabToolTip(index, text)
