"""The dialogs, driven through qtbot: live previews, validation, service errors shown inline.

Also home of the GUI test helpers (the qasync loop, the desk context, a small shop) that the
page and walk tests import. Coroutines run on one qasync loop that the test body drives with
``qtbot.waitUntil``; no test starts a nested event loop inside a coroutine.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from kashop_desktop.domain.clock import SHOP_TZ, to_epoch
from kashop_desktop.domain.order import ReasonCode
from kashop_desktop.domain.policy import CancelPolicy
from kashop_desktop.gui.context import DeskContext
from kashop_desktop.gui.dialogs import (
    CancelDialog,
    MarkPaidDialog,
    OpenRequestDialog,
    RestoreDialog,
    ReviewDialog,
)
from kashop_desktop.gui.dialogs.base import LANGUAGE_PROPERTY, OpDialog
from kashop_desktop.gui.outcomes import outcome_message
from kashop_desktop.gui.qt import QApplication, QDateTime, QLabel, qasync
from kashop_desktop.services import bulk, requests, views
from kashop_desktop.services import gateways as gateway_service
from kashop_desktop.services.common import buyer_for
from kashop_desktop.services.desk import Desk

# ---- helpers shared by the GUI tests ---------------------------------------------------------


def qasync_loop(qapp: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    """The app's one asyncio loop (qasync), running whenever Qt processes events."""
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    yield loop
    # Not loop.stop(): that calls QApplication.exit(), which leaves Qt refusing to run timers
    # for the next test. Mark the loop stopped by hand, then close it.
    asyncio.events._set_running_loop(None)
    loop._QEventLoop__is_running = False  # type: ignore[attr-defined]
    loop.close()
    asyncio.set_event_loop(None)


def desk_context(desk: Desk, aloop: asyncio.AbstractEventLoop, qtbot: Any) -> Iterator[DeskContext]:
    context = DeskContext(desk)
    yield context
    closing = asyncio.ensure_future(context.aclose())
    qtbot.waitUntil(closing.done, timeout=5000)


def run(qtbot: Any, coro: Awaitable[Any], timeout: int = 9000) -> Any:
    """Run a coroutine on the qasync loop from the test body and return its result."""
    task = asyncio.ensure_future(coro)
    qtbot.waitUntil(task.done, timeout=timeout)
    return task.result()


def find_dialog(cls: type[OpDialog]) -> Any:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, cls) and widget.isVisible():
            return widget
    return None


def drive(qtbot: Any, ask: Awaitable[Any], cls: type[OpDialog], fill: Callable[[Any], None]) -> Any:
    """Await ``XDialog.ask`` the way the app does: fill the dialog it opens, press OK, get the result."""
    task = asyncio.ensure_future(ask)
    qtbot.waitUntil(lambda: find_dialog(cls) is not None, timeout=5000)
    dialog = find_dialog(cls)
    fill(dialog)
    assert dialog.ok_button.isEnabled(), dialog.message.text()
    dialog.ok_button.click()
    qtbot.waitUntil(task.done, timeout=5000)
    return task.result()


def submit(qtbot: Any, dialog: OpDialog) -> bool:
    """Press OK on a dialog constructed directly and wait for the operation to finish."""
    return bool(run(qtbot, dialog.submit()))


