"""A sale at the desk (新建订单): the amount, the order with its reserved stock, the payment path.

The buyer asks in QQ/WeChat, the owner quotes and makes the order here:

* ``quote`` prices it live: the product's price (fen) times the quantity, less the coupon, with
  the units on the shelf; it never writes.
* ``create_order`` writes the order in one IMMEDIATE transaction: a new order no
  (``KS`` + the Beijing date + 7 digits, the shop's format, the next after the day's highest, so
  two desks on one store never draw the same one: the write lock is held from the read to the
  insert), the buyer keyed as everywhere (``domain.contacts``), the coupon taken, and the 卡密
  reserved (or the stock counter taken) in the same transaction, refused when short saying how
  many are left.
* A gateway sale then creates the QR payment (``services.sale_flow``) and registers the trade
  for payment sync (``payment_watch``); a manual sale (cash, bank transfer, wallet) is marked
  paid with its method by the owner's confirmation and delivered in the same transaction.

Unpaid desk orders expire by the shop's unpaid-expiry policy (``orders.expire_unpaid``), and an
expired or cancelled one has its gateway trade closed (``trade_close``), like any other order.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from peewee import fn

from ..domain import ids
from ..domain.clock import to_epoch
from ..domain.contacts import ContactKind, classify_contact, clean, email_looks_deliverable
from ..domain.errors import DomainError
from ..domain.money import MAX_FEN, format_yuan
from ..domain.order import Channel, ProductType
from ..domain.roles import Right
from ..domain.states import OrderStatus
from ..gateways.base import Capability
from ..gateways.registry import discover
from ..store.models import Buyer, CardCode, Coupon, GatewayAccount, Order, Product
from .buyers import hold_orders
from .changes import Changes
from .codes import reserve_codes
from .common import OWNER, add_events, buyer_for, event_row, not_found
from .desk import Desk
from .orders import mark_paid
from .payments import watch_of
from .trade_nos import trade_no_holder

S = OrderStatus
ORDER_NO_PREFIX = "KS"
ORDER_NO_DIGITS = 7
MAX_QUANTITY = 999
MAX_CONTACT = 200


@dataclass(frozen=True)
class ManualMethod:
    """A way the buyer pays the owner directly; ``channel`` is the order's channel (refund ETA),
    ``gateway_kind`` the account the money sits in (the wallet), or "" for none."""

    code: str
    zh: str
    en: str
    channel: Channel
    gateway_kind: str = ""


MANUAL_METHODS: dict[str, ManualMethod] = {
    "cash": ManualMethod("cash", "现金", "cash", Channel.CASH),
    "bank_transfer": ManualMethod("bank_transfer", "银行转账", "bank transfer", Channel.BANK_TRANSFER),
    "wallet": ManualMethod("wallet", "店内余额", "in-shop wallet", Channel.WALLET, "wallet"),
}

#: The channel a QR payment of each gateway kind goes through (epay: its configured pay type).
_KIND_CHANNEL = {"alipay": Channel.ALIPAY, "wechatpay_v3": Channel.WECHAT}
_EPAY_TYPE_CHANNEL = {"alipay": Channel.ALIPAY, "wxpay": Channel.WECHAT}
_PHONE_LIKE = re.compile(r"^[+(]?[\d\s\-.()]+$")


@dataclass(frozen=True)
class BuyerCheck:
    """A contact as the desk reads it: ``kind`` (phone, qq, email, other), the canonical
    ``key``, and the blocklist reason when the buyer is blocked (their orders are held)."""

    written: str
    kind: ContactKind
    key: str
    blocked_reason: str | None = None


def parse_buyer(contact: str) -> BuyerCheck:
    """Validate and normalise a buyer's contact as the import and the search do.

    Raises DomainError: ``buyer_required`` (blank), ``buyer_too_long`` (over 200 characters),
    ``buyer_email_invalid`` (an @ that is no e-mail address), ``buyer_phone_invalid`` (digits
    and separators that are neither a valid phone number, per libphonenumber, nor a QQ number).
    A WeChat id or a nickname is kept as written (kind ``other``).
    """
    written = clean(contact)
    if not written:
        raise DomainError("buyer_required", "请填写买家联系方式（手机、QQ 或邮箱）",
                          "enter the buyer's contact (phone, QQ or e-mail)")
    if len(written) > MAX_CONTACT:
        raise DomainError("buyer_too_long", "买家联系方式超过 200 个字符", "buyer contact longer than 200 characters")
    kind, key = classify_contact(written)
    if "@" in written and (kind is not ContactKind.EMAIL or not email_looks_deliverable(written)):
        raise DomainError("buyer_email_invalid", f"邮箱地址不对：{written}", f"not a valid e-mail address: {written}")
    if kind is ContactKind.OTHER and _PHONE_LIKE.match(written) and sum(c.isdigit() for c in written) >= 5:
        raise DomainError("buyer_phone_invalid", f"不是有效的手机/电话号码或 QQ 号：{written}",
                          f"not a valid phone number or QQ number: {written}")
    return BuyerCheck(written, kind, key)


def check_buyer(contact: str) -> BuyerCheck:
    """``parse_buyer`` and the blocklist: ``blocked_reason`` is set for a blocked buyer."""
    parsed = parse_buyer(contact)
    buyer = Buyer.get_or_none(Buyer.contact == parsed.key)
    if buyer is None or buyer.blocked_at is None:
        return parsed
    return BuyerCheck(parsed.written, parsed.kind, parsed.key, buyer.blocked_reason or "")


@dataclass(frozen=True)
class Quote:
    """The live price of a desk sale, all money in fen. ``available`` is the units on the shelf
    (available 卡密, or the stock counter); ``problem`` is why it cannot be sold as it stands
    (stock short, a coupon that cannot be used), or None."""

    product_id: int
    product_name: str
    product_type: ProductType
    unit_fen: int
    quantity: int
    list_fen: int
    coupon_code: str | None
    coupon_fen: int
    amount_fen: int
    available: int
    problem: DomainError | None = None


def _available(product: Product) -> int:
    if product.product_type != ProductType.CARD_CODE.value:
        return int(product.stock)
    free = CardCode.select().where((CardCode.product == product.id) & (CardCode.state == "available")).count()
    if product.reusable:
        return MAX_QUANTITY if free else 0  # one code for every buyer
    return int(free)


def _short(product: Product, quantity: int, available: int) -> DomainError:
    return DomainError("out_of_stock", f"库存不足：「{product.name}」只剩 {available} 件，要 {quantity} 件",
                       f"not enough stock: '{product.name}' has {available} left, {quantity} wanted")


def _coupon(code: str, list_fen: int) -> tuple[str | None, int, DomainError | None]:
    code = code.strip().upper()  # coupon codes are read without case: cp0001 is CP0001
    if not code:
        return None, 0, None
    coupon = Coupon.get_or_none(fn.UPPER(Coupon.code) == code)
    if coupon is None:
        return code, 0, DomainError("coupon_unknown", f"没有这张优惠券：{code}", f"no such coupon: {code}")
    code = str(coupon.code)  # as stored
    if coupon.used_by_order is not None:
        holder = Order.get_or_none(Order.id == coupon.used_by_order)
        used = holder.order_no if holder is not None else str(coupon.used_by_order)
        return code, 0, DomainError("coupon_used", f"优惠券 {code} 已被订单 {used} 使用",
                                    f"coupon {code} is already used by order {used}")
    # The buyer pays at least one fen: a gateway takes no zero payment, and 补单 needs money due.
    return code, max(0, min(int(coupon.discount_fen), list_fen - 1)), None


def quote(desk: Desk, product: str | int, quantity: int, coupon: str = "") -> Quote:
    """Price a sale: ``product`` by name or id, ``quantity`` units, an optional coupon code.

    Raises DomainError product_not_found and ``bad_quantity`` (not 1-999); stock and coupon
    problems are returned in ``problem`` so a form can show them while the owner types.
    """
    found = (Product.get_or_none(Product.id == product) if isinstance(product, int)
             else Product.get_or_none(Product.name == str(product).strip()))
    if found is None:
        raise not_found("product", product)
    if not 1 <= quantity <= MAX_QUANTITY:
        raise DomainError("bad_quantity", f"数量必须是 1 到 {MAX_QUANTITY} 的整数", f"quantity must be 1 to {MAX_QUANTITY}")
    list_fen = int(found.price_fen) * quantity
    code, coupon_fen, problem = _coupon(coupon, list_fen)
    available = _available(found)
    if problem is None and available < quantity:
        problem = _short(found, quantity, available)
    if problem is None and list_fen - coupon_fen <= 0:
        problem = DomainError("nothing_due", "商品价格为 0：没有要收的钱", "the product's price is 0: nothing to charge")
    if problem is None and list_fen - coupon_fen > MAX_FEN:  # no amount the desk can refund or record
        limit = format_yuan(MAX_FEN, symbol=True, grouped=True)
        total = format_yuan(list_fen - coupon_fen, symbol=True, grouped=True)
        problem = DomainError("order_too_large", f"这笔订单 {total} 超过单笔上限 {limit}，请减少数量",
                              f"this order's {total} is above the limit of {limit} for one order: sell fewer")
    return Quote(found.id, found.name, ProductType(found.product_type), int(found.price_fen), quantity, list_fen,
                 code, coupon_fen, list_fen - coupon_fen, available, problem)


@dataclass(frozen=True)
class SaleInput:
    """What the owner entered: exactly one of ``gateway`` (an account name, for a QR payment)
    and ``manual`` (a key of MANUAL_METHODS); ``reference`` is the bank transfer's reference."""

    product: str | int
    quantity: int
    buyer: str
    coupon: str = ""
    gateway: str | None = None
    manual: str | None = None
    reference: str = ""


