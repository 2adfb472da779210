"""A None bound into the store is NULL, found through the adapter the store registers for it
(``store.db``: Python's sqlite3 otherwise tries both adaptation hooks for every None)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from kashop_desktop.services.desk import Desk
from kashop_desktop.store import db as store_db


def test_the_store_registers_its_adapter_for_none() -> None:
    assert sqlite3.adapters[(type(None), sqlite3.PrepareProtocol)] is store_db._bind_null


def test_a_bound_none_is_stored_as_null_one_row_or_many() -> None:
    con = sqlite3.connect(":memory:")
    con.execute("CREATE TABLE t (a, b TEXT NOT NULL DEFAULT 'x')")
    con.execute("INSERT INTO t (a) VALUES (?)", (None,))
    con.executemany("INSERT INTO t (a) VALUES (?)", [(None,), (0,), ("",)])
    assert [row[0] for row in con.execute("SELECT typeof(a) FROM t ORDER BY rowid")] == ["null", "null", "integer",
                                                                                        "text"]
    with pytest.raises(sqlite3.IntegrityError):  # still NULL to a NOT NULL column, not a value
        con.execute("INSERT INTO t (a, b) VALUES (?, ?)", (1, None))


@pytest.mark.sqlite_only(reason="the adapter is Python's sqlite3's; a server binds None by its driver")
def test_a_none_bound_through_the_desks_connection_reads_back_as_none(tmp_path: Path, clock: Any) -> None:
    desk = Desk.open(tmp_path / "shop", clock=clock)
    try:
        con = desk.db.connection()
        con.execute("CREATE TABLE scratch (id INTEGER PRIMARY KEY, v INTEGER)")
        con.executemany("INSERT INTO scratch (v) VALUES (?)", [(None,), (5,)])
        assert con.execute("SELECT v FROM scratch ORDER BY id").fetchall() == [(None,), (5,)]
        assert con.execute("SELECT count(*) FROM scratch WHERE v IS NULL").fetchone()[0] == 1
    finally:
        desk.close()
