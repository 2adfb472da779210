"""Cancel requests and disputes: open, preview, approve, reject, bulk, and the sweep.

Approval is set-based: single and bulk approvals go through ``_approve_batch``, which loads
requests and orders in chunks, applies the domain rules in Python, and writes every change
with executemany in the caller's one transaction.
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import itemgetter
from typing import Any

from ..domain.calendar import HolidaySchedule, RefundEta, refund_eta, response_deadline
from ..domain.clock import from_epoch, to_epoch
from ..domain.codes import units_refunded
from ..domain.decision import Decision, Outcome, decide, is_flagged
from ..domain.errors import DomainError, StoreError
from ..domain.money import format_yuan
from ..domain.notes import check_note, check_notes
from ..domain.order import OUTSIDE_CHANNELS, BuyerHistory, Channel, ReasonCode, RequestFacts, refund_account
from ..domain.policy import CancelPolicy
from ..domain.refund_states import (
    NO_GATEWAY,
    OutsideMethod,
    RefundStatus,
    status_after_refund,
    status_on_approval,
)
from ..domain.refunds import RefundBreakdown, breakdown
from ..domain.roles import PermissionRefused, Right, Role
from ..domain.states import OrderStatus, check_transition
from ..gateways.base import Capability
from ..gateways.registry import classes_for, discover
from ..store.models import CancelRequest, GatewayAccount, Order, Product
from ..store.queries import light_rows
from .approval_check import RULE_APPROVER, approved_on_order
from .changes import Changes, Skipped
from .code_import import fill_all_backorders
from .codes import void_order_codes
from .common import (
    OWNER,
    SYSTEM,
    add_events,
    buyer_history,
    event_row,
    facts,
    get_order,
    not_found,
    operator_name,
    refund_sums,
)
from .desk import Desk
from .orders import _cancel_unpaid, expire_unpaid
from .refund_nos import allocate as allocate_refund_nos

S = OrderStatus
CHUNK = 500


@dataclass(frozen=True)
class Preview:
    """Everything a dialog shows before the owner commits to a cancel or an approval."""

    order_no: str
    status: OrderStatus
    decision: Decision
    breakdown: RefundBreakdown | None
    eta: RefundEta | None
    policy: CancelPolicy
    history: BuyerHistory
    flagged: bool
    gateway_name: str | None
    gateway_kind: str | None
    auto_refund: bool  # the gateway can send this refund by itself
    needs_confirmation: bool  # no idempotency key at the gateway: the owner must confirm
    min_fen: int
    max_fen: int


def _gateway_info(order: Order) -> tuple[str | None, str | None, bool, bool]:
    account_id = refund_account(order.gateway_id, order.channel)
    if account_id is None:
        return None, None, False, False
    account = GatewayAccount.get_by_id(account_id)
    cls = discover().get(account.kind)
    caps: frozenset[Capability] = getattr(cls, "capabilities", frozenset())
    auto = Capability.REFUND in caps
    return account.name, account.kind, auto, auto and Capability.REFUND_IDEMPOTENT not in caps


def preview(
    desk: Desk,
    order_no: str,
    reason: ReasonCode,
    amount_fen: int | None = None,
    note: str = "",
    requested_at: datetime | None = None,
) -> Preview:
    order = get_order(order_no)
    product = Product.get_or_none(Product.id == order.product_id) if order.product_id else None
    policy = desk.product_policy(product)
    history = buyer_history(desk, order)
    now = desk.now()
    request = RequestFacts(reason, requested_at or now, amount_fen, note)
    order_facts = facts(order, refund_sums(desk.db.connection(), [order.id]).get(order.id))
    decision = decide(order_facts, request, now, policy, history)
    bd = eta = None
    if decision.can_approve:
        bd = breakdown(order_facts, amount_fen, fee_rate_permyriad=policy.fee_rate_permyriad,
                       waive_fee=reason is ReasonCode.MERCHANT_FAULT)
        if order.channel:
            eta = refund_eta(Channel(order.channel), now, desk.holidays())
    name, kind, auto, confirm = _gateway_info(order)
    return Preview(order.order_no, S(order.status), decision, bd, eta, policy, history,
                   is_flagged(history, policy), name, kind, auto, confirm,
                   1 if order_facts.refundable_fen > 0 else 0, order_facts.refundable_fen)


def refused(decision: Decision, refundable_fen: int | None = None) -> DomainError:
    """The refusal of ``decision``, its reasons in both languages; an amount out of bounds says
    what may be refunded (``refundable_fen``, fen)."""
    zh = "；".join(r.zh for r in decision.reasons)
    en = "; ".join(r.en for r in decision.reasons)
    if refundable_fen is not None and "amount_out_of_bounds" in decision.codes:
        zh += f"（可退 ¥{format_yuan(refundable_fen)}）"
        en += f" (¥{format_yuan(refundable_fen)} refundable)"
    return DomainError(decision.codes[-1] if decision.codes else "refused", zh, en)


def open_request(
    desk: Desk,
    order_no: str,
    reason: ReasonCode,
    *,
    note: str = "",
    evidence: str = "",
    amount_fen: int | None = None,
    actor: str = OWNER,
    confirm_non_idempotent: bool = False,
    by_rule: bool = True,
) -> tuple[Changes, int | None]:
    """Record a buyer's request. Unpaid orders cancel at once; refusals raise with the reason.
    ``by_rule`` False leaves a request the rules would approve by themselves open, for the
    caller's own decision (``cancel_order``: the person cancelling approves it, under their limit)."""
    desk.require(Right.REQUESTS)
    check_notes(note)
    check_note(evidence, "证据", "the evidence")
    with desk.atomic():
        order = get_order(order_no)
        pv = preview(desk, order_no, reason, amount_fen, note)
        if pv.decision.outcome is Outcome.CANCEL_NOW:
            return _cancel_unpaid(desk, order, reason, note, actor), None
        if pv.decision.outcome is Outcome.REFUSE:
            raise refused(pv.decision, pv.max_fen)
        if CancelRequest.select().where((CancelRequest.order == order.id) & (CancelRequest.state == "open")).exists():
            raise DomainError("request_open", "该订单已有待处理的申请", "this order already has an open request")
        now = desk.now()
        due = response_deadline(now, pv.policy.response_business_days, desk.holidays())
        req = CancelRequest.create(
            order=order.id, is_dispute=pv.decision.is_dispute, reason=reason.value, note=note, evidence=evidence,
            amount_fen=amount_fen, state="open", requested_at=to_epoch(now), due_at=to_epoch(due),
            outcome=pv.decision.outcome.value, decision_reasons=_reasons_json(pv.decision),
        )
        add_events([event_row(order.id, now, actor, "dispute_opened" if pv.decision.is_dispute else "request_opened",
                              note, data={"request_id": req.id, "reason": reason.value, "amount_fen": amount_fen,
                                          "evidence": evidence})])
        changes = Changes(order_ids={order.id}, request_ids={req.id})
        if by_rule and pv.decision.outcome is Outcome.AUTO_APPROVE and not (pv.needs_confirmation
                                                                          and not confirm_non_idempotent):
            changes.merge(_approve_batch(desk, [(req, order, amount_fen)], SYSTEM, "auto_approved",
                                         confirm_non_idempotent, raise_single=True))
        return changes, int(req.id)