@dataclass
class CreatedSale:
    """The order a sale made: money in fen, ``expires_at`` when an unpaid one closes (Beijing
    time); ``gateway_id`` the account to create the QR payment with (None for manual)."""

    order_no: str
    order_id: int
    amount_fen: int
    subject: str
    expires_at: datetime
    gateway_id: int | None
    changes: Changes = field(default_factory=Changes)
    delivered: bool = False


def qr_accounts() -> list[GatewayAccount]:
    """Enabled accounts that can take a QR payment the desk can then ask about (payment sync)."""
    kinds = {kind for kind, cls in discover().items()
             if {Capability.CREATE_QR, Capability.QUERY_PAYMENT} <= cls.capabilities}
    return [a for a in GatewayAccount.select().where(GatewayAccount.enabled == True)  # noqa: E712
            .order_by(GatewayAccount.id) if a.kind in kinds]


def _gateway(name: str) -> tuple[GatewayAccount, Channel | None]:
    account = GatewayAccount.get_or_none(GatewayAccount.name == name.strip())
    if account is None:
        raise not_found("gateway", name)
    if account.id not in {a.id for a in qr_accounts()}:
        raise DomainError("gateway_cannot_sell", f"网关账户「{account.name}」不能收二维码付款（已停用，或不支持扫码下单与查询）",
                          f"gateway account '{account.name}' cannot take a QR payment (disabled, or it cannot "
                          "create and query QR payments)")
    if account.kind in _KIND_CHANNEL:
        return account, _KIND_CHANNEL[account.kind]
    pay_type = str(json.loads(account.config or "{}").get("pay_type") or "alipay")
    return account, _EPAY_TYPE_CHANNEL.get(pay_type)


