"""The demo shop tells no lies: nothing after now, sold 卡密 on every delivered card-code order,
and every timeline starts with 下单 (and 支付成功 once paid), scenario orders included."""

from __future__ import annotations

import json

import pytest

from kashop_desktop.domain.clock import to_epoch
from kashop_desktop.services import demo, orders
from kashop_desktop.services.desk import Desk
from kashop_desktop.store.models import Order, OrderEvent

pytestmark = pytest.mark.sqlite_only(reason="not ported to PostgreSQL yet: the demo's data generator writes SQLite SQL (a demo shop reaches a server through store migrate)")

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


def _refund_trail_problems(desk: Desk) -> list[tuple[str, str]]:
    """Every order with money back has an approved request, a succeeded refund with a refund no
    for exactly that money, and a 退款成功 entry naming it in its timeline."""
    from kashop_desktop.store.models import CancelRequest, Refund

    problems = []
    for o in Order.select().where(Order.refunded_fen > 0):
        refunds = list(Refund.select().where(Refund.order == o.id))
        done = [r for r in refunds if r.state == "succeeded"]
        if sum(r.amount_fen for r in done) != o.refunded_fen or not all(r.refund_no for r in done):
            problems.append((o.order_no, f"refunds {[(r.refund_no, r.state, r.amount_fen) for r in refunds]}"))
            continue
        if not all(r.request_id and CancelRequest.get_by_id(r.request_id).state in ("approved", "auto_approved")
                   for r in done):
            problems.append((o.order_no, "no approved request"))
        succeeded = {json.loads(e.data).get("refund_no") for e in
                     OrderEvent.select().where((OrderEvent.order == o.id) & (OrderEvent.action == "refund_succeeded"))}
        if not {r.refund_no for r in done} <= succeeded:
            problems.append((o.order_no, "no 退款成功 entry"))
    return problems


def test_every_refunded_demo_order_has_its_request_refund_and_success(desk: Desk, clock) -> None:
    added = demo.build(desk, 900)
    assert Order.select().where(Order.status.in_(["refunded", "partially_refunded"])).count() > 10
    assert _refund_trail_problems(desk) == []
    # The summary counts what the store holds: every order, request and refund it made.
    from kashop_desktop.store.models import CancelRequest, Refund

    assert added["orders"] == Order.select().count()
    assert added["requests"] == CancelRequest.select().count()
    assert added["refunds"] == Refund.select().count()


def test_no_demo_card_code_order_waits_undelivered_without_a_reason(desk: Desk, clock) -> None:
    from kashop_desktop.store.models import CancelRequest

    demo.build(desk, 900)
    now_s = to_epoch(clock())
    waiting = [o.order_no for o in Order.select().where((Order.status == "paid") & (Order.product_type == "card_code")
                                                        & (Order.paid_at < now_s - 3600))
               if not CancelRequest.select().where((CancelRequest.order == o.id)
                                                   & (CancelRequest.state == "open")).exists()]
    assert waiting == []
    # One just paid waits for the owner's 发货, so the demo shows delivering a 卡密.
    fresh = [o.order_no for o in Order.select().where((Order.status == "paid") & (Order.product_type == "card_code")
                                                      & (Order.paid_at >= now_s - 3600))
             if orders.deliver_check(desk, o.order_no) is None]
    assert fresh
    # No delivery of an order paid hours ago is stamped with the build moment.
    late = [o.order_no for o in Order.select().where(Order.delivered_at.is_null(False))
            if o.paid_at < now_s - 3600 and o.delivered_at >= now_s - 60]
    assert late == []


def test_realistic_history_refunds_are_set_based_and_complete(desk: Desk, clock) -> None:
    from kashop_desktop.services import datagen

    datagen.load(desk, 3000, seed=3, now=clock())
    assert Order.select().where(Order.refunded_fen > 0).count() > 100
    assert _refund_trail_problems(desk) == []


