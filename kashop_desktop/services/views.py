"""Read models for screens and JSON: order rows, order detail, requests, refunds, counts.

Everything here reads; nothing changes the store. Money stays in fen, times are aware
datetimes in Beijing time; ``to_json`` turns them into `_fen` integers and ISO 8601 strings.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import Enum
from typing import Any

from ..domain.calendar import HolidaySchedule, span_is_exact
from ..domain.clock import from_epoch, iso
from ..domain.codes import masked
from ..domain.refund_states import (
    IN_FLIGHT_REFUND_STATES,
    REFUND_STATES_SHOWN,
    RefundStatus,
    gateway_verified_refusal,
)
from ..domain.states import OrderStatus
from ..store import queries, search
from ..store.models import CancelRequest, GatewayAccount, Order, OrderEvent, Refund
from ..store.queries import HELD, REFUNDING, OrderFilter
from . import refund_timeline
from .buyers import BuyerInfo, buyer_info_by_id, held_reason
from .codekeys import token_hint
from .common import facts, get_order, not_found
from .desk import Desk

__all__ = ["HELD", "REFUNDING", "OrderFilter"]


@dataclass(frozen=True)
class OrderRow:
    id: int
    order_no: str
    created_at: datetime
    product: str
    product_type: str
    quantity: int
    buyer: str
    paid_fen: int  # the order's amount (what the buyer pays); money received only once ``paid``
    refunded_fen: int  # refunds that succeeded
    status: OrderStatus
    channel: str | None
    gateway_trade_no: str | None
    refund_pending_fen: int = 0  # refunds approved but not final (退款中)
    paid: bool = True  # False: no payment was ever recorded (unpaid, or cancelled before paying)
    held: bool = False  # held for the owner's review (the buyer is or was blocked): not delivered

    @property
    def received_fen(self) -> int:
        """Money actually paid (fen): the amount once paid, 0 before."""
        return self.paid_fen if self.paid else 0

    @property
    def refundable_fen(self) -> int:
        """What may still be refunded (fen): paid, less succeeded and in-flight refunds; 0 unpaid."""
        return max(0, self.received_fen - self.refunded_fen - self.refund_pending_fen)

    @classmethod
    def from_tuple(cls, row: tuple[Any, ...]) -> OrderRow:
        created = from_epoch(row[2])
        assert created is not None
        return cls(row[0], row[1], created, row[3], row[4], row[5], row[6], row[7], row[8], OrderStatus(row[9]),
                   row[10], row[11], row[12], row[13] is not None,
                   row[14] is not None and row[9] in ("pending_payment", "paid"))


@dataclass(frozen=True)
class EventView:
    at: datetime
    actor: str
    action: str
    note: str
    before: str | None
    after: str | None
    data: dict[str, Any]
    operator: str = ""  # who was signed in at the desk (schema 14); ``actor`` says which side acted


@dataclass(frozen=True)
class RequestView:
    id: int
    order_no: str
    order_id: int
    state: str
    is_dispute: bool
    reason: str
    note: str
    evidence: str
    amount_fen: int | None
    requested_at: datetime
    due_at: datetime
    overdue: bool
    outcome: str
    decision_reasons: list[dict[str, str]]
    decided_at: datetime | None
    decided_by: str | None
    decision_note: str
    buyer: str = ""
    paid_fen: int = 0
    product: str = ""
    due_exact: bool = True  # False: the deadline crosses days the holiday calendar does not know yet


@dataclass(frozen=True)
class RefundView:
    id: int
    order_no: str
    order_id: int
    refund_no: str
    gross_fen: int
    amount_fen: int
    fee_fen: int
    coupon_share_fen: int
    points_returned: int
    state: str  # a RefundStatus value; ``state_zh`` / ``state_en`` are its one word
    gateway: str | None
    gateway_kind: str | None
    channel: str | None
    attempts: int
    last_error: str
    last_error_kind: str
    security_warning: bool
    needs_confirmation: bool
    confirmed: bool
    created_at: datetime
    sent_at: datetime | None
    settled_at: datetime | None
    eta_earliest: str | None
    eta_latest: str | None
    gateway_refund_no: str | None
    eta_exact: bool = True  # False: the ETA crosses days the holiday calendar does not know yet
    checks: int = 0
    resolved_how: str = ""
    operator: str = ""  # who approved it (schema 14)
    #: Who sent it to the gateway last (its timeline's ``refund_sent`` entry): the operator signed
    #: in, and whether a person asked (False: the queue by itself); "" and None when never sent.
    sent_by: str = ""
    sent_by_hand: bool | None = None

    @property
    def state_zh(self) -> str:
        return RefundStatus(self.state).zh

    @property
    def state_en(self) -> str:
        return RefundStatus(self.state).en

    @property
    def gateway_verifiable(self) -> bool:
        """Whether the owner may record it as refunded through its gateway (checked in the back
        office): it has a gateway account, was sent, and was not refused for good."""
        return gateway_verified_refusal(RefundStatus(self.state), self.gateway is not None, self.attempts) is None

    @property
    def actions(self) -> frozenset[str]:
        """What the owner may do with this refund now (the refund queue enforces the same)."""
        return refund_actions(self.state, self.last_error_kind, self.gateway is not None,
                              self.needs_confirmation, self.confirmed)


def refund_actions(state: str, error_kind: str, has_gateway: bool, needs_confirmation: bool,
                   confirmed: bool) -> frozenset[str]:
    """retry: a failed refund goes back to the queue; query: ask the gateway now; confirm: the
    owner's go-ahead where the gateway has no refund key; resolve: record the outcome the owner
    checked, from every state that is not final, or for a failed refund later refunded another way."""
    actions = set()
    status = RefundStatus(state)
    withdrawn = error_kind == "withdrawn"
    if status is RefundStatus.FAILED and not withdrawn:
        actions.add("retry")
    if status in IN_FLIGHT_REFUND_STATES and has_gateway:
        actions.add("query")
    if needs_confirmation and not confirmed and status in (RefundStatus.QUEUED, RefundStatus.FAILED):
        actions.add("confirm")
    if (status in IN_FLIGHT_REFUND_STATES or status is RefundStatus.FAILED) and not withdrawn:
        actions.add("resolve")
    return frozenset(actions)


@dataclass(frozen=True)
class OrderDetail:
    id: int
    order_no: str
    status: OrderStatus
    product: str
    product_type: str
    quantity: int
    list_fen: int
    coupon_fen: int
    coupon_code: str | None
    points: int
    points_refunded: int
    paid_fen: int
    refunded_fen: int  # refunds that succeeded (confirmed by the gateway or resolved by the owner)
    buyer: str
    channel: str | None
    gateway: str | None
    gateway_kind: str | None
    gateway_trade_no: str | None
    created_at: datetime
    paid_at: datetime | None
    delivered_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    code_used: str
    card_code: str | None
    events: list[EventView] = field(default_factory=list)
    requests: list[RequestView] = field(default_factory=list)
    refunds: list[RefundView] = field(default_factory=list)
    refund_pending_fen: int = 0  # approved refunds not final yet (退款中)
    refundable_fen: int = 0  # paid less succeeded and in-flight refunds; 0 when unpaid
    amount_fen: int = 0  # the order's amount (应付); ``paid_fen`` is 0 until it is paid
    held_at: datetime | None = None  # held for the owner's review since (a blocked buyer's order)
    held_reason: str | None = None  # why it is held (the buyer's block reason); None when not held
    buyer_info: BuyerInfo | None = None  # the owner's note and the blocklist mark of this buyer

    @property
    def masked_code(self) -> str:
        return mask_code(self.card_code)


def mask_code(code: str | None) -> str:
    """A delivered 卡密 masked, one line per unit: dots and the clear hint the sealed token keeps
    (its last few characters, domain.codes.hint): enough to match it with the buyer, not to use it."""
    if not code:
        return ""
    return "\n".join(masked(token_hint(one.strip())) for one in code.splitlines())


def to_json(value: Any) -> Any:
    """Dataclasses to JSON-ready dicts: aware datetimes to ISO 8601, enums to their codes."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, OrderStatus):
        return value.value
    if isinstance(value, Enum) and hasattr(value, "code"):  # BreakKind, Role, Right: their stable code
        return value.code
    if hasattr(value, "__dataclass_fields__"):
        return {k: to_json(getattr(value, k)) for k in value.__dataclass_fields__}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    return value


