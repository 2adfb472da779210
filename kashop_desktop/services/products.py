"""Products (商品): list, add, change, and their stock and low-stock warning.

A 卡密 product's stock is its available codes; a 直充 or 实物 product's is the ``stock`` counter
orders reserve from. The low-stock warning (``domain.codes.low_stock_move``) is raised once when
the stock falls to the product's threshold, recorded as a ``low_stock`` inventory event, and
cleared only by a restock above it.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from peewee import fn

from ..domain.clock import from_epoch, to_epoch
from ..domain.codes import CodeState, low_stock_move
from ..domain.errors import DomainError, PolicyError
from ..domain.money import parse_yuan
from ..domain.notes import check_name
from ..domain.order import ProductType
from ..domain.policy import CancelPolicy, parse_policy_value
from ..domain.roles import Right
from ..store.models import CardCode, Order, Product
from .changes import Changes
from .common import OWNER, add_code_events, not_found
from .desk import Desk

TYPE_WORDS = {"卡密": ProductType.CARD_CODE, "直充": ProductType.DIRECT_RECHARGE, "实物": ProductType.PHYSICAL}


@dataclass(frozen=True)
class ProductView:
    """A product as the 商品 page and ``products list`` show it. Money in fen; ``stock`` is the
    available codes of a 卡密 product, else the stock counter; ``codes`` counts codes by state."""

    id: int
    name: str
    product_type: ProductType
    price_fen: int
    sku: str
    face_value_fen: int | None
    threshold: int
    reusable: bool
    stock: int
    low_stock: bool
    codes: dict[str, int]
    backorders: int
    policy_overrides: dict[str, Any]


def product_type(text: str) -> ProductType:
    """A product type from its code (card_code …) or Chinese word (卡密 …); DomainError otherwise."""
    value = text.strip()
    if value in TYPE_WORDS:
        return TYPE_WORDS[value]
    try:
        return ProductType(value)
    except ValueError as exc:
        raise DomainError("invalid_product_type", f"未知的商品类型：{text}（卡密、直充、实物）",
                          f"unknown product type: {text} (card_code, direct_recharge, physical)") from exc


def get_product(name: str) -> Product:
    product = Product.get_or_none(Product.name == name.strip())
    if product is None:
        raise not_found("product", name)
    return product


def code_counts() -> dict[int, dict[str, int]]:
    """Codes per product and state (one grouped read of the state index)."""
    out: dict[int, dict[str, int]] = {}
    query = CardCode.select(CardCode.product_id, CardCode.state, fn.COUNT(CardCode.id)).group_by(
        CardCode.product_id, CardCode.state).tuples()
    for product_id, state, n in cast(Iterable[tuple[int, str, int]], query):
        out.setdefault(int(product_id), {})[str(state)] = int(n)
    return out


#: The backorder queue read through its small partial index (schema 6), never the paid orders'
#: status index: the window counts it on every refresh, beside a million orders. The unary ``+``
#: keeps the planner off the status index (a hint, not INDEXED BY: while an import has set the
#: orders' indexes aside it still answers, by a scan).
BACKORDER_SQL = ("WHERE backorder_at IS NOT NULL AND +status = 'paid' AND +delivered_at IS NULL")


def backorder_counts() -> dict[int, int]:
    """Paid orders waiting for codes (缺货待发) per product."""
    con = Order._meta.database.connection()
    query = con.execute(f"SELECT product_id, COUNT(*) FROM orders {BACKORDER_SQL} GROUP BY product_id")
    return {int(pid): int(n) for pid, n in query if pid is not None}


def backorder_clause() -> Any:
    """The orders in the backorder queue: paid, undelivered, marked when no code was there."""
    return (Order.backorder_at.is_null(False) & (Order.status == "paid") & Order.delivered_at.is_null())


@dataclass(frozen=True)
class Backorder:
    """A paid order waiting for codes (缺货待发), oldest first: money in fen, times Beijing time."""

    order_no: str
    product: str
    quantity: int
    paid_fen: int
    buyer: str
    paid_at: datetime | None
    waiting_since: datetime | None


def backorders(desk: Desk, product: str | None = None) -> list[Backorder]:
    """The backorder queue in the order it is filled (paid first, delivered first)."""
    sql = f"SELECT * FROM orders {BACKORDER_SQL}"
    params: list[Any] = []
    if product is not None:
        sql += " AND product_id = ?"
        params.append(get_product(product).id)
    rows = Order.raw(sql + " ORDER BY paid_at, id", *params)
    return [Backorder(o.order_no, o.product_name, o.quantity, o.paid_fen, o.buyer, from_epoch(o.paid_at),
                      from_epoch(o.backorder_at)) for o in rows]


def available(product: Product) -> int:
    """Units that can be sold now: available codes (a reusable product: 1 if it has its code)."""
    if product.product_type != ProductType.CARD_CODE.value:
        return int(product.stock)
    count = CardCode.select().where((CardCode.product == product.id)
                                    & (CardCode.state == CodeState.AVAILABLE.value)).count()
    return int(count)


def list_products(desk: Desk) -> list[ProductView]:
    counts, waiting = code_counts(), backorder_counts()
    out = []
    for p in Product.select().order_by(Product.id):
        codes = counts.get(p.id, {})
        stock = codes.get("available", 0) if p.product_type == ProductType.CARD_CODE.value else int(p.stock)
        out.append(ProductView(p.id, p.name, ProductType(p.product_type), p.price_fen, p.sku, p.face_value_fen,
                               p.low_stock_threshold, bool(p.reusable), stock, bool(p.low_stock_raised), codes,
                               waiting.get(p.id, 0), json.loads(p.policy_overrides or "{}")))
    return out


@dataclass(frozen=True)
class StockSummary:
    """For the status bar: products whose low-stock warning is raised, and the backorder count."""

    low_stock: list[str]
    backorders: int


def stock_summary(desk: Desk) -> StockSummary:
    """Two small reads: the products' warning flags and the backorder queue's length."""
    low = [p.name for p in Product.select(Product.name).where(Product.low_stock_raised == True)  # noqa: E712
           .order_by(Product.id)]
    row = desk.db.execute_sql(f"SELECT COUNT(*) FROM orders {BACKORDER_SQL}").fetchone()
    return StockSummary(low, int(row[0]))


def low_stock_products(desk: Desk) -> list[ProductView]:
    """Products whose low-stock warning is raised (for the status bar and ``check``)."""
    return [p for p in list_products(desk) if p.low_stock]


def add_product(desk: Desk, name: str, ptype: ProductType, price_fen: int, *, threshold: int = 0,
                reusable: bool = False, sku: str = "", more: dict[str, Any] | None = None,
                actor: str = OWNER) -> Changes:
    """Add a product; ``more`` holds further ``set_product`` values (face value, policy
    overrides) applied in the same transaction. Raises DomainError product_exists /
    invalid_value, PolicyError."""
    desk.require(Right.STOCK)
    name = name.strip()
    if not name:
        raise DomainError("invalid_value", "商品名称不能为空", "the product name cannot be empty")
    check_name(name, "商品名称", "a product name")
    _check_numbers(price_fen, threshold)
    if reusable and ptype is not ProductType.CARD_CODE:
        raise DomainError("invalid_value", "只有卡密商品可以设为循环卡密", "only card-code products can be reusable")
    with desk.atomic():
        _name_free(name)
        product = Product.create(name=name, product_type=ptype.value, price_fen=price_fen, stock=0,
                                 low_stock_threshold=threshold, reusable=reusable, sku=sku)
        _event(desk, product.id, actor, "product_add", data={"price_fen": price_fen})
        if more:
            _set_fields(desk, product, more)
        update_low_stock(desk, product)
    return Changes(product_ids={product.id})


def _check_numbers(price_fen: int, threshold: int) -> None:
    if price_fen < 0:
        raise DomainError("invalid_value", "价格不能为负", "the price cannot be negative")
    if threshold < 0:
        raise DomainError("invalid_value", "低库存阈值不能为负", "the low-stock threshold cannot be negative")


#: The most a product's ``threshold`` or ``stock`` may be (as ``cli.common.MAX_COUNT``): far above any
#: shop's stock, far below the store's 64-bit integers.
MAX_UNITS = 1_000_000_000

#: ``products set`` keys besides the policy overrides: name -> (kind, zh, en).
PRODUCT_KEYS = {
    "name": ("text", "名称", "name"),
    "price": ("yuan", "价格（元）", "price (yuan)"),
    "sku": ("text", "SKU / 面值说明", "SKU / face value text"),
    "face_value": ("yuan", "面值（元）", "face value (yuan)"),
    "threshold": ("int", "低库存阈值（0 为不提醒）", "low-stock threshold (0: off)"),
    "reusable": ("bool", "循环卡密（一个卡密发给每位买家）", "reusable code (one code for every buyer)"),
    "stock": ("int", "库存（直充 / 实物）", "stock (direct recharge / physical)"),
}


def parse_setting(key: str, text: str) -> tuple[str, Any]:
    """One ``KEY=VALUE`` of ``products set``: a product key or a policy override (exactly of its
    type, domain.policy). Raises DomainError invalid_value / PolicyError."""
    key = key.strip()
    if key not in PRODUCT_KEYS:
        return key, parse_policy_value(key, text)
    kind = PRODUCT_KEYS[key][0]
    value = text.strip()
    if kind == "yuan":
        return key, parse_yuan(value)
    if kind == "int":
        if not (value.isascii() and value.isdigit()):
            raise DomainError("invalid_value", f"{key} 应为非负整数：{text!r}", f"{key} must be a whole number >= 0: {text!r}")
        digits = value.lstrip("0") or "0"
        if len(digits) > len(str(MAX_UNITS)) or int(digits) > MAX_UNITS:  # never a number the store cannot hold
            raise DomainError("invalid_value", f"{key} 至多为 {MAX_UNITS}：{text!r}", f"{key} must be at most {MAX_UNITS}: {text!r}")
        return key, int(digits)
    if kind == "bool":
        words = {"true": True, "是": True, "yes": True, "1": True, "false": False, "否": False, "no": False, "0": False}
        if value.lower() not in words:
            raise DomainError("invalid_value", f"{key} 应为 true 或 false：{text!r}", f"{key} must be true or false: {text!r}")
        return key, words[value.lower()]
    if not value and key == "name":
        raise DomainError("invalid_value", "商品名称不能为空", "the product name cannot be empty")
    return key, value


def set_product(desk: Desk, name: str, values: dict[str, Any], *, actor: str = OWNER) -> Changes:
    """Change product fields and policy overrides (``None`` removes an override), all or none.
    Raises DomainError product_not_found / product_exists / invalid_value, PolicyError."""
    desk.require(Right.STOCK)
    with desk.atomic():
        product = get_product(name)
        _set_fields(desk, product, values)
        _event(desk, product.id, actor, "product_set", data={k: v for k, v in values.items()})
        update_low_stock(desk, product)
    return Changes(product_ids={product.id})


def _set_fields(desk: Desk, product: Product, values: dict[str, Any]) -> None:
    overrides = json.loads(product.policy_overrides or "{}")
    for key, value in values.items():
        if key in PRODUCT_KEYS:
            _apply(product, key, value)
        elif value is None:
            overrides.pop(key, None)
        else:
            overrides[key] = value
    desk.policy().with_overrides(overrides)  # raises PolicyError for a value out of range
    product.policy_overrides = json.dumps(overrides, ensure_ascii=False)
    product.save()


def _look_alike(name: str) -> str:
    """What tells two product names apart for a person: compatibility-folded (NFKC: full-width
    Ｓｔｅａｍ is Steam), case-folded, without spaces (``Steam  钱包`` is ``Steam 钱包``)."""
    return "".join(unicodedata.normalize("NFKC", name).casefold().split())


def _name_free(name: str, product_id: int | None = None) -> None:
    """Refuse (DomainError ``product_exists``) a name another product has, or one a person would
    read as another's (``_look_alike``): codes imported under the look-alike would be on the
    wrong shelf. Products an import made keep their names as the files wrote them."""
    key = _look_alike(name)
    for row in Product.select(Product.id, Product.name):
        other_id, other = int(row.id), str(row.name)
        if other_id != product_id and _look_alike(other) == key:
            same = str(other) == name
            raise DomainError(
                "product_exists",
                f"商品已存在：{other}" if same else f"已有商品「{other}」，与「{name}」只差大小写、全角半角或空格",
                f"a product of that name exists: {other}" if same else
                f"there is a product '{other}', which differs from '{name}' only in case, full-width forms or spaces")


def _apply(product: Product, key: str, value: Any) -> None:
    if key == "name":
        check_name(str(value), "商品名称", "a product name")
        _name_free(str(value), product.id)
        product.name = value
    elif key == "price":
        _check_numbers(value, 0)
        product.price_fen = value
    elif key == "face_value":
        product.face_value_fen = value
    elif key == "threshold":
        product.low_stock_threshold = value
    elif key == "reusable":
        if value and product.product_type != ProductType.CARD_CODE.value:
            raise DomainError("invalid_value", "只有卡密商品可以设为循环卡密", "only card-code products can be reusable")
        product.reusable = value
    elif key == "stock":
        if product.product_type == ProductType.CARD_CODE.value:
            raise DomainError("invalid_value", "卡密商品的库存就是可售卡密数，请导入卡密",
                              "a card-code product's stock is its available codes: import codes")
        product.stock = value
    else:
        setattr(product, key, value)


def policy_keys() -> list[str]:
    """Policy keys a product may override (domain.policy)."""
    return list(CancelPolicy().to_dict())


def update_low_stock(desk: Desk, product: Product, actor: str = "system") -> bool | None:
    """Raise or clear the product's low-stock warning after its stock changed; returns the move
    (True raised, False cleared, None unchanged). Runs in the caller's transaction."""
    product = Product.get_by_id(product.id)
    count = available(product)
    move = low_stock_move(count, int(product.low_stock_threshold), bool(product.low_stock_raised))
    if move is not None:
        Product.update(low_stock_raised=move).where(Product.id == product.id).execute()
        _event(desk, product.id, actor, "low_stock" if move else "restocked",
               data={"available": count, "threshold": int(product.low_stock_threshold)})
    return move


def _event(desk: Desk, product_id: int, actor: str, action: str, note: str = "", **kw: Any) -> None:
    data = kw.pop("data", {})
    add_code_events([{"product_id": product_id, "code_id": kw.get("code_id"), "order_id": kw.get("order_id"),
                      "at": to_epoch(desk.now()), "actor": actor, "action": action, "note": note,
                      "data": json.dumps(data, ensure_ascii=False)}])


__all__ = ["PRODUCT_KEYS", "PolicyError", "ProductView", "add_product", "list_products", "set_product"]
