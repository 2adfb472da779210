"""Reconciliation (对账): a gateway's own record of one day against the desk's orders and refunds.

The gateway's record (``adapter.list_transactions`` for the day):
  * Alipay: the daily ``trade`` bill (bill_download_url, a zip of CSV), payments and refunds made
    that day; WeChat Pay: the daily trade bill (``/v3/bill/tradebill``), the same;
  * 易支付: its order list (``act=orders`` / ``api/merchant/orders``) for orders *created* that
    day, with each order's status and (V2 only) its cumulative refunded money; V1 names no
    refunded amount, only status 2 (refunded).
The desk's side: orders of the account paid that day (created that day for 易支付) and refunds
that succeeded that day (cumulative refunded money for 易支付).

Differences (``KINDS``): paid there but unpaid here; paid here but not there; amounts that
differ; refunded there but not here, and the reverse; trades the desk does not know. "Paid
there, unpaid here" is fixable: the payment is taken through ``payments.take_payment`` (the
same exactly-once 补单 as payment sync). Every difference can be marked explained with a note.
Both write a ``recon_mark`` row (schema 8) and, where an order is concerned, a timeline event;
a report made again shows the marks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from ..domain.clock import SHOP_TZ, to_epoch
from ..domain.errors import DomainError
from ..domain.money import format_yuan
from ..domain.notes import check_notes
from ..domain.order import OUTSIDE_CHANNELS
from ..domain.refund_states import RefundStatus
from ..domain.roles import Right
from ..gateways.base import Capability, PaymentState, TxQuery, TxRecord
from ..store.models import GatewayAccount, Order, ReconMark, Refund
from .changes import Changes
from .common import OWNER, add_events, event_row, not_found
from .desk import Desk
from .gateways import make_adapter
from .payments import flag_of, take_payment

KINDS: dict[str, tuple[str, str]] = {
    "paid_there_unpaid_here": ("网关已收款，本店未记支付", "paid at the gateway, unpaid here"),
    "paid_here_not_there": ("本店记为已支付，网关当天记录里没有这笔收款", "paid here, not in the gateway's record"),
    "amount_differs": ("金额不一致", "amounts differ"),
    "paid_twice": ("付了两次：本店记录的交易号与网关收款的交易号不同（订单已用另一笔付款支付）",
                   "paid twice: the desk's trade no differs from the gateway's payment (the order was paid "
                   "another way too)"),
    "refunded_there_not_here": ("网关已退款，本店未记退款", "refunded at the gateway, not here"),
    "refunded_here_not_there": ("本店记为已退款，网关当天记录里没有这笔退款", "refunded here, not in the gateway's record"),
    "unknown_trade": ("本店没有的交易", "a trade the desk does not know"),
}
PAID_STATES = (PaymentState.PAID, PaymentState.PARTIALLY_REFUNDED, PaymentState.REFUNDED)
#: Gateways whose record is an order list with cumulative refunds (not a day's bill).
LIST_KINDS = ("epay_v1", "epay_v2")
MAX_RECORDS = 5000


@dataclass(frozen=True)
class Difference:
    """One line of the report. ``key`` is stable across runs (kind and out_trade_no); amounts in
    fen (None: that side has none); ``mark`` is "", "fixed" or "explained"."""

    key: str
    kind: str
    out_trade_no: str
    order_no: str | None
    trade_no: str | None
    gateway_fen: int | None
    desk_fen: int | None
    mark: str = ""
    mark_note: str = ""

    @property
    def fixable(self) -> bool:
        return self.kind == "paid_there_unpaid_here" and self.order_no is not None and not self.mark

    @property
    def zh(self) -> str:
        return KINDS[self.kind][0]

    @property
    def en(self) -> str:
        return KINDS[self.kind][1]


@dataclass
class ReconReport:
    """A day's reconciliation of one account: ``records`` the gateway listed, ``matched`` the ones
    that agree with the desk."""

    gateway_id: int
    gateway: str
    kind: str
    day: date
    records: int = 0
    matched: int = 0
    differences: list[Difference] = field(default_factory=list)
    gateway_records: list[TxRecord] = field(default_factory=list, repr=False)

    @property
    def open_differences(self) -> list[Difference]:
        return [d for d in self.differences if not d.mark]


def day_window(day: date) -> tuple[int, int]:
    """[start, end) of a Beijing day in epoch seconds."""
    start = datetime.combine(day, time(0), SHOP_TZ)
    return to_epoch(start), to_epoch(start + timedelta(days=1))


def account_for(name: str) -> GatewayAccount:
    acct = GatewayAccount.get_or_none(GatewayAccount.name == name.strip())
    if acct is None:
        raise not_found("gateway", name)
    return acct


#: When a day's bill is ready the next day (Beijing time): Alipay's trade bill from about 09:00
#: (gateways.md §2.9), WeChat Pay's after 10:00 (gateways.md, 申请交易账单). 易支付's order list is
#: read live and needs no wait.
BILL_READY_AT: dict[str, time] = {"alipay": time(9, 0), "wechatpay_v3": time(10, 0)}


def check_day(desk: Desk, day: date, kind: str = "") -> None:
    """A day's record exists only once the day is over, and a bill only from its ready time the
    next morning (BILL_READY_AT): before that the gateway has none (or an incomplete one), and
    every paid order would look missing. Raises DomainError day_not_over / bill_not_ready."""
    now = desk.now()
    if day >= now.date():
        raise DomainError("day_not_over", f"只能对已经结束的日子对账（{day.isoformat()} 还没有结束）",
                          f"only a day that is over can be reconciled ({day.isoformat()} is not over yet)")
    ready = BILL_READY_AT.get(kind)
    if ready is not None and now < datetime.combine(day + timedelta(days=1), ready, SHOP_TZ):
        at = f"{day + timedelta(days=1):%Y-%m-%d} {ready:%H:%M}"
        raise DomainError("bill_not_ready", f"网关的 {day.isoformat()} 对账单还没有生成（北京时间 {at} 之后才有）：请到时再对账",
                          f"the gateway's bill for {day.isoformat()} is not ready yet (from {at} Beijing time): "
                          "reconcile it then")


async def reconcile(desk: Desk, gateway: str, day: date, *, adapter_kw: dict[str, Any] | None = None) -> ReconReport:
    """Fetch the gateway's record of ``day`` and compare. Raises DomainError (unknown account,
    day not over, gateway without a record to read) and GatewayError (from the adapter)."""
    acct, records = await fetch_records(desk, gateway, day, adapter_kw=adapter_kw)
    return compare(desk, acct, day, records)


async def fetch_records(desk: Desk, gateway: str, day: date, *,
                        adapter_kw: dict[str, Any] | None = None) -> tuple[GatewayAccount, list[TxRecord]]:
    """The account and the gateway's record of ``day`` (the network part of ``reconcile``)."""
    check_day(desk, day)
    acct = account_for(gateway)
    check_day(desk, day, str(acct.kind))
    adapter = make_adapter(desk, acct.id, books=False, **(adapter_kw or {}))
    try:
        if Capability.LIST_TRANSACTIONS not in adapter.capabilities:
            raise DomainError("no_statement", f"{acct.name} 的网关没有可读取的账单或订单列表，无法对账",
                              f"the gateway of {acct.name} has no bill or order list to read; cannot reconcile")
        records: list[TxRecord] = await adapter.list_transactions(TxQuery(start=day, end=day, limit=MAX_RECORDS))
    finally:
        await adapter.aclose()
    return acct, records


