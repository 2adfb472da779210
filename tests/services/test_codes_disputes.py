"""Disputes over 卡密: delivery leaves "was the code used?" unknown until the owner records it, a
partial refund voids exactly the units it pays back, and an order whose refund waits for the
owner (待人工处理) is not restored."""

from __future__ import annotations

import pytest

from kashop_desktop.domain.codes import CodeState, units_refunded
from kashop_desktop.domain.errors import DomainError
from kashop_desktop.domain.order import CodeUsed, ProductType, ReasonCode
from kashop_desktop.services import code_import, products, views
from kashop_desktop.services import orders as ops
from kashop_desktop.services import requests as reqs
from kashop_desktop.services.desk import Desk
from kashop_desktop.store.models import CardCode, Order, Refund

from .helpers import order, product

C = CodeState


def _delivered(desk: Desk, quantity: int, paid_fen: int) -> str:
    products.add_product(desk, "点卡", ProductType.CARD_CODE, paid_fen // quantity)
    code_import.import_codes(desk, "点卡", [f"DISPUTE-{i:04d}-ABCDEFGH" for i in range(4)])
    no = order(desk, prod=products.get_product("点卡"), quantity=quantity, paid_fen=paid_fen, paid_minutes_ago=60 * 24)
    ops.deliver(desk, no)
    return no


def test_delivery_does_not_claim_the_code_is_unused(desk: Desk) -> None:
    no = _delivered(desk, 1, 10_00)
    assert views.order_detail(desk, no).code_used == CodeUsed.UNKNOWN.value
    ops.set_code_used(desk, no, CodeUsed.NO, note="上游查询：未激活")
    assert views.order_detail(desk, no).code_used == CodeUsed.NO.value


def _dispute(desk: Desk, no: str, amount_fen: int) -> int:
    _changes, rid = reqs.open_request(desk, no, ReasonCode.MERCHANT_FAULT, note="卡密无效", evidence="截图",
                                      amount_fen=amount_fen)
    assert rid is not None
    return rid


def test_a_partial_refund_voids_exactly_the_units_it_pays_back(desk: Desk) -> None:
    no = _delivered(desk, 2, 20_00)
    rid = _dispute(desk, no, 10_00)
    reqs.approve(desk, rid, void_code=True)
    order_id = Order.get(Order.order_no == no).id
    states = sorted(c.state for c in CardCode.select().where(CardCode.order_id == order_id))
    assert states == [C.DELIVERED.value, C.VOID.value]


def test_void_code_with_a_refund_that_is_not_whole_units_is_refused(desk: Desk) -> None:
    no = _delivered(desk, 2, 20_00)
    rid = _dispute(desk, no, 7_00)
    with pytest.raises(DomainError) as refused:
        reqs.approve(desk, rid, void_code=True)
    assert refused.value.code == "void_not_whole_units" and "整" in refused.value.zh and "whole units" in refused.value.en
    order_id = Order.get(Order.order_no == no).id
    assert CardCode.select().where((CardCode.order_id == order_id) & (CardCode.state == C.VOID.value)).count() == 0
    assert not Refund.select().where(Refund.order == order_id).exists()  # nothing approved either


def test_units_refunded() -> None:
    assert [units_refunded(20_00, 2, g) for g in (10_00, 20_00, 7_00, 0, 30_00)] == [1, 2, None, None, None]
    assert units_refunded(10_00, 3, 6_67) is None and units_refunded(9_99, 3, 3_33) == 1


def test_an_order_whose_refund_waits_for_the_owner_is_not_restored(desk: Desk) -> None:
    p = product(desk, stock=5)
    paid = order(desk, prod=p, paid_minutes_ago=1)
    reqs.cancel_order(desk, paid, ReasonCode.MISTAKEN)
    order_id = Order.get(Order.order_no == paid).id
    Refund.update(state="needs_owner").where(Refund.order == order_id).execute()
    refusal = ops.can_restore(desk, paid)
    assert refusal is not None and refusal.code == "refund_needs_owner"
    with pytest.raises(DomainError) as refused:
        ops.restore(desk, paid)
    assert "手工退款" in refused.value.zh
    assert Order.get_by_id(order_id).status == "cancelled" and Refund.get(Refund.order == order_id).state == "needs_owner"
