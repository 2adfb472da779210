"""Operators in the window: the sign-in dialog, Settings > 操作员, what a viewer sees greyed
out (with the services' reason), the status bar and the idle sign-in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kashop_desktop.domain.roles import OWNER_NAME, Identity, Role
from kashop_desktop.gui.dialogs.operators import (
    AddOperatorDialog,
    EditOperatorDialog,
    PasswordDialog,
    SignInDialog,
)
from kashop_desktop.gui.idle import IdleWatch
from kashop_desktop.gui.order_detail import OrderDetailPane
from kashop_desktop.gui.pages import SettingsPage
from kashop_desktop.services import operators, views
from kashop_desktop.store.models import AuditEvent
from tests.gui.test_dialogs import desk_context, qasync_loop, run, small_shop, submit

pytestmark = pytest.mark.gui
_aloop = pytest.fixture(qasync_loop, name="aloop")
_ctx = pytest.fixture(desk_context, name="ctx")
_shop = pytest.fixture(small_shop, name="shop")


def _team(desk: Any) -> None:
    operators.set_password(desk, OWNER_NAME, "owner-secret")
    operators.add(desk, "小王", Role.CLERK, "clerk-secret", approve_limit_fen=50_00)
    operators.add(desk, "阿May", Role.VIEWER, "viewer-secret")


def test_the_sign_in_dialog_refuses_a_wrong_password_then_signs_in(qtbot, ctx):
    _team(ctx.desk)
    ctx.desk.sign_in(None)
    dialog = SignInDialog(None, ctx)
    qtbot.addWidget(dialog)
    names = [dialog.name.itemData(i) for i in range(dialog.name.count())]
    assert set(names) == {OWNER_NAME, "小王", "阿May"}
    assert not dialog.ok_button.isEnabled()
    dialog.name.setCurrentIndex(names.index("小王"))
    dialog.password.setText("wrong")
    assert not submit(qtbot, dialog)
    assert "密码不对" in dialog.message.text() and ctx.desk.operator is None
    dialog.password.setText("clerk-secret")
    assert submit(qtbot, dialog)
    assert dialog.result_value.name == "小王" and ctx.desk.operator.name == "小王"


def test_settings_operators_adds_an_operator_and_greys_out_for_a_clerk(qtbot, ctx):
    operators.set_password(ctx.desk, OWNER_NAME, "owner-secret")
    page = SettingsPage(ctx)
    qtbot.addWidget(page)
    box = page.operators_box
    assert box.add_button.isEnabled()
    add = AddOperatorDialog(page, ctx)
    qtbot.addWidget(add)
    add.name.setText("小王")
    add.password.setText("clerk-secret")
    add.again.setText("clerk-secret")
    add.limit.setText("80")
    assert submit(qtbot, add)
    box.refresh()
    assert [box.table.item(r, 0).text() for r in range(box.table.rowCount())] == ["小王", OWNER_NAME]
    assert box.table.item(0, 2).text() == "¥80.00"
    box.table.selectRow(0)
    limit = EditOperatorDialog(page, ctx, box.selected())
    qtbot.addWidget(limit)
    limit.limited.setChecked(False)
    assert submit(qtbot, limit)
    assert operators.list_operators(ctx.desk)[0].approve_limit_fen is None
    ctx.desk.sign_in(Identity("小王", Role.CLERK, 50_00))
    clerk_page = SettingsPage(ctx)
    qtbot.addWidget(clerk_page)
    assert not clerk_page.policy_box.isEnabled() and "小王" in clerk_page.policy_box.toolTip()
    assert not clerk_page.operators_box.add_button.isEnabled()
    clerk_page.operators_box.table.selectRow(0)  # themselves: a clerk changes their own password
    assert clerk_page.operators_box.password_button.isEnabled()
    own = PasswordDialog(clerk_page, ctx, "小王")
    qtbot.addWidget(own)
    own.password.setText("new-secret")
    own.again.setText("new-secret")
    assert submit(qtbot, own)


def test_a_viewer_sees_every_order_action_greyed_out_with_the_reason(qtbot, ctx, shop):
    _team(ctx.desk)
    order_no = shop.order("paid")
    ctx.desk.sign_in(Identity("阿May", Role.VIEWER))
    pane = OrderDetailPane(ctx)
    qtbot.addWidget(pane)
    pane.show_order(views.order_detail(ctx.desk, order_no).id)
    for key, button in pane.buttons.items():
        assert not button.isEnabled(), key
        assert "阿May" in button.toolTip()
    buyer = pane.buyer
    for button in (buyer.note_button, buyer.block_button, buyer.unblock_button):  # 备注 / 拉黑 / 解除拉黑
        assert not button.isEnabled() and "阿May" in button.toolTip()


def test_the_window_shows_the_operator_and_asks_again_after_the_idle_time(qtbot, ctx, tmp_path: Path):
    from kashop_desktop.gui.main_window import MainWindow
    from kashop_desktop.gui.qt import QSettings

    window = MainWindow(ctx, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    assert "店主" in window.operator_label.text() and window.switch_button.isHidden()
    _team(ctx.desk)
    operators.sign_in(ctx.desk, "小王", "clerk-secret")
    window.refresh_operator()
    assert "小王" in window.operator_label.text() and not window.switch_button.isHidden()
    idle = IdleWatch(window)
    try:
        assert not idle.check(now=idle.last_input + 60)  # a minute: not yet
        assert idle.check(now=idle.last_input + 15 * 60 + 1)
        qtbot.waitUntil(lambda: any(w.isVisible() for w in window.findChildren(SignInDialog)), timeout=5000)
        assert ctx.desk.operator is None and window.signing_in
        dialog = next(w for w in window.findChildren(SignInDialog) if w.isVisible())
        assert "15" in dialog.intro.text()
        dialog.password.setText("owner-secret")
        dialog.name.setCurrentIndex([dialog.name.itemData(i) for i in range(dialog.name.count())].index(OWNER_NAME))
        run(qtbot, dialog.submit())
        qtbot.waitUntil(lambda: not window.signing_in, timeout=5000)
        assert ctx.desk.operator.name == OWNER_NAME and "店主" in window.operator_label.text()
    finally:
        idle.stop()
    actions = [(e.operator, e.action) for e in AuditEvent.select().order_by(AuditEvent.id)]
    assert actions[-2:] == [("小王", "signed_out"), (OWNER_NAME, "signed_in")]


def test_the_windows_check_names_a_tampered_row(qtbot, ctx, shop):
    import sqlite3

    from kashop_desktop.domain.order import ReasonCode
    from kashop_desktop.services import requests

    requests.open_request(ctx.desk, shop.order("paid"), ReasonCode.WRONG_ITEM)
    page = SettingsPage(ctx)
    qtbot.addWidget(page)
    report = run(qtbot, page.check_now(), timeout=30000)
    assert report.ok and "哈希链无误" in page.check_result.text()
    raw = sqlite3.connect(ctx.desk.db_path)
    victim = raw.execute("SELECT MAX(id) FROM order_event").fetchone()[0]
    raw.execute("UPDATE order_event SET note = 'changed' WHERE id = ?", (victim,))
    raw.commit()
    raw.close()
    report = run(qtbot, page.check_now(), timeout=30000)
    assert not report.ok and f"第 {victim} 行被改动" in page.check_result.text()


@pytest.mark.parametrize("role", [Role.VIEWER, Role.CLERK])
def test_the_newer_controls_are_greyed_out_with_the_reason(qtbot, ctx, tmp_path: Path, role: Role):
    from kashop_desktop.gui.dialogs.reconcile import ReconcileDialog
    from kashop_desktop.gui.main_window import MainWindow
    from kashop_desktop.gui.pages.reports import ReportsPage
    from kashop_desktop.gui.qt import QSettings

    _team(ctx.desk)
    who = "阿May" if role is Role.VIEWER else "小王"
    ctx.desk.sign_in(Identity(who, role, 50_00))
    window = MainWindow(ctx, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    viewer = role is Role.VIEWER
    for control in (window.new_sale_action, window.new_sale_button, window.sync_action, window.export_action,
                    window.export_button, window.import_action):
        assert control.isEnabled() is not viewer, control.text()
        assert (who in control.toolTip()) is viewer, control.text()
    assert not window.restore_action.isEnabled() and who in window.restore_action.toolTip()  # the owner's
    assert isinstance(window.show_page("reports"), ReportsPage)  # reports are for reading: open to all
    refunds = window.show_page("refunds")
    assert refunds.send_button.isEnabled() is not viewer and (who in refunds.send_button.toolTip()) is viewer
    requests_page = window.show_page("requests")
    assert requests_page.reject_reason.isEnabled() is not viewer
    dialog = ReconcileDialog(window, ctx)
    qtbot.addWidget(dialog)
    assert who not in dialog.run_button.toolTip()  # reading the gateway's record is open to all
    for control in (dialog.note, dialog.fix_button, dialog.explain_button, dialog.export_button):
        assert (who in control.toolTip()) is viewer
    assert dialog.note.isEnabled() is not viewer


def test_an_operator_disabled_elsewhere_is_asked_to_sign_in_at_once(qtbot, ctx, tmp_path: Path):
    import sqlite3

    from kashop_desktop.gui.main_window import MainWindow
    from kashop_desktop.gui.qt import QSettings

    _team(ctx.desk)
    operators.sign_in(ctx.desk, "小王", "clerk-secret")
    window = MainWindow(ctx, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    idle = IdleWatch(window)
    try:
        assert not idle.check(now=idle.last_input + 1)  # at work, still enabled: nothing asked
        with sqlite3.connect(ctx.desk.data_dir / "kashop.sqlite3") as other:  # the owner's command line
            other.execute("UPDATE operator SET disabled_at = 1 WHERE name = '小王'")
        other.close()
        assert idle.check(now=idle.last_input + 1)  # not idle, asked all the same
        qtbot.waitUntil(lambda: any(w.isVisible() for w in window.findChildren(SignInDialog)), timeout=5000)
        dialog = next(w for w in window.findChildren(SignInDialog) if w.isVisible())
        assert "停用" in dialog.intro.text() and ctx.desk.operator is None
        dialog.reject()
        qtbot.waitUntil(lambda: not window.signing_in, timeout=5000)
    finally:
        idle.stop()


def test_an_idle_time_of_0_says_never(qtbot, ctx, aloop):
    operators.set_password(ctx.desk, OWNER_NAME, "owner-secret")
    page = SettingsPage(ctx)
    qtbot.addWidget(page)
    box = page.operators_box
    box.idle.setValue(0)
    run(qtbot, box.save_idle())
    assert operators.idle_minutes(ctx.desk) == 0
    assert "不再" in box.message.text() and "0 分钟" not in box.message.text()


def test_the_sign_in_intro_says_why_the_shop_asks(qtbot, ctx):
    operators.set_password(ctx.desk, OWNER_NAME, "owner-secret")
    operators.add(ctx.desk, "小王", Role.CLERK, "clerk-secret")
    intros = []
    for step in ("several", "disabled", "deleted"):
        if step == "disabled":
            operators.sign_in(ctx.desk, OWNER_NAME, "owner-secret")
            operators.set_active(ctx.desk, "小王", False)
        elif step == "deleted":
            with ctx.desk.db.atomic():  # behind the desk's back, as someone with the store would
                ctx.desk.db.execute_sql("DELETE FROM operator WHERE name != ?", (OWNER_NAME,))
        ctx.desk.sign_in(None)
        dialog = SignInDialog(None, ctx)
        qtbot.addWidget(dialog)
        intros.append(dialog.intro.text())
    assert "多位操作员" in intros[0]
    assert "其他操作员都已停用" in intros[1] and "多位操作员" not in intros[1]
    assert "只剩店主一个操作员" in intros[2] and "多位操作员" not in intros[2]
