"""The tamper-evident log: every write path chains its rows; an edit, a deletion and an
insertion made with raw sqlite3 behind the desk's back are each named by ``check``."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kashop_desktop.domain.audit import GENESIS, ORDER_EVENT_FIELDS, BreakKind, link
from kashop_desktop.services import code_import, maintenance, orders, requests
from kashop_desktop.services.desk import Desk
from kashop_desktop.store import chain

from .helpers import order, product, sandbox


def _events(desk: Desk) -> list[int]:
    return [r[0] for r in desk.db.execute_sql("SELECT id FROM order_event ORDER BY id").fetchall()]


def _tamper(desk: Desk, sql: str, params: tuple[object, ...] = ()) -> None:
    """Change the store with a separate raw sqlite3 connection, as someone with the file would."""
    con = sqlite3.connect(desk.db_path)
    con.execute(sql, params)
    con.commit()
    con.close()


def _shop(desk: Desk) -> None:
    made = product(desk)
    code_import.import_codes(desk, made.name, [f"NEWSTOCK-{i:04d}-QWERTY" for i in range(3)], batch="11月进货")
    gateway = sandbox(desk)
    for _ in range(3):
        no = order(desk, "paid", gateway_id=gateway)
        requests.open_request(desk, no, requests.ReasonCode.MISTAKEN)
    orders.cancel_unpaid(desk, order(desk, "pending_payment"), requests.ReasonCode.MISTAKEN)


def test_every_path_chains_and_a_clean_store_checks_ok(demo_desk: Desk) -> None:
    _shop(demo_desk)
    report = maintenance.check(demo_desk)
    assert report.log_breaks == [] and report.ok
    events = demo_desk.db.execute_sql("SELECT COUNT(*) FROM order_event").fetchone()[0]
    assert report.log_rows >= events > 100
    con = demo_desk.db.connection()
    for table in chain.FIELDS:
        assert con.execute(f"SELECT COUNT(*) FROM {table} WHERE hash IS NULL").fetchone()[0] == 0, table
    assert con.execute("SELECT COUNT(*) FROM code_event").fetchone()[0] > 0  # the stock's timeline is chained too
    # The chain is what the docstring says: recomputed here from the raw rows.
    previous, prev_id = GENESIS, 0
    for row in con.execute(f"SELECT {', '.join(ORDER_EVENT_FIELDS)}, hash FROM order_event ORDER BY id"):
        assert row[1] == prev_id
        previous, prev_id = link(previous, row[:-1]), row[0]
        assert bytes(row[-1]) == previous
    assert chain.head(con, "order_event") == (prev_id, previous)


@pytest.mark.parametrize("how", ["edit", "delete", "insert", "insert_forged", "delete_last", "edit_operator"])
def test_tampering_is_named(desk: Desk, how: str) -> None:
    _shop(desk)
    ids = _events(desk)
    victim = ids[len(ids) // 2]
    if how == "edit":
        _tamper(desk, "UPDATE order_event SET note = 'nothing happened' WHERE id = ?", (victim,))
        expected = (BreakKind.EDITED, victim)
    elif how == "edit_operator":
        _tamper(desk, "UPDATE order_event SET operator = 'someone else' WHERE id = ?", (victim,))
        expected = (BreakKind.EDITED, victim)
    elif how == "delete":
        _tamper(desk, "DELETE FROM order_event WHERE id = ?", (victim,))
        expected = (BreakKind.DELETED, victim)
    elif how == "delete_last":
        _tamper(desk, "DELETE FROM order_event WHERE id = ?", (ids[-1],))
        expected = (BreakKind.DELETED, ids[-1])
    else:  # a row added with raw sqlite3 after the last one, without a hash or with a made-up one
        forged = b"\x01" * 32 if how == "insert_forged" else None
        _tamper(desk, "INSERT INTO order_event (order_id, at, actor, action, note, data, prev_id, hash) "
                "SELECT order_id, at, 'owner', 'refund_resolved', 'paid in cash', '{}', ?, ? FROM order_event "
                "WHERE id = ?", (ids[-1], forged, victim))
        expected = (BreakKind.INSERTED, ids[-1] + 1)
    report = maintenance.check(desk)
    assert not report.ok
    [broken] = report.log_breaks
    assert (broken.kind, broken.row_id) == expected
    assert str(broken.row_id) in broken.zh and str(broken.row_id) in broken.en
    # The desk goes on writing after the tampering: the break stays named where it was.
    orders.cancel_unpaid(desk, order(desk, "pending_payment"), requests.ReasonCode.MISTAKEN)
    [again] = maintenance.check(desk).log_breaks
    assert (again.kind, again.row_id) == expected


def test_the_stock_log_is_chained_and_checked_too(desk: Desk) -> None:
    _shop(desk)
    _shop(desk)
    con = desk.db.connection()
    victim = con.execute("SELECT MIN(id) FROM code_event").fetchone()[0]
    _tamper(desk, "UPDATE code_event SET note = 'never imported' WHERE id = ?", (victim,))
    [broken] = maintenance.check(desk).log_breaks
    assert (broken.chain, broken.kind, broken.row_id) == ("code_event", BreakKind.EDITED, victim)
    assert "卡密库存日志" in broken.zh


def test_a_row_inserted_between_others_is_named(desk: Desk) -> None:
    _shop(desk)
    ids = _events(desk)
    gap = ids[5]
    _tamper(desk, "DELETE FROM order_event WHERE id = ?", (gap,))
    [deleted] = maintenance.check(desk).log_breaks
    assert (deleted.kind, deleted.row_id, deleted.after_id) == (BreakKind.DELETED, gap, ids[4])


def test_migration_chains_existing_events_in_id_order(tmp_path: Path) -> None:
    store = tmp_path / "kashop.sqlite3"
    desk = Desk.open(tmp_path)
    _shop(desk)
    before = _events(desk)
    con = desk.db.connection()
    # Bring the store back to how schema 5 left it: no hashes, no head.
    con.execute("UPDATE order_event SET hash = NULL, prev_id = NULL")
    con.execute("DELETE FROM chain_head")
    desk.close()
    raw = sqlite3.connect(store)
    raw.execute("PRAGMA user_version = 5")
    raw.commit()
    raw.close()
    desk = Desk.open(tmp_path)
    try:
        report = maintenance.check(desk)
        assert report.log_breaks == [] and report.log_rows >= len(before)
        assert desk.db.execute_sql("SELECT COUNT(*) FROM operator").fetchone()[0] == 1
    finally:
        desk.close()
