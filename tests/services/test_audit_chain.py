"""The tamper-evident log: every write path chains its rows; an edit, a deletion and an
insertion made with raw sqlite3 behind the desk's back are each named by ``check``."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kashop_desktop.domain.audit import GENESIS, ORDER_EVENT_FIELDS, BreakKind, link
from kashop_desktop.services import chain_anchor, code_import, maintenance, orders, requests
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.secrets import VaultStore
from kashop_desktop.store import chain, schema14
from kashop_desktop.store import db as store_db

from ..conftest import FakeClock
from .helpers import order, product, sandbox

pytestmark = pytest.mark.sqlite_only(reason="SQLite by nature: tampers with the data file through sqlite3 or migrates an older file (the demo it also builds writes SQLite SQL); the chain on a server is tested in tests/server")


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


def _as_schema_13(store: Path) -> None:
    """Put the store back into the shape main's schema 13 left it in: no operators, no shop log,
    no chain head, no operator/prev_id/hash columns on the timelines, no operator on refunds."""
    raw = sqlite3.connect(store)
    for table in ("operator", "audit_event", "chain_head"):
        raw.execute(f"DROP TABLE {table}")
    for table, column, _ in schema14.COLUMNS:
        raw.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    raw.execute("DELETE FROM setting WHERE key = ?", (chain_anchor.KEY_ID_SETTING,))
    raw.execute("PRAGMA user_version = 13")
    raw.commit()
    raw.close()
    # Nor was a store at schema 13 ever anchored: the vault holds no anchor for it.
    VaultStore(store.parent / "vault.json", "test-passphrase").delete(chain_anchor.ACCOUNT)


def test_a_store_at_schema_13_migrates_to_14_and_its_events_are_chained(data_dir: Path, clock: FakeClock) -> None:
    desk = Desk.open(data_dir, clock=clock)
    _shop(desk)
    con = desk.db.connection()
    events = [tuple(r) for r in con.execute("SELECT id, order_id, at, action, note, data FROM order_event ORDER BY id")]
    stock_events = con.execute("SELECT COUNT(*) FROM code_event").fetchone()[0]
    refunds = con.execute("SELECT COUNT(*) FROM refund").fetchone()[0]
    desk.close()
    store = data_dir / "kashop.sqlite3"
    _as_schema_13(store)
    assert store_db.schema_version(store) == 13
    assert "hash" not in {r[1] for r in sqlite3.connect(store).execute("PRAGMA table_info(order_event)")}
    desk = Desk.open(data_dir, clock=clock)
    try:
        assert store_db.schema_version(store) == store_db.LATEST >= 14
        con = desk.db.connection()
        kept = [tuple(r) for r in con.execute("SELECT id, order_id, at, action, note, data FROM order_event ORDER BY id")]
        assert kept == events and len(events) > 5 and stock_events > 0 and refunds > 0
        report = maintenance.check(desk)
        assert report.ok and report.log_breaks == []
        assert report.log_rows >= len(events) + stock_events
        for table in ("order_event", "code_event"):
            assert con.execute(f"SELECT COUNT(*) FROM {table} WHERE hash IS NULL OR operator != ''").fetchone()[0] == 0
        assert chain.head(con, "order_event")[0] == events[-1][0]
        assert [tuple(r) for r in con.execute("SELECT name, role FROM operator")] == [("店主", "owner")]
        assert desk.single_owner
        # The desk goes on writing on the migrated store: the new rows join the chain.
        orders.cancel_unpaid(desk, order(desk, "pending_payment"), requests.ReasonCode.MISTAKEN)
        assert maintenance.check(desk).log_breaks == []
        # An edit made behind the desk's back after the migration is named.
        _tamper(desk, "UPDATE order_event SET note = 'x' WHERE id = ?", (events[1][0],))
        [broken] = maintenance.check(desk).log_breaks
        assert (broken.kind, broken.row_id) == (BreakKind.EDITED, events[1][0])
    finally:
        desk.close()


def test_deleted_tail_rows_are_named_as_a_range_and_lost_hashes_and_head_are_named(desk: Desk) -> None:
    _shop(desk)
    ids = _events(desk)
    assert len(ids) >= 5
    _tamper(desk, "DELETE FROM order_event WHERE id > ?", (ids[-4],))
    [deleted] = maintenance.check(desk).log_breaks
    assert (deleted.kind, deleted.row_id, deleted.after_id) == (BreakKind.DELETED, ids[-1], ids[-4])
    assert f"rows after row {ids[-4]} up to row {ids[-1]} were deleted" in deleted.en
    _tamper(desk, "UPDATE order_event SET hash = NULL")
    [nulled] = maintenance.check(desk).log_breaks
    assert (nulled.kind, nulled.row_id) == (BreakKind.EDITED, ids[0])


def test_a_removed_chain_head_is_named(desk: Desk) -> None:
    _shop(desk)
    _tamper(desk, "DELETE FROM chain_head WHERE chain = 'order_event'")
    breaks = [b for b in maintenance.check(desk).log_breaks if b.chain == "order_event"]
    assert [(b.kind, b.en) for b in breaks] == [(BreakKind.HEAD_MISSING,
                                                "order timeline has lost its head record (chain_head)")]
