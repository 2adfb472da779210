"""Two desks' windows on one PostgreSQL shop see each other's change: this process's window and
a second one in its own process (``other_window.py``), each at its real polling interval."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kashop_desktop.domain.order import ReasonCode
from kashop_desktop.gui.main_window import MainWindow
from kashop_desktop.services import requests, views
from kashop_desktop.services.desk import Desk
from tests.gui.test_dialogs import desk_context, qasync_loop, run, small_shop
from tests.gui.test_order_actions import settle
from tests.pgserver import PrivateCluster

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[2]
_aloop = pytest.fixture(qasync_loop, name="aloop")
_ctx = pytest.fixture(desk_context, name="ctx")
_shop = pytest.fixture(small_shop, name="shop")


@pytest.fixture
def server_url(pg_cluster: PrivateCluster, pg_template: str) -> Iterator[str]:
    url = pg_cluster.new_database(template=pg_template)
    yield url
    pg_cluster.drop_database(url)


@pytest.fixture
def desk(data_dir: Path, server_url: str) -> Iterator[Desk]:
    d = Desk.open(data_dir, db_url=server_url)  # the real clock: the other window runs on it too
    try:
        yield d
    finally:
        d.close()


@pytest.fixture
def window(qtbot: Any, ctx: Any, tmp_path: Path) -> Iterator[MainWindow]:
    from kashop_desktop.gui.qt import QSettings

    win = MainWindow(ctx, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    win.persist_layout = False
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    yield win
    win.store_watch.stop()
    win.orders_page.model._drop_id_list()
    win.close()


def _status(window: MainWindow, order_no: str) -> str | None:
    detail = window.orders_page.detail.detail
    return detail.status.value if detail is not None and detail.order_no == order_no else None


def _line(proc: subprocess.Popen[str], word: str) -> str:
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.startswith(word):
        proc.kill()
        _out, err = proc.communicate(timeout=30)
        raise AssertionError(f"the other window said {line!r}, not {word}: {err[-3000:]}")
    return line


def test_two_windows_on_one_server_see_each_others_change(qtbot: Any, ctx: Any, shop: Any, window: MainWindow,
                                                          tmp_path: Path, server_url: str) -> None:
    page = window.orders_page
    mine, theirs = shop.order("pending_payment"), shop.order("pending_payment", buyer="13911112222")
    settle(qtbot, page)
    assert page.select_order(views.order_detail(ctx.desk, theirs).id)
    qtbot.waitUntil(lambda: _status(window, theirs) == "pending_payment", timeout=5000)
    qtbot.waitUntil(lambda: window.store_watch.version is not None, timeout=10_000)  # listening for other desks
    (tmp_path / "pc2").mkdir()
    env = {**os.environ, "KASHOP_DB_URL": server_url, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    other = subprocess.Popen([sys.executable, str(ROOT / "tests/gui/other_window.py"), str(tmp_path / "pc2"), mine,
                              theirs, str(tmp_path / "other.png")], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env)
    try:
        _line(other, "ready")
        run(qtbot, ctx.op(requests.cancel_order, mine, ReasonCode.MISTAKEN))  # this desk cancels one order
        written = time.time()
        seen_there = float(_line(other, "seen").split()[1])  # the other window showed it
        _line(other, "shot")
        written_there = float(_line(other, "wrote").split()[1])  # and cancelled the other order
        qtbot.waitUntil(lambda: _status(window, theirs) == "cancelled", timeout=30_000)
        seen_here = time.time()
        assert page.tab_count("cancelled") == 2 and page.tab_count("pending_payment") == 0
        assert seen_there >= written - 1 and seen_here >= written_there
        assert "其他程序" in window.statusBar().currentMessage()  # why this screen moved by itself
        assert other.stdin is not None
        other.stdin.write("\n")
        other.stdin.flush()
        _out, err = other.communicate(timeout=60)
        assert other.returncode == 0 and "Traceback" not in err, err[-3000:]
        assert (tmp_path / "other.png").stat().st_size > 10_000
    finally:
        if other.poll() is None:
            other.kill()
            other.communicate(timeout=30)
