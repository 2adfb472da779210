"""The order list never waits for SQL that can be slow: filters, searches, counts and jumps
are read on the database worker, a newer request stops the older one's statement, and the
list shows the first page and then the count."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from kashop_desktop.domain.clock import SHOP_TZ
from kashop_desktop.services import datagen, views
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.views import OrderFilter
from kashop_desktop.store import search
from tests.gui.test_dialogs import desk_context, qasync_loop

pytestmark = pytest.mark.gui

_aloop = pytest.fixture(qasync_loop, name="aloop")
_ctx = pytest.fixture(desk_context, name="ctx")

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=SHOP_TZ)
#: What the GUI thread may still read: the kept tab counts, in-flight refunds, rows by primary
#: key (a slice of the id list, rows an operation changed), and one order's detail.
ALLOWED = re.compile(r"FROM status_count|FROM refund WHERE state IN|FROM orders WHERE id IN \(|"
                     r'FROM "\w+" AS "t1" WHERE \("t1"\."(id|order_id)" = \?\)|FROM "gateway_account"|'
                     r"^PRAGMA|^BEGIN|^COMMIT|^SAVEPOINT|^RELEASE|^ROLLBACK")


@pytest.fixture
def shop(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    datagen.load(desk, 3000, seed=11, now=NOW, events=False)
    monkeypatch.setattr(search, "CAP", 40)  # so that this small shop has unselective searches too
    search.forget()
    yield desk
    search.forget()


@pytest.fixture
def page(qtbot: Any, ctx: Any, shop: Desk) -> Any:
    from kashop_desktop.gui.orders_page import OrdersPage

    widget = OrdersPage(ctx)
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    widget.show()
    return widget


class Trace:
    """Statements run on this (the GUI) thread's connection while ``on`` (the test's own checks
    run with it off)."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.on = True

    def __call__(self, sql: str) -> None:
        if self.on:
            self.seen.append(sql)


@pytest.fixture
def gui_sql(shop: Desk) -> Iterator[Trace]:
    trace = Trace()
    con = shop.db.connection()
    con.set_trace_callback(trace)
    yield trace
    con.set_trace_callback(None)


def test_tabs_searches_counts_and_jumps_read_on_the_worker(qtbot: Any, page: Any, shop: Desk,
                                                          gui_sql: Trace) -> None:
    from kashop_desktop.gui.orders_page import TAB_STATUSES

    model = page.model
    busy = shop.db.execute_sql("SELECT buyer FROM orders GROUP BY buyer ORDER BY COUNT(*) DESC").fetchone()[0]
    gui_sql.seen.clear()
    for text in ("KS2026", busy, "@qq.com", "0000042", ""):  # unselective and selective, then none
        for status in (None, "completed", "refunded"):
            with qtbot.waitSignal(model.filter_applied, timeout=5000):
                page.tabs.setCurrentIndex(TAB_STATUSES.index(status))
                page.search.setText(text)
                page.apply_filter()
            qtbot.waitUntil(lambda: not model.counting, timeout=5000)
            flt = model.order_filter
            assert (flt.search, flt.status) == (text, status)
            gui_sql.on = False
            total = views.count_orders(shop, flt)
            gui_sql.on = True
            assert model.rowCount() == total
            if total > 2 * model.PAGE_SIZE:  # a jump before the id list is there
                far = total - 5
                assert model.row_at(far) is None  # not read here: asked of the worker
                qtbot.waitUntil(lambda far=far: model.row_at(far) is not None, timeout=5000)
                gui_sql.on = False
                expected = views.order_ids(shop, flt, 1, offset=far)
                gui_sql.on = True
                assert model.row_at(far).id == expected[0]
    slow = [sql for sql in gui_sql.seen if not ALLOWED.search(sql.strip())]
    assert slow == []


