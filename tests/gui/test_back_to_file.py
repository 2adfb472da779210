"""Going back to this PC's data file after the shop lived on a server: Settings warns first
(the file lacks what was done on the server; no way back from the server to a file), the
buttons show the saved choice, and the first start on the file says it once more."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from kashop_desktop.gui.context import DeskContext
from kashop_desktop.gui.pages.store_box import StoreBox
from kashop_desktop.gui.qt import QApplication, QMessageBox, QTimer
from kashop_desktop.services import store_choice
from kashop_desktop.store.pg_url import parts_of
from tests.gui.test_dialogs import desk_context, qasync_loop
from tests.pgserver import PASSWORD, PrivateCluster

pytestmark = pytest.mark.gui
_aloop = pytest.fixture(qasync_loop, name="aloop")
_ctx = pytest.fixture(desk_context, name="ctx")


def warning_box(parent: Any) -> QMessageBox | None:
    found = [m for m in parent.findChildren(QMessageBox) if m.objectName() == "back_to_file" and m.isVisible()]
    return found[0] if found else None


@pytest.fixture
def box_with_a_saved_server(qtbot: Any, ctx: DeskContext, pg_cluster: PrivateCluster) -> StoreBox:
    store_choice.save_server(ctx.desk, parts_of(pg_cluster.url("postgres", password=False)), PASSWORD)
    box = StoreBox(ctx)
    qtbot.addWidget(box)
    assert box.use_server.isChecked()
    return box


@pytest.mark.parametrize(("answer", "saved_file"), [("仍然改回数据文件", True), ("留在服务器上", False)])
def test_choosing_the_file_after_a_server_warns_first_and_shows_the_saved_choice(
        qtbot: Any, box_with_a_saved_server: StoreBox, ctx: DeskContext, data_dir: Path, pg_cluster: PrivateCluster,
        answer: str, saved_file: bool) -> None:
    box = box_with_a_saved_server
    box.use_file.setChecked(True)
    saving = asyncio.ensure_future(box.save())
    qtbot.waitUntil(lambda: warning_box(box) is not None, timeout=5000)
    warning = warning_box(box)
    assert warning is not None
    text = warning.text()
    assert f"127.0.0.1:{pg_cluster.port}/postgres" in text and "pg_dump" in text and "store migrate" in text
    next(b for b in warning.buttons() if b.text() == answer).click()
    qtbot.waitUntil(saving.done, timeout=5000)
    assert saving.result() is saved_file
    assert (store_choice.saved(data_dir) is None) is saved_file
    assert box.use_file.isChecked() is saved_file and box.use_server.isChecked() is not saved_file
    assert ("已保存" if saved_file else "未保存") in box.result.text()
    note = store_choice.left_server_note(data_dir)
    assert (note is not None) is saved_file
    assert store_choice.left_server_note(data_dir) is None  # said once


def test_the_first_start_on_the_file_after_a_server_says_what_the_file_lacks(
        qtbot: Any, box_with_a_saved_server: StoreBox, ctx: DeskContext, data_dir: Path) -> None:
    from kashop_desktop.gui.app import warn_back_on_file

    store_choice.use_file(ctx.desk)
    shown: list[str] = []

    def close_it() -> None:
        box = next(w for w in QApplication.topLevelWidgets() if w.objectName() == "back_on_file" and w.isVisible())
        assert isinstance(box, QMessageBox)
        shown.append(box.text())
        box.accept()

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    QTimer.singleShot(0, close_it)
    warn_back_on_file(app, data_dir, "zh")
    assert len(shown) == 1 and "数据文件里没有" in shown[0] and "pg_dump" in shown[0]
    warn_back_on_file(app, data_dir, "zh")  # once only: no box this time (none would be closed)
    assert len(shown) == 1


def test_a_failed_test_connection_says_it_was_not_saved(qtbot: Any, ctx: DeskContext, data_dir: Path) -> None:
    import socket

    from tests.gui.test_dialogs import run

    with socket.socket() as s:  # bound, never listening: refused at once
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
        box = StoreBox(ctx)
        qtbot.addWidget(box)
        box.use_server.setChecked(True)
        box.host.setText("127.0.0.1")
        box.port.setValue(port)
        box.database.setText("shop")
        box.user.setText("kashop")
        found = run(qtbot, box.test_connection())
    assert not found.usable and box.result.text().startswith("未保存。") and "连接不上" in box.result.text()
    assert store_choice.saved(data_dir) is None
