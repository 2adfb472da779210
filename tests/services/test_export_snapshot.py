"""An export's rows come a chunk at a time from one read snapshot, on either store: a change
another process commits while the file is being written is not in it (SQLite: a deferred
``BEGIN``; a server: a READ ONLY, REPEATABLE READ transaction read through a server-side cursor)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from kashop_desktop import paths
from kashop_desktop.services.desk import Desk
from kashop_desktop.store import export_rows, queries
from kashop_desktop.store.queries import OrderFilter

from .helpers import order


def _another_process_writes(data_dir: Path, sql: str) -> None:
    """``sql`` committed on a connection of its own, as another desk's would be."""
    url = os.environ.get("KASHOP_DB_URL")
    if url is None:
        con = sqlite3.connect(data_dir / paths.DB_FILENAME, timeout=5)
        try:
            con.execute(sql)
            con.commit()
        finally:
            con.close()
        return
    import psycopg

    with psycopg.connect(url, autocommit=True) as pg:
        pg.execute(sql)  # type: ignore[arg-type]


def test_chunks_hold_the_list_in_order_from_one_snapshot(desk: Desk, data_dir: Path) -> None:
    for _ in range(7):
        order(desk, "paid")
    listed = queries.page(desk.db, OrderFilter(), 100)
    chunks = export_rows.export_chunks(desk.db, OrderFilter(), chunk=3)
    first = next(chunks)
    _another_process_writes(data_dir, "UPDATE orders SET buyer = 'changed meanwhile'")
    rest = list(chunks)
    assert [len(c) for c in [first, *rest]] == [3, 3, 1]
    rows = [row for chunk in [first, *rest] for row in chunk]
    assert [r[0] for r in rows] == [r[1] for r in listed]  # order nos, in the list's order
    assert "changed meanwhile" not in {r[export_rows.EXPORT_COLUMNS.index("buyer")] for r in rows}
    # the snapshot ended with the export: the desk's next read sees the change
    assert {r[0] for r in desk.db.execute_sql("SELECT DISTINCT buyer FROM orders")} == {"changed meanwhile"}


def test_the_count_and_the_rows_agree_though_another_process_writes_between(desk: Desk, data_dir: Path) -> None:
    for _ in range(4):
        order(desk, "paid")
    paid = OrderFilter(status="paid")
    with export_rows.snapshot(desk.db):
        total = export_rows.export_total(desk.db, paid)
        _another_process_writes(data_dir, "UPDATE orders SET status = 'completed' "
                                          "WHERE id = (SELECT MIN(id) FROM orders)")
        rows = [row for chunk in export_rows.export_chunks(desk.db, paid, chunk=2) for row in chunk]
    assert total == len(rows) == 4
    assert export_rows.export_total(desk.db, paid) == 3  # after the snapshot: the change is seen
