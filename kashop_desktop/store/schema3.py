"""Schema 3: refund identity, confirmed vs in-flight refund money, one order per trade no.

* ``store_id``: a random id made once per store; refund nos are built from it and a sequence
  (``services.refund_nos``), so two data folders on one merchant never share a refund no.
* ``orders.refund_pending_fen``: money of approved refunds that are not final (退款中);
  ``refunded_fen`` now counts only refunds that succeeded. Existing stores are recomputed from
  their refund rows: refunds that failed or are still in flight leave ``refunded_fen``.
* ``refund.checks`` / ``first_sent_at`` / ``resolved_how``: refunds that never settle are asked
  a bounded number of times, then wait for the owner, who may record how it was refunded.
* A unique index on (gateway account, gateway trade no): a trade no pays for one order. A store
  that already holds duplicates still opens without it (``check`` names them); the index is
  created at the next open after they are resolved.
"""

from __future__ import annotations

import base64
import secrets
from typing import Any

from peewee import SqliteDatabase

from ..domain.refund_states import IN_FLIGHT_REFUND_STATES
from ..domain.states import OrderStatus

TRADE_NO_INDEX = "orders_gateway_trade_no_unique"
_TRADE_KEY = "IFNULL(gateway_id, 0), gateway_trade_no"
_TRADE_WHERE = "gateway_trade_no IS NOT NULL AND gateway_trade_no <> ''"


def new_store_id() -> str:
    """Ten characters of base32 (50 random bits): upper-case letters and digits 2-7."""
    return base64.b32encode(secrets.token_bytes(10)).decode("ascii")[:10]


