"""A sale at the desk (新建订单) against each gateway's fake over loopback HTTP.

The buyer pays "from outside", through the fake's ``/__fake__/pay``, as another process would;
the desk learns it by asking (payment sync), whichever path asks first.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from kashop_desktop.domain.errors import DomainError
from kashop_desktop.gateways.fakes import fake_class
from kashop_desktop.services import orders as order_ops
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.gateways import save_account
from kashop_desktop.services.payment_sync import PaymentSync
from kashop_desktop.services.sale import SaleInput, check_buyer, create_order, quote
from kashop_desktop.services.sale_flow import SaleView, cancel_sale, open_sale, poll_sale, sale_view
from kashop_desktop.store.models import CardCode, Coupon, GatewayAccount, Order, OrderEvent, Product

from ..conftest import FakeClock
from .helpers import product

KINDS = ["epay_v1", "epay_v2", "alipay", "wechatpay_v3"]
PRICE = 68_00


@pytest.fixture(params=KINDS)
def gateway(request: pytest.FixtureRequest, desk: Any) -> Iterator[tuple[str, Any]]:
    kind = request.param
    server = fake_class(kind)().start()
    try:
        save_account(desk, f"fake-{kind}", kind, server.account_config(kind))
        yield f"fake-{kind}", server
    finally:
        server.stop()


def one_gateway(desk: Any, kind: str) -> tuple[str, Any]:
    server = fake_class(kind)().start()
    save_account(desk, f"fake-{kind}", kind, server.account_config(kind))
    return f"fake-{kind}", server


def run(desk: Any, job: Any) -> Any:
    async def go() -> Any:
        sync = PaymentSync(desk, adapter_kw={"timeout": 3.0})
        try:
            return await job(sync)
        finally:
            await sync.aclose()

    return asyncio.run(go())


def sell(desk: Any, gateway: str, *, qty: int = 1, coupon: str = "", buyer: str = "138-0013-8000",
         name: str = "王者荣耀点券 680点") -> SaleView:
    return run(desk, lambda s: open_sale(desk, SaleInput(name, qty, buyer, coupon, gateway=gateway), s))[1]


def poll(desk: Any, order_no: str) -> tuple[Any, SaleView]:
    return run(desk, lambda s: poll_sale(desk, s, order_no))


def pay(server: Any, order_no: str) -> None:
    resp = httpx.post(f"{server.url}__fake__/pay", json={"out_trade_no": order_no}, timeout=5)
    assert resp.status_code == 200, resp.text


def events(order_no: str, action: str) -> int:
    oid = Order.get(Order.order_no == order_no).id
    return OrderEvent.select().where((OrderEvent.order == oid) & (OrderEvent.action == action)).count()


def codes(order_no: str, state: str) -> int:
    oid = Order.get(Order.order_no == order_no).id
    return CardCode.select().where((CardCode.order_id == oid) & (CardCode.state == state)).count()


def test_paid_before_the_first_poll(desk: Any, gateway: tuple[str, Any]) -> None:
    name, server = gateway
    product(desk)
    view = sell(desk, name)
    assert view.order_no.startswith("KS20261118") and len(view.order_no) == 17
    assert view.waiting and view.amount_fen == PRICE and view.qr_content
    assert server.ledger.payments[view.order_no].amount_fen == PRICE  # the trade the gateway holds
    assert codes(view.order_no, "reserved") == 1
    pay(server, view.order_no)
    report, after = poll(desk, view.order_no)
    assert [r.code for r in report.results] == ["paid_delivered"], report.results
    assert after.status == "delivered" and after.codes == 1 and after.trade_no == server.ledger.payments[
        view.order_no].trade_no
    assert codes(view.order_no, "delivered") == 1 and codes(view.order_no, "reserved") == 0


def test_paid_after_one_poll_and_after_many(desk: Any, clock: FakeClock, gateway: tuple[str, Any]) -> None:
    name, server = gateway
    product(desk)
    first = sell(desk, name)
    report, view = poll(desk, first.order_no)
    assert view.waiting and [r.code for r in report.results] in (["pending"], ["not_found"])
    pay(server, first.order_no)
    assert poll(desk, first.order_no)[1].status == "delivered"
    many = sell(desk, name)
    for _ in range(4):
        assert poll(desk, many.order_no)[1].waiting
        clock.advance(seconds=20)
    pay(server, many.order_no)
    background = run(desk, lambda s: s.run(force=True))  # the window's background sync, not the dialog
    assert [r.code for r in background.results] == ["paid_delivered"]
    assert sale_view(desk, many.order_no).codes == 1


def test_sync_poll_and_mark_paid_deliver_once(desk: Any, gateway: tuple[str, Any]) -> None:
    name, server = gateway
    product(desk)
    view = sell(desk, name)
    pay(server, view.order_no)

    async def both(sync: PaymentSync) -> Any:
        return await asyncio.gather(poll_sale(desk, sync, view.order_no), sync.run(force=True))

    run(desk, both)
    trade_no = server.ledger.payments[view.order_no].trade_no
    assert "already_paid" in order_ops.mark_paid(desk, view.order_no, trade_no, confirmed=True).messages
    assert poll(desk, view.order_no)[1].codes == 1
    assert events(view.order_no, "deliver") == 1 and codes(view.order_no, "delivered") == 1


def test_payment_after_expiry_reopens_and_delivers(desk: Any, clock: FakeClock, gateway: tuple[str, Any]) -> None:
    name, server = gateway
    product(desk)
    view = sell(desk, name)
    assert view.expires_at == view.created_at.replace() + (view.expires_at - view.created_at)
    assert (view.expires_at - view.created_at).total_seconds() == desk.policy().unpaid_expiry_minutes * 60
    clock.advance(minutes=desk.policy().unpaid_expiry_minutes + 1)
    order_ops.expire_unpaid(desk)
    assert sale_view(desk, view.order_no).status == "cancelled" and codes(view.order_no, "reserved") == 0
    pay(server, view.order_no)  # the buyer scanned the QR on their phone before it closed
    report = run(desk, lambda s: s.run())
    assert [r.code for r in report.results] == ["late_reopened"]
    assert sale_view(desk, view.order_no).status == "delivered" and codes(view.order_no, "delivered") == 1


@pytest.mark.parametrize("kind", ["alipay", "wechatpay_v3"])
def test_cancel_that_races_a_payment_takes_the_payment(desk: Any, kind: str) -> None:
    name, server = one_gateway(desk, kind)
    try:
        product(desk)
        view = sell(desk, name)
        pay(server, view.order_no)  # paid a moment before the owner pressed 取消订单
        _changes, closes, after = run(desk, lambda s: cancel_sale(desk, s, view.order_no))
        assert [c.code for c in closes.results] == ["paid"]
        assert after.status == "delivered" and after.codes == 1 and events(view.order_no, "deliver") == 1
        other = sell(desk, name)
        _changes, closes, after = run(desk, lambda s: cancel_sale(desk, s, other.order_no))
        assert after.status == "cancelled" and [c.code for c in closes.results] in (["closed"], ["not_found"])
        assert codes(other.order_no, "reserved") == 0
    finally:
        server.stop()


def test_amount_mismatch_is_flagged_not_delivered(desk: Any, gateway: tuple[str, Any]) -> None:
    name, server = gateway
    product(desk)
    view = sell(desk, name)
    server.ledger.payments[view.order_no].amount_fen = PRICE - 1  # the gateway took another amount
    pay(server, view.order_no)
    report, after = poll(desk, view.order_no)
    assert [r.code for r in report.results] == ["amount_mismatch"]
    assert after.flag == "amount_mismatch" and after.waiting and after.codes == 0
    assert codes(view.order_no, "reserved") == 1


def test_stock_short_says_how_many_are_left_and_writes_nothing(desk: Any) -> None:
    name, server = one_gateway(desk, "alipay")
    try:
        product(desk, codes=2)
        with pytest.raises(DomainError) as caught:
            sell(desk, name, qty=3)
        assert caught.value.code == "out_of_stock" and "只剩 2 件" in caught.value.zh and "2 left" in caught.value.en
        assert Order.select().count() == 0 and server.ledger.payments == {}
        product(desk, "腾讯视频月卡", ptype="physical", stock=1, codes=0)
        with pytest.raises(DomainError, match="只剩 1 件"):
            create_order(desk, SaleInput("腾讯视频月卡", 2, "qq 12345678", manual="cash"), confirmed=True)
        assert Product.get(Product.name == "腾讯视频月卡").stock == 1
    finally:
        server.stop()


def test_coupon_lowers_the_amount_once_and_comes_back_on_cancel(desk: Any) -> None:
    name, server = one_gateway(desk, "wechatpay_v3")
    try:
        product(desk)
        Coupon.create(code="VIP5", discount_fen=5_00)
        assert quote(desk, "王者荣耀点券 680点", 2, "VIP5").amount_fen == 2 * PRICE - 5_00
        view = sell(desk, name, qty=2, coupon="VIP5")
        assert view.amount_fen == 2 * PRICE - 5_00
        assert server.ledger.payments[view.order_no].amount_fen == 2 * PRICE - 5_00
        assert quote(desk, "王者荣耀点券 680点", 1, "VIP5").problem.code == "coupon_used"  # type: ignore[union-attr]
        with pytest.raises(DomainError, match="已被订单"):
            sell(desk, name, coupon="VIP5")
        run(desk, lambda s: cancel_sale(desk, s, view.order_no))
        assert Coupon.get_by_id("VIP5").used_by_order is None
        assert quote(desk, "王者荣耀点券 680点", 1, "NOPE").problem.code == "coupon_unknown"  # type: ignore[union-attr]
    finally:
        server.stop()


def test_gateway_refusal_voids_the_order_and_gives_stock_back(desk: Any) -> None:
    name, server = one_gateway(desk, "alipay")
    try:
        product(desk, codes=1)
        server.set_chaos(fail_5xx_rate=1.0)
        with pytest.raises(DomainError) as caught:
            sell(desk, name)
        assert caught.value.code == "qr_failed"
        order = Order.get()
        assert order.order_no in caught.value.zh and order.status == "cancelled"
        assert events(order.order_no, "sale_failed") == 1 and codes(order.order_no, "reserved") == 0
        assert quote(desk, "王者荣耀点券 680点", 1).available == 1
        # Nobody's cancellation: the reports' reasons do not count it (they said 未记录原因 1).
        assert desk.db.execute_sql("SELECT COALESCE(SUM(n), 0) FROM report_cancels").fetchone()[0] == 0
    finally:
        server.stop()


def test_an_order_above_the_amount_the_desk_can_refund_is_not_sold(desk: Any) -> None:
    """¥99,999,999 × 999 was sold (¥99,899,999,001.00) and then no refund amount could name it."""
    big = Product.create(name="大批卡", product_type="direct_recharge", price_fen=99_999_999_00, stock=999)
    priced = quote(desk, big.name, 2)
    assert priced.problem is not None and priced.problem.code == "order_too_large"
    assert "¥199,999,998.00" in priced.problem.zh and "¥100,000,000.00" in priced.problem.en
    with pytest.raises(DomainError) as refused:
        create_order(desk, SaleInput(big.name, 2, "13100131000", manual="cash"), confirmed=True)
    assert refused.value.code == "order_too_large" and Order.select().count() == 0
    assert quote(desk, big.name, 1).problem is None  # at most the limit: sold


def test_manual_sale_is_paid_with_its_method_and_delivered(desk: Any) -> None:
    product(desk)
    created = create_order(desk, SaleInput("王者荣耀点券 680点", 1, "+86 138 0013 8000", manual="cash"), confirmed=True)
    order = Order.get(Order.order_no == created.order_no)
    assert order.status == "delivered" and order.channel == "cash" and order.buyer_key == "13800138000"
    assert order.gateway_trade_no == f"CASH-{created.order_no}" and created.delivered
    assert codes(created.order_no, "delivered") == 1 and events(created.order_no, "deliver") == 1
    with pytest.raises(DomainError) as caught:
        create_order(desk, SaleInput("王者荣耀点券 680点", 1, "13800138000", manual="cash"))
    assert caught.value.code == "confirmation_required"
    transfer = create_order(desk, SaleInput("王者荣耀点券 680点", 1, "a@b.cn", manual="bank_transfer",
                                            reference="TR-778"), confirmed=True)
    assert Order.get(Order.order_no == transfer.order_no).gateway_trade_no == "TR-778"


def test_buyer_contact_is_validated_and_normalised(desk: Desk) -> None:  # its own store: check_buyer reads the blocklist
    assert check_buyer(" +86 138 0013 8000 ").key == "13800138000"
    assert check_buyer("QQ：12345678").key == "qq:12345678"
    assert check_buyer("Alice@Example.COM").key == "alice@example.com"
    assert check_buyer("wxid_abc123").kind.value == "other"
    for bad, code in (("", "buyer_required"), ("alice@", "buyer_email_invalid"), ("138-0013-800", "buyer_phone_invalid"),
                      ("x" * 201, "buyer_too_long")):
        with pytest.raises(DomainError) as caught:
            check_buyer(bad)
        assert caught.value.code == code, bad


def test_order_nos_are_unique_from_two_desks_at_once(desk: Any) -> None:
    product(desk, codes=40)
    made: list[str] = []
    errors: list[BaseException] = []

    def seller() -> None:  # each thread has its own SQLite connection, like a second desk
        try:
            for _ in range(15):
                made.append(create_order(desk, SaleInput("王者荣耀点券 680点", 1, "13800138000", manual="cash"),
                                         confirmed=True).order_no)
        except BaseException as exc:
            errors.append(exc)
        finally:
            desk.close()

    threads = [threading.Thread(target=seller) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(made) == 30 and len(set(made)) == 30
    assert sorted(made) == [f"KS20261118{n:07d}" for n in range(1, 31)]


def test_a_blocked_buyers_manual_sale_is_paid_and_held(desk: Any) -> None:
    from kashop_desktop.services.buyers import block

    product(desk)
    block(desk, "13800138000", "盗刷")
    assert check_buyer("+86 138 0013 8000").blocked_reason == "盗刷"
    created = create_order(desk, SaleInput("王者荣耀点券 680点", 1, "138 0013 8000", manual="cash"), confirmed=True)
    view = sale_view(desk, created.order_no)
    assert view.paid and view.held and view.codes == 0 and not created.delivered
    assert events(created.order_no, "held") == 1 and codes(created.order_no, "reserved") == 1


def test_wallet_sale_is_kept_on_the_wallet_account(desk: Any) -> None:
    from kashop_desktop.services.gateways import ensure_builtin_accounts

    ensure_builtin_accounts(desk)
    product(desk, "腾讯视频月卡", ptype="physical", stock=5, codes=0)
    created = create_order(desk, SaleInput("腾讯视频月卡", 2, "qq 12345678", manual="wallet"), confirmed=True)
    order = Order.get(Order.order_no == created.order_no)
    assert order.channel == "wallet" and GatewayAccount.get_by_id(order.gateway_id).kind == "wallet"
    assert order.paid_at is not None and Product.get(Product.name == "腾讯视频月卡").stock == 3


def test_mark_paid_against_the_trade_the_gateway_opened_for_the_order(desk: Any) -> None:
    """易支付 names its trade no when the QR is made: a 补单 through the gateway must be that one
    (an Excel-cut copy replaced it, then sync said paid twice and the refund failed), and that
    very trade no cannot be recorded as money paid to the shop directly (its refund went by hand)."""
    name, server = one_gateway(desk, "epay_v1")
    try:
        product(desk, codes=2)
        view = sell(desk, name)
        own = Order.get(Order.order_no == view.order_no).gateway_trade_no
        assert own and len(own) >= 16
        pay(server, view.order_no)
        cut = own[:15] + "0" * (len(own) - 15)
        if cut != own:
            with pytest.raises(DomainError) as refused:
                order_ops.mark_paid(desk, view.order_no, cut, confirmed=True)
            assert refused.value.code == "trade_no_not_gateways" and "Excel" in refused.value.zh and own in refused.value.en
        with pytest.raises(DomainError) as refused:
            order_ops.mark_paid(desk, view.order_no, "BANK-2026-0001", confirmed=True)  # a transfer, not so marked
        assert refused.value.code == "trade_no_not_gateways" and "bank_transfer" in refused.value.en
        with pytest.raises(DomainError) as refused:
            order_ops.mark_paid(desk, view.order_no, own.lower(), confirmed=True, channel="bank_transfer")
        assert refused.value.code == "trade_no_is_gateways"
        assert Order.get(Order.order_no == view.order_no).paid_at is None
        order_ops.mark_paid(desk, view.order_no, own, confirmed=True)  # the gateway's own: taken
        assert Order.get(Order.order_no == view.order_no).status == "delivered"
    finally:
        server.stop()


def test_one_reference_in_another_case_cannot_pay_a_second_order(desk: Any) -> None:
    """A transfer's serial no is kept in capitals: typed again in another case for another order
    (marked paid without a channel, or as a transfer too) it clashes; so does a transfer typed as
    another order's gateway trade no."""
    product(desk, codes=3)
    first = create_order(desk, SaleInput("王者荣耀点券 680点", 1, "13800138000", manual="bank_transfer",
                                         reference="Xyz-Serial-1"), confirmed=True)
    assert Order.get(Order.order_no == first.order_no).gateway_trade_no == "XYZ-SERIAL-1"
    from tests.services.helpers import order

    for channel in (None, "bank_transfer"):
        other = order(desk, "pending_payment", channel="alipay")
        with pytest.raises(DomainError) as refused:
            order_ops.mark_paid(desk, other, "xyz-serial-1", confirmed=True, channel=channel, deliver=False)
        assert refused.value.code == "trade_no_taken" and first.order_no in refused.value.zh
    paid = order(desk, "paid", channel="wechat", gateway_trade_no="wxAbC123def")
    other = order(desk, "pending_payment", channel="alipay")
    with pytest.raises(DomainError) as refused:
        order_ops.mark_paid(desk, other, "wxAbC123def", confirmed=True, channel="bank_transfer", deliver=False)
    assert refused.value.code == "trade_no_taken" and paid in refused.value.zh
