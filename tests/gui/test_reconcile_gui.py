"""支付 > 对账 in the window against a fake WeChat Pay bill: read, fix with two clicks, explain, export."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from kashop_desktop.domain.clock import SHOP_TZ
from kashop_desktop.gateways.fakes import fake_class
from kashop_desktop.gui.dialogs.reconcile import ReconcileDialog
from kashop_desktop.gui.qt import QDate
from kashop_desktop.services.gateways import save_account
from kashop_desktop.store.models import GatewayAccount, Order
from tests.gui.test_dialogs import desk_context, qasync_loop, run
from tests.services.helpers import order

pytestmark = pytest.mark.gui

_aloop = pytest.fixture(qasync_loop, name="aloop")
_ctx = pytest.fixture(desk_context, name="ctx")


def test_reconcile_dialog_reads_fixes_explains_and_exports(qtbot: Any, ctx: Any, tmp_path: Path) -> None:
    server = fake_class("wechatpay_v3")().start()
    try:
        save_account(ctx.desk, "微信", "wechatpay_v3", server.account_config("wechatpay_v3"))
        gid = GatewayAccount.get(GatewayAccount.name == "微信").id
        day = datetime(2026, 11, 17, 12, 0, tzinfo=SHOP_TZ)
        missing = order(ctx.desk, "pending_payment", gateway_id=gid)
        server.add_payment(missing, 68_00, status="pending")
        server.pay_trade(missing, paid_at=day.timestamp())
        server.add_payment("SITE-ONLY-1", 9_90, status="pending")
        server.pay_trade("SITE-ONLY-1", paid_at=day.timestamp())
        dialog = ReconcileDialog(None, ctx)
        qtbot.addWidget(dialog)
        dialog.show()
        dialog.day.setDate(QDate(2026, 11, 17))
        report = run(qtbot, dialog.run())
        assert report is not None and dialog.table.rowCount() == 2
        assert "差异 2 项（待处理 2）" in dialog.summary.text()
        kinds = [d.kind for d in report.differences]
        dialog.table.selectRow(kinds.index("paid_there_unpaid_here"))
        assert dialog.fix_button.isEnabled() and not dialog.explain_button.isEnabled()
        dialog.fix_clicked()  # first click: says what it will do
        assert dialog.fix_button.text() == "确认修正" and missing in dialog.message.text()
        assert Order.get(Order.order_no == missing).status == "pending_payment"
        dialog.fix_clicked()
        qtbot.waitUntil(lambda: "已补单并发货" in dialog.message.text(), timeout=9000)
        qtbot.waitUntil(lambda: "待处理 1" in dialog.summary.text(), timeout=9000)  # the list is read again
        assert Order.get(Order.order_no == missing).status == "delivered"
        row = [d.kind for d in dialog.report.differences].index("unknown_trade")
        dialog.table.selectRow(row)
        dialog.note.setText("网站测试单")
        assert dialog.explain_button.isEnabled()
        assert run(qtbot, dialog.explain())
        assert "待处理 0" in dialog.summary.text()
        dialog.resize(1100, 480)
        dialog.grab().save(str(tmp_path / "reconcile.png"))
        written = dialog.export_to(tmp_path / "r.csv")
        assert written is not None and "SITE-ONLY-1" in written.read_text("utf-8-sig")
    finally:
        server.stop()
