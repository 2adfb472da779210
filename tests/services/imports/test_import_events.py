"""An import's 导入 timeline entries are written already chained (``imports.events``): their
bytes are the log's canonical encoding, every new order gets exactly one, ``check`` verifies
them, and an entry edited behind the desk's back is named."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kashop_desktop.domain.audit import BreakKind, canonical
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.imports import import_file
from kashop_desktop.services.imports.events import ImportedEntries, amount_data
from kashop_desktop.services.maintenance import check
from kashop_desktop.store import chain

from .files import HEADER_ZH, paid_row, write_csv

STATUSES = ("pending_payment", "paid", "delivered", "completed", "cancelled", "refunded", "partially_refunded")
AMOUNTS = (0, 1, 9, 10, 599, -1, -600, 2**31, 10**15)


@pytest.mark.parametrize("actor, operator", [("owner", ""), ("店长", "小王 \"夜班\""), ("a\\b", "tab\there")])
def test_each_entry_is_encoded_as_the_log_encodes_it(actor: str, operator: str) -> None:
    entries = ImportedEntries(1_764_300_000, actor, operator)
    for status in STATUSES:
        for amount, refunded in zip(AMOUNTS, reversed(AMOUNTS), strict=True):
            fields = [41, 40, 7, 1_764_300_000, actor, operator, "imported", "", None, status,
                      amount_data(amount, refunded)]
            assert entries.encode_imported(41, 40, 7, status, amount, refunded) == canonical(fields), (status, amount)


def _import(desk: Desk, tmp_path: Path, name: str, numbers: range) -> int:
    path = write_csv(tmp_path / name, [HEADER_ZH, *(paid_row(n) for n in numbers)])
    return import_file(desk, path, chunk_rows=40).inserted


def test_every_new_order_gets_one_chained_entry(desk: Desk, tmp_path: Path) -> None:
    assert _import(desk, tmp_path, "a.csv", range(100, 190)) == 90
    assert _import(desk, tmp_path, "b.csv", range(150, 260)) == 70  # 40 already in: no second entry for them
    con = desk.db.connection()
    per_order = dict(con.execute("SELECT order_id, COUNT(*) FROM order_event WHERE action = 'imported' "
                                 "GROUP BY order_id").fetchall())
    orders = [row[0] for row in con.execute("SELECT id FROM orders ORDER BY id")]
    assert sorted(per_order) == orders and set(per_order.values()) == {1}
    assert con.execute("SELECT DISTINCT data FROM order_event WHERE action = 'imported'").fetchall() == [
        ('{"amount_fen":600,"refunded_fen":0}',)]
    last_id, _ = chain.head(con, "order_event")
    assert last_id == con.execute("SELECT MAX(id) FROM order_event").fetchone()[0]
    report = check(desk)
    assert report.ok and report.log_breaks == []


@pytest.mark.sqlite_only(reason="edits the data file behind the desk's back with sqlite3")
def test_an_edited_import_entry_is_named(desk: Desk, tmp_path: Path) -> None:
    _import(desk, tmp_path, "a.csv", range(100, 190))
    target = desk.db.execute_sql("SELECT id FROM order_event WHERE action = 'imported' ORDER BY id "
                                 "LIMIT 1 OFFSET 50").fetchone()[0]
    con = sqlite3.connect(desk.db_path)
    con.execute("UPDATE order_event SET data = ? WHERE id = ?", (amount_data(60), target))
    con.commit()
    con.close()
    breaks = check(desk).log_breaks
    assert [(b.chain, b.kind, b.row_id) for b in breaks] == [("order_event", BreakKind.EDITED, target)]


def test_each_entry_names_its_own_order_across_a_gap_in_the_ids(desk: Desk, tmp_path: Path) -> None:
    """The writer takes the new orders' ids from their count only when the store numbered them
    one after another; a server's id sequence can skip (a value taken by a rolled-back insert),
    and then the ids are read back: every entry still names its own order, status and amount."""
    _import(desk, tmp_path, "a.csv", range(100, 130))
    con = desk.db.connection()
    if getattr(con, "dialect", "sqlite") == "postgresql":
        con.execute("SELECT nextval(pg_get_serial_sequence('orders', 'id'))")  # an id taken and never used
    lines = [HEADER_ZH]
    for n in range(200, 260):  # every amount and status different from its neighbours'
        status, paid_at = ("已支付", "2026-11-18 09:01") if n % 3 else ("待支付", "")
        lines.append(f"KS{n},2026-11-18 09:00,王者荣耀点券 60点,卡密,{n}.{n % 100:02d},{status},{paid_at},支付宝,"
                     f"{'2026111822' + str(n) if paid_at else ''},1380013{n}")
    assert import_file(desk, write_csv(tmp_path / "b.csv", lines), chunk_rows=25).inserted == 60
    rows = con.execute("SELECT o.order_no, o.status, o.paid_fen, e.after_status, e.data FROM orders o "
                       "JOIN order_event e ON e.order_id = o.id AND e.action = 'imported' "
                       "WHERE o.order_no >= 'KS200' ORDER BY o.id").fetchall()
    assert len(rows) == 60
    for order_no, status, paid_fen, after_status, data in rows:
        n = int(order_no[2:])
        assert paid_fen == n * 100 + n % 100 and after_status == status
        assert data == amount_data(paid_fen)  # the amount it was imported with, paid or due
    assert check(desk).ok


@pytest.mark.parametrize("operator", ["O'Brien", "back\\slash '' \"q\"", "夜班 ' 小王"])
def test_names_with_quotes_are_written_as_they_are(desk: Desk, tmp_path: Path, operator: str) -> None:
    """The fields an import's entries share are written into the INSERT as constants: a name
    holding quotes or backslashes is stored exactly and the entries still verify."""
    desk.db.operator = operator  # type: ignore[attr-defined]
    path = write_csv(tmp_path / "a.csv", [HEADER_ZH, *(paid_row(n) for n in range(100, 150))])
    assert import_file(desk, path, actor="店长 'x'", chunk_rows=20).inserted == 50
    con = desk.db.connection()
    assert con.execute("SELECT DISTINCT actor, operator, action, note, before_status FROM order_event "
                       "WHERE action = 'imported'").fetchall() == [("店长 'x'", operator, "imported", "", None)]
    report = check(desk)
    assert report.ok and report.log_breaks == []
