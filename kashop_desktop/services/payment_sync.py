"""Payment sync (自动补单): ask the gateway about every unpaid order that has a gateway trade.

Callbacks get lost and a shop PC behind NAT never receives them, so the desk asks instead:

* Watched: orders of an enabled account whose gateway can be asked (Capability.QUERY_PAYMENT)
  that are unpaid, or cancelled/expired unpaid within ``LATE_WATCH_SECONDS`` (a buyer may still
  pay a trade nobody closed: a late payment) unless the trade was closed at the gateway.
* Each is asked with back-off (``BACKOFF``: 15 s doubling to an hour); ``run(order_nos=...)``
  asks the given orders at once, whatever their schedule.
* A verified "paid" goes through ``payments.take_payment`` (exactly once, flags for amount or
  trade-no trouble). "Paid and refunded" is flagged. A trade the gateway does not know, one
  still waiting, closed or frozen, is left alone and asked again later.
* An unreachable gateway guesses nothing: the order is asked again after ``OFFLINE_RETRY``
  seconds and the report names the gateway; a reply whose signature fails is never taken.
Database steps go through ``run_db`` so the window keeps them on its worker thread.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from peewee import JOIN, fn

from ..domain.clock import from_epoch, to_epoch
from ..domain.errors import DomainError, StoreError
from ..domain.roles import Right
from ..domain.states import OrderStatus
from ..gateways.base import Capability, ErrorKind, GatewayError, PaymentRef, PaymentSnapshot, PaymentState
from ..gateways.registry import discover
from ..store.models import GatewayAccount, Order, PaymentWatch
from .changes import Changes
from .desk import Desk
from .gateways import GatewayClients, RunDb
from .payments import PaymentOutcome, flag_order, take_payment, watch_of

S = OrderStatus
BACKOFF = (15, 30, 60, 120, 300, 600, 1200, 1800, 3600)
OFFLINE_RETRY = 120
MISCONFIGURED_RETRY = 600
LATE_WATCH_SECONDS = 48 * 3600
#: Expired orders are found among those created this recently (the status/created_at index keeps
#: the search off the million old cancelled orders); an order asked for by number is found anyway.
RECENT_SECONDS = 30 * 24 * 3600

#: What a check found, for people: code -> (zh, en).
ANSWERS: dict[str, tuple[str, str]] = {
    "pending": ("网关：等待买家付款", "gateway: waiting for the buyer to pay"),
    "not_found": ("网关：没有这笔交易（买家尚未扫码或未下单），不做处理", "gateway: no such trade (not scanned or not "
                  "created yet); left alone"),
    "closed": ("网关：交易已关闭", "gateway: the trade is closed"),
    "frozen": ("网关：交易已冻结", "gateway: the trade is frozen"),
    "unknown": ("网关：交易状态无法识别，不做处理", "gateway: unrecognised trade state; left alone"),
    "unreachable": ("网关无法连接：什么都没有改动，稍后自动再查", "gateway unreachable: nothing changed, asked again later"),
    "error": ("查询失败：什么都没有改动，稍后再查", "the query failed: nothing changed, asked again later"),
    "incomplete": ("网关说已付款，但回复没有交易号或金额：未补单", "the gateway says paid but names no trade no or "
                   "amount: not marked paid"),
    "paid_here": ("订单已支付，无需同步", "the order is already paid; nothing to sync"),
    "not_watched": ("该订单不需要同步（已支付、没有可查询的网关账户，或已超出迟到付款的等待期）",
                    "this order needs no sync (paid, no gateway account that can be asked, or past the late-payment "
                    "window)"),
}


def _paid_trade_nos(order_nos: list[str]) -> dict[str, str]:
    """Order no -> recorded trade no ("—" for none) of those of ``order_nos`` that are paid."""
    rows = Order.select(Order.order_no, Order.gateway_trade_no).where(
        Order.order_no.in_(order_nos) & Order.paid_at.is_null(False))
    return {o.order_no: (o.gateway_trade_no or "—") for o in rows}


def backoff_seconds(checks: int) -> int:
    return BACKOFF[min(max(checks, 0), len(BACKOFF) - 1)]


@dataclass(frozen=True)
class SyncJob:
    order_id: int
    order_no: str
    gateway_id: int
    trade_no: str | None


@dataclass
class SyncResult:
    """One order's check: ``code`` is a key of ANSWERS or of payments.OUTCOMES."""

    order_no: str
    code: str
    zh: str
    en: str
    delivered: bool = False
    flagged: bool = False
    detail: str = ""


