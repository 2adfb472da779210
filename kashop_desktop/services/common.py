"""Helpers the operations share: order facts, events, buyer history, stock and coupons."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from ..domain.clock import from_epoch, to_epoch
from ..domain.contacts import contact_key
from ..domain.errors import DomainError
from ..domain.order import BuyerHistory, Channel, CodeUsed, OrderFacts, ProductType
from ..domain.states import OrderStatus, check_transition
from ..store import chain
from ..store.models import Buyer, BuyerCancellation, CardCode, CodeEvent, Coupon, Order, OrderEvent, Product
from .desk import Desk

OWNER = "owner"
SYSTEM = "system"


def not_found(what: str, ref: object) -> DomainError:
    names = {"order": ("订单", "order"), "request": ("售后申请", "request"), "refund": ("退款", "refund"),
             "gateway": ("网关账户", "gateway account"), "product": ("商品", "product")}
    zh, en = names.get(what, (what, what))
    return DomainError(f"{what}_not_found", f"找不到{zh}：{ref}", f"no such {en}: {ref}")


def get_order(order_no: str) -> Order:
    """The order of ``order_no`` as typed or pasted: exactly, else read with full-width letters and
    digits as ASCII (``ＫＳ2026…``) and in either case (``ks2026…``) when exactly one order has that
    form. Raises DomainError ``order_not_found``."""
    typed = order_no.strip()
    order = Order.get_or_none(Order.order_no == typed)
    if order is None:
        folded = unicodedata.normalize("NFKC", typed)
        forms = sorted({folded, folded.upper(), folded.lower()} - {typed})
        found = list(Order.select().where(Order.order_no.in_(forms)).limit(2)) if forms else []
        order = found[0] if len(found) == 1 else None
    if order is None:
        raise not_found("order", order_no)
    return order


#: Refunded (succeeded; ``{own}`` narrows it) and in-flight gross fen per order, from the refund rows.
_REFUND_SUMS = ("SELECT order_id, SUM(CASE WHEN state = 'succeeded'{own} THEN gross_fen ELSE 0 END), "
                "SUM(CASE WHEN state IN ({flying}) THEN gross_fen ELSE 0 END) FROM refund WHERE order_id IN ({ids}) "
                "GROUP BY order_id")


def refund_sums(con: Any, order_ids: Iterable[int], *, desk_own: bool = False) -> dict[int, tuple[int, int]]:
    """(succeeded, in flight) gross fen of each order's refund rows, for orders that have any; one
    query per 500 orders on connection ``con``. ``facts`` takes the larger of these and the order's own amounts, so an
    amount lowered outside the desk does not offer the money again. ``desk_own``: the succeeded
    sum leaves out the refunds the owner recorded as made outside the desk (cash, a bank transfer,
    another way), keeping those the desk made (or the owner checked at the gateway)."""
    from ..domain.refund_states import IN_FLIGHT_REFUND_STATES, OutsideMethod

    ids, found = sorted(set(order_ids)), {}
    flying = ", ".join(f"'{s.value}'" for s in sorted(IN_FLIGHT_REFUND_STATES, key=lambda s: s.value))
    outside = ", ".join(f"'{m.value}'" for m in OutsideMethod if m is not OutsideMethod.GATEWAY)
    own = f" AND COALESCE(resolved_how, '') NOT IN ({outside})" if desk_own else ""
    for start in range(0, len(ids), 500):
        part = ids[start:start + 500]
        sql = _REFUND_SUMS.format(own=own, flying=flying, ids=", ".join("?" * len(part)))
        for order_id, done, in_flight in con.execute(sql, part):
            found[int(order_id)] = (int(done or 0), int(in_flight or 0))
    return found


def facts(order: Order, refunds: tuple[int, int] | None = None) -> OrderFacts:
    created = from_epoch(order.created_at)
    assert created is not None
    return OrderFacts(
        order_no=order.order_no,
        status=OrderStatus(order.status),
        product_id=order.product_id,
        product_type=ProductType(order.product_type),
        quantity=order.quantity,
        list_fen=order.list_fen,
        coupon_fen=order.coupon_fen,
        points=order.points,
        paid_fen=order.paid_fen,
        refunded_fen=max(order.refunded_fen, refunds[0]) if refunds else order.refunded_fen,
        created_at=created,
        paid_at=from_epoch(order.paid_at),
        delivered_at=from_epoch(order.delivered_at),
        channel=Channel(order.channel) if order.channel else None,
        code_used=CodeUsed(order.code_used),
        buyer=order.buyer,
        points_refunded=order.points_refunded,
        refund_pending_fen=max(order.refund_pending_fen, refunds[1]) if refunds else order.refund_pending_fen,
    )


def event_row(
    order_id: int,
    at: datetime,
    actor: str,
    action: str,
    note: str = "",
    before: str | None = None,
    after: str | None = None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "order": order_id,
        "at": to_epoch(at),
        "actor": actor,
        "action": action,
        "note": note,
        "before_status": before,
        "after_status": after,
        "data": json.dumps(data or {}, ensure_ascii=False),
    }


def add_events(rows: Iterable[dict[str, Any]]) -> None:
    """Append timeline rows (``event_row``'s dicts), each recording the operator at the desk and
    chained into the tamper-evident log (``store.chain.append``: one read of the chain's head,
    one executemany). Every timeline row goes through here, or is inserted with SQL by a bulk
    path and sealed by it (``store.chain.seal``). Call inside the operation's transaction."""
    db = OrderEvent._meta.database
    operator = operator_name(db)
    batch = [(row["order"], row["at"], row["actor"], operator, row["action"], row["note"], row["before_status"],
              row["after_status"], row["data"]) for row in rows]
    if batch:
        chain.append(db.connection(), "order_event", batch)


def add_code_events(rows: list[dict[str, Any]]) -> None:
    """Append inventory timeline rows (``code_event``'s dicts), each recording the operator and
    chained into the tamper-evident log (``store.chain``). Call inside the operation's transaction."""
    db = CodeEvent._meta.database
    operator = operator_name(db)
    chain.append(db.connection(), "code_event", [
        (r["product_id"], r["code_id"], r["order_id"], r["at"], r["actor"], operator, r["action"], r["note"], r["data"])
        for r in rows])


def operator_name(db: Any) -> str:
    """The operator working through ``db`` (a database or the models' proxy), as events record it."""
    return str(getattr(getattr(db, "obj", db), "operator", ""))


def set_status(order: Order, target: OrderStatus, now: datetime) -> str:
    """Check the transition and set it on the (unsaved) order; return the old status."""
    before = order.status
    check_transition(OrderStatus(before), target, delivered=order.delivered_at is not None)
    order.status = target.value
    order.updated_at = to_epoch(now)
    return str(before)


def buyer_history(desk: Desk, order: Order) -> BuyerHistory:
    if order.buyer_ref_id is None:
        return BuyerHistory(0)
    policy = desk.policy()
    since = to_epoch(desk.now() - timedelta(days=policy.risk_window_days))
    buyer = Buyer.get_by_id(order.buyer_ref_id)
    recent = (
        BuyerCancellation.select()
        .where((BuyerCancellation.buyer == order.buyer_ref_id) & (BuyerCancellation.at >= since))
        .count()
    )
    # A blocked buyer is flagged too: their requests wait for the owner, never auto-approved.
    return BuyerHistory(recent, bool(buyer.flagged) or buyer.blocked_at is not None, buyer.note)


def record_cancellation(order: Order, now: datetime) -> None:
    if order.buyer_ref_id is None:
        return
    BuyerCancellation.create(buyer=order.buyer_ref_id, order_id=order.id, at=to_epoch(now))
    Buyer.update(cancel_count=Buyer.cancel_count + 1, last_cancel_at=to_epoch(now)).where(
        Buyer.id == order.buyer_ref_id
    ).execute()


def buyer_for(contact: str) -> int | None:
    """The id of the buyer behind a contact as written (created on first sight), keyed by its
    canonical form (``domain.contacts``): ``138-0013-8000`` and ``+86 138 0013 8000`` are one
    buyer. None for a blank contact."""
    key = contact_key(contact)
    if not key:
        return None
    Buyer.insert(contact=key).on_conflict_ignore().execute()
    return int(Buyer.get(Buyer.contact == key).id)


def release_stock_and_coupon(order: Order) -> list[str]:
    """Give back the reserved units and the coupon of an order that will not be fulfilled."""
    done: list[str] = []
    released = CardCode.update(state="available", order_id=None).where(
        (CardCode.order_id == order.id) & (CardCode.state == "reserved")).execute()
    if released:
        done.append("codes_released")
    if order.stock_reserved and order.product_id is not None:
        Product.update(stock=Product.stock + order.quantity).where(Product.id == order.product_id).execute()
        order.stock_reserved = False
        done.append("stock_released")
    if order.coupon_code and not order.coupon_returned:
        Coupon.update(used_by_order=None).where(
            (Coupon.code == order.coupon_code) & (Coupon.used_by_order == order.id)
        ).execute()
        order.coupon_returned = True
        done.append("coupon_returned")
    return done


def reserve_stock(order: Order) -> None:
    """Reserve the order's units again (restore); refuse when the shelf is empty."""
    if order.product_id is None or order.stock_reserved:
        return
    updated = (
        Product.update(stock=Product.stock - order.quantity)
        .where((Product.id == order.product_id) & (Product.stock >= order.quantity))
        .execute()
    )
    if not updated:
        raise DomainError(
            "out_of_stock", "库存不足，无法恢复订单", "not enough stock to restore this order"
        )
    order.stock_reserved = True


def reclaim_coupon(order: Order) -> None:
    if not (order.coupon_code and order.coupon_returned):
        return
    updated = (
        Coupon.update(used_by_order=order.id)
        .where((Coupon.code == order.coupon_code) & (Coupon.used_by_order.is_null()))
        .execute()
    )
    if not updated:
        raise DomainError(
            "coupon_in_use",
            f"优惠券 {order.coupon_code} 已被其他订单使用，无法恢复",
            f"coupon {order.coupon_code} is now used by another order; cannot restore",
        )
    order.coupon_returned = False
