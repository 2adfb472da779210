"""Money stays true: refund identity, one order per trade no, refunds that never settle,
confirmed vs in-flight refund money. Real SQLite files and the sandbox gateway."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from peewee import IntegrityError, fn

from kashop_desktop.domain.errors import DomainError
from kashop_desktop.domain.order import ReasonCode
from kashop_desktop.domain.refund_states import MAX_CHECKS, MAX_DAYS, OutsideMethod
from kashop_desktop.gateways.base import RefundResult, RefundState
from kashop_desktop.services import orders as ops
from kashop_desktop.services import refund_nos, views
from kashop_desktop.services import refund_queue as rq
from kashop_desktop.services import requests as reqs
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.imports import import_file
from kashop_desktop.services.maintenance import check
from kashop_desktop.services.refund_nos import allocate, store_id
from kashop_desktop.store.models import Order, OrderEvent, Refund

from .helpers import order, sandbox, send_refunds

WECHAT_CHARSET = re.compile(r"^[0-9A-Za-z_\-|*@]{6,64}$")


send = send_refunds


def row(order_no: str) -> Order:
    return Order.get(Order.order_no == order_no)


def approved(desk: Desk, scenario: str = "success", *, amount: int | None = None, status: str = "paid") -> Refund:
    no = order(desk, status, gateway_id=sandbox(desk, scenario), paid_minutes_ago=30, code_used="no")
    _, rid = reqs.open_request(desk, no, ReasonCode.WRONG_ITEM, amount_fen=amount)
    assert rid is not None
    reqs.approve(desk, rid, amount_fen=amount)
    return Refund.get(Refund.order == row(no).id)


# ---- refund nos ------------------------------------------------------------------------------

@pytest.mark.sqlite_only(reason="SQLite by nature: two data folders, two files")
def test_two_data_folders_never_share_a_refund_no(tmp_path: Path, clock) -> None:
    numbers: list[set[str]] = []
    ids = []
    for name in ("pc1", "pc2"):
        desk = Desk.open(tmp_path / name, clock=clock)
        try:
            ids.append(store_id(desk))
            nos = []
            for _ in range(3):  # each folder's first orders get the same local ids (1, 2, 3)
                nos.append(approved(desk).refund_no)
            numbers.append(set(nos))
        finally:
            desk.close()
    assert ids[0] != ids[1]
    assert not numbers[0] & numbers[1]
    for no in numbers[0] | numbers[1]:
        assert WECHAT_CHARSET.match(no) and len(no) <= 64 and len(no) > 5


def test_refund_nos_never_go_back_even_after_the_counter_is_restored(desk: Desk,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    now_ms = [1_764_400_000_000]
    monkeypatch.setattr(refund_nos.time, "time_ns", lambda: now_ms[0] * 1_000_000)
    first = allocate(desk, 3)
    assert len(set(first)) == 3 and first == sorted(first)
    assert allocate(desk, 1)[0] > first[-1]  # the same millisecond: the counter goes on
    desk.set_setting("refund_seq", 0)  # a store restored from an old backup: the counter went back
    now_ms[0] += 60_000  # a minute later
    again = allocate(desk, 3)
    assert min(again) > max(first)
    assert all(no.startswith("RF" + store_id(desk)) and len(no) == 25 for no in first + again)


# ---- one trade no, one order -------------------------------------------------------------------

def test_one_trade_no_pays_for_one_order(desk: Desk) -> None:
    a = order(desk, "pending_payment")
    b = order(desk, "pending_payment")
    ops.mark_paid(desk, a, "T2026112900001", confirmed=True)
    with pytest.raises(DomainError) as info:
        ops.mark_paid(desk, b, "T2026112900001", confirmed=True)
    assert info.value.code == "trade_no_taken" and a in info.value.zh and a in info.value.en
    assert row(b).status == "pending_payment" and row(b).card_code is None
    again = ops.mark_paid(desk, a, "T2026112900001", confirmed=True)
    assert again.messages == ["already_paid"] and not again.order_ids
    # The store itself refuses, whatever path writes.
    with pytest.raises(IntegrityError):
        Order.update(gateway_trade_no="T2026112900001").where(Order.order_no == b).execute()


def test_import_refuses_a_trade_no_held_elsewhere_as_a_row_problem(desk: Desk, tmp_path: Path) -> None:
    held = order(desk, "paid")
    trade = row(held).gateway_trade_no
    gateway = views.order_detail(desk, held).gateway or ""
    lines = ["order_no,created_at,product,product_type,paid_amount,status,paid_at,gateway,gateway_trade_no"]
    for no, trade_no in (("IMP1", trade), ("IMP2", "NEW-T-1"), ("IMP3", "NEW-T-1")):
        lines.append(f"{no},2026-11-18 09:00,点券,card_code,10,paid,2026-11-18 09:01,{gateway},{trade_no}")
    path = tmp_path / "orders.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = import_file(desk, path)
    assert report.inserted == 1
    problems = {p.row: p for p in report.problems}
    assert set(problems) == {2, 4}
    assert held in problems[2].zh and problems[2].column == "gateway_trade_no"
    assert "IMP2" in problems[4].en


# ---- refunded vs in flight ---------------------------------------------------------------------

def test_refunded_counts_only_confirmed_money(desk: Desk) -> None:
    ref = approved(desk, "stuck", amount=20_00)
    o = row(Order.get_by_id(ref.order_id).order_no)
    assert (o.refunded_fen, o.refund_pending_fen, o.status) == (0, 20_00, "paid")
    detail = views.order_detail(desk, o.order_no)
    assert detail.refundable_fen == o.paid_fen - 20_00
    send(desk)
    assert (row(o.order_no).refunded_fen, row(o.order_no).refund_pending_fen) == (0, 20_00)  # processing
    rq.resolve_manually(desk, ref.id, True, "后台已到账")
    o = row(o.order_no)
    assert (o.refunded_fen, o.refund_pending_fen, o.status) == (20_00, 0, "partially_refunded")


def test_a_failed_refund_gives_the_money_back_to_refundable(desk: Desk) -> None:
    ref = approved(desk, "reject", amount=30_00)
    no = Order.get_by_id(ref.order_id).order_no
    send(desk)
    o = row(no)
    assert (Refund.get_by_id(ref.id).state, o.refunded_fen, o.refund_pending_fen, o.status) == (
        "failed", 0, 0, "paid")
    assert views.order_detail(desk, no).refundable_fen == o.paid_fen
    rq.retry(desk, ref.id)
    assert row(no).refund_pending_fen == 30_00


def test_unpaid_order_has_nothing_refundable(desk: Desk) -> None:
    no = order(desk, "pending_payment", paid_fen=57_00)
    reqs.cancel_order(desk, no, ReasonCode.MISTAKEN)
    detail = views.order_detail(desk, no)
    assert detail.status.value == "cancelled" and detail.refundable_fen == 0


def test_refunding_tab_lists_only_money_in_flight(desk: Desk) -> None:
    stuck = approved(desk, "stuck")
    failed = approved(desk, "reject")
    send(desk)
    counts = views.status_counts(desk)
    assert counts[views.REFUNDING] == 1
    ids = views.order_ids(desk, views.OrderFilter(status=views.REFUNDING), 10)
    assert ids == [stuck.order_id] and failed.order_id not in ids


# ---- refunds that never settle --------------------------------------------------------------------

def test_a_refund_that_never_settles_waits_for_the_owner(desk: Desk, clock) -> None:
    ref = approved(desk, "stuck")
    send(desk)
    assert Refund.get_by_id(ref.id).state == "processing"
    clock.advance(days=MAX_DAYS + 1)
    send(desk)
    ref = Refund.get_by_id(ref.id)
    assert ref.state == "needs_owner" and "resolve" in views.refund_view(desk, ref.id).actions
    assert [r.id for r in views.list_refunds(desk, "needs_owner")] == [ref.id]
    assert send(desk).picked == 0  # no longer asked by itself
    assert views.refund_view(desk, ref.id).state_zh == "待人工处理"
    rq.resolve_manually(desk, ref.id, True, "已用微信转账退给买家", how=OutsideMethod.BANK_TRANSFER)
    ref = Refund.get_by_id(ref.id)
    assert (ref.state, ref.resolved_how) == ("succeeded", "bank_transfer")
    event = OrderEvent.select().where(OrderEvent.order == ref.order_id).order_by(OrderEvent.id.desc()).first()
    assert event.action == "refund_resolved" and json.loads(event.data)["how"] == "bank_transfer"


def test_bounded_questions_without_waiting_days(desk: Desk, clock) -> None:
    ref = approved(desk, "stuck")
    start = clock.moment
    send(desk)
    for _ in range(24 * MAX_DAYS - 1):
        if Refund.get_by_id(ref.id).state == "needs_owner":
            break
        clock.advance(hours=1)
        send(desk)
    ref = Refund.get_by_id(ref.id)
    assert (ref.state, ref.checks, ref.attempts) == ("needs_owner", MAX_CHECKS, 1)
    assert clock.moment - start < timedelta(days=3)  # back-off: about two days of questions


@pytest.mark.parametrize("state", ["queued", "sending", "processing", "unknown", "needs_owner"])
def test_the_owner_can_resolve_every_state_that_is_not_final(desk: Desk, state: str) -> None:
    ref = approved(desk, "stuck")
    Refund.update(state=state).where(Refund.id == ref.id).execute()
    if state in ("sending", "processing", "unknown"):  # sent: the gateway may still pay it
        with pytest.raises(DomainError) as info:
            rq.resolve_manually(desk, ref.id, False, "后台没有这笔退款")
        assert info.value.code == "gateway_may_pay" and f"refunds send --id {ref.id}" in info.value.zh
        assert Refund.get_by_id(ref.id).state == state
    rq.resolve_manually(desk, ref.id, False, "后台没有这笔退款", gateway_checked=True)
    assert Refund.get_by_id(ref.id).state == "failed"
    assert row(Order.get_by_id(ref.order_id).order_no).refund_pending_fen == 0
    with pytest.raises(DomainError, match="最终状态"):
        rq.resolve_manually(desk, ref.id, False, "again")
    rq.resolve_manually(desk, ref.id, True, "后来用现金退了", how=OutsideMethod.CASH)  # failed, then paid in cash
    assert Refund.get_by_id(ref.id).state == "succeeded"


def test_security_warning_stays_in_history_but_not_on_a_settled_refund(desk: Desk) -> None:
    ref = approved(desk, "success")
    send(desk)
    Refund.update(state="unknown", security_warning=True).where(Refund.id == ref.id).execute()
    Order.update(refunded_fen=0, refund_pending_fen=ref.gross_fen).where(Order.id == ref.order_id).execute()
    send(desk, refund_ids=[ref.id], force=True)
    ref = Refund.get_by_id(ref.id)
    assert ref.state == "succeeded" and not ref.security_warning


def test_a_reply_after_the_owner_resolved_is_recorded_not_applied(desk: Desk) -> None:
    ref = approved(desk, "timeout")
    send(desk)  # booked at the sandbox, reply lost
    assert Refund.get_by_id(ref.id).state == "unknown"
    rq.resolve_manually(desk, ref.id, False, "以为没退", gateway_checked=True)
    queue = rq.RefundQueue(desk)
    job = rq.RefundJob(ref.id, ref.refund_no, "unknown", ref.gateway_id or 0, ref.order_id, "", None, ref.amount_fen,
                       0, None, 1)
    assert queue._settle(job, "succeeded") is False  # the gateway's late word: not this run's outcome
    ref = Refund.get_by_id(ref.id)
    assert ref.state == "failed" and ref.security_warning
    assert OrderEvent.select().where((OrderEvent.order == ref.order_id)
                                     & (OrderEvent.action == "refund_late_reply")).exists()


# ---- the store -------------------------------------------------------------------------------

@pytest.mark.sqlite_only(reason="SQLite by nature: an older data file")
def test_check_names_duplicate_trade_nos_in_an_older_store(desk: Desk, clock) -> None:
    a = order(desk, "paid")
    b = order(desk, "paid")
    desk.db.execute_sql("DROP INDEX orders_gateway_trade_no_unique")
    Order.update(gateway_trade_no="DUP-1").where(Order.order_no.in_([a, b])).execute()
    report = check(desk)
    assert not report.ok and report.duplicate_trade_nos == [("DUP-1", sorted([a, b]))]
    data_dir = desk.data_dir
    desk.close()
    reopened = Desk.open(data_dir, clock=clock)  # still opens
    try:
        assert check(reopened).duplicate_trade_nos
        Order.update(gateway_trade_no="DUP-2").where(Order.order_no == b).execute()
    finally:
        reopened.close()
    again = Desk.open(data_dir, clock=clock)  # resolved: the index comes back
    try:
        assert check(again).ok
        with pytest.raises(IntegrityError):
            Order.update(gateway_trade_no="DUP-1").where(Order.order_no == b).execute()
    finally:
        again.close()


def test_refund_no_format_stays_for_old_refunds(desk: Desk, clock) -> None:
    ref = approved(desk)
    old_no = ref.refund_no
    Refund.update(refund_no="RF2026112900000000101").where(Refund.id == ref.id).execute()
    # an old refund's approval named it by its old number too
    OrderEvent.update(data=fn.REPLACE(OrderEvent.data, old_no, "RF2026112900000000101")).where(
        OrderEvent.order == ref.order_id).execute()
    clock.advance(minutes=1)
    send(desk)
    assert Refund.get_by_id(ref.id).refund_no == "RF2026112900000000101"
    assert Refund.get_by_id(ref.id).state == "succeeded"


def test_schema_2_store_keeps_only_confirmed_refunds_in_refunded(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from kashop_desktop.store import db as store_db

    path = tmp_path / "k.sqlite3"
    with monkeypatch.context() as m:  # a store written by schema 2: every approval already in refunded_fen
        m.setattr(store_db, "MIGRATIONS", store_db.MIGRATIONS[:2])
        m.setattr(store_db, "LATEST", 2)
        db = store_db.open_store(path)
        for column in ("checks", "first_sent_at", "resolved_how"):
            db.execute_sql(f"ALTER TABLE refund DROP COLUMN {column}")
        db.execute_sql("ALTER TABLE orders DROP COLUMN refund_pending_fen")
        db.execute_sql("ALTER TABLE orders DROP COLUMN buyer_key")  # schema 4's
        order_sql = ("INSERT INTO orders (order_no, created_at, product_name, product_type, quantity, list_fen,"
                     " coupon_fen, coupon_returned, points, points_refunded, paid_fen, refunded_fen, status, paid_at,"
                     " delivered_at, buyer, code_used, stock_reserved, updated_at, gateway_trade_no)"
                     " VALUES (?, 0, 'p', 'card_code', 1, 5000, 0, 0, 0, 0, 5000, ?, ?, 1, ?, '', 'no', 0, 0, ?)")
        db.execute_sql(order_sql, ("OK1", 5000, "refunded", 1, "T1"))  # refund succeeded
        db.execute_sql(order_sql, ("BAD1", 5000, "refunded", 1, "T2"))  # refund failed: nothing moved
        db.execute_sql(order_sql, ("FLY1", 2000, "partially_refunded", 1, "T3"))  # still in flight
        db.execute_sql(order_sql, ("IMP1", 5000, "refunded", 1, "T4"))  # imported refunded, no refund rows
        refund_sql = ("INSERT INTO refund (order_id, refund_no, gross_fen, fee_fen, amount_fen, coupon_share_fen,"
                      " points_returned, state, attempts, needs_confirmation, confirmed, last_error,"
                      " last_error_kind, security_warning, created_at, next_attempt_at, sent_at)"
                      " VALUES (?, ?, ?, 0, ?, 0, 0, ?, 1, 0, 0, '', ?, 0, 0, 0, 5)")
        db.execute_sql(refund_sql, (1, "RF2026112900000000101", 5000, 5000, "succeeded", ""))
        db.execute_sql(refund_sql, (2, "RF2026112900000000201", 5000, 5000, "failed", "rejected"))
        db.execute_sql(refund_sql, (3, "RF2026112900000000301", 2000, 2000, "sending", "processing"))
        db.close()
    db = store_db.open_store(path, backups=tmp_path / "backups")
    try:
        got = {r[0]: r[1:] for r in db.execute_sql(
            "SELECT order_no, status, refunded_fen, refund_pending_fen FROM orders").fetchall()}
        assert got == {"OK1": ("refunded", 5000, 0), "BAD1": ("delivered", 0, 0),
                       "FLY1": ("delivered", 0, 2000), "IMP1": ("refunded", 5000, 0)}
        states = [r[0] for r in db.execute_sql("SELECT state FROM refund ORDER BY id").fetchall()]
        assert states == ["succeeded", "failed", "processing"]
        assert db.execute_sql("SELECT value FROM setting WHERE key = 'store_id'").fetchone()
    finally:
        db.close()


# ---- a reply settles only our refund ------------------------------------------------------------

def _job(**kw: object) -> rq.RefundJob:
    base: dict[str, object] = {"id": 1, "refund_no": "RFAAAA0000000000001", "state": "sending", "gateway_id": 1,
                               "order_id": 1, "order_no": "KS1", "gateway_trade_no": "AL1", "amount_fen": 57_00,
                               "total_fen": 57_00, "gateway_refund_no": None, "attempts": 1}
    base.update(kw)
    return rq.RefundJob(**base)  # type: ignore[arg-type]


def _result(state: RefundState = RefundState.SUCCEEDED, **kw: object) -> RefundResult:
    named: dict[str, object] = {"named_refund_no": "RFAAAA0000000000001", "named_out_trade_no": "KS1",
                                "named_trade_no": "AL1", "named_amount_fen": 57_00}
    named.update(kw)
    return RefundResult(state, "RFAAAA0000000000001", **named)  # type: ignore[arg-type]


def test_a_reply_naming_our_refund_trade_and_amount_settles() -> None:
    assert rq.reply_mismatch(_job(), _result(), refund_keys=True, settling=True) is None
    # The trade may be named by either of its numbers.
    assert rq.reply_mismatch(_job(), _result(named_trade_no=None), refund_keys=True, settling=True) is None
    # 易支付 V1 keeps no refund key of ours: the trade and the amount must still be ours.
    assert rq.reply_mismatch(_job(), _result(named_refund_no=None), refund_keys=False, settling=True) is None


@pytest.mark.parametrize(("named", "field", "theirs", "ours"), [
    ({"named_refund_no": "RFBBBB0000000000001"}, "refund no", "RFBBBB0000000000001", "RFAAAA0000000000001"),
    ({"named_trade_no": "AL2"}, "trade no", "AL2", "AL1"),
    ({"named_out_trade_no": "KS2"}, "order no (out_trade_no)", "KS2", "KS1"),
    ({"named_amount_fen": 12_00}, "amount", "¥12.00", "¥57.00"),
])
def test_a_reply_about_anything_else_says_which_field_differs(named: dict[str, object], field: str, theirs: str,
                                                              ours: str) -> None:
    for state in (RefundState.SUCCEEDED, RefundState.FAILED, RefundState.PROCESSING):
        found = rq.reply_mismatch(_job(), _result(state, **named), refund_keys=True,
                                  settling=state is RefundState.SUCCEEDED)
        assert found is not None
        assert f"the reply's {field} ({theirs}) differs from this refund's ({ours})" in found[1]
        assert theirs in found[0] and ours in found[0]


def test_a_success_that_does_not_name_the_refund_is_not_taken() -> None:
    found = rq.reply_mismatch(_job(), _result(named_refund_no=None, named_amount_fen=None), refund_keys=True,
                              settling=True)
    assert found is not None and "refund no" in found[1] and "amount" in found[1]
    found = rq.reply_mismatch(_job(), _result(named_out_trade_no=None, named_trade_no=None), refund_keys=True,
                              settling=True)
    assert found is not None and "order no or trade no" in found[1]
    # A plain refusal names nothing and is taken as it is.
    assert rq.reply_mismatch(_job(), RefundResult(RefundState.FAILED, "x"), refund_keys=True, settling=False) is None


def test_a_success_for_another_trade_leaves_the_refund_unknown_with_a_warning(desk: Desk) -> None:
    ref = approved(desk, "timeout")
    send(desk)  # booked at the sandbox for this order, reply lost
    con = sqlite3.connect(str(desk.data_dir / "sandbox-ledger.sqlite3"))  # the gateway's own books
    con.execute("UPDATE refund SET out_trade_no = 'ANOTHER-DESK-ORDER' WHERE refund_no = ?", (ref.refund_no,))
    con.commit()
    con.close()
    report = send(desk, refund_ids=[ref.id], force=True)
    ref = Refund.get_by_id(ref.id)
    assert report.security_warnings == 1 and (ref.state, ref.security_warning) == ("unknown", True)
    assert "ANOTHER-DESK-ORDER" in ref.last_error and "differs" in ref.last_error
    assert row(Order.get_by_id(ref.order_id).order_no).refunded_fen == 0
