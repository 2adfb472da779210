"""Set-based insertion of many orders (imports, the demo, the benchmark)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import Any

from ..domain.codes import canonical
from ..domain.contacts import contact_key
from ..store import bulkload
from .codekeys import is_token
from .desk import Desk

ORDER_COLUMNS = (
    "order_no", "created_at", "product_id", "product_name", "product_type", "quantity", "list_fen", "coupon_fen",
    "coupon_code", "coupon_returned", "points", "points_refunded", "paid_fen", "refunded_fen", "refund_pending_fen",
    "status", "paid_at",
    "delivered_at", "completed_at", "cancelled_at", "channel", "gateway_id", "gateway_trade_no", "buyer",
    "buyer_key", "buyer_ref_id", "code_used", "card_code", "stock_reserved", "updated_at",
)


def insert_orders(desk: Desk, rows: Iterable[dict[str, Any]], *, batch: int = 5000, bulk: bool = False) -> int:
    """Insert order dicts (keys from ORDER_COLUMNS; missing ones get defaults). Returns the count.

    ``buyer_key`` defaults to the canonical form of ``buyer`` (``domain.contacts``).

    ``bulk`` is for very large loads (the benchmark, a big import): the secondary indexes,
    the buyer search index and the per-row status-count trigger are set aside, the rows go in,
    and then everything is rebuilt in one pass each, which is about twice as fast. It all
    happens in one transaction, so a crash leaves the store exactly as it was before.
    """
    if not bulk:
        return _insert(desk, rows, batch)
    with desk.atomic():
        con = desk.db.connection()
        bulkload.set_aside(con, keep=frozenset())
        total = _insert(desk, rows, batch)
        bulkload.put_back(con)
        return total


#: Values of the columns an order dict may leave out.
DEFAULTS: dict[str, Any] = {
    "coupon_fen": 0, "coupon_code": None, "coupon_returned": 0, "points": 0, "points_refunded": 0,
    "refunded_fen": 0, "refund_pending_fen": 0, "paid_at": None, "delivered_at": None, "completed_at": None,
    "cancelled_at": None, "channel": None, "gateway_id": None, "gateway_trade_no": None, "buyer": "",
    "buyer_ref_id": None, "code_used": "unknown", "card_code": None, "stock_reserved": 0, "quantity": 1,
    "product_id": None,
}
INSERT_SQL = f"INSERT INTO orders ({', '.join(ORDER_COLUMNS)}) VALUES ({', '.join('?' * len(ORDER_COLUMNS))})"


#: An order dict with every column present, as the values of ``INSERT_SQL``.
order_values = itemgetter(*ORDER_COLUMNS)


def _insert(desk: Desk, rows: Iterable[dict[str, Any]], batch: int) -> int:
    defaults, sql = DEFAULTS, INSERT_SQL
    con = desk.db.connection()
    total = 0
    keys: dict[str, str] = {}  # contact as written -> canonical key: buyers repeat down a load
    pending: list[Sequence[Any]] = []
    for row in rows:
        merged = defaults | row
        if merged["card_code"] and not is_token(merged["card_code"]):  # codes are stored sealed only
            cipher = desk.code_cipher()
            merged["card_code"] = "\n".join(cipher.seal(canonical(c)) for c in merged["card_code"].splitlines() if c.strip())
        if "updated_at" not in merged:
            merged["updated_at"] = merged["created_at"]
        if "buyer_key" not in merged:
            buyer = merged["buyer"]
            key = keys.get(buyer)
            if key is None:
                if len(keys) >= 200_000:
                    keys.clear()
                key = keys[buyer] = contact_key(buyer)
            merged["buyer_key"] = key
        pending.append(order_values(merged))
        if len(pending) >= batch:
            con.executemany(sql, pending)
            total += len(pending)
            pending.clear()
    if pending:
        con.executemany(sql, pending)
        total += len(pending)
    return total