def cancel_order(desk: Desk, order_no: str, reason: ReasonCode, note: str = "", *, actor: str = OWNER,
                 confirm_non_idempotent: bool = False) -> Changes:
    """The owner (or an operator) cancels: unpaid at once; paid-not-delivered with a full refund,
    approved by ``actor`` (their approval limit applies; never recorded as the rules' automatic
    approval); delivered refused."""
    desk.require(Right.ORDERS)
    check_notes(note)
    with desk.atomic():
        order = get_order(order_no)
        if order.status == S.PENDING_PAYMENT.value:
            return _cancel_unpaid(desk, order, reason, note, actor)
        if order.delivered_at is not None or order.status in (S.DELIVERED.value, S.COMPLETED.value):
            raise DomainError("delivered_not_cancellable", "已发货订单不可直接取消，只能发起售后争议",
                              "a delivered order cannot be cancelled, only disputed")
        changes, request_id = open_request(desk, order_no, reason, note=note, actor=actor,
                                           confirm_non_idempotent=confirm_non_idempotent, by_rule=False)
        if request_id is not None and CancelRequest.get_by_id(request_id).state == "open":
            changes.merge(approve(desk, request_id, actor=actor, note=note,
                                  confirm_non_idempotent=confirm_non_idempotent))
        return changes


