"""The window notices what another process wrote: the command line cancels an order while the
desk shows it; counts, the list row and the detail follow, and the selection stays."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kashop_desktop.gui.main_window import MainWindow
from kashop_desktop.gui.orders_page import TAB_STATUSES
from kashop_desktop.services import outside, views
from tests.gui.test_dialogs import desk_context, qasync_loop, small_shop
from tests.gui.test_order_actions import settle

pytestmark = pytest.mark.gui

_aloop = pytest.fixture(qasync_loop, name="aloop")
_ctx = pytest.fixture(desk_context, name="ctx")
_shop = pytest.fixture(small_shop, name="shop")


@pytest.fixture
def window(qtbot: Any, ctx: Any, tmp_path: Path) -> Iterator[MainWindow]:
    from kashop_desktop.gui.qt import QSettings

    win = MainWindow(ctx, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    win.persist_layout = False
    qtbot.addWidget(win)
    win.store_watch.timer.setInterval(50)  # the test need not wait the 2 s of a real desk
    win.show()
    yield win
    win.store_watch.stop()
    win.orders_page.model._drop_id_list()
    win.close()


def cli(desk: Any, *args: str) -> subprocess.CompletedProcess[str]:
    """The command line in its own process, on the window's store, at the desk's (test) time."""
    env = {**os.environ, "KASHOP_DATA_DIR": ""}
    command = [sys.executable, "-m", "kashop_desktop", "--data-dir", str(desk.data_dir),
               "--now", desk.now().isoformat(), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_a_cancel_from_the_command_line_reaches_the_open_window(qtbot: Any, ctx: Any, shop: Any,
                                                               window: MainWindow) -> None:
    page = window.orders_page
    order_no = shop.order("pending_payment")
    other = shop.order("pending_payment", buyer="13911112222")
    settle(qtbot, page)
    order_id = views.order_detail(ctx.desk, order_no).id
    assert page.select_order(order_id)
    assert page.detail.detail is not None and page.detail.detail.status.value == "pending_payment"
    unpaid_before = page.tab_count("pending_payment")
    cancelled_before = page.tab_count("cancelled")
    qtbot.waitUntil(lambda: window.store_watch.version is not None, timeout=5000)

    done = cli(ctx.desk, "orders", "cancel", order_no, "--reason", "mistaken")
    assert done.returncode == 0, done.stderr

    def shown() -> bool:
        detail = page.detail.detail
        return detail is not None and detail.order_no == order_no and detail.status.value == "cancelled"

    qtbot.waitUntil(shown, timeout=10_000)
    qtbot.waitUntil(lambda: page.tab_count("cancelled") == cancelled_before + 1, timeout=5000)
    assert page.tab_count("pending_payment") == unpaid_before - 1

    def row_cancelled() -> bool:  # the list row too, not only the detail, and still the selected one
        row = page.current_row()
        return row is not None and row.id == order_id and row.status.value == "cancelled"

    qtbot.waitUntil(row_cancelled, timeout=5000)
    assert page.detail.chip.text() == "已取消"
    assert any(e.action == "cancel" for e in page.detail.detail.events)
    assert TAB_STATUSES[page.tabs.currentIndex()] is None  # the owner's tab is left as it was
    assert "其他程序" in window.statusBar().currentMessage()  # why the screen moved by itself
    assert views.order_detail(ctx.desk, other).status.value == "pending_payment"


def test_the_windows_own_writes_are_not_taken_for_outside_ones(qtbot: Any, ctx: Any, shop: Any) -> None:
    """data_version moves for other connections' commits only: the worker's writes leave it."""
    from kashop_desktop.domain.order import ReasonCode
    from kashop_desktop.services import requests
    from tests.gui.test_dialogs import run

    mine, theirs = shop.order("pending_payment"), shop.order("pending_payment")  # written on this thread
    before = run(qtbot, ctx.run(outside.data_version, ctx.desk))
    run(qtbot, ctx.op(requests.cancel_order, mine, ReasonCode.MISTAKEN))
    assert run(qtbot, ctx.run(outside.data_version, ctx.desk)) == before
    done = cli(ctx.desk, "orders", "cancel", theirs, "--reason", "mistaken")
    assert done.returncode == 0, done.stderr
    assert run(qtbot, ctx.run(outside.data_version, ctx.desk)) != before


def test_a_policy_set_from_the_command_line_is_read_again(qtbot: Any, ctx: Any, shop: Any) -> None:
    assert ctx.desk.policy().cooling_off_minutes != 7
    done = cli(ctx.desk, "policy", "set", "cooling_off_minutes=7")
    assert done.returncode == 0, done.stderr
    changes = outside.outside_changes(ctx.desk)
    assert changes.outside and changes.counts_changed
    assert ctx.desk.policy().cooling_off_minutes == 7


DIED_LOADING = """
import os, sys
from pathlib import Path
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.imports import import_file
from kashop_desktop.store import bulkload
desk = Desk.open(sys.argv[1])
with desk.atomic():
    bulkload.set_aside(desk.db.connection())
import_file(desk, Path(sys.argv[2]), chunk_rows=100, bulk=False)  # written with the upkeep aside
os._exit(0)  # died before putting it back (as a killed import): nobody holds its lock
"""


def test_an_import_that_died_in_another_process_is_finished_by_the_open_window(
        qtbot: Any, ctx: Any, shop: Any, window: MainWindow, tmp_path: Path) -> None:
    """The window does not wait for the next program to open the store: its watch puts back the
    upkeep a dead bulk load left set aside, and the counts include the orders it wrote."""
    import sqlite3
    from datetime import datetime

    from kashop_desktop.domain.clock import SHOP_TZ
    from kashop_desktop.services import datagen

    page = window.orders_page
    shop.order("pending_payment")
    settle(qtbot, page)
    qtbot.waitUntil(lambda: window.store_watch.version is not None, timeout=5000)
    before = page.tab_count(None)
    export = tmp_path / "export.csv"
    datagen.write_export(export, 300, seed=3, now=min(ctx.desk.now(), datetime.now(SHOP_TZ)))
    env = {**os.environ, "KASHOP_DATA_DIR": ""}
    died = subprocess.run([sys.executable, "-c", DIED_LOADING, str(ctx.desk.data_dir), str(export)], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert died.returncode == 0, died.stderr

    def pending() -> bool:
        con = sqlite3.connect(ctx.desk.db_path)
        try:
            return con.execute("SELECT 1 FROM setting WHERE key = 'bulk_load'").fetchone() is not None
        finally:
            con.close()

    qtbot.waitUntil(lambda: not pending(), timeout=10_000)
    qtbot.waitUntil(lambda: page.tab_count(None) == before + 300, timeout=10_000)