def _manual(code: str) -> tuple[ManualMethod, int | None]:
    method = MANUAL_METHODS.get(code.strip())
    if method is None:
        raise DomainError("bad_method", f"未知的收款方式：{code}（cash 现金、bank_transfer 银行转账、wallet 店内余额）",
                          f"unknown payment method: {code} (cash, bank_transfer, wallet)")
    if not method.gateway_kind:
        return method, None
    account = (GatewayAccount.select().where((GatewayAccount.kind == method.gateway_kind)
                                             & (GatewayAccount.enabled == True))  # noqa: E712
               .order_by(GatewayAccount.id).first())
    if account is None:
        raise DomainError("no_wallet", "没有启用的店内余额账户", "no enabled in-shop wallet account")
    return method, int(account.id)


#: The forms of the trade nos the desk gives its own manual payments (``METHOD-ORDER_NO``).
OWN_TRADE_NO_PREFIXES = tuple(f"{code.upper()}-" for code in MANUAL_METHODS)


def check_reference(text: str) -> str:
    """The owner's reference for a manual payment (a transfer's 流水号), stripped; "" for none.
    Raises DomainError ``bad_reference`` (``domain.ids.check_reference``: spaces, control
    characters, over 64 characters, a number Excel rewrote) and ``reference_reserved`` for the
    desk's own trade-no forms (CASH-, WALLET-, BANK_TRANSFER-, any case): those belong to the
    desk's manual sales."""
    reference = ids.check_reference(text)
    if reference.upper().startswith(OWN_TRADE_NO_PREFIXES):
        forms = "、".join(p + "…" for p in OWN_TRADE_NO_PREFIXES)
        raise DomainError("reference_reserved", f"凭证号不能用本店自动生成的交易号格式（{forms}）：{reference}",
                          f"a reference cannot take the desk's own trade-no forms ({forms}): {reference}")
    return reference


