"""The order search's plans on a PostgreSQL server (``store.pg_search``), one selectivity class
at a time, on 20,000 orders ANALYZEd so the planner works from real statistics: what each
class probes, and the shape of the plan the server chooses for its first page (EXPLAIN).
Speed itself is measured by ``benchmarks/bench_search_pg.py``, not here."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from kashop_desktop.domain.clock import SHOP_TZ, to_epoch
from kashop_desktop.services import views
from kashop_desktop.services.bulk import insert_orders
from kashop_desktop.services.desk import Desk
from kashop_desktop.store import dated, dialect, pg_search, queries, search, server
from kashop_desktop.store.queries import OrderFilter
from tests.pgserver import PrivateCluster
from tests.services.helpers import product

ORDERS = 20_000
RESELLER = "13800067778"  # one buyer behind 5% of the orders (a reseller: the ~10,000 class at 1M)
REGULAR = "huleo99770@qq.com"  # 12 orders (the ~100 class)
#: The tabs and their share of the orders, as in a real shop (most orders end completed).
SHARES = [("completed", 80), ("cancelled", 10), ("refunded", 4), ("delivered", 3), ("partially_refunded", 2),
          ("paid", 1)]


def _status(i: int) -> str:
    slot = i % 100
    for status, share in SHARES:
        if slot < share:
            return status
        slot -= share
    raise AssertionError(slot)


def _buyer(i: int) -> str:
    if i % 20 == 3:
        return RESELLER
    if i % 1000 == 7:
        return REGULAR
    return f"shop{i}@{'qq' if i % 2 else 'foxmail'}.com" if i % 3 else f"139{i:08d}"


@pytest.fixture(scope="module")
def loaded(pg_cluster: PrivateCluster, pg_template: str, tmp_path_factory: pytest.TempPathFactory,
           ) -> Iterator[Desk]:
    """20,000 orders over two years (each order no carries its creation day, Beijing time), on a
    fresh server database, ANALYZEd; only read by the tests."""
    url = pg_cluster.new_database(template=pg_template)
    desk = Desk.open(tmp_path_factory.mktemp("data"), db_url=url)
    cards, topups = product(desk, "王者荣耀点券 680点", codes=0), product(desk, "中国移动话费 100元", "direct")
    start = to_epoch(desk.now()) - 2 * 365 * 86_400
    rows = []
    for i in range(ORDERS):
        created = start + i * (2 * 365 * 86_400 // ORDERS)
        prod = cards if i % 5 < 2 else topups
        rows.append({
            "order_no": f"KS{_day(created)}{i:07d}", "created_at": created, "product_id": prod.id,
            "product_name": prod.name, "product_type": prod.product_type, "list_fen": 68_00, "paid_fen": 68_00,
            "status": _status(i), "buyer": _buyer(i), "paid_at": created + 30, "channel": "alipay",
            "gateway_trade_no": f"2{i:027d}"})
    with desk.atomic():
        insert_orders(desk, rows)
    desk.db.execute_sql("VACUUM ANALYZE orders")
    try:
        yield desk
    finally:
        desk.close()
        pg_cluster.drop_database(url)


@pytest.fixture
def shop(loaded: Desk, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    monkeypatch.setattr(search, "CAP", 400)  # more than 400 matches: unselective here
    monkeypatch.setattr(search, "WINDOW_FROM", 100)
    monkeypatch.setattr(pg_search, "PROBE_MOST", 100)
    search.forget()
    yield loaded
    search.forget()


def _day(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, SHOP_TZ).strftime("%Y%m%d")


def page_plan(desk: Desk, flt: OrderFilter) -> str:
    """The server's plan for the filter's first page, as ``queries.page`` reads it."""
    source, params = queries._source(desk.db, flt)
    sql = f"SELECT {queries._COLUMNS}{source} ORDER BY o.created_at DESC, o.id DESC LIMIT 200"
    return "\n".join(str(r[0]) for r in desk.db.execute_sql("EXPLAIN " + sql, params))


def rows_plan(desk: Desk, ids: list[int]) -> str:
    sql = f"SELECT {queries._COLUMNS} FROM {queries.orders_of_ids(desk.db)}"
    return "\n".join(str(r[0]) for r in desk.db.execute_sql("EXPLAIN " + sql, (json.dumps(ids),)))


def test_one_match_and_a_regular_buyer_are_read_by_primary_key(shop: Desk) -> None:
    order_no = shop.db.execute_sql("SELECT order_no FROM orders ORDER BY id LIMIT 1 OFFSET 777").fetchone()[0]
    for text, field, n in ((order_no, "order_no", 1), (REGULAR, "buyer", ORDERS // 1000)):
        resolution = search.resolve(shop.db, text)
        assert resolution is not None and resolution.selective, text
        assert resolution.matches[field] == n  # probed: an exact count
        plan = rows_plan(shop, resolution.ids or [])
        assert "orders_pkey" in plan and "Seq Scan on orders" not in plan, plan
        if field == "buyer":  # its orders' list columns came with the probes: no second reading
            assert resolution.matched is not None and resolution.matched.loaded
        look = views.first_look(shop, OrderFilter(search=text), 200, lambda: False)
        assert look.count == n and len(look.rows) == n


def test_a_buyer_the_planner_expects_many_of_is_not_probed(shop: Desk) -> None:
    """The reseller's 1,000 orders: the trigram probe would read every one; the planner's
    estimate (from ANALYZE's most common values) says so, and the field counts as many."""
    resolution = search.resolve(shop.db, RESELLER)
    assert resolution is not None and not resolution.selective
    assert resolution.matches["buyer"] == resolution.cap + 1
    look = views.first_look(shop, OrderFilter(search=RESELLER), 200, lambda: False)
    assert look.count is None and len(look.rows) == 200  # counted later, as any unselective search
    assert {r.buyer for r in look.rows} == {RESELLER}


@pytest.mark.parametrize("text", [RESELLER, "qq.com", "KS"])
def test_an_unselective_search_walks_the_list_index_in_a_big_tab(shop: Desk, text: str) -> None:
    for status in (None, "completed"):
        plan = page_plan(shop, OrderFilter(status=status, search=text))
        assert ("Index Scan Backward using orders_created_at_id" in plan
                or "Index Scan Backward using orders_status_created_at_id" in plan), plan
        assert "Sort" not in plan and "Bitmap" not in plan, plan  # no match set built, no sort: a walk


def test_a_busy_buyer_in_a_small_tab_intersects_the_indexes(shop: Desk) -> None:
    """A walk of 待发货 would read the whole tab for its few matches: the planner ANDs the
    tab's bitmap with the trigram index's instead (the row test is indexable on a server)."""
    plan = page_plan(shop, OrderFilter(status="paid", search=RESELLER))
    assert "BitmapAnd" in plan and "orders_buyer_trgm" in plan, plan


def test_a_dated_prefix_is_counted_on_its_index_and_read_in_its_window(shop: Desk) -> None:
    year = _day(to_epoch(shop.now()) - 200 * 86_400)[:4]
    text = f"KS{year}"
    resolution = search.resolve(shop.db, text)
    assert resolution is not None and resolution.window == dated.window(text)
    assert resolution.matches["order_no"] > search.WINDOW_FROM
    probe = "\n".join(str(r[0]) for r in shop.db.execute_sql(
        f"EXPLAIN SELECT id FROM orders WHERE order_no >= ? AND order_no < ? AND {dated.undated_where(shop.db)}",
        (text, text + "\uffff")))
    assert "orders_no_undated" in probe, probe  # the partial index, not every order of the year
    plan = page_plan(shop, OrderFilter(status="cancelled", search=text))
    assert "created_at >=" in plan and "Seq Scan" not in plan, plan  # inside the window, from an index
    expected = [r[0] for r in shop.db.execute_sql(
        "SELECT id FROM orders WHERE order_no >= ? AND order_no < ? AND status = 'cancelled' "
        "ORDER BY created_at DESC, id DESC LIMIT 50", (text, text + "\uffff"))]
    assert [r.id for r in views.order_page(shop, OrderFilter(status="cancelled", search=text), 50)] == expected


def test_text_without_trigrams_is_not_probed_on_a_big_table(shop: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    """Chinese in a C-locale database has no trigrams: the probe would scan every order."""
    monkeypatch.setattr(pg_search, "SCAN_MOST", 10)  # 20,000 orders stand for a million here
    resolution = search.resolve(shop.db, "王者荣耀")
    assert resolution is not None and resolution.matches["buyer"] == resolution.cap + 1
    assert resolution.matches["product"] == resolution.cap + 1
    found = views.order_page(shop, OrderFilter(search="王者荣耀"), 20)
    assert len(found) == 20 and all(r.product.startswith("王者荣耀") for r in found)


@pytest.mark.parametrize("text", [RESELLER, "qq.com", REGULAR, "KS2", "王者荣耀"])
def test_every_plan_finds_what_a_plain_evaluation_finds(shop: Desk, text: str) -> None:
    like = f"%{text}%"
    for status in (None, "paid", "completed"):
        flt = OrderFilter(status=status, search=text)
        where = "(buyer ILIKE ? OR buyer_key ILIKE ? OR order_no LIKE ? OR product_name LIKE ?)"
        params: list[Any] = [like, like, text + "%", like]
        if status:
            where += " AND status = ?"
            params.append(status)
        expected = [r[0] for r in shop.db.execute_sql(
            f"SELECT id FROM orders WHERE {where} ORDER BY created_at DESC, id DESC LIMIT 60", params)]
        assert [r.id for r in views.order_page(shop, flt, 60)] == expected, (text, status)


def test_desk_connections_plan_each_statement_for_its_values(shop: Desk, pg_cluster: PrivateCluster) -> None:
    """A generic plan (psycopg prepares a statement run five times) would serve every tab and
    prefix with one plan; JIT compiling costs a look more than it saves."""
    assert shop.db.execute_sql("SHOW plan_cache_mode").fetchone()[0] == "force_custom_plan"
    assert shop.db.execute_sql("SHOW jit").fetchone()[0] == "off"
    url = pg_cluster.url() + "?options=-c%20work_mem%3D8MB"  # the URL's own options are kept
    db = server.ServerDatabase(url)  # not bound to the models: the shop's desk stays theirs
    db.connect()
    try:
        assert db.execute_sql("SHOW work_mem").fetchone()[0] == "8MB"
        assert db.execute_sql("SHOW plan_cache_mode").fetchone()[0] == "force_custom_plan"
    finally:
        db.close()


def test_a_look_reads_the_change_mark_once(shop: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its page, count and matches each resolve the search; on a server each reading of the
    store's change mark is a round trip."""
    calls = []
    real = dialect.change_mark
    monkeypatch.setattr(dialect, "change_mark", lambda con: calls.append(1) or real(con))
    look = views.first_look(shop, OrderFilter(search=REGULAR), 200, lambda: False)
    assert look.count == ORDERS // 1000 and len(calls) == 1


def test_a_superseded_read_stops_on_the_server(shop: Desk) -> None:
    """The window's worker runs one read at a time: a count the window no longer wants must
    stop at once, not hold the next look behind it (a count of a million orders: 0.4-1.3 s)."""
    asked = []

    def cancelled() -> bool:  # wanted when it starts, superseded from the watcher's first look on
        asked.append(1)
        return len(asked) > 1

    started = time.monotonic()
    with pytest.raises(queries.Interrupted):
        queries.interruptible(shop.db, cancelled, lambda: shop.db.execute_sql("SELECT pg_sleep(30)").fetchall())
    assert time.monotonic() - started < 10
    assert views.count_orders(shop, OrderFilter(search=REGULAR)) == ORDERS // 1000  # the connection goes on
    assert queries.interruptible(shop.db, lambda: False, views.status_counts, shop)["all"] == ORDERS


def test_a_cancel_that_reaches_the_server_before_the_read_is_sent_again(shop: Desk) -> None:
    """A loaded machine sends the read's statement late: a cancel request that finds the session
    still idle is ignored by the server, so the request is sent again while the read runs."""
    def late_read() -> Any:
        time.sleep(0.3)  # the watcher's cancel goes out now, before the statement
        return shop.db.execute_sql("SELECT pg_sleep(30)").fetchall()

    started = time.monotonic()
    with pytest.raises(queries.Interrupted):
        queries.interruptible(shop.db, lambda: time.monotonic() - started > 0.05, late_read)
    assert time.monotonic() - started < 10
    assert views.count_orders(shop, OrderFilter(search=REGULAR)) == ORDERS // 1000  # the connection goes on