class Shop:
    """A small shop: one product with stock and card codes, a coupon, the built-in gateways."""

    _numbers = itertools.count(1)

    def __init__(self, desk: Desk) -> None:
        from kashop_desktop.services.code_import import add_codes
        from kashop_desktop.store.models import Coupon, Product

        self.desk = desk
        gateway_service.ensure_builtin_accounts(desk)
        self.product = Product.create(name="王者荣耀点券 60点", product_type="card_code", price_fen=60_00, stock=20)
        add_codes(desk, self.product.id, [f"KWZ{i:04d}ABCDEFGH" for i in range(10)])
        for code in ("CP1", "CP2", "CP3"):
            Coupon.create(code=code, discount_fen=5_00)

    def gateway(self, name: str, scenario: str | None = None) -> int:
        if scenario is not None:
            gateway_service.save_account(self.desk, name, "sandbox", {"scenario": scenario})
        return gateway_service.account_view(self.desk, name).id

    def order(self, status: str = "paid", *, ago: timedelta = timedelta(minutes=3), coupon: str | None = None,
              points: int = 0, gateway: str = "沙箱", channel: str = "alipay", buyer: str = "13800138000",
              code_used: str = "unknown", product_type: str = "card_code") -> str:
        from kashop_desktop.store.models import Coupon, Order, Product

        n = next(self._numbers)
        now = self.desk.now()
        order_no = f"T{now:%Y%m%d}{n:05d}"
        paid = status != "pending_payment"
        coupon_fen = 5_00 if coupon else 0
        row: dict[str, Any] = {
            "order_no": order_no, "created_at": to_epoch(now - ago - timedelta(minutes=1)),
            "product_id": self.product.id, "product_name": self.product.name, "product_type": product_type,
            "list_fen": 60_00, "coupon_fen": coupon_fen, "coupon_code": coupon, "points": points,
            "paid_fen": 60_00 - coupon_fen, "status": status, "channel": channel,
            "gateway_id": self.gateway(gateway), "buyer": buyer, "buyer_ref_id": buyer_for(buyer),
            "stock_reserved": int(status in ("pending_payment", "paid")), "code_used": code_used,
        }
        if paid:
            row.update(paid_at=to_epoch(now - ago), gateway_trade_no=f"GW{n:010d}")
        if status in ("delivered", "completed"):
            row.update(delivered_at=to_epoch(now - ago + timedelta(seconds=30)), card_code=f"KX{n:04d}ZZZZZZZZ")
        if status == "pending_payment":
            row["created_at"] = to_epoch(now - timedelta(minutes=2))
        bulk.insert_orders(self.desk, [row])
        order_id = Order.get(Order.order_no == order_no).id
        if coupon:
            Coupon.update(used_by_order=order_id).where(Coupon.code == coupon).execute()
        if row["stock_reserved"]:
            Product.update(stock=Product.stock - 1).where(Product.id == self.product.id).execute()
        return order_no

    def stock(self) -> int:
        from kashop_desktop.store.models import Product

        return int(Product.get_by_id(self.product.id).stock)

    def codes_on_shelf(self) -> int:
        """Available 卡密: a 卡密 product's stock (the counter is for 直充/实物)."""
        from kashop_desktop.store.models import CardCode

        return int(CardCode.select().where((CardCode.product == self.product.id)
                                           & (CardCode.state == "available")).count())

    def coupon_free(self, code: str) -> bool:
        from kashop_desktop.store.models import Coupon

        return Coupon.get_by_id(code).used_by_order is None


def small_shop(desk: Desk) -> Shop:
    return Shop(desk)


# Fixtures under other module names, so test modules can share them without shadowing imports.
_aloop = pytest.fixture(qasync_loop, name="aloop")
_ctx = pytest.fixture(desk_context, name="ctx")
_shop = pytest.fixture(small_shop, name="shop")


# ---- cancel ----------------------------------------------------------------------------------


def test_cancel_unpaid_previews_returns_and_cancels_through_ask(qtbot, ctx, shop):
    order_no = shop.order("pending_payment", coupon="CP1", points=200)
    stock_before = shop.stock()

    def fill(dialog: CancelDialog) -> None:
        text = dialog.consequences.text()
        assert "立即取消" in text and "库存退回 1 件" in text
        assert "优惠券 CP1 退回" in text and "退回积分 200" in text
        assert not dialog.breakdown.isVisible()
        dialog.reason.set_reason(ReasonCode.MISTAKEN)
        dialog.note.setText("面值选错")

    result = drive(qtbot, CancelDialog.ask(None, ctx, order_no), CancelDialog, fill)
    assert result is not None and result.order_no == order_no
    detail = views.order_detail(ctx.desk, order_no)
    assert detail.status.value == "cancelled"
    assert shop.stock() == stock_before + 1 and shop.coupon_free("CP1")
    assert detail.points_refunded == 200