@dataclass
class SyncReport:
    checked: int = 0
    paid: int = 0
    delivered: int = 0
    flagged: int = 0
    errors: int = 0
    results: list[SyncResult] = field(default_factory=list)
    unreachable_gateways: set[int] = field(default_factory=set)
    reachable_gateways: set[int] = field(default_factory=set)
    changes: Changes = field(default_factory=Changes)
    #: Why orders could not even be asked, (zh, en) -> order nos (a locked key vault, a plugin missing).
    not_checked: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    #: Trades closed before the sync (trade_close.CloseResult), when the caller closed them too.
    closes: list[Any] = field(default_factory=list)



def syncable_accounts() -> list[int]:
    """Enabled accounts whose gateway can be asked about a payment."""
    kinds = {kind for kind, cls in discover().items() if Capability.QUERY_PAYMENT in cls.capabilities}
    return [a.id for a in GatewayAccount.select(GatewayAccount.id, GatewayAccount.kind)
            .where(GatewayAccount.enabled == True) if a.kind in kinds]  # noqa: E712


def watched(now_s: int, accounts: list[int], *, recent: bool = True) -> Any:
    """The orders payment sync watches at ``now_s`` (a peewee condition on Order, PaymentWatch);
    ``recent`` narrows expired ones to those created in RECENT_SECONDS (for the index)."""
    created = (Order.created_at >= now_s - RECENT_SECONDS) if recent else (Order.id > 0)
    late = ((Order.status == S.CANCELLED.value) & created
            & (Order.cancelled_at >= now_s - LATE_WATCH_SECONDS)
            & (PaymentWatch.close_state.is_null() | PaymentWatch.close_state.not_in(["closed", "not_created"])))
    return (Order.gateway.in_(accounts) & Order.paid_at.is_null()
            & ((Order.status == S.PENDING_PAYMENT.value) | late))