def record_outside(desk: Desk, order_no: str, amount_fen: int, how: OutsideMethod, note: str, *,
                   reason: ReasonCode = ReasonCode.OTHER, actor: str = OWNER) -> tuple[Changes, int]:
    """Record, in one step, a refund of ``amount_fen`` (fen) already made outside the desk (台外退款:
    cash, a bank transfer, another way, or an older system's refund), for ``reason``, with what the
    owner says happened (``note``, required). Returns the changes and the refund's id.

    The desk writes an approved request and its refund, succeeded at once and never queued, so no
    queue or open window can send it: the order's refunded amount and status move as if the refund
    had been confirmed (a paid order not delivered and refunded in whole is cancelled, its stock,
    coupon and reserved 卡密 go back). The cancel policy is not asked (the money is gone already);
    the bounds are: more than 0 and at most what is refundable (paid, less refunded and in flight).
    An operator's approval limit applies as to any approval.

    Raises DomainError ``note_required``, ``outside_method`` (``how`` is the gateway: that is
    ``refunds resolve``), ``not_paid``, ``request_open`` (an open request on the order: reject it
    first or approve it instead), ``nothing_refundable``, ``refund_not_positive``,
    ``refund_exceeds_refundable``; PermissionRefused without the refunds right.
    """
    desk.require(Right.REFUNDS)
    check_notes(note)
    if how is OutsideMethod.GATEWAY:
        raise DomainError("outside_method", "台外退款请选择现金、银行转账或其他方式（网关里的退款请用 refunds resolve）",
                          "a refund made outside the desk is cash, bank_transfer or other (a refund through the "
                          "gateway is recorded with refunds resolve)")
    if not note.strip():
        raise DomainError("note_required", "请写明这笔退款是怎样退给买家的", "say how the buyer was refunded")
    with desk.atomic():
        order = get_order(order_no)
        if order.paid_at is None:
            raise DomainError("not_paid", f"订单 {order.order_no} 未支付，没有可退的钱",
                              f"order {order.order_no} is not paid: there is no money to refund")
        open_req = CancelRequest.get_or_none((CancelRequest.order == order.id) & (CancelRequest.state == "open"))
        if open_req is not None:
            raise DomainError(
                "request_open",
                f"该订单有待处理的申请 #{open_req.id}：若台外退的就是它，先拒绝它（requests reject {open_req.id} "
                "--reason 已在台外退款）再登记，以免再退一次",
                f"this order has an open request #{open_req.id}: if the refund made outside is its refund, reject "
                f"it first (requests reject {open_req.id} --reason ...) and then record it, so it is not paid again")
        now = desk.now()
        req = CancelRequest.create(
            order=order.id, is_dispute=order.delivered_at is not None, reason=reason.value, note=note.strip(),
            evidence="", amount_fen=amount_fen, state="open", requested_at=to_epoch(now), due_at=to_epoch(now),
            outcome=Outcome.NEEDS_REVIEW.value, decision_reasons=json.dumps(
                [{"code": "refunded_outside", "zh": f"台外退款（{how.zh}）", "en": f"refunded outside the desk ({how.en})"}],
                ensure_ascii=False))
        add_events([event_row(order.id, now, actor, "dispute_opened" if req.is_dispute else "request_opened",
                              note.strip(), data={"request_id": req.id, "reason": reason.value,
                                                  "amount_fen": amount_fen, "evidence": ""})])
        changes = _approve_batch(desk, [(req, order, amount_fen)], actor, "approved", False, note=note.strip(),
                                 raise_single=True, outside=how)
        return changes.merge(Changes(request_ids={req.id})), min(changes.refund_ids)


def left_to_cancel(order_id: int) -> int | None:
    """After a part refund of an undelivered order (paid, a refund on its way): what is left
    refundable (fen), which would have to be refunded too to cancel it; None for any other
    order (delivered, cancelled, or nothing refunded in part). Such an order is not cancelled
    and goes out as usual (the seeds' rule: only a refund of everything cancels it)."""
    order = Order.get_or_none(Order.id == order_id)
    if order is None or order.status != OrderStatus.PAID.value or order.delivered_at is not None:
        return None
    left = int(order.paid_fen or 0) - int(order.refunded_fen or 0) - int(order.refund_pending_fen or 0)
    return left if left > 0 and order.refund_pending_fen else None


def approve(desk: Desk, request_id: int, *, amount_fen: int | None = None, actor: str = OWNER, note: str = "",
            confirm_non_idempotent: bool = False, void_code: bool = False, above_request: bool = False) -> Changes:
    """Approve a request (its refund is queued). ``amount_fen``: the refund (fen; None: what the
    buyer asked, or the whole refundable amount). ``void_code``: in a dispute over a delivered,
    unused 卡密, void the code first (services.codes.void_order_codes), in the same transaction,
    so it can never be used once the money goes back. ``above_request``: the person approving
    confirmed an amount above what the buyer asked; without it such an amount (within what is
    refundable: beyond it the approval refuses on its own) raises DomainError
    ``amount_above_request`` naming both amounts, before any money moves (a typo's extra zero)."""
    desk.require(Right.REQUESTS)
    check_notes(note)
    with desk.atomic():
        req = CancelRequest.get_or_none(CancelRequest.id == request_id)
        if req is None:
            raise not_found("request", request_id)
        order = Order.get_by_id(req.order_id)
        if not above_request:
            _check_not_above_request(desk, req, order, amount_fen)
        voided = Changes()
        if void_code:
            voided = void_order_codes(desk, order.order_no, note=note, actor=actor,
                                      units=_void_units(order, amount_fen if amount_fen is not None else req.amount_fen))
        return voided.merge(_approve_batch(desk, [(req, order, amount_fen)], actor, "approved",
                                           confirm_non_idempotent, note=note, raise_single=True))