def test_cancel_of_a_cancelled_order_whose_money_was_kept_refunds_it(qtbot, ctx, shop):
    """An older system's 已取消 imported with its money never refunded: the dialog says it
    returns that money and leaves the order cancelled and the stock as it is."""
    order_no = shop.order("cancelled")
    stock = shop.stock()
    dialog = CancelDialog(None, ctx, order_no)
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == f"退回订单 {order_no} 未退的款项" and dialog.ok_button.text() == "确认退款"
    text = dialog.consequences.text()
    assert "订单仍为已取消" in text and "库存退回" not in text
    assert dialog.breakdown.text_of("gross") == "¥60.00"
    assert submit(qtbot, dialog)
    detail = views.order_detail(ctx.desk, order_no)
    assert detail.status.value == "cancelled" and shop.stock() == stock
    assert [(r.gross_fen, r.state) for r in detail.refunds] == [(60_00, "queued")]


def test_cancel_paid_shows_breakdown_eta_and_gateway(qtbot, ctx, shop):
    ctx.desk.set_policy(CancelPolicy(fee_rate_permyriad=50))
    order_no = shop.order("paid", coupon="CP2", points=100)
    dialog = CancelDialog(None, ctx, order_no)
    qtbot.addWidget(dialog)
    bd = dialog.breakdown
    assert bd.text_of("gross") == "¥55.00"
    assert bd.text_of("fee") == "¥0.27"  # 0.5 %, rounded down in the buyer's favour
    assert "¥54.73" in bd.text_of("net")
    assert "优惠券原样退回" in bd.text_of("coupon")
    assert bd.text_of("points") == "100"
    assert "个工作日" in bd.text_of("eta")
    assert "自动原路退款" in bd.text_of("gateway")
    assert not dialog.confirm.required and dialog.ok_button.isEnabled()
    dialog.reason.set_reason(ReasonCode.MERCHANT_FAULT)  # the merchant's fault: no fee
    assert bd.text_of("fee") == "无"
    assert submit(qtbot, dialog)
    detail = views.order_detail(ctx.desk, order_no)
    assert detail.status.value == "cancelled"
    assert [(r.gross_fen, r.fee_fen, r.state) for r in detail.refunds] == [(55_00, 0, "queued")]


def test_cancel_delivered_is_disabled_and_offers_a_dispute(qtbot, ctx, shop):
    order_no = shop.order("delivered", code_used="no")

    def fill(dialog: CancelDialog) -> None:
        assert not dialog.ok_button.isEnabled()
        assert dialog.message.text() == "已发货订单不可直接取消，只能发起售后争议"
        assert dialog.dispute_button.isVisible()
        dialog.dispute_button.click()

    task = asyncio.ensure_future(CancelDialog.ask(None, ctx, order_no))
    qtbot.waitUntil(lambda: find_dialog(CancelDialog) is not None)
    fill(find_dialog(CancelDialog))
    qtbot.waitUntil(lambda: find_dialog(OpenRequestDialog) is not None)
    opened = find_dialog(OpenRequestDialog)
    opened.reason.set_reason(ReasonCode.WRONG_ITEM)
    opened.note.setText("区服选错，卡密未使用")
    assert "需要人工审核" in opened.outcome.text()
    opened.ok_button.click()
    qtbot.waitUntil(task.done)
    result = task.result()
    assert result is not None and result.dispute_request_id is not None
    assert views.request_view(ctx.desk, result.dispute_request_id).is_dispute


def test_cancel_non_idempotent_gateway_needs_the_confirmation(qtbot, ctx, shop, monkeypatch):
    if "epay_v1" not in gateway_service.kinds():
        pytest.skip("the 易支付 V1 plugin is not installed")
    monkeypatch.setenv("KASHOP_VAULT_PASSPHRASE", "test-passphrase")
    gateway_service.save_account(ctx.desk, "易支付", "epay_v1",
                                 {"base_url": "https://pay.example.com/", "pid": "1001", "key": "k"})
    order_no = shop.order("paid", gateway="易支付")
    dialog = CancelDialog(None, ctx, order_no)
    qtbot.addWidget(dialog)
    assert dialog.confirm.required and not dialog.ok_button.isEnabled()
    assert "幂等" in dialog.message.text()
    dialog.confirm.checkbox.setChecked(True)
    assert dialog.ok_button.isEnabled()
    assert submit(qtbot, dialog)
    refund = views.order_detail(ctx.desk, order_no).refunds[0]
    assert refund.needs_confirmation and refund.confirmed


# ---- review ----------------------------------------------------------------------------------


