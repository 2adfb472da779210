"""Taking a payment the gateway reports (补单 by sync, a notification or the QR poll).

``take_payment`` is the one door a gateway-reported payment goes through. In one write
transaction it reads the order again and then:

* the order is already paid with this trade no: nothing happens (``already_paid``), so a sync,
  a notification and the owner's 补单 that see the same payment deliver once between them;
* the trade no is held by another order of the account (``trade_nos.trade_no_conflict``), the
  order was paid with another trade no, or the gateway's amount differs from the order's: the
  order is *flagged* (an event and ``PaymentWatch.flag``) and neither marked paid nor delivered;
* otherwise it is marked paid through ``orders.mark_paid`` (which delivers a card code when one
  is in stock). A payment for an order that expired or was cancelled meanwhile (a late payment)
  reopens it when its stock is still free; when it is not, the order is marked paid without
  stock as a backorder (缺货待发): deliver when stock comes, or cancel it with a full refund.
  Each case writes its own event.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..domain.clock import to_epoch
from ..domain.errors import DomainError, StoreError
from ..domain.money import format_yuan
from ..domain.order import ProductType
from ..domain.states import OrderStatus
from ..gateways.base import InboundHttp, PaymentState
from ..store.models import Order, OrderEvent, PaymentWatch
from .changes import Changes
from .common import add_events, event_row, get_order, set_status
from .desk import Desk
from .gateways import make_adapter
from .orders import (
    COUPON_HELD_BY,
    coupon_held_note,
    late_payment_note,
    mark_backorder,
    mark_paid,
    take_coupon_back,
)
from .stock import units_free
from .trade_nos import trade_no_conflict

S = OrderStatus
GATEWAY = "gateway"  # the actor of what the gateway reported

#: What each outcome says to a person: code -> (zh, en). Flags are also outcomes.
OUTCOMES: dict[str, tuple[str, str]] = {
    "paid": ("网关已收款：已补单", "paid at the gateway: marked paid"),
    "paid_delivered": ("网关已收款：已补单并发货", "paid at the gateway: marked paid and delivered"),
    "late_reopened": ("订单关闭（过期或取消）后付款：订单已重新打开并补单",
                      "paid after the order closed (expired or cancelled): the order was reopened and marked paid"),
    "late_backorder": ("订单关闭（过期或取消）后付款但库存已无：已记为缺货待发（可补货后发货，或取消并全额退款）",
                       "paid after the order closed (expired or cancelled) but the stock is gone: marked paid as a "
                       "backorder (deliver when stock comes, or cancel with a full refund)"),
    "already_paid": ("已支付，无需补单", "already paid; nothing to do"),
    "amount_mismatch": ("金额不符：网关收款与订单应付不同，未补单、未发货，请核对",
                        "amount differs: the gateway took another amount than the order's; not marked paid nor "
                        "delivered, check it"),
    "trade_no_taken": ("交易号已属于另一订单：未补单，请核对", "the trade no belongs to another order: not marked paid, check it"),
    "other_trade": ("付了两次：订单已用另一交易号支付，网关又收到一笔付款：请核对，并把多收的这笔退给买家（网关后台退款）",
                    "paid twice: the order was paid with another trade no and the gateway took a payment too: check "
                    "it and refund the extra payment to the buyer (in the gateway's back office)"),
    "refunded_at_gateway": ("网关显示该交易已付款并已退款：未补单，请核对", "the gateway shows this trade paid and refunded: "
                            "not marked paid, check it"),
    "refused": ("网关已收款，但补单被本店规则拒绝：未补单、未发货，请核对", "paid at the gateway, but 补单 was refused by "
                "a rule of the desk: not marked paid nor delivered, check it"),
    "coupon_in_use": ("已补单，但订单用过的优惠券已被另一订单使用（优惠券重复使用），请核对",
                      "marked paid, but the coupon the order used is now used by another order (used twice); "
                      "check it"),
    "security": ("网关回复与该订单的网关账户或订单号不符，未采信", "the gateway's answer does not match this order's "
                 "account or number; not taken"),
}
FLAGS = ("amount_mismatch", "trade_no_taken", "other_trade", "refunded_at_gateway", "backorder", "refused", "security",
         "coupon_in_use")


@dataclass
class PaymentOutcome:
    """What taking one payment did: ``code`` is a key of OUTCOMES."""

    order_no: str
    code: str
    changes: Changes = field(default_factory=Changes)
    delivered: bool = False

    @property
    def zh(self) -> str:
        return OUTCOMES.get(self.code, (self.code, self.code))[0]

    @property
    def en(self) -> str:
        return OUTCOMES.get(self.code, (self.code, self.code))[1]

    @property
    def flagged(self) -> bool:
        return self.code in FLAGS or self.code == "late_backorder"


def watch_of(order_id: int, now: datetime) -> PaymentWatch:
    """The order's watch row, made on first use (inside the caller's transaction)."""
    PaymentWatch.insert(order=order_id, updated_at=to_epoch(now)).on_conflict_ignore().execute()
    return PaymentWatch.get(PaymentWatch.order == order_id)


def _plausible(paid_at: datetime | None, order: Order, now: datetime) -> datetime | None:
    """The gateway's payment time, or None (now is recorded) for one before the order was created
    or later than now: a gateway's clock or time zone is not a reason to refuse its payment."""
    if paid_at is None or not int(order.created_at) <= to_epoch(paid_at) <= to_epoch(now):
        return None
    return paid_at