def _check_not_above_request(desk: Desk, req: CancelRequest, order: Order, amount_fen: int | None) -> None:
    """DomainError ``amount_above_request`` when ``amount_fen`` is more than the request's amount
    and within what the order has left to refund (``approve``'s ``above_request``)."""
    asked = req.amount_fen
    if amount_fen is None or asked is None or amount_fen <= asked:
        return
    refundable = facts(order, refund_sums(desk.db.connection(), [order.id]).get(order.id)).refundable_fen
    if amount_fen > refundable:
        return  # the approval's own bounds refuse it, with their message
    raise DomainError(
        "amount_above_request",
        f"批准金额 ¥{format_yuan(amount_fen)} 多于买家申请的 ¥{format_yuan(asked)}：请确认无误后再批准",
        f"¥{format_yuan(amount_fen)} is more than the ¥{format_yuan(asked)} the buyer asked for: confirm it is "
        "meant before approving")


def _void_units(order: Order, gross_fen: int | None) -> int | None:
    """The codes to void beside a refund of ``gross_fen`` (None: the whole refundable amount, every
    code). Raises DomainError(void_not_whole_units) when a partial refund is not whole units."""
    if gross_fen is None or gross_fen >= int(order.paid_fen or 0):
        return None
    units = units_refunded(int(order.paid_fen or 0), int(order.quantity or 1), gross_fen)
    if units is None:
        unit = format_yuan(int(order.paid_fen or 0) // max(int(order.quantity or 1), 1))
        raise DomainError(
            "void_not_whole_units",
            f"部分退款 ¥{format_yuan(gross_fen)} 不是整数件（单价约 ¥{unit}，共 {order.quantity} 件）：不知道该作废哪个卡密。"
            "请按整件退款（件数 × 单价），或不勾选作废卡密",
            f"a partial refund of ¥{format_yuan(gross_fen)} is not a number of whole units (about ¥{unit} each, "
            f"{order.quantity} units): which code to void cannot be told. Refund whole units (units × unit price), "
            "or approve without voiding the code")
    return units


def reject(desk: Desk, request_id: int, reason_text: str, *, actor: str = OWNER) -> Changes:
    return bulk_reject(desk, [request_id], reason_text, actor=actor, raise_single=True)


def bulk_approve(desk: Desk, request_ids: Sequence[int], *, actor: str = OWNER,
                 confirm_non_idempotent: bool = False) -> Changes:
    desk.require(Right.REQUESTS)
    changes = Changes()
    with desk.atomic():
        items: list[tuple[Any, Any, int | None]] = []
        for chunk in _chunks(request_ids):  # read in chunks, decided and written as one batch
            reqs = {r.id: r for r in light_rows(desk.db, "cancel_request", "id", chunk)}
            orders = {o.id: o for o in light_rows(desk.db, "orders", "id", [r.order_id for r in reqs.values()])}
            for rid in chunk:
                if rid not in reqs:
                    changes.skipped.append(Skipped(str(rid), "request_not_found", "找不到申请", "no such request"))
                    continue
                items.append((reqs[rid], orders[reqs[rid].order_id], None))
        changes.merge(_approve_batch(desk, items, actor, "approved", confirm_non_idempotent))
    return changes


def bulk_reject(desk: Desk, request_ids: Sequence[int], reason_text: str, *, actor: str = OWNER,
                raise_single: bool = False) -> Changes:
    desk.require(Right.REQUESTS)
    check_note(reason_text, "拒绝原因", "the reason")
    reason_text = reason_text.strip()
    if not reason_text:
        raise DomainError("reject_reason_required", "拒绝必须填写原因", "a rejection needs a reason")
    changes = Changes()
    now = desk.now()
    with desk.atomic():
        for chunk in _chunks(request_ids):
            reqs = {r.id: r for r in CancelRequest.select().where(CancelRequest.id.in_(chunk))}
            rows, events = [], []
            for rid in chunk:
                req = reqs.get(rid)
                if req is None or req.state != "open":
                    skip = _not_open(rid, req)
                    if raise_single:
                        raise DomainError(skip.code, skip.zh, skip.en)
                    changes.skipped.append(skip)
                    continue
                rows.append(("rejected", to_epoch(now), actor, reason_text, rid))
                events.append(event_row(req.order_id, now, actor, "request_rejected", reason_text,
                                        data={"request_id": rid}))
                changes.request_ids.add(rid)
                changes.order_ids.add(req.order_id)
            desk.db.connection().executemany(
                "UPDATE cancel_request SET state=?, decided_at=?, decided_by=?, decision_note=? WHERE id=?", rows)
            add_events(events)
    return changes


def bulk_cancel(desk: Desk, order_nos: Sequence[str], reason: ReasonCode, note: str = "", *,
                actor: str = OWNER) -> Changes:
    """Cancel many unpaid orders in one transaction; others are skipped with the reason."""
    desk.require(Right.ORDERS)
    check_notes(note)
    changes = Changes()
    with desk.atomic():
        for order_no in order_nos:
            try:
                with desk.db.savepoint():
                    changes.merge(_cancel_unpaid(desk, get_order(order_no), reason, note, actor))
            except StoreError:
                raise  # the store failed, not this order: stop
            except DomainError as exc:
                changes.skipped.append(Skipped(order_no, exc.code, exc.zh, exc.en))
    return changes


def sweep(desk: Desk, *, by_hand: bool = False) -> tuple[Changes, dict[str, int]]:
    """Expire unpaid orders, auto-approve what qualifies, flag overdue requests, and deliver
    backorders whose codes are on the shelf again (unlocked, returned, or a cancel request
    answered). ``by_hand`` (``kashop-desktop sweep``): a person asked, which needs the requests
    right (PermissionRefused: a viewer may not queue refunds); the window's periodic sweep runs
    whoever is signed in."""
    if by_hand:
        desk.require(Right.REQUESTS)
    now = desk.now()
    changes = expire_unpaid(desk)
    counts = {"expired": len(changes.order_ids), "auto_approved": 0, "overdue": 0}
    with desk.atomic():
        open_reqs = list(CancelRequest.select().where(CancelRequest.state == "open"))
        auto = []
        for req in open_reqs:
            order = Order.get_by_id(req.order_id)
            pv = preview(desk, order.order_no, ReasonCode(req.reason), req.amount_fen, req.note,
                         requested_at=_dt(req.requested_at))
            if pv.decision.outcome is Outcome.AUTO_APPROVE and not pv.needs_confirmation:
                auto.append((req, order, req.amount_fen))
        approved = _approve_batch(desk, auto, SYSTEM, "auto_approved", False)
        counts["auto_approved"] = len(approved.request_ids)
        changes.merge(approved)
        overdue_ids = [r.id for r in CancelRequest.select(CancelRequest.id).where(
            (CancelRequest.state == "open") & (CancelRequest.overdue == False) & (CancelRequest.due_at < to_epoch(now)))]  # noqa: E712
        if overdue_ids:
            CancelRequest.update(overdue=True).where(CancelRequest.id.in_(overdue_ids)).execute()
            reqs = CancelRequest.select(CancelRequest.id, CancelRequest.order).where(CancelRequest.id.in_(overdue_ids))
            add_events(event_row(r.order_id, now, SYSTEM, "request_overdue", "", data={"request_id": r.id})
                       for r in reqs)
        counts["overdue"] = len(overdue_ids)
        changes.request_ids |= set(overdue_ids)
    counts["backorders_delivered"] = len(fill_all_backorders(desk, changes))
    return changes, counts


# ---- internals ---------------------------------------------------------------------------------

def _dt(epoch: int) -> datetime:
    moment = from_epoch(epoch)
    assert moment is not None
    return moment


def _chunks(ids: Sequence[Any]) -> Iterable[list[Any]]:
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), CHUNK):
        yield unique[start : start + CHUNK]


