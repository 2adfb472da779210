"""A desk sale's payment: the QR payment at the gateway, its polling, cancel, and what it shows.

``open_sale`` writes the order (``sale.create_order``), creates the QR payment through the
account's adapter (Alipay 当面付 ``alipay.trade.precreate``, WeChat Pay Native
``/v3/pay/transactions/native``, 易支付 ``mapi.php`` / ``api/pay/create``; gateways.md §1-3) with
the order no as ``out_trade_no``, and records the QR payload on the order's timeline. The trade
is watched by payment sync from the moment the order is written, so a payment is caught whether
the window polls (``poll_sale``), the background sync asks or the owner marks it paid: each goes
through ``payments.take_payment``, which delivers once between them.

When the gateway refuses to create the payment (or no usable reply comes back) the order is
voided at once: stock and coupon go back, an event says why, and, should a trade exist at the
gateway after all, closing (``trade_close``) and late-payment sync treat it as any cancelled
order's. The desk has no public address, so the notification URL is the account's own
``notify_url`` when one is configured, else ``NO_NOTIFY_URL`` (a reserved ``.invalid`` name,
RFC 2606): the payment is learnt by asking, never by waiting for a callback.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..domain.clock import from_epoch, to_epoch
from ..domain.errors import DomainError
from ..domain.order import ReasonCode
from ..domain.roles import Right
from ..domain.states import OrderStatus
from ..gateways.base import ErrorKind, GatewayError, QrPayment, QrRequest
from ..store.models import GatewayAccount, OrderEvent
from .changes import Changes
from .common import (
    OWNER,
    SYSTEM,
    add_events,
    event_row,
    get_order,
    not_found,
    release_stock_and_coupon,
    set_status,
)
from .desk import Desk
from .gateways import claim_books
from .orders import cancel_unpaid
from .payment_sync import PaymentSync, SyncReport
from .payments import flag_of, watch_of
from .sale import CreatedSale, SaleInput, create_order, expiry_of, qr_accounts
from .trade_close import CloseReport, TradeCloser
from .trade_nos import trade_no_conflict
from .views import mask_code

S = OrderStatus
NO_NOTIFY_URL = "https://kashop-desk.invalid/notify"
NOT_CREATED = "not_created"  # PaymentWatch.close_state of a voided sale whose trade never existed


@dataclass(frozen=True)
class SaleView:
    """A desk order as the sale dialog and ``orders new`` show it: money in fen, times Beijing.

    ``qr_content`` is the payload to draw as a QR code (None for a manual sale), ``status`` an
    OrderStatus value, ``codes`` the number of delivered 卡密 (revealed only through
    ``delivery.reveal_code``), ``flag`` what payment sync found for the owner to check (a key of
    ``payments.OUTCOMES``, e.g. amount_mismatch) or "", ``held`` whether a blocked buyer's order
    waits for review."""

    order_no: str
    status: str
    amount_fen: int
    product_name: str
    quantity: int
    gateway_name: str
    qr_content: str | None
    trade_no: str | None
    created_at: datetime
    expires_at: datetime
    paid_at: datetime | None
    delivered_at: datetime | None
    codes: int
    flag: str
    held: bool
    backorder: bool
    masked_codes: str = ""  # the delivered 卡密 masked, one line per unit (views.mask_code)
    coupon_code: str = ""  # the coupon the sale used, or ""

    @property
    def paid(self) -> bool:
        return self.paid_at is not None

    @property
    def waiting(self) -> bool:
        return self.status == S.PENDING_PAYMENT.value


def sale_view(desk: Desk, order_no: str) -> SaleView:
    """Read-only. Raises DomainError order_not_found."""
    order = get_order(order_no)
    qr: dict[str, Any] = {}
    event = (OrderEvent.select(OrderEvent.data).where((OrderEvent.order == order.id)
                                                      & (OrderEvent.action == "payment_created"))
             .order_by(OrderEvent.id.desc()).first())
    if event is not None:
        qr = json.loads(event.data or "{}")
    account = GatewayAccount.get_or_none(GatewayAccount.id == order.gateway_id) if order.gateway_id else None
    created = from_epoch(order.created_at)
    assert created is not None
    return SaleView(
        order.order_no, str(order.status), int(order.paid_fen), str(order.product_name), int(order.quantity),
        account.name if account is not None else "", qr.get("qr"), order.gateway_trade_no, created,
        expiry_of(desk, order), from_epoch(order.paid_at), from_epoch(order.delivered_at),
        len(str(order.card_code).splitlines()) if order.card_code and order.delivered_at else 0,
        flag_of(order.id)[0], order.held_at is not None and order.delivered_at is None,
        order.backorder_at is not None and order.delivered_at is None,
        mask_code(order.card_code) if order.card_code and order.delivered_at else "", order.coupon_code or "")


def _account_id(name: str) -> int:
    account = GatewayAccount.get_or_none(GatewayAccount.name == name.strip())
    if account is None:
        raise not_found("gateway", name)
    return int(account.id)


def _notify_url(gateway_id: int) -> str:
    account = GatewayAccount.get_by_id(gateway_id)
    return str(json.loads(account.config or "{}").get("notify_url") or "").strip() or NO_NOTIFY_URL


def record_qr(desk: Desk, order_no: str, qr: QrPayment) -> Changes:
    """Keep the QR payload (and the gateway's trade no, when it named one at creation) on the
    order: a ``payment_created`` event that the dialog and ``orders show`` read back."""
    with desk.atomic():
        order = get_order(order_no)
        trade_no = (qr.gateway_trade_no or "").strip()
        if trade_no and order.paid_at is None and trade_no_conflict(order.gateway_id, trade_no, order_id=order.id) is None:
            order.gateway_trade_no = trade_no
            order.save()
        add_events([event_row(order.id, desk.now(), OWNER, "payment_created", trade_no,
                              data={"qr": qr.qr_content, "trade_no": trade_no or None, "gateway_id": order.gateway_id})])
        return Changes(order_ids={order.id})


def abandon_sale(desk: Desk, order_no: str, why_zh: str, why_en: str, *, trade_may_exist: bool = True) -> Changes:
    """Void a desk order whose QR payment could not be created: cancelled with its stock and
    coupon given back, one ``sale_failed`` event; not counted as the buyer's cancellation.
    ``trade_may_exist`` False (the gateway answered no, or was never reached): there is no trade
    to close nor to watch, so neither trade closing nor payment sync asks about it again."""
    with desk.atomic():
        order = get_order(order_no)
        if order.status != S.PENDING_PAYMENT.value:
            return Changes()
        now = desk.now()
        if not trade_may_exist:
            watch = watch_of(order.id, now)
            watch.close_state, watch.updated_at = NOT_CREATED, to_epoch(now)
            watch.save()
        before = set_status(order, S.CANCELLED, now)
        order.cancelled_at = to_epoch(now)
        released = release_stock_and_coupon(order)
        order.save()
        add_events([event_row(order.id, now, SYSTEM, "sale_failed", why_zh, before, S.CANCELLED.value,
                              {"released": released, "why_en": why_en})])
        return Changes(order_ids={order.id}, product_ids={order.product_id} if order.product_id else set(),
                       counts_changed=True)


class SaleInterrupted(asyncio.CancelledError):
    """Creating a sale's QR payment was interrupted; the order (``order_no``) was voided, its
    units and coupon given back. A CancelledError, so a cancelled task stays cancelled."""

    def __init__(self, order_no: str) -> None:
        super().__init__(order_no)
        self.order_no = order_no

    @property
    def zh(self) -> str:
        return (f"创建收款二维码时被中断：订单 {self.order_no} 已作废，库存已退回。买家若已扫码付款，"
                f"payments sync --order {self.order_no} 会查到并补单")

    @property
    def en(self) -> str:
        return (f"interrupted while the QR payment was being created: order {self.order_no} is void and its stock "
                f"is back. If the buyer paid already, payments sync --order {self.order_no} finds it and marks it paid")


async def open_sale(desk: Desk, sale: SaleInput, sync: PaymentSync) -> tuple[CreatedSale, SaleView]:
    """Make a gateway sale: the order, then its QR payment (``sync`` lends its adapters and its
    database runner, so the window keeps writes on its worker).

    Raises DomainError from ``create_order``, the adapter's (a locked key vault: nothing is
    written), and ``qr_failed`` when the gateway did not give a QR: the order is voided and the
    message names the gateway's reason and the order no.
    """
    if sale.gateway is None:
        raise DomainError("payment_required", "请选择收款网关", "choose a payment gateway")
    gateway_id = await sync.run_db(_account_id, sale.gateway)
    adapter = sync._adapter(gateway_id)  # before anything is written: a locked vault asks first
    await sync.run_db(claim_books, desk, gateway_id)  # a payment is booked at the gateway
    created: CreatedSale = await sync.run_db(create_order, desk, sale)
    notify_url = await sync.run_db(_notify_url, gateway_id)
    request = QrRequest(created.order_no, created.amount_fen, created.subject, notify_url=notify_url)
    try:
        qr: QrPayment = await adapter.create_qr(request)
    except (asyncio.CancelledError, KeyboardInterrupt) as exc:
        # Interrupted (Ctrl+C, the window closing): the order must not wait with its units held.
        await asyncio.shield(sync.run_db(abandon_sale, desk, created.order_no, "创建收款二维码时被中断",
                                         "interrupted while the QR payment was being created"))
        raise SaleInterrupted(created.order_no) from exc
    except GatewayError as exc:
        maybe = exc.kind is ErrorKind.RETRYABLE and exc.sent  # sent, no answer: the trade may exist
        changes = await sync.run_db(abandon_sale, desk, created.order_no, exc.zh, exc.en, trade_may_exist=maybe)
        created.changes.merge(changes)
        back_zh, back_en = ("库存和优惠券已退回", "its stock and coupon are back") if sale.coupon.strip() \
            else ("库存已退回", "its stock is back")
        raise DomainError(
            "qr_failed", f"网关未能创建收款二维码：{exc.zh}。订单 {created.order_no} 已作废，{back_zh}",
            f"the gateway did not create the QR payment: {exc.en}. Order {created.order_no} is void; "
            f"{back_en}") from exc
    created.changes.merge(await sync.run_db(record_qr, desk, created.order_no, qr))
    return created, await sync.run_db(sale_view, desk, created.order_no)


async def poll_sale(desk: Desk, sync: PaymentSync, order_no: str) -> tuple[SyncReport, SaleView]:
    """Ask the gateway about this sale now (payment sync's own check, so a payment it finds is
    marked paid and delivered exactly once, whoever else sees it), then read the sale again.
    The desk watching a sale it made (no right asked: a sign-out meanwhile must not lose the
    payment)."""
    report = await sync.run([order_no], by_hand=False)
    return report, await sync.run_db(sale_view, desk, order_no)


async def cancel_sale(desk: Desk, sync: PaymentSync, order_no: str) -> tuple[Changes, CloseReport, SaleView]:
    """取消订单 from the sale dialog: cancel the unpaid order (stock and coupon back), then close
    its trade at the gateway at once. A payment that beat the close is taken (a late payment:
    reopened and delivered, or a backorder) and the view says so."""
    await sync.run_db(desk.require, Right.ORDERS)  # PermissionRefused
    changes: Changes = await sync.run_db(cancel_unpaid, desk, order_no, ReasonCode.OTHER,
                                         "店内收款已取消 / desk sale cancelled",
                                         actor=OWNER)
    closes = await TradeCloser(sync).run([order_no], by_hand=False)  # checked above
    changes.merge(closes.changes)
    return changes, closes, await sync.run_db(sale_view, desk, order_no)


def sale_accounts() -> list[tuple[str, str]]:
    """(account name, kind) of the accounts a sale can take a QR payment through."""
    return [(a.name, a.kind) for a in qr_accounts()]

