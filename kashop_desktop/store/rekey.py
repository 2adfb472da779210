"""Schema 4: buyers keyed by their canonical contact (see ``domain.contacts``).

* ``orders.buyer_key`` holds the canonical form of ``orders.buyer`` (which keeps what was
  written, for the list); the buyer search index ``orders_fts`` covers both columns, kept by the
  triggers below.
* Buyer rows whose contacts share a canonical key are merged into the oldest one: its orders,
  cancellations, counts, flag (flagged if any was) and notes (joined) — then it takes the key as
  its contact.

Set-based throughout: each distinct contact is keyed once in Python (the fast path makes a
million orders' worth take seconds), then one UPDATE pass fills the column and the search index
is rebuilt in one go.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from typing import Any

from ..domain.contacts import contact_key

FTS_TRIGGERS = (
    """CREATE TRIGGER orders_fts_ins AFTER INSERT ON orders BEGIN
         INSERT INTO orders_fts(rowid, buyer, buyer_key) VALUES (NEW.id, NEW.buyer, NEW.buyer_key); END""",
    """CREATE TRIGGER orders_fts_del AFTER DELETE ON orders BEGIN
         INSERT INTO orders_fts(orders_fts, rowid, buyer, buyer_key)
         VALUES ('delete', OLD.id, OLD.buyer, OLD.buyer_key); END""",
    """CREATE TRIGGER orders_fts_upd AFTER UPDATE OF buyer, buyer_key ON orders BEGIN
         INSERT INTO orders_fts(orders_fts, rowid, buyer, buyer_key)
         VALUES ('delete', OLD.id, OLD.buyer, OLD.buyer_key);
         INSERT INTO orders_fts(rowid, buyer, buyer_key) VALUES (NEW.id, NEW.buyer, NEW.buyer_key); END""",
)


def migrate(con: sqlite3.Connection) -> dict[str, int]:
    """Add and fill ``orders.buyer_key``, merge buyers, rebuild the search index.

    Runs inside the caller's transaction. Returns counts: contacts keyed, buyers merged away.
    """
    columns = {row[1] for row in con.execute("PRAGMA table_info(orders)")}
    if "buyer_key" not in columns:  # a fresh store made by migration 1 already has it
        con.execute("ALTER TABLE orders ADD COLUMN buyer_key VARCHAR(255) NOT NULL DEFAULT ''")
    for name in ("orders_fts_ins", "orders_fts_del", "orders_fts_upd"):
        con.execute(f"DROP TRIGGER IF EXISTS {name}")
    con.execute("DROP TABLE IF EXISTS orders_fts")
    keyed = fill_buyer_keys(con)
    merged = merge_buyers(con)
    con.execute("""CREATE VIRTUAL TABLE orders_fts USING fts5(
                     buyer, buyer_key, content='orders', content_rowid='id', tokenize='trigram')""")
    con.execute("INSERT INTO orders_fts(orders_fts) VALUES ('rebuild')")
    for sql in FTS_TRIGGERS:
        con.execute(sql)
    return {"contacts": keyed, "buyers_merged": merged}


def fill_buyer_keys(con: sqlite3.Connection) -> int:
    """One pass over the orders: the key of each distinct contact, computed once."""
    con.execute("CREATE TEMP TABLE IF NOT EXISTS contact_map (raw TEXT PRIMARY KEY, key TEXT NOT NULL) WITHOUT ROWID")
    con.execute("DELETE FROM temp.contact_map")
    cursor = con.execute("SELECT DISTINCT buyer FROM orders")
    total = 0
    while chunk := cursor.fetchmany(50_000):
        total += len(chunk)
        pairs = [(raw, key) for (raw,) in chunk if (key := contact_key(raw)) != raw]
        con.executemany("INSERT INTO temp.contact_map (raw, key) VALUES (?, ?)", pairs)
    con.execute("UPDATE orders SET buyer_key = "
                "COALESCE((SELECT key FROM temp.contact_map WHERE raw = orders.buyer), buyer)")
    con.execute("DROP TABLE temp.contact_map")
    return total


def merge_buyers(con: sqlite3.Connection) -> int:
    """Merge buyer rows sharing a canonical key into the oldest; return how many went."""
    groups: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for row in con.execute("SELECT id, contact, flagged, note, orders_count, cancel_count, last_cancel_at "
                           "FROM buyer ORDER BY id"):
        groups[contact_key(row[1]) or row[1]].append(row)
    moves: list[tuple[int, int]] = []
    survivors: list[tuple[Any, ...]] = []
    for key, rows in groups.items():
        keep = rows[0]
        if len(rows) == 1 and keep[1] == key:
            continue
        moves += [(keep[0], other[0]) for other in rows[1:]]
        notes = list(dict.fromkeys(r[3] for r in rows if r[3]))
        last = [r[6] for r in rows if r[6] is not None]
        survivors.append((key, int(any(r[2] for r in rows)), "\n".join(notes), sum(r[4] for r in rows),
                          sum(r[5] for r in rows), max(last) if last else None, keep[0]))
    con.executemany("UPDATE orders SET buyer_ref_id = ? WHERE buyer_ref_id = ?", moves)
    con.executemany("UPDATE buyer_cancellation SET buyer_id = ? WHERE buyer_id = ?", moves)
    con.executemany("DELETE FROM buyer WHERE id = ?", [(gone,) for _, gone in moves])
    # Renamed only after the merged rows are gone: a key is unique to its group, so no clash.
    con.executemany("UPDATE buyer SET contact = ?, flagged = ?, note = ?, orders_count = ?, cancel_count = ?, "
                    "last_cancel_at = ? WHERE id = ?", survivors)
    return len(moves)
