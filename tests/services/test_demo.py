"""The demo shop tells no lies: nothing after now, sold 卡密 on every delivered card-code order,
and every timeline starts with 下单 (and 支付成功 once paid), scenario orders included."""

from __future__ import annotations

from kashop_desktop.domain.clock import to_epoch
from kashop_desktop.services import demo
from kashop_desktop.services.desk import Desk
from kashop_desktop.store.models import Order, OrderEvent

TIME_COLUMNS = ("created_at", "paid_at", "delivered_at", "completed_at", "cancelled_at", "updated_at")


def test_the_demo_shop_is_one_a_real_shop_could_have(desk: Desk, clock) -> None:
    demo.build(desk, 900)
    now_s = to_epoch(clock())
    orders = list(Order.select())
    assert len(orders) > 900
    future = [(o.order_no, c) for o in orders for c in TIME_COLUMNS if (getattr(o, c) or 0) > now_s]
    assert future == []
    assert not OrderEvent.select().where(OrderEvent.at > now_s).exists()
    events: dict[int, list[OrderEvent]] = {}
    for event in OrderEvent.select().order_by(OrderEvent.id):
        events.setdefault(event.order_id, []).append(event)
    for o in orders:
        timeline = sorted(events.get(o.id, []), key=lambda e: (e.at, e.id))
        actions = [e.action for e in timeline]
        assert actions and actions[0] == "created", (o.order_no, actions)
        if o.paid_at is not None:
            assert "paid" in actions or "mark_paid" in actions, (o.order_no, actions)
        if o.delivered_at is not None:
            assert "deliver" in actions, (o.order_no, actions)
            if o.product_type == "card_code":
                assert o.card_code and len(o.card_code.splitlines()) == o.quantity, o.order_no
        elif o.product_type == "card_code":
            assert not o.card_code and o.code_used == "unknown", o.order_no
        if o.completed_at is not None:
            assert o.completed_at >= o.delivered_at + 86400 and "complete" in actions
        times = [t for t in (o.created_at, o.paid_at, o.delivered_at, o.completed_at) if t is not None]
        assert times == sorted(times), o.order_no
    # Recent deliveries are not completed yet; the list still has completed orders.
    statuses = {o.status for o in orders}
    assert {"completed", "delivered", "paid", "pending_payment", "cancelled"} <= statuses


def test_building_twice_adds_nothing(desk: Desk) -> None:
    demo.build(desk, 300)
    count = Order.select().count()
    assert demo.build(desk, 300) == {"products": 0, "orders": 0, "requests": 0, "refunds": 0}
    assert Order.select().count() == count