def compare(desk: Desk, acct: GatewayAccount, day: date, records: list[TxRecord]) -> ReconReport:
    """The differences between ``records`` (the gateway's) and the desk (reads only)."""
    report = ReconReport(acct.id, acct.name, acct.kind, day, records=len(records), gateway_records=list(records))
    cumulative = acct.kind in LIST_KINDS
    by_otn = {r.out_trade_no: r for r in records}
    orders = _orders_by_no(list(by_otn))
    start, end = day_window(day)
    refunds_that_day = _refunds_settled(acct.id, start, end)
    found: list[Difference] = []
    for record in records:
        order = orders.get(record.out_trade_no)
        if order is not None and order.gateway_id not in (None, acct.id):
            order = None  # another account's order under the same number
        found += _record_differences(record, order, cumulative, refunds_that_day)
    found += _desk_side(acct.id, start, end, by_otn, cumulative, refunds_that_day)
    report.differences = _with_marks(acct.id, day, found)
    touched = {d.out_trade_no for d in found}
    report.matched = sum(1 for r in records if r.out_trade_no not in touched)
    return report


def recompare(desk: Desk, report: ReconReport) -> ReconReport:
    """The same gateway record compared again (after a fix or a mark changed the desk's side)."""
    acct = GatewayAccount.get_by_id(report.gateway_id)
    return compare(desk, acct, report.day, report.gateway_records)


def _orders_by_no(numbers: list[str]) -> dict[str, Order]:
    found: dict[str, Order] = {}
    for at in range(0, len(numbers), 500):
        for order in Order.select().where(Order.order_no.in_(numbers[at:at + 500])):
            found[order.order_no] = order
    return found


def _refunds_settled(gateway_id: int, start: int, end: int) -> dict[int, int]:
    """Order id -> fen of this account's refunds that succeeded in [start, end)."""
    sums: dict[int, int] = {}
    for refund in Refund.select(Refund.order, Refund.amount_fen).where(
            (Refund.gateway == gateway_id) & (Refund.state == RefundStatus.SUCCEEDED.value)
            & (Refund.settled_at >= start) & (Refund.settled_at < end)):
        sums[refund.order_id] = sums.get(refund.order_id, 0) + int(refund.amount_fen)
    return sums