def _add_column(db: SqliteDatabase, table: str, column: str, decl: str) -> None:
    columns = {row[1] for row in db.execute_sql(f"PRAGMA table_info({table})").fetchall()}
    if column not in columns:  # a fresh store made by migration 1 already has it
        db.execute_sql(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")


def migrate(db: SqliteDatabase) -> None:
    _add_column(db, "orders", "refund_pending_fen", "INTEGER NOT NULL DEFAULT 0")
    _add_column(db, "refund", "checks", "INTEGER NOT NULL DEFAULT 0")
    _add_column(db, "refund", "first_sent_at", "INTEGER")
    _add_column(db, "refund", "resolved_how", "VARCHAR(255) NOT NULL DEFAULT ''")
    db.execute_sql("INSERT OR IGNORE INTO setting (key, value) VALUES ('store_id', ?)", (f'"{new_store_id()}"',))
    # 'processing at the gateway' was kept as sending + kind processing; it is a state of its own now.
    db.execute_sql("UPDATE refund SET state = 'processing' WHERE state = 'sending' AND last_error_kind = 'processing'")
    db.execute_sql("UPDATE refund SET first_sent_at = sent_at WHERE first_sent_at IS NULL")
    _recompute_money(db)
    ensure_trade_no_index(db)


def applied(db: SqliteDatabase) -> bool:
    """Whether this store has had schema 3 (its store id is its mark)."""
    return bool(db.execute_sql("SELECT 1 FROM setting WHERE key = 'store_id'").fetchone())


def _recompute_money(db: SqliteDatabase) -> None:
    """Schema 2 added every approved refund to refunded_fen at once; keep only the succeeded ones."""
    marks = ",".join("?" * len(IN_FLIGHT_REFUND_STATES))
    rows = db.execute_sql(
        f"""SELECT o.id, o.status, o.paid_fen, o.refunded_fen, o.delivered_at, o.completed_at,
                   SUM(CASE WHEN r.state IN ({marks}) THEN r.gross_fen ELSE 0 END),
                   SUM(CASE WHEN r.state <> 'succeeded' AND r.last_error_kind <> 'withdrawn' THEN r.gross_fen ELSE 0 END),
                   SUM(CASE WHEN r.state = 'failed' AND r.last_error_kind <> 'withdrawn' THEN r.points_returned ELSE 0 END)
            FROM orders o JOIN refund r ON r.order_id = o.id GROUP BY o.id""",
        [s.value for s in IN_FLIGHT_REFUND_STATES],
    ).fetchall()
    for oid, status, paid, refunded, delivered_at, completed_at, pending, not_done, points_back in rows:
        refunded = max(0, refunded - not_done)
        target = OrderStatus(status)
        if target in (OrderStatus.REFUNDED, OrderStatus.PARTIALLY_REFUNDED) and refunded < paid:
            # The status ran ahead of the money: it follows the confirmed refunds now.
            if refunded > 0:
                target = OrderStatus.PARTIALLY_REFUNDED
            elif completed_at is not None:
                target = OrderStatus.COMPLETED
            else:
                target = OrderStatus.DELIVERED if delivered_at is not None else OrderStatus.PAID
        db.execute_sql(
            "UPDATE orders SET refunded_fen = ?, refund_pending_fen = ?, points_refunded = MAX(0, points_refunded - ?),"
            " status = ? WHERE id = ?",
            (refunded, pending, points_back, target.value, oid),
        )


def duplicate_trade_nos(db: SqliteDatabase, limit: int = 100) -> list[tuple[str, list[str]]]:
    """Trade nos held by more than one order of one gateway account: (trade no, order nos)."""
    rows = db.execute_sql(
        f"SELECT gateway_trade_no, {_joined(db, 'order_no')} FROM orders WHERE {_TRADE_WHERE} "
        f"GROUP BY {_trade_key(db)} HAVING COUNT(*) > 1 ORDER BY gateway_trade_no LIMIT ?", (limit,)
    ).fetchall()
    return [(trade_no, sorted(nos.split(" "))) for trade_no, nos in rows]


def trade_nos_across_accounts(db: SqliteDatabase, limit: int = 100) -> list[tuple[str, list[str]]]:
    """Trade nos held by an order without a gateway account and by another order of any account
    (the unique index cannot see these): (trade no, order nos)."""
    rows = db.execute_sql(
        f"SELECT o.gateway_trade_no, {_joined(db, 'o.order_no')} FROM orders o "
        f"WHERE o.gateway_trade_no IN (SELECT gateway_trade_no FROM orders WHERE gateway_id IS NULL "
        f"AND {_TRADE_WHERE}) GROUP BY o.gateway_trade_no HAVING COUNT(*) > 1 "
        f"ORDER BY o.gateway_trade_no LIMIT ?", (limit,)
    ).fetchall()
    return [(trade_no, sorted(nos.split(" "))) for trade_no, nos in rows]


def _on_server(db: Any) -> bool:
    return getattr(db, "dialect", "sqlite") == "postgresql"


def _joined(db: Any, column: str) -> str:
    """The values of ``column`` in a group joined by spaces, in the store's dialect."""
    return f"string_agg({column}, ' ')" if _on_server(db) else f"GROUP_CONCAT({column}, ' ')"


def _trade_key(db: Any) -> str:
    return _TRADE_KEY.replace("IFNULL", "COALESCE") if _on_server(db) else _TRADE_KEY


def has_trade_no_index(db: SqliteDatabase) -> bool:
    if _on_server(db):
        return bool(db.execute_sql("SELECT 1 FROM pg_indexes WHERE indexname = %s", (TRADE_NO_INDEX,)).fetchone())
    return bool(db.execute_sql("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?",
                               (TRADE_NO_INDEX,)).fetchone())


def ensure_trade_no_index(db: SqliteDatabase) -> bool:
    """Create the unique trade-no index unless it exists or duplicates stand in its way."""
    if has_trade_no_index(db):
        return True
    if duplicate_trade_nos(db, 1):
        return False
    db.execute_sql(f"CREATE UNIQUE INDEX {TRADE_NO_INDEX} ON orders ({_TRADE_KEY}) WHERE {_TRADE_WHERE}")
    return True


__all__ = ["applied", "duplicate_trade_nos", "ensure_trade_no_index", "has_trade_no_index", "migrate",
           "new_store_id", "trade_nos_across_accounts"]
