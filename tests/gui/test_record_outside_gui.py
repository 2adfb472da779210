"""登记台外退款: a refund the owner already made outside the desk (cash, a bank transfer) is
recorded through its dialog as succeeded at once, never queued; what is too much, or has no
account of how it was paid back, is refused before anything is written; the orders screen offers
it where money is refundable and says what it did."""

from __future__ import annotations

from typing import Any

import pytest

from kashop_desktop.domain.order import ReasonCode
from kashop_desktop.domain.refund_states import OutsideMethod
from kashop_desktop.gui.dialogs import RecordOutsideDialog
from kashop_desktop.gui.dialogs.base import LANGUAGE_PROPERTY
from kashop_desktop.services import requests, views
from tests.gui.test_dialogs import desk_context, drive, find_dialog, qasync_loop, small_shop, submit
from tests.gui.test_order_actions import orders_page, settle

pytestmark = pytest.mark.gui

_aloop = pytest.fixture(qasync_loop, name="aloop")
_ctx = pytest.fixture(desk_context, name="ctx")
_shop = pytest.fixture(small_shop, name="shop")
_page = pytest.fixture(orders_page, name="page")


def refunds_of(ctx: Any, order_no: str) -> list[tuple[int, str, str, int]]:
    return [(r.gross_fen, r.state, r.resolved_how, r.attempts) for r in views.order_detail(ctx.desk, order_no).refunds]


def test_an_outside_refund_recorded_through_the_dialog_succeeds_at_once(qtbot, ctx, shop):
    order_no = shop.order("delivered")

    def fill(dialog: RecordOutsideDialog) -> None:
        assert dialog.ok_button.text() == "登记退款" and dialog.windowTitle() == f"登记台外退款 {order_no}"
        assert dialog.amount.text() == "60.00"  # all that is refundable, in yuan
        assert dialog.reason.reason() is ReasonCode.OTHER
        assert [dialog.method.itemText(i) for i in range(dialog.method.count())] == ["现金", "银行转账", "其他方式"]
        assert not dialog.ok_button.isEnabled() and dialog.message.text() == "请写明何时、怎样退给了买家"
        dialog.amount.setText("20")
        dialog.method.setCurrentIndex(dialog.method.findData(OutsideMethod.BANK_TRANSFER.value))
        dialog.reason.set_reason(ReasonCode.MERCHANT_FAULT)
        dialog.note.setText("11月18日银行转账退回 20 元")
        text = dialog.consequences.text()
        assert "立即记为「退款成功」" in text and "不会经网关发送" in text and "「部分退款」" in text

    result = drive(qtbot, RecordOutsideDialog.ask(None, ctx, order_no), RecordOutsideDialog, fill)
    assert result is not None and (result.amount_fen, result.how) == (20_00, OutsideMethod.BANK_TRANSFER)
    detail = views.order_detail(ctx.desk, order_no)
    assert (detail.status.value, detail.refunded_fen, detail.refund_pending_fen) == ("partially_refunded", 20_00, 0)
    assert refunds_of(ctx, order_no) == [(20_00, "succeeded", "bank_transfer", 0)]  # never sent
    assert [r.id for r in detail.refunds] == [result.refund_id]
    request = detail.requests[0]
    assert (request.state, request.reason, request.note) == ("approved", "merchant_fault", "11月18日银行转账退回 20 元")


def test_all_the_money_of_an_undelivered_order_back_outside_cancels_it(qtbot, ctx, shop):
    order_no = shop.order("paid", coupon="CP1")  # paid ¥55.00
    dialog = RecordOutsideDialog(None, ctx, order_no)
    qtbot.addWidget(dialog)
    assert dialog.amount.text() == "55.00"
    dialog.note.setText("买家到店，现金退回")
    assert "订单将变为「已取消」" in dialog.consequences.text()
    dialog.amount.setText("54.99")
    assert "订单将变为「部分退款」" in dialog.consequences.text()
    dialog.amount.setText("55")
    assert submit(qtbot, dialog)
    detail = views.order_detail(ctx.desk, order_no)
    assert (detail.status.value, detail.refunded_fen, detail.refundable_fen) == ("cancelled", 55_00, 0)
    assert refunds_of(ctx, order_no) == [(55_00, "succeeded", "cash", 0)]
    assert shop.coupon_free("CP1")  # cancelled: the coupon went back, as the dialog said