class PaymentSync(GatewayClients):
    """Asks gateways about unpaid orders; ``run`` returns a SyncReport. Asking books nothing at
    the gateway (a sale that creates a payment claims the account's books itself)."""

    books_money = False

    def __init__(self, desk: Desk, *, concurrency: int = 4, run_db: RunDb | None = None,
                 adapter_kw: dict[str, Any] | None = None) -> None:
        super().__init__(desk, concurrency=concurrency, run_db=run_db, adapter_kw=adapter_kw)

    async def run(self, order_nos: list[str] | None = None, *, limit: int = 200, force: bool = False,
                  by_hand: bool | None = None) -> SyncReport:
        """Ask about the orders that are due (every watched one with ``force``: 同步支付), or
        about ``order_nos`` at once. Raises DomainError order_not_found for an unknown one.

        ``by_hand``: a person asked (同步支付, ``payments sync``, orders by name; by default when
        ``order_nos`` or ``force`` is given), which needs the orders right (PermissionRefused).
        The window's periodic run and trade closing's hand-over of a payment it found are the
        desk's own work, whoever is signed in: payments keep coming in."""
        if (order_nos is not None or force) if by_hand is None else by_hand:
            await self.run_db(self.desk.require, Right.ORDERS)
        jobs, skipped = await self.run_db(self._due, order_nos, limit, force)
        report = SyncReport()
        paid: dict[str, str] = await self.run_db(_paid_trade_nos, skipped) if skipped else {}
        for order_no in skipped:
            if order_no in paid:  # asked about by name: already paid is an answer, not a failure
                zh, en = ANSWERS["paid_here"]
                report.results.append(SyncResult(order_no, "paid_here", f"{zh}（交易号 {paid[order_no]}）",
                                                 f"{en} (trade no {paid[order_no]})"))
                continue
            zh, en = ANSWERS["not_watched"]
            report.results.append(SyncResult(order_no, "not_watched", zh, en))
        sem = asyncio.Semaphore(self.concurrency)

        async def one(job: SyncJob) -> None:
            async with sem:
                await self._check(job, report)

        outcomes = await asyncio.gather(*(one(job) for job in jobs), return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        return report

    # ---- database steps --------------------------------------------------------------------
    def _due(self, order_nos: list[str] | None, limit: int, force: bool = False) -> tuple[list[SyncJob], list[str]]:
        now_s = to_epoch(self.desk.now())
        condition = watched(now_s, syncable_accounts(), recent=order_nos is None)
        query = (Order.select(Order.id, Order.order_no, Order.gateway, Order.gateway_trade_no)
                 .join(PaymentWatch, on=(PaymentWatch.order == Order.id), join_type=JOIN.LEFT_OUTER))
        skipped: list[str] = []
        if order_nos is not None:
            wanted = [no.strip() for no in order_nos]
            found = {o.order_no for o in Order.select(Order.order_no).where(Order.order_no.in_(wanted))}
            missing = [no for no in wanted if no not in found]
            if missing:
                from .common import not_found

                raise not_found("order", missing[0])
            query = query.where(condition & Order.order_no.in_(wanted))
        else:
            if not force:
                condition &= PaymentWatch.next_check_at.is_null() | (PaymentWatch.next_check_at <= now_s)
            query = query.where(condition)
            query = query.order_by(fn.COALESCE(PaymentWatch.next_check_at, 0), Order.id).limit(limit)
        jobs = [SyncJob(o.id, o.order_no, int(o.gateway_id or 0), o.gateway_trade_no or None) for o in query]
        if order_nos is not None:
            asked = {j.order_no for j in jobs}
            skipped = [no for no in order_nos if no.strip() not in asked]
        return jobs, skipped

    def _schedule(self, job: SyncJob, answer: str, *, error: str = "", kind: str = "",
                  retry_in: int | None = None) -> None:
        """Record the answer of one check and when to ask again."""
        now = self.desk.now()
        with self.desk.atomic():
            watch = watch_of(job.order_id, now)
            watch.checks += 1
            watch.last_checked_at = to_epoch(now)
            watch.answer, watch.error, watch.error_kind = answer, error, kind
            wait = retry_in if retry_in is not None else backoff_seconds(watch.checks)
            watch.next_check_at = to_epoch(now) + wait
            watch.updated_at = to_epoch(now)
            watch.save()

    def _take(self, job: SyncJob, snap: PaymentSnapshot) -> PaymentOutcome:
        self._schedule(job, snap.state.value)
        assert snap.gateway_trade_no is not None and snap.total_fen is not None
        if snap.state in (PaymentState.PARTIALLY_REFUNDED, PaymentState.REFUNDED):
            return flag_order(self.desk, job.order_no, "refunded_at_gateway", {
                "trade_no": snap.gateway_trade_no, "gateway_fen": snap.total_fen, "source": "sync",
                "gateway_state": snap.state.value})
        return take_payment(self.desk, job.order_no, gateway_id=job.gateway_id, trade_no=snap.gateway_trade_no,
                            amount_fen=snap.total_fen, source="sync", paid_at=snap.paid_at)

    # ---- one order ---------------------------------------------------------------------------
    async def _check(self, job: SyncJob, report: SyncReport) -> None:
        try:
            adapter = self._adapter(job.gateway_id)
        except StoreError:
            raise  # a damaged or busy store stops the run, as it stops every command
        except (GatewayError, DomainError) as exc:
            report.not_checked.setdefault((exc.zh, exc.en), []).append(job.order_no)
            if getattr(exc, "code", "") != "vault_locked":
                await self.run_db(self._schedule, job, "error", error=f"{exc.zh} / {exc.en}",
                                  kind="misconfigured", retry_in=MISCONFIGURED_RETRY)
            return
        report.checked += 1
        try:
            snap = await adapter.query_payment(PaymentRef(job.order_no, job.trade_no))
        except GatewayError as exc:
            await self._on_error(job, exc, report)
            return
        report.reachable_gateways.add(job.gateway_id)
        await self._on_snapshot(job, snap, report)

    async def _on_snapshot(self, job: SyncJob, snap: PaymentSnapshot, report: SyncReport) -> None:
        paid_states = (PaymentState.PAID, PaymentState.PARTIALLY_REFUNDED, PaymentState.REFUNDED)
        if snap.state not in paid_states:
            await self.run_db(self._schedule, job, snap.state.value)
            code = snap.state.value if snap.state.value in ANSWERS else "unknown"
            report.results.append(SyncResult(job.order_no, code, *ANSWERS[code]))
            return
        if not snap.gateway_trade_no or snap.total_fen is None or snap.out_trade_no != job.order_no:
            await self.run_db(self._schedule, job, "error", error=ANSWERS["incomplete"][0], kind="incomplete")
            report.errors += 1
            report.results.append(SyncResult(job.order_no, "incomplete", *ANSWERS["incomplete"]))
            return
        try:
            outcome: PaymentOutcome = await self.run_db(self._take, job, snap)
        except StoreError:
            raise  # a damaged or busy store stops the run, as it stops every command
        except DomainError as exc:  # e.g. the order was deleted meanwhile: this one fails, not the run
            report.errors += 1
            report.results.append(SyncResult(job.order_no, "error", *ANSWERS["error"], detail=f"{exc.zh} / {exc.en}"))
            return
        report.changes.merge(outcome.changes)
        if outcome.code in ("paid", "paid_delivered", "late_reopened", "late_backorder"):
            report.paid += 1
        report.delivered += outcome.delivered
        report.flagged += outcome.flagged
        report.results.append(SyncResult(job.order_no, outcome.code, outcome.zh, outcome.en,
                                         outcome.delivered, outcome.flagged, snap.gateway_trade_no))

    async def _on_error(self, job: SyncJob, exc: GatewayError, report: SyncReport) -> None:
        text = f"{exc.code + ': ' if exc.code else ''}{exc.zh} / {exc.en}"
        if exc.kind is ErrorKind.RETRYABLE and not exc.sent:
            report.unreachable_gateways.add(job.gateway_id)
            await self.run_db(self._schedule, job, "unreachable", error=text, kind=exc.kind.value,
                              retry_in=OFFLINE_RETRY)
            code = "unreachable"
        else:
            report.reachable_gateways.add(job.gateway_id)
            retry = MISCONFIGURED_RETRY if exc.kind is ErrorKind.MISCONFIGURED else None
            await self.run_db(self._schedule, job, "error", error=text, kind=exc.kind.value, retry_in=retry)
            code = "error"
        report.errors += 1
        zh, en = ANSWERS[code]
        report.results.append(SyncResult(job.order_no, code, zh, en, detail=text))
        report.changes.order_ids.add(job.order_id)


async def sync_now(desk: Desk, order_nos: list[str] | None = None, **kw: Any) -> SyncReport:
    """One sync run with its own adapters (the command line): the given orders, or every
    order that is due."""
    sync = PaymentSync(desk, **kw)
    try:
        return await sync.run(order_nos, by_hand=True)
    finally:
        await sync.aclose()


@dataclass(frozen=True)
class WatchView:
    """Payment sync as the order detail shows it. ``watched``: the sync asks about this order;
    ``answer`` the gateway's last word (a key of ANSWERS or a PaymentState value), ``flag``
    what the owner must check (payments.OUTCOMES) with ``flag_data`` (fen amounts, trade no)."""

    watched: bool
    checks: int
    last_checked_at: datetime | None
    next_check_at: datetime | None
    answer: str
    error: str
    flag: str
    flag_data: dict[str, Any]
    close_state: str


def watch_view(desk: Desk, order_id: int) -> WatchView:
    """Read-only; for an order never checked, the counters are zero."""
    now_s = to_epoch(desk.now())
    row = PaymentWatch.get_or_none(PaymentWatch.order == order_id)
    order = Order.get_or_none(Order.id == order_id)
    is_watched = order is not None and order.paid_at is None and order.gateway_id is not None and (Order.select(Order.id).join(PaymentWatch, on=(PaymentWatch.order == Order.id),
                                              join_type=JOIN.LEFT_OUTER)
                  .where(watched(now_s, syncable_accounts(), recent=False) & (Order.id == order_id)).exists())
    if row is None:
        return WatchView(is_watched, 0, None, None, "", "", "", {}, "")
    return WatchView(is_watched, int(row.checks), from_epoch(row.last_checked_at),
                     from_epoch(row.next_check_at) if row.next_check_at else None, str(row.answer), str(row.error),
                     str(row.flag), json.loads(row.flag_data or "{}"), str(row.close_state))
