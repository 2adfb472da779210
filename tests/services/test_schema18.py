"""Schema 18: the timeline's index on order_id alone and the orders' index on product_id alone are
gone (each repeated the front of another); new stores never make them, older ones drop them, a
bulk load set aside before the migration does not bring one back, and nothing is lost."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kashop_desktop.domain.order import ReasonCode
from kashop_desktop.services import requests as reqs
from kashop_desktop.services import views
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.maintenance import check
from kashop_desktop.store import bulkload, schema18, server
from kashop_desktop.store import db as store_db
from kashop_desktop.store.dialect import on_server

from ..conftest import FakeClock
from .helpers import order, product

#: The statements peewee's create_tables wrote for the two indexes before schema 18.
OLD_INDEXES = (
    'CREATE INDEX "order_event_order_id" ON "order_event" ("order_id")',
    'CREATE INDEX "orders_product_id" ON "orders" ("product_id")',
)
SUCCESSORS = {successor for _, successor in schema18.RETIRED_WITH_SUCCESSOR}


def index_names(db: Any) -> set[str]:
    """The names of the indexes on ``orders`` and ``order_event``, on either store."""
    if on_server(db):
        sql = ("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
               "AND tablename IN ('orders', 'order_event')")
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('orders', 'order_event')"
    return {str(name) for (name,) in db.execute_sql(sql).fetchall()}


def contents(db: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the orders, their timeline, requests and refunds, in id order."""
    return {table: [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
                    for row in db.execute_sql(f"SELECT * FROM {table} ORDER BY id").fetchall()]
            for table in ("orders", "order_event", "cancel_request", "refund")}


def set_version(db: Any, number: int) -> None:
    if on_server(db):
        db.execute_sql(f"UPDATE {server.VERSION_TABLE} SET version = {int(number)}")
    else:
        db.execute_sql(f"PRAGMA user_version = {int(number)}")


def a_shop(desk: Desk) -> list[str]:
    """A few orders with timelines: delivered, cancelled with a refund, paid; their order nos."""
    p = product(desk, stock=9)
    nos = [order(desk, prod=p, paid_minutes_ago=n + 1) for n in range(4)]
    reqs.cancel_order(desk, nos[0], ReasonCode.MISTAKEN)
    reqs.cancel_order(desk, nos[1], ReasonCode.MISTAKEN)
    return nos


def test_a_new_store_makes_neither_index(desk: Desk) -> None:
    names = index_names(desk.db)
    assert not names & schema18.RETIRED, names
    assert names >= SUCCESSORS, names


def test_an_older_store_drops_both_and_keeps_everything(desk: Desk, data_dir: Path, clock: FakeClock) -> None:
    nos = a_shop(desk)
    for sql in OLD_INDEXES:  # the shape schema 17 left (peewee's default indexes of the two keys)
        desk.db.execute_sql(sql)
    set_version(desk.db, 17)
    assert index_names(desk.db) >= schema18.RETIRED
    before = contents(desk.db)
    desk.close()
    again = Desk.open(data_dir, clock=clock)  # migrates (the server store: KASHOP_DB_URL)
    try:
        version = server.schema_version(again.db) if on_server(again.db) else store_db.schema_version(
            data_dir / "kashop.sqlite3")
        assert version == store_db.LATEST >= 18
        names = index_names(again.db)
        assert not names & schema18.RETIRED and names >= SUCCESSORS, names
        assert contents(again.db) == before
        detail = views.order_detail(again, nos[0])  # the timeline reads through (order_id, id) now
        assert len(detail.events) == sum(1 for row in before["order_event"] if row[1] == detail.id) >= 2
        report = check(again)
        assert report.ok, report
    finally:
        again.close()


@pytest.mark.sqlite_only(reason="the bulk load's set-aside is SQLite's (a server keeps its indexes through a load)")
def test_a_load_set_aside_before_18_does_not_bring_the_index_back(desk: Desk, data_dir: Path,
                                                                  clock: FakeClock) -> None:
    a_shop(desk)
    for sql in OLD_INDEXES:
        desk.db.execute_sql(sql)
    set_version(desk.db, 17)
    con = desk.db.connection()
    with desk.db.atomic():
        bulkload.set_aside(con)  # a loader at schema 17 that then died: the record names the old index
    recorded = {name for kind, name, _ in bulkload.pending(con)["dropped"] if kind == "index"}  # type: ignore[index]
    assert "orders_product_id" in recorded and "orders_product_id_created_at_id" in recorded
    desk.close()
    again = Desk.open(data_dir, clock=clock)  # migration 18, then the abandoned load is put back
    try:
        assert bulkload.pending(again.db.connection()) is None
        names = index_names(again.db)
        assert not names & schema18.RETIRED, names
        assert (recorded - schema18.RETIRED) <= names  # every other index the load set aside is back
        assert check(again).ok
    finally:
        again.close()


@pytest.mark.sqlite_only(reason="the bulk load's set-aside is SQLite's")
def test_put_back_skips_a_retired_index_in_any_record(desk: Desk) -> None:
    a_shop(desk)
    con = desk.db.connection()
    with desk.db.atomic():
        bulkload.set_aside(con)
        record = bulkload.pending(con)
        assert record is not None
        record["dropped"].append(["index", "orders_product_id", OLD_INDEXES[1]])
        con.execute("UPDATE setting SET value = ? WHERE key = ?", (json.dumps(record), bulkload.SETTING))
        assert bulkload.put_back(con)
    assert "orders_product_id" not in index_names(desk.db)
    assert "orders_product_id_created_at_id" in index_names(desk.db)


@pytest.mark.sqlite_only(reason="an older desk's put_back is SQLite's bulk load")
def test_an_index_an_older_desk_built_again_is_dropped_at_the_next_open(desk: Desk, data_dir: Path,
                                                                         clock: FakeClock) -> None:
    # A desk of schema 17, open while another upgraded the store, finished its bulk load with
    # the statements it had recorded: the store is at 18 with orders_product_id back.
    a_shop(desk)
    desk.db.execute_sql(OLD_INDEXES[1])
    desk.close()
    again = Desk.open(data_dir, clock=clock)
    try:
        assert "orders_product_id" not in index_names(again.db)
        assert check(again).ok
    finally:
        again.close()
