"""The refund queue: approved refunds go to their gateway exactly once.

* The refund no (our idempotency key) was stored when the refund was approved, before any
  gateway call. A refund is marked ``sending`` and committed *before* the call goes out.
* A refund found in ``sending`` or ``unknown`` (a timeout, a crash, a lost reply) is resolved
  by asking the gateway (query_refund) first. Only a definite "no such refund" lets it be sent
  again, and then with the same key and amount.
* Gateways without a refund key or a refund query (易支付 V1) are never re-sent automatically:
  an unknown outcome waits for the owner.
* A reply settles our refund only when it names our refund no (where the gateway honours
  refund keys), our order's trade (out_trade_no and/or the gateway trade no) and the amount we
  asked for (``reply_mismatch``, the one place this is compared; adapters report what the
  reply named). Anything else is ``unknown`` with a security warning saying which field differs.
* A reply whose signature does not verify is never success: the refund stays ``unknown`` with
  a security warning. The warning stays in the refund's history; it stops marking the refund
  once a verified reply settles it.
* Nothing stays unsettled for ever: every state that is not final (sending, processing,
  unknown) is asked again with back-off, and after a bounded number of questions, sends or days
  (``domain.refund_states``) the refund waits for the owner (``needs_owner``).
* A refund's state and its order's money move together (``refund_owner.move_refund``): only
  succeeded refunds count in ``refunded_fen``; the others are in flight or back to refundable.
Sending is async and runs several refunds at a time; database steps go through ``run_db``
so the window can keep them on its worker thread.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from peewee import fn

from ..domain.calendar import refund_eta
from ..domain.clock import to_epoch
from ..domain.errors import DomainError, StoreError
from ..domain.money import format_yuan
from ..domain.order import Channel
from ..domain.refund_states import (
    ASK_FIRST_STATES,
    AUTO_STATES,
    MAX_SENDS,
    NO_GATEWAY,
    RefundStatus,
    backoff_seconds,
    needs_owner,
)
from ..domain.roles import Right
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
from .common import OWNER, SYSTEM, add_events, event_row
from .desk import Desk
from .gateways import GatewayClients, RunDb
from .refund_guard import why_not_sendable
from .refund_owner import confirm, move_refund, queued_count, resolve_manually, retry
from .send_cut_off import send_cut_off

__all__ = ["QueueReport", "RefundQueue", "backoff_seconds", "confirm", "queued_count", "resolve_manually", "retry"]
R = RefundStatus

T = TypeVar("T")


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
    """What one run of the queue did. Every refund picked is counted once, under the outcome this
    run recorded: ``picked == succeeded + processing + failed + unknown + requeued + untouched +
    settled_elsewhere`` (``accounted``)."""

    picked: int = 0
    succeeded: int = 0
    processing: int = 0
    failed: int = 0
    unknown: int = 0
    requeued: int = 0
    untouched: int = 0
    #: Replies that came for a refund already final when they arrived (another process, e.g. a
    #: second ``refunds send`` or the window's queue, or the owner settled it meanwhile): recorded
    #: as a late reply (``refund_late_reply``), never counted as this run's outcome.
    settled_elsewhere: int = 0
    unreachable_gateways: set[int] = field(default_factory=set)
    reachable_gateways: set[int] = field(default_factory=set)
    security_warnings: int = 0
    changes: Changes = field(default_factory=Changes)
    #: Why refunds could not even be tried, (zh, en) -> refund ids (a locked key vault, a
    #: missing gateway plugin). The caller must say so: nothing left the desk for them.
    not_sent: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    #: Refunds asked for by id that another process is sending right now (it marked them
    #: ``sending`` less than SENDING_LEASE_S ago, or claimed them first): left to it.
    elsewhere: list[int] = field(default_factory=list)
    #: Refunds asked for by id that were not picked, with their state (final, waiting for a
    #: confirmation, or no such refund: ``""``).
    not_picked: dict[int, str] = field(default_factory=dict)
    #: A person asked for this run (立即发送, ``refunds send``): each send's ``refund_sent`` entry
    #: names them as its source (店主); the queue's own run is recorded as 系统.
    by_hand: bool = False

    @property
    def accounted(self) -> int:
        """The refunds this run counted under an outcome; equals ``picked``."""
        return (self.succeeded + self.processing + self.failed + self.unknown + self.requeued + self.untouched
                + self.settled_elsewhere)


#: A refund marked ``sending`` this recently is taken to be in flight in another process (the
#: window's queue, a second ``refunds send``): gateway calls time out well within it. One found
#: in ``sending`` for longer was cut off (a crash) and is asked about as usual.
SENDING_LEASE_S = 60

#: ``last_error_kind`` of a refund the send refused (``refund_guard``): its amount is not the one
#: its approval made, or the order's refunds would exceed what was paid.
UNAPPROVED_AMOUNT = "unapproved_amount"

#: The order timeline's entry for each send to the gateway (committed before the call goes out):
#: source 店主 with the operator who pressed 立即发送 (or ran ``refunds send``), or 系统 for the
#: queue's own run (whoever was signed in is still recorded as the operator).
SENT_ACTION = "refund_sent"
AUTO_NOTE = "退款队列自动发送 / sent by the refund queue by itself"


class RefundQueue(GatewayClients):
    def __init__(self, desk: Desk, *, concurrency: int = 8, run_db: RunDb | None = None,
                 adapter_kw: dict[str, Any] | None = None) -> None:
        super().__init__(desk, concurrency=concurrency, run_db=run_db, adapter_kw=adapter_kw)

    # ---- the public call ---------------------------------------------------------------------
    async def send(self, limit: int | None = None, refund_ids: list[int] | None = None,
                   *, force: bool = False, by_hand: bool | None = None) -> QueueReport:
        """Send the refunds that are due (``limit`` at most), or ``refund_ids`` at once (``force``:
        whatever their schedule). ``by_hand``: a person asked (立即发送, ``refunds send``; by
        default when ``refund_ids`` or ``force`` is given), which needs the refunds right
        (PermissionRefused); the window's periodic run sends what was approved, whoever is
        signed in."""
        manual = (refund_ids is not None or force) if by_hand is None else by_hand
        if manual:
            await self.run_db(self.desk.require, Right.REFUNDS)
        jobs: list[RefundJob] = await self.run_db(self._due, limit, refund_ids, force)
        report = QueueReport(by_hand=manual)
        if refund_ids is not None:
            jobs = await self.run_db(self._leave_in_flight, jobs, refund_ids, report)
        report.picked = len(jobs)
        sem = asyncio.Semaphore(self.concurrency)

        async def one(job: RefundJob) -> None:
            async with sem:
                await self._process(job, report)

        # Every refund in flight is settled (or left to be asked next time) before a failure of
        # one, e.g. a store busy for too long (StoreBusy), is raised: none is cut off mid-call.
        outcomes = await asyncio.gather(*(one(job) for job in jobs), return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                known = self.desk.explain(outcome)
                if known is not None and isinstance(known, StoreError):  # some may have left: say so
                    raise send_cut_off(known, len(jobs)) from outcome
                raise outcome
        return report

    # ---- database steps (run through run_db) --------------------------------------------------
    def _due(self, limit: int | None, refund_ids: list[int] | None, force: bool) -> list[RefundJob]:
        now = to_epoch(self.desk.now())
        with self.desk.atomic():  # approved before refunds without a gateway waited for the owner
            (Refund.update(state=R.NEEDS_OWNER.value, last_error_kind=NO_GATEWAY)
             .where(Refund.gateway.is_null() & (Refund.state == R.QUEUED.value)).execute())
        states = set(AUTO_STATES) | ({R.NEEDS_OWNER} if refund_ids is not None else set())
        query = Refund.select(Refund, Order).join(Order).where(
            Refund.gateway.is_null(False)
            & (Refund.state.in_([s.value for s in states]))
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

    def _leave_in_flight(self, jobs: list[RefundJob], refund_ids: list[int], report: QueueReport) -> list[RefundJob]:
        """Of refunds asked for by id: set aside those another process is sending now, and say
        why the others were not picked (their state)."""
        since = to_epoch(self.desk.now()) - SENDING_LEASE_S
        picked = {job.id for job in jobs}
        rows = {r.id: r for r in Refund.select(Refund.id, Refund.state, Refund.sent_at).where(Refund.id.in_(refund_ids))}
        for rid in dict.fromkeys(refund_ids):
            ref = rows.get(rid)
            if ref is not None and ref.state == R.SENDING.value and (ref.sent_at or 0) > since:
                report.elsewhere.append(rid)
            elif rid not in picked:
                report.not_picked[rid] = ref.state if ref is not None else ""
        return [job for job in jobs if job.id not in report.elsewhere]

    def _mark_sending(self, job: RefundJob, by_hand: bool = False) -> bool | tuple[str, str]:
        """Commit 'sending' before the call, with the order timeline's ``refund_sent`` entry
        (who sent it: ``by_hand`` 店主 and the operator signed in, else 系统, the queue by
        itself); False if someone else got there first; (zh, en) when the send is refused
        (``refund_guard``: not the amount its approval made, or more than was paid), the refund
        then waiting for the owner with that reason."""
        now = to_epoch(self.desk.now())
        with self.desk.atomic():
            refusal = why_not_sendable(self.desk.db.connection(), job.id)
            if refusal is not None:
                return self._refuse_send(job, refusal) and refusal
            # the previous outcome's text goes: a send interrupted now must not show an old failure
            updated = (Refund.update(state=R.SENDING.value, attempts=Refund.attempts + 1, sent_at=now,
                                     last_error="", last_error_kind="",
                                     first_sent_at=fn.COALESCE(Refund.first_sent_at, now),
                                     next_attempt_at=now + backoff_seconds(job.attempts + 1))
                       .where((Refund.id == job.id) & (Refund.state == job.state)).execute())
            if updated:
                add_events([event_row(job.order_id, self.desk.now(), OWNER if by_hand else SYSTEM, SENT_ACTION,
                                      "" if by_hand else AUTO_NOTE,
                                      data={"refund_no": job.refund_no, "amount_fen": job.amount_fen,
                                            "attempt": job.attempts + 1, "by_hand": by_hand})])
        return bool(updated)

    def _refuse_send(self, job: RefundJob, refusal: tuple[str, str]) -> bool:
        """Mark ``job`` for the owner with ``refusal`` and a security warning (in the caller's
        transaction); False if another process moved it first."""
        now = self.desk.now()
        ref = Refund.get_by_id(job.id)
        if ref.state != job.state:
            return False
        status_before, status_after = move_refund(ref, R.NEEDS_OWNER, now)
        ref.last_error = f"{refusal[0]} / {refusal[1]}"
        ref.last_error_kind = UNAPPROVED_AMOUNT
        ref.security_warning = True
        ref.save()
        add_events([event_row(job.order_id, now, SYSTEM, _ACTIONS[R.NEEDS_OWNER], ref.last_error, status_before,
                              status_after, data={"refund_no": job.refund_no, "amount_fen": job.amount_fen,
                                                  "security_warning": True, "kind": UNAPPROVED_AMOUNT})])
        return True

    def _settle(self, job: RefundJob, state: str, *, error: str = "", kind: str = "", gateway_refund_no: str | None = None,
                security: bool = False, retry_in: int | None = None, checked: bool = False) -> bool:
        """Record an outcome. ``checked``: it answers a question (counts towards the bound).
        True when this run settled the refund; False for a late reply: the refund was final
        before this outcome arrived (settled by another process or the owner), so the reply is
        only recorded (``_late_reply``) and is not this run's result to count."""
        now = self.desk.now()
        now_s = to_epoch(now)
        with self.desk.atomic():
            ref = Refund.get_by_id(job.id)
            before = R(ref.state)
            target = R(state)
            if before.final:
                self._late_reply(ref, target, error, security, now)
                return False
            if checked:
                ref.checks += 1
            if not target.final and target is not R.QUEUED and needs_owner(ref.checks, ref.attempts,
                                                                              ref.first_sent_at, now_s):
                target = R.NEEDS_OWNER
                error = (f"{error} | " if error else "") + (
                    f"已查询 {ref.checks} 次、发送 {ref.attempts} 次仍无结果，请到网关后台核实后手工处理 / still not settled "
                    f"after {ref.checks} queries and {ref.attempts} sends: check the gateway's back office and resolve")
                kind = "needs_owner"
            status_before, status_after = move_refund(ref, target, now)
            ref.last_error = error
            ref.last_error_kind = kind
            if gateway_refund_no:
                ref.gateway_refund_no = gateway_refund_no
            if security:
                ref.security_warning = True
            elif target.final:
                ref.security_warning = False  # a verified reply settled it; the warning stays in the history
            if target.final:
                ref.settled_at = now_s
            if target is R.SUCCEEDED and ref.channel:
                eta = refund_eta(Channel(ref.channel), now, self.desk.holidays())
                ref.eta_earliest, ref.eta_latest = eta.earliest.isoformat(), eta.latest.isoformat()
            wait = retry_in if retry_in is not None else backoff_seconds(max(ref.checks, ref.attempts))
            ref.next_attempt_at = now_s + wait
            ref.save()
            if target is not before or target.final or security:
                add_events([event_row(job.order_id, now, SYSTEM, _ACTIONS[target], error, status_before, status_after,
                                      data={"refund_no": job.refund_no, "amount_fen": job.amount_fen,
                                            "security_warning": security})])
        return True

    async def _record(self, job: RefundJob, report: QueueReport, counter: str, state: str, **kw: Any) -> None:
        """Settle ``job`` as ``state`` and count it under ``counter`` when this run settled it;
        a reply for a refund already final counts as ``settled_elsewhere`` instead."""
        if await self.run_db(self._settle, job, state, **kw):
            setattr(report, counter, getattr(report, counter) + 1)
        else:
            report.settled_elsewhere += 1

    def _late_reply(self, ref: Refund, said: RefundStatus, error: str, security: bool, now: datetime) -> None:
        """A reply for a refund the owner settled meanwhile: keep the owner's word, record the reply,
        and flag it when the gateway says otherwise."""
        disagrees = said.final and said.value != ref.state
        if disagrees or security:
            ref.security_warning = True
            ref.save()
        add_events([event_row(ref.order_id, now, SYSTEM, "refund_late_reply", error, data={
            "refund_no": ref.refund_no, "gateway_says": said.value, "recorded": ref.state,
            "security_warning": disagrees or security})])

    # ---- the state machine -----------------------------------------------------------------------
    async def _process(self, job: RefundJob, report: QueueReport) -> None:
        try:
            adapter = self._adapter(job.gateway_id)
        except StoreError:
            raise  # a damaged or busy store stops the run, as it stops every command
        except (GatewayError, DomainError) as exc:
            report.not_sent.setdefault((exc.zh, exc.en), []).append(job.id)
            if getattr(exc, "code", "") in ("vault_locked", "ledger_elsewhere"):
                # Nothing was asked or sent: the refund stays as it was, due as soon as the vault
                # opens, or for the PC that keeps the account's books (services.local_ledger).
                report.untouched += 1
                return
            await self.run_db(self._settle, job, job.state if job.state != R.SENDING.value else R.UNKNOWN.value,
                              error=f"{exc.zh} / {exc.en}", kind="misconfigured", retry_in=600)
            report.untouched += 1
            return
        caps = adapter.capabilities
        if R(job.state) in ASK_FIRST_STATES:
            if Capability.QUERY_REFUND not in caps:
                # No way to ask: never guess, never re-send. The owner decides.
                await self._record(job, report, "unknown", R.NEEDS_OWNER.value,
                                   error="结果未知，该网关无法查询退款，请到网关后台核实后手工处理 / outcome unknown and this "
                                         "gateway cannot be asked: check its back office and resolve by hand",
                                   kind="needs_owner")
                return
            try:
                result = await adapter.query_refund(RefundRef(job.order_no, job.gateway_trade_no, job.refund_no,
                                                              job.gateway_refund_no, job.amount_fen))
            except GatewayError as exc:
                await self._on_error(job, exc, report, during_query=True)
                return
            report.reachable_gateways.add(job.gateway_id)
            if result.state is not RefundState.NOT_FOUND:
                await self._on_result(job, result, report, checked=True, refund_keys=_honours_keys(caps))
                return
            if job.attempts >= MAX_SENDS:
                await self._record(job, report, "unknown", R.NEEDS_OWNER.value, checked=True, kind="needs_owner",
                                   error=f"网关查无此退款，已发送 {job.attempts} 次 / the gateway has no such refund after "
                                         f"{job.attempts} sends")
                return
            # The gateway has no such refund: it never happened. Send it, same key, same amount.
        await self._send(adapter, job, report)

    async def _send(self, adapter: Any, job: RefundJob, report: QueueReport) -> None:
        claimed = await self.run_db(self._mark_sending, job, report.by_hand)
        if isinstance(claimed, tuple):  # refused: nothing sent, the owner is asked
            report.not_sent.setdefault(claimed, []).append(job.id)
            report.security_warnings += 1
            report.changes.refund_ids.add(job.id)
            report.changes.order_ids.add(job.order_id)
            report.changes.counts_changed = True
            report.untouched += 1
            return
        if not claimed:  # another process moved it between our read and our claim: it is theirs
            report.untouched += 1
            report.elsewhere.append(job.id)
            return
        job = RefundJob(**{**job.__dict__, "state": R.SENDING.value, "attempts": job.attempts + 1})
        try:
            result = await adapter.refund(RefundRequest(job.order_no, job.gateway_trade_no, job.refund_no,
                                                        job.amount_fen, job.total_fen))
        except GatewayError as exc:
            await self._on_error(job, exc, report, during_query=False)
            return
        report.reachable_gateways.add(job.gateway_id)
        await self._on_result(job, result, report, refund_keys=_honours_keys(adapter.capabilities))

    async def _on_result(self, job: RefundJob, result: RefundResult, report: QueueReport, *,
                         checked: bool = False, refund_keys: bool = True) -> None:
        message = " / ".join(x for x in (result.message_zh, result.message_en) if x)
        if result.code:
            message = f"{result.code}: {message}"
        mismatch = reply_mismatch(job, result, refund_keys=refund_keys,
                                  settling=result.state is RefundState.SUCCEEDED)
        if mismatch is not None:
            await self._record(job, report, "unknown", R.UNKNOWN.value, error=f"{mismatch[0]} / {mismatch[1]}",
                               kind="reply_mismatch", security=True, checked=checked)
            report.security_warnings += 1
        elif result.state is RefundState.SUCCEEDED:
            await self._record(job, report, "succeeded", R.SUCCEEDED.value, gateway_refund_no=result.gateway_refund_no,
                               checked=checked)
        elif result.state is RefundState.PROCESSING:
            await self._record(job, report, "processing", R.PROCESSING.value, error=message or "网关处理中 / processing at the gateway",
                               kind="processing", gateway_refund_no=result.gateway_refund_no, checked=checked)
        elif result.state is RefundState.FAILED:
            await self._record(job, report, "failed", R.FAILED.value, error=message, kind="rejected", checked=checked)
        else:
            await self._record(job, report, "unknown", R.UNKNOWN.value, error="网关未找到退款 / gateway has no such refund",
                               kind="unknown_outcome", checked=checked)
        report.changes.refund_ids.add(job.id)
        report.changes.order_ids.add(job.order_id)
        report.changes.counts_changed = True

    async def _on_error(self, job: RefundJob, exc: GatewayError, report: QueueReport, *, during_query: bool) -> None:
        text = f"{exc.code + ': ' if exc.code else ''}{exc.zh} / {exc.en}"
        report.changes.refund_ids.add(job.id)
        report.changes.order_ids.add(job.order_id)
        if exc.kind is ErrorKind.RETRYABLE and not exc.sent:
            report.unreachable_gateways.add(job.gateway_id)
        else:
            report.reachable_gateways.add(job.gateway_id)
        security = exc.kind is ErrorKind.SECURITY
        if during_query:
            # Still unresolved: keep its state (processing/unknown), ask again later.
            state = R.UNKNOWN.value if job.state == R.SENDING.value else job.state
            await self._record(job, report, "unknown", state, error=text, kind=exc.kind.value, security=security,
                               checked=True)
            report.security_warnings += security
            return
        if exc.kind is ErrorKind.RETRYABLE and not exc.sent:
            await self._record(job, report, "requeued", R.QUEUED.value, error=text, kind="offline")
        elif exc.kind in (ErrorKind.MISCONFIGURED, ErrorKind.REJECTED):
            # A definite refusal: nothing was done at the gateway; the owner fixes and re-sends.
            await self._record(job, report, "failed", R.FAILED.value, error=text, kind=exc.kind.value)
        else:
            await self._record(job, report, "unknown", R.UNKNOWN.value, error=text, kind=exc.kind.value, security=security)
            report.security_warnings += security


