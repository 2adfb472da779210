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
import time
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


def migrate(con: sqlite3.Connection, timings: dict[str, float] | None = None) -> dict[str, int]:
    """Add and fill ``orders.buyer_key``, merge buyers, rebuild the search index.

    Runs inside the caller's transaction. Returns counts: contacts keyed, buyers merged away;
    ``timings`` (if given) receives each phase's seconds, for the benchmark.
    """
    clock = _Phases(timings)
    cache = con.execute("PRAGMA cache_size").fetchone()[0]
    con.execute("PRAGMA cache_size = -256000")  # the index rebuild sorts in memory
    try:
        return _migrate(con, clock)
    finally:
        con.execute(f"PRAGMA cache_size = {int(cache)}")


class _Phases:
    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings
        self.start = time.perf_counter()

    def done(self, phase: str) -> None:
        now = time.perf_counter()
        if self.timings is not None:
            self.timings[phase] = now - self.start
        self.start = now


def _migrate(con: sqlite3.Connection, clock: _Phases) -> dict[str, int]:
    columns = {row[1] for row in con.execute("PRAGMA table_info(orders)")}
    if "buyer_key" not in columns:  # a fresh store made by migration 1 already has it
        con.execute("ALTER TABLE orders ADD COLUMN buyer_key VARCHAR(255) NOT NULL DEFAULT ''")
    for name in ("orders_fts_ins", "orders_fts_del", "orders_fts_upd"):
        con.execute(f"DROP TRIGGER IF EXISTS {name}")
    con.execute("DROP TABLE IF EXISTS orders_fts")
    keys = key_map(con)
    clock.done("key contacts")
    fill_buyer_keys(con, keys)
    clock.done("fill orders.buyer_key")
    merged = merge_buyers(con, keys)
    clock.done("merge buyers")
    con.execute("""CREATE VIRTUAL TABLE orders_fts USING fts5(
                     buyer, buyer_key, content='orders', content_rowid='id', tokenize='trigram')""")
    con.execute("INSERT INTO orders_fts(orders_fts) VALUES ('rebuild')")
    clock.done("rebuild search index")
    for sql in FTS_TRIGGERS:
        con.execute(sql)
    return {"contacts": len(keys), "buyers_merged": merged}


def key_map(con: sqlite3.Connection) -> dict[str, str]:
    """The key of every distinct contact in the orders and the buyers, each computed once."""
    raws = {r[0] for r in con.execute("SELECT DISTINCT buyer FROM orders")}
    raws.update(r[0] for r in con.execute("SELECT contact FROM buyer"))
    return {raw: contact_key(raw) for raw in raws}


def fill_buyer_keys(con: sqlite3.Connection, keys: dict[str, str]) -> None:
    """One pass over the orders through a temporary map of the contacts whose key differs."""
    con.execute("CREATE TEMP TABLE IF NOT EXISTS contact_map (raw TEXT PRIMARY KEY, key TEXT NOT NULL) WITHOUT ROWID")
    con.execute("DELETE FROM temp.contact_map")
    con.executemany("INSERT INTO temp.contact_map (raw, key) VALUES (?, ?)",
                    [(raw, key) for raw, key in keys.items() if key != raw])
    con.execute("UPDATE orders SET buyer_key = "
                "COALESCE((SELECT key FROM temp.contact_map WHERE raw = orders.buyer), buyer)")
    con.execute("DROP TABLE temp.contact_map")


def merge_buyers(con: sqlite3.Connection, keys: dict[str, str]) -> int:
    """Merge buyer rows sharing a canonical key into the oldest; return how many went."""
    groups: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for row in con.execute("SELECT id, contact, flagged, note, orders_count, cancel_count, last_cancel_at "
                           "FROM buyer ORDER BY id"):
        groups[keys.get(row[1]) or contact_key(row[1]) or row[1]].append(row)
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
    # Set-based: one statement per table through a temporary map (200,000 single-row
    # statements took 38 s on a million orders; these take a few).
    con.execute("CREATE TEMP TABLE IF NOT EXISTS buyer_move (old INTEGER PRIMARY KEY, new INTEGER NOT NULL)")
    con.execute("DELETE FROM temp.buyer_move")
    con.executemany("INSERT INTO temp.buyer_move (new, old) VALUES (?, ?)", moves)
    for table, column in (("orders", "buyer_ref_id"), ("buyer_cancellation", "buyer_id")):
        con.execute(f"UPDATE {table} SET {column} = (SELECT new FROM temp.buyer_move WHERE old = {column}) "
                    f"WHERE {column} IN (SELECT old FROM temp.buyer_move)")
    con.execute("DELETE FROM buyer WHERE id IN (SELECT old FROM temp.buyer_move)")
    con.execute("DROP TABLE temp.buyer_move")
    # Renamed only after the merged rows are gone: a key is unique to its group, so no clash.
    con.execute("CREATE TEMP TABLE IF NOT EXISTS buyer_merged (id INTEGER PRIMARY KEY, contact TEXT, flagged INTEGER, "
                "note TEXT, orders_count INTEGER, cancel_count INTEGER, last_cancel_at INTEGER)")
    con.execute("DELETE FROM temp.buyer_merged")
    con.executemany("INSERT INTO temp.buyer_merged (contact, flagged, note, orders_count, cancel_count, "
                    "last_cancel_at, id) VALUES (?, ?, ?, ?, ?, ?, ?)", survivors)
    con.execute("UPDATE buyer SET contact = m.contact, flagged = m.flagged, note = m.note, "
                "orders_count = m.orders_count, cancel_count = m.cancel_count, last_cancel_at = m.last_cancel_at "
                "FROM temp.buyer_merged AS m WHERE buyer.id = m.id")
    con.execute("DROP TABLE temp.buyer_merged")
    return len(moves)