def _open_request(desk: Desk, order_no: str, reason: ReasonCode = ReasonCode.WRONG_ITEM, **kw: Any) -> int:
    _, request_id = requests.open_request(desk, order_no, reason, note=kw.pop("note", "区服选错"), **kw)
    assert request_id is not None
    return request_id


def test_review_amount_is_validated_live_against_the_bounds(qtbot, ctx, shop):
    request_id = _open_request(ctx.desk, shop.order("paid", ago=timedelta(hours=2)))
    dialog = ReviewDialog(None, ctx, request_id)
    qtbot.addWidget(dialog)
    assert dialog.amount.text() == "60.00" and dialog.ok_button.isEnabled()
    assert "¥0.01 – ¥60.00" in dialog.bounds.text()
    dialog.amount.setText("999")
    assert not dialog.ok_button.isEnabled()
    assert dialog.message.text() == "退款金额必须在 ¥0.01 到 ¥60.00 之间"
    dialog.amount.setText("12.345")
    assert "两位小数" in dialog.message.text() and not dialog.ok_button.isEnabled()
    dialog.amount.setText("abc")
    assert "金额格式无效" in dialog.message.text()
    dialog.amount.setText("２０")  # full-width digits from a Chinese input method
    assert dialog.ok_button.isEnabled() and not dialog.message.isVisible()
    assert dialog.breakdown.text_of("gross") == "¥20.00"
    assert "超过冷静期" in dialog.reasons.text()
    assert submit(qtbot, dialog)
    assert dialog.result_value.amount_fen == 20_00
    assert views.request_view(ctx.desk, request_id).state == "approved"


def test_review_above_what_the_buyer_asked_needs_its_own_tick(qtbot, ctx, shop):
    """A typed 50 for an asked 20 is asked about before any money moves; a new amount unticks it."""
    request_id = _open_request(ctx.desk, shop.order("paid", ago=timedelta(hours=2)), amount_fen=20_00)
    dialog = ReviewDialog(None, ctx, request_id)
    qtbot.addWidget(dialog)
    assert dialog.amount.text() == "20.00" and dialog.ok_button.isEnabled()
    assert not dialog.above_asked.isVisibleTo(dialog)
    dialog.amount.setText("50")
    assert dialog.above_asked.isVisibleTo(dialog) and not dialog.ok_button.isEnabled()
    assert dialog.above_asked.text() == "确认退款 ¥50.00，多于买家申请的 ¥20.00"
    assert dialog.message.text() == "退款金额多于买家申请的 ¥20.00：请勾选确认"
    dialog.above_asked.setChecked(True)
    assert dialog.ok_button.isEnabled()
    dialog.amount.setText("55")  # another amount: asked again
    assert not dialog.above_asked.isChecked() and not dialog.ok_button.isEnabled()
    dialog.amount.setText("15")  # less than asked: nothing to confirm
    assert not dialog.above_asked.isVisibleTo(dialog) and dialog.ok_button.isEnabled()
    dialog.amount.setText("50")
    dialog.above_asked.setChecked(True)
    assert submit(qtbot, dialog)
    assert dialog.result_value.amount_fen == 50_00
    assert views.request_view(ctx.desk, request_id).state == "approved"


def test_a_dialog_that_grows_leaves_no_wrapped_label_squeezed(qtbot, ctx, shop, qapp):
    """A longer reason list, the above-asked tick and a message grow the review dialog; the
    columns' widths change with the new size, and a wrapped label there must get its lines."""
    from kashop_desktop.gui.i18n import install_translator, remove_translators
    from kashop_desktop.services.policy_settings import set_policy_values

    set_policy_values(ctx.desk, {"auto_approve_ceiling_fen": 50_00})  # 60 is above it: a second reason line
    translators = install_translator(qapp, "en")  # the English breakdown's lines wrap
    try:
        request_id = _open_request(ctx.desk, shop.order("paid", ago=timedelta(hours=2)), amount_fen=20_00)
        dialog = ReviewDialog(None, ctx, request_id)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        dialog.amount.setText("60")
        qtbot.wait(100)
        wrapped = [label for label in dialog.findChildren(QLabel)
                   if label.isVisible() and label.wordWrap() and label.text()]
        squeezed = [(label.text(), label.height(), label.heightForWidth(label.width())) for label in wrapped
                    if label.height() < label.heightForWidth(label.width())]
        assert wrapped and any(label.heightForWidth(label.width()) > label.fontMetrics().height() * 1.5
                               for label in wrapped), "no label wraps here: the test proves nothing"
        assert not squeezed, squeezed
    finally:
        remove_translators(qapp, translators)


