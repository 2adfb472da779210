"""The window's own shortcuts win over a text field's editing keys.

On X11 a line edit takes Ctrl+E as "end of line" (Qt's KB_X11 key bindings) and, by accepting
the ShortcutOverride event, keeps File > 导出订单's Ctrl+E from firing while the cursor is in the
search box. ``ShortcutsFirst`` declines the override for the window's own shortcuts, so the menu
does what its label says wherever the cursor is (End still moves to the end of the line).
"""

from __future__ import annotations

from .qt import QEvent, QKeySequence, QLineEdit, QObject, QWidget


class ShortcutsFirst(QObject):
    """An event filter for the text fields of one window: ``keys`` (the window's menu
    shortcuts) go to the window, not to the field."""

    def __init__(self, parent: QObject, keys: list[QKeySequence]) -> None:
        super().__init__(parent)
        self.keys = [k for k in keys if not k.isEmpty()]

    def watch(self, root: QWidget) -> None:
        """Filter every line edit under ``root`` (once each)."""
        for edit in root.findChildren(QLineEdit):
            edit.removeEventFilter(self)
            edit.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride:
            pressed = QKeySequence(event.keyCombination())  # type: ignore[attr-defined]
            if any(pressed.matches(k) == QKeySequence.SequenceMatch.ExactMatch for k in self.keys):
                event.ignore()  # not the field's: the shortcut map triggers the window's action
                return True
        return False