def test_cancelled_demo_orders_gave_their_points_back(desk: Desk) -> None:
    """As expiry and a full cancel do: the points spent on a cancelled order went back, and a
    cancelled paid order's refund says it returned them."""
    from kashop_desktop.store.models import Refund

    demo.build(desk, 900)
    cancelled = list(Order.select().where((Order.status == "cancelled") & (Order.points > 0)))
    assert cancelled and all(o.points_refunded == o.points for o in cancelled)
    paid = [o for o in cancelled if o.paid_at is not None and o.order_no.startswith("KS2")]
    assert paid and all(sum(r.points_returned for r in Refund.select().where(Refund.order == o.id)) == o.points
                        for o in paid)


def test_the_demo_codes_products_keep_their_stock_in_codes_as_products_add_does(desk: Desk) -> None:
    from kashop_desktop.store.models import CardCode, Product

    demo.build(desk, 300)
    codes_products = list(Product.select().where(Product.product_type == "card_code"))
    assert codes_products and all(p.stock == 0 for p in codes_products)
    card_orders = Order.select().where(Order.product_type == "card_code")
    assert not card_orders.where(Order.stock_reserved == True).exists()  # noqa: E712
    waiting = card_orders.where(Order.status == "pending_payment")
    held = CardCode.select().where(CardCode.state == "reserved")
    assert waiting.exists() and held.count() >= 1


def _rows(desk: Desk) -> dict[str, int]:
    tables = [t for (t,) in desk.db.execute_sql("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {t: desk.db.execute_sql(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}


def test_the_demo_refuses_a_shop_with_an_order_it_did_not_make_and_writes_nothing(desk: Desk) -> None:
    from kashop_desktop.domain.errors import DomainError
    from tests.services.helpers import order

    order(desk, "paid")  # a real shop's order (KST...), its product and the built-in gateways
    before = _rows(desk)
    with pytest.raises(DomainError) as refused:
        demo.build(desk, 100)
    assert refused.value.code == "demo_on_real_shop" and "已有真实订单" in refused.value.zh
    assert _rows(desk) == before and desk.setting(demo.DEMO_MARK) is None


@pytest.mark.parametrize("set_up", ["product", "gateway account"])
def test_the_demo_refuses_a_shop_set_up_but_with_no_orders_yet(desk: Desk, set_up: str) -> None:
    from kashop_desktop.domain.errors import DomainError
    from tests.services.helpers import product, sandbox

    if set_up == "product":
        product(desk, "我的点卡", codes=2)
    else:
        sandbox(desk, name="我的支付宝")  # the built-in wallet and sandbox beside the owner's own account
    before = _rows(desk)
    with pytest.raises(DomainError) as refused:
        demo.build(desk, 100)
    assert refused.value.code == "demo_on_real_shop" and "已有商品、优惠券或网关账户" in refused.value.zh
    assert _rows(desk) == before


def test_a_new_shop_with_only_the_built_in_gateways_is_new(desk: Desk) -> None:
    from kashop_desktop.services.gateways import ensure_builtin_accounts

    ensure_builtin_accounts(desk)  # as `gateways list` leaves a new shop
    assert demo.build(desk, 50)["orders"] >= 50


def test_a_new_shop_is_marked_and_the_demo_then_builds_more_into_it(desk: Desk) -> None:
    demo.build(desk, 100)
    assert desk.setting(demo.DEMO_MARK) is True
    from tests.services.helpers import order

    order(desk, "paid", prod=None)  # the owner tries a sale in the demo shop: still the demo's shop
    assert demo.build(desk, 200)["orders"] > 0


@pytest.mark.parametrize("orders", [0, -5])
def test_a_demo_of_no_orders_is_refused_before_anything_is_written(desk: Desk, orders: int) -> None:
    from kashop_desktop.domain.errors import DomainError

    with pytest.raises(DomainError) as refused:
        demo.build(desk, orders)
    assert refused.value.code == "demo_orders_invalid" and not Order.select().exists()
