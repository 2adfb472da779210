"""The status bar's passing messages: a long store problem is cut with … before the gateways
and refunds on the right (whole in the tooltip), and the server's connection coming back is
said as such, not as another program's change."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kashop_desktop.gui.main_window import MainWindow
from kashop_desktop.services.changes import Changes
from tests.gui.test_dialogs import desk_context, qasync_loop

pytestmark = pytest.mark.gui
_aloop = pytest.fixture(qasync_loop, name="aloop")
_ctx = pytest.fixture(desk_context, name="ctx")

LOST = ("数据库服务器 postgresql://kashop:***@db.shop.lan:5432/kashop 连接不上（服务器没有运行，或网络、主机名、端口不对）。"
        "什么都没有改动；请检查后重试。（connection to server at \"db.shop.lan\" (10.0.0.5), port 5432 failed: "
        "Connection refused. Is the server running on that host and accepting TCP/IP connections?）")


@pytest.fixture
def window(qtbot: Any, ctx: Any, tmp_path: Path) -> Iterator[MainWindow]:
    from kashop_desktop.gui.qt import QSettings

    win = MainWindow(ctx, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    win.persist_layout = False
    qtbot.addWidget(win)
    win.resize(1024, 640)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.store_watch.stop()
    win.close()


def test_a_long_store_problem_stops_short_of_the_right_hand_labels(window: MainWindow, ctx: Any, qtbot: Any) -> None:
    window.gateway_label.setText("网关：沙箱 正常")
    qtbot.waitUntil(lambda: window.gateway_label.isVisible())
    ctx.status_message.emit(LOST)
    bar = window.statusBar()
    shown = bar.currentMessage()
    assert shown.endswith("…") and shown[:-1] in LOST and bar.toolTip() == LOST
    right_hand = [w for w in (window.gateway_label, window.refunds_label, window.operator_label) if w.isVisible()]
    assert right_hand
    assert 6 + bar.fontMetrics().horizontalAdvance(shown) <= min(w.x() for w in right_hand)


def test_the_servers_return_is_said_as_such(window: MainWindow, ctx: Any) -> None:
    ctx.changed.emit(Changes(counts_changed=True, outside=True, resumed=True))
    assert window.statusBar().currentMessage() == "与数据库服务器的连接已恢复，已重新读取"
    ctx.changed.emit(Changes(counts_changed=True, outside=True))
    assert "其他程序" in window.statusBar().currentMessage()