# ---- listing -----------------------------------------------------------------------------------

def status_counts(desk: Desk) -> dict[str, int]:
    return queries.status_counts(desk.db)


def count_orders(desk: Desk, flt: OrderFilter) -> int:
    return queries.count(desk.db, flt)


def order_page(desk: Desk, flt: OrderFilter, limit: int, *, offset: int = 0,
               after: tuple[int, int] | None = None) -> list[OrderRow]:
    return [OrderRow.from_tuple(r) for r in queries.page(desk.db, flt, limit, offset=offset, after=after)]


def keyset_of(row: OrderRow, flt: OrderFilter) -> tuple[int, int]:
    return (row.paid_fen if flt.sort == "amount" else int(row.created_at.timestamp()), row.id)


def order_rows_by_id(desk: Desk, ids: list[int]) -> dict[int, OrderRow]:
    if not ids:
        return {}
    cols = ", ".join(c.strip() for c in queries.ROW_COLUMNS.split(","))
    marks = ",".join("?" * len(ids))
    rows = desk.db.execute_sql(f"SELECT {cols} FROM orders WHERE id IN ({marks})", ids).fetchall()
    return {r[0]: OrderRow.from_tuple(r) for r in rows}


def order_page_before(desk: Desk, flt: OrderFilter, limit: int, before: tuple[int, int]) -> list[OrderRow]:
    """The ``limit`` rows just above the row whose keyset is ``before``, in list order."""
    return [OrderRow.from_tuple(r) for r in queries.page_before(desk.db, flt, limit, before)]


