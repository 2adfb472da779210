"""The window on a PostgreSQL server store when the server goes away: every timer's read on the
GUI thread meets the dropped connection as a store problem (the warning box), never the crash
dialog or a crash report; the window reads again once the server is back."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kashop_desktop.domain.roles import OWNER_NAME, Role
from kashop_desktop.gui.context import DeskContext
from kashop_desktop.gui.crash import install_excepthook
from kashop_desktop.gui.idle import IdleWatch
from kashop_desktop.gui.main_window import MainWindow
from kashop_desktop.gui.qt import QSettings
from kashop_desktop.services import operators, views
from kashop_desktop.services.desk import Desk
from tests.gui.test_dialogs import desk_context, qasync_loop
from tests.pgserver import PASSWORD, PrivateCluster

pytestmark = pytest.mark.gui
_aloop = pytest.fixture(qasync_loop, name="aloop")
_ctx = pytest.fixture(desk_context, name="ctx")


@pytest.fixture
def desk(pg_cluster: PrivateCluster, pg_template: str, data_dir: Path) -> Iterator[Desk]:
    opened = Desk.open(data_dir, db_url=pg_cluster.new_database(template=pg_template))
    yield opened
    opened.close()


@pytest.mark.qt_no_exception_capture
def test_a_server_that_stops_under_the_window_is_a_store_problem_never_a_crash(
        qtbot: Any, ctx: DeskContext, pg_cluster: PrivateCluster, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    desk = ctx.desk
    operators.set_password(desk, OWNER_NAME, "owner-secret")
    operators.add(desk, "小王", Role.CLERK, "clerk-secret")  # the idle check reads the operators
    window = MainWindow(ctx, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    logs = tmp_path / "logs"
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # put back after the test
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    handler = install_excepthook(logs, lambda: window, desk.explain)  # as the window's start does
    idle = IdleWatch(window)
    before = views.status_counts(desk)["all"]
    pg_cluster.stop_server()
    try:
        for timer in (idle.timer, window._refresh_timer):
            timer.timeout.emit()
        qtbot.waitUntil(lambda: any(b.objectName() == "store_problem" for b in handler.dialogs), timeout=5000)
        box = next(b for b in handler.dialogs if b.objectName() == "store_problem")
        assert desk.store_label in box.text() and PASSWORD not in box.text()
        assert not list(logs.glob("crash-*.txt"))
    finally:
        idle.stop()
        pg_cluster.start_server()
    for box in list(handler.dialogs):
        box.done(0)
    assert views.status_counts(desk)["all"] == before  # the desk reads again
