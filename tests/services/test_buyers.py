"""Buyer notes and the blocklist: a blocked buyer's orders are held for review, never delivered
until the owner releases them, and unblocking releases nothing. Real SQLite files and imports."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kashop_desktop.domain.decision import Outcome
from kashop_desktop.domain.errors import DomainError
from kashop_desktop.domain.order import ReasonCode
from kashop_desktop.services import buyers, views
from kashop_desktop.services import orders as ops
from kashop_desktop.services import requests as reqs
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.imports import import_file
from kashop_desktop.store import db as store_db
from kashop_desktop.store.models import Order, OrderEvent

from .helpers import order


def row(order_no: str) -> Order:
    return Order.get(Order.order_no == order_no)


def actions(order_no: str) -> list[str]:
    return [e.action for e in OrderEvent.select().where(OrderEvent.order == row(order_no).id).order_by(OrderEvent.id)]


def test_a_note_belongs_to_the_buyer_under_any_spelling_and_shows_in_each_order(desk: Desk) -> None:
    first = order(desk, "paid", buyer="138-0013-8000")
    second = order(desk, "delivered", buyer="+86 138 0013 8000")
    changes = buyers.set_note(desk, "13800138000", "  老客户，只在晚上回消息 ")
    assert {row(first).id, row(second).id} <= changes.order_ids
    for no in (first, second):
        info = views.order_detail(desk, no).buyer_info
        assert info is not None and info.key == "13800138000" and info.note == "老客户，只在晚上回消息"
        assert info.note_at is not None and not info.blocked
    buyers.set_note(desk, "138 0013 8000", "")
    assert views.order_detail(desk, first).buyer_info.note == ""  # type: ignore[union-attr]
    with pytest.raises(DomainError) as blank:
        buyers.set_note(desk, "  ", "x")
    assert blank.value.code == "buyer_contact_required"
    with pytest.raises(DomainError):
        buyers.set_note(desk, "13800138000", "长" * (buyers.NOTE_MAX + 1))


def test_blocking_holds_undelivered_orders_with_an_event_and_delivery_is_refused(desk: Desk) -> None:
    paid, unpaid = order(desk, "paid", buyer="QQ 88886666"), order(desk, "pending_payment", buyer="88886666")
    delivered = order(desk, "delivered", buyer="qq:88886666")
    other = order(desk, "paid", buyer="13900000000")
    with pytest.raises(DomainError) as no_reason:
        buyers.block(desk, "88886666", "  ")
    assert no_reason.value.code == "block_reason_required"
    changes = buyers.block(desk, "QQ号：88886666", "盗刷的支付账户")
    assert "held:2" in changes.messages and changes.counts_changed
    assert row(paid).held_at is not None and row(unpaid).held_at is not None
    assert row(delivered).held_at is None and row(other).held_at is None
    assert actions(paid)[-1] == "held"
    held_event = OrderEvent.select().where((OrderEvent.order == row(paid).id) & (OrderEvent.action == "held")).get()
    assert held_event.note == "盗刷的支付账户" and held_event.actor == "owner"
    why = ops.deliver_check(desk, paid)
    assert why is not None and why.code == "order_held" and "盗刷的支付账户" in why.zh
    with pytest.raises(DomainError) as refused:
        ops.deliver(desk, paid)
    assert refused.value.code == "order_held" and row(paid).delivered_at is None
    assert ops.deliver_check(desk, other) is None
    # the held tab: its count and its rows
    assert views.status_counts(desk)[views.HELD] == 2
    listed = views.order_page(desk, views.OrderFilter(status=views.HELD), 50)
    assert {r.order_no for r in listed} == {paid, unpaid} and all(r.held for r in listed)
    assert views.count_orders(desk, views.OrderFilter(status=views.HELD)) == 2
    detail = views.order_detail(desk, paid)
    assert detail.held_at is not None and detail.held_reason == "盗刷的支付账户"
    assert detail.buyer_info is not None and detail.buyer_info.blocked and detail.buyer_info.held == 2


def test_mark_paid_records_the_payment_of_a_held_order_but_does_not_deliver(desk: Desk) -> None:
    unpaid = order(desk, "pending_payment", buyer="13800138001")
    buyers.block(desk, "13800138001", "恶意退款")
    changes = ops.mark_paid(desk, unpaid, "PAY-1", confirmed=True)
    assert "held" in changes.messages
    assert row(unpaid).paid_at is not None and row(unpaid).delivered_at is None and row(unpaid).status == "paid"


def test_a_blocked_buyers_imported_orders_are_held_and_their_requests_wait_for_review(
        desk: Desk, tmp_path: Path) -> None:
    buyers.block(desk, "a@b.cn", "拒付过两次")
    path = tmp_path / "o.csv"
    path.write_text("\n".join([
        "订单号,下单时间,商品,商品类型,实付金额,状态,支付时间,发货时间,支付方式,交易号,买家",
        "B1,2026-11-18 09:00,点券,卡密,6.00,已支付,2026-11-18 09:01,,支付宝,TB1, A@B.cn ",
        "B2,2026-11-18 09:00,点券,卡密,6.00,已发货,2026-11-18 09:01,2026-11-18 09:02,支付宝,TB2,a@b.cn",
        "B3,2026-11-18 09:00,点券,卡密,6.00,已支付,2026-11-18 09:01,,支付宝,TB3,c@d.cn"]) + "\n", encoding="utf-8")
    report = import_file(desk, path)
    assert report.inserted == 3 and report.held == 1
    assert row("B1").held_at is not None and row("B2").held_at is None and row("B3").held_at is None
    assert actions("B1") == ["imported", "held"]
    decision = reqs.preview(desk, "B1", ReasonCode.MISTAKEN).decision
    assert decision.outcome is not Outcome.AUTO_APPROVE and "buyer_flagged" in {r.code for r in decision.reasons}


def test_unblocking_releases_nothing_and_the_owner_releases_one_or_all(desk: Desk) -> None:
    nos = [order(desk, "paid", buyer="13800138002") for _ in range(3)]
    buyers.block(desk, "13800138002", "可疑")
    changes = buyers.unblock(desk, "138 0013 8002")
    assert "still_held:3" in changes.messages
    assert all(row(no).held_at is not None for no in nos)
    assert buyers.buyer_info(desk, "13800138002").blocked is False  # type: ignore[union-attr]
    with pytest.raises(DomainError) as again:
        buyers.unblock(desk, "13800138002")
    assert again.value.code == "buyer_not_blocked"
    one = buyers.release(desk, [nos[0]], note="核实过，是本人")
    assert "released:1" in one.messages and row(nos[0]).held_at is None
    assert actions(nos[0])[-1] == "released" and ops.deliver_check(desk, nos[0]) is None
    skipped = buyers.release(desk, [nos[0]])
    assert [s.code for s in skipped.skipped] == ["not_held"] and "released:0" in skipped.messages
    rest = buyers.release_buyer(desk, "13800138002")
    assert "released:2" in rest.messages and all(row(no).held_at is None for no in nos)
    ops.deliver(desk, nos[1])
    assert row(nos[1]).delivered_at is not None


def test_a_held_order_cancelled_meanwhile_waits_for_nothing(desk: Desk) -> None:
    unpaid = order(desk, "pending_payment", buyer="13800138006")
    buyers.block(desk, "13800138006", "可疑")
    assert views.status_counts(desk)[views.HELD] == 1
    reqs.cancel_order(desk, unpaid, ReasonCode.NOT_NEEDED)
    assert row(unpaid).status == "cancelled"
    assert views.status_counts(desk)[views.HELD] == 0
    assert views.order_page(desk, views.OrderFilter(status=views.HELD), 50) == []
    detail = views.order_detail(desk, unpaid)
    assert detail.held_at is None and detail.held_reason is None
    assert buyers.buyer_info(desk, "13800138006").held == 0  # type: ignore[union-attr]


def test_list_buyers_with_a_note_or_blocked(desk: Desk) -> None:
    order(desk, "paid", buyer="13800138003")
    order(desk, "paid", buyer="13800138004")
    order(desk, "paid", buyer="13800138005")
    buyers.set_note(desk, "13800138003", "常客")
    buyers.block(desk, "13800138004", "刷单")
    everyone = {b.key: b for b in buyers.list_buyers(desk)}
    assert set(everyone) == {"13800138003", "13800138004"}
    assert everyone["13800138004"].blocked and everyone["13800138004"].held == 1
    assert everyone["13800138004"].orders == 1
    assert [b.key for b in buyers.list_buyers(desk, blocked_only=True)] == ["13800138004"]


def test_migration_5_adds_notes_blocklist_and_holds_to_a_schema_4_store(tmp_path: Path) -> None:
    path = tmp_path / "k.sqlite3"
    with pytest.MonkeyPatch.context() as m:
        m.setattr(store_db, "MIGRATIONS", store_db.MIGRATIONS[:4])
        m.setattr(store_db, "LATEST", 4)
        db = store_db.open_store(path)
        for table, column in (("buyer", "note_at"), ("buyer", "blocked_at"), ("buyer", "blocked_reason"),
                              ("orders", "held_at")):
            db.execute_sql(f"ALTER TABLE {table} DROP COLUMN {column}")
        db.execute_sql("INSERT INTO buyer (contact, flagged, note, orders_count, cancel_count) "
                       "VALUES ('13800138000', 0, '老客户', 0, 0)")
        db.close()
    assert store_db.schema_version(path) == 4
    db = store_db.open_store(path, backups=tmp_path / "backups")
    assert store_db.schema_version(path) == store_db.LATEST >= 5
    assert list((tmp_path / "backups").glob("k-v4-*.sqlite3"))
    row_ = db.execute_sql("SELECT note, note_at, blocked_at, blocked_reason FROM buyer").fetchone()
    assert row_ == ("老客户", None, None, "")
    names = {r[0] for r in db.execute_sql("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"orders_held", "buyer_blocked"} <= names
    db.close()
    con = sqlite3.connect(path)
    assert {r[1] for r in con.execute("PRAGMA table_info(orders)")} >= {"held_at"}
    con.close()
