"""The window shows who sent a refund (发送人 in the queue, 发出退款 in the timeline), lets a viewer
test a gateway without recording the result, and keeps 角色与额度's buttons still while it is edited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from kashop_desktop.domain.order import ReasonCode
from kashop_desktop.domain.roles import OWNER_NAME, Identity, Role
from kashop_desktop.gui.dialogs.operators import EditOperatorDialog
from kashop_desktop.gui.qt import QApplication, Qt
from kashop_desktop.services import gateways as gateway_service
from kashop_desktop.services import operators, requests, views
from kashop_desktop.store.models import AuditEvent, Refund
from tests.gui.test_dialogs import Shop, desk_context, qasync_loop, run

pytestmark = pytest.mark.gui
_aloop = pytest.fixture(qasync_loop, name="aloop")
_ctx = pytest.fixture(desk_context, name="ctx")


def _team(desk: Any) -> None:
    operators.set_password(desk, OWNER_NAME, "owner-secret")
    operators.add(desk, "小王", Role.CLERK, "clerk-secret")
    operators.add(desk, "阿May", Role.VIEWER, "viewer-secret")


def _approved(shop: Shop) -> tuple[str, int]:
    order_no = shop.order("paid", ago=timedelta(hours=10))  # past the cooling-off: a person approves
    _, request_id = requests.open_request(shop.desk, order_no, ReasonCode.WRONG_ITEM)
    requests.approve(shop.desk, request_id or 0)
    return order_no, int(Refund.get(Refund.request == request_id).id)


def test_the_queue_and_the_timeline_name_who_sent_each_refund(qtbot: Any, ctx: Any, aloop: Any) -> None:
    from kashop_desktop.gui.order_detail import OrderDetailPane
    from kashop_desktop.gui.pages.refunds import COL_SENDER, RefundsPage

    shop = Shop(ctx.desk)
    by_hand_no, by_hand = _approved(shop)
    _, auto = _approved(shop)
    Refund.update(next_attempt_at=2**40).where(Refund.id == by_hand).execute()  # the queue's run leaves it
    _team(ctx.desk)
    ctx.desk.sign_in(Identity("阿May", Role.VIEWER))
    run(qtbot, ctx.send_refunds())  # the window's periodic run, a viewer at the desk
    ctx.desk.sign_in(Identity("小王", Role.CLERK))
    page = RefundsPage(ctx)
    qtbot.addWidget(page)
    report = run(qtbot, page.send_now([by_hand], force=True))  # 立即发送 on the row
    assert report is not None and report.succeeded == 1
    page.model.set_rows(views.list_refunds(ctx.desk, None))
    assert page.model.headerData(COL_SENDER, Qt.Orientation.Horizontal) == "发送人"
    shown = {r.id: page.model.data(page.model.index(i, COL_SENDER)) for i, r in enumerate(page.model.rows)}
    assert shown == {by_hand: "小王", auto: "自动"}
    row = [r.id for r in page.model.rows].index(auto)
    tip = page.model.data(page.model.index(row, COL_SENDER), Qt.ItemDataRole.ToolTipRole)
    assert "阿May" in tip and "自动" in tip
    pane = OrderDetailPane(ctx)
    qtbot.addWidget(pane)
    pane.show_order(views.order_detail(ctx.desk, by_hand_no).id)
    table = pane.timeline
    rows = [[table.item(r, c).text() if table.item(r, c) else "" for c in range(table.columnCount())]
            for r in range(table.rowCount())]
    sent = [r for r in rows if "发出退款" in r]
    assert len(sent) == 1 and sent[0][1:3] == ["店主", "小王"], rows


def test_a_viewer_tests_a_gateway_and_the_last_test_stays(qtbot: Any, ctx: Any, aloop: Any) -> None:
    from kashop_desktop.gui.pages.gateways import GatewaysPage

    gateway_service.save_account(ctx.desk, "试用", "sandbox", {"scenario": "success"})
    _team(ctx.desk)
    ctx.desk.sign_in(Identity("阿May", Role.VIEWER))
    page = GatewaysPage(ctx)
    qtbot.addWidget(page)
    row = [a.name for a in page.accounts].index("试用")
    page.table.selectRow(row)
    assert page.test_button.isEnabled() and "不会保存" in page.test_button.toolTip()
    logged = AuditEvent.select().count()
    report = run(qtbot, page.test_selected())
    assert report is not None and report.ok
    assert "连接正常" in page.result.text() and "不保存" in page.result.text()
    assert page.table.item(row, 6).text() == "未测试"  # 上次测试: nothing recorded
    assert gateway_service.account_view(ctx.desk, "试用").last_test_ok is None
    assert AuditEvent.select().count() == logged


def test_the_role_dialog_keeps_its_height_and_buttons_while_edited(qtbot: Any, ctx: Any) -> None:
    _team(ctx.desk)
    view = next(v for v in operators.list_operators(ctx.desk) if v.name == "小王")
    dialog = EditOperatorDialog(None, ctx, view)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)

    def place() -> tuple[int, int]:
        QApplication.processEvents()
        return dialog.height(), dialog.ok_button.mapTo(dialog, dialog.ok_button.rect().topLeft()).y()

    first = place()
    assert dialog.message.isVisible()  # 没有改动: the line the message keeps
    steps = [lambda: dialog.limit.setText("80"),  # the message goes
             lambda: dialog.limit.setText("8x"),  # an error comes
             lambda: dialog.limit.setText("80"),
             lambda: dialog.role.setCurrentIndex(dialog.role.findData("owner")),  # a one-line hint
             lambda: dialog.role.setCurrentIndex(dialog.role.findData("viewer")),
             lambda: dialog.role.setCurrentIndex(dialog.role.findData("clerk"))]
    for step in steps:
        step()
        assert place() == first, (dialog.message.text(), dialog.hint.text())
