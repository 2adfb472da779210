"""While the window sends refunds and after, its GUI thread reads no whole table: the
navigation's and status bar's counts (requests, refunds by state) are read on the database
worker and shown when they are back (real store, real sandbox refunds, widgets offscreen)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from kashop_desktop.domain.order import ReasonCode
from kashop_desktop.services import requests as reqs
from kashop_desktop.services import views
from kashop_desktop.services.desk import Desk
from kashop_desktop.store.models import Refund
from tests.gui.test_dialogs import desk_context, qasync_loop, run
from tests.gui.test_orders_worker import Trace
from tests.services.helpers import order, sandbox

pytestmark = pytest.mark.gui

_aloop = pytest.fixture(qasync_loop, name="aloop")
_ctx = pytest.fixture(desk_context, name="ctx")

#: Statements that read a whole table to count it (what the GUI thread did after each send).
WHOLE_TABLE = re.compile(r"FROM cancel_request GROUP BY|FROM refund GROUP BY|FROM cancel_request WHERE state")


def queued_refunds(desk: Desk, n: int) -> list[int]:
    gateway = sandbox(desk, "success")
    for _ in range(n):
        no = order(desk, "paid", gateway_id=gateway, paid_minutes_ago=30, code_used="no")
        _, request_id = reqs.open_request(desk, no, ReasonCode.WRONG_ITEM)
        assert request_id is not None
        if not Refund.select().where(Refund.request == request_id).exists():  # the rules may approve at once
            reqs.approve(desk, request_id)
    return [r.id for r in views.list_refunds(desk, "queued")]


def test_sending_refunds_reads_the_counts_on_the_worker(qtbot: Any, ctx: Any, desk: Desk, tmp_path: Path) -> None:
    from kashop_desktop.gui.main_window import MainWindow
    from kashop_desktop.gui.qt import QSettings

    refund_ids = queued_refunds(desk, 6)
    window = MainWindow(ctx, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    window.persist_layout = False
    qtbot.addWidget(window)
    window.show()
    assert window.refunds_label.text().startswith("退款中：6")  # read at once when the window was built
    trace = Trace()
    con = desk.db.connection()
    con.set_trace_callback(trace)
    try:
        report = run(qtbot, ctx.send_refunds(refund_ids=refund_ids))
        assert report.succeeded == 6
        qtbot.waitUntil(lambda: window.refunds_label.text() == "退款中：0", timeout=5000)
    finally:
        con.set_trace_callback(None)
    assert [sql for sql in trace.seen if WHOLE_TABLE.search(sql)] == []
    counts = views.refund_counts(desk)
    assert counts["succeeded"] >= 6 and "退款成功 6" in window.refunds_label.toolTip()