def _diff(kind: str, record_otn: str, order: Order | None, trade_no: str | None, gateway_fen: int | None,
          desk_fen: int | None) -> Difference:
    return Difference(f"{kind}:{record_otn}", kind, record_otn, order.order_no if order else None, trade_no,
                      gateway_fen, desk_fen)


def _record_differences(record: TxRecord, order: Order | None, cumulative: bool,
                        refunds_that_day: dict[int, int]) -> list[Difference]:
    paid_there = record.state in PAID_STATES and record.amount_fen > 0
    refunded_there = record.refunded_fen or 0
    otn, trade_no = record.out_trade_no, record.gateway_trade_no
    if order is None:
        return [_diff("unknown_trade", otn, None, trade_no, record.amount_fen, None)] if paid_there or refunded_there \
            else []
    out: list[Difference] = []
    if paid_there and order.paid_at is None:
        out.append(_diff("paid_there_unpaid_here", otn, order, trade_no, record.amount_fen, order.paid_fen))
    elif paid_there and record.amount_fen != order.paid_fen:
        out.append(_diff("amount_differs", otn, order, trade_no, record.amount_fen, order.paid_fen))
    elif paid_there and _other_trade(order, trade_no):
        out.append(_diff("paid_twice", otn, order, trade_no, record.amount_fen, order.paid_fen))
    desk_refunded = int(order.refunded_fen) if cumulative else refunds_that_day.get(order.id, 0)
    if record.refunded_fen is None and record.state is PaymentState.REFUNDED and not order.refunded_fen:
        out.append(_diff("refunded_there_not_here", otn, order, trade_no, None, 0))  # 易支付 V1: amount not given
    elif refunded_there > desk_refunded:
        out.append(_diff("refunded_there_not_here", otn, order, trade_no, refunded_there, desk_refunded))
    elif cumulative and record.refunded_fen is not None and desk_refunded > refunded_there:
        out.append(_diff("refunded_here_not_there", otn, order, trade_no, refunded_there, desk_refunded))
    return out


def _other_trade(order: Order, trade_no: str | None) -> bool:
    """Whether the desk recorded the order's payment under another trade no than the gateway's
    (a bank transfer or cash marked paid while the buyer paid the QR as well)."""
    mine, theirs = (order.gateway_trade_no or "").strip(), (trade_no or "").strip()
    return bool(mine and theirs and mine != theirs)


def _desk_side(gateway_id: int, start: int, end: int, by_otn: dict[str, TxRecord], cumulative: bool,
               refunds_that_day: dict[int, int]) -> list[Difference]:
    """What the desk holds for the day that the gateway's record lacks."""
    when = Order.created_at if cumulative else Order.paid_at
    # An order begun with the account but paid to the shop directly (cash, a transfer) has no
    # payment at the gateway to find; a QR payment found there all the same is the record's own difference.
    paid = Order.select().where((Order.gateway == gateway_id) & Order.paid_at.is_null(False)
                                & (when >= start) & (when < end)
                                & (Order.channel.is_null() | Order.channel.not_in(sorted(OUTSIDE_CHANNELS))))
    out: list[Difference] = []
    for order in paid:
        record = by_otn.get(order.order_no)
        if record is None or record.state not in PAID_STATES:
            out.append(_diff("paid_here_not_there", order.order_no, order, order.gateway_trade_no,
                             record.amount_fen if record else None, order.paid_fen))
    if cumulative:
        return out  # refunds were compared per order, cumulatively
    for order in Order.select().where(Order.id.in_(list(refunds_that_day))):
        record = by_otn.get(order.order_no)
        there = (record.refunded_fen or 0) if record else 0
        if there < refunds_that_day[order.id]:
            out.append(_diff("refunded_here_not_there", order.order_no, order, order.gateway_trade_no, there,
                             refunds_that_day[order.id]))
    return out


def _with_marks(gateway_id: int, day: date, found: Iterable[Difference]) -> list[Difference]:
    marks = {m.key: m for m in ReconMark.select().where((ReconMark.gateway == gateway_id)
                                                         & (ReconMark.day == day.isoformat()))}
    out = []
    for d in found:
        mark = marks.pop(d.key, None)
        out.append(replace(d, mark=mark.state, mark_note=mark.note) if mark else d)
    # Marked differences that are gone now (fixed, or settled since) stay in the report as marked.
    out += [Difference(m.key, m.kind, m.out_trade_no, m.order_no, m.trade_no, m.gateway_fen, m.desk_fen, m.state,
                       m.note) for m in marks.values() if m.kind in KINDS]
    return sorted(out, key=lambda d: (bool(d.mark), list(KINDS).index(d.kind), d.out_trade_no))