def _reasons_json(decision: Decision) -> str:
    return json.dumps([{"code": r.code, "zh": r.zh, "en": r.en} for r in decision.reasons], ensure_ascii=False)


def _not_open(rid: int, req: CancelRequest | None) -> Skipped:
    if req is None:
        return Skipped(str(rid), "request_not_found", f"找不到申请：{rid}", f"no such request: {rid}")
    zh_word, en_word = _DECIDED.get(req.state, (req.state, req.state))
    return Skipped(str(rid), "request_not_open", f"申请 {rid} 已处理（{zh_word}）",
                   f"request {rid} was already decided ({en_word})")


#: How a decided request's state reads in a refusal (the CLI's and window's labels say the same).
_DECIDED = {"approved": ("已批准", "approved"), "auto_approved": ("自动批准", "approved automatically"),
            "rejected": ("已拒绝", "rejected"), "cancelled_now": ("已直接取消", "cancelled at once")}


def _histories(desk: Desk, orders: Sequence[Order]) -> dict[int | None, BuyerHistory]:
    """Buyer histories for many orders with one grouped query per chunk."""
    since = to_epoch(desk.now() - timedelta(days=desk.policy().risk_window_days))
    ids = [o.buyer_ref_id for o in orders if o.buyer_ref_id is not None]
    result: dict[int | None, BuyerHistory] = {}
    con = desk.db.connection()
    for chunk in _chunks(ids):
        marks = ",".join("?" * len(chunk))
        counts = dict(con.execute(f"SELECT buyer_id, COUNT(*) FROM buyer_cancellation WHERE buyer_id IN ({marks}) "
                                  "AND at >= ? GROUP BY buyer_id", [*chunk, since]).fetchall())
        for buyer_id, flagged, note in con.execute(f"SELECT id, flagged, note FROM buyer WHERE id IN ({marks})", chunk):
            result[buyer_id] = BuyerHistory(counts.get(buyer_id, 0), bool(flagged), note)
    return result


def _counted(desk: Desk, orders: Sequence[Order]) -> set[int]:
    """The ids of ``orders`` already counted among their buyer's cancellations (one grouped
    query per chunk, through the buyer's index)."""
    pairs = {(o.buyer_ref_id, o.id) for o in orders if o.buyer_ref_id is not None}
    found: set[int] = set()
    con = desk.db.connection()
    for chunk in _chunks(sorted({b for b, _ in pairs})):
        marks = ",".join("?" * len(chunk))
        found |= {oid for (oid,) in con.execute(f"SELECT order_id FROM buyer_cancellation WHERE buyer_id IN ({marks})",
                                                chunk)}
    return found & {oid for _, oid in pairs}


