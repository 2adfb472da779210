"""The few SQL spellings that differ between the SQLite file and a PostgreSQL server store.

Each helper takes the peewee database (or its ``connection()``) and returns SQL text for the
store it runs on; the store's queries are otherwise written once in SQL both accept. Sources:
SQLite "Core Functions" / "JSON1" (``substr`` with a negative start, ``instr``, ``json_each``);
PostgreSQL 15 "String Functions" (``right``, ``strpos``) and "JSON Functions".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def read_only_uri(path: Path) -> str:
    """The SQLite file at ``path`` as a read-only URI (``sqlite3.connect(uri, uri=True)``, or
    ``ATTACH``): a reader that can never write to it (SQLite "URI Filenames", ``mode=ro``)."""
    return f"{path.resolve().as_uri()}?mode=ro"


def on_server(db: Any) -> bool:
    """Whether ``db`` (a database or its connection) is a PostgreSQL server store."""
    return getattr(db, "dialect", "sqlite") == "postgresql"


def id_list(db: Any) -> str:
    """A table of the ids in one JSON array parameter (``?``), one column ``value``; give it an
    alias where it is used (``FROM {id_list(db)} AS s``)."""
    if on_server(db):
        return "(SELECT value::bigint AS value FROM jsonb_array_elements_text(?::jsonb))"
    return "json_each(?)"


def orders_of_ids(db: Any) -> str:
    """``FROM`` text: the orders whose ids are in one JSON array parameter, in its order of
    ids (SQLite: a CROSS JOIN keeps the id list the outer loop; a server plans it itself)."""
    join = "JOIN" if on_server(db) else "CROSS JOIN"
    return f"{id_list(db)} AS s {join} orders o ON o.id = s.value"


def tail(db: Any, expr: str, length: str) -> str:
    """The last ``length`` characters of ``expr`` (``length``: SQL, a number or ``?``)."""
    if on_server(db):
        return f"right({expr}, {length}::int)"
    return f"substr({expr}, -{length})"


def contains(db: Any, haystack: str, needle: str) -> str:
    """A test that ``needle`` occurs in ``haystack`` (both SQL), case-sensitive."""
    if on_server(db):
        return f"strpos({haystack}, {needle}) > 0"
    return f"instr({haystack}, {needle}) > 0"


def contains_folded(db: Any, haystack: str, needle: str) -> str:
    """A test that ``needle`` occurs in ``haystack`` (both SQL) whatever the case of its letters
    (SQLite folds ASCII letters, a server every letter): ``steam`` finds ``Steam 钱包``."""
    if on_server(db):
        return f"strpos(lower({haystack}), lower({needle})) > 0"
    return f"instr(lower({haystack}), lower({needle})) > 0"


def change_mark(db: Any) -> int:
    """A number that moves whenever the store was written (on SQLite another connection's commit:
    ``PRAGMA data_version``; on a server any write: its write-ahead log position)."""
    if on_server(db):
        return int(db.execute("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint").fetchone()[0])
    return int(db.execute("PRAGMA data_version").fetchone()[0])
