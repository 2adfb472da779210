"""Restore brings a cancelled order back as it was: only what restoring means may change."""

from __future__ import annotations

from typing import Any

from kashop_desktop.domain.order import ReasonCode
from kashop_desktop.services import orders as ops
from kashop_desktop.services import requests as reqs
from kashop_desktop.services import views
from kashop_desktop.services.desk import Desk
from kashop_desktop.store.models import Order

from .helpers import order, product

#: Bookkeeping that any write moves; every other column must come back unchanged.
BOOKKEEPING = {"updated_at"}


def snapshot(order_no: str) -> dict[str, Any]:
    data = Order.select().where(Order.order_no == order_no).dicts().get()
    return {k: v for k, v in data.items() if k not in BOOKKEEPING}


def test_restoring_an_unpaid_order_changes_no_field(desk: Desk, clock) -> None:
    # A counter product: a 卡密 order holds codes, not the counter (tests/services/test_codes_stock.py).
    p = product(desk, name="话费直充 50元", ptype="direct_recharge", stock=5)
    no = order(desk, "pending_payment", prod=p, coupon=("CPR1", 3_00), points=150)
    before = snapshot(no)
    clock.advance(minutes=4)
    reqs.cancel_order(desk, no, ReasonCode.MISTAKEN, "选错面值")
    assert snapshot(no) != before
    clock.advance(minutes=3, seconds=42)
    ops.restore(desk, no)
    after = snapshot(no)
    assert after == before, {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    # The detail and the timeline agree on when the buyer ordered.
    detail = views.order_detail(desk, no)
    assert int(detail.created_at.timestamp()) == before["created_at"]


def test_restoring_a_paid_order_withdraws_its_refund_and_changes_no_field(desk: Desk, clock) -> None:
    p = product(desk, name="话费直充 50元", ptype="direct_recharge", stock=5)
    no = order(desk, prod=p, paid_minutes_ago=1, points=80)
    before = snapshot(no)
    reqs.cancel_order(desk, no, ReasonCode.NOT_NEEDED)
    assert snapshot(no)["status"] == "cancelled"
    clock.advance(minutes=2)
    ops.restore(desk, no)
    after = snapshot(no)
    assert after == before, {k: (before[k], after[k]) for k in before if before[k] != after[k]}


def test_a_restored_unpaid_order_gets_a_fresh_payment_window(desk: Desk, clock) -> None:
    no = order(desk, "pending_payment")
    created = snapshot(no)["created_at"]
    clock.advance(minutes=20)
    assert reqs.sweep(desk)[1]["expired"] == 1  # the 15-minute window passed
    from kashop_desktop.store.models import Order, OrderEvent

    expiry = OrderEvent.get((OrderEvent.order == Order.get(Order.order_no == no).id) & (OrderEvent.action == "expire"))
    assert "超过 15 分钟未支付" in expiry.note and "unpaid for 15 min" in expiry.note  # both languages
    ops.restore(desk, no)
    clock.advance(minutes=14)
    assert reqs.sweep(desk)[1]["expired"] == 0  # counted from the restore, not from 下单
    assert snapshot(no)["status"] == "pending_payment"
    clock.advance(minutes=2)
    assert reqs.sweep(desk)[1]["expired"] == 1
    assert snapshot(no)["created_at"] == created


def test_a_failed_refund_of_a_restored_order_is_not_sent_again_nor_the_order_delivered_with_its_money_gone(
        desk: Desk, clock) -> None:
    """Cancelled, its refund failed at the gateway, restored: the failed refund paid back a cancel
    that was undone, so retrying it is refused (a new request refunds now); and an order whose
    whole payment went back or is on its way is never delivered (the buyer would have both)."""
    import pytest

    from kashop_desktop.domain.errors import DomainError
    from kashop_desktop.services import refund_owner

    from .helpers import sandbox, send_refunds

    p = product(desk, name="话费直充 50元", ptype="direct_recharge", stock=5)
    no = order(desk, prod=p, paid_minutes_ago=1, gateway_id=sandbox(desk, "reject"))
    reqs.cancel_order(desk, no, ReasonCode.MISTAKEN)
    assert send_refunds(desk).failed == 1
    clock.advance(minutes=2)
    ops.restore(desk, no)
    refund = Order.get(Order.order_no == no).refunds.get()
    with pytest.raises(DomainError) as refused:
        refund_owner.retry(desk, refund.id)
    assert refused.value.code == "restored_since" and no in refused.value.zh and "requests open" in refused.value.en
    row = Order.get(Order.order_no == no)
    assert (row.status, row.refund_pending_fen) == ("paid", 0)
    Order.update(refund_pending_fen=row.paid_fen).where(Order.id == row.id).execute()  # its money on its way back
    assert ops.deliver_check(desk, no) is not None and ops.deliver_check(desk, no).code == "all_refunded"
    with pytest.raises(DomainError) as not_delivered:
        ops.deliver(desk, no)
    assert not_delivered.value.code == "all_refunded"
    assert Order.get(Order.order_no == no).delivered_at is None
