"""A start on a server database the desk cannot open (a shop schema without its tables) shows
the server problem box with its way out, never a traceback; and 改用这台电脑的数据文件 from
there leads to the file, saying once what the file lacks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from kashop_desktop.gui import app as gui_app
from kashop_desktop.gui.qt import QApplication, QMessageBox, QTimer
from kashop_desktop.services import store_choice
from kashop_desktop.services.desk import Desk
from kashop_desktop.store import db as store_db
from kashop_desktop.store.pg_url import parts_of
from tests.pgserver import PASSWORD, PrivateCluster

pytestmark = pytest.mark.gui


def test_a_saved_server_with_a_damaged_shop_offers_the_way_back_to_the_file(
        qtbot: Any, pg_cluster: PrivateCluster, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = pg_cluster.new_database()
    with psycopg.connect(url, autocommit=True) as con:
        con.execute("CREATE TABLE kashop_schema (version int)")
        con.execute("INSERT INTO kashop_schema VALUES (%s)", (store_db.LATEST,))
    desk = Desk.open(data_dir)
    try:
        store_choice.save_server(desk, parts_of(url), PASSWORD)
    finally:
        desk.close()
    opened: list[Any] = []
    monkeypatch.setattr(gui_app, "run_window", lambda _app, desk, *_a: (opened.append(desk.db_url), (0, None))[1])
    seen: list[str] = []

    def answer_modal() -> None:
        widget = QApplication.activeModalWidget()
        if isinstance(widget, QMessageBox) and widget.isVisible():
            seen.append(f"{widget.objectName()}|{widget.text()}")
            if widget.objectName() == "server_problem":
                next(b for b in widget.buttons() if b.text() == "改用这台电脑的数据文件").click()
            else:
                widget.accept()

    clicker = QTimer()
    clicker.timeout.connect(answer_modal)
    clicker.start(20)
    try:
        assert gui_app.main([], data_dir=data_dir) == 0
    finally:
        clicker.stop()
    assert seen[0].startswith("server_problem|") and "结构不完整或已损坏" in seen[0]
    assert seen[1].startswith("back_on_file|") and "pg_dump" in seen[1]
    assert opened == [None]  # the window opened on this PC's file