def _honours_keys(caps: frozenset[Capability]) -> bool:
    """Whether the gateway keeps our refund no (易支付 V1 makes up its own and cannot name ours)."""
    return Capability.REFUND_IDEMPOTENT in caps


def reply_mismatch(job: RefundJob, result: RefundResult, *, refund_keys: bool,
                   settling: bool) -> tuple[str, str] | None:
    """Why a gateway's answer is not about the refund ``job`` asked for, as (zh, en), or None.

    Compared: the refund no (when the gateway honours refund keys), the order's out_trade_no and
    gateway trade no, and this refund's amount (fen). A field the reply names must equal ours.
    ``settling`` (the answer would make the refund succeed): each must also be named, the trade
    by at least one of its two numbers.
    """
    fields: list[tuple[str, str, str | None, str | None]] = [
        ("商户订单号", "order no (out_trade_no)", result.named_out_trade_no, job.order_no),
        ("交易号", "trade no", result.named_trade_no, job.gateway_trade_no),
        ("金额", "amount",
         None if result.named_amount_fen is None else format_yuan(result.named_amount_fen, symbol=True),
         format_yuan(job.amount_fen, symbol=True)),
    ]
    if refund_keys:
        fields.insert(0, ("退款单号", "refund no", result.named_refund_no, job.refund_no))
    for zh, en, theirs, ours in fields:
        if theirs is not None and ours is not None and theirs != ours:
            return (f"安全警告：网关回复的{zh}（{theirs}）与本退款的（{ours}）不一致，未采信",
                    f"security warning: the reply's {en} ({theirs}) differs from this refund's ({ours}); not taken")
    if not settling:
        return None
    missing = [(zh, en) for zh, en, theirs, _ in fields if theirs is None and en not in ("order no (out_trade_no)",
                                                                                        "trade no")]
    if result.named_out_trade_no is None and result.named_trade_no is None:
        missing.append(("订单号或交易号", "order no or trade no"))
    if missing:
        zh = "、".join(z for z, _ in missing)
        en = ", ".join(e for _, e in missing)
        return (f"安全警告：网关回复没有写明本退款的{zh}，未采信为成功",
                f"security warning: the reply does not name this refund's {en}; not taken as success")
    return None


_ACTIONS = {R.SUCCEEDED: "refund_succeeded", R.FAILED: "refund_failed", R.UNKNOWN: "refund_unknown",
            R.PROCESSING: "refund_processing", R.SENDING: "refund_sending", R.QUEUED: "refund_requeued",
            R.NEEDS_OWNER: "refund_needs_owner"}