def order_ids(desk: Desk, flt: OrderFilter, limit: int, *, offset: int = 0, from_end: bool = False) -> list[int]:
    """Ids of a stretch of the list, read from the sort index alone (cheap even deep down);
    ``from_end``: the stretch ends ``offset`` rows before the end of the list."""
    return queries.ids(desk.db, flt, limit, offset=offset, from_end=from_end)


def order_id_list(desk: Desk, flt: OrderFilter,
                  cancelled: Callable[[], bool] | None = None) -> array[int] | None:
    """Every id of the list in order (8 bytes an order); None if ``cancelled`` said stop (the
    running statement is stopped part-way, not only between chunks)."""
    if cancelled is None:
        return queries.all_ids(desk.db, flt)
    try:
        found: array[int] | None = queries.interruptible(desk.db, cancelled, queries.all_ids, desk.db, flt, cancelled)
    except queries.Interrupted:
        return None
    return found


def order_rows(desk: Desk, ids: Sequence[int]) -> list[OrderRow] | None:
    """These orders' rows in this order, by primary key; None if one of them is gone."""
    found = order_rows_by_id(desk, list(ids))
    if len(found) != len(set(ids)):
        return None
    return [found[i] for i in ids]


#: The fewest characters an order-no tail or trade-no prefix is found by (``store.search``).
MIN_TAIL = search.MIN_TAIL
#: The fewest characters a buyer search finds (``store.search``).
MIN_BUYER = search.MIN_BUYER


def search_kind(text: str) -> str:
    return queries.classify_search(text)


def search_matches(desk: Desk, text: str) -> dict[str, int]:
    """What a search found, per field, over all orders: ``order_no`` (prefix), ``order_tail``
    (an order no's tail, "0001996"), ``trade_no``, ``buyer`` (contact substring), ``product``
    (name). Fields without a match are left out; ``search_cap(desk) + 1`` means more than that."""
    return queries.search_matches(desk.db, text)[0]


def search_cap(desk: Desk) -> int:
    """Up to how many matches a search is resolved to its ids (and counted exactly per field)."""
    return search.cap_for(desk.db)

QueryCancelled = queries.Interrupted


@dataclass(frozen=True)
class FirstLook:
    """What a filter shows first: its first page, its count when that is cheap (None while it
    must still be counted), and what the search matched (``search_matches``)."""

    rows: list[OrderRow]
    count: int | None
    matches: dict[str, int]
    cap: int  # a match count of cap + 1 means "more than cap"


def first_look(desk: Desk, flt: OrderFilter, limit: int, cancelled: Callable[[], bool]) -> FirstLook:
    """The first page of a filter, and its count if that costs no more than the page: a tab
    without a search reads the kept status counts, a selective search counts its own ids; an
    unselective search or a date range is counted later (``count_orders_cancellable``).
    Raises QueryCancelled as soon as ``cancelled()`` says the filter is no longer wanted."""
    def read() -> FirstLook:
        with search.one_look():  # the store's change mark read once, not once per call below
            rows = [OrderRow.from_tuple(r) for r in queries.first_page(desk.db, flt, limit)]
            count: int | None = None
            if len(rows) < limit:
                count = len(rows)
            elif queries.count_is_cheap(desk.db, flt):
                count = queries.count(desk.db, flt)
            return FirstLook(rows, count, *queries.search_matches(desk.db, flt.search))

    result: FirstLook = queries.interruptible(desk.db, cancelled, read)
    return result


def count_orders_cancellable(desk: Desk, flt: OrderFilter, cancelled: Callable[[], bool]) -> int:
    """``count_orders``, stopped with QueryCancelled once ``cancelled()`` is true."""
    return int(queries.interruptible(desk.db, cancelled, queries.count, desk.db, flt))


