"""The refund queue: approved refunds go to their gateway exactly once.

* The refund no (our idempotency key) was stored when the refund was approved, before any
  gateway call. A refund is marked ``sending`` and committed *before* the call goes out.
* A refund found in ``sending`` or ``unknown`` (a timeout, a crash, a lost reply) is resolved
  by asking the gateway (query_refund) first. Only a definite "no such refund" lets it be sent
  again, and then with the same key and amount.
* Gateways without a refund key or a refund query (易支付 V1) are never re-sent automatically:
  an unknown outcome waits for the owner.
* A reply whose signature does not verify is never success: the refund stays ``unknown`` with
  a security warning.
Sending is async and runs several refunds at a time; database steps go through ``run_db``
so the window can keep them on its worker thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..domain.calendar import refund_eta
from ..domain.clock import to_epoch
from ..domain.errors import DomainError
from ..domain.order import Channel
from ..gateways.base import (
    Capability,
    ErrorKind,
    GatewayError,
    RefundRef,
    RefundRequest,
    RefundResult,
    RefundState,
)
from ..store.models import Order, Refund
from .changes import Changes
from .common import OWNER, SYSTEM, add_events, event_row, not_found
from .desk import Desk
from .gateways import make_adapter
from .views import refund_actions

T = TypeVar("T")
RunDb = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class RefundJob:
    id: int
    refund_no: str
    state: str
    gateway_id: int  # never None here: refunds without a gateway are not picked
    order_id: int
    order_no: str
    gateway_trade_no: str | None
    amount_fen: int
    total_fen: int
    gateway_refund_no: str | None
    attempts: int


@dataclass
class QueueReport:
    picked: int = 0
    succeeded: int = 0
    processing: int = 0
    failed: int = 0
    unknown: int = 0
    requeued: int = 0
    untouched: int = 0
    unreachable_gateways: set[int] = field(default_factory=set)
    reachable_gateways: set[int] = field(default_factory=set)
    security_warnings: int = 0
    changes: Changes = field(default_factory=Changes)


async def _inline(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return fn(*args, **kwargs)


def backoff_seconds(attempts: int) -> int:
    return int(min(600, 5 * 2 ** max(0, attempts - 1)))


class RefundQueue:
    def __init__(self, desk: Desk, *, concurrency: int = 8, run_db: RunDb | None = None,
                 adapter_kw: dict[str, Any] | None = None) -> None:
        self.desk = desk
        self.concurrency = concurrency
        self.run_db: RunDb = run_db or _inline
        self._adapters: dict[int, Any] = {}
        self._adapter_kw = adapter_kw or {}

    async def aclose(self) -> None:
        for adapter in self._adapters.values():
            await adapter.aclose()
        self._adapters.clear()

    def _adapter(self, gateway_id: int) -> Any:
        if gateway_id not in self._adapters:
            self._adapters[gateway_id] = make_adapter(self.desk, gateway_id, **self._adapter_kw)
        return self._adapters[gateway_id]

    # ---- the public call ---------------------------------------------------------------------
    async def send(self, limit: int | None = None, refund_ids: list[int] | None = None,
                   *, force: bool = False) -> QueueReport:
        jobs: list[RefundJob] = await self.run_db(self._due, limit, refund_ids, force)
        report = QueueReport(picked=len(jobs))
        sem = asyncio.Semaphore(self.concurrency)

        async def one(job: RefundJob) -> None:
            async with sem:
                await self._process(job, report)

        # Every refund in flight is settled (or left to be asked next time) before a failure of
        # one, e.g. a store busy for too long (StoreBusy), is raised: none is cut off mid-call.
        outcomes = await asyncio.gather(*(one(job) for job in jobs), return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        return report

    # ---- database steps (run through run_db) --------------------------------------------------
    def _due(self, limit: int | None, refund_ids: list[int] | None, force: bool) -> list[RefundJob]:
        now = to_epoch(self.desk.now())
        query = Refund.select(Refund, Order).join(Order).where(
            Refund.gateway.is_null(False)
            & (Refund.state.in_(["queued", "sending", "unknown"]))
            & ((Refund.needs_confirmation == False) | (Refund.confirmed == True))  # noqa: E712
        )
        if refund_ids is not None:
            query = query.where(Refund.id.in_(refund_ids))
        if not force:
            query = query.where(Refund.next_attempt_at <= now)
        query = query.order_by(Refund.next_attempt_at, Refund.id)
        if limit:
            query = query.limit(limit)
        return [
            RefundJob(r.id, r.refund_no, r.state, r.gateway_id or 0, r.order_id, r.order.order_no, r.order.gateway_trade_no,
                      r.amount_fen, r.order.paid_fen, r.gateway_refund_no, r.attempts)
            for r in query
        ]

    def _mark_sending(self, job: RefundJob) -> bool:
        """Commit 'sending' before the call; False if someone else got there first."""
        now = to_epoch(self.desk.now())
        with self.desk.atomic():
            updated = (Refund.update(state="sending", attempts=Refund.attempts + 1, sent_at=now,
                                     next_attempt_at=now + backoff_seconds(job.attempts + 1))
                       .where((Refund.id == job.id) & (Refund.state == job.state)).execute())
        return bool(updated)

    def _settle(self, job: RefundJob, state: str, *, error: str = "", kind: str = "", gateway_refund_no: str | None = None,
                security: bool = False, retry_in: int | None = None) -> None:
        now = self.desk.now()
        now_s = to_epoch(now)
        with self.desk.atomic():
            ref = Refund.get_by_id(job.id)
            before = ref.state
            ref.state = state
            ref.last_error = error
            ref.last_error_kind = kind
            if gateway_refund_no:
                ref.gateway_refund_no = gateway_refund_no
            if security:
                ref.security_warning = True
            if state in ("succeeded", "failed"):
                ref.settled_at = now_s
            if state == "succeeded" and ref.channel:
                eta = refund_eta(Channel(ref.channel), now, self.desk.holidays())
                ref.eta_earliest, ref.eta_latest = eta.earliest.isoformat(), eta.latest.isoformat()
            ref.next_attempt_at = now_s + (retry_in if retry_in is not None else backoff_seconds(ref.attempts))
            ref.save()
            if state != before or state in ("succeeded", "failed"):
                action = {"succeeded": "refund_succeeded", "failed": "refund_failed", "unknown": "refund_unknown",
                          "sending": "refund_processing", "queued": "refund_requeued"}[state]
                add_events([event_row(job.order_id, now, SYSTEM, action, error,
                                      data={"refund_no": job.refund_no, "amount_fen": job.amount_fen,
                                            "security_warning": security})])

    # ---- the state machine -----------------------------------------------------------------------
    async def _process(self, job: RefundJob, report: QueueReport) -> None:
        try:
            adapter = self._adapter(job.gateway_id)
        except (GatewayError, DomainError) as exc:
            await self.run_db(self._settle, job, job.state if job.state != "sending" else "unknown",
                              error=f"{exc.zh} / {exc.en}", kind="misconfigured", retry_in=600)
            report.untouched += 1
            return
        caps = adapter.capabilities
        if job.state in ("sending", "unknown"):
            if Capability.QUERY_REFUND not in caps:
                # No way to ask: never guess, never re-send. The owner decides.
                await self.run_db(self._settle, job, "unknown",
                                  error="结果未知，该网关无法查询退款，请到网关后台核实后手工处理 / outcome unknown and this "
                                        "gateway cannot be asked: check its back office and resolve by hand",
                                  kind="needs_owner", retry_in=10**9)
                report.unknown += 1
                return
            try:
                result = await adapter.query_refund(RefundRef(job.order_no, job.gateway_trade_no, job.refund_no,
                                                              job.gateway_refund_no, job.amount_fen))
            except GatewayError as exc:
                await self._on_error(job, exc, report, during_query=True)
                return
            report.reachable_gateways.add(job.gateway_id)
            if result.state is not RefundState.NOT_FOUND:
                await self._on_result(job, result, report)
                return
            # The gateway has no such refund: it never happened. Send it, same key, same amount.
        await self._send(adapter, job, report)

    async def _send(self, adapter: Any, job: RefundJob, report: QueueReport) -> None:
        claimed = await self.run_db(self._mark_sending, job)
        if not claimed:
            report.untouched += 1
            return
        job = RefundJob(**{**job.__dict__, "state": "sending", "attempts": job.attempts + 1})
        try:
            result = await adapter.refund(RefundRequest(job.order_no, job.gateway_trade_no, job.refund_no,
                                                        job.amount_fen, job.total_fen))
        except GatewayError as exc:
            await self._on_error(job, exc, report, during_query=False)
            return
        report.reachable_gateways.add(job.gateway_id)
        await self._on_result(job, result, report)

    async def _on_result(self, job: RefundJob, result: RefundResult, report: QueueReport) -> None:
        message = " / ".join(x for x in (result.message_zh, result.message_en) if x)
        if result.code:
            message = f"{result.code}: {message}"
        if result.state is RefundState.SUCCEEDED:
            await self.run_db(self._settle, job, "succeeded", gateway_refund_no=result.gateway_refund_no)
            report.succeeded += 1
        elif result.state is RefundState.PROCESSING:
            await self.run_db(self._settle, job, "sending", error="网关处理中 / processing at the gateway",
                              kind="processing", gateway_refund_no=result.gateway_refund_no, retry_in=5)
            report.processing += 1
        elif result.state is RefundState.FAILED:
            await self.run_db(self._settle, job, "failed", error=message, kind="rejected")
            report.failed += 1
        else:
            await self.run_db(self._settle, job, "unknown", error="网关未找到退款 / gateway has no such refund",
                              kind="unknown_outcome")
            report.unknown += 1
        report.changes.refund_ids.add(job.id)
        report.changes.order_ids.add(job.order_id)

    async def _on_error(self, job: RefundJob, exc: GatewayError, report: QueueReport, *, during_query: bool) -> None:
        text = f"{exc.code + ': ' if exc.code else ''}{exc.zh} / {exc.en}"
        report.changes.refund_ids.add(job.id)
        if exc.kind is ErrorKind.RETRYABLE and not exc.sent:
            report.unreachable_gateways.add(job.gateway_id)
        else:
            report.reachable_gateways.add(job.gateway_id)
        if during_query:
            # Still unresolved: keep its state (sending/unknown), ask again later.
            state = "unknown" if job.state == "sending" else job.state
            await self.run_db(self._settle, job, state, error=text, kind=exc.kind.value,
                              security=exc.kind is ErrorKind.SECURITY)
            report.unknown += 1
            report.security_warnings += exc.kind is ErrorKind.SECURITY
            return
        if exc.kind is ErrorKind.RETRYABLE and not exc.sent:
            await self.run_db(self._settle, job, "queued", error=text, kind="offline")
            report.requeued += 1
        elif exc.kind in (ErrorKind.MISCONFIGURED, ErrorKind.REJECTED):
            # A definite refusal: nothing was done at the gateway; the owner fixes and re-sends.
            await self.run_db(self._settle, job, "failed", error=text, kind=exc.kind.value)
            report.failed += 1
        else:
            await self.run_db(self._settle, job, "unknown", error=text, kind=exc.kind.value,
                              security=exc.kind is ErrorKind.SECURITY)
            report.unknown += 1
            report.security_warnings += exc.kind is ErrorKind.SECURITY


# ---- owner actions on single refunds -----------------------------------------------------------

def _refund(refund_id: int) -> Refund:
    ref = Refund.get_or_none(Refund.id == refund_id)
    if ref is None:
        raise not_found("refund", refund_id)
    return ref


def _actions(ref: Refund) -> frozenset[str]:
    return refund_actions(ref.state, ref.last_error_kind, ref.gateway_id is not None, bool(ref.needs_confirmation),
                          bool(ref.confirmed))


def retry(desk: Desk, refund_id: int, *, actor: str = OWNER, confirmed: bool = False) -> Changes:
    """Put a failed refund back in the queue, same refund no and amount."""
    with desk.atomic():
        ref = _refund(refund_id)
        if "retry" not in _actions(ref):
            raise DomainError("not_retryable", "只有失败的退款可以重新发送", "only a failed refund can be sent again")
        if ref.needs_confirmation and not confirmed:
            raise DomainError("confirm_non_idempotent", "该网关没有退款幂等保护，重新发送前请确认",
                              "this gateway has no refund idempotency; confirm before sending again")
        ref.state = "queued"
        ref.next_attempt_at = 0
        ref.confirmed = ref.confirmed or confirmed
        ref.save()
        add_events([event_row(ref.order_id, desk.now(), actor, "refund_retry", "", data={"refund_no": ref.refund_no})])
        return Changes(order_ids={ref.order_id}, refund_ids={ref.id})


def confirm(desk: Desk, refund_id: int, *, actor: str = OWNER) -> Changes:
    """The owner's explicit go-ahead for a gateway without refund idempotency."""
    with desk.atomic():
        ref = _refund(refund_id)
        ref.confirmed = True
        ref.save()
        add_events([event_row(ref.order_id, desk.now(), actor, "refund_confirmed", "",
                              data={"refund_no": ref.refund_no})])
        return Changes(order_ids={ref.order_id}, refund_ids={ref.id})


def resolve_manually(desk: Desk, refund_id: int, succeeded: bool, note: str, *, actor: str = OWNER) -> Changes:
    """The owner checked the gateway's back office for an unknown outcome and records it."""
    if not note.strip():
        raise DomainError("note_required", "请写明核实情况", "say what you checked")
    with desk.atomic():
        ref = _refund(refund_id)
        if "resolve" not in _actions(ref):
            raise DomainError("not_resolvable", "该退款不需要人工处理", "this refund needs no manual resolution")
        ref.state = "succeeded" if succeeded else "failed"
        ref.last_error = note
        ref.last_error_kind = "manual"
        ref.settled_at = to_epoch(desk.now())
        ref.save()
        add_events([event_row(ref.order_id, desk.now(), actor, "refund_resolved", note,
                              data={"refund_no": ref.refund_no, "succeeded": succeeded})])
        return Changes(order_ids={ref.order_id}, refund_ids={ref.id})


def queued_count(desk: Desk) -> int:
    return int(Refund.select().where(Refund.state.in_(["queued", "sending", "unknown"])).count())
