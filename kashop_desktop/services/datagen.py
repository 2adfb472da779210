"""Realistic order history for the big demo and every benchmark, deterministic from a seed.

What a real card shop's store looks like after a few years, as far as the order list, its
search and its counts are concerned:

* Buyers are heavy-tailed: one top reseller with ~2% of all orders, five smaller resellers
  with ~1% each, a pool of repeat buyers whose order counts fall off as a power law (a few
  with hundreds of orders, most with one to a handful), and ~12% one-time buyers. A million
  orders have about 180,000 distinct buyers.
* Contacts are written the way owners type them: phones bare, with spaces (``138 1234 5678``),
  dashes, ``+86`` or in full-width digits; QQ numbers as ``qq:12345``, ``QQ 12345`` or bare;
  e-mail addresses in mixed case. Each buyer has a habitual form, and one order in five is
  written another way.
* Several products of every type, four channels, gateway trade nos in the gateways' formats.
* History over ``years`` years with steady growth (the last year has about twice the orders of
  the first). Statuses follow age: payments still open only in the last 15 minutes, delivered
  orders waiting for the buyer's confirmation in the last days, completed ones before that,
  with cancellations, refunds and partial refunds in realistic shares.
* No timestamp is ever later than ``now``; every delivered 卡密 order carries its codes.

Order nos are ``KS`` + the Beijing date + a 7-digit sequence, unique over the whole history
(the sequence is what buyers quote: "0001996").
"""

from __future__ import annotations

import contextlib
import csv
import math
import random
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..domain.clock import SHOP_TZ, to_epoch
from ..domain.contacts import contact_key
from ..store import bulkload, chain
from ..store.models import GatewayAccount, Product
from . import datagen_worker
from .bulk import ORDER_COLUMNS
from .desk import Desk
from .history_refunds import add_history_refunds

#: Products a generated shop sells when it has none: (name, type, price in fen).
DEFAULT_PRODUCTS: list[tuple[str, str, int]] = [
    ("王者荣耀点券 60点", "card_code", 6_00),
    ("王者荣耀点券 680点", "card_code", 68_00),
    ("Steam 钱包充值卡 100元", "card_code", 100_00),
    ("中国移动话费 50元", "direct_recharge", 49_50),
    ("中国移动话费 100元", "direct_recharge", 98_80),
    ("爱奇艺会员月卡", "card_code", 19_80),
    ("腾讯视频VIP季卡", "card_code", 58_00),
    ("京东E卡 200元(实体卡)", "physical", 200_00),
    ("网易云音乐黑胶年卡", "card_code", 158_00),
]
#: How often each product sells, by position in the product list (cheap cards sell most).
PRODUCT_WEIGHTS = [30, 8, 6, 14, 9, 12, 7, 2, 3, 5, 5, 5]
CHANNELS = ["alipay", "wechat", "wallet", "bank_card"]
CHANNEL_WEIGHTS = [45, 40, 10, 5]
TOP_RESELLER_SHARE = 0.02
MID_RESELLERS = 5
MID_RESELLER_SHARE = 0.01
ONE_TIME_SHARE = 0.12
PAYMENT_WINDOW_S = 15 * 60
CHUNK = 50_000

_PHONE_HEADS = ["138", "139", "137", "136", "135", "150", "151", "152", "158", "159", "182", "183", "187", "188",
                "130", "131", "132", "155", "156", "185", "186", "133", "153", "180", "181", "189", "177", "199"]
_MAIL_DOMAINS = ["qq.com", "qq.com", "qq.com", "163.com", "163.com", "126.com", "gmail.com", "foxmail.com",
                 "outlook.com", "sina.com"]
_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
_WORDS = ["lee", "wang", "zhang", "chen", "liu", "yang", "huang", "zhao", "wu", "zhou", "gamer", "kk", "xiao",
          "tian", "sun", "ma", "hu", "lin", "shop", "card", "mika", "leo", "amy", "jack"]


