"""Scrolling Settings with the mouse wheel never changes a value: spin boxes and combo boxes
take the wheel only once focused (clicked or tabbed into); unfocused, the page scrolls."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kashop_desktop.gui.context import DeskContext
from kashop_desktop.gui.pages.settings import SettingsPage
from kashop_desktop.gui.qt import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QPoint,
    QScrollArea,
    Qt,
    QtCore,
    QtGui,
)
from kashop_desktop.gui.wheel_guard import GUARDED
from tests.gui.test_dialogs import desk_context, qasync_loop

pytestmark = pytest.mark.gui
_aloop = pytest.fixture(qasync_loop, name="aloop")
_ctx = pytest.fixture(desk_context, name="ctx")


def wheel(widget: Any, notches: int = -1) -> None:
    """One wheel turn over ``widget``'s middle, as the mouse sends it (negative: down)."""
    at = QtCore.QPointF(widget.width() / 2, widget.height() / 2)
    event = QtGui.QWheelEvent(at, widget.mapToGlobal(at), QPoint(0, 0), QPoint(0, 120 * notches),
                              Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
                              False)
    QApplication.sendEvent(widget, event)


@pytest.fixture
def page(qtbot: Any, ctx: DeskContext) -> Iterator[tuple[SettingsPage, QScrollArea]]:
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    settings = SettingsPage(ctx)
    scroll.setWidget(settings)
    scroll.resize(900, 500)  # shorter than the page: it scrolls
    qtbot.addWidget(scroll)
    scroll.show()
    qtbot.waitExposed(scroll)
    yield settings, scroll


def test_the_wheel_over_an_unfocused_port_scrolls_the_page_and_leaves_the_port(
        page: tuple[SettingsPage, QScrollArea], qtbot: Any) -> None:
    settings, scroll = page
    port = settings.store_box.port
    port.setEnabled(True)
    port.setValue(55440)
    scroll.ensureWidgetVisible(port)
    qtbot.waitUntil(lambda: not port.visibleRegion().isEmpty())
    bar = scroll.verticalScrollBar()
    bar.setValue(bar.minimum() + (bar.maximum() - bar.minimum()) // 2)
    before = bar.value()
    wheel(port, -1)
    assert port.value() == 55440
    assert bar.value() != before  # the page scrolled instead
    port.setFocus(Qt.FocusReason.MouseFocusReason)
    qtbot.waitUntil(port.hasFocus)
    wheel(port, -1)
    assert port.value() != 55440  # focused on purpose: the wheel steps it, as before


def test_every_spin_box_and_combo_box_on_the_page_is_guarded(page: tuple[SettingsPage, QScrollArea]) -> None:
    settings, _ = page
    fields = [w for kind in GUARDED for w in settings.findChildren(kind)]
    assert any(isinstance(w, QComboBox) for w in fields) and any(isinstance(w, QAbstractSpinBox) for w in fields)
    for field in fields:
        assert field.focusPolicy() == Qt.FocusPolicy.StrongFocus, field.objectName() or type(field).__name__
        before = field.currentIndex() if isinstance(field, QComboBox) else field.text()
        field.setEnabled(True)
        field.clearFocus()
        wheel(field, -1)
        wheel(field, 1)
        wheel(field, 1)
        after = field.currentIndex() if isinstance(field, QComboBox) else field.text()
        assert after == before, type(field).__name__


