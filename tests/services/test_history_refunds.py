"""A generated history's refund trail is written into the tamper-evident log already chained:
its entries' canonical texts come from SQLite, so those must be the bytes ``domain.audit``
hashes, for every kind of value a log row holds."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from kashop_desktop.domain.audit import canonical
from kashop_desktop.services import datagen
from kashop_desktop.services.desk import Desk
from kashop_desktop.store import chain
from kashop_desktop.store.models import OrderEvent

pytestmark = pytest.mark.sqlite_only(reason="the demo's generator writes SQLite SQL (a demo shop reaches a server through store migrate)")

AWKWARD = ["", "买家要求取消，已全额退款", 'a "quoted" \\ back/slash', "line\nbreak\ttab\r\x01\x1f\x7f",
           "emoji 🧧 and \u2028 separator", '{"refund_no":"RF1","security_warning":false}', None, 0, -5,
           2**53]


@pytest.mark.parametrize("value", AWKWARD)
def test_sqlite_json_array_writes_the_bytes_the_log_hashes(value: Any) -> None:
    con = sqlite3.connect(":memory:")
    con.execute("CREATE TABLE t (v)")
    con.execute("INSERT INTO t VALUES (?)", (value,))
    (text,) = con.execute("SELECT json_array(1, 0, v, 'owner', v) FROM t").fetchone()
    assert text.encode() == canonical([1, 0, value, "owner", value])


def test_the_refund_trail_is_chained_as_written_with_the_operator(desk: Desk, clock: Any) -> None:
    con = desk.db.connection()
    desk.db.operator = "店主 owner"  # as a signed-in owner's desk records it
    datagen.load(desk, 2_000, seed=9, now=clock(), years=0.5)
    trail = OrderEvent.select().where(OrderEvent.action.in_(["request_opened", "dispute_opened", "approved",
                                                              "refund_succeeded"]))
    assert trail.count() > 100
    assert {e.operator for e in trail} == {"店主 owner"}
    held, broken = chain.verify(con, "order_event")
    assert broken is None and held == OrderEvent.select().count()
    last = OrderEvent.select().order_by(OrderEvent.id.desc()).get()
    assert chain.head(con, "order_event") == (last.id, bytes(last.hash))
    # A later write chains on from the trail's last entry.
    datagen.load(desk, 300, seed=10, now=clock(), years=0.1)
    held, broken = chain.verify(con, "order_event")
    assert broken is None and held == OrderEvent.select().count()


def test_a_load_puts_the_reports_triggers_back_and_the_sums_agree(desk: Desk, clock: Any) -> None:
    from kashop_desktop.store import report_tables

    con = desk.db.connection()
    names = "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
    before = con.execute(names).fetchall()
    datagen.load(desk, 1_500, seed=3, now=clock(), years=0.5)
    assert con.execute(names).fetchall() == before
    assert set(datagen.REPORT_INSERT_TRIGGERS) <= {name for (name,) in before}
    assert con.execute("SELECT SUM(n) FROM report_cancels").fetchone()[0] > 50
    assert report_tables.differences(con) == []


def test_a_trail_written_in_many_rounds_holds_as_one(desk: Desk, clock: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from kashop_desktop.services import history_refunds

    monkeypatch.setattr(history_refunds, "_ROUND", 7)  # the rounds of a million-order history, on a small one
    datagen.load(desk, 1_000, seed=12, now=clock(), years=0.3)
    con = desk.db.connection()
    held, broken = chain.verify(con, "order_event")
    assert broken is None and held == OrderEvent.select().count()
    refunds = con.execute("SELECT COUNT(*) FROM refund").fetchone()[0]
    assert refunds > 3 * 7
    # Each refund's trail: its request, then its approval, then the gateway's confirmation, in id order.
    trail = con.execute("SELECT order_id, action FROM order_event WHERE action IN ('request_opened', "
                        "'dispute_opened', 'approved', 'refund_succeeded') ORDER BY id").fetchall()
    steps: dict[int, list[str]] = {}
    for order_id, action in trail:
        steps.setdefault(order_id, []).append(action.replace("dispute_opened", "request_opened"))
    assert len(steps) == refunds
    assert all(s == ["request_opened", "approved", "refund_succeeded"] for s in steps.values())