def find(report: ReconReport, key: str) -> Difference:
    for d in report.differences:
        if d.key == key:
            return d
    raise DomainError("no_such_difference", f"对账结果里没有这一项：{key}", f"no such difference in the report: {key}")


#: take_payment outcomes after which the order is paid here with the gateway's trade no.
FIXED_BY = frozenset({"paid", "paid_delivered", "late_reopened", "late_backorder", "already_paid"})


def fix_difference(desk: Desk, report: ReconReport, key: str, *, confirmed: bool,
                   actor: str = OWNER) -> tuple[Changes, str]:
    """Fix "paid there, unpaid here" by taking the gateway's payment (补单, exactly once).
    Returns what changed and the payments outcome code (one of FIXED_BY). Raises DomainError when
    the difference cannot be fixed, the confirmation is missing, or the payment was refused
    (``fix_refused``, saying why; the order is flagged and the difference stays open)."""
    desk.require(Right.ORDERS)
    d = find(report, key)
    if not confirmed:
        raise DomainError("confirmation_required", "修正需要确认（--yes）", "a fix needs a confirmation (--yes)")
    if not d.fixable or d.order_no is None or not d.trade_no or d.gateway_fen is None:
        raise DomainError("not_fixable", f"这一项不能自动修正，只能标记为已说明：{d.zh}",
                          f"this difference cannot be fixed here, only marked explained: {d.en}")
    outcome = take_payment(desk, d.order_no, gateway_id=report.gateway_id, trade_no=d.trade_no,
                           amount_fen=d.gateway_fen, source="reconcile")
    if outcome.code not in FIXED_BY:
        # Refused (take_payment flagged the order for the owner): the difference stays open.
        _, facts = flag_of(Order.get(Order.order_no == d.order_no).id)
        why_zh, why_en = (f"（{facts['why']}）", f" ({facts['why_en']})") if facts.get("why") else ("", "")
        raise DomainError("fix_refused", f"未修正，差异仍待处理：{outcome.zh}{why_zh}",
                          f"not fixed, the difference stays open: {outcome.en}{why_en}")
    _mark(desk, report, d, "fixed", outcome.code, actor)
    return outcome.changes, outcome.code


def explain_difference(desk: Desk, report: ReconReport, key: str, note: str, *, actor: str = OWNER) -> Changes:
    """Mark a difference explained with the owner's note (required)."""
    desk.require(Right.ORDERS)
    check_notes(note)
    d = find(report, key)
    if not note.strip():
        raise DomainError("note_required", "请写明原因", "write down the explanation")
    return _mark(desk, report, d, "explained", note.strip(), actor)


def _mark(desk: Desk, report: ReconReport, d: Difference, state: str, note: str, actor: str) -> Changes:
    now = desk.now()
    changes = Changes()
    with desk.atomic():
        (ReconMark.insert(gateway=report.gateway_id, day=report.day.isoformat(), key=d.key, kind=d.kind,
                          out_trade_no=d.out_trade_no, order_no=d.order_no, trade_no=d.trade_no,
                          gateway_fen=d.gateway_fen, desk_fen=d.desk_fen, state=state, note=note, actor=actor,
                          at=to_epoch(now))
         .on_conflict(conflict_target=[ReconMark.gateway, ReconMark.day, ReconMark.key],
                      preserve=[ReconMark.kind, ReconMark.out_trade_no, ReconMark.order_no, ReconMark.trade_no,
                                ReconMark.gateway_fen, ReconMark.desk_fen, ReconMark.state, ReconMark.note,
                                ReconMark.actor, ReconMark.at]).execute())
        if d.order_no is not None:
            order = Order.get(Order.order_no == d.order_no)
            data = {"day": report.day.isoformat(), "gateway": report.gateway, "difference": d.kind,
                    "gateway_fen": d.gateway_fen, "desk_fen": d.desk_fen}
            add_events([event_row(order.id, now, actor, f"recon_{state}", f"{d.zh}：{note}", data=data)])
            changes.order_ids.add(order.id)
    return changes


def amount_text(fen: int | None) -> str:
    return "" if fen is None else format_yuan(fen, symbol=True)


def report_json(report: ReconReport) -> dict[str, Any]:
    """The report for ``--json`` (amounts in fen)."""
    return {"gateway": report.gateway, "kind": report.kind, "date": report.day.isoformat(),
            "records": report.records, "matched": report.matched,
            "differences": [{"key": d.key, "kind": d.kind, "zh": d.zh, "en": d.en, "out_trade_no": d.out_trade_no,
                             "order_no": d.order_no, "trade_no": d.trade_no, "gateway_fen": d.gateway_fen,
                             "desk_fen": d.desk_fen, "fixable": d.fixable, "mark": d.mark, "mark_note": d.mark_note}
                            for d in report.differences]}
