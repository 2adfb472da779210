"""Without the indexes schema 18 dropped, every look-up of one order's timeline entries and of
one product's orders still searches an index, the composite one whose front is that key
(EXPLAIN QUERY PLAN): the queries named here, and every statement the desk runs through a day's
work (traced as it runs), whose plans are compared with the plans the older indexes gave."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest

from kashop_desktop.domain.clock import SHOP_TZ
from kashop_desktop.domain.order import ReasonCode
from kashop_desktop.services import datagen, products, refund_guard, refund_timeline, views
from kashop_desktop.services import orders as ops
from kashop_desktop.services import requests as reqs
from kashop_desktop.services.changes import Changes
from kashop_desktop.services.code_import import fill_all_backorders
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.maintenance import check
from kashop_desktop.store import report_tables, schema18
from kashop_desktop.store.models import Order

from .helpers import order, product, send_refunds

pytestmark = pytest.mark.sqlite_only(reason="SQLite's query plans (EXPLAIN QUERY PLAN); the server's migration "
                                            "is tested on both stores (test_schema18)")

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=SHOP_TZ)
TIMELINE, BY_PRODUCT = "order_event_order_id_id", "orders_product_id_created_at_id"
OLD_INDEXES = {"order_event_order_id": 'CREATE INDEX "order_event_order_id" ON "order_event" ("order_id")',
               "orders_product_id": 'CREATE INDEX "orders_product_id" ON "orders" ("product_id")'}


@pytest.fixture
def shop(desk: Desk) -> Iterator[Desk]:
    """1,500 generated orders with their timelines, refunds and statistics."""
    datagen.load(desk, 1500, seed=11, now=NOW, events=True)
    desk.db.execute_sql("ANALYZE")
    yield desk


def plan(desk: Desk, sql: str, params: tuple[Any, ...] = ()) -> list[str]:
    return [str(r[-1]) for r in desk.db.execute_sql("EXPLAIN QUERY PLAN " + sql, params)]


def searches(steps: list[str], index: str, column: str) -> bool:
    """Whether a step searches ``index`` with an equality on ``column`` (its front)."""
    return any(re.fullmatch(rf"SEARCH \w+ USING (COVERING )?INDEX {index} \({column}=\?.*\)", s) for s in steps)


def some_order_id(desk: Desk) -> int:
    return int(desk.db.execute_sql("SELECT order_id FROM order_event GROUP BY order_id "
                                   "ORDER BY COUNT(*) DESC LIMIT 1").fetchone()[0])


#: Look-ups by one order's id, as the services write them (the SQL of the module named).
BY_ORDER = {
    "views: the timeline": "SELECT * FROM order_event WHERE order_id = ? ORDER BY id",
    "refund_guard.approved_amounts": "SELECT data FROM order_event WHERE order_id = ? AND action IN (?, ?) ORDER BY id",
    "refund_guard.recorded_amount": "SELECT data FROM order_event WHERE order_id = ? AND action IN ('created', "
                                    "'imported') ORDER BY id DESC LIMIT 1",
    "refund_timeline.settled_state": "SELECT action, data FROM order_event WHERE order_id = ? AND action IN "
                                     "(?, ?, ?) ORDER BY id",
    "orders: the last cancel": "SELECT * FROM order_event WHERE order_id = ? AND after_status = 'cancelled' "
                               "ORDER BY id DESC LIMIT 1",
    "the cascade of a deleted order (foreign key)": "SELECT 1 FROM order_event WHERE order_id = ?",
    "state_check: the last status entry": "SELECT MAX(x.id) FROM order_event x WHERE x.order_id = ? "
                                          "AND x.after_status IS NOT NULL",
}


@pytest.mark.parametrize("name", list(BY_ORDER))
def test_one_orders_timeline_searches_the_order_id_id_index(shop: Desk, name: str) -> None:
    sql = BY_ORDER[name]
    params = (some_order_id(shop), *("approved", "auto_approved", "refund_sent")[:sql.count("?") - 1])
    steps = plan(shop, sql, params)
    assert searches(steps, TIMELINE, "order_id"), steps
    assert not any(s.startswith("SCAN") for s in steps), steps


def test_the_undo_trigger_finds_the_last_cancel_through_the_index(shop: Desk) -> None:
    # The body of report_cancels_undo, one order's entries before the new one (a trigger's own
    # statements do not show in a plan of the INSERT that fires it).
    trigger = next(sql for sql in report_tables.TRIGGERS if "report_cancels_undo" in sql)
    body = trigger.split("BEGIN", 1)[1].rsplit("END", 1)[0].strip().rstrip(";")
    order_id = some_order_id(shop)
    body = body.replace("NEW.order_id", str(order_id)).replace("NEW.id", "1000000000")
    steps = plan(shop, body)
    assert searches(steps, TIMELINE, "order_id"), steps


#: Look-ups by one product's id (services.products, services.code_import, the RESTRICT check).
BY_PRODUCT_SQL = {
    "products.backorders of one product": f"SELECT * FROM orders {products.BACKORDER_SQL} AND product_id = ? "
                                          "ORDER BY paid_at, id",
    "a product's orders, newest first": "SELECT id FROM orders WHERE product_id = ? ORDER BY created_at DESC, id DESC "
                                        "LIMIT 200",
    "deleting a product (foreign key RESTRICT)": "SELECT 1 FROM orders WHERE product_id = ?",
    "a product's sales": "SELECT COUNT(*), SUM(paid_fen) FROM orders WHERE product_id = ?",
    "store.search: the orders of a product named in the search": "SELECT id FROM orders WHERE product_id IN (?)",
}


@pytest.mark.parametrize("name", list(BY_PRODUCT_SQL))
def test_one_products_orders_search_the_composite_index(shop: Desk, name: str) -> None:
    product_id = int(shop.db.execute_sql("SELECT product_id FROM orders WHERE product_id IS NOT NULL "
                                         "LIMIT 1").fetchone()[0])
    steps = plan(shop, BY_PRODUCT_SQL[name], (product_id,))
    assert any(searches([s], index, "product_id") for s in steps
               for index in (BY_PRODUCT, "orders_backorder")), steps
    assert not any(s.startswith("SCAN") for s in steps), steps


def traced(desk: Desk, work: Callable[[], None]) -> list[str]:
    """Every statement ``work`` ran on the desk's connection, with its values written in."""
    seen: list[str] = []
    con = desk.db.connection()
    con.set_trace_callback(seen.append)
    try:
        work()
    finally:
        con.set_trace_callback(None)
    return [s for s in dict.fromkeys(seen) if not s.startswith("--")]