def test_review_of_a_part_of_an_undelivered_order_says_the_order_still_goes_out(qtbot, ctx, shop):
    request_id = _open_request(ctx.desk, shop.order("paid", ago=timedelta(hours=2)))
    dialog = ReviewDialog(None, ctx, request_id)
    qtbot.addWidget(dialog)
    assert dialog.amount.text() == "60.00" and not dialog.keeps_order.isVisibleTo(dialog)  # all: cancelled
    dialog.amount.setText("20")
    assert dialog.keeps_order.isVisibleTo(dialog)
    assert "订单不取消，之后照常发货" in dialog.keeps_order.text() and "¥60.00" in dialog.keeps_order.text()
    dialog.amount.setText("60")
    assert not dialog.keeps_order.isVisibleTo(dialog)


def test_review_reject_needs_a_reason(qtbot, ctx, shop):
    request_id = _open_request(ctx.desk, shop.order("paid", ago=timedelta(hours=2)))
    dialog = ReviewDialog(None, ctx, request_id)
    qtbot.addWidget(dialog)
    assert not dialog.reject_button.isEnabled()
    dialog.reject_reason.setText("   ")
    assert not dialog.reject_button.isEnabled()
    dialog.reject_reason.setText("已充值到账，无法撤回")
    assert dialog.reject_button.isEnabled()
    dialog.reject_button.click()
    qtbot.waitUntil(lambda: dialog.result_value is not None)
    assert dialog.result_value.approved is False
    req = views.request_view(ctx.desk, request_id)
    assert (req.state, req.decision_note) == ("rejected", "已充值到账，无法撤回")


def test_review_dispute_records_code_used_and_follows_it(qtbot, ctx, shop):
    order_no = shop.order("delivered", code_used="no")
    request_id = _open_request(ctx.desk, order_no)
    dialog = ReviewDialog(None, ctx, request_id)
    qtbot.addWidget(dialog)
    assert dialog.code_used.isVisibleTo(dialog) and "卡密确认未使用" in dialog.reasons.text()
    dialog.code_used.setCurrentIndex(dialog.code_used.findData("yes"))
    dialog.code_note.setText("买家已登录游戏使用")
    assert run(qtbot, dialog.record_code_used())
    assert views.order_detail(ctx.desk, order_no).code_used == "yes"
    assert not dialog.ok_button.isEnabled() and "拒绝" in dialog.reasons.text()
    dialog.code_used.setCurrentIndex(dialog.code_used.findData("no"))
    assert run(qtbot, dialog.record_code_used())
    assert dialog.ok_button.isEnabled()


def test_review_service_error_is_shown_inline_and_the_dialog_stays(qtbot, ctx, shop):
    request_id = _open_request(ctx.desk, shop.order("paid", ago=timedelta(hours=2)))
    dialog = ReviewDialog(None, ctx, request_id)
    qtbot.addWidget(dialog)
    dialog.show()
    requests.reject(ctx.desk, request_id, "在别处已处理")  # decided elsewhere meanwhile
    assert dialog.ok_button.isEnabled()
    assert not submit(qtbot, dialog)
    assert dialog.isVisible() and dialog.result_value is None
    assert "已处理" in dialog.message.text() and dialog.message.kind == "error"
    assert dialog.amount.text() == "60.00"  # nothing the owner typed is lost


# ---- mark paid -------------------------------------------------------------------------------


def test_mark_paid_needs_trade_no_twice_and_the_check(qtbot, ctx, shop):
    order_no = shop.order("pending_payment")
    dialog = MarkPaidDialog(None, ctx, order_no)
    qtbot.addWidget(dialog)
    assert not dialog.ok_button.isEnabled() and dialog.message.text() == "请填写网关交易号"
    dialog.trade_no.setText("2026111822001")
    assert dialog.message.text() == "两次输入的交易号不一致"
    dialog.trade_no_again.setText("2026111822001")
    assert not dialog.ok_button.isEnabled() and "核实收款" in dialog.message.text()
    dialog.verified.setChecked(True)
    assert dialog.ok_button.isEnabled()
    assert "最多发货一次" in dialog.promise.text()
    assert submit(qtbot, dialog)
    assert not dialog.result_value.already_paid
    assert views.order_detail(ctx.desk, order_no).status.value == "delivered"