@dataclass
class _ApprovalRows:
    """The rows one batch of approvals writes, gathered first and written set-based at the end."""

    requests: list[tuple[Any, ...]] = field(default_factory=list)
    orders: list[tuple[Any, ...]] = field(default_factory=list)
    refunds: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    cancels: list[tuple[int, int, int]] = field(default_factory=list)
    stock_back: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    coupons_back: list[tuple[int, str]] = field(default_factory=list)
    operator: str = ""  # who approved: recorded on each refund
    #: Orders already counted among their buyer's cancellations: each order counts once, however
    #: many of its requests are approved (part refunds one by one are one cancellation).
    counted: set[int] = field(default_factory=set)


def _approve_batch(
    desk: Desk,
    items: Sequence[tuple[CancelRequest, Order, int | None]],
    actor: str,
    state: str,
    confirm_non_idempotent: bool,
    *,
    note: str = "",
    raise_single: bool = False,
    outside: OutsideMethod | None = None,
) -> Changes:
    """Approve ``items`` (request, order, amount in fen or None for the request's) in the caller's
    transaction. ``outside``: the refunds were made outside the desk that way (``record_outside``):
    the cancel policy is not asked and each refund is written succeeded, never queued."""
    changes = Changes()
    if not items:
        return changes
    now = desk.now()
    accounts = {a.id: a for a in GatewayAccount.select()}
    used = {o.gateway_id for _, o, _ in items}
    classes = classes_for(a.kind for a in accounts.values() if a.id in used)  # their capabilities
    products = {p.id: p for p in Product.select()}
    # One number per item, allocated up front: a skipped item only leaves a gap in the sequence.
    refund_nos = iter(allocate_refund_nos(desk, len(items)))
    histories = _histories(desk, [o for _, o, _ in items])
    refunded = refund_sums(desk.db.connection(), [o.id for _, o, _ in items])  # the refund rows, whatever the order's row says
    policies: dict[int | None, CancelPolicy] = {pid: desk.product_policy(p) for pid, p in products.items()}
    rows = _ApprovalRows(operator=operator_name(desk.db), counted=_counted(desk, [o for _, o, _ in items]))
    approved_by: dict[int, int] = {}  # order id -> gross fen this operator approved on it (the limit is per order)
    who = desk.operator
    limited = who is not None and who.role is not Role.OWNER and who.approve_limit_fen is not None
    for req, order, amount in items:
        try:
            plan = _plan_outside(req, order, amount, refunded.get(order.id)) if outside is not None else \
                _plan_approval(req, order, amount, now, policies.get(order.product_id, desk.policy()), accounts,
                               classes, confirm_non_idempotent, histories.get(order.buyer_ref_id, BuyerHistory(0)),
                               desk.holidays(), refunded.get(order.id))
            if state == "approved" and limited:  # the rules' own approvals are not limited
                if order.id not in approved_by:
                    approved_by[order.id] = _approved_by(desk, order.id, rows.operator)
                limit = desk.over_limit(plan[0].gross_fen, approved_by[order.id])
                if limit is not None:
                    raise limit
                approved_by[order.id] += plan[0].gross_fen
        except DomainError as exc:
            if raise_single:
                raise
            if isinstance(exc, PermissionRefused):  # the batch goes on and commits: so does this record
                desk.log_refusal(exc)
            changes.skipped.append(Skipped(str(req.id), exc.code, exc.zh, exc.en))
            continue
        _add_approval(rows, req, order, plan, next(refund_nos), now, actor, state, note, confirm_non_idempotent,
                      outside)
        changes.request_ids.add(req.id)
        changes.order_ids.add(order.id)
    _write_approvals(desk, rows, to_epoch(now))
    if rows.refunds:
        nos = [r["refund_no"] for r in rows.refunds]
        con = desk.db.connection()
        for chunk in _chunks(nos):
            marks = ",".join("?" * len(chunk))
            changes.refund_ids |= {rid for (rid,) in con.execute(f"SELECT id FROM refund WHERE refund_no IN ({marks})",
                                                                  chunk)}
    changes.counts_changed = bool(rows.orders)
    return changes


def _approved_by(desk: Desk, order_id: int, operator: str) -> int:
    """Gross fen of the order's refunds that ``operator`` approved by hand and that were not
    failed or withdrawn (what their per-order approval limit has already covered), read from the
    chained approval entries (``services.approval_check``), not the refund rows' approver column."""
    return approved_on_order(desk.db.connection(), order_id, operator)


