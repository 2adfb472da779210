"""Operators in the window, the points a shop with staff meets every day: what 取消 does in
each sign-in (start-up, 切换操作员, after the idle time), whose name is chosen in advance, the
data folder closed to a viewer, and the owner changing roles and limits in Settings > 操作员."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from kashop_desktop.domain.roles import OWNER_NAME, Identity, Role
from kashop_desktop.gui.dialogs.operators import EditOperatorDialog, SignInDialog, SignInMode
from kashop_desktop.gui.idle import IdleWatch
from kashop_desktop.gui.pages import SettingsPage
from kashop_desktop.gui.qt import Qt
from kashop_desktop.services import operators
from kashop_desktop.store.models import AuditEvent
from tests.gui.test_dialogs import desk_context, qasync_loop, run, submit

pytestmark = pytest.mark.gui
_aloop = pytest.fixture(qasync_loop, name="aloop")
_ctx = pytest.fixture(desk_context, name="ctx")


def _team(desk: Any) -> None:
    operators.set_password(desk, OWNER_NAME, "owner-secret")
    operators.add(desk, "小王", Role.CLERK, "clerk-secret", approve_limit_fen=50_00)
    operators.add(desk, "阿May", Role.VIEWER, "viewer-secret")


def _window(qtbot: Any, ctx: Any, tmp_path: Path) -> Any:
    from kashop_desktop.gui.main_window import MainWindow
    from kashop_desktop.gui.qt import QSettings

    window = MainWindow(ctx, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    return window


def _sign_in_dialog(qtbot: Any, window: Any) -> SignInDialog:
    qtbot.waitUntil(lambda: any(w.isVisible() for w in window.findChildren(SignInDialog)), timeout=5000)
    return next(w for w in window.findChildren(SignInDialog) if w.isVisible())


def _log(after: int) -> list[tuple[str, str]]:
    return [(e.operator, e.action) for e in AuditEvent.select().where(AuditEvent.id > after).order_by(AuditEvent.id)]


def _last_log_id() -> int:
    return max(e.id for e in AuditEvent.select())


def test_cancel_in_switch_operator_goes_back_to_the_operator_signed_in(qtbot, ctx, tmp_path: Path):
    _team(ctx.desk)
    operators.sign_in(ctx.desk, "小王", "clerk-secret")
    window = _window(qtbot, ctx, tmp_path)
    before = _last_log_id()
    task = ctx.start(window.switch_operator())
    dialog = _sign_in_dialog(qtbot, window)
    assert "小王" in dialog.cancel_button.text() and "小王" in dialog.cancel_note.text()
    assert dialog.name.currentIndex() == -1 and not dialog.ok_button.isEnabled()  # nobody chosen for them
    assert ctx.desk.operator.name == "小王"  # still at work while the dialog is up
    dialog.cancel_button.click()
    qtbot.waitUntil(task.done, timeout=5000)
    assert task.result() is False
    assert window.isVisible() and ctx.desk.operator.name == "小王" and "小王" in window.operator_label.text()
    assert _log(before) == []  # nobody signed out or in


def test_switch_operator_signs_the_previous_one_out_only_when_the_new_password_is_right(qtbot, ctx, tmp_path):
    _team(ctx.desk)
    operators.sign_in(ctx.desk, "小王", "clerk-secret")
    window = _window(qtbot, ctx, tmp_path)
    before = _last_log_id()
    task = ctx.start(window.switch_operator())
    dialog = _sign_in_dialog(qtbot, window)
    dialog.name.setCurrentIndex(dialog.name.findData(OWNER_NAME))
    dialog.password.setText("wrong-one")
    assert not run(qtbot, dialog.submit())
    assert ctx.desk.operator.name == "小王"
    dialog.password.setText("owner-secret")
    assert run(qtbot, dialog.submit())
    qtbot.waitUntil(task.done, timeout=5000)
    assert task.result() is True and ctx.desk.operator.name == OWNER_NAME
    assert _log(before) == [("小王", "sign_in_failed"), ("小王", "signed_out"), (OWNER_NAME, "signed_in")]


def test_the_idle_sign_in_chooses_the_operator_who_was_signed_in_and_its_cancel_quits(qtbot, ctx, tmp_path):
    _team(ctx.desk)
    operators.sign_in(ctx.desk, "阿May", "viewer-secret")  # not the first name in the list
    window = _window(qtbot, ctx, tmp_path)
    idle = IdleWatch(window)
    try:
        assert idle.check(now=idle.last_input + 15 * 60 + 1)
        dialog = _sign_in_dialog(qtbot, window)
        assert dialog.name.currentData() == "阿May" and dialog.mode is SignInMode.AGAIN
        assert ctx.desk.operator is None  # signed out while the desk was left alone
        assert dialog.cancel_button.text() == "退出程序"
        dialog.cancel_button.click()
        qtbot.waitUntil(lambda: not window.isVisible(), timeout=5000)
    finally:
        idle.stop()


def test_the_start_up_sign_in_says_its_cancel_quits(qtbot, ctx, tmp_path):
    _team(ctx.desk)
    ctx.desk.sign_in(None)
    window = _window(qtbot, ctx, tmp_path)
    task = ctx.start(window.switch_operator(mode=SignInMode.START))
    dialog = _sign_in_dialog(qtbot, window)
    assert dialog.cancel_button.text() == "退出程序" and "退出程序" in dialog.cancel_note.text()
    assert dialog.name.currentIndex() == -1 and dialog.message.text() == "请选择你的名字"
    dialog.reject()
    qtbot.waitUntil(task.done, timeout=5000)
    assert not window.isVisible()


@pytest.mark.parametrize("role", [Role.VIEWER, Role.CLERK])
def test_the_data_folder_is_closed_to_a_viewer(qtbot, ctx, role: Role):
    _team(ctx.desk)
    who = "阿May" if role is Role.VIEWER else "小王"
    ctx.desk.sign_in(Identity(who, role, 50_00))
    page = SettingsPage(ctx)
    qtbot.addWidget(page)
    viewer = role is Role.VIEWER
    assert page.open_button.isEnabled() is not viewer
    assert (who in page.open_button.toolTip()) is viewer
    if viewer:
        assert page.open_folder() is False  # a shortcut or a stale button opens nothing either
    box = page.operators_box
    for button in (box.add_button, box.toggle_button, box.edit_button, box.password_button):
        assert not button.isEnabled()
        assert who in button.toolTip(), button.text()  # the right's reason, not "choose a row first"


def test_the_owner_changes_a_role_and_limit_in_settings(qtbot, ctx, aloop):
    _team(ctx.desk)
    page = SettingsPage(ctx)
    qtbot.addWidget(page)
    box = page.operators_box
    names = [box.table.item(r, 0).text() for r in range(box.table.rowCount())]
    assert box.table.item(names.index("阿May"), 2).text() == "—"  # a viewer has no limit to show
    assert box.table.item(names.index(OWNER_NAME), 2).text() == "—"
    box.table.selectRow(names.index("阿May"))
    assert box.edit_button.isEnabled()
    dialog = EditOperatorDialog(page, ctx, box.selected())
    qtbot.addWidget(dialog)
    assert not dialog.ok_button.isEnabled() and not dialog.limit.isEnabled()  # nothing changed; a viewer
    dialog.role.setCurrentIndex(dialog.role.findData("clerk"))
    assert dialog.limit.isEnabled()
    dialog.limit.setText("12.5x")
    assert not dialog.ok_button.isEnabled() and "金额" in dialog.message.text()
    dialog.limit.setText("99999999999.99")  # an amount, but too large: said so, as on the command line
    assert not dialog.ok_button.isEnabled() and "金额过大" in dialog.message.text()
    dialog.limit.setText("30")
    assert submit(qtbot, dialog)
    may = next(v for v in operators.list_operators(ctx.desk) if v.name == "阿May")
    assert (may.role, may.approve_limit_fen) == (Role.CLERK, 30_00)
    box.refresh()
    row = [box.table.item(r, 0).text() for r in range(box.table.rowCount())].index("阿May")
    assert box.table.item(row, 1).text() == "店员" and box.table.item(row, 2).text() == "¥30.00"
    owner = next(v for v in operators.list_operators(ctx.desk) if v.name == OWNER_NAME)
    demote = EditOperatorDialog(page, ctx, owner)
    qtbot.addWidget(demote)
    demote.role.setCurrentIndex(demote.role.findData("viewer"))
    assert not submit(qtbot, demote)  # the last owner stays: the service's reason, inline
    assert "唯一在用的店主" in demote.message.text()


def test_settings_scrolls_on_a_small_window_and_a_sign_in_keeps_its_place(qtbot, ctx, tmp_path):
    from kashop_desktop.gui.qt import QScrollArea

    _team(ctx.desk)
    window = _window(qtbot, ctx, tmp_path)
    window.resize(1024, 640)
    page = window.show_page("settings")
    scroll = window.stack.currentWidget().findChild(QScrollArea)
    bar = scroll.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=5000)  # taller than the window: it scrolls
    scroll.ensureWidgetVisible(page.operators_box.table, 0, 0)
    place = bar.value()
    assert place > 0
    window.rebuild()  # as after a sign-in or a language switch
    rebuilt = window.stack.currentWidget().findChild(QScrollArea)
    assert rebuilt is not scroll and window.pages["settings"] is not page
    qtbot.waitUntil(lambda: rebuilt.verticalScrollBar().value() == place, timeout=5000)


def test_the_refund_queue_names_who_approved_and_the_timeline_its_source(qtbot, ctx, aloop):
    from kashop_desktop.domain.order import ReasonCode
    from kashop_desktop.gui.order_detail import OrderDetailPane
    from kashop_desktop.gui.pages.refunds import COL_OPERATOR, RefundsPage
    from kashop_desktop.services import requests, views
    from tests.gui.test_dialogs import Shop

    shop = Shop(ctx.desk)
    order_no = shop.order("paid", ago=timedelta(hours=10))  # past the cooling-off: a person approves
    _team(ctx.desk)
    _, request_id = requests.open_request(ctx.desk, order_no, ReasonCode.WRONG_ITEM)
    operators.set_limit(ctx.desk, "小王", None)
    ctx.desk.sign_in(Identity("小王", Role.CLERK, None))
    requests.approve(ctx.desk, request_id or 0)
    page = RefundsPage(ctx)
    qtbot.addWidget(page)
    refunds = views.list_refunds(ctx.desk, None)
    page.model.set_rows(refunds)
    header = page.model.headerData(COL_OPERATOR, Qt.Orientation.Horizontal)
    assert header == "批准人"
    assert page.model.data(page.model.index(0, COL_OPERATOR)) == "小王"
    pane = OrderDetailPane(ctx)
    qtbot.addWidget(pane)
    pane.show_order(views.order_detail(ctx.desk, order_no).id)
    titles = [pane.timeline.horizontalHeaderItem(c).text() for c in range(pane.timeline.columnCount())]
    assert titles[:3] == ["时间", "来源", "操作员"]


def test_the_signed_in_message_is_not_drawn_over_the_data_file(qtbot, ctx, tmp_path):
    from kashop_desktop.gui.qt import QCoreApplication

    _team(ctx.desk)
    operators.sign_in(ctx.desk, "小王", "clerk-secret")
    window = _window(qtbot, ctx, tmp_path)
    window.rebuild()  # as a sign-in does, then says who signed in
    window.statusBar().showMessage("小王 已登录", 8000)
    for _ in range(3):
        QCoreApplication.processEvents()
    assert window.statusBar().currentMessage() and not window.path_label.isVisible()  # the message has the room
    window.statusBar().clearMessage()
    qtbot.waitUntil(window.path_label.isVisible, timeout=5000)


def test_a_viewer_reads_a_request_and_a_refund_but_decides_and_asks_nothing(qtbot, ctx, aloop):
    from kashop_desktop.domain.order import ReasonCode
    from kashop_desktop.gui.dialogs.review import ReviewDialog
    from kashop_desktop.gui.pages.refunds import RefundsPage
    from kashop_desktop.services import requests, views
    from tests.gui.test_dialogs import Shop

    shop = Shop(ctx.desk)
    _team(ctx.desk)
    _, open_id = requests.open_request(ctx.desk, shop.order("paid", ago=timedelta(hours=10)), ReasonCode.WRONG_ITEM)
    _, approved_id = requests.open_request(ctx.desk, shop.order("paid", ago=timedelta(hours=10)),
                                           ReasonCode.WRONG_ITEM)
    requests.approve(ctx.desk, approved_id or 0)  # a refund waiting to be sent
    ctx.desk.sign_in(Identity("阿May", Role.VIEWER))
    dialog = ReviewDialog(None, ctx, open_id or 0)
    qtbot.addWidget(dialog)
    assert dialog.amount.text()  # the request and its figures are shown
    assert not dialog.ok_button.isEnabled() and "阿May" in dialog.message.text()
    dialog.reject_reason.setText("不退")
    for control in (dialog.reject_button, dialog.reject_reason, dialog.record_code, dialog.amount):
        assert not control.isEnabled() and "阿May" in control.toolTip()
    page = RefundsPage(ctx)
    qtbot.addWidget(page)
    page.model.set_rows(views.list_refunds(ctx.desk, "queued"))
    page.table.selectRow(0)
    assert "query" in page.selected().actions
    assert not page.buttons["query"].isEnabled() and "阿May" in page.buttons["query"].toolTip()


def test_an_owner_who_makes_themselves_a_clerk_sees_the_window_follow_at_once(qtbot, ctx, tmp_path, aloop):
    _team(ctx.desk)
    operators.add(ctx.desk, "老板娘", Role.OWNER, "second-owner")  # so the owner may step down
    operators.sign_in(ctx.desk, OWNER_NAME, "owner-secret")
    window = _window(qtbot, ctx, tmp_path)
    page = window.show_page("settings")
    assert page.policy_box.isEnabled()
    box = page.operators_box
    names = [box.table.item(r, 0).text() for r in range(box.table.rowCount())]
    box.table.selectRow(names.index(OWNER_NAME))
    task = ctx.start(box.edit())
    qtbot.waitUntil(lambda: any(d.isVisible() for d in box.findChildren(EditOperatorDialog)), timeout=5000)
    dialog = next(d for d in box.findChildren(EditOperatorDialog) if d.isVisible())
    dialog.role.setCurrentIndex(dialog.role.findData("clerk"))
    dialog.limited.setChecked(False)
    assert run(qtbot, dialog.submit())
    qtbot.waitUntil(task.done, timeout=5000)
    qtbot.waitUntil(lambda: window.pages.get("settings") is not page, timeout=5000)  # rebuilt for the new rights
    rebuilt = window.pages["settings"]
    assert ctx.desk.operator.role is Role.CLERK and not rebuilt.policy_box.isEnabled()
    assert OWNER_NAME in rebuilt.policy_box.toolTip() and "店员" in window.operator_label.text()


def test_the_shops_data_is_hidden_while_nobody_is_signed_in(qtbot, ctx, tmp_path):
    _team(ctx.desk)
    operators.sign_in(ctx.desk, "阿May", "viewer-secret")
    window = _window(qtbot, ctx, tmp_path)
    assert window.centralWidget().isVisible()
    idle = IdleWatch(window)
    try:
        assert idle.check(now=idle.last_input + 15 * 60 + 1)
        dialog = _sign_in_dialog(qtbot, window)
        assert ctx.desk.operator is None and not window.centralWidget().isVisible()
        shop_figures = (window.refunds_label, window.gateway_label, window.stock_label)
        assert not any(label.isVisible() for label in shop_figures)  # the status bar's figures too
        window.grab().save(str(tmp_path / "signed_out.png"))
        dialog.password.setText("viewer-secret")
        dialog.ok_button.click()
        qtbot.waitUntil(lambda: ctx.desk.operator is not None and window.centralWidget().isVisible(), timeout=5000)
        assert window.refunds_label.isVisible() and window.gateway_label.isVisible()
    finally:
        idle.stop()


def test_the_shops_data_is_hidden_behind_the_start_up_sign_in(qtbot, ctx, tmp_path):
    _team(ctx.desk)
    ctx.desk.sign_in(None)
    window = _window(qtbot, ctx, tmp_path)
    assert not window.centralWidget().isVisible()
    task = ctx.start(window.switch_operator(mode=SignInMode.START))
    dialog = _sign_in_dialog(qtbot, window)
    assert not window.centralWidget().isVisible()
    dialog.reject()
    qtbot.waitUntil(task.done, timeout=5000)
