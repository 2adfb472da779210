"""The demo shop wired to local fake gateways, so a new owner sees real signed refunds flow.

``start(desk)`` starts one fake server per real gateway kind on 127.0.0.1 (threads in this
process), points a gateway account at each, and gives each a few paid orders whose payments
the fake knows about: one asked for inside the cooling-off window (auto-approved, so its
refund is queued at once) and one waiting for review. Call ``stop(servers)`` when done.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ..domain.clock import to_epoch
from ..domain.order import ReasonCode
from ..gateways.fakes import fake_class
from ..store.models import CancelRequest, GatewayAccount, Order, Product
from . import requests as request_ops
from .bulk import insert_orders
from .common import buyer_for
from .demo import ensure_demo_secrets, hold_units
from .desk import Desk
from .gateways import save_account

ACCOUNTS = {
    "epay_v1": ("易支付V1(本地模拟)", "alipay"),
    "epay_v2": ("易支付V2(本地模拟)", "alipay"),
    "alipay": ("支付宝(本地模拟)", "alipay"),
    "wechatpay_v3": ("微信支付(本地模拟)", "wechat"),
}


def _ensure_secrets(desk: Desk) -> str | None:
    """The fakes' keys are secrets too; a locked vault is opened with the demo passphrase."""
    return ensure_demo_secrets(desk)


def start(desk: Desk) -> tuple[list[Any], str | None]:
    passphrase = _ensure_secrets(desk)
    servers: list[Any] = []
    product = Product.select().where(Product.product_type == "card_code").order_by(Product.id).first()
    for n, (kind, (name, channel)) in enumerate(ACCOUNTS.items(), start=1):
        server = fake_class(kind)().start()
        servers.append(server)
        save_account(desk, name, kind, server.account_config(kind), replace=True)
        gateway_id = GatewayAccount.get(GatewayAccount.name == name).id
        for m, (minutes, reason) in enumerate(((3, ReasonCode.DUPLICATE), (120, ReasonCode.WRONG_ITEM)), start=1):
            _order(desk, server, product, gateway_id, channel, f"{n}{m}", minutes, reason, kind)
    return servers, passphrase


def _order(desk: Desk, server: Any, product: Product, gateway_id: int, channel: str, suffix: str, minutes: int,
           reason: ReasonCode, kind: str) -> None:
    now = desk.now()
    order_no = f"KSF{now:%Y%m%d}{suffix}"
    amount = product.price_fen
    existing = Order.get_or_none(Order.order_no == order_no)
    payment = server.add_payment(order_no, amount)
    if existing is not None:  # a new fake each run: tell it about the payment again
        Order.update(gateway_trade_no=payment.trade_no, gateway=gateway_id).where(Order.id == existing.id).execute()
        return
    paid_at = now - timedelta(minutes=minutes)
    buyer = f"qq:{700000 + int(suffix)}"
    insert_orders(desk, [{
        "order_no": order_no, "created_at": to_epoch(paid_at - timedelta(minutes=1)), "product_id": product.id,
        "product_name": product.name, "product_type": product.product_type, "list_fen": amount, "paid_fen": amount,
        "status": "paid", "paid_at": to_epoch(paid_at), "channel": channel, "gateway_id": gateway_id,
        "gateway_trade_no": payment.trade_no, "buyer": buyer, "buyer_ref_id": buyer_for(buyer),
        "stock_reserved": int(product.product_type != "card_code"),
    }])
    hold_units(desk, product, order_no)
    _, rid = request_ops.open_request(desk, order_no, reason, note="本地模拟网关演示",
                                      confirm_non_idempotent=kind == "epay_v1")
    if rid is not None and kind == "epay_v1" and CancelRequest.get_by_id(rid).state == "open" and minutes < 10:
        request_ops.approve(desk, rid, confirm_non_idempotent=True, note="已确认：易支付V1无退款幂等保护")


def stop(servers: list[Any]) -> None:
    for server in servers:
        server.stop()
