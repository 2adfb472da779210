"""Pages built again (a language switch, another operator signing in) leave no connection behind:
a change after the rebuild reaches the new pages only, never the deleted ones' widgets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kashop_desktop.gui.main_window import MainWindow
from kashop_desktop.gui.qt import QApplication, QEvent, QSettings
from kashop_desktop.services.changes import Changes
from kashop_desktop.services.desk import Desk
from tests.gui.test_dialogs import desk_context, qasync_loop
from tests.services.helpers import order, product

pytestmark = pytest.mark.gui
_aloop = pytest.fixture(qasync_loop, name="aloop")
_ctx = pytest.fixture(desk_context, name="ctx")


def test_a_change_after_a_rebuild_reaches_no_deleted_page(qtbot: Any, ctx: Any, desk: Desk, tmp_path: Path) -> None:
    product(desk)
    order(desk)
    window = MainWindow(ctx, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.persist_layout = False
    window.show()
    for key in list(window.pages):  # every page built and shown once, as a shop owner clicks through them
        window.show_page(key)
    window.show_page("gateways")
    old = dict(window.pages)
    window.rebuild()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)  # the old screens are deleted now
    assert all(window.pages[key] is not page for key, page in old.items())
    with qtbot.captureExceptions() as raised:
        ctx.changed.emit(Changes(counts_changed=True))
    assert [str(e[1]) for e in raised] == []
    with qtbot.captureExceptions() as raised:
        window.rebuild()  # and once more: nothing piles up
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
        ctx.changed.emit(Changes(counts_changed=True))
    assert [str(e[1]) for e in raised] == []