def test_mark_paid_without_delivery_records_the_payment_alone(qtbot, ctx, shop):
    """不发货: an order the older system delivered or refunded is paid, nothing delivered, no code taken."""
    order_no = shop.order("pending_payment")
    from kashop_desktop.store.models import CardCode

    def codes_by_state() -> dict[str, int]:
        return {state: sum(1 for c in CardCode.select() if c.state == state) for state in {c.state for c in CardCode.select()}}

    before = codes_by_state()
    dialog = MarkPaidDialog(None, ctx, order_no)
    qtbot.addWidget(dialog)
    assert not dialog.no_deliver.isChecked() and "自动发货" in dialog.promise.text()
    dialog.no_deliver.setChecked(True)
    assert "不发货" in dialog.promise.text() and "自动发货" not in dialog.promise.text()
    _fill_mark_paid(dialog, "2026111822009")
    assert submit(qtbot, dialog)
    after = views.order_detail(ctx.desk, order_no)
    assert after.status.value == "paid" and after.delivered_at is None and after.paid_at is not None
    assert codes_by_state() == before  # no code taken or reserved
    assert dialog.result_value.deliver is False
    text = outcome_message(dialog.result_value, after)
    assert "未发货" in text and "自动发货" not in text


def test_mark_paid_with_another_trade_no_shows_the_refusal_inline(qtbot, ctx, shop):
    order_no = shop.order("paid")
    dialog = MarkPaidDialog(None, ctx, order_no)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.paid_hint.isVisible()
    for edit in (dialog.trade_no, dialog.trade_no_again):
        edit.setText("OTHER-TRADE")
    dialog.verified.setChecked(True)
    assert not submit(qtbot, dialog)
    assert dialog.isVisible() and "不能再次补单" in dialog.message.text()


def test_mark_paid_for_money_paid_to_the_shop_directly_says_its_refund_is_by_hand(qtbot, ctx, shop):
    """收款方式 银行转账: the words follow (凭证号, the money in hand), the order records the
    transfer, and a refund approved later waits for the owner instead of going to the gateway."""
    order_no = shop.order("pending_payment")
    dialog = MarkPaidDialog(None, ctx, order_no)
    qtbot.addWidget(dialog)
    assert dialog.trade_no_label.text() == "网关交易号" and dialog.outside() is None
    dialog.route.setCurrentIndex(dialog.route.findData("bank_transfer"))
    assert dialog.trade_no_label.text() == "凭证号" and dialog.message.text() == "请填写凭证号"
    assert "手工退" in dialog.promise.text() and dialog.verified.text() == "我已核实收到这笔钱"
    dialog.no_deliver.setChecked(True)
    _fill_mark_paid(dialog, "ICBC2026111800042")
    assert submit(qtbot, dialog)
    detail = views.order_detail(ctx.desk, order_no)
    assert (detail.status.value, detail.channel, detail.gateway_trade_no) == ("paid", "bank_transfer", "ICBC2026111800042")
    assert "直接付给本店" in outcome_message(dialog.result_value, detail)
    _, request_id = requests.open_request(ctx.desk, order_no, ReasonCode.MISTAKEN, note="不要了")
    detail = views.order_detail(ctx.desk, order_no)
    refund = detail.refunds[0]
    assert refund.state == "needs_owner" and refund.gateway is None
    from kashop_desktop.domain.decision import Outcome
    from kashop_desktop.gui.dialogs.open_request import OpenRequestResult
    from kashop_desktop.services.changes import Changes

    said = outcome_message(OpenRequestResult(order_no, request_id, Outcome.AUTO_APPROVE, Changes(refund_ids={refund.id})),
                           detail)
    assert "手工退给买家" in said and "已排队" not in said


