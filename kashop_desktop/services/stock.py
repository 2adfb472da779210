"""An order's units on the shelf, by product type.

A 卡密 (card-code) product's stock is its codes: an unpaid order holds reserved codes
(``CardCode.state == 'reserved'`` with its ``order_id``) and a paid one takes available codes at
delivery or waits in the backorder queue (缺货待发). ``Product.stock`` is a counter meaningful only
for 直充 (top-up) and 实物 (goods) products; an order that took units from it has
``Order.stock_reserved`` set. Every reserve, restore, reopen and sale goes through here so that the
two kinds of stock are never mixed.
"""

from __future__ import annotations

from ..domain.errors import DomainError
from ..domain.order import ProductType
from ..store.models import CardCode, Order, Product
from .codes import codes_available, reserve_codes
from .common import reserve_stock
from .desk import Desk


def uses_codes(order: Order) -> bool:
    """Whether the order's stock is card codes (卡密) rather than the product's counter."""
    return bool(order.product_type == ProductType.CARD_CODE.value)


def units_free(order: Order) -> bool:
    """Whether the shelf holds the order's units now: its codes (reserved for it or available)
    for 卡密, the counter for 直充/实物; True for an order that holds its units or has no product."""
    if order.product_id is None or order.stock_reserved:
        return True
    if uses_codes(order):
        return codes_available(order)
    product = Product.get_or_none(Product.id == order.product_id)
    return product is None or int(product.stock) >= int(order.quantity)


def units_on_shelf(order: Order) -> int | None:
    """How many units of the order's product can be sold now (available codes for 卡密, the
    counter for 直充/实物), or None without a product."""
    product = Product.get_or_none(Product.id == order.product_id) if order.product_id else None
    if product is None:
        return None
    if uses_codes(order):
        return int(CardCode.select().where((CardCode.product == product.id)
                                           & (CardCode.state == "available")).count())
    return int(product.stock)


def _codes_held(order: Order) -> int:
    return int(CardCode.select().where((CardCode.order_id == order.id) & (CardCode.state == "reserved")).count())


def reserve_units(desk: Desk, order: Order, *, short_ok: bool) -> bool:
    """Reserve the order's units again (a restore, a reopening by a late payment), in the
    caller's transaction. 卡密: codes available -> reserved for the order (a reusable product
    reserves nothing); 直充/实物: the counter. Returns whether the units are held. When the shelf is
    short: with ``short_ok`` (a 卡密 order being paid: it then takes codes at delivery or joins
    the backorder queue) returns False; otherwise raises DomainError ``out_of_stock``."""
    if order.product_id is None or order.stock_reserved:
        return True
    if not uses_codes(order):
        reserve_stock(order)  # raises out_of_stock when the counter is short
        return True
    product = Product.get_or_none(Product.id == order.product_id)
    if product is None or product.reusable or _codes_held(order) >= int(order.quantity):
        return True
    if reserve_codes(desk, order) >= int(order.quantity):
        return True
    if short_ok:
        return False
    free = units_on_shelf(order) or 0
    raise DomainError("out_of_stock", f"卡密库存不足（可售 {free} 个，需要 {order.quantity} 个），无法恢复订单",
                      f"not enough card codes ({free} on the shelf, {order.quantity} needed) to restore this order")