def _by_hand_why(order: Order) -> str:
    """Why a refund has no gateway to send it (待人工处理): the order has no account, or the buyer
    paid the owner directly (cash, a bank transfer: ``OUTSIDE_CHANNELS``)."""
    if order.channel in OUTSIDE_CHANNELS:
        how = Channel(order.channel)
        return f"买家以{how.zh}直接付给本店，不经网关：需手工退款 / paid to the shop directly by {how.en.lower()}, not " \
               "through a gateway: refund by hand"
    return "没有可用的网关账户，需手工退款 / no gateway account: refund by hand"


def _add_approval(
    rows: _ApprovalRows, req: CancelRequest, order: Order,
    plan: tuple[RefundBreakdown, OrderStatus, RefundEta | None, int | None, bool], refund_no: str, now: datetime,
    actor: str, state: str, note: str, confirm_non_idempotent: bool, outside: OutsideMethod | None = None,
) -> None:
    """Apply one planned approval to the order in memory and gather the rows it writes
    (``outside``: a refund made outside the desk, written succeeded)."""
    bd, target, eta, gateway_id, needs_conf = plan
    now_s = to_epoch(now)
    before = order.status
    stock_released = False
    if target is S.CANCELLED and before != S.CANCELLED.value:  # everything refunded before delivery
        if order.stock_reserved and order.product_id is not None:
            rows.stock_back[order.product_id] += order.quantity
            order.stock_reserved = False
            stock_released = True
        if bd.coupon_returned and order.coupon_code and not order.coupon_returned:
            rows.coupons_back.append((order.id, order.coupon_code))
            order.coupon_returned = True
        order.cancelled_at = now_s
    order.points_refunded += bd.points_returned
    if outside is None:  # the money is in flight (退款中) until the gateway confirms; refunded_fen waits for that
        order.refund_pending_fen += bd.gross_fen
        order.status = target.value
    else:  # gone back already: counted as a confirmed refund is (refund_owner.move_refund)
        order.refunded_fen += bd.gross_fen
        order.status = status_after_refund(target, order.paid_fen, order.refunded_fen,
                                           order.delivered_at is not None).value
    rows.orders.append((order.status, order.refund_pending_fen, order.refunded_fen, order.points_refunded,
                        order.cancelled_at, int(order.coupon_returned), int(order.stock_reserved), now_s, order.id))
    rows.requests.append((state, now_s, actor, note, req.id))
    rows.refunds.append({
        "order": order.id, "request": req.id, "refund_no": refund_no, "gateway": gateway_id,
        "channel": order.channel, "gross_fen": bd.gross_fen, "fee_fen": bd.fee_fen, "amount_fen": bd.net_fen,
        "coupon_share_fen": bd.coupon_share_fen, "points_returned": bd.points_returned,
        # Without a gateway account nothing can send it: the owner refunds by hand (待人工处理).
        "state": RefundStatus.QUEUED.value if gateway_id else RefundStatus.NEEDS_OWNER.value,
        "needs_confirmation": needs_conf, "confirmed": needs_conf and confirm_non_idempotent,
        "created_at": now_s, "next_attempt_at": 0, "attempts": 0, "checks": 0, "resolved_how": "", "settled_at": None,
        "operator": RULE_APPROVER if state == "auto_approved" else rows.operator,  # the rule decided
        "security_warning": False,
        "last_error_kind": "" if gateway_id else NO_GATEWAY,
        "eta_earliest": eta.earliest.isoformat() if eta else None,
        "eta_latest": eta.latest.isoformat() if eta else None,
        "last_error": "" if gateway_id else _by_hand_why(order),
    })
    if outside is not None:
        rows.refunds[-1].update(state=RefundStatus.SUCCEEDED.value, gateway=None, resolved_how=outside.value,
                                settled_at=now_s, last_error=note, last_error_kind="manual")
    rows.events.append(event_row(order.id, now, actor, "auto_approved" if state == "auto_approved" else "approved",
                                 note, before, target.value,
                                 {"request_id": req.id, "refund_no": refund_no, "gross_fen": bd.gross_fen,
                                  "fee_fen": bd.fee_fen, "net_fen": bd.net_fen, "points_returned": bd.points_returned,
                                  "coupon_share_fen": bd.coupon_share_fen, "stock_released": stock_released}))
    if outside is not None:
        rows.events.append(event_row(order.id, now, actor, "refund_resolved", note, target.value, order.status,
                                     {"refund_no": refund_no, "succeeded": True, "how": outside.value,
                                      "amount_fen": bd.net_fen}))
    if order.buyer_ref_id is not None and not req.is_dispute and before != S.CANCELLED.value \
            and order.id not in rows.counted:
        # (An order cancelled before, its money returned only now, was counted when it was cancelled.)
        rows.cancels.append((order.buyer_ref_id, order.id, now_s))
        rows.counted.add(order.id)


