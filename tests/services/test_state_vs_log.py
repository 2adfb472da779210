"""check compares the operators' rows and each order's paid amount and status with the chained logs:
a one-line UPDATE of the operator table or of an order, made behind the desk's back, is named."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from kashop_desktop.domain.errors import DomainError
from kashop_desktop.domain.roles import Identity, Role
from kashop_desktop.services import maintenance, operators
from kashop_desktop.services.desk import Desk

from ..conftest import FakeClock

_FILE = pytest.mark.sqlite_only(reason="tampers with the data file through sqlite3, as someone with the file would "
                                 "(the demo it may build writes SQLite SQL)")


def _tamper(desk: Desk, sql: str, params: tuple[object, ...] = ()) -> None:
    """Change the store with a separate raw sqlite3 connection, as someone with the file would."""
    con = sqlite3.connect(desk.db_path)
    con.execute(sql, params)
    con.commit()
    con.close()


def _team(desk: Desk) -> None:
    operators.set_password(desk, "店主", "owner-secret")
    operators.add(desk, "小王", Role.CLERK, "clerk-secret", approve_limit_fen=50_00)
    operators.add(desk, "小李", Role.VIEWER, "viewer-secret")


def _named(desk: Desk) -> list[str]:
    report = maintenance.check(desk)
    return [en for _, en in report.state_disagreements] if not report.ok else []


def test_a_team_made_through_the_desk_checks_ok(desk: Desk) -> None:
    _team(desk)
    operators.set_limit(desk, "小王", 80_00)
    operators.set_role(desk, "小李", Role.CLERK)
    operators.set_active(desk, "小李", False)
    operators.set_password(desk, "小王", "clerk-secret-2")
    assert maintenance.check(desk).ok


@_FILE
@pytest.mark.parametrize("edit, words", [
    ("UPDATE operator SET role = 'owner', approve_limit_fen = NULL WHERE name = '小王'", "小王's role"),
    ("UPDATE operator SET approve_limit_fen = NULL WHERE name = '小王'", "小王's approval limit"),
    ("UPDATE operator SET disabled_at = 1 WHERE name = '小李'", "小李's disabled state"),
    ("UPDATE operator SET password_hash = (SELECT password_hash FROM operator WHERE name = '小王') WHERE name = '店主'",
     "店主's password digest"),
    ("INSERT INTO operator (name, role, password_hash, failed_tries, created_at, updated_at) "
     "SELECT 'ghost', 'owner', password_hash, 0, 0, 0 FROM operator WHERE name = '小王'", "ghost was not added"),
    ("DELETE FROM operator WHERE name = '小李'", "小李's row is gone"),
])
def test_an_operator_row_changed_outside_the_desk_is_named(desk: Desk, edit: str, words: str) -> None:
    _team(desk)
    _tamper(desk, edit)
    named = _named(desk)
    assert len(named) == 1 and words in named[0], named


@_FILE
def test_an_owner_without_a_password_given_one_outside_the_desk_is_named(desk: Desk) -> None:
    _tamper(desk, "UPDATE operator SET password_hash = 'x' WHERE name = '店主'")
    assert any("店主's password digest" in en for en in _named(desk))


@_FILE
def test_a_raised_paid_amount_and_an_edited_status_are_named(demo_desk: Desk) -> None:
    assert maintenance.check(demo_desk).ok
    con = demo_desk.db.connection()
    order_no, oid = con.execute("SELECT order_no, id FROM orders WHERE status = 'paid' ORDER BY id LIMIT 1").fetchone()
    _tamper(demo_desk, "UPDATE orders SET paid_fen = paid_fen * 10 WHERE id = ?", (oid,))
    named = _named(demo_desk)
    assert any(order_no in en and "its timeline recorded when it was created" in en for en in named), named
    other_no, other = con.execute("SELECT order_no, id FROM orders WHERE status = 'delivered' ORDER BY id LIMIT 1"
                                  ).fetchone()
    _tamper(demo_desk, "UPDATE orders SET status = 'pending_payment' WHERE id = ?", (other,))
    named = _named(demo_desk)
    assert any(other_no in en and 'is "Pending payment" but its timeline last recorded "Delivered' in en
               for en in named), named  # the states as the desk names them, not their codes


def test_a_backdated_shop_log_row_is_named_beyond_the_skew(desk: Desk, clock: FakeClock) -> None:
    desk.log("note_written", "x", "now")
    clock.advance(minutes=-4)  # within the skew: a clock set back a little by time sync
    desk.log("note_written", "x", "four minutes back")
    assert maintenance.check(desk).ok
    clock.advance(days=-29)
    desk.log("note_written", "x", "a month back")
    last = desk.db.execute_sql("SELECT MAX(id) FROM audit_event").fetchone()[0]
    assert any(f"shop log row {last} is dated 29d" in en for en in _named(desk))
    zh = [z for z, _ in maintenance.check(desk).state_disagreements]
    assert any("早 29 天 0 小时" in z for z in zh), zh


def test_the_row_after_the_owners_forward_dated_one_is_not_blamed(desk: Desk, clock: FakeClock) -> None:
    _team(desk)
    desk.fix_clock(clock() + timedelta(days=32), writes=True)  # the owner's --now, a month ahead
    operators.set_limit(desk, "小王", 60_00)
    desk.set_clock(clock)
    operators.set_limit(desk, "小王", 70_00)  # at the real time again
    operators.set_limit(desk, "小王", 80_00)
    assert maintenance.check(desk).ok, _named(desk)


def test_fixed_clock_is_the_owners_and_never_before_the_log(desk: Desk, clock: FakeClock) -> None:
    _team(desk)
    desk.log("note_written", "x", "the newest row")
    with pytest.raises(DomainError) as refused:
        desk.fix_clock(clock() - timedelta(days=1), writes=True)
    assert refused.value.code == "fixed_clock_before_log"
    desk.fix_clock(clock() - timedelta(days=1), writes=False)  # reading as of then writes nothing
    desk.fix_clock(clock() + timedelta(days=1), writes=True)
    desk.sign_in(Identity("小王", Role.CLERK, 50_00))
    with pytest.raises(DomainError) as refused:
        desk.fix_clock(clock() + timedelta(days=2), writes=True)
    assert refused.value.code == "fixed_clock_owner_only"
    logged = desk.db.execute_sql("SELECT operator FROM audit_event WHERE action = 'refused' AND subject = 'fixed_clock'")
    assert [r[0] for r in logged] == ["小王"]


def test_buyer_notes_and_blocks_are_shop_log_rows_with_the_operator(desk: Desk) -> None:
    from kashop_desktop.services import buyers

    _team(desk)
    desk.sign_in(Identity("小王", Role.CLERK, 50_00))
    buyers.set_note(desk, "13800138000", "常退款")
    buyers.block(desk, "13800138000", "盗刷")
    buyers.unblock(desk, "13800138000")
    rows = desk.db.execute_sql("SELECT operator, action, subject, note FROM audit_event WHERE action IN "
                               "('buyer_note', 'buyer_blocked', 'buyer_unblocked') ORDER BY id").fetchall()
    assert [(r[0], r[1], r[3]) for r in rows] == [("小王", "buyer_note", "常退款"), ("小王", "buyer_blocked", "盗刷"),
                                                 ("小王", "buyer_unblocked", "盗刷")]
    assert all("13800138000" in r[2] for r in rows)
    assert maintenance.check(desk).ok  # chained with the rest of the shop log


@_FILE
@pytest.mark.parametrize("state, edit, words", [
    ("succeeded", "UPDATE orders SET refunded_fen = 0 WHERE id = ?", "less than its succeeded refunds'"),
    ("succeeded", "UPDATE orders SET refunded_fen = refunded_fen - 1 WHERE id = ?", "less than its succeeded refunds'"),
    ("succeeded", "DELETE FROM refund WHERE order_id = ?", "an approval names is gone"),
])
def test_a_lowered_refunded_amount_and_a_deleted_refund_are_named(demo_desk: Desk, state: str, edit: str,
                                                                   words: str) -> None:
    assert maintenance.check(demo_desk).ok
    con = demo_desk.db.connection()
    order_no, oid, refund_no = con.execute(
        "SELECT o.order_no, o.id, r.refund_no FROM orders o JOIN refund r ON r.order_id = o.id WHERE r.state = ? "
        "ORDER BY o.id LIMIT 1", (state,)).fetchone()
    _tamper(demo_desk, edit, (oid,))
    named = _named(demo_desk)
    assert any((order_no in en or refund_no in en) and words in en for en in named), named


@_FILE
def test_an_amount_in_flight_cleared_outside_the_desk_is_named(demo_desk: Desk) -> None:
    con = demo_desk.db.connection()
    row = con.execute("SELECT o.id, o.order_no FROM orders o JOIN refund r ON r.order_id = o.id "
                      "WHERE o.refund_pending_fen > 0 ORDER BY o.id LIMIT 1").fetchone()
    if row is None:  # the demo left nothing in flight: put one refund back in the queue through the owner's path
        pytest.skip("the demo left no refund in flight")
    _tamper(demo_desk, "UPDATE orders SET refund_pending_fen = 0 WHERE id = ?", (row[0],))
    assert any(row[1] in en and "refunds in flight" in en for en in _named(demo_desk))