def order_page_at(desk: Desk, flt: OrderFilter, number: int, size: int, total: int,
                  above: tuple[int, int] | None, below: tuple[int, int] | None,
                  cancelled: Callable[[], bool] | None = None) -> list[OrderRow]:
    """Page ``number`` (``size`` rows) of a list of ``total`` rows: by keyset below the page
    above it (``above``: its last row's keyset) or above the page below it (``below``: its first
    row's), else by an OFFSET over the sort index from the nearer end and the rows by primary key.
    With ``cancelled``, stops with QueryCancelled once it says so."""
    def read() -> list[OrderRow]:
        if above is not None:
            return order_page(desk, flt, size, after=above)
        if below is not None:
            return order_page_before(desk, flt, size, below)
        start = number * size
        if number == 0:
            return order_page(desk, flt, size)
        here = min(size, total - start)
        rows_below = total - start - here
        if rows_below < start:
            ids = order_ids(desk, flt, here, offset=rows_below, from_end=True)
        else:
            ids = order_ids(desk, flt, size, offset=start)
        rows = order_rows(desk, ids)
        return rows if rows is not None else order_page(desk, flt, size, offset=start)

    if cancelled is None:
        return read()
    result: list[OrderRow] = queries.interruptible(desk.db, cancelled, read)
    return result


def position_of(desk: Desk, flt: OrderFilter, order_id: int) -> int | None:
    return queries.position_of(desk.db, flt, order_id)


# ---- detail ------------------------------------------------------------------------------------

def _accounts() -> dict[int, GatewayAccount]:
    return {a.id: a for a in GatewayAccount.select()}


def _request_view(req: CancelRequest, order: Order, now: datetime, schedule: HolidaySchedule) -> RequestView:
    """``overdue`` is live: flagged by the sweep, or open past its deadline since."""
    requested = from_epoch(req.requested_at)
    due = from_epoch(req.due_at)
    assert requested is not None and due is not None
    return RequestView(
        req.id, order.order_no, order.id, req.state, bool(req.is_dispute), req.reason, req.note, req.evidence,
        req.amount_fen, requested, due, bool(req.overdue) or (req.state == "open" and due < now), req.outcome, json.loads(req.decision_reasons or "[]"),
        from_epoch(req.decided_at), req.decided_by, req.decision_note, order.buyer, order.paid_fen,
        order.product_name, span_is_exact(requested.date(), due.date(), schedule),
    )


def _refund_view(ref: Refund, order_no: str, accounts: dict[int, GatewayAccount],
                 schedule: HolidaySchedule) -> RefundView:
    acct = accounts.get(ref.gateway_id) if ref.gateway_id else None
    created = from_epoch(ref.created_at)
    assert created is not None
    exact = ref.eta_latest is None or span_is_exact(created.date(), date.fromisoformat(ref.eta_latest), schedule)
    return RefundView(
        ref.id, order_no, ref.order_id, ref.refund_no, ref.gross_fen, ref.amount_fen, ref.fee_fen,
        ref.coupon_share_fen, ref.points_returned, ref.state, acct.name if acct else None,
        acct.kind if acct else None, ref.channel, ref.attempts, ref.last_error, ref.last_error_kind,
        bool(ref.security_warning), bool(ref.needs_confirmation), bool(ref.confirmed), created,
        from_epoch(ref.sent_at), from_epoch(ref.settled_at) if RefundStatus(ref.state).final else None,
        ref.eta_earliest, ref.eta_latest, ref.gateway_refund_no,
        exact, ref.checks, ref.resolved_how, ref.operator or "",
    )


def order_detail(desk: Desk, order_no: str) -> OrderDetail:
    order = get_order(order_no)
    return _detail(order, desk.now(), desk.holidays())


def order_detail_by_id(desk: Desk, order_id: int) -> OrderDetail:
    order = Order.get_or_none(Order.id == order_id)
    if order is None:
        raise not_found("order", order_id)
    return _detail(order, desk.now(), desk.holidays())


