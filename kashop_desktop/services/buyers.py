"""Buyers as the owner knows them: a note per buyer, and a blocklist that holds orders for review.

A buyer is keyed by the canonical form of the contact (``domain.contacts.contact_key``): a
note or a block written for ``138-0013-8000`` is the one for ``+86 138 0013 8000``.

Holding: an order of a blocked buyer that has not been delivered (待支付 or 待发货) is *held*
(``orders.held_at``) — when the buyer is blocked, and when such an order is imported later.
A held order is never delivered, by hand or by 补单's automatic delivery, until the owner
releases it (``release``, one order or all of a buyer's); cancelling it stays possible.
Unblocking a buyer releases nothing: the held orders wait for the owner's decision. Every hold
and release is an event in the order's timeline (``held`` / ``released``) with who, when, why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..domain.clock import SHOP_TZ, from_epoch, to_epoch
from ..domain.contacts import contact_key
from ..domain.errors import DomainError
from ..domain.notes import check_note, check_notes
from ..domain.roles import Right
from ..domain.states import OrderStatus
from ..store.models import Buyer, Order, OrderEvent
from .changes import Changes, Skipped
from .common import OWNER, add_events, buyer_for, event_row
from .desk import Desk

#: Statuses an order of a blocked buyer is held in: not delivered yet.
HOLDABLE = (OrderStatus.PENDING_PAYMENT.value, OrderStatus.PAID.value)
#: Order ids listed in Changes after a block or release; beyond this the screens refresh by counts.
LIST_IDS = 10_000
NOTE_MAX = 500


def _held() -> Any:
    """Held and still waiting: a held order that was cancelled or refunded meanwhile waits for nothing."""
    return Order.held_at.is_null(False) & Order.status.in_(HOLDABLE)

REASON_MAX = 200


@dataclass(frozen=True)
class BuyerInfo:
    """One buyer: ``key`` is the canonical contact; times are aware datetimes (shown in Beijing time)."""

    key: str
    note: str
    note_at: datetime | None
    blocked: bool
    blocked_reason: str
    blocked_at: datetime | None
    orders: int = 0  # orders of this buyer
    held: int = 0  # of them, held for review now


def _key(contact: str) -> str:
    key = contact_key(contact or "")
    if not key:
        raise DomainError("buyer_contact_required", "请填写买家联系方式（手机号、QQ 或邮箱）",
                          "give the buyer's contact (phone, QQ or e-mail)")
    return key


def _buyer(contact: str, *, create: bool) -> Buyer:
    key = _key(contact)
    if create:
        buyer_for(key)
    buyer = Buyer.get_or_none(Buyer.contact == key)
    if buyer is None:
        raise DomainError("buyer_not_found", f"没有买家 {key} 的订单或记录", f"no orders or record of buyer {key}")
    return buyer


def _info(buyer: Buyer, counts: bool = True) -> BuyerInfo:
    orders = held = 0
    if counts:
        orders = Order.select().where(Order.buyer_ref == buyer.id).count()
        held = Order.select().where((Order.buyer_ref == buyer.id) & _held()).count()
    return BuyerInfo(buyer.contact, buyer.note, from_epoch(buyer.note_at), buyer.blocked_at is not None,
                     buyer.blocked_reason, from_epoch(buyer.blocked_at), orders, held)


def buyer_info(desk: Desk, contact: str) -> BuyerInfo | None:
    """The buyer behind ``contact`` (any spelling), or None when the desk has never seen them."""
    key = contact_key(contact or "")
    buyer = Buyer.get_or_none(Buyer.contact == key) if key else None
    return _info(buyer) if buyer is not None else None


def buyer_info_by_id(buyer_id: int | None) -> BuyerInfo | None:
    """The buyer with this id (an order's ``buyer_ref``), or None."""
    buyer = Buyer.get_or_none(Buyer.id == buyer_id) if buyer_id is not None else None
    return _info(buyer) if buyer is not None else None


def set_note(desk: Desk, contact: str, text: str, *, actor: str = OWNER) -> Changes:
    """Keep ``text`` as the note on the buyer behind ``contact`` (an empty text clears it).

    Raises DomainError ``buyer_contact_required`` for a blank contact, ``note_too_long`` past
    NOTE_MAX characters. Changes lists the buyer's orders (their detail shows the note).
    """
    desk.require(Right.ORDERS)
    text = (text or "").strip()
    if len(text) > NOTE_MAX:
        raise DomainError("note_too_long", f"备注最多 {NOTE_MAX} 个字", f"a note is at most {NOTE_MAX} characters")
    with desk.atomic():
        buyer = _buyer(contact, create=True)
        Buyer.update(note=text, note_at=to_epoch(desk.now()) if text else None).where(Buyer.id == buyer.id).execute()
        desk.log("buyer_note", buyer.contact, text, {"cleared": not text})  # who wrote it, chained
        return Changes(order_ids=_order_ids(buyer.id))


def block(desk: Desk, contact: str, reason: str, *, actor: str = OWNER) -> Changes:
    """Put the buyer on the blocklist and hold their undelivered orders for review.

    ``reason`` is required (shown with every hold). Blocking again changes the reason only;
    the reason it replaces is kept in the buyer's note (``messages``: ``previous_reason:TEXT``).
    Changes lists the orders held now (``messages``: ``held:N``) and how many orders the buyer has
    at all (``orders:N``: 0 means only future orders will be held). Raises DomainError
    ``block_reason_required`` / ``buyer_contact_required``.
    """
    desk.require(Right.ORDERS)
    check_note(reason, "拉黑原因", "the reason")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("block_reason_required", "拉黑需要写明原因", "blocking a buyer needs a reason")
    if len(reason) > REASON_MAX:
        raise DomainError("reason_too_long", f"原因最多 {REASON_MAX} 个字", f"a reason is at most {REASON_MAX} characters")
    with desk.atomic():
        buyer = _buyer(contact, create=True)
        now = desk.now()
        previous = buyer.blocked_reason if buyer.blocked_at is not None and buyer.blocked_reason != reason else ""
        note = buyer.note
        if previous:  # the history of the block stays readable in the buyer's note
            line = f"{now.astimezone(SHOP_TZ):%Y-%m-%d %H:%M} 拉黑原因由「{previous}」改为「{reason}」"
            note = f"{note}\n{line}" if note else line
        Buyer.update(blocked_at=_block_start(buyer, now), blocked_reason=reason, note=note[-NOTE_MAX:],
                     note_at=to_epoch(now) if previous else buyer.note_at).where(Buyer.id == buyer.id).execute()
        held = hold_orders(desk, Order.buyer_ref == buyer.id, reason, actor)
        orders = Order.select().where(Order.buyer_ref == buyer.id).count()
        desk.log("buyer_blocked", buyer.contact, reason, {"held": len(held), "previous_reason": previous or None})
    changes = Changes(order_ids=set(held[:LIST_IDS]) | _order_ids(buyer.id), counts_changed=bool(held))
    changes.messages += [f"held:{len(held)}", f"orders:{orders}"]
    if previous:
        changes.messages.append(f"previous_reason:{previous}")
    return changes


def _block_start(buyer: Buyer, now: datetime) -> int:
    """A block keeps the time it began; blocking again only changes the reason."""
    return int(buyer.blocked_at) if buyer.blocked_at is not None else to_epoch(now)


def unblock(desk: Desk, contact: str, *, actor: str = OWNER) -> Changes:
    """Take the buyer off the blocklist. Held orders stay held (``messages``: ``still_held:N``):
    the owner releases them, one by one or together (``release_buyer``).

    Raises DomainError ``buyer_not_blocked`` when the buyer is not on the blocklist.
    """
    desk.require(Right.ORDERS)
    with desk.atomic():
        buyer = _buyer(contact, create=False)
        if buyer.blocked_at is None:
            raise DomainError("buyer_not_blocked", f"买家 {buyer.contact} 不在黑名单上",
                              f"buyer {buyer.contact} is not on the blocklist")
        Buyer.update(blocked_at=None, blocked_reason="").where(Buyer.id == buyer.id).execute()
        still = Order.select().where((Order.buyer_ref == buyer.id) & _held()).count()
        desk.log("buyer_unblocked", buyer.contact, buyer.blocked_reason, {"still_held": still})
    changes = Changes(order_ids=_order_ids(buyer.id))
    changes.messages.append(f"still_held:{still}")
    return changes


def hold_orders(desk: Desk, where: Any, reason: str, actor: str) -> list[int]:
    """Hold the undelivered, not yet held orders matching ``where``; an event on each. Returns their ids."""
    ids = [o.id for o in Order.select(Order.id).where(
        where & Order.held_at.is_null() & Order.delivered_at.is_null() & Order.status.in_(HOLDABLE))]
    if not ids:
        return ids
    now = desk.now()
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        Order.update(held_at=to_epoch(now)).where(Order.id.in_(chunk)).execute()
    add_events(event_row(order_id, now, actor, "held", reason, data={"hold": "buyer_blocked"}) for order_id in ids)
    return ids


def hold_new_orders(desk: Desk, after_id: int, actor: str) -> list[int]:
    """Hold the orders made after ``after_id`` (an import's new rows) whose buyer is blocked,
    each with its buyer's reason. Returns the ids held."""
    blocked = {b.id: b.blocked_reason for b in Buyer.select(Buyer.id, Buyer.blocked_reason)
               .where(Buyer.blocked_at.is_null(False))}
    held: list[int] = []
    if not blocked:
        return held
    for buyer_id, reason in blocked.items():
        held += hold_orders(desk, (Order.id > after_id) & (Order.buyer_ref == buyer_id), reason, actor)
    return held


def release(desk: Desk, order_nos: list[str], *, note: str = "", actor: str = OWNER) -> Changes:
    """Release held orders: they may be delivered again. An order that is not held is skipped
    (``skipped`` says so); an unknown order no raises DomainError ``not_found``."""
    desk.require(Right.ORDERS)
    check_notes(note)
    from .common import get_order

    changes = Changes()
    with desk.atomic():
        orders = [get_order(no) for no in order_nos]
        for order in orders:
            if order.held_at is None:
                changes.skipped.append(Skipped(order.order_no, "not_held", "订单没有被扣留", "the order is not held"))
        _release([o.id for o in orders if o.held_at is not None], desk, note, actor, changes)
    return changes


def release_buyer(desk: Desk, contact: str, *, note: str = "", actor: str = OWNER) -> Changes:
    """Release every held order of the buyer behind ``contact`` (``messages``: ``released:N``)."""
    desk.require(Right.ORDERS)
    check_notes(note)
    changes = Changes()
    with desk.atomic():
        buyer = _buyer(contact, create=False)
        ids = [o.id for o in Order.select(Order.id).where((Order.buyer_ref == buyer.id) & _held())]
        _release(ids, desk, note, actor, changes)
    return changes


def _release(ids: list[int], desk: Desk, note: str, actor: str, changes: Changes) -> None:
    now = desk.now()
    for start in range(0, len(ids), 500):
        Order.update(held_at=None).where(Order.id.in_(ids[start:start + 500])).execute()
    add_events(event_row(order_id, now, actor, "released", note.strip()) for order_id in ids)
    changes.order_ids.update(ids[:LIST_IDS])
    changes.counts_changed = changes.counts_changed or bool(ids)
    changes.messages.append(f"released:{len(ids)}")


def list_buyers(desk: Desk, *, blocked_only: bool = False, limit: int = 1000) -> list[BuyerInfo]:
    """Buyers with a note or on the blocklist (``blocked_only``: the blocklist), most recent first."""
    query = Buyer.select().where(Buyer.blocked_at.is_null(False) if blocked_only
                                 else (Buyer.blocked_at.is_null(False) | (Buyer.note != "")))
    rows = query.order_by(Buyer.blocked_at.desc(nulls="LAST"), Buyer.note_at.desc(nulls="LAST"), Buyer.id).limit(limit)
    return [_info(b) for b in rows]


def held_reason(order: Order) -> str | None:
    """Why an order is held (its buyer's block reason, or the reason it was held with when the
    buyer has been unblocked since), or None when it is not held (or no longer waits: cancelled
    or refunded meanwhile)."""
    if order.held_at is None or order.status not in HOLDABLE:
        return None
    buyer = Buyer.get_or_none(Buyer.id == order.buyer_ref_id) if order.buyer_ref_id else None
    if buyer is not None and buyer.blocked_reason:
        return str(buyer.blocked_reason)
    held = (OrderEvent.select(OrderEvent.note).where((OrderEvent.order == order.id) & (OrderEvent.action == "held"))
            .order_by(OrderEvent.id.desc()).first())
    return str(held.note) if held is not None and held.note else ""


def buyer_still_blocked(order: Order) -> bool:
    """Whether the buyer behind a held order is still on the blocklist."""
    buyer = Buyer.get_or_none(Buyer.id == order.buyer_ref_id) if order.buyer_ref_id else None
    return buyer is not None and buyer.blocked_at is not None


def _order_ids(buyer_id: int) -> set[int]:
    return {o.id for o in Order.select(Order.id).where(Order.buyer_ref == buyer_id).limit(LIST_IDS)}


def holdable_count(desk: Desk, contact: str) -> int:
    """How many orders blocking this buyer would hold now (undelivered, not held yet)."""
    key = contact_key(contact or "")
    buyer = Buyer.get_or_none(Buyer.contact == key) if key else None
    if buyer is None:
        return 0
    return int(Order.select().where((Order.buyer_ref == buyer.id) & Order.held_at.is_null() & Order.delivered_at.is_null()
                                    & Order.status.in_(HOLDABLE)).count())