def take_payment(desk: Desk, order_no: str, *, gateway_id: int, trade_no: str, amount_fen: int,
                 source: str = "sync", paid_at: datetime | None = None) -> PaymentOutcome:
    """Record a payment the gateway reported for ``order_no`` (its out_trade_no).

    ``trade_no`` is the gateway's trade no and ``amount_fen`` what it took (fen); ``source`` says
    who saw it (sync, notify, poll) and goes into the events; ``paid_at`` the gateway's payment
    time when it gave one (kept as the order's, unless outside its creation and now). Raises DomainError
    (order_not_found) for an unknown order; never raises for a payment it refuses: it flags.
    """
    trade_no = trade_no.strip()
    with desk.atomic():
        order = get_order(order_no)
        now = desk.now()
        facts = {"trade_no": trade_no, "gateway_fen": amount_fen, "order_fen": order.paid_fen, "source": source}
        if order.gateway_id != gateway_id:
            return _flag(desk, order, "security", facts)
        if order.paid_at is not None:
            if (order.gateway_trade_no or "").strip() == trade_no:
                return PaymentOutcome(order.order_no, "already_paid")
            return _flag(desk, order, "other_trade", {**facts, "recorded_trade_no": order.gateway_trade_no})
        taken = trade_no_conflict(gateway_id, trade_no, order_id=order.id)
        if taken is not None:
            return _flag(desk, order, "trade_no_taken", {**facts, "why": taken.zh, "why_en": taken.en})
        if amount_fen != order.paid_fen:
            return _flag(desk, order, "amount_mismatch", facts)
        late = order.status == S.CANCELLED.value
        if late and not units_free(order):
            return _late_backorder(desk, order, facts, now)
        if not _found_before(order.id, facts):  # once per finding, not once per sync of a flagged order
            add_events([event_row(order.id, now, GATEWAY, "payment_found", _note(facts), data=facts)])
        try:
            changes = mark_paid(desk, order.order_no, trade_no, confirmed=True, actor=GATEWAY,
                                paid_at=_plausible(paid_at, order, now))
        except StoreError:
            raise  # the store failed, not a rule: nothing to flag
        except DomainError as exc:  # a rule of 补单 says no (nothing due, ...): the owner looks
            return _flag(desk, order, "refused", {**facts, "why": exc.zh, "why_en": exc.en})
        if late:
            add_events([event_row(order.id, now, GATEWAY, "late_payment", late_payment_note(order),
                                  data={**facts, "reopened": True})])
        _clear_flag(order.id, now)
        held_by = [m[len(COUPON_HELD_BY):] for m in changes.messages if m.startswith(COUPON_HELD_BY)]
        if held_by:  # the money is in; the coupon another order holds is the owner's to settle
            _flag(desk, Order.get_by_id(order.id), "coupon_in_use",
                  {**facts, "coupon": order.coupon_code, "held_by": held_by[0]})
        delivered = Order.get_by_id(order.id).delivered_at is not None
        code = "late_reopened" if late else ("paid_delivered" if delivered else "paid")
        changes.order_ids.add(order.id)
        return PaymentOutcome(order.order_no, code, changes, delivered)


def _found_before(order_id: int, facts: dict[str, Any]) -> bool:
    """Whether the timeline already says this payment (trade no and amount) was found."""
    return bool(OrderEvent.select().where((OrderEvent.order == order_id) & (OrderEvent.action == "payment_found")
                                          & (OrderEvent.note == _note(facts))).exists())


