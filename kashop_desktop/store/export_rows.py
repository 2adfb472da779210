"""The rows of a filtered order list, every one of them, in list order, a chunk at a time.

An export must hold exactly the rows the orders page shows for the same filter (tab, search,
dates, sort), so it is planned by the same code (``queries``): a selective search is read from
its ids in memory (``store.selection``) in chunks by primary key, any other filter is one
statement over the tab's own index walked in list order, its rows fetched a chunk at a time.
Memory stays bounded by the chunk whatever the list's size.

The whole read runs inside one read transaction (a deferred ``BEGIN``, which takes no write
lock; on a server a READ ONLY, REPEATABLE READ one, its rows read through a server-side cursor),
so a file written while another process changes orders is one snapshot of the list.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from peewee import SqliteDatabase

from . import queries
from .dialect import on_server, orders_of_ids
from .queries import OrderFilter

#: The columns of an exported row, in this order.
EXPORT_COLUMNS = (
    "order_no", "created_at", "product_name", "product_type", "quantity", "buyer", "list_fen", "coupon_fen",
    "points", "paid_fen", "refunded_fen", "refund_pending_fen", "status", "paid_at", "delivered_at", "channel",
    "gateway_id", "gateway_trade_no", "received_fen",
)
#: ``received_fen``: the money received, NULL before payment (``paid_fen`` is the amount due).
#: The index of ``received_fen`` in a row.
RECEIVED = len(EXPORT_COLUMNS) - 1
_SELECT = ", ".join("o." + c for c in EXPORT_COLUMNS[:-1]) + ", CASE WHEN o.paid_at IS NULL THEN NULL ELSE o.paid_fen END"
CHUNK = 5_000


def export_total(db: SqliteDatabase, flt: OrderFilter) -> int:
    """How many rows ``export_chunks`` yields for ``flt`` (the list's own count)."""
    return queries.count(db, flt)


def gateway_names(db: SqliteDatabase) -> dict[int, str]:
    """Gateway account id -> name (a handful of rows)."""
    return {gid: name for gid, name in db.execute_sql("SELECT id, name FROM gateway_account")}


@contextmanager
def snapshot(db: SqliteDatabase) -> Iterator[None]:
    """One read transaction around what runs inside (a deferred ``BEGIN``: a read snapshot from
    its first read on, no write lock), so a count and the rows read after it agree; nothing
    when a transaction is already open on this connection."""
    if on_server(db):
        # db is a store.server.ServerDatabase there
        with db.read_snapshot():  # type: ignore[attr-defined]
            yield
        return
    con = db.connection()
    began = not con.in_transaction
    if began:
        con.execute("BEGIN")
    try:
        yield
    finally:
        if began and con.in_transaction:
            con.execute("COMMIT")


def export_chunks(db: SqliteDatabase, flt: OrderFilter, cancelled: Callable[[], bool] | None = None,
                  chunk: int | None = None) -> Iterator[list[tuple[Any, ...]]]:
    """Every row of the list ``flt`` describes, in list order, as lists of at most ``chunk``
    tuples of ``EXPORT_COLUMNS`` (money in fen, times epoch seconds), in one read snapshot
    (``snapshot``). Stops early, yielding nothing more, once ``cancelled()`` is true (checked
    between chunks)."""
    chunk = chunk or CHUNK
    with snapshot(db):
        listed = queries._listed(db, flt)
        if listed is not None:
            yield from _by_ids(db, listed.ids.tolist(), cancelled, chunk)
            return
        source, params = queries._source(db, flt)
        key = queries._sort_key(flt)
        direction = "DESC" if flt.descending else "ASC"
        sql = f"SELECT {_SELECT}{source} ORDER BY {key} {direction}, o.id {direction}"
        if on_server(db):  # a server-side cursor: psycopg's own would hold every row at once
            for rows in db.stream(sql, params, chunk):  # type: ignore[attr-defined]
                if cancelled is not None and cancelled():
                    return
                yield rows
            return
        cursor = db.execute_sql(sql, params)
        try:
            while rows := cursor.fetchmany(chunk):
                if cancelled is not None and cancelled():
                    return
                yield rows
        finally:
            cursor.close()


def _by_ids(db: SqliteDatabase, ids: list[int], cancelled: Callable[[], bool] | None,
            chunk: int) -> Iterator[list[tuple[Any, ...]]]:
    for start in range(0, len(ids), chunk):
        if cancelled is not None and cancelled():
            return
        part = ids[start:start + chunk]
        found = {r[-1]: r[:-1] for r in db.execute_sql(
            f"SELECT {_SELECT}, o.id FROM {orders_of_ids(db)}",
            (json.dumps(part),))}
        yield [found[i] for i in part if i in found]
