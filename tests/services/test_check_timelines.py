"""check judges what the timelines can tell: an order's (and a 卡密's) own rows going back in time, a
wiped 卡密 log, a raised paid amount on a generated demo order and a raised refunded amount on an
imported one; a fresh demo (its past orders' history written with their own times) checks OK."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kashop_desktop.domain.codes import CodeState
from kashop_desktop.domain.order import CodeUsed
from kashop_desktop.services import codes, datagen, maintenance, orders
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.imports import import_file
from kashop_desktop.store.models import CardCode, Order

from ..conftest import FakeClock
from .helpers import order, product

_FILE = pytest.mark.sqlite_only(reason="tampers with the data file through sqlite3, as someone with the file would")


def _tamper(desk: Desk, sql: str, params: tuple[object, ...] = ()) -> None:
    con = sqlite3.connect(desk.db_path)
    con.execute(sql, params)
    con.commit()
    con.close()


def _named(desk: Desk) -> list[str]:
    report = maintenance.check(desk)
    return [en for _, en in report.state_disagreements]


def test_a_row_written_with_the_clock_set_back_is_named_in_its_orders_timeline(desk: Desk, clock: FakeClock) -> None:
    no = order(desk, "paid", paid_minutes_ago=30)
    orders.deliver(desk, no)
    clock.advance(minutes=-4)  # within the skew: time sync set the clock back a little
    orders.complete(desk, no)
    assert _named(desk) == []
    other = order(desk, "paid", paid_minutes_ago=30)
    orders.deliver(desk, other)
    clock.advance(days=-3)  # the PC's clock set back three days: the code is "used" before it was delivered
    orders.set_code_used(desk, other, CodeUsed.YES)
    named = _named(desk)
    assert len(named) == 1 and f"order {other}'s timeline row" in named[0] and "dated 3d 0h before" in named[0], named


@pytest.mark.sqlite_only(reason="the demo's generator writes through SQLite's bulk path (demo_on_server)")
def test_a_fresh_generated_demo_checks_ok_and_compares_its_orders_amounts(desk: Desk, clock: FakeClock) -> None:
    datagen.load(desk, 600, seed=5, now=clock(), years=0.5)  # history with its own times, in creation order
    report = maintenance.check(desk)
    assert report.ok and report.state_disagreements == [], report.state_disagreements
    paid = Order.select().where(Order.status == "completed").order_by(Order.id).first()
    Order.update(paid_fen=paid.paid_fen + 1).where(Order.id == paid.id).execute()
    named = _named(desk)
    assert any(paid.order_no in en and "its timeline recorded when it was created" in en for en in named), named


def test_a_raised_refunded_amount_is_named_on_a_desk_order_and_an_imported_one(desk: Desk, tmp_path: Path) -> None:
    csv = tmp_path / "old.csv"
    csv.write_text("订单号,下单时间,商品,商品类型,实付金额,状态,支付时间,发货时间,支付方式,交易号,买家,退款金额\n"
                   "OLD001,2026-11-10 09:00,点券,卡密,50.00,部分退款,2026-11-10 09:01,2026-11-10 09:02,支付宝,T1,"
                   "13800138001,20.00\n", encoding="utf-8")
    report = import_file(desk, csv)
    assert report.inserted == 1
    imported = Order.get(Order.order_no == "OLD001")
    assert imported.refunded_fen == 20_00
    assert _named(desk) == []  # the older system's refund is the import's, recorded with it
    Order.update(refunded_fen=30_00).where(Order.id == imported.id).execute()
    named = _named(desk)
    assert any("OLD001" in en and "¥20.00 it was created or imported with" in en for en in named), named


def test_a_wiped_code_log_is_told_by_the_codes_that_needed_its_entries(desk: Desk) -> None:
    prod = product(desk, codes=4)
    ids = [c.id for c in CardCode.select().where(CardCode.product == prod.id).order_by(CardCode.id)]
    codes.move_codes(desk, ids[:1], CodeState.VOID, note="泄露")
    codes.move_codes(desk, ids[1:2], CodeState.LOCKED)
    no = order(desk, "paid", prod=prod, paid_minutes_ago=5)
    orders.deliver(desk, no)
    assert _named(desk) == []
    con = desk.db.connection()
    con.execute("DELETE FROM code_event")  # wiped with its chain head, as the anchor alone would tell
    con.execute("DELETE FROM chain_head WHERE chain = 'code_event'")
    con.execute("DELETE FROM order_event WHERE action = 'deliver'")
    con.execute("UPDATE chain_head SET anchor_id = NULL")
    named = _named(desk)
    assert any(f"卡密 #{ids[0]} is voided but no entry" in en for en in named), named
    delivered = CardCode.get((CardCode.product == prod.id) & (CardCode.state == "delivered"))
    assert any(f"卡密 #{delivered.id} went to order {no}" in en for en in named), named


@_FILE
def test_a_code_log_emptied_beside_its_head_is_named(desk: Desk) -> None:
    prod = product(desk, codes=3)
    codes.move_codes(desk, [CardCode.select().where(CardCode.product == prod.id).first().id], CodeState.LOCKED)
    _tamper(desk, "DELETE FROM code_event")
    named = _named(desk)
    assert any("the 卡密 inventory log: no rows left though there are 3 卡密 codes" in en for en in named), named


def test_a_codes_own_entries_going_back_are_named(desk: Desk, clock: FakeClock) -> None:
    prod = product(desk, codes=2)
    first = CardCode.select().where(CardCode.product == prod.id).order_by(CardCode.id).first().id
    codes.move_codes(desk, [first], CodeState.LOCKED)
    clock.advance(hours=-6)
    codes.move_codes(desk, [first], CodeState.AVAILABLE)
    named = _named(desk)
    assert any(f"(卡密 #{first}) is dated 360 min before" in en for en in named), named
