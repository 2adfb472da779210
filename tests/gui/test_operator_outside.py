"""An operator disabled by another program (the command line) is signed out at the window's next
change and asked who works; the status bar no longer shows them signed in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kashop_desktop.domain.roles import OWNER_NAME, Role
from kashop_desktop.gui.dialogs.operators import SignInDialog
from kashop_desktop.gui.main_window import MainWindow
from kashop_desktop.gui.qt import QSettings
from kashop_desktop.services import operators
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.outside import outside_changes
from tests.gui.test_dialogs import desk_context, qasync_loop

pytestmark = pytest.mark.gui
_aloop = pytest.fixture(qasync_loop, name="aloop")
_ctx = pytest.fixture(desk_context, name="ctx")


def test_an_operator_disabled_from_the_command_line_is_asked_at_the_next_change(
        qtbot: Any, ctx: Any, data_dir: Path, tmp_path: Path) -> None:
    operators.set_password(ctx.desk, OWNER_NAME, "owner-secret")
    operators.add(ctx.desk, "小王", Role.CLERK, "clerk-secret")
    operators.sign_in(ctx.desk, "小王", "clerk-secret")
    window = MainWindow(ctx, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.persist_layout = False
    window.show()
    assert "小王" in window.operator_label.text()
    other = Desk.open(data_dir)  # the command line, as the owner: operators disable 小王
    try:
        operators.sign_in(other, OWNER_NAME, "owner-secret")
        operators.set_active(other, "小王", False)
    finally:
        other.close()
    ctx.changed.emit(outside_changes(ctx.desk))  # what the store watch announces
    qtbot.waitUntil(lambda: any(w.isVisible() for w in window.findChildren(SignInDialog)), timeout=5000)
    assert ctx.desk.operator is None and "小王" not in window.operator_label.text()
    dialog = next(w for w in window.findChildren(SignInDialog) if w.isVisible())
    assert "停用" in dialog.intro.text()
    dialog.reject()
    qtbot.waitUntil(lambda: not window.signing_in, timeout=5000)
