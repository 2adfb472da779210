"""The pages: their models (qtmodeltester), the review queue with bulk runs, the refund queue,
gateway accounts and settings, each driven through qtbot on the one qasync loop."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from kashop_desktop.domain.order import ReasonCode
from kashop_desktop.gui.pages import GatewaysPage, RefundsPage, RequestsPage, SettingsPage
from kashop_desktop.gui.pages import requests as requests_page
from kashop_desktop.gui.pages.gateways import GatewayAccountDialog
from kashop_desktop.gui.pages.refunds import COL_STATE, RefundActionDialog, RefundsModel
from kashop_desktop.gui.pages.requests import COL_FLAGS, RequestsModel
from kashop_desktop.gui.qt import Qt
from kashop_desktop.services import gateways as gateway_service
from kashop_desktop.services import requests, views
from kashop_desktop.services.refund_queue import QueueReport
from tests.gui.test_dialogs import Shop, desk_context, qasync_loop, run, small_shop, submit

_aloop = pytest.fixture(qasync_loop, name="aloop")
_ctx = pytest.fixture(desk_context, name="ctx")
_shop = pytest.fixture(small_shop, name="shop")

# ---- the review queue ------------------------------------------------------------------------


def _open(desk: Any, shop: Shop, n: int, *, ago: timedelta = timedelta(hours=2), **kw: Any) -> list[int]:
    ids = []
    for _ in range(n):
        _, rid = requests.open_request(desk, shop.order("paid", ago=ago, **kw), ReasonCode.WRONG_ITEM, note="区服选错")
        ids.append(rid)
    return ids


def test_requests_model_passes_the_model_tester_and_marks_overdue(qtmodeltester, desk, shop, clock):
    late = _open(desk, shop, 1)
    clock.advance(days=7)  # the first request is now past its deadline
    fresh = _open(desk, shop, 2)
    requests.sweep(desk)
    model = RequestsModel()
    model.set_rows(views.list_requests(desk, "open"))
    qtmodeltester.check(model)
    assert [model.request_at(r).id for r in range(3)] == late + fresh  # overdue first, then by deadline
    assert model.data(model.index(0, 0), Qt.ItemDataRole.BackgroundRole) is not None
    assert model.data(model.index(1, 0), Qt.ItemDataRole.BackgroundRole) is None
    assert "逾期" in model.data(model.index(0, COL_FLAGS))
    assert model.data(model.index(1, 3)) == "全额 ¥60.00"


def test_requests_page_keeps_auto_approved_apart(qtbot, ctx, shop):
    _open(ctx.desk, shop, 2)
    _open(ctx.desk, shop, 1, ago=timedelta(minutes=2))  # inside the cooling-off window: auto-approved
    page = RequestsPage(ctx)
    qtbot.addWidget(page)
    assert page.model.rowCount() == 2
    assert page.tabs.tabText(0).startswith("待处理 2") and page.tabs.tabText(1) == "自动通过 1"
    page.tabs.setCurrentIndex(1)
    assert [r.state for r in page.model.rows] == ["auto_approved"]
    assert not page.approve_button.isEnabled()  # bulk actions only on open requests


def test_bulk_approve_runs_in_chunks_and_reports(qtbot, ctx, shop, monkeypatch):
    monkeypatch.setattr(requests_page, "CHUNK", 4)
    ids = _open(ctx.desk, shop, 9)
    page = RequestsPage(ctx)
    qtbot.addWidget(page)
    page.table.selectAll()
    requests.reject(ctx.desk, ids[0], "在别处已处理")  # decided after the page loaded: skipped
    calls: list[int] = []
    ctx.changed.connect(lambda changes: calls.append(len(changes.request_ids)))
    outcome = run(qtbot, page.bulk_approve())
    assert calls == [3, 4, 1]  # three chunks: 4 + 4 + 1 ids, one of them skipped
    assert outcome["done"] == 8 and [s.ref for s in outcome["skipped"]] == [str(ids[0])]
    assert "完成 8 条，跳过 1 条" in page.report.text() and "已处理" in page.report.text()
    assert views.request_counts(ctx.desk)["approved"] == 8
    assert page.model.rowCount() == 0 and page.approve_button.isEnabled() is False


def test_bulk_run_stops_after_the_current_chunk_when_cancelled(qtbot, ctx, shop, monkeypatch):
    monkeypatch.setattr(requests_page, "CHUNK", 3)
    _open(ctx.desk, shop, 7)
    page = RequestsPage(ctx)
    qtbot.addWidget(page)
    page.table.selectAll()
    assert not page.reject_button.isEnabled()  # a bulk reject needs a reason
    page.reject_reason.setText("话费已提交运营商")
    assert page.reject_button.isEnabled()
    ctx.changed.connect(lambda _changes: page.progress.cancel())  # the owner presses 停止 mid-run
    outcome = run(qtbot, page.bulk_reject())
    assert outcome["done"] == 3 and outcome["left"] == 4
    assert views.request_counts(ctx.desk)["rejected"] == 3
    assert "还有 4 条未处理" in page.report.text()


# ---- the refund queue ------------------------------------------------------------------------


def _approved(desk: Any, shop: Shop, gateway: str = "沙箱") -> int:
    order_no = shop.order("paid", gateway=gateway)
    changes = requests.cancel_order(desk, order_no, ReasonCode.MERCHANT_FAULT, "缺货")
    return next(iter(changes.refund_ids))


def test_refunds_model_passes_the_model_tester(qtmodeltester, desk, shop):
    _approved(desk, shop)
    _approved(desk, shop)
    model = RefundsModel()
    model.set_rows(views.list_refunds(desk))
    qtmodeltester.check(model)
    assert model.data(model.index(0, COL_STATE)) == "待发送"


def test_send_now_stays_responsive_and_reports(qtbot, ctx, shop):
    gateway_service.save_account(ctx.desk, "慢沙箱", "sandbox", {"scenario": "success", "latency_ms": "300"})
    refund_id = _approved(ctx.desk, shop, "慢沙箱")
    page = RefundsPage(ctx)
    qtbot.addWidget(page)
    assert page.tabs.tabText(1) == "待发送 1" and page.tabs.currentIndex() == 1
    page.send_button.click()
    qtbot.waitUntil(lambda: ctx.sending)
    assert not page.send_button.isEnabled() and "正在发送" in page.progress.text()
    qtbot.waitUntil(lambda: not ctx.sending and page.send_button.isEnabled(), timeout=5000)
    assert "成功 1" in page.progress.text()
    assert [r.id for r in views.list_refunds(ctx.desk, "succeeded")] == [refund_id]
    assert page.tabs.tabText(6) == "退款成功 1" and page.model.rowCount() == 0


def test_offline_banner_and_security_badge(qtbot, ctx, shop):
    from kashop_desktop.store.models import Refund

    refund_id = _approved(ctx.desk, shop)
    Refund.update(state="unknown", security_warning=True).where(Refund.id == refund_id).execute()
    page = RefundsPage(ctx)
    qtbot.addWidget(page)
    page.show()
    sandbox = shop.gateway("沙箱")
    ctx.queue_report.emit(QueueReport(unreachable_gateways={sandbox}))
    assert page.banner.isVisible()
    assert "沙箱" in page.banner.text() and "仍会照常记录并排队" in page.banner.text()
    ctx.queue_report.emit(QueueReport(reachable_gateways={sandbox}))
    assert not page.banner.isVisible()
    page.tabs.setCurrentIndex(4)  # 结果未知
    assert page.model.data(page.model.index(0, COL_STATE)).startswith("⚠ 安全警告")


def test_failed_refund_can_be_retried_and_unknown_resolved_with_a_note(qtbot, ctx, shop):
    shop.gateway("拒绝沙箱", "reject")
    refund_id = _approved(ctx.desk, shop, "拒绝沙箱")
    page = RefundsPage(ctx)
    qtbot.addWidget(page)
    run(qtbot, page.send_now())
    page.tabs.setCurrentIndex(5)  # 退款失败
    assert page.model.rows[0].id == refund_id and "SELLER_BALANCE_NOT_ENOUGH" in page.model.rows[0].last_error
    page.table.selectRow(0)
    assert page.buttons["retry"].isEnabled() and not page.buttons["query"].isEnabled()
    assert run(qtbot, page.row_action("retry")) is not None
    assert views.list_refunds(ctx.desk, "queued")[0].id == refund_id
    refund = views.list_refunds(ctx.desk, "queued")[0]
    dialog = RefundActionDialog(page, ctx, (refund, "resolve"))
    qtbot.addWidget(dialog)
    assert not dialog.ok_button.isEnabled() and dialog.message.text() == "请写明核实情况"
    dialog.note.setText("后台查到已退款 2026111800001")
    assert submit(qtbot, dialog)
    assert views.list_refunds(ctx.desk, "succeeded")[0].last_error == "后台查到已退款 2026111800001"


# ---- gateway accounts ------------------------------------------------------------------------


def test_gateways_page_shows_capabilities_and_tests_connections(qtbot, ctx, shop):
    gateway_service.save_account(ctx.desk, "坏沙箱", "sandbox", {"scenario": "success"})
    # A scenario the sandbox does not have (saved by an older version, or edited outside the desk:
    # saving one is refused now) is named by the connection test.
    ctx.desk.db.execute_sql("UPDATE gateway_account SET config = ? WHERE name = ?", ('{"scenario": "bogus"}', "坏沙箱"))
    page = GatewaysPage(ctx)
    qtbot.addWidget(page)
    names = [page.table.item(r, 0).text() for r in range(page.table.rowCount())]
    assert names == ["余额", "沙箱", "坏沙箱"]
    assert [page.table.item(1, c).text() for c in (2, 3, 4)] == ["✓ 支持"] * 3
    page.table.selectRow(1)
    report = run(qtbot, page.test_selected())
    assert report.ok and "连接正常" in page.result.text() and page.result.kind == "ok"
    assert page.table.item(1, 6).text().startswith("✓")
    page.table.selectRow(2)
    report = run(qtbot, page.test_selected())
    assert not report.ok and "未知场景：bogus" in page.result.text() and page.result.kind == "error"


def test_gateway_form_is_built_from_the_kind_fields(qtbot, ctx, shop, tmp_path: Path):
    dialog = GatewayAccountDialog(None, ctx, None)
    qtbot.addWidget(dialog)
    dialog.kind.setCurrentIndex(dialog.kind.findData("alipay"))
    assert set(dialog.inputs) == {"base_url", "app_id", "app_private_key", "alipay_public_key"}
    assert not dialog.ok_button.isEnabled() and dialog.message.text() == "请填写账户名称"
    pem = tmp_path / "app.pem"
    pem.write_text("-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n", "utf-8")
    dialog.load_pem("app_private_key", str(pem))
    assert dialog.inputs["app_private_key"].toPlainText().startswith("-----BEGIN PRIVATE KEY-----")
    dialog.kind.setCurrentIndex(dialog.kind.findData("sandbox"))
    scenario = dialog.inputs["scenario"]
    assert [scenario.itemData(i) for i in range(scenario.count())] == ["success", "processing", "stuck", "reject", "timeout"]
    assert scenario.itemText(0) == "退款立即成功"  # the words, not the code
    dialog.name.setText("测试沙箱")
    scenario.setCurrentIndex(scenario.findData("timeout"))
    assert submit(qtbot, dialog)
    assert gateway_service.account_view(ctx.desk, "测试沙箱").config["scenario"] == "timeout"


def test_gateway_save_error_is_shown_inline(qtbot, ctx, shop):
    dialog = GatewayAccountDialog(None, ctx, None)
    qtbot.addWidget(dialog)
    dialog.kind.setCurrentIndex(dialog.kind.findData("sandbox"))
    dialog.name.setText("沙箱")  # already exists
    assert not submit(qtbot, dialog)
    assert dialog.message.text() == "网关账户已存在：沙箱"


# ---- settings --------------------------------------------------------------------------------


def test_settings_fields_follow_the_specs_and_save(qtbot, ctx):
    page = SettingsPage(ctx)
    qtbot.addWidget(page)
    fee = page.fields["fee_rate_permyriad"]
    ceiling = page.fields["auto_approve_ceiling_fen"]
    cooling = page.fields["cooling_off_minutes"]
    assert (fee.text(), ceiling.text(), cooling.text()) == ("0.00", "100.00", "10")  # % and yuan, kept as integers
    assert not page.save_button.isEnabled()
    fee.setText("0.3")
    ceiling.setText("50.50")
    cooling.setText("12")
    assert page.save_button.isEnabled()
    assert run(qtbot, page.save_policy())
    policy = ctx.desk.policy()
    assert (policy.fee_rate_permyriad, policy.auto_approve_ceiling_fen, policy.cooling_off_minutes) == (30, 50_50, 12)
    assert not page.save_button.isEnabled() and "已保存" in page.policy_message.text()


@pytest.mark.parametrize("typed", ["100.0", "30.5", "1e2", "15分", "-3", ""])
def test_settings_refuse_text_that_is_not_a_whole_number(qtbot, ctx, typed):
    """What a new owner typed into 未支付订单自动关闭: never read as 1000, 305 or 12, never saved."""
    page = SettingsPage(ctx)
    qtbot.addWidget(page)
    page.show()
    expiry = page.fields["unpaid_expiry_minutes"]
    before = ctx.desk.policy()
    expiry.setText(typed)
    assert not expiry.hasAcceptableInput()
    assert not page.save_button.isEnabled()
    problem = page.problems["unpaid_expiry_minutes"]
    assert problem.isVisible() and "整数" in problem.text()
    assert not run(qtbot, page.save_policy())
    assert ctx.desk.policy() == before
    expiry.setText("30")
    assert page.save_button.isEnabled() and not problem.isVisible()


def test_settings_money_is_yuan_with_at_most_two_decimals(qtbot, ctx):
    page = SettingsPage(ctx)
    qtbot.addWidget(page)
    page.show()
    ceiling = page.fields["auto_approve_ceiling_fen"]
    ceiling.setText("12.345")
    assert not page.save_button.isEnabled() and "元" in page.problems["auto_approve_ceiling_fen"].text()
    ceiling.setText("200000")
    assert page.problems["auto_approve_ceiling_fen"].text() == "应在 ¥0.00 到 ¥100000.00 之间"
    ceiling.setText("¥80")
    assert run(qtbot, page.save_policy())
    assert ctx.desk.policy().auto_approve_ceiling_fen == 80_00


def test_settings_language_and_backup(qtbot, ctx):
    page = SettingsPage(ctx)
    qtbot.addWidget(page)
    assert page.data_dir.text() == str(ctx.desk.data_dir)
    page.language.setCurrentIndex(page.language.findData("en"))
    qtbot.waitUntil(lambda: ctx.desk.setting("language") == "en")
    qtbot.waitUntil(lambda: "已保存" in page.language_note.text())
    path = run(qtbot, page.backup_now())
    assert path.exists() and path.parent == ctx.desk.data_dir / "backups"
    assert str(path) in page.backup_result.text()
