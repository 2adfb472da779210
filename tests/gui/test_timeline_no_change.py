"""A timeline entry whose status did not change (a part refund approved on a paid order) shows no
status change, in the window and on the command line alike."""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any

import pytest

from kashop_desktop.domain.order import ReasonCode
from kashop_desktop.gui.order_detail import OrderDetailPane
from kashop_desktop.services import requests, views
from tests.gui.test_dialogs import Shop, desk_context, qasync_loop

pytestmark = pytest.mark.gui
_aloop = pytest.fixture(qasync_loop, name="aloop")
_ctx = pytest.fixture(desk_context, name="ctx")


def test_an_approval_that_leaves_the_status_shows_no_change(qtbot: Any, ctx: Any, capsys: Any) -> None:
    shop = Shop(ctx.desk)
    order_no = shop.order("paid", ago=timedelta(hours=10))
    _, request_id = requests.open_request(ctx.desk, order_no, ReasonCode.WRONG_ITEM, amount_fen=10_00)
    requests.approve(ctx.desk, request_id or 0)
    detail = views.order_detail(ctx.desk, order_no)
    approved = next(e for e in detail.events if e.action == "approved")
    assert approved.before == approved.after == "paid"  # stored as it was
    pane = OrderDetailPane(ctx)
    qtbot.addWidget(pane)
    pane.show_order(detail.id)
    rows = [[pane.timeline.item(r, c).text() if pane.timeline.item(r, c) else ""
             for c in range(pane.timeline.columnCount())] for r in range(pane.timeline.rowCount())]
    [row] = [r for r in rows if "批准申请" in r]
    assert not any("→" in cell or "已支付" in cell for cell in row), row
    from kashop_desktop.cli import orders as cli_orders

    cli_orders._print_detail(detail, argparse.Namespace(lang="zh", json=False))  # orders show
    [line] = [ln for ln in capsys.readouterr().out.splitlines() if "批准申请" in ln]
    assert "→" not in line and "已支付" not in line