def test_too_much_is_refused_and_nothing_is_written(qtbot, ctx, shop):
    order_no = shop.order("delivered")
    dialog = RecordOutsideDialog(None, ctx, order_no)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.note.setText("现金退回")
    dialog.amount.setText("60.01")
    assert not dialog.ok_button.isEnabled() and dialog.message.text() == "退款金额不能超过可退金额 ¥60.00"
    assert not submit(qtbot, dialog)
    for bad in ("0", "1.234", "abc"):
        dialog.amount.setText(bad)
        assert not dialog.ok_button.isEnabled() and dialog.message.isVisible(), bad
    assert refunds_of(ctx, order_no) == []
    # Another window recorded part of it meanwhile: the service refuses what is left over.
    requests.record_outside(ctx.desk, order_no, 10_00, OutsideMethod.CASH, "另一台电脑上登记的")
    dialog.amount.setText("60")
    assert dialog.ok_button.isEnabled()
    assert not submit(qtbot, dialog)
    assert dialog.isVisible() and dialog.message.text() == "退款金额 ¥60.00 超过了可退金额（¥50.00）"
    assert dialog.amount.text() == "60" and dialog.note.text() == "现金退回"  # what was typed stays
    assert refunds_of(ctx, order_no) == [(10_00, "succeeded", "cash", 0)]
    assert views.order_detail(ctx.desk, order_no).refunded_fen == 10_00


def test_an_outside_refund_needs_an_account_of_how_it_was_paid_back(qtbot, ctx, shop):
    order_no = shop.order("delivered")
    dialog = RecordOutsideDialog(None, ctx, order_no)
    qtbot.addWidget(dialog)
    assert not dialog.ok_button.isEnabled()
    dialog.note.setText("   ")
    assert not dialog.ok_button.isEnabled() and dialog.message.text() == "请写明何时、怎样退给了买家"
    assert not submit(qtbot, dialog)
    assert refunds_of(ctx, order_no) == [] and views.order_detail(ctx.desk, order_no).status.value == "delivered"
    dialog.note.setText("微信转账")
    assert dialog.ok_button.isEnabled()


def test_the_methods_and_refusals_follow_the_ui_language(qtbot, ctx, shop, qapp):
    order_no = shop.order("delivered")
    qapp.setProperty(LANGUAGE_PROPERTY, "en")
    try:
        dialog = RecordOutsideDialog(None, ctx, order_no)
        qtbot.addWidget(dialog)
        assert [dialog.method.itemText(i) for i in range(dialog.method.count())] == \
            ["Cash", "Bank transfer", "Another way"]
        requests.record_outside(ctx.desk, order_no, 60_00, OutsideMethod.CASH, "elsewhere")
        dialog.note.setText("cash at the counter")
        assert not submit(qtbot, dialog)
        assert "refund" in dialog.message.text() and "退" not in dialog.message.text()
    finally:
        qapp.setProperty(LANGUAGE_PROPERTY, None)


def test_the_refund_outside_action_is_offered_where_money_is_refundable(qtbot, ctx, shop, page):
    unpaid = shop.order("pending_payment")
    paid = shop.order("delivered")
    settle(qtbot, page)
    button = page.detail.buttons["record_outside"]
    assert page.select_order(views.order_detail(ctx.desk, unpaid).id)
    assert not button.isEnabled() and "订单未支付" in button.toolTip()
    target = views.order_detail(ctx.desk, paid).id
    assert page.select_order(target)
    assert button.isEnabled() and button.text() == "登记台外退款…" and "Ctrl+Shift+O" in button.toolTip()

    button.click()
    qtbot.waitUntil(lambda: find_dialog(RecordOutsideDialog) is not None, timeout=5000)
    dialog = find_dialog(RecordOutsideDialog)
    dialog.note.setText("现金退回")
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: page.detail.notice.isVisible(), timeout=5000)
    assert page.detail.notice.kind == "ok"
    assert page.detail.notice.text() == f"已登记台外退款 ¥60.00（现金）：订单 {paid} 记为退款成功，现为「已退款」"
    assert page.detail.order_id == target and page.current_row().id == target  # the selection stays
    assert not button.isEnabled() and "没有可退的金额" in button.toolTip()  # all of it is back


def test_an_open_request_is_decided_before_a_refund_outside_is_recorded(qtbot, ctx, shop, page):
    order_no = shop.order("delivered", code_used="no")
    _, request_id = requests.open_request(ctx.desk, order_no, ReasonCode.WRONG_ITEM, note="区服选错")
    assert request_id is not None and views.request_view(ctx.desk, request_id).state == "open"
    settle(qtbot, page)
    assert page.select_order(views.order_detail(ctx.desk, order_no).id)
    button = page.detail.buttons["record_outside"]
    assert not button.isEnabled() and "已有待处理的申请" in button.toolTip()
