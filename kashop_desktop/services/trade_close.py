"""Closing the gateway trade of an order cancelled or expired unpaid, so the buyer cannot pay it.

Alipay closes with ``alipay.trade.close`` and WeChat Pay with its close call
(Capability.CLOSE); 易支付 has no close (彩虹's ``api/pay/close`` exists only in some newer builds,
gateways.md §1.5): its orders get one timeline event saying so, and payment sync keeps watching
them for a late payment.

Offline-safe, like the refund queue: which trades are due is read from the orders themselves
(cancelled unpaid, recently, of an account that can close, not closed yet), and ``closing`` is
committed before the call, so a kill or a gateway that is down loses nothing: the close is asked
again (it is idempotent) after a back-off. The answers:

* closed: recorded (``trade_closed`` event); payment sync stops watching the order;
* paid meanwhile: the payment path takes over (payment sync asks the order at once: a late
  payment reopens it, or makes it a backorder);
* not found (an Alipay QR nobody scanned): nothing to close yet; payment sync keeps watching;
* an error: asked again later; after ``MAX_CLOSE_ATTEMPTS`` it waits for the owner (``failed``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from peewee import JOIN

from ..domain.clock import to_epoch
from ..domain.errors import DomainError, StoreError
from ..domain.order import OUTSIDE_CHANNELS, Channel
from ..domain.roles import Right
from ..domain.states import OrderStatus
from ..gateways.base import Capability, ErrorKind, GatewayError, PaymentRef, PaymentState
from ..gateways.registry import discover
from ..store.models import GatewayAccount, Order, OrderEvent, PaymentWatch
from .changes import Changes
from .common import SYSTEM, add_events, event_row
from .desk import Desk
from .orders import OTHER_PAID
from .payment_sync import (
    LATE_WATCH_SECONDS,
    OFFLINE_RETRY,
    RECENT_SECONDS,
    PaymentSync,
    SyncReport,
    backoff_seconds,
)
from .payments import take_payment, watch_of

S = OrderStatus
MAX_CLOSE_ATTEMPTS = 8

#: What a close found, for people: code -> (zh, en).
CLOSE_ANSWERS: dict[str, tuple[str, str]] = {
    "closed": ("已在网关关闭交易，买家无法再付款", "the trade is closed at the gateway; the buyer can no longer pay it"),
    "paid": ("关闭时发现买家已付款：转入补单", "the buyer paid before the close: handed to the payment path"),
    "paid_twice": ("付了两次：订单已用别的方式付过，买家又在网关付了一笔；已标记需核对，请把多收的这笔退给买家",
                   "paid twice: the order was paid another way and the buyer paid at the gateway too; flagged to "
                   "check: refund the second payment to the buyer"),
    "same_payment": ("网关交易已付款，正是补单记录的那一笔（交易号相同）：只付了一次，无需处理",
                     "the gateway's trade is paid: it is the payment 补单 recorded (the same trade no); paid once, "
                     "nothing to do"),
    "not_found": ("网关尚无此交易（二维码未扫），无需关闭；迟到的付款仍会被同步", "the gateway has no such trade yet "
                  "(QR not scanned); nothing to close; a late payment is still caught by sync"),
    "unsupported": ("易支付没有关闭交易的接口：买家仍可能付款，支付同步会继续查询 48 小时",
                    "易支付 (epay) has no call to close a trade: the buyer may still pay; payment sync keeps asking "
                    "for 48 hours"),
    "offline": ("网关无法连接：交易尚未关闭，稍后自动重试", "gateway unreachable: the trade is not closed yet; "
                "tried again later"),
    "error": ("关闭交易失败，稍后重试", "closing the trade failed; tried again later"),
    "failed": ("多次关闭交易均失败：请到网关后台关闭", "closing the trade failed repeatedly: close it in the gateway's "
               "back office"),
}


@dataclass(frozen=True)
class CloseJob:
    order_id: int
    order_no: str
    gateway_id: int
    trade_no: str | None
    paid_other: bool = False  # paid another way while this trade was open
    #: The trade no the order's payment was recorded with (paid another way): the gateway's
    #: payment under this very trade no is that payment (补单 with the gateway's own trade no), not a second one.
    recorded_trade_no: str | None = None


@dataclass
class CloseResult:
    order_no: str
    code: str  # a key of CLOSE_ANSWERS

    @property
    def zh(self) -> str:
        return CLOSE_ANSWERS[self.code][0]

    @property
    def en(self) -> str:
        return CLOSE_ANSWERS[self.code][1]


@dataclass
class CloseReport:
    closed: int = 0
    results: list[CloseResult] = field(default_factory=list)
    handed_over: SyncReport | None = None  # what payment sync did with trades paid meanwhile
    unreachable_gateways: set[int] = field(default_factory=set)
    changes: Changes = field(default_factory=Changes)


def _kinds(capability: Capability, present: bool) -> set[str]:
    return {kind for kind, cls in discover().items()
            if (capability in cls.capabilities) is present and Capability.QUERY_PAYMENT in cls.capabilities}


def _accounts(kinds: set[str]) -> list[int]:
    return [a.id for a in GatewayAccount.select(GatewayAccount.id, GatewayAccount.kind)
            .where(GatewayAccount.enabled == True) if a.kind in kinds]  # noqa: E712


class TradeCloser:
    """Closes the trades of orders cancelled unpaid; shares adapters with a PaymentSync."""

    def __init__(self, sync: PaymentSync) -> None:
        self.sync = sync
        self.desk = sync.desk
        self.run_db = sync.run_db

    async def run(self, order_nos: list[str] | None = None, *, by_hand: bool | None = None) -> CloseReport:
        """Close what is due (or the given orders' trades at once, whatever the schedule).
        ``by_hand`` (default: when ``order_nos`` is given) as in ``PaymentSync.run``: the orders
        right, PermissionRefused."""
        if (order_nos is not None) if by_hand is None else by_hand:
            await self.run_db(self.desk.require, Right.ORDERS)
        report = CloseReport()
        noted: list[CloseResult] = await self.run_db(self._note_unsupported, order_nos)
        report.results += noted
        jobs: list[CloseJob] = await self.run_db(self._due, order_nos)
        paid: list[str] = []
        for job in jobs:
            code = await self._close(job, report)
            if code == "paid" and job.paid_other:  # a second payment: taken and flagged by _close
                code = "paid_twice"
            report.results.append(CloseResult(job.order_no, code))
            report.changes.order_ids.add(job.order_id)
            if code == "paid":
                paid.append(job.order_no)
        for job in await self.run_db(self._due_unclosable, order_nos):
            found = await self._ask_unclosable(job, report)
            if found is not None:
                report.results.append(CloseResult(job.order_no, found))
                report.changes.order_ids.add(job.order_id)
        report.closed = sum(r.code == "closed" for r in report.results)
        if paid:
            report.handed_over = await self.sync.run(paid, by_hand=False)  # checked above when by hand
            report.changes.merge(report.handed_over.changes)
        return report

    # ---- database steps --------------------------------------------------------------------
    def _candidates(self, kinds: set[str], order_nos: list[str] | None) -> Any:
        now_s = to_epoch(self.desk.now())
        cancelled = ((Order.status == S.CANCELLED.value) & Order.paid_at.is_null()
                     & (Order.cancelled_at >= now_s - LATE_WATCH_SECONDS))
        # Paid another way (a transfer, cash) while the QR trade was open: close it too.
        paid_other = (PaymentWatch.close_state == OTHER_PAID) & (Order.created_at >= now_s - LATE_WATCH_SECONDS)
        query = (Order.select(Order.id, Order.order_no, Order.gateway, Order.gateway_trade_no,
                              PaymentWatch.close_state.alias("watch_close"))
                 .join(PaymentWatch, on=(PaymentWatch.order == Order.id), join_type=JOIN.LEFT_OUTER)
                 .where((cancelled | paid_other) & Order.gateway.in_(_accounts(kinds))))
        if order_nos is not None:
            query = query.where(Order.order_no.in_([n.strip() for n in order_nos]))
        else:
            query = query.where(Order.created_at >= now_s - RECENT_SECONDS)
        return query, now_s

    def _due(self, order_nos: list[str] | None) -> list[CloseJob]:
        query, now_s = self._candidates(_kinds(Capability.CLOSE, True), order_nos)
        open_states = PaymentWatch.close_state.is_null() | PaymentWatch.close_state.in_(["", "closing", OTHER_PAID])
        query = query.where(open_states)
        if order_nos is None:
            query = query.where(PaymentWatch.close_next_at.is_null() | (PaymentWatch.close_next_at <= now_s))
        # The trade at the gateway is the order's own (out_trade_no): a paid-another-way order's
        # recorded trade no is not the gateway's.
        return [CloseJob(o.id, o.order_no, int(o.gateway_id or 0),
                         None if o.watch_close == OTHER_PAID else (o.gateway_trade_no or None),
                         o.watch_close == OTHER_PAID, o.gateway_trade_no or None) for o in query.objects()]

    def _due_unclosable(self, order_nos: list[str] | None) -> list[CloseJob]:
        """Orders paid another way (a transfer, cash) while the QR trade of a gateway that cannot
        close trades (易支付) was open: that QR can still be paid, so its trade is asked about on
        the close's back-off until the watch ends (``LATE_WATCH_SECONDS`` after the order was made)."""
        query, now_s = self._candidates(_kinds(Capability.CLOSE, False), order_nos)
        query = query.where(PaymentWatch.close_state == OTHER_PAID)
        if order_nos is None:
            query = query.where(PaymentWatch.close_next_at.is_null() | (PaymentWatch.close_next_at <= now_s))
        return [CloseJob(o.id, o.order_no, int(o.gateway_id or 0), None, True, o.gateway_trade_no or None)
                for o in query.objects()]

    async def _ask_unclosable(self, job: CloseJob, report: CloseReport) -> str | None:
        """Ask a gateway that cannot close about the QR trade of an order paid another way; a
        payment found there is a second one, taken through take_payment, which flags it
        (other_trade: paid twice, refund offered): "paid_twice"; "same_payment" when it is the
        payment the order was marked paid with (its trade no); None when not found paid: the
        trade is asked again after the back-off (an error or an unreachable gateway too)."""
        await self.run_db(self._mark_closing, job)  # one more attempt, the next after its back-off
        try:
            adapter = self.sync._adapter(job.gateway_id)
            snap = await adapter.query_payment(PaymentRef(job.order_no, None))
        except StoreError:
            raise
        except GatewayError as exc:
            if exc.kind is ErrorKind.RETRYABLE and not exc.sent:
                report.unreachable_gateways.add(job.gateway_id)
            return None
        except DomainError:
            return None
        if snap.state is not PaymentState.PAID or not snap.gateway_trade_no or snap.total_fen is None:
            return None
        if _same_payment(job, snap.gateway_trade_no):  # the payment 补单 recorded: nothing more to ask
            await self.run_db(self._record, job, "same_payment")
            return "same_payment"
        await self.run_db(take_payment, self.desk, job.order_no, gateway_id=job.gateway_id,
                          trade_no=snap.gateway_trade_no, amount_fen=snap.total_fen, source="close",
                          paid_at=snap.paid_at)
        await self.run_db(self._record, job, "paid")
        return "paid_twice"

    def _note_unsupported(self, order_nos: list[str] | None) -> list[CloseResult]:
        """One event per order of a gateway that cannot close (易支付), saying so."""
        query, _ = self._candidates(_kinds(Capability.CLOSE, False), order_nos)
        rows = list(query.where(PaymentWatch.close_state.is_null() | (PaymentWatch.close_state == "")))
        if not rows:
            return []
        now = self.desk.now()
        with self.desk.atomic():
            for o in rows:
                watch = watch_of(o.id, now)
                watch.close_state, watch.updated_at = "unsupported", to_epoch(now)
                watch.save()
            add_events([event_row(o.id, now, SYSTEM, "trade_close_unsupported", CLOSE_ANSWERS["unsupported"][0])
                        for o in rows])
        return [CloseResult(o.order_no, "unsupported") for o in rows]

    def _mark_closing(self, job: CloseJob) -> None:
        now = self.desk.now()
        with self.desk.atomic():
            watch = watch_of(job.order_id, now)
            watch.close_state = OTHER_PAID if job.paid_other else "closing"
            watch.close_attempts += 1
            watch.close_next_at = to_epoch(now) + backoff_seconds(watch.close_attempts)
            watch.updated_at = to_epoch(now)
            watch.save()

    def _record(self, job: CloseJob, code: str, error: str = "", retry_in: int | None = None) -> str:
        now = self.desk.now()
        with self.desk.atomic():
            watch = watch_of(job.order_id, now)
            state = {"closed": "closed", "paid": "paid", "not_found": "not_found",
                     "same_payment": "same_payment"}.get(code, "closing")
            if state == "closing" and watch.close_attempts >= MAX_CLOSE_ATTEMPTS:
                state, code = "failed", "failed"
            elif job.paid_other and state in ("closing", "not_found"):
                # Paid another way: the QR can still be scanned and paid, so the trade is asked
                # again after a back-off until it is closed (or found paid: a second payment).
                state = OTHER_PAID
                watch.close_next_at = to_epoch(now) + backoff_seconds(watch.close_attempts)
                if code == "not_found":
                    watch.close_state, watch.updated_at = state, to_epoch(now)
                    watch.save()
                    return code
            watch.close_state, watch.close_error, watch.updated_at = state, error, to_epoch(now)
            if retry_in is not None:
                watch.close_next_at = to_epoch(now) + retry_in
            watch.save()
            if code in ("closed", "paid", "not_found", "failed", "same_payment"):
                add_events([event_row(job.order_id, now, SYSTEM, "trade_closed" if code == "closed" else "trade_close",
                                      CLOSE_ANSWERS[code][0], data={"close": code, "error": error})])
            if code == "same_payment":
                _through_the_gateway(job.order_id, now)
        return code

    # ---- one trade -----------------------------------------------------------------------------
    async def _close(self, job: CloseJob, report: CloseReport) -> str:
        try:
            adapter = self.sync._adapter(job.gateway_id)
        except StoreError:
            raise  # a damaged or busy store stops the run, as it stops every command
        except (GatewayError, DomainError) as exc:
            return str(await self.run_db(self._record, job, "error", f"{exc.zh} / {exc.en}", 600))
        await self.run_db(self._mark_closing, job)
        try:
            answer: PaymentState = await adapter.close_payment(PaymentRef(job.order_no, job.trade_no))
        except GatewayError as exc:
            text = f"{exc.code + ': ' if exc.code else ''}{exc.zh} / {exc.en}"
            if exc.kind is ErrorKind.RETRYABLE and not exc.sent:
                report.unreachable_gateways.add(job.gateway_id)
                return str(await self.run_db(self._record, job, "offline", text, OFFLINE_RETRY))
            return str(await self.run_db(self._record, job, "error", text))
        code = {PaymentState.CLOSED: "closed", PaymentState.PAID: "paid"}.get(answer, "not_found")
        if code == "paid" and job.paid_other and not await self._second_payment(job, adapter):
            code = "same_payment"
        return str(await self.run_db(self._record, job, code))

    async def _second_payment(self, job: CloseJob, adapter: Any) -> bool:
        """The buyer paid the QR of an order already paid another way: the gateway's payment is
        taken through take_payment, which flags it (other_trade: paid twice, refund offered).
        False when the gateway's payment is the one the order was marked paid with (补单 with the
        gateway's own trade no): paid once, nothing taken."""
        try:
            snap = await adapter.query_payment(PaymentRef(job.order_no, None))
        except GatewayError:
            return True  # the trade is asked again by payment sync's own check of the flag later
        if _same_payment(job, snap.gateway_trade_no):
            return False
        if snap.gateway_trade_no and snap.total_fen is not None:
            await self.run_db(take_payment, self.desk, job.order_no, gateway_id=job.gateway_id,
                              trade_no=snap.gateway_trade_no, amount_fen=snap.total_fen, source="close",
                              paid_at=snap.paid_at)
        return True


def _through_the_gateway(order_id: int, now: Any) -> None:
    """The gateway's own payment of the trade is the one 补单 recorded as money paid to the shop
    directly (cash, a transfer: ``OUTSIDE_CHANNELS``): it went through the gateway after all, so
    the order takes back the channel it had before that 补单 and its refund goes back through the
    gateway; the timeline says so (caller's transaction)."""
    order = Order.get_or_none(Order.id == order_id)
    if order is None or order.channel not in OUTSIDE_CHANNELS:
        return
    marked = (OrderEvent.select(OrderEvent.data).where((OrderEvent.order == order_id)
                                                      & (OrderEvent.action == "mark_paid"))
              .order_by(OrderEvent.id.desc()).first())
    before = json.loads(marked.data or "{}").get("replaced_channel") if marked is not None else None
    if not before or before in OUTSIDE_CHANNELS:
        return
    Order.update(channel=before).where(Order.id == order_id).execute()
    add_events([event_row(order_id, now, SYSTEM, "channel_corrected",
                          f"网关确认这笔款经网关付（交易号相同）：支付方式由{Channel(order.channel).zh}改回"
                          f"{Channel(before).zh}，退款原路退回网关",
                          data={"channel": before, "replaced_channel": order.channel})])


def _same_payment(job: CloseJob, gateway_trade_no: str | None) -> bool:
    """Whether the gateway's payment of the trade is the one the order's payment was recorded with."""
    return bool(gateway_trade_no and job.recorded_trade_no and gateway_trade_no.strip() == job.recorded_trade_no.strip())


async def close_and_sync(desk: Desk, order_nos: list[str] | None = None,
                         **kw: Any) -> tuple[CloseReport, SyncReport]:
    """What ``payments sync`` does: close the trades that are due, then ask about unpaid orders.
    A person's request: the orders right (PermissionRefused)."""
    sync = PaymentSync(desk, **kw)
    try:
        closes = await TradeCloser(sync).run(order_nos, by_hand=True)
        report = await sync.run(order_nos, by_hand=True)
    finally:
        await sync.aclose()
    report.closes = closes.results
    return closes, report


async def close_now(desk: Desk, order_nos: list[str] | None = None, **kw: Any) -> CloseReport:
    """One closing run with its own adapters (the command line)."""
    sync = PaymentSync(desk, **kw)
    try:
        return await TradeCloser(sync).run(order_nos, by_hand=True)
    finally:
        await sync.aclose()
