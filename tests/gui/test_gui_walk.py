"""Every rule of the core, walked through the GUI the way the owner would, then checked in the
store through services.views: cancel unpaid, auto-approval in the cooling-off window, review
(partial approve, reject), disputes, restore, mark paid twice, and the refund queue against
each sandbox scenario with exactly one booking per refund in the sandbox's own ledger."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from kashop_desktop.domain.decision import Outcome
from kashop_desktop.domain.order import ReasonCode
from kashop_desktop.gateways.ledgerfile import LedgerFile
from kashop_desktop.gui.dialogs import (
    CancelDialog,
    MarkPaidDialog,
    OpenRequestDialog,
    RestoreDialog,
    ReviewDialog,
)
from kashop_desktop.gui.pages import RefundsPage, RequestsPage
from kashop_desktop.gui.qt import QApplication, Qt
from kashop_desktop.services import views
from tests.gui.test_dialogs import desk_context, drive, find_dialog, qasync_loop, run, small_shop

_aloop = pytest.fixture(qasync_loop, name="aloop")
_ctx = pytest.fixture(desk_context, name="ctx")
_shop = pytest.fixture(small_shop, name="shop")


def through_page(qtbot: Any, trigger: Callable[[], None], cls: type, fill: Callable[[Any], None],
                 press: str = "ok") -> Any:
    """Open a dialog from a page (double-click, button), fill it, press a button, wait until it closes."""
    trigger()
    qtbot.waitUntil(lambda: find_dialog(cls) is not None, timeout=5000)
    dialog = find_dialog(cls)
    closed: list[Any] = []
    dialog.finished.connect(lambda _code: closed.append(dialog.result_value))  # ask() deletes it after
    fill(dialog)
    button = dialog.ok_button if press == "ok" else getattr(dialog, press)
    assert button.isEnabled(), dialog.message.text()
    button.click()
    qtbot.waitUntil(lambda: bool(closed), timeout=5000)
    return closed[0]


def double_click_row(qtbot: Any, page: RequestsPage, request_id: int) -> None:
    row = next(r for r, req in enumerate(page.model.rows) if req.id == request_id)
    rect = page.table.visualRect(page.model.index(row, 1))
    # A real double-click: the first press selects the row, the second one opens it.
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def open_request(qtbot: Any, ctx: Any, order_no: str, reason: ReasonCode, note: str, amount: str = "") -> Any:
    def fill(dialog: OpenRequestDialog) -> None:
        dialog.reason.set_reason(reason)
        dialog.note.setText(note)
        dialog.evidence.setPlainText("聊天记录截图")
        dialog.amount.setText(amount)

    return drive(qtbot, OpenRequestDialog.ask(None, ctx, order_no), OpenRequestDialog, fill)


def cancel(qtbot: Any, ctx: Any, order_no: str, reason: ReasonCode = ReasonCode.MERCHANT_FAULT) -> Any:
    return drive(qtbot, CancelDialog.ask(None, ctx, order_no), CancelDialog,
                 lambda dialog: dialog.reason.set_reason(reason))


# ---- rules a-c: cancel unpaid, auto-approve, review ------------------------------------------


def test_cancel_unpaid_returns_stock_coupon_and_points(qtbot, ctx, shop):
    order_no = shop.order("pending_payment", coupon="CP1", points=100)
    stock = shop.stock()
    result = cancel(qtbot, ctx, order_no, ReasonCode.DUPLICATE)
    assert result.changes.order_ids
    detail = views.order_detail(ctx.desk, order_no)
    assert detail.status.value == "cancelled" and detail.refunds == []
    assert shop.stock() == stock + 1 and shop.coupon_free("CP1") and detail.points_refunded == 100
    assert [e.action for e in detail.events][-1] == "cancel"


def test_request_inside_the_cooling_off_window_is_auto_approved(qtbot, ctx, shop):
    order_no = shop.order("paid", ago=timedelta(minutes=4))
    result = open_request(qtbot, ctx, order_no, ReasonCode.MISTAKEN, "面值6元误拍成60元")
    assert result.outcome is Outcome.AUTO_APPROVE
    req = views.request_view(ctx.desk, result.request_id)
    assert (req.state, req.decided_by) == ("auto_approved", "system")
    detail = views.order_detail(ctx.desk, order_no)
    assert detail.status.value == "cancelled" and [r.state for r in detail.refunds] == ["queued"]
    page = RequestsPage(ctx)
    qtbot.addWidget(page)
    assert page.model.rowCount() == 0  # not waiting for the owner...
    page.tabs.setCurrentIndex(1)
    assert [r.id for r in page.model.rows] == [result.request_id]  # ...but kept apart, visible


def test_review_approves_a_partial_amount_and_rejects_with_a_reason(qtbot, ctx, shop):
    partial = open_request(qtbot, ctx, shop.order("paid", ago=timedelta(hours=3)), ReasonCode.WRONG_ITEM,
                           "需要港区卡，下成了国区")
    rejected = open_request(qtbot, ctx, shop.order("paid", ago=timedelta(hours=3)), ReasonCode.NOT_NEEDED, "不想要了")
    assert partial.outcome is rejected.outcome is Outcome.NEEDS_REVIEW
    page = RequestsPage(ctx)
    qtbot.addWidget(page)
    page.show()
    assert {r.id for r in page.model.rows} == {partial.request_id, rejected.request_id}

    def approve_25(dialog: ReviewDialog) -> None:
        dialog.amount.setText("25")
        assert dialog.breakdown.text_of("gross") == "¥25.00"

    review = through_page(qtbot, lambda: double_click_row(qtbot, page, partial.request_id), ReviewDialog, approve_25)
    assert review.approved and review.amount_fen == 25_00
    detail = views.order_detail(ctx.desk, partial.order_no)
    # Approved, not yet refunded: the money is in flight (退款中) until the gateway confirms it.
    assert (detail.status.value, detail.refunded_fen, detail.refund_pending_fen) == ("paid", 0, 25_00)
    assert [(r.gross_fen, r.state) for r in detail.refunds] == [(25_00, "queued")]

    review = through_page(qtbot, lambda: double_click_row(qtbot, page, rejected.request_id), ReviewDialog,
                          lambda d: d.reject_reason.setText("话费已充值到账"), press="reject_button")
    assert not review.approved
    req = views.request_view(ctx.desk, rejected.request_id)
    assert (req.state, req.decision_note) == ("rejected", "话费已充值到账")
    assert views.order_detail(ctx.desk, rejected.order_no).status.value == "paid"
    assert page.model.rowCount() == 0  # the page refreshed itself from ctx.changed


# ---- rule d: disputes on delivered orders ----------------------------------------------------


def test_dispute_is_approved_when_the_code_is_unused_and_refused_when_used(qtbot, ctx, shop):
    unused = open_request(qtbot, ctx, shop.order("delivered", code_used="no"), ReasonCode.WRONG_ITEM,
                          "区服选错，卡密未使用")
    assert unused.outcome is Outcome.NEEDS_REVIEW
    assert views.request_view(ctx.desk, unused.request_id).is_dispute
    review = drive(qtbot, ReviewDialog.ask(None, ctx, unused.request_id), ReviewDialog, lambda d: None)
    assert review.approved
    detail = views.order_detail(ctx.desk, unused.order_no)
    assert (detail.status.value, detail.refunded_fen, detail.refund_pending_fen) == ("delivered", 0, detail.paid_fen)

    used_order = shop.order("delivered", code_used="yes")
    task = asyncio.ensure_future(OpenRequestDialog.ask(None, ctx, used_order))
    qtbot.waitUntil(lambda: find_dialog(OpenRequestDialog) is not None)
    dialog = find_dialog(OpenRequestDialog)
    dialog.reason.set_reason(ReasonCode.WRONG_ITEM)
    assert not dialog.ok_button.isEnabled() and "卡密已使用" in dialog.message.text()
    dialog.cancel_button.click()
    qtbot.waitUntil(task.done)
    assert task.result() is None
    detail = views.order_detail(ctx.desk, used_order)
    assert detail.requests == [] and detail.status.value == "delivered"


# ---- restore, mark paid ----------------------------------------------------------------------


def test_restore_brings_a_cancelled_paid_order_back_and_withdraws_its_refund(qtbot, ctx, shop):
    order_no = shop.order("paid", coupon="CP2")
    cancel(qtbot, ctx, order_no)
    stock, codes = shop.stock(), shop.codes_on_shelf()
    assert shop.coupon_free("CP2")
    result = drive(qtbot, RestoreDialog.ask(None, ctx, order_no), RestoreDialog,
                   lambda d: d.note.setText("买家改主意，继续要"))
    assert result.changes.refund_ids
    detail = views.order_detail(ctx.desk, order_no)
    assert detail.status.value == "paid" and detail.refunded_fen == 0
    assert [(r.state, r.last_error_kind) for r in detail.refunds] == [("withdrawn", "withdrawn")]
    # A 卡密 order takes a code again; the counter (直充/实物 only) is not touched.
    assert shop.codes_on_shelf() == codes - 1 and shop.stock() == stock and not shop.coupon_free("CP2")


def test_mark_paid_twice_delivers_once(qtbot, ctx, shop):
    from kashop_desktop.store.models import CardCode

    order_no = shop.order("pending_payment")

    def fill(dialog: MarkPaidDialog) -> None:
        for edit in (dialog.trade_no, dialog.trade_no_again):
            edit.setText("4200002026111800001")
        dialog.verified.setChecked(True)

    first = drive(qtbot, MarkPaidDialog.ask(None, ctx, order_no), MarkPaidDialog, fill)
    second = drive(qtbot, MarkPaidDialog.ask(None, ctx, order_no), MarkPaidDialog, fill)
    assert not first.already_paid and second.already_paid and not second.changes.order_ids
    detail = views.order_detail(ctx.desk, order_no)
    assert detail.status.value == "delivered" and detail.gateway_trade_no == "4200002026111800001"
    assert [e.action for e in detail.events].count("deliver") == 1
    assert CardCode.select().where(CardCode.order_id == detail.id).count() == 1


# ---- the refund queue against each sandbox scenario ------------------------------------------


def test_refund_queue_through_each_sandbox_scenario(qtbot, ctx, shop, clock):
    refunds = {}
    for scenario in ("success", "processing", "reject", "timeout"):
        shop.gateway(f"沙箱-{scenario}", scenario)
        order_no = shop.order("paid", gateway=f"沙箱-{scenario}")
        cancel(qtbot, ctx, order_no)
        refunds[scenario] = views.order_detail(ctx.desk, order_no).refunds[0]
    page = RefundsPage(ctx)
    qtbot.addWidget(page)
    assert page.tabs.currentIndex() == 1 and page.tabs.tabText(1) == "待发送 4"
    assert page.tabs.tabText(0) == "待人工处理 0"

    report = run(qtbot, page.send_now())
    assert (report.succeeded, report.processing, report.failed, report.unknown) == (1, 1, 1, 1)
    assert state_of(ctx, refunds["success"]) == "succeeded"
    assert state_of(ctx, refunds["processing"]) == "processing"

    page.tabs.setCurrentIndex(5)  # 退款失败: visible, with its gateway's reason, and can be sent again
    assert [r.id for r in page.model.rows] == [refunds["reject"].id]
    assert "商户余额不足" in page.model.rows[0].last_error
    page.table.selectRow(0)
    assert page.buttons["retry"].isEnabled()

    page.tabs.setCurrentIndex(4)  # 结果未知: the reply was lost; ask the gateway instead of re-sending
    page.table.selectRow(0)
    assert page.model.rows[0].id == refunds["timeout"].id and page.buttons["query"].isEnabled()
    run(qtbot, page.row_action("query"))
    assert state_of(ctx, refunds["timeout"]) == "succeeded"

    for expected in ("processing", "succeeded"):  # processing: settles on a later send
        clock.advance(seconds=10)
        run(qtbot, page.send_now())
        assert state_of(ctx, refunds["processing"]) == expected

    ledger = LedgerFile(ctx.desk.data_dir / "sandbox-ledger.sqlite3")
    booked = [no for no, _amount, _status in ledger.refunds()]
    sent = [refunds[s].refund_no for s in ("success", "processing", "timeout")]
    assert sorted(booked) == sorted(sent)  # exactly one booking each; the refused one booked nothing
    assert ledger.calls(refunds["timeout"].refund_no) == 1  # resolved by query, never sent twice
    assert views.refund_counts(ctx.desk) == {"queued": 0, "sending": 0, "processing": 0, "succeeded": 3, "failed": 1, "withdrawn": 0,
                                             "unknown": 0, "needs_owner": 0}


def state_of(ctx: Any, refund: views.RefundView) -> str:
    detail = views.order_detail(ctx.desk, refund.order_no)
    return next(r.state for r in detail.refunds if r.id == refund.id)


def test_ask_returns_none_when_the_owner_cancels(qtbot, ctx, shop):
    """Closing a dialog returns None and runs nothing; the order stays as it was."""
    order_no = shop.order("paid")
    task = asyncio.ensure_future(CancelDialog.ask(None, ctx, order_no))
    qtbot.waitUntil(lambda: find_dialog(CancelDialog) is not None)
    find_dialog(CancelDialog).cancel_button.click()
    qtbot.waitUntil(task.done)
    assert task.result() is None
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, CancelDialog) and w.isVisible()]
    assert views.order_detail(ctx.desk, order_no).status.value == "paid"
