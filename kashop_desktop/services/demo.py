"""A believable demo shop: products, card codes, coupons, buyers, orders in every state,
open requests (some overdue, some from flagged buyers), queued and settled refunds.

Every order is one a real shop could have: nothing happened after "now" (a recent order simply
has not got that far: delivered today means not completed yet), every delivered 卡密 order
carries the codes it sold, and every timeline starts with 下单 and, once paid, 支付成功.
Deterministic (seeded) and idempotent: running it twice adds nothing the second time.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from ..domain.clock import to_epoch
from ..domain.errors import DomainError
from ..domain.order import ReasonCode
from ..domain.refund_states import FINAL_REFUND_STATES
from ..domain.roles import Right
from ..domain.states import OrderStatus
from ..store import chain
from ..store.models import (
    BuyerCancellation,
    CancelRequest,
    CardCode,
    Coupon,
    GatewayAccount,
    Order,
    Product,
    Refund,
)
from . import datagen
from . import orders as order_ops
from . import requests as request_ops
from .bulk import insert_orders
from .code_import import add_codes
from .codes import reserve_codes
from .common import add_events, buyer_for, event_row
from .desk import Desk
from .gateways import ensure_builtin_accounts, save_account
from .history_refunds import add_history_refunds
from .refund_queue import RefundQueue
from .secrets import VaultStore

S = OrderStatus

PRODUCTS: list[tuple[str, str, int, dict[str, Any]]] = [
    ("王者荣耀点券 60点", "card_code", 6_00, {}),
    ("王者荣耀点券 680点", "card_code", 68_00, {}),
    ("Steam 钱包充值卡 100元", "card_code", 100_00, {"auto_approve_ceiling_fen": 50_00}),
    ("中国移动话费 50元", "direct_recharge", 49_50, {}),
    ("中国移动话费 100元", "direct_recharge", 98_80, {}),
    ("爱奇艺会员月卡", "card_code", 19_80, {}),
    ("腾讯视频VIP季卡", "card_code", 58_00, {}),
    ("京东E卡 200元(实体卡)", "physical", 200_00, {"no_refunds": False}),
    ("网易云音乐黑胶年卡", "card_code", 158_00, {"no_refunds": True}),
]

BUYERS = [
    "13800138000", "13912345678", "qq:12345678", "alice@example.com", "15011112222", "qq:88886666",
    "lee.wang@163.com", "18622223333", "qq:20240101", "gamer_zhang@qq.com", "17755556666", "13598765432",
]
FLAGGED_BUYER = "13300001111"
CHANNELS = [("alipay", 45), ("wechat", 40), ("wallet", 10), ("bank_card", 5)]
STATUS_WEIGHTS = [
    (S.COMPLETED, 46), (S.DELIVERED, 20), (S.PAID, 6), (S.PENDING_PAYMENT, 6), (S.CANCELLED, 14),
    (S.REFUNDED, 5), (S.PARTIALLY_REFUNDED, 3),
]
#: From this many orders on, the demo's history comes from the realistic generator (datagen).
REALISTIC_FROM = 20_000


CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
#: Orders complete by themselves a day after delivery (the buyer did not complain).
AUTO_COMPLETE_S = 86400


def _weighted(rng: random.Random, pairs: list[tuple[Any, int]]) -> Any:
    return rng.choices([p for p, _ in pairs], [w for _, w in pairs])[0]


def _built(orders: int) -> bool:
    """The demo shop is already there: its products, at least ``orders`` orders, its scenarios."""
    return (Product.select().where(Product.name.in_([p[0] for p in PRODUCTS])).count() == len(PRODUCTS)
            and Order.select().where(Order.order_no.startswith("KS")).count() >= orders
            and _scenarios_built())


def _scenarios_built() -> bool:
    """The scenario orders (``KSD...``: open requests, disputes, settled refunds) are there."""
    return Order.select().where(Order.order_no.startswith("KSD")).exists()


DEMO_PASSPHRASE = "kashop-demo"

#: The gateway accounts every shop has (``gateways.ensure_builtin_accounts``).
BUILTIN_ACCOUNTS = ("余额", "沙箱")

#: The setting that marks a shop the demo built (written in the build's first transaction).
DEMO_MARK = "demo_shop"

#: The demo's order nos (SQLite GLOB): its history (``KS`` + Beijing date + 7-digit sequence, from
#: ``_rows`` and ``datagen``) and its scenario orders (``KSD`` + Beijing date + 5 digits).
DEMO_ORDER_NOS = ("KS" + "[0-9]" * 15, "KSD" + "[0-9]" * 13)


def check_orders(orders: int) -> None:
    """Raise DomainError ``demo_orders_invalid`` unless ``orders`` (the demo's order count) is at least 1."""
    if orders < 1:
        raise DomainError("demo_orders_invalid", f"演示订单数必须是正整数（至少 1），而不是 {orders}：例如 --orders 2000",
                          f"the number of demo orders must be a whole number of at least 1, not {orders}: "
                          "e.g. --orders 2000")


def refuse_a_real_shop(desk: Desk) -> bool:
    """Raise DomainError ``demo_on_real_shop`` unless ``desk`` is a new shop (no order, and no
    product, coupon or gateway account but the built-in ones)
    or one the demo built: marked with the ``demo_shop`` setting, or, built before the mark, one
    whose every order carries a demo order no (``DEMO_ORDER_NOS``) beside all the demo's products.
    Reads only. Returns True for a demo shop built before the mark (the caller marks it)."""
    if desk.setting(DEMO_MARK):
        return False
    if not Order.select().exists():
        if _set_up(desk):
            raise DomainError("demo_on_real_shop", "这个店铺已有商品、优惠券或网关账户（不是演示建的），演示只建在新的文件夹里："
                              "用 --data-dir 指定一个新文件夹；这个店铺里什么都没有写",
                              "this shop already has products, coupons or gateway accounts (not the demo's); the demo "
                              "is built in a new folder only: name a new folder with --data-dir; nothing was written "
                              "in this shop")
        return False
    if _an_older_demo_shop(desk):
        return True
    raise DomainError("demo_on_real_shop", "这个店铺已有真实订单，演示只建在新的文件夹里：用 --data-dir 指定一个新文件夹；"
                      "这个店铺里什么都没有写",
                      "this shop already holds real orders; the demo is built in a new folder only: name a new "
                      "folder with --data-dir; nothing was written in this shop")


def _set_up(desk: Desk) -> bool:
    """The owner has set this order-less shop up: a product, a coupon, or a gateway account
    besides the built-in wallet and sandbox that every shop has."""
    return (Product.select().exists() or Coupon.select().exists()
            or GatewayAccount.select().where(GatewayAccount.name.not_in(BUILTIN_ACCOUNTS)).exists())


def _an_older_demo_shop(desk: Desk) -> bool:
    """Every order has a demo order no and the demo's products are all there (a shop the demo
    built before it marked its shops). One pass over the order-no index."""
    if Product.select().where(Product.name.in_([p[0] for p in PRODUCTS])).count() < len(PRODUCTS):
        return False
    other = desk.db.execute_sql("SELECT EXISTS (SELECT 1 FROM orders WHERE NOT (order_no GLOB ? OR order_no GLOB ?))",
                                DEMO_ORDER_NOS).fetchone()[0]
    return not other


def _mark(desk: Desk) -> None:
    """Mark the shop as the demo's (a setting, written to the shop log like any other)."""
    if not desk.setting(DEMO_MARK):
        desk.set_setting(DEMO_MARK, True)


def ensure_demo_secrets(desk: Desk) -> str | None:
    """The demo's 卡密 and fake gateways' keys are secrets: a locked vault (this PC has no OS
    keyring) is opened, or made, with the demo passphrase, which is returned (None: no vault
    needed unlocking)."""
    store = desk.secrets()
    if isinstance(store, VaultStore) and not store.unlocked:
        store.unlock(DEMO_PASSPHRASE)
        return DEMO_PASSPHRASE
    return None


def refuse_a_server(desk: Desk) -> None:
    """Raise DomainError ``demo_on_server`` when ``desk`` is on a server store (see ``build``)."""
    if desk.db_url is not None:
        raise DomainError("demo_on_server", "演示店铺只建在本机数据文件上：先不加 --db 建好，再用 "
                          "kashop-desktop store migrate --to postgresql://… 迁移到服务器；服务器上什么都没有写",
                          "the demo shop is built on the data file only: build it without --db, then move it with "
                          "kashop-desktop store migrate --to postgresql://...; nothing was written on the server")


def build(desk: Desk, orders: int = 2000, *, seed: int = 7, with_events: bool = True,
          settle: bool = True) -> dict[str, int]:
    """Create the demo shop in ``desk``. Returns what was added. Raises DomainError
    ``demo_on_server`` on a server store: the demo's generator writes through SQLite's bulk path,
    so the demo is built on the data file and moved with ``store migrate --to``;
    ``demo_on_real_shop`` on a shop the demo did not build (see ``refuse_a_real_shop``), and
    ``demo_orders_invalid`` for fewer than 1 order, in both cases before anything is written."""
    desk.require(Right.DEMO)
    check_orders(orders)
    refuse_a_server(desk)
    older = refuse_a_real_shop(desk)  # before anything is written: secrets, accounts, products...
    added = {"products": 0, "orders": 0, "requests": 0, "refunds": 0}
    if _built(orders):
        if older:
            _mark(desk)  # once: later relaunches read the mark instead of every order no
        return added  # a relaunch: a few reads, no write transaction, nothing to add
    ensure_demo_secrets(desk)
    before = _totals()
    _build(desk, orders, seed, with_events, settle, added)
    # What the summary says is what the store now holds more of (history and scenarios alike).
    added.update({k: v - before[k] for k, v in _totals().items()})
    return added


def _totals() -> dict[str, int]:
    return {"orders": Order.select().count(), "requests": CancelRequest.select().count(),
            "refunds": Refund.select().count()}


def _build(desk: Desk, orders: int, seed: int, with_events: bool, settle: bool, added: dict[str, int]) -> None:
    now = desk.now()
    with desk.atomic():
        _mark(desk)
        ensure_builtin_accounts(desk)
        for name, ptype, price, overrides in PRODUCTS:
            _, created = Product.get_or_create(name=name, defaults={
                # A 卡密 product's stock is its codes (added below), as `products add` makes it.
                "product_type": ptype, "price_fen": price, "stock": 0 if ptype == "card_code" else 500,
                "policy_overrides": json.dumps(overrides)})
            added["products"] += int(created)
        products = list(Product.select().order_by(Product.id))
        for product in products:
            if product.product_type == "card_code" and not CardCode.select().where(CardCode.product == product).exists():
                rng = random.Random(f"codes-{product.id}")
                add_codes(desk, product.id, [_card_code(rng, product.id, i) for i in range(60)])
        for i, value in enumerate((5_00, 10_00, 3_00, 20_00)):
            for j in range(40):
                Coupon.insert(code=f"CP{i}{j:03d}", discount_fen=value).on_conflict_ignore().execute()
        buyers = {contact: bid for contact in [*BUYERS, FLAGGED_BUYER] if (bid := buyer_for(contact)) is not None}
        accounts = {a.kind: a.id for a in GatewayAccount.select()}
        existing = Order.select().where(Order.order_no.startswith("KS")).count()
        if existing < orders and orders > REALISTIC_FROM:
            # A big shop: years of realistic history, streamed through the bulk path.
            added["orders"] = datagen.load(desk, orders - existing, seed=seed, now=now, events=with_events)
        elif existing < orders:
            first_id = desk.db.execute_sql("SELECT COALESCE(MAX(id), 0) + 1 FROM orders").fetchone()[0]
            rows = list(_rows(desk, products, accounts, buyers, now, existing, orders, seed))
            added["orders"] = insert_orders(desk, rows)
            _reserve_codes(desk, [r["order_no"] for r in rows if r["product_type"] == "card_code"
                                  and r["status"] in (S.PENDING_PAYMENT.value, S.PAID.value)])
            if with_events:
                _history_events(desk, [r["order_no"] for r in rows])
            add_history_refunds(desk, first_id, to_epoch(now), events=with_events)
    if not _scenarios_built():
        _scenarios(desk, products, accounts, buyers, now)
        request_ops.sweep(desk)
        if settle:
            _settle_some(desk)


def _settle_some(desk: Desk) -> None:
    """Send the wallet refunds and one sandbox refund, so the queue shows settled ones too."""
    import asyncio

    # A settled refund (the history's are all 退款成功) is never sent again: only open ones are
    # named, so a million-order history's ~10,000 wallet refunds are not read back one by one.
    still_open = Refund.state.not_in([s.value for s in FINAL_REFUND_STATES])
    ids = [r.id for r in Refund.select(Refund.id).join(Order).where(Order.channel == "wallet", still_open)]
    ids += [r.id for r in Refund.select(Refund.id).where(Refund.gateway.is_null(False)).order_by(Refund.id).limit(2)]
    ids += [r.id for r in Refund.select(Refund.id).join(GatewayAccount)
            .where(GatewayAccount.name.startswith("沙箱("), still_open)]

    async def run() -> None:
        queue = RefundQueue(desk)
        try:
            await queue.send(refund_ids=ids)
        finally:
            await queue.aclose()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(run())


def hold_units(desk: Desk, product: Product, order_no: str) -> None:
    """A demo order made paid or unpaid directly holds its units: codes for 卡密, the counter
    otherwise (its row carries ``stock_reserved`` for the counter)."""
    if product.product_type == "card_code":
        reserve_codes(desk, Order.get(Order.order_no == order_no))
    else:
        Product.update(stock=Product.stock - 1).where(Product.id == product.id).execute()


def _reserve_codes(desk: Desk, order_nos: list[str]) -> None:
    """Open 卡密 orders hold their codes (reserved), as a shop's checkout would have left them."""
    for order in Order.select().where(Order.order_no.in_(order_nos)).order_by(Order.id):
        reserve_codes(desk, order)


def _card_code(rng: random.Random, product_id: int, i: int) -> str:
    return f"K{product_id:02d}" + "".join(rng.choice(CODE_ALPHABET) for _ in range(13))


def _sold_codes(seed: int, i: int, product_id: int, quantity: int) -> str:
    """The codes a historical order sold (one per line): a hash, not the rng, so adding them
    does not move any other row's draws; never one of the codes still in stock."""
    codes = []
    for unit in range(quantity):
        digest = hashlib.blake2b(f"{seed}-{i}-{unit}".encode(), digest_size=13).digest()
        codes.append(f"S{product_id:02d}" + "".join(CODE_ALPHABET[b % len(CODE_ALPHABET)] for b in digest))
    return "\n".join(codes)


def _step(after: int, seconds: int, now_s: int) -> int:
    """The moment ``seconds`` after ``after``, or, for an order so recent that it would be in
    the future, halfway between ``after`` and now (the step simply came sooner)."""
    if after + seconds < now_s:
        return after + seconds
    return after + max(0, (now_s - after) // 2)


def _rows(desk: Desk, products: list[Product], accounts: dict[str, int], buyers: dict[str, int], now: datetime,
          start: int, stop: int, seed: int) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    span = 90 * 24 * 3600
    now_s = to_epoch(now)
    expiry_s = desk.policy().unpaid_expiry_minutes * 60
    coupon_values = [0, 0, 0, 0, 3_00, 5_00]
    for i in range(stop):
        # Draw every row so that the same i always gives the same order, whatever `start` is.
        product = products[rng.randrange(len(products))]
        status = _weighted(rng, STATUS_WEIGHTS)
        age = int(span * (1 - (i / max(1, stop)) ** 0.5)) + rng.randrange(600)
        channel = _weighted(rng, CHANNELS)
        buyer = BUYERS[rng.randrange(len(BUYERS))]
        qty = 1 if rng.random() < 0.85 else rng.randint(2, 3)
        coupon = min(coupon_values[rng.randrange(len(coupon_values))], product.price_fen * qty // 4)
        points = rng.choice([0, 0, 0, 100, 200])
        if i < start:
            continue
        created = now - timedelta(seconds=age)
        expired = False
        if i >= stop - 12:  # a dozen buyers are paying right now
            status = S.PENDING_PAYMENT
            created = now - timedelta(minutes=rng.randint(1, 12))
        elif status is S.PENDING_PAYMENT:  # older unpaid orders closed by themselves long ago
            status, expired = S.CANCELLED, True
        elif status is S.PAID and product.product_type == "card_code":
            # 卡密 deliver themselves within seconds of payment; a recharge or a parcel may wait on
            # its supplier.
            status = S.DELIVERED
        list_fen = product.price_fen * qty
        paid_fen = max(1, list_fen - coupon - points)  # 100 points are worth ¥1
        row: dict[str, Any] = {
            "order_no": f"KS{created:%Y%m%d}{i:07d}", "created_at": to_epoch(created), "product_id": product.id,
            "product_name": product.name, "product_type": product.product_type, "quantity": qty,
            "list_fen": list_fen, "coupon_fen": coupon, "points": points, "paid_fen": paid_fen, "status": status.value,
            "channel": channel, "gateway_id": accounts.get("wallet" if channel == "wallet" else "sandbox"),
            "buyer": buyer, "buyer_ref_id": buyers.get(buyer), "updated_at": to_epoch(created),
        }
        paid = status is not S.PENDING_PAYMENT and not expired and not (status is S.CANCELLED and rng.random() < 0.6)
        codes = _sold_codes(seed, i, product.id, qty) if product.product_type == "card_code" else ""
        _lifecycle(row, status, paid, rng, now_s, expiry_s, codes, created, i)
        yield row


def _lifecycle(row: dict[str, Any], status: OrderStatus, paid: bool, rng: random.Random, now_s: int, expiry_s: int,
               codes: str, created: datetime, i: int) -> None:
    """The times and money of an order's life up to its status, none of them after now."""
    paid_fen = row["paid_fen"]
    if paid:
        row["paid_at"] = _step(row["created_at"], rng.randint(20, 300), now_s)
        row["gateway_trade_no"] = f"{created:%Y%m%d%H%M%S}{i % 100000:05d}{rng.randrange(10**6):06d}"
    if status in (S.DELIVERED, S.COMPLETED, S.REFUNDED, S.PARTIALLY_REFUNDED):
        row["delivered_at"] = _step(row["paid_at"], rng.randint(5, 120), now_s)
        used = rng.choice(["yes", "yes", "unknown", "no"])
        if row["product_type"] == "card_code":
            row["code_used"] = used
            row["card_code"] = codes
    if status is S.COMPLETED:
        if row["delivered_at"] + AUTO_COMPLETE_S <= now_s:
            row["completed_at"] = row["delivered_at"] + AUTO_COMPLETE_S
        else:  # delivered less than a day ago: not completed yet
            status = S.DELIVERED
            row["status"] = status.value
    if status is S.CANCELLED:
        if paid:  # the owner cancelled a paid order before delivery
            row["cancelled_at"] = _step(row["paid_at"], 600, now_s)
        else:  # the payment window ran out
            row["cancelled_at"] = _step(row["created_at"], expiry_s, now_s)
        row["coupon_returned"] = 1
        row["points_refunded"] = row["points"]  # a cancelled order's points go back to the buyer
        if paid:
            row["refunded_fen"] = paid_fen
    if status is S.REFUNDED:
        row["refunded_fen"] = paid_fen
    if status is S.PARTIALLY_REFUNDED:
        row["refunded_fen"] = paid_fen // 2
    if status in (S.PENDING_PAYMENT, S.PAID) and row["product_type"] != "card_code":
        row["stock_reserved"] = 1  # the counter; open 卡密 orders hold codes (_reserve_codes)


def _history_events(desk: Desk, order_nos: list[str]) -> None:
    con = desk.db.connection()
    last_event = con.execute("SELECT COALESCE(MAX(id), 0) FROM order_event").fetchone()[0]
    events: list[tuple[Any, ...]] = []
    for chunk_start in range(0, len(order_nos), 500):
        chunk = order_nos[chunk_start : chunk_start + 500]
        marks = ",".join("?" * len(chunk))
        for oid, created, paid, delivered, completed, cancelled, amount in con.execute(
            f"SELECT id, created_at, paid_at, delivered_at, completed_at, cancelled_at, paid_fen FROM orders "
            f"WHERE order_no IN ({marks})", chunk):
            events.append((oid, created, "buyer", "created", "", None, "pending_payment", json.dumps({"amount_fen": amount})))
            if paid:
                events.append((oid, paid, "gateway", "paid", "", "pending_payment", "paid"))
            if delivered:
                events.append((oid, delivered, "system", "deliver", "", "paid", "delivered"))
            if completed:
                events.append((oid, completed, "system", "complete", "", "delivered", "completed"))
            if cancelled and not paid:  # a paid cancellation's entries come from history_refunds
                events.append((oid, cancelled, "system", "expire", "", "pending_payment", "cancelled"))
    con.executemany("INSERT INTO order_event (order_id, at, actor, action, note, before_status, after_status, data) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [e if len(e) == 8 else (*e, "{}") for e in events])
    chain.seal(con, "order_event", last_event)  # the tamper-evident log, in one pass



def _fresh_paid(desk: Desk, product: Product, buyer: str, buyer_id: int | None, accounts: dict[str, int], n: int,
                paid_ago: timedelta, channel: str = "alipay", gateway: str = "sandbox") -> str:
    now = desk.now()
    paid_at = now - paid_ago
    created_at = paid_at - timedelta(minutes=1)
    order_no = f"KSD{now:%Y%m%d}{n:05d}"
    insert_orders(desk, [{
        "order_no": order_no, "created_at": to_epoch(created_at), "product_id": product.id,
        "product_name": product.name, "product_type": product.product_type, "list_fen": product.price_fen,
        "paid_fen": product.price_fen, "status": "paid", "paid_at": to_epoch(paid_at), "channel": channel,
        "gateway_id": accounts.get(gateway), "gateway_trade_no": f"2026{n:012d}{product.id:04d}", "buyer": buyer,
        "buyer_ref_id": buyer_id, "stock_reserved": int(product.product_type != "card_code"),
        "updated_at": to_epoch(paid_at),
    }])
    hold_units(desk, product, order_no)
    order_id = Order.get(Order.order_no == order_no).id
    add_events([event_row(order_id, created_at, "buyer", "created", after=S.PENDING_PAYMENT.value,
                          data={"amount_fen": product.price_fen}),
                event_row(order_id, paid_at, "gateway", "paid", before=S.PENDING_PAYMENT.value, after=S.PAID.value)])
    return order_no


def _fixed(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def _scenarios(desk: Desk, products: list[Product], accounts: dict[str, int], buyers: dict[str, int],
               now: datetime) -> dict[str, int]:
    """Requests and refunds made through the real services, so the timeline is the real one."""
    by_name = {p.name: p for p in products}
    wz, steam, mobile, iqiyi = (by_name["王者荣耀点券 680点"], by_name["Steam 钱包充值卡 100元"],
                                by_name["中国移动话费 100元"], by_name["爱奇艺会员月卡"])
    real_clock = desk.clock
    count = {"requests": 0, "refunds": 0}
    # The flagged buyer cancelled three times this week.
    flagged_id = buyers[FLAGGED_BUYER]
    for d in (1, 2, 3):
        BuyerCancellation.insert(buyer=flagged_id, order_id=0, at=to_epoch(now - timedelta(days=d))).execute()
    specs = [
        # (product, buyer, paid ago, reason, note, amount, back-date request by)
        (wz, "13800138000", timedelta(minutes=3), ReasonCode.MISTAKEN, "面值6元误拍成68元", None, None),
        (iqiyi, "qq:12345678", timedelta(minutes=4), ReasonCode.DUPLICATE, "同一账号重复下单两次", None, None),
        (steam, "alice@example.com", timedelta(hours=2), ReasonCode.WRONG_ITEM, "需要港区卡，下成了国区", None, None),
        (mobile, FLAGGED_BUYER, timedelta(minutes=5), ReasonCode.NOT_NEEDED, "不想要了", None, None),
        (wz, "15011112222", timedelta(days=8), ReasonCode.PAYMENT_ISSUE, "想改用微信支付", None, timedelta(days=8)),
        (steam, "lee.wang@163.com", timedelta(days=9), ReasonCode.OTHER, "游戏维护，暂时用不上", 30_00,
         timedelta(days=9)),
        (iqiyi, "18622223333", timedelta(minutes=30), ReasonCode.WRONG_ITEM, "想买年卡不是月卡", None, None),
    ]
    try:
        for n, (product, buyer, ago, reason, note, amount, backdate) in enumerate(specs, start=1):
            order_no = _fresh_paid(desk, product, buyer, buyers.get(buyer), accounts, n, ago)
            if backdate:
                desk.set_clock(_fixed(now - backdate + timedelta(hours=1)))
            request_ops.open_request(desk, order_no, reason, note=note, amount_fen=amount,
                                     evidence="聊天记录截图" if n % 2 else "")
            desk.set_clock(real_clock)
            count["requests"] += 1
        # A 卡密 order paid a minute ago that waits for the owner's 发货 (the history's paid 卡密
        # orders were delivered seconds after payment).
        _fresh_paid(desk, wz, "gamer_zhang@qq.com", buyers.get("gamer_zhang@qq.com"), accounts, 50,
                    timedelta(minutes=1))
        count["requests"] += _disputes(desk, iqiyi, buyers, accounts)
        count["refunds"] += _settled_history(desk, wz, steam, mobile, buyers, accounts)
    finally:
        desk.set_clock(real_clock)
    return count


def _disputes(desk: Desk, iqiyi: Product, buyers: dict[str, int], accounts: dict[str, int]) -> int:
    """Disputes on delivered orders; returns how many requests were opened."""
    opened = 0
    real_clock = desk.clock
    # Disputes on delivered orders: one with an unused code, one refused-worthy.
    for n, (reason, used) in enumerate(((ReasonCode.MERCHANT_FAULT, "unknown"), (ReasonCode.WRONG_ITEM, "no")),
                                       start=20):
        order_no = _fresh_paid(desk, iqiyi, "13912345678", buyers.get("13912345678"), accounts, n,
                               timedelta(hours=3))
        desk.set_clock(_fixed(desk.now() - timedelta(hours=3) + timedelta(seconds=30)))
        try:
            order_ops.deliver(desk, order_no, actor="system")  # delivered seconds after payment
        finally:
            desk.set_clock(real_clock)
        Order.update(code_used=used).where(Order.order_no == order_no).execute()
        request_ops.open_request(desk, order_no, reason, note="收到的卡密提示无效" if used == "unknown" else
                                 "区服选错，卡密未使用", evidence="买家截图：卡密无效提示")
        opened += 1
    return opened


def _settled_history(desk: Desk, wz: Product, steam: Product, mobile: Product, buyers: dict[str, int],
                     accounts: dict[str, int]) -> int:
    """Refunds already settled or refused, and a rejected request; returns how many refunds were made."""
    refunds = 0
    # Settled history: a wallet refund, a rejected request, and a refund that the gateway refused.
    for n, (channel, gateway) in enumerate((("wallet", "wallet"), ("wechat", "sandbox")), start=30):
        order_no = _fresh_paid(desk, wz, "qq:88886666", buyers.get("qq:88886666"), accounts, n,
                               timedelta(hours=5), channel=channel, gateway=gateway)
        changes = request_ops.cancel_order(desk, order_no, ReasonCode.MERCHANT_FAULT, "缺货，主动退款")
        refunds += len(changes.refund_ids)
    # Two refunds whose gateway answers badly: one refused (balance), one lost in transit.
    for n, (name, scenario) in enumerate((("沙箱(余额不足)", "reject"), ("沙箱(超时)", "timeout")), start=32):
        if not GatewayAccount.select().where(GatewayAccount.name == name).exists():
            save_account(desk, name, "sandbox", {"scenario": scenario})
        accounts[name] = GatewayAccount.get(GatewayAccount.name == name).id
        order_no = _fresh_paid(desk, steam, "gamer_zhang@qq.com", buyers.get("gamer_zhang@qq.com"), accounts, n,
                               timedelta(hours=6), channel="alipay", gateway=name)
        changes = request_ops.cancel_order(desk, order_no, ReasonCode.MERCHANT_FAULT, "充值卡缺货，主动退款")
        refunds += len(changes.refund_ids)
    order_no = _fresh_paid(desk, mobile, "17755556666", buyers.get("17755556666"), accounts, 40,
                           timedelta(hours=1))
    _, rid = request_ops.open_request(desk, order_no, ReasonCode.NOT_NEEDED, note="不需要了")
    if rid is not None and CancelRequest.get_by_id(rid).state == "open":
        request_ops.reject(desk, rid, "话费已提交运营商充值，无法撤回")
    return refunds
