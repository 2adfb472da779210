"""Schema 9: the in-flight refund index and withdrawn refunds on a store made before it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kashop_desktop.domain.order import ReasonCode
from kashop_desktop.domain.refund_states import IN_FLIGHT_REFUND_STATES
from kashop_desktop.services import orders as ops
from kashop_desktop.services import requests as reqs
from kashop_desktop.services import views
from kashop_desktop.services.desk import Desk
from kashop_desktop.store import db as store_db
from kashop_desktop.store import queries, schema9
from kashop_desktop.store.models import CancelRequest, Refund

from ..conftest import FakeClock
from .helpers import order, product

pytestmark = pytest.mark.sqlite_only(reason="SQLite by nature: migration 9 of an older data file and SQLite's partial-index plans")

BEFORE_9 = [m for m in store_db.MIGRATIONS if m[0] < 9]


def test_the_index_condition_is_the_in_flight_states_of_today() -> None:
    # A change of the in-flight states needs a migration that recreates the index with them.
    assert set(schema9.IN_FLIGHT_STATES) == {s.value for s in IN_FLIGHT_REFUND_STATES}
    assert ops.WITHDRAWN_NOTE[0].format(no="X") in schema9.WITHDRAWN_NOTE.format(no="X")
    assert ops.WITHDRAWN_NOTE[1].format(no="X") in schema9.WITHDRAWN_NOTE.format(no="X")


def test_in_flight_reads_search_the_partial_index(desk: Desk) -> None:
    p = product(desk, stock=9)
    for n in range(6):
        reqs.cancel_order(desk, order(desk, prod=p, paid_minutes_ago=n + 1), ReasonCode.MISTAKEN)
    desk.db.execute_sql("UPDATE refund SET state = 'succeeded' WHERE id > 2")
    desk.db.execute_sql("ANALYZE")
    sql = f"SELECT order_id FROM refund WHERE {schema9.IN_FLIGHT_WHERE}"
    steps = [str(r[-1]) for r in desk.db.execute_sql("EXPLAIN QUERY PLAN " + sql)]
    assert steps == [f"SEARCH refund USING COVERING INDEX {schema9.IN_FLIGHT_INDEX} (state=?)"], steps
    assert queries.status_counts(desk.db)[queries.REFUNDING] == 2


def _old_store(path: Path, clock: FakeClock) -> tuple[str, str, str]:
    """A store in the shape before schema 9 (``user_version`` 8, no in-flight index) holding,
    as the desk then wrote them: a refund a restore withdrew (stored as failed, its request
    without the withdrawal note), one marked withdrawn with no restore naming it, and a refund
    the gateway refused. Made by today's services, then put back into that shape (today's
    services need the later schemas' tables). Returns their refund nos."""
    desk = Desk.open(path, clock=clock)
    p = product(desk, stock=9)
    restored, unproven, refused = (order(desk, prod=p, paid_minutes_ago=n + 1) for n in range(3))
    for no in (restored, unproven, refused):
        reqs.cancel_order(desk, no, ReasonCode.MISTAKEN)
    ops.restore(desk, restored)
    nos = [Refund.get(Refund.order == views.order_detail(desk, no).id).refund_no
           for no in (restored, unproven, refused)]
    desk.db.execute_sql("UPDATE refund SET state = 'failed' WHERE refund_no IN (?, ?)", nos[:2])
    desk.db.execute_sql("UPDATE refund SET last_error_kind = 'withdrawn' WHERE refund_no = ?", (nos[1],))
    desk.db.execute_sql("UPDATE refund SET state = 'failed', last_error_kind = 'refused' WHERE refund_no = ?",
                        (nos[2],))
    desk.db.execute_sql("UPDATE cancel_request SET decision_note = ''")  # the note it wrote then
    desk.db.execute_sql(f"DROP INDEX {schema9.IN_FLIGHT_INDEX}")
    desk.db.execute_sql(f"PRAGMA user_version = {BEFORE_9[-1][0]}")
    desk.close()
    return nos[0], nos[1], nos[2]


def test_migration_9_names_the_refunds_a_restore_withdrew(data_dir: Path, clock: FakeClock) -> None:
    restored, unproven, refused = _old_store(data_dir, clock)
    path = data_dir / "kashop.sqlite3"
    assert store_db.schema_version(path) == BEFORE_9[-1][0]
    desk = Desk.open(data_dir, clock=clock)
    try:
        assert store_db.schema_version(path) == store_db.LATEST >= 9
        states = {r.refund_no: r.state for r in Refund.select()}
        assert states == {restored: "withdrawn", unproven: "failed", refused: "failed"}
        withdrawn = Refund.get(Refund.refund_no == restored)
        note = CancelRequest.get_by_id(withdrawn.request_id).decision_note
        assert restored in note and "已撤回" in note and "withdrawn" in note
        others = [CancelRequest.get_by_id(Refund.get(Refund.refund_no == no).request_id).decision_note
                  for no in (unproven, refused)]
        assert others == ["", ""]
        assert views.refund_counts(desk)["withdrawn"] == 1
    finally:
        desk.close()
    con = sqlite3.connect(path)
    try:
        sql = con.execute("SELECT sql FROM sqlite_master WHERE name = ?", (schema9.IN_FLIGHT_INDEX,)).fetchone()[0]
        assert schema9.IN_FLIGHT_WHERE in sql
    finally:
        con.close()
