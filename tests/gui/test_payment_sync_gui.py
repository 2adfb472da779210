"""Payment sync in the window: the detail's 同步支付 button and the 支付 > 同步支付 menu action run
in the background against a fake gateway on loopback; the detail shows the sync state and flags."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kashop_desktop.gateways.fakes import fake_class
from kashop_desktop.gui.order_detail import OrderDetailPane
from kashop_desktop.services.gateways import save_account
from kashop_desktop.store.models import GatewayAccount, Order
from tests.gui.test_dialogs import desk_context, qasync_loop, run
from tests.services.helpers import order

pytestmark = pytest.mark.gui

_aloop = pytest.fixture(qasync_loop, name="aloop")
_ctx = pytest.fixture(desk_context, name="ctx")


@pytest.fixture
def wechat(ctx: Any) -> Iterator[tuple[Any, int]]:
    server = fake_class("wechatpay_v3")().start()
    try:
        save_account(ctx.desk, "微信", "wechatpay_v3", server.account_config("wechatpay_v3"))
        yield server, GatewayAccount.get(GatewayAccount.name == "微信").id
    finally:
        server.stop()


def unpaid(ctx: Any, server: Any, gid: int, amount: int = 68_00) -> tuple[str, int]:
    no = order(ctx.desk, "pending_payment", gateway_id=gid, paid_fen=68_00)
    server.add_payment(no, amount, status="pending")
    return no, Order.get(Order.order_no == no).id


def test_detail_button_asks_the_gateway_and_shows_what_happened(qtbot: Any, ctx: Any, wechat: Any,
                                                               tmp_path: Path) -> None:
    server, gid = wechat
    no, oid = unpaid(ctx, server, gid)
    pane = OrderDetailPane(ctx)
    qtbot.addWidget(pane)
    pane.resize(1200, 420)
    pane.show()
    pane.show_order(oid)
    assert pane.sync_button.isEnabled() and "尚未查询网关" in pane.sync_line.text()
    pane.sync_payment()
    qtbot.waitUntil(lambda: "等待买家付款" in pane.notice.text(), timeout=9000)
    assert "等待买家付款" in pane.sync_line.text() and pane.sync_line.kind == "info"
    httpx.post(f"{server.url}__fake__/pay", json={"out_trade_no": no}, timeout=5).raise_for_status()
    qtbot.waitUntil(pane.sync_button.isEnabled, timeout=9000)
    pane.sync_payment()
    qtbot.waitUntil(lambda: "已补单并发货" in pane.notice.text(), timeout=9000)
    assert pane.notice.kind == "ok" and pane.detail is not None and pane.detail.status.value == "delivered"
    assert not pane.sync_button.isVisible() and not pane.sync_line.isVisible()
    pane.grab().save(str(tmp_path / "detail_synced.png"))


def test_amount_mismatch_shows_a_red_finding(qtbot: Any, ctx: Any, wechat: Any) -> None:
    server, gid = wechat
    no, oid = unpaid(ctx, server, gid, amount=60_00)
    server.pay_trade(no)
    pane = OrderDetailPane(ctx)
    qtbot.addWidget(pane)
    pane.show_order(oid)
    pane.sync_payment()
    qtbot.waitUntil(lambda: "金额不符" in pane.notice.text(), timeout=9000)
    assert pane.sync_line.kind == "error" and "网关金额 ¥60.00" in pane.sync_line.text()
    assert "订单应付 ¥68.00" in pane.sync_line.text() and pane.detail is not None
    assert pane.detail.status.value == "pending_payment"


def test_menu_action_syncs_every_watched_order(qtbot: Any, ctx: Any, wechat: Any, tmp_path: Path) -> None:
    from kashop_desktop.gui.main_window import MainWindow
    from kashop_desktop.gui.qt import QSettings

    server, gid = wechat
    paid, _ = unpaid(ctx, server, gid)
    waiting, _ = unpaid(ctx, server, gid)
    server.pay_trade(paid)
    window = MainWindow(ctx, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    report = run(qtbot, window.sync_payments())
    assert {r.order_no: r.code for r in report.results} == {paid: "paid_delivered", waiting: "pending"}
    assert "补单 1" in window.statusBar().currentMessage()
    assert window.gateway_state[gid] is True