def own_trade_no(method: ManualMethod, order_no: str) -> str:
    """The trade no the desk gives a manual payment: ``METHOD-ORDER_NO``, with ``-2``, ``-3`` …
    when an older order already holds that form (the desk's own trade nos are always free)."""
    base = f"{method.code.upper()}-{order_no}"
    candidate, n = base, 1
    while trade_no_holder(None, candidate) is not None:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def next_order_no(now: datetime) -> str:
    """The next order no of the day ``now`` names (Beijing time): ``KS20261118`` + 7 digits,
    one above the day's highest of that form. Call inside the write transaction."""
    prefix = f"{ORDER_NO_PREFIX}{now:%Y%m%d}"
    low, high = prefix + "0" * ORDER_NO_DIGITS, prefix + "9" * ORDER_NO_DIGITS
    top = (Order.select(fn.MAX(Order.order_no))
           .where(Order.order_no.between(low, high) & (fn.LENGTH(Order.order_no) == len(low))).scalar())
    tail = top[len(prefix):] if top else ""
    seq = int(tail) + 1 if tail.isdigit() else 1
    if seq >= 10 ** ORDER_NO_DIGITS:
        raise DomainError("order_nos_exhausted", "今天的订单号已用完", "today's order numbers are used up")
    return f"{prefix}{seq:0{ORDER_NO_DIGITS}d}"


def expiry_of(desk: Desk, order: Order) -> datetime:
    """When an unpaid order expires: created + the product's unpaid-expiry minutes (Beijing)."""
    product = Product.get_or_none(Product.id == order.product_id) if order.product_id else None
    minutes = desk.product_policy(product).unpaid_expiry_minutes
    created = datetime.fromtimestamp(order.created_at, desk.now().tzinfo)
    return created + timedelta(minutes=minutes)