def test_the_list_shows_the_first_page_then_the_count(qtbot: Any, page: Any, shop: Desk) -> None:
    model = page.model
    shown: list[tuple[int, bool, str]] = []
    model.count_changed.connect(lambda: shown.append((model.rowCount(), model.counting, page.count_label.text())))
    with qtbot.waitSignal(model.filter_applied, timeout=5000):
        page.search.setText("KS2026")  # unselective here: counted after the first page is shown
        page.apply_filter()
    qtbot.waitUntil(lambda: not model.counting, timeout=5000)
    total = views.count_orders(shop, model.order_filter)
    assert total > model.PAGE_SIZE
    assert shown[0] == (model.PAGE_SIZE, True, f"共 {model.PAGE_SIZE}+ 条，计数中…")
    assert shown[-1] == (total, False, f"共 {total:,} 条")
    assert page.search_kind.text() == "匹配：订单号"  # more than the cap: no count, the list counts


def test_a_newer_request_stops_the_older_read(qtbot: Any, page: Any, shop: Desk, monkeypatch: Any) -> None:
    model = page.model
    entered = threading.Event()
    stopped: list[bool] = []
    real = views.first_look

    def slow(desk: Desk, flt: OrderFilter, limit: int, cancelled: Any) -> Any:
        if flt.search == "old":
            entered.set()
            qtbot_wait = threading.Event()
            while not cancelled():  # a long statement, until it is told to stop
                qtbot_wait.wait(0.005)
            stopped.append(True)
            raise views.QueryCancelled
        return real(desk, flt, limit, cancelled)

    monkeypatch.setattr(views, "first_look", slow)
    applied: list[str] = []
    model.filter_applied.connect(lambda: applied.append(model.order_filter.search))
    model.request_filter(OrderFilter(search="old"))
    qtbot.waitUntil(entered.is_set, timeout=5000)
    with qtbot.waitSignal(model.filter_applied, timeout=5000):
        model.request_filter(OrderFilter(search="KS2026"))
    assert stopped == [True] and applied == ["KS2026"]


def test_a_statement_is_interrupted_part_way(shop: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    from kashop_desktop.store import queries

    # A small store's count is over within the steps a big one's look waits: look more often here.
    monkeypatch.setattr(queries, "PROGRESS_STEPS", 1_000)
    calls = []

    def cancelled() -> bool:
        calls.append(1)
        return len(calls) > 3  # wanted at first, then no longer

    flt = OrderFilter(search="@qq.com")  # unselective: the count walks every order
    with pytest.raises(views.QueryCancelled):
        views.count_orders_cancellable(shop, flt, cancelled)
    assert views.count_orders_cancellable(shop, flt, lambda: False) == views.count_orders(shop, flt)
    shop.db.execute_sql("SELECT COUNT(*) FROM orders").fetchone()  # the connection is still usable


def test_typing_dates_and_jumping_to_an_order_read_nothing_slow_here(qtbot: Any, page: Any, shop: Desk,
                                                                      gui_sql: Trace) -> None:
    from kashop_desktop.gui.orders_page import TAB_STATUSES

    model = page.model
    phone = shop.db.execute_sql("SELECT buyer FROM orders WHERE buyer GLOB '1[3-9][0-9]*' GROUP BY buyer "
                                "ORDER BY COUNT(*) DESC").fetchone()[0]
    deep = shop.db.execute_sql("SELECT id FROM orders ORDER BY created_at, id LIMIT 1").fetchone()[0]
    gui_sql.seen.clear()
    page.tabs.setCurrentIndex(TAB_STATUSES.index("completed"))
    for i in range(1, len(phone) + 1):  # every keystroke's search, as the debounce lets each through
        page.search.setText(phone[:i])
        page.apply_filter()
    qtbot.waitUntil(lambda: model.order_filter.search == phone and not model.counting, timeout=5000)
    with qtbot.waitSignal(model.filter_applied, timeout=5000):
        page.date_check.setChecked(True)  # a date range on top of the search
    qtbot.waitUntil(lambda: not model.counting, timeout=5000)
    with qtbot.waitSignal(model.filter_applied, timeout=5000):
        page.search.clear()
        page.date_check.setChecked(False)
        page.tabs.setCurrentIndex(0)
    assert page.select_order(deep) is False  # the oldest order: not read yet, so the worker finds it
    qtbot.waitUntil(lambda: page.current_row() is not None and page.current_row().id == deep, timeout=5000)
    assert page.view.currentIndex().row() == model.rowCount() - 1
    slow = [sql for sql in gui_sql.seen if not ALLOWED.search(sql.strip())]
    assert slow == []
