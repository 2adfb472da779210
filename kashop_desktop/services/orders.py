"""Order operations: mark paid (补单), deliver, complete, cancel unpaid, expire, restore."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from peewee import fn

from ..domain.clock import SHOP_TZ, from_epoch, to_epoch
from ..domain.errors import DomainError
from ..domain.ids import check_reference, check_trade_no
from ..domain.money import format_yuan
from ..domain.notes import check_notes
from ..domain.order import ACCOUNT_CHANNELS, OUTSIDE_CHANNELS, Channel, CodeUsed, ProductType, ReasonCode
from ..domain.refund_states import RefundStatus, never_sent
from ..domain.roles import Right
from ..domain.states import OrderStatus
from ..store.models import (
    CancelRequest,
    Coupon,
    GatewayAccount,
    Order,
    OrderEvent,
    PaymentWatch,
    Product,
    Refund,
)
from .buyers import buyer_still_blocked, held_reason
from .changes import Changes
from .codes import codes_available, take_codes
from .common import (
    OWNER,
    SYSTEM,
    add_events,
    event_row,
    get_order,
    reclaim_coupon,
    record_cancellation,
    release_stock_and_coupon,
    set_status,
)
from .desk import Desk
from .refund_owner import move_refund
from .stock import reserve_units, units_free, units_on_shelf, uses_codes
from .trade_nos import trade_no_conflict

S = OrderStatus
R = RefundStatus
TRADE_NO_REPLACED = "trade_no_replaced:"  # + the trade no an unpaid order had before 补单
COUPON_HELD_BY = "coupon_held_by:"  # + the order no holding the coupon a reopened order had used


def take_coupon_back(order: Order) -> str | None:
    """A closed order being paid takes its returned coupon back when it is free (the buyer paid the
    discounted amount). Returns None when done or nothing was returned, else the order no of the
    order now holding the coupon (the payment still goes through; the owner is told)."""
    if not (order.coupon_code and order.coupon_returned):
        return None
    if Coupon.update(used_by_order=order.id).where(
            (Coupon.code == order.coupon_code) & Coupon.used_by_order.is_null()).execute():
        order.coupon_returned = False
        return None
    coupon = Coupon.get_or_none(Coupon.code == order.coupon_code)
    holder = Order.get_or_none(Order.id == coupon.used_by_order) if coupon is not None else None
    if coupon is None or holder is None:  # the coupon is gone from the list: nothing to take back
        return None
    return str(holder.order_no)


def coupon_held_note(order: Order, holder: str) -> str:
    return (f"优惠券 {order.coupon_code} 已被订单 {holder} 使用：本单付款已收，优惠券重复使用，请核对 / coupon "
            f"{order.coupon_code} is now used by order {holder}: this payment is in, the coupon was used twice; "
            "check it")


def mark_paid(
    desk: Desk, order_no: str, trade_no: str, *, confirmed: bool, actor: str = OWNER, deliver: bool = True,
    paid_at: datetime | None = None, channel: str | None = None,
) -> Changes:
    """Manual 补单: record a payment the gateway took but never told us about.

    Needs the gateway trade no and an explicit confirmation. Calling it again with the same
    trade no changes nothing (``messages`` holds ``already_paid``), so it can never deliver twice.
    When the unpaid order already recorded another trade no (an import), it is replaced and
    ``messages`` holds ``trade_no_replaced:OLD`` (the timeline keeps both).
    Raises DomainError ``trade_no_taken`` (naming the order) when another order of the same
    gateway account holds the trade no: one payment pays for one order.
    A person's 补单 needs the orders right (PermissionRefused); a payment the gateway reported
    (``actor`` "gateway": payment sync, a notification) is taken whoever is signed in.
    ``paid_at``: when the buyer paid, as the gateway says (its back office, its query's payment
    time); the order's payment time, kept to the second. Default: now. Raises DomainError
    ``paid_at_out_of_range`` for a time before the order was created or later than now.
    ``channel`` (a ``domain.order.Channel`` value): how the buyer paid, when it is not the channel
    the unpaid order recorded (its refund goes back that way); DomainError ``bad_channel`` for one
    the desk does not know or its gateway account does not take (``ACCOUNT_CHANNELS``).
    The same trade no again with a ``paid_at`` corrects the payment time of a person's 补单
    (``_correct_payment_time``); DomainError ``paid_at_kept`` for a time the gateway or an import gave.
    ``deliver`` False: the payment is recorded and nothing is delivered or taken from stock (an
    order the older system delivered, refunded or cancelled: the import's advice says so).
    """
    if actor != "gateway":
        desk.require(Right.ORDERS)
    # Money paid to the shop directly is named by its transfer's serial no, read as a manual sale's is.
    typed = check_trade_no(trade_no)
    trade_no = check_reference(trade_no) if channel in OUTSIDE_CHANNELS else typed
    if not trade_no:
        raise DomainError("trade_no_required", "补单必须填写网关交易号", "marking paid needs the gateway trade no")
    if not confirmed:
        raise DomainError("confirmation_required", "补单需要二次确认（--yes）", "marking paid needs a second confirmation (--yes)")
    changes = Changes()
    with desk.atomic():
        order = get_order(order_no)
        now = desk.now()
        if order.paid_at is not None:
            if (order.gateway_trade_no or "").strip().upper() == trade_no.upper():  # however it is typed
                if paid_at is not None and to_epoch(paid_at) != order.paid_at:
                    return _correct_payment_time(desk, order, paid_at, now, actor)
                changes.messages.append("already_paid")  # the same payment again: nothing to do
                return changes
            raise DomainError(
                "already_paid_other_trade",
                f"订单已用交易号 {order.gateway_trade_no} 支付过，不能再次补单",
                f"the order was already paid with trade no {order.gateway_trade_no}; not marking it again",
            )
        route = _payment_channel(order, channel)
        outside = route in OUTSIDE_CHANNELS
        # A person's typing may differ in case from the holder's (a reference is kept in capitals);
        # money paid to the shop directly is no account's, so any order holding it clashes.
        forms = (typed, typed.upper(), typed.lower()) if actor != "gateway" else ()
        refusal = _nothing_due(order) if order.paid_fen <= 0 else trade_no_conflict(
            None if outside else order.gateway_id, trade_no, order_id=order.id, forms=forms)
        if refusal is None and actor != "gateway":
            refusal = _other_amount_there(order, trade_no) or _not_the_gateways(order, trade_no, outside)
        if refusal is not None:
            raise refusal
        when = _payment_time(order, paid_at, now)
        note = _take_late_payment(desk, order, changes, units=deliver) if S(order.status) is S.CANCELLED else ""
        data: dict[str, str] = {"trade_no": trade_no}
        recorded = (order.gateway_trade_no or "").strip()
        if recorded and recorded != trade_no:
            # An unpaid order can arrive (imported) with a trade no; the owner's replaces it, openly.
            data["replaced_trade_no"] = recorded
            changes.messages.append(f"{TRADE_NO_REPLACED}{recorded}")
        if paid_at is not None:
            data["paid_at"] = paid_at.astimezone(SHOP_TZ).isoformat()
        new_channel = route != (order.channel or None)
        if new_channel:
            data.update(channel=route or "", replaced_channel=order.channel or "")
        before = set_status(order, S.PAID, now)
        order.paid_at = when
        order.gateway_trade_no = trade_no
        order.cancelled_at = None
        order.save()
        add_events([event_row(order.id, now, actor, "mark_paid", note, before, S.PAID.value, data)])
        if new_channel:  # after the entry: a cancellation it undoes is taken off under the channel it was counted in
            Order.update(channel=route).where(Order.id == order.id).execute()
            order.channel = route
        if actor != "gateway" and _open_gateway_trade(order, now):
            changes.messages.append("gateway_trade_to_close")
        _record_coupon_holders(order, now, actor, changes)
        changes.order_ids.add(order.id)
        changes.counts_changed = True
        if deliver:
            deliver_after_payment(desk, order, actor, changes)
    return changes


def _gateway_trade(order: Order) -> str | None:
    """The trade no the gateway gave this order's QR payment when it was made (易支付 names it at
    creation: ``sale_flow.record_qr``'s ``payment_created`` entry), or None."""
    made = (OrderEvent.select(OrderEvent.data).where((OrderEvent.order == order.id)
                                                    & (OrderEvent.action == "payment_created"))
            .order_by(OrderEvent.id.desc()).first())
    if made is None:
        return None
    trade_no = json.loads(made.data or "{}").get("trade_no")
    return str(trade_no).strip() or None if trade_no else None


def _not_the_gateways(order: Order, trade_no: str, outside: bool) -> DomainError | None:
    """A person's 补单 against the trade the gateway opened for this order: paid through the
    gateway, it is that trade's own trade no; typed as a direct payment (cash, a transfer), it is
    not (the money went through the gateway and its refund goes back there)."""
    own = _gateway_trade(order)
    if own is None:
        return None
    same = own.upper() == trade_no.upper()
    if outside and same:
        return DomainError(
            "trade_no_is_gateways",
            f"{trade_no} 是网关给这笔订单开的交易号：钱是经网关付的，不是直接付给本店。请不要选现金或银行转账（退款要原路退回网关）",
            f"{trade_no} is the trade no the gateway opened for this order: the money went through the gateway, not "
            "to the shop directly. Do not choose cash or bank transfer (its refund goes back through the gateway)")
    if outside or same:
        return None
    cut = looks_cut_from(trade_no, own)
    return DomainError(
        "trade_no_not_gateways",
        f"网关为这笔订单开的交易号是 {own}，经网关付的款只能是这一笔；你输入的 {trade_no} "
        + ("像是它被 Excel 截成 15 位有效数字后的样子" if cut else "不是它")
        + "。请从网关后台复制交易号；买家若是用转账或现金直接付给本店，请选 --channel bank_transfer 或 cash（窗口：收款方式）",
        f"the trade no the gateway opened for this order is {own}: a payment through the gateway can only be that one; "
        f"the {trade_no} typed " + ("looks like it, cut by Excel to 15 significant digits" if cut else "is not it")
        + ". Copy the trade no from the gateway's back office; if the buyer paid the shop directly by transfer or in "
        "cash, choose --channel bank_transfer or cash (in the window: 收款方式)")


def looks_cut_from(typed: str, full: str) -> bool:
    """Whether ``typed`` is ``full`` as Excel writes a long number it kept to 15 significant
    digits (the rest zeros)."""
    return (len(typed) == len(full) >= 16 and typed.isdigit() and full.isdigit() and typed[:15] == full[:15]
            and not typed[15:].strip("0"))


def _other_amount_there(order: Order, trade_no: str) -> DomainError | None:
    """A person's 补单 of a trade the gateway already reported with another amount (payment
    sync's amount_mismatch flag, ``services.payments``): recorded as the order's amount, the
    desk would count money it never took, and a full refund would be refused by the gateway."""
    watch = PaymentWatch.get_or_none(PaymentWatch.order == order.id)
    if watch is None or watch.flag != "amount_mismatch":
        return None
    facts = json.loads(watch.flag_data or "{}")
    there = facts.get("gateway_fen")
    if str(facts.get("trade_no") or "").strip() != trade_no or not isinstance(there, int) or there == order.paid_fen:
        return None
    return DomainError(
        "amount_differs_at_gateway",
        f"网关记录交易号 {trade_no} 实收 ¥{format_yuan(there)}，订单应付 ¥{format_yuan(order.paid_fen)}：不能按应付金额补单"
        "（本店会多记收入，全额退款也会被网关拒绝）。请在网关后台把这笔退给买家，再让买家按应付金额重新付款，或取消订单",
        f"the gateway recorded trade no {trade_no} as ¥{format_yuan(there)} taken, the order is ¥{format_yuan(order.paid_fen)}: "
        "it cannot be marked paid at the order's amount (the desk would count money it never took, and a full "
        "refund would be refused by the gateway). Refund it to the buyer in the gateway's back office and have "
        "them pay the order's amount again, or cancel the order")


def _correct_payment_time(desk: Desk, order: Order, paid_at: datetime, now: datetime, actor: str) -> Changes:
    """The payment time of an order a person's 补单 paid (at its own moment, or at a time they
    typed, corrected before or not) set to ``paid_at``, with a timeline entry saying both;
    refused (``paid_at_kept``) when the time came from the gateway (payment sync, a notification)
    or an import, and as ``_payment_time`` refuses a time out of range."""
    marked = (OrderEvent.select().where((OrderEvent.order == order.id)
                                        & OrderEvent.action.in_(["mark_paid", "payment_time_corrected"]))
              .order_by(OrderEvent.id.desc()).first())
    stored = int(order.paid_at or 0)
    by_person = marked is not None and (marked.action == "payment_time_corrected" or marked.actor != "gateway")
    was = datetime.fromtimestamp(stored, SHOP_TZ).strftime("%Y-%m-%d %H:%M:%S")
    if not by_person:
        raise DomainError("paid_at_kept", f"订单已用该交易号支付，付款时间 {was} 由网关告知或随导入而来，补单不改它",
                          f"the order is paid with this trade no; its payment time {was} was reported by the gateway or "
                          "came with an import, and 补单 does not change it")
    when = _payment_time(order, paid_at, now)
    order.paid_at = when
    order.updated_at = to_epoch(now)
    order.save()
    add_events([event_row(order.id, now, actor, "payment_time_corrected", "", data={
        "was": datetime.fromtimestamp(stored, SHOP_TZ).isoformat(),
        "paid_at": paid_at.astimezone(SHOP_TZ).isoformat()})])
    return Changes(order_ids={order.id}, messages=["paid_at_corrected"])


def _payment_time(order: Order, paid_at: datetime | None, now: datetime) -> int:
    """The payment time 补单 records (epoch seconds): the gateway's ``paid_at`` when given, else now."""
    if paid_at is None:
        return to_epoch(now)
    when = to_epoch(paid_at)
    if when % 60 == 0 and int(order.created_at) - 60 < when < int(order.created_at):
        # Typed to the minute, paid in the minute the order was made (a QR is paid within seconds):
        # the payment time is then the order's own second, not a time before it.
        when = int(order.created_at)
    if when < int(order.created_at) or when > to_epoch(now):
        shown = paid_at.astimezone(SHOP_TZ).strftime("%Y-%m-%d %H:%M:%S")
        created = datetime.fromtimestamp(int(order.created_at), SHOP_TZ).strftime("%Y-%m-%d %H:%M:%S")
        raise DomainError("paid_at_out_of_range",
                          f"支付时间 {shown} 不在下单时间 {created} 与现在之间",
                          f"the payment time {shown} is not between the order's creation ({created}) and now")
    return when


def _payment_channel(order: Order, channel: str | None) -> str | None:
    """The channel 补单 records: ``channel`` when given (known, and one the order's gateway
    account takes, or money paid to the shop directly: ``OUTSIDE_CHANNELS``, whose refund is the
    owner's by hand), else the one the order has."""
    if channel is None or channel == order.channel:
        return order.channel or None
    try:
        given = Channel(channel)
    except ValueError:
        raise DomainError("bad_channel", f"未知支付方式：{channel}（可用：{', '.join(c.value for c in Channel)}）",
                          f"unknown payment channel: {channel} (use one of: {', '.join(c.value for c in Channel)})") from None
    account = GatewayAccount.get_or_none(GatewayAccount.id == order.gateway_id) if order.gateway_id else None
    taken = ACCOUNT_CHANNELS.get(account.kind) if account is not None else None
    if account is not None and taken is not None and given.value not in taken and given.value not in OUTSIDE_CHANNELS:
        names = "、".join(Channel(c).zh for c in sorted(taken))
        raise DomainError("bad_channel", f"网关账户「{account.name}」只收{names}的款，不能记为{given.zh}：退款会经它原路退回"
                          "（买家直接付给本店的，记为 cash 现金或 bank_transfer 银行转账，退款由店主手工退）",
                          f"gateway account '{account.name}' takes {', '.join(sorted(taken))} payments only, not "
                          f"{given.value}: the refund goes back through it (money paid to the shop directly is cash "
                          "or bank_transfer, refunded by the owner by hand)")
    return given.value


def _take_late_payment(desk: Desk, order: Order, changes: Changes, *, units: bool = True) -> str:
    """A late payment: take the units back if they are still there (a 卡密 order whose codes are
    gone is paid all the same and waits in the backorder queue) and the coupon if it is free.
    Returns the timeline note. A 直充/实物 order whose cancel gave no units back (an imported
    one never took any) takes none now, as ``mark_paid_check`` says; nor does a payment recorded
    without delivery (``units`` False: the goods went out, or the money back, elsewhere)."""
    if units and (uses_codes(order) or _cancel_released_stock(order)):
        reserve_units(desk, order, short_ok=True)
    holder = take_coupon_back(order)
    if holder is not None:
        changes.messages.append(f"{COUPON_HELD_BY}{holder}")
    return late_payment_note(order)


def _record_coupon_holders(order: Order, now: datetime, actor: str, changes: Changes) -> None:
    """A timeline entry for each coupon another order took meanwhile (the owner settles it)."""
    for message in changes.messages:
        if message.startswith(COUPON_HELD_BY):
            held_by = message[len(COUPON_HELD_BY):]
            add_events([event_row(order.id, now, actor, "coupon_in_use", coupon_held_note(order, held_by),
                                  data={"coupon": order.coupon_code, "held_by": held_by})])


#: PaymentWatch.close_state of an order paid another way while its QR trade was open: trade
#: closing closes that trade, and a payment found there is flagged as a second one.
OTHER_PAID = "other_paid"


def _open_gateway_trade(order: Order, now: datetime) -> bool:
    """When an order with a gateway trade (a QR payment the desk made, or one payment sync was
    watching) is paid another way, mark its trade to be closed (in the caller's transaction)."""
    if order.gateway_id is None:
        return False
    watched = PaymentWatch.select().where(PaymentWatch.order == order.id).exists()
    made = OrderEvent.select().where((OrderEvent.order == order.id)
                                     & (OrderEvent.action == "payment_created")).exists()
    if not (watched or made):
        return False
    PaymentWatch.insert(order=order.id, updated_at=to_epoch(now)).on_conflict_ignore().execute()
    PaymentWatch.update(close_state=OTHER_PAID, close_attempts=0, close_next_at=to_epoch(now),
                        updated_at=to_epoch(now)).where(PaymentWatch.order == order.id).execute()
    return True


def deliver_after_payment(desk: Desk, order: Order, actor: str, changes: Changes) -> None:
    """补单 delivers a 卡密 order at once when the codes are there, or queues it as a backorder
    (缺货待发), unless it is held for review."""
    if held_reason(order) is not None:
        changes.messages.append("held")  # paid, but the goods wait for the owner's review
    elif order.product_type == ProductType.CARD_CODE.value:
        if codes_available(order):
            changes.merge(_deliver(desk, order, actor))
        else:
            mark_backorder(desk, order, actor)


def mark_backorder(desk: Desk, order: Order, actor: str) -> None:
    """A paid 卡密 order found no code: it joins the backorder queue (缺货待发), filled oldest-first
    when codes are imported (services.code_import.fill_backorders)."""
    if order.backorder_at is not None:
        return
    now = desk.now()
    Order.update(backorder_at=to_epoch(now)).where(Order.id == order.id).execute()
    order.backorder_at = to_epoch(now)
    add_events([event_row(order.id, now, actor, "backorder", "", data={"quantity": order.quantity})])


def deliver(desk: Desk, order_no: str, *, actor: str = OWNER) -> Changes:
    """发货 in one IMMEDIATE transaction: codes taken and the order marked delivered together, so
    no trigger (a second click, a second process, a repeated 补单) delivers twice. A paid 卡密
    order with no code in stock joins the backorder queue and DomainError(out_of_codes) is raised."""
    desk.require(Right.ORDERS)
    short = False
    with desk.atomic():
        order = get_order(order_no)
        if (order.product_type == ProductType.CARD_CODE.value and order.delivered_at is None
                and order.status == S.PAID.value and not codes_available(order)
                and _held(order) is None and _open_cancel_request(order) is None and _all_refunded(order) is None):
            mark_backorder(desk, order, actor)
            short = True
        else:
            return _deliver(desk, order, actor)
    if short:
        raise DomainError("out_of_codes", "卡密库存不足，订单已加入缺货待发队列：导入卡密后按先后自动发货",
                          "not enough card codes in stock: the order waits in the backorder queue and is delivered "
                          "oldest-first when codes are imported")
    return Changes()


def deliver_waiting(desk: Desk, order: Order, actor: str) -> bool | None:
    """Deliver a backorder in the caller's transaction: True when delivered, None when the shelf
    is short, False when it cannot go now (held for review, an open cancel request; it stays
    queued)."""
    order = Order.get_by_id(order.id)  # as the transaction sees it
    if order.delivered_at is not None or order.status != S.PAID.value:
        return False
    if _held(order) is not None or _open_cancel_request(order) is not None or _all_refunded(order) is not None:
        return False
    if not codes_available(order):
        return None
    _deliver(desk, order, actor)
    return True


def _deliver(desk: Desk, order: Order, actor: str) -> Changes:
    now = desk.now()
    if order.delivered_at is not None:
        raise DomainError("already_delivered", "订单已发货，不会重复发货", "the order was already delivered; never twice")
    status = S(order.status)
    if status not in (S.PAID, S.PARTIALLY_REFUNDED):
        raise DomainError(
            "not_deliverable", f"「{status.zh}」的订单不能发货", f"an order that is '{status.en}' cannot be delivered"
        )
    waiting = _held(order) or _open_cancel_request(order) or _all_refunded(order)
    if waiting is not None:
        raise waiting
    tokens: list[str] = []
    if order.product_type == ProductType.CARD_CODE.value:
        taken = take_codes(desk, order)
        if taken is None:
            raise DomainError("out_of_codes", "卡密库存不足，无法发货", "not enough card codes in stock to deliver")
        tokens = taken
        order.card_code = "\n".join(tokens)
        order.code_used = CodeUsed.UNKNOWN.value  # nobody checked yet: the owner records it (set_code_used)
    before = set_status(order, S.DELIVERED, now)
    order.delivered_at = to_epoch(now)
    order.stock_reserved = False  # the reserved units left the shelf
    order.backorder_at = None
    order.save()
    add_events([event_row(order.id, now, actor, "deliver", "", before, S.DELIVERED.value, {"codes": len(tokens)})])
    return Changes(order_ids={order.id}, counts_changed=True, product_ids={order.product_id} if tokens and order.product_id else set())


def complete(desk: Desk, order_no: str, *, actor: str = OWNER) -> Changes:
    desk.require(Right.ORDERS)
    with desk.atomic():
        order = get_order(order_no)
        now = desk.now()
        before = set_status(order, S.COMPLETED, now)
        order.completed_at = to_epoch(now)
        order.save()
        add_events([event_row(order.id, now, actor, "complete", "", before, S.COMPLETED.value)])
        return Changes(order_ids={order.id}, counts_changed=True)


def set_code_used(desk: Desk, order_no: str, used: CodeUsed, *, note: str = "", actor: str = OWNER) -> Changes:
    """Record what the owner found out about the delivered code (evidence for disputes)."""
    desk.require(Right.ORDERS)
    check_notes(note)
    with desk.atomic():
        order = get_order(order_no)
        now = desk.now()
        order.code_used = used.value
        order.updated_at = to_epoch(now)
        order.save()
        add_events([event_row(order.id, now, actor, "code_used", note, data={"code_used": used.value})])
        return Changes(order_ids={order.id})


def cancel_unpaid(desk: Desk, order_no: str, reason: ReasonCode, note: str = "", *, actor: str = OWNER) -> Changes:
    """Rule a: an unpaid order cancels at once; stock and coupon are returned."""
    desk.require(Right.ORDERS)
    check_notes(note)
    with desk.atomic():
        order = get_order(order_no)
        return _cancel_unpaid(desk, order, reason, note, actor)


def _cancel_unpaid(desk: Desk, order: Order, reason: ReasonCode, note: str, actor: str) -> Changes:
    now = desk.now()
    if order.status != S.PENDING_PAYMENT.value:
        raise DomainError("not_unpaid", "只有待支付订单可以直接取消", "only unpaid orders cancel at once")
    before = set_status(order, S.CANCELLED, now)
    order.cancelled_at = to_epoch(now)
    released = release_stock_and_coupon(order)
    order.points_refunded = order.points
    order.save()
    record_cancellation(order, now)
    add_events([
        event_row(order.id, now, actor, "cancel", note, before, S.CANCELLED.value,
                  {"reason": reason.value, "released": released, "points_returned": order.points})
    ])
    return Changes(order_ids={order.id}, counts_changed=True)


def expire_unpaid(desk: Desk) -> Changes:
    """Close unpaid orders older than their product's expiry; release their stock and coupons.

    An old 待支付 row an import brought after it was due expired then: its ``cancelled_at`` and its
    entry's ``expired_at`` (the reports' day) are the due time (epoch seconds), the entry is dated
    now (a timeline only goes forward), and trade closing and payment sync (the last 48 hours of
    cancellations) leave it alone. Any other order closes now, when the sweep saw it due."""
    now = desk.now()
    policy = desk.policy()
    products: dict[int | None, int] = {p.id: desk.product_policy(p).unpaid_expiry_minutes for p in Product.select()}
    shortest = min([policy.unpaid_expiry_minutes, *products.values()])
    cutoff = to_epoch(now - timedelta(minutes=shortest))
    changes = Changes()
    with desk.atomic():
        candidates = list(Order.select().where((Order.status == S.PENDING_PAYMENT.value) & (Order.created_at <= cutoff)))
        restored, last = _last_restores([o.id for o in candidates])
        events = []
        for order in candidates:
            minutes = products.get(order.product_id, policy.unpaid_expiry_minutes)
            window_from = max(order.created_at, restored.get(order.id, 0))
            if window_from > to_epoch(now - timedelta(minutes=minutes)):
                continue
            due = window_from + minutes * 60
            late = due < last.get(order.id, 0)  # already due when an import brought it
            before = set_status(order, S.CANCELLED, now)
            order.cancelled_at = due if late else to_epoch(now)
            released = release_stock_and_coupon(order)
            order.points_refunded = order.points
            order.save()
            data = {"released": released, **({"expired_at": due} if late else {})}
            events.append(event_row(order.id, now, SYSTEM, "expire", _expiry_note(minutes, due, now, late), before,
                                    S.CANCELLED.value, data))
            changes.order_ids.add(order.id)
        add_events(events)
    changes.counts_changed = bool(changes.order_ids)
    return changes


def _expiry_note(minutes: int, due: int, now: datetime, late: bool) -> str:
    """The 超时关闭 entry's note; with the due time (Beijing) for an order already due when the desk learned of it."""
    if not late:
        return f"超过 {minutes} 分钟未支付，自动关闭 / unpaid for {minutes} min"
    at = f"{from_epoch(due):%Y-%m-%d %H:%M}"
    return f"超过 {minutes} 分钟未支付，已于 {at} 到期，自动关闭 / unpaid for {minutes} min, expired at {at}"


def _last_restores(order_ids: list[int]) -> tuple[dict[int, int], dict[int, int]]:
    """When each of these orders was last restored, and last imported (epoch seconds), where it was.
    A restored unpaid order gets a fresh payment window from its restore (its created_at stays)."""
    restored: dict[int, int] = {}
    imported: dict[int, int] = {}
    for start in range(0, len(order_ids), 500):
        chunk = order_ids[start:start + 500]
        query = (OrderEvent.select(OrderEvent.order, OrderEvent.action, fn.MAX(OrderEvent.at))
                 .where(OrderEvent.order.in_(chunk) & OrderEvent.action.in_(("restore", *_IMPORTS)))
                 .group_by(OrderEvent.order, OrderEvent.action))
        for order_id, action, at in cast(Iterable[tuple[int, str, int]], query.tuples()):
            found = restored if action == "restore" else imported
            found[order_id] = max(at, found.get(order_id, at))
    return restored, imported


_IMPORTS = ("imported", "imported_update")  # the timeline entries of an order an import wrote


def restore(desk: Desk, order_no: str, *, actor: str = OWNER, note: str = "", deliver: bool = True) -> Changes:
    """Bring a cancelled order back, only if nothing was delivered and no refund was sent.
    ``deliver`` False: nothing is taken from stock and a paid 卡密 order does not join the
    backorder queue (the older system delivered it: the next import records that delivery)."""
    desk.require(Right.ORDERS)
    check_notes(note)
    with desk.atomic():
        order = get_order(order_no)
        check = restore_check(order)
        if check is not None:
            raise check
        now = desk.now()
        changes = Changes(order_ids={order.id}, counts_changed=True)
        withdrawn = _unsent_refunds(order)
        for refund in withdrawn:
            move_refund(refund, R.WITHDRAWN, now)  # its money is no longer in flight, its points not returned
            refund.last_error = "已撤回：订单已恢复 / withdrawn: the order was restored"
            refund.last_error_kind = "withdrawn"
            refund.settled_at = to_epoch(now)
            refund.save()
            changes.refund_ids.add(refund.id)
            if refund.request_id is not None:  # the approval stands, but nothing was refunded: say so
                _close_withdrawn_request(refund.request_id, refund.refund_no)
                changes.request_ids.add(refund.request_id)
        order = Order.get_by_id(order.id)  # with the money the withdrawals gave back
        target = S.PAID if order.paid_at is not None else S.PENDING_PAYMENT
        if deliver and _cancel_released_stock(order):
            reserve_units(desk, order, short_ok=False)
        reclaim_coupon(order)
        if target is S.PENDING_PAYMENT:
            # Points went back with the cancellation; they are spent on the order again.
            # The payment window starts afresh from the restore event (see expire_unpaid).
            order.points_refunded = 0
        before = set_status(order, target, now)
        order.cancelled_at = None
        if not deliver:
            order.backorder_at = None  # out of the backorder queue it may have waited in before the cancel
        order.save()
        data: dict[str, Any] = {"withdrawn_refunds": [r.refund_no for r in withdrawn]}
        if not deliver:
            data["no_deliver"] = True
        add_events([event_row(order.id, now, actor, "restore", note, before, target.value, data)])
        if deliver and target is S.PAID and uses_codes(order) and held_reason(order) is None \
                and not codes_available(order):
            # Paid again and no code for it (an imported order never held any): it waits in the
            # backorder queue like any paid 卡密 order, first in line by its age.
            mark_backorder(desk, order, actor)
        return changes


WITHDRAWN_NOTE = ("订单已恢复，退款 {no} 已撤回，未退任何款项", "order restored; refund {no} withdrawn, nothing was refunded")


def _close_withdrawn_request(request_id: int, refund_no: str) -> None:
    """Note on an approved request that its refund was withdrawn by a restore (bilingual)."""
    req = CancelRequest.get_or_none(CancelRequest.id == request_id)
    if req is None:
        return
    note = " / ".join(text.format(no=refund_no) for text in WITHDRAWN_NOTE)
    req.decision_note = f"{req.decision_note}\n{note}" if req.decision_note else note
    req.save()


def _cancel_released_stock(order: Order) -> bool:
    """Whether the cancellation gave units back to the shelf: counter units or reserved 卡密
    (imported orders never took any)."""
    last = (OrderEvent.select().where((OrderEvent.order == order.id) & (OrderEvent.after_status == S.CANCELLED.value))
            .order_by(OrderEvent.id.desc()).first())
    if last is None:
        return False
    data = json.loads(last.data or "{}")
    released = data.get("released", [])
    return "stock_released" in released or "codes_released" in released or bool(data.get("stock_released"))


def late_payment_note(order: Order) -> str:
    """The timeline note of a payment taken after the order was closed: 过期后付款 when its payment
    window ran out, 取消后付款 when someone cancelled it (both languages, as every event note)."""
    last = (OrderEvent.select(OrderEvent.action).where((OrderEvent.order == order.id)
                                                       & (OrderEvent.after_status == S.CANCELLED.value))
            .order_by(OrderEvent.id.desc()).first())
    if last is not None and last.action == "expire":
        return "过期后付款 / paid after expiry"
    return "取消后付款 / paid after cancellation"


def restore_check(order: Order) -> DomainError | None:
    """Why this order cannot be restored, or None when it can: only while its refunds are waiting
    to send (withdrawn) or failed. A refund waiting for the owner (待人工处理) refuses it: the
    owner may have paid the buyer by hand."""
    if order.status != S.CANCELLED.value:
        return DomainError("not_cancelled", "只有已取消的订单可以恢复", "only cancelled orders can be restored")
    if order.delivered_at is not None:
        return DomainError("was_delivered", "订单已发过货，不能恢复", "the order was delivered; it cannot be restored")
    if Refund.select().where((Refund.order == order.id) & (Refund.state == R.NEEDS_OWNER.value)).exists():
        return DomainError(
            "refund_needs_owner", "该订单有待人工处理的退款：你可能已手工退款给买家。先处理它（退款页，或 refunds resolve "
            "退款ID：确认已退或记为失败；refunds list 查看退款ID），再恢复订单",
            "a refund of this order waits for the owner: the buyer may have been paid by hand. Resolve it first (the "
            "refunds page, or refunds resolve REFUND_ID: settled, or failed; refunds list shows its id), then restore "
            "the order")
    # Refunds never sent are withdrawn; failed ones moved no money. Anything else may have.
    unsent = {r.id for r in _unsent_refunds(order)}
    sent = [r for r in Refund.select().where((Refund.order == order.id) & (Refund.state.not_in([R.FAILED.value, R.WITHDRAWN.value])))
            if r.id not in unsent]
    if sent:
        return DomainError(
            "refund_sent", "退款已发出、已处理或已登记为台外退款，不能恢复订单",
            "a refund was already sent, settled, or recorded as made outside the desk; the order cannot be restored")
    return None


def _unsent_refunds(order: Order) -> list[Refund]:
    """The order's refunds that no gateway has seen (withdrawn when the order is restored)."""
    return [r for r in Refund.select().where((Refund.order == order.id) & (Refund.state == R.QUEUED.value))
            if never_sent(R(r.state), int(r.attempts or 0))]


def can_restore(desk: Desk, order_no: str) -> DomainError | None:
    """Why the order cannot be restored (a bilingual DomainError), or None when it can."""
    return restore_check(get_order(order_no))


@dataclass(frozen=True)
class RestorePreview:
    """What restoring would do, or why it cannot (for the restore dialog)."""

    order_no: str
    possible: bool
    refusal: DomainError | None
    target: OrderStatus | None
    re_reserves_stock: bool
    stock_available: int | None
    coupon_code: str | None
    coupon_free: bool
    withdrawn_refunds: list[str]
    #: Points (积分) the buyer got back that the restore takes back: those returned when the
    #: unpaid order was cancelled (spent on it again), or those the withdrawn refunds returned.
    points_taken_back: int = 0
    points_used: int = 0  # the points the order was paid with


def restore_preview(desk: Desk, order_no: str) -> RestorePreview:
    order = get_order(order_no)
    refusal = restore_check(order)
    if refusal is not None:
        return RestorePreview(order.order_no, False, refusal, None, False, None, None, False, [])
    product = Product.get_or_none(Product.id == order.product_id) if order.product_id else None
    reserve = _cancel_released_stock(order)
    coupon_free = True
    if order.coupon_code and order.coupon_returned:
        coupon = Coupon.get_or_none(Coupon.code == order.coupon_code)
        coupon_free = coupon is not None and coupon.used_by_order is None
    unsent = _unsent_refunds(order)
    queued = [r.refund_no for r in unsent]
    target = S.PAID if order.paid_at is not None else S.PENDING_PAYMENT
    # As restore moves them: an unpaid order spends its points again; a paid one keeps what no
    # withdrawn refund gave back (refund_owner.move_refund takes their points back).
    taken = order.points_refunded if target is S.PENDING_PAYMENT else min(
        order.points_refunded, sum(int(r.points_returned or 0) for r in unsent))
    blocked: DomainError | None = None
    if reserve and product is not None and not units_free(order):
        blocked = DomainError("out_of_stock", "库存不足，无法恢复订单", "not enough stock to restore this order")
    elif not coupon_free:
        blocked = DomainError("coupon_in_use", f"优惠券 {order.coupon_code} 已被其他订单使用，无法恢复",
                              f"coupon {order.coupon_code} is now used by another order; cannot restore")
    return RestorePreview(order.order_no, blocked is None, blocked, target, reserve, units_on_shelf(order),
                          order.coupon_code if order.coupon_returned else None, coupon_free, queued,
                          int(taken), int(order.points or 0))


def mark_paid_check(desk: Desk, order_no: str) -> DomainError | None:
    """Why 补单 is not possible for this order now, or None when it is."""
    order = get_order(order_no)
    if order.paid_at is not None:
        return DomainError("already_paid", f"订单已支付（交易号 {order.gateway_trade_no or '—'}），无需补单",
                           f"the order is already paid (trade no {order.gateway_trade_no or '—'}); nothing to mark")
    if order.paid_fen <= 0:
        return _nothing_due(order)
    status = S(order.status)
    if status not in (S.PENDING_PAYMENT, S.CANCELLED):
        return DomainError("not_markable", f"「{status.zh}」的订单不能补单", f"an order that is '{status.en}' cannot be marked paid")
    if status is S.CANCELLED:
        if order.delivered_at is not None:
            return DomainError("was_delivered", "订单已发过货，不能补单", "the order was delivered; it cannot be marked paid")
        # A 卡密 order whose codes are gone is paid as a backorder (缺货待发); only a counter refuses.
        if not uses_codes(order) and _cancel_released_stock(order) and not units_free(order):
            return DomainError("out_of_stock", "订单已过期且库存不足，不能补单",
                               "the order expired and its stock is gone; it cannot be marked paid")
    return None


def _nothing_due(order: Order) -> DomainError:
    # No gateway takes a payment of 0, so there is no trade no that could pay this order.
    return DomainError("nothing_due", f"订单 {order.order_no} 应付 ¥0.00：没有网关付款可以补单",
                       f"order {order.order_no} has ¥0.00 due: no gateway payment can be marked for it")


def deliver_check(desk: Desk, order_no: str) -> DomainError | None:
    """Why the order cannot be delivered now, or None when it can."""
    order = get_order(order_no)
    if order.delivered_at is not None:
        return DomainError("already_delivered", "订单已发货，不会重复发货", "the order was already delivered; never twice")
    status = S(order.status)
    if status not in (S.PAID, S.PARTIALLY_REFUNDED):
        return DomainError("not_deliverable", f"「{status.zh}」的订单不能发货", f"an order that is '{status.en}' cannot be delivered")
    held = _held(order)
    if held is not None:
        return held
    refunded = _all_refunded(order)
    if refunded is not None:
        return refunded
    if order.product_type == ProductType.CARD_CODE.value and not codes_available(order):
        return DomainError("out_of_codes", "卡密库存不足，无法发货", "not enough card codes in stock to deliver")
    return _open_cancel_request(order)


def _all_refunded(order: Order) -> DomainError | None:
    """Everything the order paid went back or is on its way back: delivered, the buyer would have
    both the goods and the money (a failed refund sent again after a restore, say)."""
    paid = int(order.paid_fen or 0)
    if paid <= 0 or int(order.refunded_fen or 0) + int(order.refund_pending_fen or 0) < paid:
        return None
    return DomainError("all_refunded", f"订单的钱已全部退回或正在退回（¥{format_yuan(paid)}），不能发货",
                       f"all the order's money went back or is on its way back (¥{format_yuan(paid)}); "
                       "it is not delivered")


def _held(order: Order) -> DomainError | None:
    """A blocked buyer's order waits for the owner: released first, then delivered."""
    reason = held_reason(order)
    if reason is None:
        return None
    reason = reason or "—"
    if buyer_still_blocked(order):
        return DomainError("order_held", f"订单扣留待审（买家在黑名单：{reason}），请先放行再发货",
                           f"the order is held for review (blocked buyer: {reason}); release it before delivering")
    return DomainError("order_held",
                       f"订单仍扣留待审（拉黑时的原因：{reason}；买家已解除拉黑，但扣留的订单不会自动放行），"
                       f"请先放行（orders release 或 buyers release）再发货",
                       f"the order is still held for review (held because: {reason}; the buyer was unblocked, "
                       f"but held orders are not released by that): release it first (orders release or "
                       f"buyers release), then deliver")


def _open_cancel_request(order: Order) -> DomainError | None:
    """A buyer waiting for an answer to a cancel request must get the answer before the goods."""
    waiting = CancelRequest.select().where((CancelRequest.order == order.id) & (CancelRequest.state == "open")
                                           & (CancelRequest.is_dispute == False)).exists()  # noqa: E712
    if waiting:
        return DomainError("cancel_request_open", "买家申请了取消，请先审核申请再发货",
                           "the buyer asked to cancel: answer the request before delivering")
    return None