def _detail(order: Order, now: datetime, schedule: HolidaySchedule) -> OrderDetail:
    accounts = _accounts()
    acct = accounts.get(order.gateway_id) if order.gateway_id else None
    events = [
        EventView(from_epoch(e.at) or datetime.min, e.actor, e.action, e.note, e.before_status, e.after_status,
                  json.loads(e.data or "{}"), e.operator or "")
        for e in OrderEvent.select().where(OrderEvent.order == order.id).order_by(OrderEvent.id)
    ]
    created = from_epoch(order.created_at)
    assert created is not None
    return OrderDetail(
        order.id, order.order_no, OrderStatus(order.status), order.product_name, order.product_type, order.quantity,
        order.list_fen, order.coupon_fen, order.coupon_code, order.points, order.points_refunded,
        order.paid_fen if order.paid_at is not None else 0, order.refunded_fen, order.buyer, order.channel, acct.name if acct else None, acct.kind if acct else None,
        order.gateway_trade_no, created, from_epoch(order.paid_at), from_epoch(order.delivered_at),
        from_epoch(order.completed_at), from_epoch(order.cancelled_at), order.code_used, order.card_code, events,
        [_request_view(r, order, now, schedule) for r in CancelRequest.select().where(CancelRequest.order == order.id)
         .order_by(CancelRequest.id)],
        _senders_added(OrderEvent._meta.database.connection(), [
            _refund_view(r, order.order_no, accounts, schedule) for r in Refund.select().where(Refund.order == order.id)
            .order_by(Refund.id)]),
        order.refund_pending_fen, facts(order, _refund_sums_of(order)).refundable_fen, order.paid_fen,
        *_hold(order), buyer_info_by_id(order.buyer_ref_id),
    )


def _refund_sums_of(order: Order) -> tuple[int, int] | None:
    """(succeeded, in flight) gross fen of the order's refund rows (``common.refund_sums``)."""
    from .common import refund_sums

    return refund_sums(Order._meta.database.connection(), [order.id]).get(order.id)


def _hold(order: Order) -> tuple[datetime | None, str | None]:
    """Since when and why the order waits for the owner's review, or (None, None)."""
    reason = held_reason(order)
    return (from_epoch(order.held_at), reason) if reason is not None else (None, None)


def list_requests(desk: Desk, state: str | None = None, limit: int = 1000) -> list[RequestView]:
    """Requests by deadline: overdue first, then the soonest due; decided ones after."""
    query = CancelRequest.select(CancelRequest, Order).join(Order)
    if state:
        query = query.where(CancelRequest.state == state)
    query = query.order_by((CancelRequest.state != "open"), CancelRequest.overdue.desc(), CancelRequest.due_at,
                           CancelRequest.id).limit(limit)
    now = desk.now()
    return [_request_view(r, r.order, now, desk.holidays()) for r in query]


def request_view(desk: Desk, request_id: int) -> RequestView:
    req = CancelRequest.get_or_none(CancelRequest.id == request_id)
    if req is None:
        raise not_found("request", request_id)
    return _request_view(req, Order.get_by_id(req.order_id), desk.now(), desk.holidays())


def list_refunds(desk: Desk, state: str | None = None, limit: int = 1000) -> list[RefundView]:
    accounts = _accounts()
    query = Refund.select(Refund, Order.id, Order.order_no).join(Order)  # Order.id: the view's order_id
    if state:
        query = query.where(Refund.state == state)
    query = query.order_by(Refund.id.desc()).limit(limit)
    return _with_senders(desk, [_refund_view(r, r.order.order_no, accounts, desk.holidays()) for r in query])


def _with_senders(desk: Desk, refunds: list[RefundView]) -> list[RefundView]:
    """``refunds`` with who sent each one last (``refund_timeline.senders``)."""
    return _senders_added(desk.db.connection(), refunds)


def _senders_added(con: Any, refunds: list[RefundView]) -> list[RefundView]:
    sent = refund_timeline.senders(con, {v.order_id for v in refunds})
    return [replace(v, sent_by=s.operator, sent_by_hand=s.by_hand) if (s := sent.get(v.refund_no)) else v
            for v in refunds]


def refund_counts(desk: Desk) -> dict[str, int]:
    rows = desk.db.execute_sql("SELECT state, COUNT(*) FROM refund GROUP BY state").fetchall()
    counts = {s.value: 0 for s in REFUND_STATES_SHOWN}
    counts.update({s: n for s, n in rows})
    return counts


def request_counts(desk: Desk) -> dict[str, int]:
    rows = desk.db.execute_sql("SELECT state, COUNT(*) FROM cancel_request GROUP BY state").fetchall()
    counts = {s: 0 for s in ("open", "approved", "auto_approved", "rejected")}
    counts.update({s: n for s, n in rows})
    counts["overdue"] = desk.db.execute_sql(
        "SELECT COUNT(*) FROM cancel_request WHERE state = 'open' AND overdue = 1").fetchone()[0]
    return counts


def refund_view(desk: Desk, refund_id: int) -> RefundView:
    ref = Refund.get_or_none(Refund.id == refund_id)
    if ref is None:
        raise not_found("refund", refund_id)
    return _with_senders(desk, [_refund_view(ref, Order.get_by_id(ref.order_id).order_no, _accounts(),
                                             desk.holidays())])[0]
