"""The main window: navigation, counts in the nav, status bar, remembered layout, the smoke start."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kashop_desktop.services import views
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.refund_queue import QueueReport

pytestmark = pytest.mark.gui


@pytest.fixture
def ctx(qtbot: Any, demo_desk: Desk) -> Iterator[Any]:
    from kashop_desktop.gui.context import DeskContext

    context = DeskContext(demo_desk)
    yield context
    context.worker.shutdown()


@pytest.fixture
def settings(tmp_path: Path) -> Any:
    from kashop_desktop.gui.qt import QSettings

    return QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)


def make_window(qtbot: Any, ctx: Any, settings: Any) -> Any:
    from kashop_desktop.gui.main_window import MainWindow

    window = MainWindow(ctx, settings)
    qtbot.addWidget(window)
    return window


def test_navigation_switches_pages_and_shows_counts(qtbot: Any, ctx: Any, settings: Any,
                                                    demo_desk: Desk) -> None:
    from kashop_desktop.gui.main_window import PAGE_KEYS

    window = make_window(qtbot, ctx, settings)
    assert window.stack.currentIndex() == 0
    for key in PAGE_KEYS[1:]:
        page = window.show_page(key)
        assert window.stack.currentIndex() == PAGE_KEYS.index(key)
        assert window.stack.currentWidget().isAncestorOf(page)
    reqs = views.request_counts(demo_desk)
    assert reqs["open"] > 0
    assert f"（{reqs['open']}" in window.nav.item(PAGE_KEYS.index("requests")).text()
    counts = views.refund_counts(demo_desk)
    waiting = sum(counts[s] for s in ("queued", "sending", "processing", "unknown", "needs_owner"))
    assert window.refunds_label.text().startswith(f"退款中：{waiting}")
    assert "退款失败 " in window.refunds_label.toolTip() and "待人工处理 " in window.refunds_label.toolTip()
    window.nav.setCurrentRow(0)
    assert window.stack.currentWidget().isAncestorOf(window.orders_page)


def test_status_bar_shows_data_file_and_gateway_reachability(qtbot: Any, ctx: Any, settings: Any,
                                                            demo_desk: Desk) -> None:
    from kashop_desktop.services import gateways

    window = make_window(qtbot, ctx, settings)
    assert str(demo_desk.db_path) in window.path_label.text()
    assert window.gateway_label.text() == "网关 …"  # plugins load after the first paint
    window.show()
    accounts = [a for a in gateways.list_accounts(demo_desk) if a.enabled]
    sandbox = next(a for a in accounts if a.kind == "sandbox")
    qtbot.waitUntil(lambda: f"{sandbox.name}：未知" in window.gateway_label.toolTip(), timeout=5000)
    ctx.queue_report.emit(QueueReport(unreachable_gateways={sandbox.id}))
    assert f"{sandbox.name}：离线" in window.gateway_label.toolTip().splitlines()
    ctx.queue_report.emit(QueueReport(reachable_gateways={sandbox.id}))
    assert f"{sandbox.name}：可达" in window.gateway_label.toolTip().splitlines()
    if len(accounts) > 3:
        assert window.gateway_label.text() == f"网关：可达 1 · 离线 0 · 未知 {len(accounts) - 1}"
    else:
        assert f"{sandbox.name}：可达" in window.gateway_label.text()


def test_geometry_splitter_and_columns_are_remembered(qtbot: Any, ctx: Any, settings: Any) -> None:
    first = make_window(qtbot, ctx, settings)
    first.show()
    qtbot.waitExposed(first)
    first.resize(1195, 755)  # not the 1400x860 default
    first.splitter.setSizes([first.nav.minimumWidth() + 40, 700])
    first.orders_page.view.setColumnWidth(1, 177)  # 下单时间: the owner may widen a fixed column
    size, nav_width = (first.width(), first.height()), first.splitter.sizes()[0]
    first.close()
    second = make_window(qtbot, ctx, settings)
    second.show()
    qtbot.waitExposed(second)
    assert (second.width(), second.height()) == size != (1400, 860)
    assert second.splitter.sizes()[0] == nav_width
    assert second.orders_page.view.columnWidth(1) == 177


def test_a_fresh_settings_file_gives_a_window_that_fits_the_screen(qtbot: Any, ctx: Any, settings: Any) -> None:
    from kashop_desktop.gui.main_window import FIRST_RUN_SIZE, FRAME_ALLOWANCE
    from kashop_desktop.gui.qt import QGuiApplication

    window = make_window(qtbot, ctx, settings)
    assert (window.width(), window.height()) == FIRST_RUN_SIZE  # the desktop screen has room for it
    laptop = next(s for s in QGuiApplication.screens() if s.name() == "laptop")  # tests/offscreen_screens.json
    window.setScreen(laptop)
    window.first_run_size()
    room = laptop.availableGeometry()  # 1024x640: smaller than 1400x860
    wanted = (min(FIRST_RUN_SIZE[0], room.width() - FRAME_ALLOWANCE[0]),
              min(FIRST_RUN_SIZE[1], room.height() - FRAME_ALLOWANCE[1]))
    assert (window.width(), window.height()) == wanted != FIRST_RUN_SIZE
    assert room.contains(window.geometry())  # placed on the screen, not reaching under a task bar


def test_smoke_start_prints_timing_and_exits_zero(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "kashop_desktop.gui.app", "--smoke"], env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    words = done.stdout.split()
    assert words[:2] == ["smoke", "ok"] and int(words[2]) > 0
    assert "ms: the window opened and painted its order list" in done.stdout  # says what it proved


def test_housekeeping_skips_a_send_while_one_is_running(qtbot: Any, ctx: Any, monkeypatch: Any) -> None:
    from kashop_desktop.gui.app import SEND_MS, SWEEP_MS, Housekeeping

    started: list[Any] = []
    monkeypatch.setattr(ctx, "start", lambda coro: started.append(coro) or coro.close())
    chores = Housekeeping(ctx)
    assert (chores.sweep_timer.interval(), chores.send_timer.interval()) == (SWEEP_MS, SEND_MS) == (60_000, 30_000)
    assert chores.sweep_timer.isActive() and chores.send_timer.isActive()
    ctx.sending = True
    chores.send()
    assert started == []
    ctx.sending = False
    chores.send()
    chores.sweep()
    assert len(started) == 2
    chores.deleteLater()


def test_a_data_file_from_a_newer_version_is_refused_not_opened(tmp_path: Path) -> None:
    import sqlite3

    data = tmp_path / "newer"
    data.mkdir()
    con = sqlite3.connect(data / "kashop.sqlite3")
    con.execute("PRAGMA user_version = 99")
    con.close()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "kashop_desktop.gui.app", "--smoke", "--data-dir", str(data)],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1
    assert "smoke failed" in done.stderr and "newer" in done.stderr


def test_about_shows_version_data_dir_and_the_font_licence(qtbot: Any, ctx: Any, settings: Any,
                                                          demo_desk: Desk) -> None:
    from kashop_desktop import __version__

    window = make_window(qtbot, ctx, settings)
    about = window.show_about()
    assert about.isVisible() and not about.isModal()
    assert __version__ in about.title_label.text()
    assert "Apache" in about.licence_text() and "WenQuanYi" in about.licence_text()
    assert window.show_about() is about, "a second click raises the same window"
    about.close()