def _fill_mark_paid(dialog: MarkPaidDialog, trade_no: str) -> None:
    for edit in (dialog.trade_no, dialog.trade_no_again):
        edit.setText(trade_no)
    dialog.verified.setChecked(True)


def test_mark_paid_records_the_payment_time_the_owner_gives(qtbot, ctx, shop):
    """The gateway's payment time, Beijing time to the second, whatever the computer's zone."""
    order_no = shop.order("pending_payment")  # created 09:58 (the clock says 10:00)
    dialog = MarkPaidDialog(None, ctx, order_no)
    qtbot.addWidget(dialog)
    assert not dialog.paid_at_given.isChecked() and not dialog.paid_at.isEnabled()
    assert dialog.paid_at.text() == "2026-11-18 10:00:00"  # now, Beijing time
    dialog.paid_at_given.setChecked(True)
    assert dialog.paid_at.isEnabled()
    paid = datetime(2026, 11, 18, 9, 59, 7, tzinfo=SHOP_TZ)
    dialog.paid_at.setDateTime(QDateTime.fromSecsSinceEpoch(to_epoch(paid + timedelta(minutes=5))))
    assert dialog.paid_at.text() == "2026-11-18 10:00:00"  # no later than now
    dialog.paid_at.setDateTime(QDateTime.fromSecsSinceEpoch(to_epoch(paid)))
    assert dialog.paid_at.text() == "2026-11-18 09:59:07"
    _fill_mark_paid(dialog, "2026111822002")
    assert submit(qtbot, dialog)
    detail = views.order_detail(ctx.desk, order_no)
    assert detail.paid_at is not None and to_epoch(detail.paid_at) == to_epoch(paid)
    assert dialog.result_value.paid_at == paid
    assert "付款时间 2026-11-18 09:59:07" in outcome_message(dialog.result_value, detail)


def test_mark_paid_without_a_payment_time_records_now(qtbot, ctx, shop):
    order_no = shop.order("pending_payment")
    dialog = MarkPaidDialog(None, ctx, order_no)
    qtbot.addWidget(dialog)
    dialog.paid_at.setDateTime(QDateTime.fromSecsSinceEpoch(to_epoch(ctx.desk.now() - timedelta(minutes=1))))
    _fill_mark_paid(dialog, "2026111822003")  # the time field left unticked: not used
    assert submit(qtbot, dialog)
    detail = views.order_detail(ctx.desk, order_no)
    assert detail.paid_at is not None and to_epoch(detail.paid_at) == to_epoch(ctx.desk.now())
    assert dialog.result_value.paid_at is None


def test_errors_follow_the_ui_language(qtbot, ctx, shop, qapp):
    order_no = shop.order("paid")
    qapp.setProperty(LANGUAGE_PROPERTY, "en")
    try:
        dialog = MarkPaidDialog(None, ctx, order_no)
        qtbot.addWidget(dialog)
        for edit in (dialog.trade_no, dialog.trade_no_again):
            edit.setText("OTHER-TRADE")
        dialog.verified.setChecked(True)
        assert not submit(qtbot, dialog)
        assert "already paid with trade no" in dialog.message.text()
    finally:
        qapp.setProperty(LANGUAGE_PROPERTY, None)


# ---- restore ---------------------------------------------------------------------------------


def test_restore_shows_the_plan_and_restores(qtbot, ctx, shop):
    order_no = shop.order("pending_payment", coupon="CP3")
    requests.cancel_order(ctx.desk, order_no, ReasonCode.MISTAKEN)
    stock, codes = shop.stock(), shop.codes_on_shelf()
    dialog = RestoreDialog(None, ctx, order_no)
    qtbot.addWidget(dialog)
    plan = dialog.plan.text()
    assert "「待支付」" in plan and "重新占用库存 1 件" in plan and "CP3" in plan
    assert dialog.ok_button.isEnabled()
    assert submit(qtbot, dialog)
    assert views.order_detail(ctx.desk, order_no).status.value == "pending_payment"
    # A 卡密 order takes a code again; the counter (直充/实物 only) is not touched.
    assert shop.codes_on_shelf() == codes - 1 and shop.stock() == stock and not shop.coupon_free("CP3")