def a_days_work(desk: Desk) -> Callable[[], None]:
    """Orders opened, cancelled, refunded, restored, backorders filled, the check run."""
    p = product(desk, stock=9)
    nos = [order(desk, prod=p, paid_minutes_ago=n + 1) for n in range(4)]
    old = Order.select(Order.order_no).order_by(Order.id).limit(30)

    def work() -> None:
        for row in old:
            views.order_detail(desk, row.order_no)
        reqs.cancel_order(desk, nos[0], ReasonCode.MISTAKEN)
        reqs.cancel_order(desk, nos[1], ReasonCode.MISTAKEN)
        ops.restore(desk, nos[1])
        send_refunds(desk)
        for no in nos:
            detail = views.order_detail(desk, no)
            refund_guard.recorded_amount(desk.db.connection(), detail.id)
            refund_timeline.settled_state(desk.db.connection(), detail.id, "R-none")
        products.backorders(desk, p.name)
        views.search_matches(desk, p.name[2:5])  # part of a product's name: its orders
        fill_all_backorders(desk, Changes())
        assert check(desk).ok
    return work


def explained(desk: Desk, statements: list[str]) -> dict[str, list[str]]:
    out = {}
    for sql in statements:
        head = sql.lstrip().split(None, 1)[0].upper()
        if head in ("SELECT", "WITH", "UPDATE", "DELETE", "INSERT"):
            out[sql] = plan(desk, sql)
    return out


def test_every_statement_of_a_days_work_plans_as_well_as_with_the_old_indexes(shop: Desk) -> None:
    statements = traced(shop, a_days_work(shop))
    shop.db.execute_sql("ANALYZE")  # the same statistics for both plans, but for the old indexes' own
    now = explained(shop, statements)
    for sql in OLD_INDEXES.values():
        shop.db.execute_sql(sql)
    shop.db.execute_sql("ANALYZE")
    before = explained(shop, statements)
    successor = dict(schema18.RETIRED_WITH_SUCCESSOR)
    by_order = by_product = 0
    for sql, steps in now.items():
        scans = [s for s in steps if s.startswith("SCAN") and "INDEX" not in s]
        old_scans = [s for s in before[sql] if s.startswith("SCAN") and "INDEX" not in s]
        assert len(scans) <= len(old_scans), (sql, steps, before[sql])  # no new walk of a whole table
        for step in before[sql]:
            for name in schema18.RETIRED:
                if re.search(rf"INDEX {name} \(", step):
                    column = step.split("(", 1)[1].split("=", 1)[0]
                    assert searches(steps, successor[name], column), (sql, steps, before[sql])
        by_order += searches(steps, TIMELINE, "order_id")
        by_product += searches(steps, BY_PRODUCT, "product_id")
    # The day's work did look orders' timelines and a product's orders up (a search by its name).
    assert by_order >= 10 and by_product >= 1, (by_order, by_product)
