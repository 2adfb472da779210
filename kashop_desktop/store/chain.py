"""The hash chains of the tamper-evident log: append, seal bulk-written rows, verify.

Three chains, each over one table: ``order_event`` (the orders' timelines), ``audit_event``
(the shop log: settings, operators, refusals, sign-ins) and ``code_event`` (the 卡密 inventory). How a row is encoded and hashed is in
``domain.audit``. ``chain_head`` keeps each chain's last row (id and hash), so a deleted last row
or a row added after it outside the desk is seen too.

On a PostgreSQL server the head is read inside the write transaction, which holds the shop's
write lock from its first statement (``store.server``), so two desks never chain to the same row.

Writes stay cheap: the head is read once per call (one row), each row costs one SHA-256 in
Python, and bulk paths (imports, the demo) insert with SQL and then ``seal`` the rows they
wrote in one pass. ``seal`` only chains rows past a given id, the caller's own; a row someone
inserted outside the desk is never sealed, so ``verify`` still names it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ..domain.audit import (
    AUDIT_EVENT_FIELDS,
    CODE_EVENT_FIELDS,
    GENESIS,
    ORDER_EVENT_FIELDS,
    BreakKind,
    ChainBreak,
    link,
)
from .dialect import on_server

FIELDS = {"order_event": ORDER_EVENT_FIELDS, "audit_event": AUDIT_EVENT_FIELDS, "code_event": CODE_EVENT_FIELDS}
_SEAL_BATCH = 20_000

HEAD_TABLE_SQL = ("CREATE TABLE IF NOT EXISTS chain_head (chain TEXT PRIMARY KEY NOT NULL, "
                  "last_id INTEGER NOT NULL, last_hash BLOB NOT NULL)")


def head(con: sqlite3.Connection, chain: str) -> tuple[int, bytes]:
    """(last id, last hash) of ``chain``; (0, GENESIS) before its first row."""
    row = con.execute("SELECT last_id, last_hash FROM chain_head WHERE chain = ?", (chain,)).fetchone()
    return (int(row[0]), bytes(row[1])) if row else (0, GENESIS)


def _set_head(con: sqlite3.Connection, chain: str, last_id: int, last_hash: bytes) -> None:
    # An upsert, not a replace: the head's anchor columns (store.anchor) stay as they were.
    con.execute("INSERT INTO chain_head (chain, last_id, last_hash) VALUES (?, ?, ?) ON CONFLICT (chain) "
                "DO UPDATE SET last_id = excluded.last_id, last_hash = excluded.last_hash", (chain, last_id, last_hash))


def advance_head(con: sqlite3.Connection, chain: str, last_id: int, last_hash: bytes) -> None:
    """Record (``last_id``, ``last_hash``) as ``chain``'s head: for a bulk path that inserted
    its rows already chained (each with ``prev_id`` and ``hash``, the first linked to ``head``),
    in the same transaction."""
    _set_head(con, chain, last_id, last_hash)


def newest_time(con: Any) -> int | None:
    """The latest ``at`` (epoch seconds) among the last rows of the chains (None: no rows)."""
    times = [con.execute(f"SELECT at FROM {name} WHERE id = (SELECT MAX(id) FROM {name})").fetchone()
             for name in FIELDS]
    found = [int(t[0]) for t in times if t is not None and t[0] is not None]
    return max(found) if found else None


def next_id(con: sqlite3.Connection, chain: str) -> int:
    """The id the next row of ``chain`` takes (as ``append`` numbers them)."""
    return max(head(con, chain)[0], _max_id(con, chain)) + 1


def _max_id(con: sqlite3.Connection, chain: str) -> int:
    return int(con.execute(f"SELECT COALESCE(MAX(id), 0) FROM {chain}").fetchone()[0])


def append(con: sqlite3.Connection, chain: str, rows: Sequence[Sequence[Any]]) -> None:
    """Insert ``rows`` into ``chain``, each a tuple of its fields after ``id`` and ``prev_id``
    (``FIELDS[chain][2:]``), chained to the head. Call inside the write transaction."""
    if not rows:
        return
    names = FIELDS[chain]
    last_id, last_hash = head(con, chain)
    next_id = max(last_id, _max_id(con, chain)) + 1
    out = []
    for row in rows:
        values = (next_id, last_id, *row)
        last_hash = link(last_hash, values)
        out.append((*values, last_hash))
        last_id, next_id = next_id, next_id + 1
    con.executemany(f"INSERT INTO {chain} ({', '.join(names)}, hash) VALUES ({', '.join('?' * (len(names) + 1))})",
                    out)
    if on_server(con):  # ids given explicitly do not move the server's id sequence: move it past them
        con.execute("SELECT setval(pg_get_serial_sequence(?, 'id'), ?)", (chain, last_id))
    _set_head(con, chain, last_id, last_hash)


def insert_sealed(con: sqlite3.Connection, chain: str, rows: Sequence[Sequence[Any]], last_id: int,
                  last_hash: bytes, shared: Mapping[str, int | str | None] | None = None) -> None:
    """Insert ``rows`` already chained by the caller: each holds every field of ``FIELDS[chain]``
    (but those in ``shared``) then its hash, the first linked to ``head`` and the last being
    (``last_id``, ``last_hash``), which becomes the head. ``shared``: fields every row has the
    same value for (an int, a text or None), written into each statement as SQL constants instead
    of being bound for every row. For a bulk path that hashes its rows in one tight loop; call
    inside the write transaction, after reading the head there."""
    if not rows:
        return
    shared = shared or {}
    names = [name for name in FIELDS[chain] if name not in shared]
    row_marks = f"({', '.join(['?'] * (len(names) + 1) + [_literal(con, value) for value in shared.values()])})"
    insert = f"INSERT INTO {chain} ({', '.join([*names, 'hash', *shared])}) VALUES "
    for start in range(0, len(rows), SEALED_ROWS_PER_INSERT):
        part = rows[start : start + SEALED_ROWS_PER_INSERT]
        con.execute(insert + ", ".join([row_marks] * len(part)), [value for row in part for value in row])
    if on_server(con):  # ids given explicitly do not move the server's id sequence: move it past them
        con.execute("SELECT setval(pg_get_serial_sequence(?, 'id'), ?)", (chain, last_id))
    _set_head(con, chain, last_id, last_hash)


def _literal(con: Any, value: int | str | None) -> str:
    """``value`` as an SQL constant; a text is quoted by the store itself (SQLite's ``quote``, a
    server's ``quote_literal``)."""
    if value is None:
        return "NULL"
    if type(value) is int:
        return str(value)
    quote = "quote_literal" if on_server(con) else "quote"
    return str(con.execute(f"SELECT {quote}(?)", (str(value),)).fetchone()[0])


#: Rows per INSERT statement in ``insert_sealed`` (12 values each for the timeline: well under
#: SQLite's 32,766 and a server's 65,535 parameters). Each statement that fires a trigger (the
#: reports' on the timeline) carries a fixed cost in SQLite: measured on 300,000 entries, one
#: statement per row (executemany) 3.4 s, one per 500 rows 1.0 s; with no trigger 0.95 s and 0.68 s.
SEALED_ROWS_PER_INSERT = 500


def seal(con: sqlite3.Connection, chain: str, after_id: int) -> int:
    """Chain the rows of ``chain`` with an id above ``after_id`` (those the caller inserted
    with SQL in this transaction, in id order) to the head; returns how many."""
    names = FIELDS[chain]
    last_id, last_hash = head(con, chain)
    done = 0
    while True:
        batch = con.execute(f"SELECT {', '.join(names[2:])}, id FROM {chain} WHERE id > ? AND hash IS NULL "
                            f"ORDER BY id LIMIT {_SEAL_BATCH}", (after_id,)).fetchall()
        if not batch:
            break
        updates = []
        for *fields, row_id in batch:
            values = (row_id, last_id, *fields)
            last_hash = link(last_hash, values)
            updates.append((last_id, last_hash, row_id))
            last_id = row_id
        con.executemany(f"UPDATE {chain} SET prev_id = ?, hash = ? WHERE id = ?", updates)
        after_id, done = last_id, done + len(batch)
    if done:
        _set_head(con, chain, last_id, last_hash)
    return done


def chain_all(con: sqlite3.Connection, chain: str) -> int:
    """Chain every row of ``chain`` from the first, in id order (the migration that brings the
    log in: rows written before it carry no hash)."""
    con.execute("DELETE FROM chain_head WHERE chain = ?", (chain,))
    con.execute(f"UPDATE {chain} SET hash = NULL WHERE hash IS NOT NULL")
    return seal(con, chain, 0)


def _rows(con: sqlite3.Connection, chain: str) -> Iterator[tuple[Any, ...]]:
    cursor = con.execute(f"SELECT {', '.join(FIELDS[chain])}, hash FROM {chain} ORDER BY id")
    while True:
        batch = cursor.fetchmany(10_000)
        if not batch:
            return
        yield from batch


def _holds(row: tuple[Any, ...], prev_id: int, prev_hash: bytes) -> bool:
    return row[1] == prev_id and row[-1] is not None and bytes(row[-1]) == link(prev_hash, row[:-1])


def verify(con: sqlite3.Connection, chain: str) -> tuple[int, ChainBreak | None]:
    """Walk ``chain`` in id order: (rows that hold, the first break or None).

    Call inside one read transaction, so the head and the rows are of one moment. A row that
    does not hold is told apart by its neighbours: the next row holds without it (inserted);
    it records a predecessor that is not there (that one deleted); otherwise its content
    changed (edited). Rows past the head were added outside the desk (inserted); a head past
    the last row means the last rows were deleted.
    """
    head_id, _ = head(con, chain)
    prev_id, prev_hash, good = 0, GENESIS, 0
    rows = _rows(con, chain)
    row = next(rows, None)
    if row is not None and head_id == 0 and _holds(row, 0, GENESIS):
        return 0, ChainBreak(chain, BreakKind.HEAD_MISSING, 0)  # rows that hold, and no head: it was removed
    while row is not None:
        following = next(rows, None)
        if row[0] > head_id:
            return good, ChainBreak(chain, BreakKind.INSERTED, row[0])
        if not _holds(row, prev_id, prev_hash):
            return good, _diagnose(chain, row, following, prev_id, prev_hash)
        prev_id, prev_hash, good = row[0], bytes(row[-1]), good + 1
        row = following
    if head_id > prev_id:
        return good, ChainBreak(chain, BreakKind.DELETED, head_id, prev_id)
    return good, None


def _diagnose(chain: str, row: tuple[Any, ...], following: tuple[Any, ...] | None, prev_id: int,
              prev_hash: bytes) -> ChainBreak:
    if following is not None and _holds(following, prev_id, prev_hash):
        return ChainBreak(chain, BreakKind.INSERTED, row[0])
    if row[-1] is None and following is None:
        return ChainBreak(chain, BreakKind.INSERTED, row[0])  # a last row without a hash: added by hand
    if row[-1] is None:
        return ChainBreak(chain, BreakKind.EDITED, row[0])  # its hash was removed
    recorded = row[1]
    if isinstance(recorded, int) and recorded != prev_id and (recorded > prev_id or recorded == row[0]):
        return ChainBreak(chain, BreakKind.DELETED, recorded, prev_id)
    return ChainBreak(chain, BreakKind.EDITED, row[0])