@dataclass(frozen=True)
class ProductSpec:
    """A product orders are drawn for: its row id, name, type and unit price in fen."""

    id: int | None
    name: str
    product_type: str
    price_fen: int


# ---- buyers -------------------------------------------------------------------------------------

def canonical_contact(buyer: int, seed: int) -> str:
    """Buyer number ``buyer``'s contact in its plain form: an 11-digit phone, ``qq:<number>``
    or an e-mail address. Distinct buyers get distinct contacts (the digits are a bijection)."""
    mix = (buyer * 2_654_435_761 + seed * 40_503) % 100
    body = (buyer * 48_271 + seed * 7_919 + 12_345) % 100_000_000  # bijective on buyer % 10**8
    if mix < 55:
        return f"{_PHONE_HEADS[buyer % len(_PHONE_HEADS)]}{body:08d}"
    if mix < 85:
        return f"qq:{10_000 + body * 7 % 3_000_000_000 + buyer % 7}"
    name = _WORDS[buyer % len(_WORDS)] + _WORDS[(buyer // len(_WORDS)) % len(_WORDS)]
    return f"{name}{body % 100_000}@{_MAIL_DOMAINS[buyer % len(_MAIL_DOMAINS)]}"


def typed_form(contact: str, form: int) -> str:
    """``contact`` written in one of the ways owners type it (``form`` picks which)."""
    if contact.startswith("qq:"):
        number = contact[3:]
        return (f"qq:{number}", f"QQ {number}", number, f"QQ：{number}", f"qq{number}")[form % 5]
    if "@" in contact:
        return (contact, contact, contact.capitalize(), contact.upper(), f" {contact} ")[form % 5]
    a, b, c = contact[:3], contact[3:7], contact[7:]
    forms = (contact, contact, f"{a} {b} {c}", f"+86 {contact}", f"+86-{a}-{b}-{c}", f"{a}-{b}-{c}",
             contact.translate(_FULL_WIDTH), f"+86{contact}")
    return forms[form % len(forms)]


class BuyerDrawer:
    """Draws which buyer places each order: resellers, a power-law repeat pool, one-timers."""

    def __init__(self, rng: random.Random, orders: int) -> None:
        self.rng = rng
        self.pool = max(20, orders // 12)
        first = 1 + MID_RESELLERS
        self.one_time_next = first + self.pool  # one-time buyers are numbered after the pool
        ranks = range(self.pool)
        weights = [(k + 200) ** -1.2 for k in ranks]
        total = 0.0
        self.cum: list[float] = []
        for w in weights:
            total += w
            self.cum.append(total)
        self.pool_ids = list(range(first, first + self.pool))
        rng.shuffle(self.pool_ids)  # a buyer's rank says nothing about its contact

    def draw(self, k: int) -> list[int]:
        rng = self.rng
        from_pool = rng.choices(self.pool_ids, cum_weights=self.cum, k=k)
        out: list[int] = []
        for i, roll in enumerate(rng.random() for _ in range(k)):
            if roll < TOP_RESELLER_SHARE:
                out.append(0)
            elif roll < TOP_RESELLER_SHARE + MID_RESELLERS * MID_RESELLER_SHARE:
                out.append(1 + int((roll - TOP_RESELLER_SHARE) / MID_RESELLER_SHARE))
            elif roll < TOP_RESELLER_SHARE + MID_RESELLERS * MID_RESELLER_SHARE + ONE_TIME_SHARE:
                out.append(self.one_time_next)
                self.one_time_next += 1
            else:
                out.append(from_pool[i])
        return out


# ---- orders -------------------------------------------------------------------------------------

def _times(n: int, start: int, end: int) -> array[int]:
    """n creation times from ``start`` to ``end``, ascending, for a shop growing ~2x a year
    (packed 64-bit integers: a million of them take 8 MB, not 36)."""
    growth = 0.7 * max(1.0, (end - start) / (365 * 86400))
    span = end - start
    scale = math.expm1(growth)
    return array("q", (start + int(span * math.log1p(scale * (i + 0.5) / n) / growth) for i in range(n)))


def _status(rng: random.Random, age: int, product_type: str) -> str:
    """A status that fits an order of this age (seconds) and product type."""
    r = rng.random()
    if age < PAYMENT_WINDOW_S:
        return "pending_payment" if r < 0.35 else "paid" if r < 0.55 else "delivered" if r < 0.95 else "cancelled"
    if r < 0.10:
        return "cancelled"
    if r < 0.14:
        return "refunded"
    if r < 0.16:
        return "partially_refunded"
    if age < 3 * 86400:
        return "paid" if r < 0.22 and product_type != "card_code" else "delivered" if r < 0.70 else "completed"
    if r < 0.165:
        return "paid" if product_type != "card_code" else "delivered"  # stuck: waiting on a supplier
    return "delivered" if r < 0.18 else "completed"


_DAYS: dict[int, str] = {}


def _day(epoch: int) -> str:
    """The Beijing date of ``epoch`` as ``YYYYMMDD`` (cached: a shop has a few thousand days)."""
    key = (epoch + 8 * 3600) // 86400
    text = _DAYS.get(key)
    if text is None:
        text = _DAYS[key] = datetime.fromtimestamp(epoch, SHOP_TZ).strftime("%Y%m%d")
    return text


def _trade_no(rng: random.Random, channel: str, paid_at: int) -> str | None:
    day = _day(paid_at)
    if channel == "wechat":
        return f"4200{rng.getrandbits(40) % 10**10:010d}{day}{rng.getrandbits(24) % 10**6:06d}"
    if channel == "wallet":
        return None
    return f"{day}2200{rng.getrandbits(50) % 10**16:016d}"


_COUPONS = (0, 0, 0, 0, 0, 0, 3_00, 5_00)
_POINTS = (0, 0, 0, 0, 0, 100, 200, 500)


def order_values(n: int, *, seed: int, now: datetime, products: Sequence[ProductSpec],
                 gateways: dict[str, int | None], years: float = 3.0, first_seq: int = 0,
                 seal: Callable[[list[str]], str] | None = None) -> Iterator[tuple[Any, ...]]:
    """``n`` orders in creation order, each as its values in ``bulk.ORDER_COLUMNS`` order
    (``buyer_key`` filled, ``domain.contacts.contact_key``; ``card_code`` the sold codes one per
    line, or ``seal(codes)`` when given). The same orders as ``orders``: see there."""
    rng = random.Random(seed)
    end = to_epoch(now)
    start = end - int(years * 365 * 86400)
    times = _times(n, start, end - 60)
    drawer = BuyerDrawer(rng, n)
    contacts = _Contacts(seed, drawer.one_time_next)
    weights = PRODUCT_WEIGHTS[: len(products)] + [3] * max(0, len(products) - len(PRODUCT_WEIGHTS))
    gateway_of = {c: gateways.get("wallet" if c == "wallet" else "sandbox") for c in CHANNELS}
    for base in range(0, n, CHUNK):
        k = min(CHUNK, n - base)
        buyers = drawer.draw(k)
        picked = rng.choices(products, weights=weights, k=k)
        channels = rng.choices(CHANNELS, weights=CHANNEL_WEIGHTS, k=k)
        for j in range(k):
            i = base + j
            channel = channels[j]
            yield _order(rng, i + first_seq, times[i], buyers[j], picked[j], channel, gateway_of[channel], contacts,
                         end, seal)


def orders(n: int, *, seed: int, now: datetime, products: Sequence[ProductSpec], gateways: dict[str, int | None],
           years: float = 3.0, first_seq: int = 0) -> Iterator[dict[str, Any]]:
    """``n`` order rows (dicts of ``bulk.ORDER_COLUMNS`` for ``bulk.insert_orders``) in creation order.

    ``now`` is the newest possible moment (no time in a row is later); ``gateways`` maps
    ``wallet`` and ``sandbox`` to account ids (or None). ``first_seq`` starts the order-no
    sequence, so several generations never share an order no. Same arguments, same rows.
    """
    for values in order_values(n, seed=seed, now=now, products=products, gateways=gateways, years=years,
                               first_seq=first_seq):
        yield dict(zip(ORDER_COLUMNS, values, strict=True))


class _Contacts:
    """Buyers' contacts as written (``typed_form``) with their keys, remembered for the buyers
    that come back (a bounded memory: one-time buyers are never remembered)."""

    LIMIT = 150_000

    def __init__(self, seed: int, one_time_from: int) -> None:
        self.seed, self.one_time_from = seed, one_time_from
        self.known: dict[int, tuple[str, str]] = {}

    def written(self, buyer: int, form: int) -> tuple[str, str]:
        """(the contact of ``buyer`` written in ``form``, its key)."""
        slot = buyer * 40 + form % 40  # typed_form picks by form % 5 or % 8: 40 covers both
        found = self.known.get(slot)
        if found is None:
            text = typed_form(canonical_contact(buyer, self.seed), form)
            found = (text, contact_key(text))
            if buyer < self.one_time_from:
                if len(self.known) >= self.LIMIT:
                    self.known.clear()
                self.known[slot] = found
        return found


def _order(rng: random.Random, seq: int, created: int, buyer: int, product: ProductSpec, channel: str,
           gateway_id: int | None, contacts: _Contacts, now: int, seal: Callable[[list[str]], str] | None
           ) -> tuple[Any, ...]:
    """One order's values (``bulk.ORDER_COLUMNS`` order): what it cost, who bought it, and the
    times, money and codes of its life up to a status that fits its age (``_status``; a
    completion that would lie in the future stays delivered)."""
    random_ = rng.random
    reseller = buyer <= MID_RESELLERS
    # Uniform integers in [low, high] as low + int(random() * (high - low + 1)): randint costs four
    # times as much, and a call per draw is this function's largest cost.
    if reseller and random_() < 0.6:
        quantity = 5 + int(random_() * 26)
    else:
        quantity = 1 if random_() < 0.88 else 2 + int(random_() * 4)
    list_fen = product.price_fen * quantity
    coupon = min(list_fen // 4, _COUPONS[rng.getrandbits(3)])
    points = _POINTS[rng.getrandbits(3)] if not reseller else 0
    form = buyer * 31 + contacts.seed if random_() < 0.8 else rng.getrandbits(8)
    written, key = contacts.written(buyer, form)
    paid_fen = max(1, list_fen - coupon - points)
    ptype = product.product_type
    status = _status(rng, now - created, ptype)
    coupon_returned = points_refunded = refunded = stock_reserved = 0
    paid_at = delivered = completed = cancelled = trade_no = codes = None
    code_used = "unknown"
    if status == "pending_payment" or (status == "cancelled" and random_() < 0.6):
        if status == "cancelled":  # the payment window ran out: coupon and points go back
            cancelled, coupon_returned, points_refunded = min(now, created + PAYMENT_WINDOW_S), 1, points
        else:
            stock_reserved = int(ptype != "card_code")  # 卡密 stock is codes
    else:
        paid_at = min(now, created + 15 + int(random_() * 226))
        trade_no = _trade_no(rng, channel, paid_at)
        if status == "cancelled":  # all back with the full refund (history_refunds)
            cancelled = min(now, paid_at + 60 + int(random_() * (6 * 3600 - 59)))
            refunded, coupon_returned, points_refunded = paid_fen, 1, points
        elif status == "paid":
            stock_reserved = int(ptype != "card_code")
        else:
            delivered = min(now, paid_at + 3 + int(random_() * 88))
            if ptype == "card_code":
                sold = [f"K{(product.id or 0) % 100:02d}{rng.getrandbits(52):013X}" for _ in range(quantity)]
                codes = seal(sold) if seal else "\n".join(sold)
                code_used = "yes" if random_() < 0.7 else "unknown"
            if status == "completed":
                done = delivered + 3600 + int(random_() * (3 * 86400 - 3599))
                if done > now:
                    status = "delivered"
                else:
                    completed = done
            elif status == "refunded":
                refunded = paid_fen
                if ptype == "card_code":
                    code_used = "no"
            elif status == "partially_refunded":
                refunded = max(1, paid_fen // 2)
                if refunded >= paid_fen:  # one fen cannot go back in part
                    refunded, status = paid_fen, "refunded"
    updated = max(completed or 0, cancelled or 0, delivered or 0, paid_at or 0, created)
    return (f"KS{_day(created)}{seq:07d}", created, product.id, product.name, ptype, quantity, list_fen, coupon, None,
            coupon_returned, points, points_refunded, paid_fen, refunded, 0, status, paid_at, delivered, completed,
            cancelled, channel, gateway_id, trade_no, written, key, None, code_used, codes, stock_reserved, updated)


# ---- loading ------------------------------------------------------------------------------------

def shop_products(desk: Desk) -> list[ProductSpec]:
    """The store's products (the defaults are created first if it has none)."""
    with desk.atomic():
        if not Product.select().exists():
            for name, ptype, price in DEFAULT_PRODUCTS:
                Product.create(name=name, product_type=ptype, price_fen=price, stock=10**6, policy_overrides="{}")
        return [ProductSpec(p.id, p.name, p.product_type, p.price_fen) for p in Product.select().order_by(Product.id)]


def load(desk: Desk, n: int, *, seed: int = 7, now: datetime | None = None, years: float = 3.0,
         events: bool = True) -> int:
    """Generate ``n`` orders into ``desk`` in one transaction: the rows of ``orders`` (made in a
    second process for a big history, ``datagen_worker``) with, when ``events``, their
    下单/支付/发货/完成/过期 timeline entries, through the bulk path (the orders' indexes and
    buyer search set aside and rebuilt once); then the request, succeeded refund and (with
    ``events``) timeline entries behind every refunded one (``history_refunds``).
    Returns the number of orders inserted. Raises DatagenFailed when the row maker fails
    (nothing is kept)."""
    from .demo import ensure_demo_secrets
    from .gateways import ensure_builtin_accounts

    ensure_demo_secrets(desk)  # generated 卡密 are sealed too, under the store's key
    ensure_builtin_accounts(desk)
    products = shop_products(desk)
    accounts: dict[str, int | None] = {a.kind: a.id for a in GatewayAccount.select()}
    cipher = desk.code_cipher()
    now = now or desk.now()
    with bulkload.temp_files(desk.db.connection()), desk.atomic():
        con = desk.db.connection()
        first_id = con.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM orders").fetchone()[0]
        plan = datagen_worker.Plan(n, seed, now, years, tuple(products), accounts, first_id, events, cipher,
                                   chain.next_id(con, "order_event"), chain.head(con, "order_event"))
        bulkload.set_aside(con, keep=frozenset())
        # The timeline's own indexes too: dropped for the load, built once after it.
        with bulkload.indexes_rebuilt(con, "order_event") if events else contextlib.nullcontext(), \
                _report_triggers_set_aside(con):
            added, chain_end = datagen_worker.insert(con, plan)  # timeline rows chained as they go in
            if events and chain_end != plan.head:
                chain.advance_head(con, "order_event", *chain_end)
            add_history_refunds(desk, first_id, to_epoch(now), events=events)
        bulkload.put_back(con)  # the reports' sums rebuilt from the rows (report_tables.rebuild)
    return added


#: The reports' summary triggers that fire on a load's inserts (a cancellation entry, an answered
#: request). ``bulkload.put_back`` fills the summary tables again from the rows at the end of the
#: load (``report_tables.rebuild``), so for the load they are only work thrown away.
REPORT_INSERT_TRIGGERS = ("report_cancels_ins", "report_cancels_undo", "report_answers_ins")


@contextlib.contextmanager
def _report_triggers_set_aside(con: Any) -> Iterator[None]:
    """Inside the load's transaction: ``REPORT_INSERT_TRIGGERS`` dropped for the block and
    created again after it, before ``put_back`` rebuilds the tables (a rollback brings them back
    as they were)."""
    marks = ", ".join("?" * len(REPORT_INSERT_TRIGGERS))
    with bulkload.dropped_for_block(con, "trigger", f"name IN ({marks})", REPORT_INSERT_TRIGGERS):
        yield


def distinct_buyers(desk: Desk) -> int:
    """How many distinct buyer strings the store holds (for the benchmarks' report)."""
    return int(desk.db.execute_sql("SELECT COUNT(DISTINCT buyer) FROM orders").fetchone()[0])



# ---- a shop's export ------------------------------------------------------------------------------

#: The columns of a web shop's order export as ``write_export`` writes them (Chinese headers).
EXPORT_HEADER = ("订单号", "下单时间", "商品", "商品类型", "数量", "原价", "优惠券", "积分", "实付金额", "状态", "支付时间",
                 "发货时间", "支付方式", "交易号", "买家", "卡密已使用",
                 "退款金额")
_EXPORT_STATUS = {"pending_payment": "待支付", "paid": "待发货", "delivered": "已发货", "completed": "已完成",
                  "cancelled": "已取消", "refunded": "已退款", "partially_refunded": "部分退款"}
_EXPORT_TYPE = {"card_code": "卡密", "direct_recharge": "直充", "physical": "实物"}
_EXPORT_CHANNEL = {"alipay": "支付宝", "wechat": "微信", "wallet": "余额", "bank_card": "银行卡", None: ""}
_EXPORT_USED = {"yes": "是", "no": "否", "unknown": ""}


def write_export(path: Path, n: int, *, seed: int = 7, now: datetime, years: float = 3.0) -> None:
    """Write ``n`` generated orders as a shop's CSV export (UTF-8, Chinese headers and values,
    Beijing times ``YYYY-MM-DD HH:MM:SS``, yuan with two decimals): what ``orders import`` reads,
    for the import benchmark and the tests that compare import paths. Streams; any size."""
    products = [ProductSpec(None, name, ptype, price) for name, ptype, price in DEFAULT_PRODUCTS]
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(EXPORT_HEADER)
        for row in orders(n, seed=seed, now=now, products=products, gateways={}, years=years):
            writer.writerow(_export_row(row))


def _export_row(row: dict[str, Any]) -> list[str]:
    return [
        row["order_no"], _stamp(row["created_at"]), row["product_name"], _EXPORT_TYPE[row["product_type"]],
        str(row["quantity"]), _yuan(row["list_fen"]), _yuan(row["coupon_fen"]) if row["coupon_fen"] else "",
        str(row["points"]) if row["points"] else "", _yuan(row["paid_fen"]), _EXPORT_STATUS[row["status"]],
        _stamp(row.get("paid_at")), _stamp(row.get("delivered_at")), _EXPORT_CHANNEL[row.get("channel")],
        row.get("gateway_trade_no") or "", row["buyer"], _EXPORT_USED[row.get("code_used", "unknown")],
        _yuan(row.get("refunded_fen", 0)) if row.get("paid_at") and row["status"] in _REFUND_KNOWN else "",
    ]


#: Statuses whose refunded amount the export states (the import needs it for these).
_REFUND_KNOWN = frozenset({"cancelled", "refunded", "partially_refunded"})


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _stamp(epoch: int | None) -> str:
    """Beijing time as a shop's export writes it (China keeps UTC+8 all year)."""
    if epoch is None:
        return ""
    local = epoch + 8 * 3600
    day = _DAYS.get(local // 86400)
    if day is None:
        day = _day(epoch)
    seconds = local % 86400
    return f"{day[:4]}-{day[4:6]}-{day[6:]} {seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