def _write_approvals(desk: Desk, rows: _ApprovalRows, now_s: int) -> None:
    """Write a batch's gathered rows with one executemany per table."""
    con = desk.db.connection()
    con.executemany("UPDATE cancel_request SET state=?, decided_at=?, decided_by=?, decision_note=? WHERE id=?",
                    rows.requests)
    con.executemany("UPDATE orders SET status=?, refund_pending_fen=?, refunded_fen=?, points_refunded=?, cancelled_at=?, "
                    "coupon_returned=?, stock_reserved=?, updated_at=? WHERE id=?", rows.orders)
    con.executemany("UPDATE product SET stock = stock + ? WHERE id = ?",
                    [(n, pid) for pid, n in rows.stock_back.items()])
    # An order cancelled before delivery gives back the 卡密 it held (reserved -> available).
    con.executemany("UPDATE card_code SET state = 'available', order_id = NULL WHERE order_id = ? AND state = 'reserved'",
                    [(row[-1],) for row in rows.orders if row[0] == S.CANCELLED.value])
    con.executemany("UPDATE coupon SET used_by_order = NULL WHERE used_by_order = ? AND code = ?", rows.coupons_back)
    if rows.refunds:
        columns = list(rows.refunds[0])
        con.executemany(
            f"INSERT INTO refund ({', '.join(c + '_id' if c in ('order', 'request', 'gateway') else c for c in columns)})"
            f" VALUES ({', '.join('?' * len(columns))})",
            list(map(itemgetter(*columns), rows.refunds)),
        )
    if rows.cancels:
        con.executemany("INSERT INTO buyer_cancellation (buyer_id, order_id, at) VALUES (?, ?, ?)", rows.cancels)
        per_buyer: dict[int, int] = defaultdict(int)
        for buyer_id, _, _ in rows.cancels:
            per_buyer[buyer_id] += 1
        con.executemany("UPDATE buyer SET cancel_count = cancel_count + ?, last_cancel_at = ? WHERE id = ?",
                        [(n, now_s, b) for b, n in per_buyer.items()])
    add_events(rows.events)


def _plan_outside(req: CancelRequest, order: Order, amount: int | None, refunds: tuple[int, int] | None,
                  ) -> tuple[RefundBreakdown, OrderStatus, RefundEta | None, int | None, bool]:
    """The plan of a refund made outside the desk: bounds and the status move, no policy, no fee,
    no gateway (``record_outside``)."""
    if req.state != "open":
        skip = _not_open(req.id, req)
        raise DomainError(skip.code, skip.zh, skip.en)
    order_facts = facts(order, refunds)
    bd = breakdown(order_facts, amount if amount is not None else req.amount_fen, waive_fee=True)
    target = status_on_approval(order_facts, bd.gross_fen)
    if target is not S(order.status):
        check_transition(S(order.status), target, delivered=order.delivered_at is not None)
    return bd, target, None, None, False


def _plan_approval(
    req: CancelRequest, order: Order, amount: int | None, now: datetime, policy: CancelPolicy,
    accounts: dict[int, GatewayAccount], classes: dict[str, Any], confirm: bool, history: BuyerHistory,
    schedule: HolidaySchedule, refunds: tuple[int, int] | None = None,
) -> tuple[RefundBreakdown, OrderStatus, RefundEta | None, int | None, bool]:
    if req.state != "open":
        skip = _not_open(req.id, req)
        raise DomainError(skip.code, skip.zh, skip.en)
    amount = amount if amount is not None else req.amount_fen
    reason = ReasonCode(req.reason)
    order_facts = facts(order, refunds)
    decision = decide(order_facts, RequestFacts(reason, _dt(req.requested_at), amount, req.note), now, policy,
                      history)
    if not decision.can_approve:
        raise refused(decision, order_facts.refundable_fen)
    bd = breakdown(order_facts, amount, fee_rate_permyriad=policy.fee_rate_permyriad,
                   waive_fee=reason is ReasonCode.MERCHANT_FAULT)
    delivered = order.delivered_at is not None
    target = status_on_approval(order_facts, bd.gross_fen)
    if target is not S(order.status):
        check_transition(S(order.status), target, delivered=delivered)
    gateway_id = refund_account(order.gateway_id, order.channel)  # paid outside every gateway: by hand
    needs_conf = False
    if gateway_id is not None and gateway_id in accounts:
        caps: frozenset[Capability] = getattr(classes.get(accounts[gateway_id].kind), "capabilities", frozenset())
        needs_conf = Capability.REFUND in caps and Capability.REFUND_IDEMPOTENT not in caps
        if needs_conf and not confirm:
            raise DomainError(
                "confirm_non_idempotent",
                "该网关（如易支付V1）没有退款幂等保护：退款不会自动重试，请确认后再批准",
                "this gateway (e.g. 易支付 V1) has no refund idempotency: refunds are never retried "
                "automatically; confirm to approve",
            )
    eta = _refund_eta(Channel(order.channel), now, schedule) if order.channel else None
    return bd, target, eta, gateway_id, needs_conf


#: ``refund_eta`` remembered: a batch asks it once per channel (the same moment and calendar).
_refund_eta = functools.lru_cache(maxsize=32)(refund_eta)
