"""What restoring a backup would roll back, read from the live store and the backup side by side
(both read-only): payments and deliveries made since, codes sold or voided since that the backup
still holds unsold, and whether the backup's card codes are sealed under another key.

Refunds are compared in ``store.backups.refunds_since``; this module adds the rest.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from . import health

SHOWN = 10  # order nos named per kind


@dataclass(frozen=True)
class RollbackSince:
    """``payments``: orders paid in the live store that the backup holds unpaid or lacks (first
    SHOWN order nos, ``payment_count`` in all); ``deliveries`` likewise for delivered orders;
    ``codes_back``: codes sold or voided since that the backup holds unsold (they would be on
    sale again)."""

    payments: list[str] = field(default_factory=list)
    payment_count: int = 0
    deliveries: list[str] = field(default_factory=list)
    delivery_count: int = 0
    codes_back: int = 0
    #: Active operators of the live store that the backup does not hold active (a backup from
    #: before them, or from before the operators existed at all): they could not sign in after it.
    operators_dropped: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.payment_count or self.delivery_count or self.codes_back or self.operators_dropped)


def _attached(live: Path, backup: Path) -> sqlite3.Connection:
    con = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    con.execute("ATTACH DATABASE ? AS live", (f"file:{live}?mode=ro",))
    return con


def _orders(con: sqlite3.Connection, column: str) -> tuple[list[str], int]:
    where = (f"FROM live.orders l LEFT JOIN main.orders b ON b.order_no = l.order_no "
             f"WHERE l.{column} IS NOT NULL AND (b.id IS NULL OR b.{column} IS NULL)")
    count = int(con.execute(f"SELECT count(*) {where}").fetchone()[0])
    names = [str(r[0]) for r in con.execute(f"SELECT l.order_no {where} ORDER BY l.id LIMIT {SHOWN}")]
    return names, count


def _codes_back(con: sqlite3.Connection) -> int:
    try:
        return int(con.execute(
            "SELECT count(*) FROM live.card_code l JOIN main.card_code b ON b.digest = l.digest "
            "WHERE (l.state IN ('delivered', 'void') OR l.order_id IS NOT NULL) "
            "AND b.state IN ('available', 'locked', 'reserved')").fetchone()[0])
    except sqlite3.DatabaseError:  # a store before schema 6 has no digests to match
        return 0


def _active_operators(con: sqlite3.Connection, schema: str) -> list[str]:
    try:
        return [str(r[0]) for r in con.execute(f"SELECT name FROM {schema}.operator WHERE disabled_at IS NULL ORDER BY id")]
    except sqlite3.DatabaseError:  # a store before schema 14 has no operators (the owner alone, no sign-in)
        return []


def _operators_dropped(con: sqlite3.Connection) -> list[str]:
    kept = set(_active_operators(con, "main"))
    return [name for name in _active_operators(con, "live") if name not in kept]


def rollback_since(live: Path, backup: Path) -> RollbackSince:
    """What restoring ``backup`` over ``live`` would undo; empty when the live store cannot be
    read (damaged: there is nothing to compare with)."""
    if health.inspect(live).state is not health.FileState.OK:
        return RollbackSince()
    try:
        con = _attached(live, backup)
        try:
            payments, paid = _orders(con, "paid_at")
            deliveries, delivered = _orders(con, "delivered_at")
            return RollbackSince(payments, paid, deliveries, delivered, _codes_back(con), _operators_dropped(con))
        finally:
            con.close()
    except sqlite3.DatabaseError:
        return RollbackSince()


def _settings(con: sqlite3.Connection, schema: str) -> dict[str, str]:
    try:
        rows = con.execute(f"SELECT key, value FROM {schema}.setting WHERE key IN ('store_id', 'codes_key_id')")
        return {str(k): str(json.loads(v)) for k, v in rows}
    except (sqlite3.DatabaseError, ValueError):
        return {}


def _has_sealed(con: sqlite3.Connection, schema: str) -> bool:
    try:
        return con.execute(f"SELECT 1 FROM {schema}.card_code WHERE sealed LIKE 'c1:%' LIMIT 1").fetchone() is not None
    except sqlite3.DatabaseError:
        return False


def other_key(live: Path, backup: Path) -> bool:
    """Whether the backup's card codes are sealed under a key that is not the live shop's: both
    have a card-code key and the key (or the shop) differs. A live store without a key (a fresh
    store on a new PC) or that cannot be read is no reason to refuse."""
    if health.inspect(live).state is not health.FileState.OK:
        return False
    try:
        con = _attached(live, backup)
        try:
            mine, theirs = _settings(con, "live"), _settings(con, "main")
            if not mine.get("codes_key_id") or not (theirs.get("codes_key_id") or _has_sealed(con, "main")):
                return False
            if theirs.get("codes_key_id"):
                return mine.get("codes_key_id") != theirs.get("codes_key_id")
            return mine.get("store_id") != theirs.get("store_id")
        finally:
            con.close()
    except sqlite3.DatabaseError:
        return False
