"""Per-row rules an import checks against the store, inside each chunk's transaction.

``check_row`` is called once for every row that passed the file checks, in file order, with
the order already stored under that order no (or None) and the rows of the same chunk
accepted before it (not yet in the store: they are written together when the chunk ends).
It raises ``RowError`` to refuse the row; a refused row is never written. A rule that needs
the store goes here (for example, that a gateway trade no belongs to at most one order per
gateway account): call the services function that owns the rule and turn its DomainError
into a RowError for the column concerned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ...domain.states import OrderStatus
from .rows import RowError

S = OrderStatus
#: How far an order has gone; an import only ever moves an order forward along this.
RANK = {S.PENDING_PAYMENT: 0, S.PAID: 1, S.DELIVERED: 2, S.COMPLETED: 3}


@dataclass(frozen=True)
class StoredOrder:
    """The stored facts of an order that a re-import may touch."""

    id: int
    order_no: str
    status: str
    paid_at: int | None
    paid_fen: int


def check_row(data: dict[str, Any], stored: StoredOrder | None, accepted: Sequence[dict[str, Any]]) -> None:
    """Refuse (RowError) a row the store's rules do not allow; ``data`` is ``parse_row``'s dict."""
    if stored is not None:
        check_update(data, stored)


def check_update(data: dict[str, Any], stored: StoredOrder) -> None:
    """An existing order moves only forward (待支付 → 已支付 → 已发货 → 已完成, or an unpaid
    order expiring), and the amount of a paid order never changes."""
    old, new = S(stored.status), S(data["status"])
    if old is new:
        return
    forward = old in RANK and new in RANK and RANK[new] > RANK[old]
    expire = old is S.PENDING_PAYMENT and new is S.CANCELLED
    if not (forward or expire):
        raise RowError("status", f"不能把订单从「{old.zh}」改为「{new.zh}」（不回退）",
                       f"will not move the order from '{old.en}' to '{new.en}' (never backwards)")
    if stored.paid_at is not None and data["paid_fen"] != stored.paid_fen:
        raise RowError("paid_amount", "已支付订单的金额不能通过导入修改",
                       "the amount of a paid order cannot be changed by an import")