def test_restore_says_which_points_are_taken_back(qtbot, ctx, shop):
    unpaid = shop.order("pending_payment", points=150)
    requests.cancel_order(ctx.desk, unpaid, ReasonCode.MISTAKEN)  # the 150 points went back
    dialog = RestoreDialog(None, ctx, unpaid)
    qtbot.addWidget(dialog)
    assert "取消时退给买家的 150 积分重新用于此订单（从买家处扣回）" in dialog.plan.text()
    assert submit(qtbot, dialog)
    assert views.order_detail(ctx.desk, unpaid).points_refunded == 0  # as the dialog said
    paid = shop.order("paid", points=300, ago=timedelta(minutes=1))
    requests.cancel_order(ctx.desk, paid, ReasonCode.MISTAKEN)  # its refund, still queued, returns them
    returned = views.order_detail(ctx.desk, paid).points_refunded
    assert returned > 0
    dialog = RestoreDialog(None, ctx, paid)
    qtbot.addWidget(dialog)
    assert f"撤回的退款本应退还的 {returned} 积分不再退给买家" in dialog.plan.text()
    assert submit(qtbot, dialog)
    assert views.order_detail(ctx.desk, paid).points_refunded == 0


def test_restore_is_refused_with_the_reason(qtbot, ctx, shop):
    order_no = shop.order("paid")
    requests.cancel_order(ctx.desk, order_no, ReasonCode.MISTAKEN)
    run(qtbot, ctx.send_refunds(force=True))  # the refund went out: no way back
    dialog = RestoreDialog(None, ctx, order_no)
    qtbot.addWidget(dialog)
    assert not dialog.ok_button.isEnabled()
    assert dialog.message.text() == "退款已发出、已处理或已登记为台外退款，不能恢复订单"


# ---- open request ----------------------------------------------------------------------------


def test_open_request_previews_the_decision(qtbot, ctx, shop):
    dialog = OpenRequestDialog(None, ctx, shop.order("paid", ago=timedelta(minutes=3)))
    qtbot.addWidget(dialog)
    assert "自动批准" in dialog.outcome.text() and dialog.ok_button.isEnabled()
    dialog.reason.set_reason(ReasonCode.OTHER)
    assert "需要人工审核" in dialog.outcome.text() and "原因不明确" in dialog.reasons.text()
    dialog.note.setText("游戏维护，暂时用不上")
    assert "自动批准" in dialog.outcome.text()
    dialog.amount.setText("70")
    assert not dialog.ok_button.isEnabled() and "¥60.00" in dialog.message.text()
    dialog.amount.setText("10")
    assert dialog.breakdown.text_of("gross") == "¥10.00"
    assert submit(qtbot, dialog)
    result = dialog.result_value
    assert views.request_view(ctx.desk, result.request_id).state == "auto_approved"


def test_open_request_refused_disables_ok_with_the_reason(qtbot, ctx, shop):
    dialog = OpenRequestDialog(None, ctx, shop.order("delivered", code_used="yes"))
    qtbot.addWidget(dialog)
    assert "不能受理" in dialog.outcome.text()
    assert not dialog.ok_button.isEnabled()
    assert "卡密已使用或无法确认未使用" in dialog.message.text()
    dialog.reason.set_reason(ReasonCode.MERCHANT_FAULT)  # a merchant fault may still be approved
    assert dialog.ok_button.isEnabled()


def test_unknown_order_is_reported_not_crashed(qtbot, ctx, shop):
    for cls in (CancelDialog, MarkPaidDialog, RestoreDialog, OpenRequestDialog):
        dialog = cls(None, ctx, "NOPE")
        qtbot.addWidget(dialog)
        assert not dialog.ok_button.isEnabled()
        assert "找不到订单" in dialog.message.text(), cls


def test_mark_paid_on_an_unpaid_order_shows_the_amount_due_and_the_trade_no_it_replaces(qtbot, ctx, shop):
    from kashop_desktop.store.models import Order

    order_no = shop.order("pending_payment")
    Order.update(gateway_trade_no="SBX0001").where(Order.order_no == order_no).execute()  # as an import leaves it
    dialog = MarkPaidDialog(None, ctx, order_no)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.paid_hint.isVisible() and "SBX0001" in dialog.paid_hint.text()
    labels = [w.text() for w in dialog.findChildren(QLabel)]
    assert "应付" in labels and "实付" not in labels
