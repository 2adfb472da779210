"""A gateway trade no (交易号) pays for one order per gateway account.

The store enforces it with a unique index (schema 3); these checks run first so that every
path (补单 mark-paid, import, and any later payment sync) refuses with a message that names the
order already holding the trade no, instead of a database error.

An order without a gateway account cannot say which account took its payment, so its trade no
clashes with the same trade no on *any* order (and an order of an account with one held by an
order without an account): the index alone would let one payment pay two orders there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..domain.errors import DomainError
from ..store.models import Order
from ..store.schema3 import TRADE_NO_INDEX


def trade_no_holder(gateway_id: int | None, trade_no: str, *, except_order_id: int | None = None,
                    forms: Sequence[str] = ()) -> Order | None:
    """The order (other than ``except_order_id``) that holds ``trade_no`` (or one of ``forms``: the
    ways a person may have typed it, in another case) on this gateway account or on no account;
    for ``gateway_id`` None (no account), on any order. None: no holder."""
    trade_no = trade_no.strip()
    if not trade_no:
        return None
    wanted = sorted({trade_no, *(f.strip() for f in forms if f.strip())})
    query = Order.select(Order.id, Order.order_no, Order.status).where(Order.gateway_trade_no.in_(wanted))
    if gateway_id is not None:
        query = query.where(Order.gateway.is_null() | (Order.gateway == gateway_id))
    if except_order_id is not None:
        query = query.where(Order.id != except_order_id)
    return query.first()


def trade_no_taken(holder_order_no: str, trade_no: str) -> DomainError:
    return DomainError(
        "trade_no_taken",
        f"交易号 {trade_no} 已属于订单 {holder_order_no}：一笔支付只能对应一个订单",
        f"trade no {trade_no} already belongs to order {holder_order_no}: one payment pays for one order",
    )


def trade_no_conflict(gateway_id: int | None, trade_no: str, *, order_id: int | None = None,
                      forms: Sequence[str] = ()) -> DomainError | None:
    """Why ``trade_no`` cannot be recorded on order ``order_id`` (None: a new order), or None;
    ``forms`` as ``trade_no_holder``'s."""
    holder = trade_no_holder(gateway_id, trade_no, except_order_id=order_id, forms=forms)
    return None if holder is None else trade_no_taken(holder.order_no, trade_no.strip())


def _holding_accounts(con: Any, accounts: list[int]) -> list[int]:
    """Those of ``accounts`` (0: none) with an order in the store holding a trade no: only they
    can hold one of a batch's. One probe of the unique trade-no index per account, where the store
    has that index (a store kept without it, schema 3, has every account looked at); a batch's
    look-up then probes the index once per trade no and account in use instead of once per
    account there is (an import of orders paid through no account: a third of the probes with
    the wallet and the sandbox every shop has). The caller's transaction sees the same orders
    in both queries."""
    if con.execute("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (TRADE_NO_INDEX,)).fetchone() is None:
        return accounts
    return [a for a in accounts if con.execute(
        "SELECT EXISTS (SELECT 1 FROM orders INDEXED BY orders_gateway_trade_no_unique WHERE IFNULL(gateway_id, 0) = ? "
        "AND gateway_trade_no IS NOT NULL AND gateway_trade_no <> '')", (a,)).fetchone()[0]]


class TradeNoClaims:
    """Trade-no checks for a batch of rows (an import chunk), with one store query.

    ``refusal`` says why a row may not record its trade no: held by another order in the
    store, or claimed by an earlier row of the batch (``claim`` it once the row is accepted).
    """

    def __init__(self, rows: Sequence[tuple[int | None, str | None]]) -> None:
        # trade no -> [(gateway account or None, order id or None for a row of this batch, order no)]
        self._held: dict[str, list[tuple[int | None, int | None, str]]] = {}
        given = [no.strip() for _, no in rows if no]
        numbers = sorted(set(given) - {""})
        given_count = len(given) - given.count("")
        con = Order._meta.database.connection()
        # Every account and none (0): the terms of the unique trade-no index, so the look-up walks
        # it (a bulk load sets the plain trade-no index aside).
        accounts = [0, *(i for (i,) in con.execute("SELECT id FROM gateway_account"))]
        on_server = getattr(con, "dialect", "sqlite") == "postgresql"
        # The unique index's own expression (schema 3): IFNULL on the file, COALESCE on a server.
        account = "COALESCE" if on_server else "IFNULL"
        if numbers and not on_server:
            accounts = _holding_accounts(con, accounts)
        where = (f"{account}(gateway_id, 0) IN ({', '.join('?' * len(accounts))}) AND gateway_trade_no IS NOT NULL "
                 "AND gateway_trade_no <> '' AND gateway_trade_no IN ")
        for start in range(0, len(numbers) if accounts else 0, 500):
            chunk = numbers[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            for order_id, order_no, gateway_id, trade_no in con.execute(
                    f"SELECT id, order_no, gateway_id, gateway_trade_no FROM orders WHERE {where}({marks})",
                    [*accounts, *chunk]):
                self._held.setdefault(str(trade_no), []).append((gateway_id, order_id, order_no))
        #: No trade no of the batch is held in the store or given twice in it: no row can be
        #: refused for its trade no, so the batch needs neither ``refusal`` nor ``claim``.
        self.clear = not self._held and len(numbers) == given_count

    def refusal(self, gateway_id: int | None, trade_no: str | None, order_id: int | None) -> DomainError | None:
        """Why order ``order_id`` (None: a new order) may not hold ``trade_no``, or None."""
        if not trade_no or not trade_no.strip():
            return None
        trade_no = trade_no.strip()
        for holder_gateway, holder_id, holder_no in self._held.get(trade_no, []):
            clash = gateway_id is None or holder_gateway is None or holder_gateway == gateway_id
            if clash and (holder_id is None or holder_id != order_id):
                return trade_no_taken(holder_no, trade_no)
        return None

    def claim(self, gateway_id: int | None, trade_no: str | None, order_no: str) -> None:
        if trade_no and trade_no.strip():
            self._held.setdefault(trade_no.strip(), []).append((gateway_id, None, order_no))
