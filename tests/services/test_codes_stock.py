"""A 卡密 product's stock is its codes, never Product.stock: late payments (payment sync over a
fake gateway on loopback, 补单), restore and the demo, on products made as `products add` makes
them (the counter stays 0)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from kashop_desktop.domain.order import ProductType, ReasonCode
from kashop_desktop.gateways.fakes import fake_class
from kashop_desktop.services import orders as order_ops
from kashop_desktop.services.code_import import import_codes
from kashop_desktop.services.codes import reserve_codes
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.gateways import save_account
from kashop_desktop.services.payment_sync import PaymentSync, SyncReport
from kashop_desktop.services.products import add_product, backorders
from kashop_desktop.store.models import CardCode, GatewayAccount, Order, OrderEvent, Product

from ..conftest import FakeClock
from .helpers import order


@pytest.fixture
def alipay(desk: Desk) -> Iterator[tuple[Any, int]]:
    server = fake_class("alipay")().start()
    try:
        save_account(desk, "ali", "alipay", server.account_config("alipay"))
        yield server, GatewayAccount.get(GatewayAccount.name == "ali").id
    finally:
        server.stop()


def codes_product(desk: Desk, name: str, codes: int, *, counter: int = 0) -> Product:
    """A 卡密 product as `products add` + `codes import` make it; ``counter`` sets the
    meaningless Product.stock (older demo stores carry 500 there)."""
    add_product(desk, name, ProductType.CARD_CODE, 30_00)
    if codes:
        import_codes(desk, name, [f"{name}-CODE-{i:04d}-SECRET" for i in range(codes)])
    Product.update(stock=counter).where(Product.name == name).execute()
    return Product.get(Product.name == name)


def open_order(desk: Desk, prod: Product, gid: int | None = None) -> str:
    """An unpaid 卡密 order holding its code, as the desk sale leaves it."""
    no = order(desk, "pending_payment", prod=prod, paid_fen=30_00, gateway_id=gid, stock_reserved=0)
    with desk.atomic():
        assert reserve_codes(desk, Order.get(Order.order_no == no)) == 1
    return no


def sync(desk: Desk) -> SyncReport:
    async def run() -> SyncReport:
        s = PaymentSync(desk, adapter_kw={"timeout": 2.0})
        try:
            return await s.run(None)
        finally:
            await s.aclose()

    return asyncio.run(run())


def free_codes(prod: Product) -> int:
    return CardCode.select().where((CardCode.product == prod.id) & (CardCode.state == "available")).count()


def notes(no: str, action: str) -> list[str]:
    oid = Order.get(Order.order_no == no).id
    return [e.note for e in OrderEvent.select().where((OrderEvent.order == oid) & (OrderEvent.action == action))]


def test_late_payment_found_by_sync_reopens_a_codes_order_whose_codes_are_free(
        desk: Desk, clock: FakeClock, alipay: tuple[Any, int]) -> None:
    server, gid = alipay
    prod = codes_product(desk, "腾讯视频月卡", 3)
    no = open_order(desk, prod, gid)
    server.add_payment(no, 30_00, status="pending")
    clock.advance(minutes=30)
    order_ops.expire_unpaid(desk)
    assert free_codes(prod) == 3  # the expiry gave the code back
    httpx.post(f"{server.url}__fake__/pay", json={"out_trade_no": no}, timeout=5).raise_for_status()
    report = sync(desk)
    assert [r.code for r in report.results] == ["late_reopened"], report.results
    got = Order.get(Order.order_no == no)
    assert got.status == "delivered" and got.card_code and free_codes(prod) == 2
    assert Product.get_by_id(prod.id).stock == 0  # the counter was never touched
    assert notes(no, "mark_paid") == ["过期后付款 / paid after expiry"]


def test_mark_paid_of_a_cancelled_codes_order_delivers_from_the_codes(desk: Desk) -> None:
    prod = codes_product(desk, "爱奇艺周卡", 2)
    no = open_order(desk, prod)
    order_ops.cancel_unpaid(desk, no, ReasonCode.NOT_NEEDED)
    assert order_ops.mark_paid_check(desk, no) is None
    order_ops.mark_paid(desk, no, "2026112922001", confirmed=True)
    got = Order.get(Order.order_no == no)
    assert got.status == "delivered" and free_codes(prod) == 1
    assert notes(no, "mark_paid") == ["取消后付款 / paid after cancellation"]


def test_mark_paid_with_the_codes_gone_is_a_backorder_whatever_the_counter_says(desk: Desk) -> None:
    prod = codes_product(desk, "网易点卡", 1, counter=500)
    no = open_order(desk, prod)
    order_ops.cancel_unpaid(desk, no, ReasonCode.NOT_NEEDED)
    other = open_order(desk, prod)  # takes the only code
    assert free_codes(prod) == 0
    order_ops.mark_paid(desk, no, "2026112922002", confirmed=True)
    got = Order.get(Order.order_no == no)
    assert got.status == "paid" and got.delivered_at is None and got.backorder_at is not None
    assert [b.order_no for b in backorders(desk)] == [no]
    assert Product.get_by_id(prod.id).stock == 500
    assert CardCode.get(CardCode.product == prod.id).order_id == Order.get(Order.order_no == other).id


def test_restore_of_a_codes_order_reserves_codes_and_refuses_when_they_are_gone(desk: Desk) -> None:
    prod = codes_product(desk, "QQ音乐月卡", 1, counter=0)
    no = open_order(desk, prod)
    order_ops.cancel_unpaid(desk, no, ReasonCode.NOT_NEEDED)
    preview = order_ops.restore_preview(desk, no)
    assert preview.possible and preview.re_reserves_stock and preview.stock_available == 1
    order_ops.restore(desk, no)
    oid = Order.get(Order.order_no == no).id
    assert CardCode.get(CardCode.product == prod.id).order_id == oid and free_codes(prod) == 0
    order_ops.cancel_unpaid(desk, no, ReasonCode.NOT_NEEDED)
    open_order(desk, prod)  # someone else takes the code
    Product.update(stock=500).where(Product.id == prod.id).execute()  # a counter never helps 卡密
    preview = order_ops.restore_preview(desk, no)
    assert not preview.possible and preview.stock_available == 0
    with pytest.raises(Exception, match="卡密库存不足"):
        order_ops.restore(desk, no)
    assert Order.get(Order.order_no == no).status == "cancelled"


def test_a_counter_product_still_uses_its_counter(desk: Desk) -> None:
    add_product(desk, "话费直充50", ProductType.DIRECT_RECHARGE, 50_00)
    prod = Product.get(Product.name == "话费直充50")
    Product.update(stock=1).where(Product.id == prod.id).execute()
    no = order(desk, "pending_payment", prod=prod, paid_fen=50_00)  # takes the one unit
    assert Product.get_by_id(prod.id).stock == 0
    order_ops.cancel_unpaid(desk, no, ReasonCode.NOT_NEEDED)
    assert Product.get_by_id(prod.id).stock == 1
    order_ops.mark_paid(desk, no, "2026112922003", confirmed=True)
    got = Order.get(Order.order_no == no)
    assert got.status == "paid" and got.stock_reserved and Product.get_by_id(prod.id).stock == 0


def _coupon_order(desk: Desk, prod: Product, code: str, gid: int | None = None) -> str:
    no = order(desk, "pending_payment", prod=prod, paid_fen=25_00, gateway_id=gid, stock_reserved=0,
               coupon=(code, 5_00))
    with desk.atomic():
        reserve_codes(desk, Order.get(Order.order_no == no))
    return no


def test_a_reopened_order_takes_its_coupon_back_when_it_is_free(desk: Desk) -> None:
    from kashop_desktop.store.models import Coupon

    prod = codes_product(desk, "优惠卡A", 2)
    no = _coupon_order(desk, prod, "CPX001")
    order_ops.cancel_unpaid(desk, no, ReasonCode.NOT_NEEDED)
    assert Coupon.get_by_id("CPX001").used_by_order is None
    order_ops.mark_paid(desk, no, "2026112922010", confirmed=True)
    got = Order.get(Order.order_no == no)
    assert Coupon.get_by_id("CPX001").used_by_order == got.id and not got.coupon_returned


def test_a_late_payment_whose_coupon_another_order_took_goes_through_and_is_flagged(
        desk: Desk, clock: FakeClock, alipay: tuple[Any, int]) -> None:
    from kashop_desktop.services.payments import flag_of
    from kashop_desktop.store.models import Coupon

    server, gid = alipay
    prod = codes_product(desk, "优惠卡B", 3)
    first = _coupon_order(desk, prod, "CPX002", gid)
    server.add_payment(first, 25_00, status="pending")
    clock.advance(minutes=30)
    order_ops.expire_unpaid(desk)
    second = order(desk, "paid", prod=prod, paid_fen=25_00, stock_reserved=0)
    Coupon.update(used_by_order=Order.get(Order.order_no == second).id).where(Coupon.code == "CPX002").execute()
    httpx.post(f"{server.url}__fake__/pay", json={"out_trade_no": first}, timeout=5).raise_for_status()
    report = sync(desk)
    assert [r.code for r in report.results] == ["late_reopened"]
    got = Order.get(Order.order_no == first)
    assert got.status == "delivered" and got.paid_at is not None  # the money is in
    assert Coupon.get_by_id("CPX002").used_by_order == Order.get(Order.order_no == second).id
    flag, facts = flag_of(got.id)
    assert flag == "coupon_in_use" and facts["held_by"] == second
    assert any(second in n for n in notes(first, "coupon_in_use"))


def test_coupon_codes_are_read_without_case(desk: Desk) -> None:
    from kashop_desktop.services.sale import quote
    from kashop_desktop.store.models import Coupon

    codes_product(desk, "优惠卡C", 1)
    Coupon.insert(code="CPX003", discount_fen=5_00).execute()
    priced = quote(desk, "优惠卡C", 1, " cpx003 ")
    assert priced.problem is None and priced.coupon_code == "CPX003" and priced.coupon_fen == 5_00


def test_a_payment_that_bu_dan_refuses_is_found_once_however_often_it_is_asked(desk: Desk) -> None:
    from kashop_desktop.services.payments import take_payment

    prod = codes_product(desk, "已发过货的卡", 1)
    # Delivered, then cancelled: 补单 refuses it (a rule of the desk), so the payment is flagged.
    no = order(desk, "cancelled", prod=prod, paid_fen=30_00, paid_at=None, gateway_trade_no=None,
               delivered_at=1_763_400_000)
    oid = Order.get(Order.order_no == no).id
    account = Order.get_by_id(oid).gateway_id
    codes = [take_payment(desk, no, gateway_id=account, trade_no="2026112922099", amount_fen=30_00).code
             for _ in range(3)]
    assert codes == ["refused"] * 3
    assert len(notes(no, "payment_found")) == 1 and len(notes(no, "payment_flagged")) == 1
    assert Order.get_by_id(oid).paid_at is None


def test_an_expiry_note_is_in_both_languages(desk: Desk, clock: FakeClock) -> None:
    prod = codes_product(desk, "过期卡", 1)
    no = open_order(desk, prod)
    clock.advance(minutes=30)
    order_ops.expire_unpaid(desk)
    (note,) = notes(no, "expire")
    assert note.startswith("超过 ") and "分钟未支付" in note and "unpaid for" in note
