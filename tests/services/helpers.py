"""Building blocks for service tests: a product, an order in a given state, sandbox accounts."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from kashop_desktop.domain.clock import to_epoch
from kashop_desktop.gateways.fakes import fake_class
from kashop_desktop.services import refund_queue as rq
from kashop_desktop.services.bulk import insert_orders
from kashop_desktop.services.code_import import add_codes
from kashop_desktop.services.common import buyer_for
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.gateways import ensure_builtin_accounts, save_account
from kashop_desktop.store.models import Coupon, GatewayAccount, Product

_counter = {"n": 0}


def product(desk: Desk, name: str = "王者荣耀点券 680点", ptype: str = "card_code", stock: int = 10,
            codes: int = 5, overrides: str = "{}") -> Product:
    p, _ = Product.get_or_create(name=name, defaults={"product_type": ptype, "price_fen": 68_00, "stock": stock,
                                                      "policy_overrides": overrides})
    if ptype == "card_code" and codes:
        with desk.atomic():
            add_codes(desk, p.id, [f"CODE-{p.id}-{i:04d}-SECRET" for i in range(codes)])
    return p


def sandbox(desk: Desk, scenario: str = "success", name: str | None = None) -> int:
    ensure_builtin_accounts(desk)
    name = name or f"sandbox-{scenario}"
    if not GatewayAccount.select().where(GatewayAccount.name == name).exists():
        save_account(desk, name, "sandbox", {"scenario": scenario})
    return int(GatewayAccount.get(GatewayAccount.name == name).id)


def order(desk: Desk, status: str = "paid", *, paid_fen: int = 68_00, paid_minutes_ago: float = 2,
          prod: Product | None = None, buyer: str = "13800138000", gateway_id: int | None = None,
          channel: str = "alipay", coupon: tuple[str, int] | None = None, points: int = 0, **extra: Any) -> str:
    _counter["n"] += 1
    now = desk.now()
    prod = prod or product(desk)
    paid_at = now - timedelta(minutes=paid_minutes_ago)
    order_no = f"KST{_counter['n']:08d}"
    row: dict[str, Any] = {
        "order_no": order_no, "created_at": to_epoch(paid_at - timedelta(minutes=1)), "product_id": prod.id,
        "product_name": prod.name, "product_type": prod.product_type, "list_fen": paid_fen + (coupon[1] if coupon else 0),
        "paid_fen": paid_fen, "status": status, "channel": channel, "buyer": buyer, "buyer_ref_id": buyer_for(buyer),
        "gateway_id": gateway_id if gateway_id is not None else sandbox(desk), "points": points,
        "stock_reserved": 1 if status in ("pending_payment", "paid") else 0,
    }
    if coupon:
        Coupon.insert(code=coupon[0], discount_fen=coupon[1]).on_conflict_ignore().execute()
        row.update(coupon_code=coupon[0], coupon_fen=coupon[1])
    if status != "pending_payment":
        row.update(paid_at=to_epoch(paid_at), gateway_trade_no=f"T{order_no}")
    if status in ("delivered", "completed"):
        row.update(delivered_at=to_epoch(paid_at + timedelta(seconds=30)), card_code="CODE-XYZ-1234567")
    row.update(extra)
    insert_orders(desk, [row])
    if row["stock_reserved"]:
        Product.update(stock=Product.stock - 1).where(Product.id == prod.id).execute()
    if coupon:
        from kashop_desktop.store.models import Order

        Coupon.update(used_by_order=Order.get(Order.order_no == order_no).id).where(Coupon.code == coupon[0]).execute()
    return order_no


@contextmanager
def fake_gateway(desk: Desk, kind: str, name: str | None = None) -> Iterator[tuple[str, Any, int]]:
    """A local fake gateway of ``kind`` on loopback, with the desk's account for it saved as
    ``name`` (``fake-KIND``): yields (kind, the fake server, the account's id); stopped after."""
    name = name or f"fake-{kind}"
    server = fake_class(kind)().start()
    try:
        save_account(desk, name, kind, server.account_config(kind))
        yield kind, server, GatewayAccount.get(GatewayAccount.name == name).id
    finally:
        server.stop()


def send_refunds(desk: Desk, adapter_kw: dict[str, Any] | None = None, **kw: Any) -> rq.QueueReport:
    """One run of the refund queue (``RefundQueue.send(**kw)``) on its own event loop, its
    gateways' clients closed after; ``adapter_kw`` goes to the gateway adapters (e.g. a timeout)."""
    async def run() -> rq.QueueReport:
        queue = rq.RefundQueue(desk, adapter_kw=adapter_kw) if adapter_kw else rq.RefundQueue(desk)
        try:
            return await queue.send(**kw)
        finally:
            await queue.aclose()

    return asyncio.run(run())