def _note(facts: dict[str, Any]) -> str:
    return f"{facts['trade_no']} {format_yuan(int(facts['gateway_fen']), symbol=True)}"


def _late_backorder(desk: Desk, order: Order, facts: dict[str, Any], now: datetime) -> PaymentOutcome:
    """Paid after expiry with the stock gone: the money is in, so the order is paid (and can be
    refunded in full by cancelling it); it waits for stock as a backorder (a 卡密 order joins the
    backorder queue that a code import fills, services.code_import.fill_backorders)."""
    before = set_status(order, S.PAID, now)
    order.paid_at = to_epoch(now)
    order.gateway_trade_no = facts["trade_no"]
    order.cancelled_at = None
    held_by = take_coupon_back(order)
    order.save()
    if held_by is not None:
        add_events([event_row(order.id, now, GATEWAY, "coupon_in_use", coupon_held_note(order, held_by),
                              data={"coupon": order.coupon_code, "held_by": held_by})])
        facts = {**facts, "coupon": order.coupon_code, "held_by": held_by}
    add_events([
        event_row(order.id, now, GATEWAY, "payment_found", _note(facts), data=facts),
        event_row(order.id, now, GATEWAY, "mark_paid", late_payment_note(order) + "：库存已无 / no stock left",
                  before, S.PAID.value,
                  {"trade_no": facts["trade_no"]}),
        event_row(order.id, now, GATEWAY, "late_payment", OUTCOMES["late_backorder"][0],
                  data={**facts, "reopened": True, "backorder": True, "refund_offered": True}),
    ])
    if order.product_type == ProductType.CARD_CODE.value:
        mark_backorder(desk, order, GATEWAY)  # filled oldest-first when codes are imported
    watch = watch_of(order.id, now)
    watch.flag, watch.flag_data, watch.updated_at = "backorder", json.dumps(facts, ensure_ascii=False), to_epoch(now)
    watch.save()
    return PaymentOutcome(order.order_no, "late_backorder", Changes(order_ids={order.id}, counts_changed=True))


def _flag(desk: Desk, order: Order, flag: str, facts: dict[str, Any]) -> PaymentOutcome:
    """Mark what the owner must check; one event per new finding, not one per check."""
    now = desk.now()
    watch = watch_of(order.id, now)
    data = json.dumps(facts, ensure_ascii=False, sort_keys=True)
    if watch.flag != flag or watch.flag_data != data:
        watch.flag, watch.flag_data, watch.updated_at = flag, data, to_epoch(now)
        watch.save()
        zh = OUTCOMES.get(flag, (flag, flag))[0]
        add_events([event_row(order.id, now, GATEWAY, "payment_flagged", zh, data={**facts, "flag": flag})])
    return PaymentOutcome(order.order_no, flag, Changes(order_ids={order.id}))


def flag_order(desk: Desk, order_no: str, flag: str, facts: dict[str, Any]) -> PaymentOutcome:
    """Flag an order for the owner (a key of OUTCOMES in FLAGS) without taking any payment."""
    with desk.atomic():
        return _flag(desk, get_order(order_no), flag, facts)


def _clear_flag(order_id: int, now: datetime) -> None:
    PaymentWatch.update(flag="", flag_data="{}", updated_at=to_epoch(now)).where(
        (PaymentWatch.order == order_id) & (PaymentWatch.flag != "")).execute()


def flag_of(order_id: int) -> tuple[str, dict[str, Any]]:
    """The order's open flag and its facts, or ("", {})."""
    watch = PaymentWatch.get_or_none(PaymentWatch.order == order_id)
    if watch is None or not watch.flag:
        return "", {}
    return str(watch.flag), json.loads(watch.flag_data or "{}")


def take_notification(desk: Desk, gateway_id: int, http: InboundHttp) -> PaymentOutcome | None:
    """A payment notification (异步通知) the gateway sent, verified by the account's adapter
    and taken like any other report of the payment (``take_payment``, source ``notify``).

    Returns None for a notification that is not a payment (a refund's) or not paid yet.
    Raises GatewayError (SECURITY for a forged one) and DomainError (unknown order).
    """
    adapter = make_adapter(desk, gateway_id, books=False)  # a payment is taken below, in the store
    note = adapter.parse_notification(http)
    if note.kind != "payment" or note.state is not PaymentState.PAID:
        return None
    if not note.gateway_trade_no or note.amount_fen is None:
        return None
    return take_payment(desk, note.out_trade_no, gateway_id=gateway_id, trade_no=str(note.gateway_trade_no),
                        amount_fen=int(note.amount_fen), source="notify")
