"""A year of imported 待支付 history swept today expired back then (``cancelled_at``, the
reports' day), while each timeline still only goes forward; an order the desk knew of before it
was due closes when the sweep saw it."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from kashop_desktop.domain.clock import to_epoch
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.imports import Outcome, import_file
from kashop_desktop.services.maintenance import check
from kashop_desktop.services.reports import report
from kashop_desktop.services.requests import sweep
from kashop_desktop.store import db as store_db
from kashop_desktop.store import report_tables
from kashop_desktop.store.models import Order, OrderEvent
from tests.conftest import FakeClock

HEAD = "订单号,下单时间,商品,商品类型,实付金额,状态,支付时间,发货时间,支付方式,交易号,买家"


def test_an_old_unpaid_row_imported_expires_as_of_its_due_time(desk: Desk, clock: FakeClock, tmp_path: Path) -> None:
    path = tmp_path / "old.csv"
    path.write_text(f"{HEAD}\nU1,2025-12-01 09:00,点券,卡密,6.00,待支付,,,,,13800138001\n", encoding="utf-8")
    assert import_file(desk, path).outcome is Outcome.ALL
    clock.advance(minutes=1)
    sweep(desk, by_hand=True)
    order = Order.get(Order.order_no == "U1")
    due = order.created_at + 15 * 60
    assert order.status == "cancelled" and order.cancelled_at == due  # not today
    entry = OrderEvent.select().where((OrderEvent.order == order.id) & (OrderEvent.action == "expire")).get()
    assert entry.at == to_epoch(clock.moment)  # the timeline goes forward: recorded now
    assert json.loads(entry.data)["expired_at"] == due and "2025-12-01 09:15" in entry.note
    today = clock.moment.date()
    assert report(desk, "reasons", today, today).total.cancels.get("expired", 0) == 0
    then = report(desk, "reasons", date(2025, 12, 1), date(2025, 12, 1))
    assert then.total.cancels == {"expired": 1}
    found = check(desk)
    assert found.ok and found.report_tables_wrong == [] and found.state_disagreements == [], found


def test_an_order_known_before_it_was_due_closes_when_swept(desk: Desk, clock: FakeClock, tmp_path: Path) -> None:
    path = tmp_path / "new.csv"
    moment = clock.moment - timedelta(minutes=5)
    path.write_text(f"{HEAD}\nU2,{moment:%Y-%m-%d %H:%M},点券,卡密,6.00,待支付,,,,,13800138002\n", encoding="utf-8")
    import_file(desk, path)
    clock.advance(days=3)  # the window was closed over a weekend: its trade is still closed at the gateway
    sweep(desk, by_hand=True)
    order = Order.get(Order.order_no == "U2")
    assert order.cancelled_at == to_epoch(clock.moment)
    entry = OrderEvent.select().where((OrderEvent.order == order.id) & (OrderEvent.action == "expire")).get()
    assert entry.note == "超过 15 分钟未支付，自动关闭 / unpaid for 15 min"
    assert "expired_at" not in json.loads(entry.data)
    assert report(desk, "reasons", clock.moment.date(), clock.moment.date()).total.cancels == {"expired": 1}
    assert check(desk).ok


@pytest.mark.sqlite_only(reason="the data file's schema version is the subject")
def test_schema_17_counts_the_expiries_again(desk: Desk, clock: FakeClock, tmp_path: Path) -> None:
    path = tmp_path / "old.csv"
    path.write_text(f"{HEAD}\nU3,2025-12-01 09:00,点券,卡密,6.00,待支付,,,,,13800138003\n", encoding="utf-8")
    import_file(desk, path)
    sweep(desk, by_hand=True)
    desk.db.execute_sql("DELETE FROM report_cancels")  # a schema 16 store's counts, to be filled again
    desk.db.execute_sql("PRAGMA user_version = 16")
    db = store_db.open_store(desk.db_path, backups=tmp_path / "backups")
    try:
        assert db.execute_sql("PRAGMA user_version").fetchone()[0] == store_db.LATEST
        assert report_tables.differences(db.connection()) == []
        assert db.execute_sql("SELECT day, reason, n FROM report_cancels").fetchall() == [
            (report_tables_day(date(2025, 12, 1)), "expired", 1)]
    finally:
        store_db.release(db)


def report_tables_day(day: date) -> int:
    """The Beijing day number the summary tables key a date by."""
    return (day - date(1970, 1, 1)).days
