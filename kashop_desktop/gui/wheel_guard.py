"""Value fields that take the mouse wheel only when focused.

A page that scrolls (Settings) is scrolled with the wheel; a spin box or combo box passing
under the pointer would otherwise take the wheel and change its value (the server's port
55440 becoming 55430) without the owner noticing. ``guard_wheel(page)`` gives every such
field under ``page`` Qt's StrongFocus (no focus from the wheel) and lets an unfocused one
pass the wheel on to the page, which scrolls; a field clicked or tabbed into takes it as
before.
"""

from __future__ import annotations

from .qt import (
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QEvent,
    QObject,
    QSlider,
    Qt,
    QWidget,
)

GUARDED = (QAbstractSpinBox, QComboBox, QSlider)


class _WheelGuard(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Wheel and isinstance(watched, QWidget) and not watched.hasFocus():
            area = _scroll_area_of(watched)
            if area is not None:  # the page scrolls, as over any label
                QApplication.sendEvent(area.viewport(), event)
            event.accept()
            return True
        return False


def _scroll_area_of(widget: QWidget) -> QAbstractScrollArea | None:
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, QAbstractScrollArea):
        parent = parent.parentWidget()
    return parent


def guard_wheel(root: QWidget) -> int:
    """Guard every spin box, combo box and slider under ``root`` (see the module docstring);
    returns how many were guarded. Call it again after adding fields."""
    guard = root.findChild(_WheelGuard, "wheel_guard")
    if guard is None:
        guard = _WheelGuard(root)
        guard.setObjectName("wheel_guard")
    count = 0
    for kind in GUARDED:
        for field in root.findChildren(kind):
            if field.property("wheel_guarded"):
                continue
            field.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            field.installEventFilter(guard)
            field.setProperty("wheel_guarded", True)
            count += 1
    return count