def create_order(desk: Desk, sale: SaleInput, *, confirmed: bool = False) -> CreatedSale:
    """Write the desk order in one transaction (see the module docstring).

    A manual sale needs ``confirmed`` (the owner says the money is in): it is marked paid with
    its method (trade no ``METHOD-ORDER_NO``, or the transfer reference) and delivered at once.
    Raises DomainError: product_not_found, bad_quantity, out_of_stock (how many are left),
    coupon_unknown / coupon_used, the buyer's (``check_buyer``), gateway_not_found,
    gateway_cannot_sell, bad_method, no_wallet, confirmation_required, payment_required.
    """
    desk.require(Right.ORDERS)
    if (sale.gateway is None) == (sale.manual is None):
        raise DomainError("payment_required", "请选择收款网关或手动收款方式（二选一）",
                          "choose a payment gateway or a manual method (one of them)")
    if sale.manual is not None and not confirmed:
        raise DomainError("confirmation_required", "手动收款需要确认已收到钱", "a manual payment needs the owner's "
                          "confirmation that the money is in")
    with desk.atomic():
        buyer = check_buyer(sale.buyer)
        priced = quote(desk, sale.product, sale.quantity, sale.coupon)
        if priced.problem is not None:
            raise priced.problem
        if sale.gateway is not None:
            account, channel = _gateway(sale.gateway)
            gateway_id: int | None = int(account.id)
            method = None
        else:
            method, gateway_id = _manual(sale.manual or "")
            channel = method.channel
        created = _insert(desk, priced, buyer, gateway_id, channel, method)
        if method is not None:
            reference = check_reference(sale.reference) or own_trade_no(method, created.order_no)
            created.changes.merge(mark_paid(desk, created.order_no, reference, confirmed=True, actor=OWNER))
            created.delivered = Order.get_by_id(created.order_id).delivered_at is not None
            created.gateway_id = None
        return created


def _insert(desk: Desk, priced: Quote, buyer: BuyerCheck, gateway_id: int | None, channel: Channel | None,
            method: ManualMethod | None) -> CreatedSale:
    now = desk.now()
    order_no = next_order_no(now)
    is_codes = priced.product_type is ProductType.CARD_CODE
    order = Order.create(
        order_no=order_no, created_at=to_epoch(now), product=priced.product_id, product_name=priced.product_name,
        product_type=priced.product_type.value, quantity=priced.quantity, list_fen=priced.list_fen,
        coupon_fen=priced.coupon_fen, coupon_code=priced.coupon_code, paid_fen=priced.amount_fen,
        status=S.PENDING_PAYMENT.value, channel=channel.value if channel else None, gateway=gateway_id,
        buyer=buyer.written, buyer_key=buyer.key, buyer_ref=buyer_for(buyer.written),
        stock_reserved=not is_codes, updated_at=to_epoch(now))
    product = Product.get_by_id(priced.product_id)
    if is_codes:
        if reserve_codes(desk, order) < priced.quantity and not product.reusable:
            raise _short(product, priced.quantity, _available(product))
    elif not Product.update(stock=Product.stock - priced.quantity).where(
            (Product.id == product.id) & (Product.stock >= priced.quantity)).execute():
        raise _short(product, priced.quantity, _available(product))
    if priced.coupon_code:
        Coupon.update(used_by_order=order.id).where(Coupon.code == priced.coupon_code).execute()
    data: dict[str, Any] = {"source": "desk", "amount_fen": priced.amount_fen, "quantity": priced.quantity}
    if method is not None:
        data["method"] = method.code
    if priced.coupon_code:
        data.update(coupon=priced.coupon_code, coupon_fen=priced.coupon_fen)
    note = f"{priced.product_name} ×{priced.quantity} {format_yuan(priced.amount_fen, symbol=True)}"
    add_events([event_row(order.id, now, OWNER, "created", note, None, S.PENDING_PAYMENT.value, data)])
    if buyer.blocked_reason is not None:
        hold_orders(desk, Order.id == order.id, buyer.blocked_reason, OWNER)
    if gateway_id is not None and method is None:
        watch_of(order.id, now)  # payment sync asks about it from now on
    subject = f"{priced.product_name} ×{priced.quantity}"
    return CreatedSale(order_no, order.id, priced.amount_fen, subject, expiry_of(desk, order), gateway_id,
                       Changes(order_ids={order.id}, product_ids={priced.product_id}, counts_changed=True))
