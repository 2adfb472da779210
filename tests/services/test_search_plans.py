"""The order search is planned from its size: plan shapes (EXPLAIN QUERY PLAN), results equal
to a plain evaluation in every tab and date range, order-no tails, what a search matched, and
the realistic data generator the benchmarks and the big demo use."""

from __future__ import annotations

import collections
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from kashop_desktop.domain.clock import SHOP_TZ, to_epoch
from kashop_desktop.domain.contacts import clean, search_forms
from kashop_desktop.services import datagen, views
from kashop_desktop.services.desk import Desk
from kashop_desktop.store import dated, queries, search
from kashop_desktop.store.queries import REFUNDING, OrderFilter

from .helpers import order

pytestmark = pytest.mark.sqlite_only(reason="SQLite by nature: SQLite's query plans (EXPLAIN QUERY PLAN) on the big demo loaded by its SQLite bulk path; searching itself runs on both stores (test_buyer_contacts, test_store_and_import)")

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=SHOP_TZ)
TABS = [None, "pending_payment", "paid", "delivered", "completed", "cancelled", "refunded", "partially_refunded"]


@pytest.fixture
def shop(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    """4,000 generated orders; searches over 60 matches count as unselective here."""
    datagen.load(desk, 4000, seed=3, now=NOW, events=False)
    desk.db.execute_sql("ANALYZE")
    monkeypatch.setattr(search, "CAP", 60)
    search.forget()
    yield desk
    search.forget()


def plan(desk: Desk, flt: OrderFilter) -> list[str]:
    source, params = queries._source(desk.db, flt)
    sql = f"SELECT o.id{source} ORDER BY o.created_at DESC, o.id DESC LIMIT 200"
    return [str(r[-1]) for r in desk.db.execute_sql("EXPLAIN QUERY PLAN " + sql, params)]


def one_order_buyer(desk: Desk) -> str:
    return str(desk.db.execute_sql("SELECT buyer FROM orders GROUP BY buyer HAVING COUNT(*) = 1 "
                                   "AND buyer GLOB '1[3-9]*' AND length(buyer) = 11 LIMIT 1").fetchone()[0])


@pytest.mark.parametrize("status", TABS)
def test_a_selective_search_starts_from_its_ids_in_every_tab(shop: Desk, status: str | None) -> None:
    phone = one_order_buyer(shop)
    trade_no = shop.db.execute_sql("SELECT gateway_trade_no FROM orders WHERE gateway_trade_no IS NOT NULL "
                                   "LIMIT 1 OFFSET 77").fetchone()[0]
    for text in (phone, phone[-7:], trade_no):
        assert search.resolve(shop.db, text).selective  # type: ignore[union-attr]
        steps = plan(shop, OrderFilter(status=status, search=text, date_from=to_epoch(NOW) - 400 * 86400))
        assert steps[0].startswith("SCAN s VIRTUAL TABLE"), steps  # the matched ids drive the query
        assert steps[1] == "SEARCH o USING INTEGER PRIMARY KEY (rowid=?)", steps
        assert not any("orders_status" in s or "orders_created" in s for s in steps), steps


@pytest.mark.parametrize("status", TABS)
def test_an_unselective_search_walks_the_tab_index_in_list_order(shop: Desk, status: str | None) -> None:
    for text in ("KS", "@qq.com", "王者荣耀"):  # "KS" names no date: no window
        resolution = search.resolve(shop.db, text)
        assert resolution is not None and not resolution.selective and resolution.window is None
        steps = plan(shop, OrderFilter(status=status, search=text))
        index = "orders_status_created_at_id (status=?)" if status else "orders_created_at_id"
        assert len(steps) == 1 and steps[0].endswith(index), steps  # no sort, no materialised subquery


@pytest.mark.parametrize("status", TABS)
def test_an_order_no_prefix_that_matches_many_walks_its_date_window(shop: Desk, monkeypatch: pytest.MonkeyPatch,
                                                                     status: str | None) -> None:
    monkeypatch.setattr(search, "WINDOW_FROM", 30)
    for text in ("KS2025", "KS202503", "ks2026"):
        resolution = search.resolve(shop.db, text)
        assert resolution is not None and resolution.window == dated.window(text.upper()), text
        steps = plan(shop, OrderFilter(status=status, search=text))
        index = ("orders_status_created_at_id (status=? AND created_at>? AND created_at<?)" if status
                 else "orders_created_at_id (created_at>? AND created_at<?)")
        assert len(steps) == 1 and steps[0].endswith(index), steps  # inside the window, in list order


def test_a_dated_search_finds_what_its_window_cannot_see(shop: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "WINDOW_FROM", 30)
    late = to_epoch(NOW) - 3 * 86400
    order(shop, "completed", order_no="KS20250301A0001", created_at=late)  # its no says March 2025
    order(shop, "cancelled", order_no="KS2025-IMPORT-7", created_at=late - 86400)  # no date where it goes
    order(shop, "completed", buyer="ks2025fan@qq.com", created_at=late - 400 * 86400)  # the buyer field
    undated = [r[0] for r in shop.db.execute_sql(f"SELECT order_no FROM orders WHERE {dated.UNDATED_WHERE}")]
    helpers = {r[0] for r in shop.db.execute_sql("SELECT order_no FROM orders WHERE order_no GLOB 'KST*'")}
    assert set(undated) == {"KS2025-IMPORT-7", "KS20250301A0001", *helpers}  # the generated ones are all dated
    ranges = [(None, None), (to_epoch(NOW) - 200 * 86400, to_epoch(NOW) - 30 * 86400)]
    for text in ("KS2025", "KS202503", "KS2025030", "KS2026", "KS2025-"):
        resolution = search.resolve(shop.db, text)
        assert resolution is not None
        for status in [*TABS, REFUNDING]:
            for date_from, date_to in ranges:
                flt = OrderFilter(status=status, search=text, date_from=date_from, date_to=date_to)
                expected = naive(shop, flt)
                assert views.order_id_list(shop, flt).tolist() == expected, (text, flt)  # type: ignore[union-attr]
                assert views.count_orders(shop, flt) == len(expected)
                assert [r.id for r in views.order_page(shop, flt, 25)] == expected[:25]
    resolution = search.resolve(shop.db, "KS2025")
    assert resolution is not None and resolution.window == dated.window("KS2025")  # not widened to them:
    late_ids = {r[0] for r in shop.db.execute_sql("SELECT id FROM orders WHERE order_no IN "
                                                  "('KS20250301A0001', 'KS2025-IMPORT-7')")}
    assert late_ids <= set(resolution.outside)  # they are read by primary key beside the window's walk
    assert "MERGE (UNION ALL)" in page_plan(shop, OrderFilter(status="completed", search="KS2025"))


def page_plan(desk: Desk, flt: OrderFilter) -> list[str]:
    """The plan of a page as ``queries.page`` reads it (its columns hold the sort key)."""
    source, params = queries._source(desk.db, flt)
    sql = f"SELECT {queries._COLUMNS}{source} ORDER BY o.created_at DESC, o.id DESC LIMIT 200"
    return [str(r[-1]) for r in desk.db.execute_sql("EXPLAIN QUERY PLAN " + sql, params)]


@pytest.mark.parametrize("status", [None, "completed", "cancelled", REFUNDING])
def test_a_year_of_trade_nos_walks_its_window_and_lists_newer_matches_beside_it(
        shop: Desk, status: str | None) -> None:
    """``2025`` (Alipay's and 易支付's trade nos start with their day): the trade nos of a year
    lie in orders created up to its end; the few newer orders another field matched (a buyer
    whose e-mail holds 2025) are read by primary key and merged in, not reached by walking
    every newer order (0.46 s on a million before)."""
    recent = to_epoch(NOW) - 5 * 86400
    for i in range(3):
        order(shop, "completed" if i else "cancelled", buyer=f"fan2025.{i}@qq.com", created_at=recent - i * 3600,
              gateway_trade_no=f"4200{i:010d}")
    search.forget()
    resolution = search.resolve(shop.db, "2025")
    assert resolution is not None and resolution.matches["trade_no"] > 60 and not resolution.selective
    fans = {r[0] for r in shop.db.execute_sql("SELECT id FROM orders WHERE buyer GLOB 'fan2025.*'")}
    assert resolution.window is not None and resolution.window[1] < recent and fans <= set(resolution.outside)
    steps = page_plan(shop, OrderFilter(status=status, search="2025"))
    assert steps[0] == "MERGE (UNION ALL)", steps  # both arms in list order, merged: no sort of every match
    walk = [s for s in steps if s.startswith("SEARCH o USING INDEX orders_")]
    assert walk and walk[0].endswith("created_at>? AND created_at<?)"), steps  # the year's window only
    assert "SEARCH o USING INTEGER PRIMARY KEY (rowid=?)" in steps and "USE TEMP B-TREE FOR ORDER BY" in steps
    ranges = [(None, None), (recent - 86400, None), (None, to_epoch(NOW) - 300 * 86400)]
    for date_from, date_to in ranges:
        flt = OrderFilter(status=status, search="2025", date_from=date_from, date_to=date_to)
        expected = naive(shop, flt)
        assert [r[0] for r in queries.first_page(shop.db, flt, 25)] == expected[:25], flt
        assert views.order_id_list(shop, flt).tolist() == expected, flt  # type: ignore[union-attr]
        assert views.count_orders(shop, flt) == len(expected)
        first = views.order_page(shop, flt, 25)
        if len(first) == 25:
            after = views.order_page(shop, flt, 25, after=views.keyset_of(first[-1], flt))
            assert [r.id for r in after] == expected[25:50]
        if expected:
            assert views.position_of(shop, flt, expected[-1]) == len(expected) - 1


@pytest.mark.parametrize(("prefix", "first", "last"), [
    ("KS2024", "2024-01-01", "2024-12-31"), ("KS20241", "2024-10-01", "2024-12-31"),
    ("KS202410", "2024-10-01", "2024-10-31"), ("KS2024103", "2024-10-30", "2024-10-31"),
    ("KS2024022", "2024-02-20", "2024-02-29"), ("KS20241031000123", "2024-10-31", "2024-10-31"),
    ("E2024", "2024-01-01", "2024-12-31"), ("2025", "2025-01-01", "2025-12-31"),
])
def test_an_order_no_prefix_names_the_days_it_can_be_from(prefix: str, first: str, last: str) -> None:
    start, end = dated.window(prefix)  # type: ignore[misc]
    assert datetime.fromtimestamp(start, SHOP_TZ).strftime("%Y-%m-%d %H:%M") == f"{first} 00:00"
    assert datetime.fromtimestamp(end - 1, SHOP_TZ).strftime("%Y-%m-%d %H:%M") == f"{last} 23:59"


def test_a_prefix_without_a_date_has_no_window() -> None:
    assert dated.window("KS") is None
    for impossible in ("KS202413", "KS20240230", "KS2024-", "KS-1", "KS0000"):
        assert dated.window(impossible) == dated.EMPTY, impossible


def test_a_selective_search_reads_its_orders_by_primary_key_only(shop: Desk) -> None:
    phone = one_order_buyer(shop)
    busy = shop.db.execute_sql("SELECT buyer FROM orders GROUP BY buyer HAVING COUNT(*) BETWEEN 10 AND 60 "
                               "ORDER BY COUNT(*) DESC").fetchone()[0]
    seen: list[str] = []
    con = shop.db.connection()
    for text in (phone, busy):
        search.forget()
        for status in [None, "completed", REFUNDING]:
            flt = OrderFilter(status=status, search=text, date_from=to_epoch(NOW) - 900 * 86400)
            con.set_trace_callback(seen.append)
            try:
                first = views.order_page(shop, flt, 5)
                views.count_orders(shop, flt)
                if first:
                    views.order_page(shop, flt, 5, after=views.keyset_of(first[-1], flt))
                    views.position_of(shop, flt, first[-1].id)
                views.order_ids(shop, flt, 5, offset=3, from_end=True)
            finally:
                con.set_trace_callback(None)
    reads = [sql for sql in seen if sql.lstrip().upper().startswith("SELECT")]
    assert any("orders_fts" in sql for sql in reads)
    for sql in reads:
        for step in (str(r[-1]) for r in shop.db.execute_sql("EXPLAIN QUERY PLAN " + sql)):
            assert step.startswith(("SEARCH o USING INTEGER PRIMARY KEY", "SCAN s VIRTUAL TABLE",
                                    "SCAN orders_fts VIRTUAL TABLE", "SEARCH orders USING", "SEARCH refund USING",
                                    "SCAN status_count", "SEARCH product", "SCAN product",
                                    # FTS5 reading its own settings (a few rows) once per connection
                                    # after a bulk load set them (store.bulkload's term table size)
                                    "SCAN main.orders_fts_config",
                                        # a case-blind trade-no prefix: one indexed range per spelling
                                        "COMPOUND QUERY", "LEFT-MOST SUBQUERY", "UNION ALL")), (sql, step)
            assert "orders_status" not in step and "orders_created" not in step, (sql, step)


@pytest.mark.parametrize("status", ["completed", None])
def test_a_busy_buyers_first_page_is_a_bounded_walk_of_the_tab_index(shop: Desk, monkeypatch: pytest.MonkeyPatch,
                                                                     status: str | None) -> None:
    monkeypatch.setattr(queries, "WALK_FROM", 5)
    monkeypatch.setattr(search, "CAP", 1000)  # the busiest buyer is selective here
    search.forget()
    busy = shop.db.execute_sql("SELECT buyer FROM orders GROUP BY buyer ORDER BY COUNT(*) DESC").fetchone()[0]
    flt = OrderFilter(status=status, search=busy)
    resolution = search.resolve(shop.db, busy)
    assert resolution is not None and resolution.matched is not None and not resolution.matched.loaded
    seen: list[str] = []
    shop.db.connection().set_trace_callback(seen.append)
    try:
        rows = queries.first_page(shop.db, flt, 10)
    finally:
        shop.db.connection().set_trace_callback(None)
    assert len(rows) == 10 and not resolution.matched.loaded  # no match was read by primary key for it
    walk = next(sql for sql in seen if "json_each" in sql and "LIMIT" in sql)
    steps = [str(r[-1]) for r in shop.db.execute_sql("EXPLAIN QUERY PLAN " + walk)]
    index = "orders_status_created_at_id (status=?)" if status else "orders_created_at_id"
    assert any(step.endswith(f"COVERING INDEX {index}") for step in steps), steps  # index entries only
    assert not any("TEMP B-TREE" in step for step in steps), steps
    assert [r[0] for r in rows] == views.order_ids(shop, flt, 10)


def naive(desk: Desk, flt: OrderFilter) -> list[int]:
    """The list by hand: every order tested in Python (what the plans must agree with)."""
    q = clean(flt.search)
    upper = q.upper()
    forms = [f.lower() for f in search_forms(q) if len(f) >= 3]
    products = {r[0] for r in desk.db.execute_sql("SELECT id FROM product WHERE instr(name, ?) > 0", (q,))}
    refunding = {r[0] for r in desk.db.execute_sql("SELECT order_id FROM refund WHERE state IN "
                                                   "('queued', 'sending', 'unknown', 'failed')")}
    kind = search.classify_search(q) if q else ""
    out = []
    for oid, no, created, status, buyer, key, trade, pid, ptype in desk.db.execute_sql(
            "SELECT id, order_no, created_at, status, buyer, buyer_key, gateway_trade_no, product_id, product_type "
            "FROM orders ORDER BY created_at DESC, id DESC"):
        if (flt.status == REFUNDING and oid not in refunding) or (flt.status not in (None, REFUNDING) and status != flt.status):
            continue
        if (flt.date_from is not None and created < flt.date_from) or (flt.date_to is not None and created >= flt.date_to):
            continue
        if flt.product_type and ptype != flt.product_type:
            continue
        if q and not (no.startswith(upper)
                      or (re.fullmatch(r"[0-9A-Za-z]{4,20}", q) and not upper.startswith("KS") and no.endswith(upper))
                      or (kind in ("trade_no", "order_no", "qq", "text") and trade is not None
                          and (trade == q or (len(q) >= search.MIN_TAIL and trade.upper().startswith(upper))))
                      or (kind != "trade_no" and any(f in buyer.lower() or f in key.lower() for f in forms))
                      or (kind == "text" and pid in products)):
            continue
        out.append(oid)
    return out


def test_every_plan_returns_what_a_plain_evaluation_returns(shop: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    phone = one_order_buyer(shop)
    tail = shop.db.execute_sql("SELECT order_no FROM orders LIMIT 1 OFFSET 1234").fetchone()[0][-7:]
    busy = shop.db.execute_sql("SELECT buyer FROM orders GROUP BY buyer ORDER BY COUNT(*) DESC").fetchone()[0]
    spelled = f"+86 {phone[:3]} {phone[3:7]} {phone[7:]}"  # the same number as another owner types it
    alipay = shop.db.execute_sql("SELECT MIN(gateway_trade_no) FROM orders WHERE gateway_trade_no GLOB '20[0-9][0-9]*' "
                                 "GROUP BY substr(gateway_trade_no, 1, 6) ORDER BY COUNT(*) DESC").fetchone()[0]
    terms = [phone, spelled, phone[3:9], tail, busy, "KS2026", "KS20261", "@qq.com", "王者", "qq:1", "zzzz",
             alipay[:6], alipay[:10], "4200"]  # all-digit trade-no prefixes: a month (trade-dated), a day, WeChat's
    search.forget()
    month = search.resolve(shop.db, alipay[:6])
    assert month is not None and month.matches["trade_no"] > 60 and not month.selective and month.window is not None
    ranges = [(None, None), (to_epoch(NOW) - 200 * 86400, to_epoch(NOW) - 30 * 86400)]
    monkeypatch.setattr(queries, "WALK_FROM", 5)  # a first page by walking the tab for more than 5 matches,
    monkeypatch.setattr(queries, "WALK_BUDGET", 300)  # which gives up in a tab of more than 300 orders
    for cap in (60, 100_000):  # every search unselective where it can be, then every one selective
        monkeypatch.setattr(search, "CAP", cap)
        search.forget()
        for text in terms:
            for status in [*TABS, REFUNDING]:
                for date_from, date_to in ranges:
                    flt = OrderFilter(status=status, search=text, date_from=date_from, date_to=date_to)
                    expected = naive(shop, flt)
                    search.forget()  # the first look comes before the matches are in memory
                    assert [r[0] for r in queries.first_page(shop.db, flt, 25)] == expected[:25], (cap, flt)
                    assert views.order_id_list(shop, flt).tolist() == expected, (cap, flt)  # type: ignore[union-attr]
                    assert views.count_orders(shop, flt) == len(expected)
                    first = views.order_page(shop, flt, 25)
                    assert [r.id for r in first] == expected[:25]
                    if len(first) == 25:
                        after = views.order_page(shop, flt, 25, after=views.keyset_of(first[-1], flt))
                        assert [r.id for r in after] == expected[25:50]
                    if expected:
                        assert views.position_of(shop, flt, expected[-1]) == len(expected) - 1


def test_an_order_no_is_found_by_its_tail_as_buyers_quote_it(desk: Desk) -> None:
    order(desk, buyer="13911112222")
    no = desk.db.execute_sql("SELECT order_no FROM orders").fetchone()[0]
    datagen.load(desk, 300, seed=5, now=NOW, events=False)
    generated = desk.db.execute_sql("SELECT id, order_no FROM orders WHERE order_no GLOB 'KS2*' LIMIT 1 OFFSET 150")
    oid, quoted = generated.fetchone()
    tail = quoted[-7:]  # "0000151": the sequence, as on the buyer's receipt
    assert search.classify_search(tail) == "qq"  # it looks like a QQ number, and is searched as one too
    assert [r.id for r in views.order_page(desk, OrderFilter(search=tail), 10)] == [oid]
    assert views.search_matches(desk, tail) == {"order_tail": 1}
    assert views.order_page(desk, OrderFilter(search=no[-8:]), 10)[0].order_no == no
    steps = [str(r[-1]) for r in desk.db.execute_sql(
        "EXPLAIN QUERY PLAN SELECT id FROM orders WHERE substr(order_no, -6) = ? AND substr(order_no, -?) = ?",
        (tail[-6:], 7, tail))]
    assert steps == ["SEARCH orders USING INDEX orders_no_tail (<expr>=?)"]


def test_search_matches_say_which_field_matched(desk: Desk) -> None:
    order(desk, buyer="13980001234")
    no = desk.db.execute_sql("SELECT order_no FROM orders").fetchone()[0]
    assert views.search_matches(desk, "8000") == {"buyer": 1}  # a phone substring, not an order no
    assert views.search_matches(desk, no[:6]) == {"order_no": 1}
    assert views.search_matches(desk, "") == {}


def test_a_cached_resolution_sees_new_orders(desk: Desk) -> None:
    order(desk, buyer="alice@example.com")
    flt = OrderFilter(search="alice@")
    assert views.count_orders(desk, flt) == 1
    order(desk, buyer="alice@example.com")
    assert views.count_orders(desk, flt) == 2


# ---- the generator ------------------------------------------------------------------------------

def generated(desk: Desk, n: int, seed: int = 7) -> list[dict[str, Any]]:
    products = datagen.shop_products(desk)
    return list(datagen.orders(n, seed=seed, now=NOW, products=products, gateways={"sandbox": 1, "wallet": 2}))


def test_the_generator_is_deterministic_and_never_in_the_future(desk: Desk) -> None:
    rows = generated(desk, 20_000)
    assert rows == generated(desk, 20_000)
    assert rows != generated(desk, 20_000, seed=8)
    now = to_epoch(NOW)
    for row in rows:
        times = [row.get(k) for k in ("created_at", "paid_at", "delivered_at", "completed_at", "cancelled_at")]
        assert all(t is None or t <= now for t in times), row
        assert row["updated_at"] <= now
        if row["product_type"] == "card_code" and row["status"] in ("delivered", "completed"):
            assert row["card_code"] and len(row["card_code"].splitlines()) == row["quantity"]
        if row["status"] == "pending_payment":
            assert now - row["created_at"] < datagen.PAYMENT_WINDOW_S
    assert len({r["order_no"] for r in rows}) == len(rows)
    years = {datetime.fromtimestamp(r["created_at"], SHOP_TZ).year for r in rows}
    assert len(years) >= 3


def test_the_generator_has_heavy_tailed_buyers_in_the_forms_owners_type(desk: Desk) -> None:
    rows = generated(desk, 50_000)
    identities = collections.Counter(re.sub(r"[^0-9a-z@.]", "", r["buyer"].lower()
                                            .translate(str.maketrans("０１２３４５６７８９", "0123456789")))
                                     .removeprefix("86").removeprefix("qq") for r in rows)
    _top, top_n = identities.most_common(1)[0]
    assert 0.015 * len(rows) < top_n < 0.03 * len(rows)  # the top reseller: ~2%
    assert len(identities) >= 0.1 * len(rows)  # >= 100,000 buyers per million orders
    assert sum(1 for n in identities.values() if n == 1) > 0.05 * len(rows)  # one-time buyers
    assert any(50 <= n <= 200 for n in identities.values())  # regulars with ~100 orders
    forms = " ".join(r["buyer"] for r in rows)
    for written in ("+86", " ", "-", "QQ", "qq:", "@", "１"):
        assert written in forms
    statuses = collections.Counter(r["status"] for r in rows)
    assert statuses["completed"] > 0.6 * len(rows) and statuses["cancelled"] > 0.05 * len(rows)
    assert statuses["refunded"] and statuses["partially_refunded"] and statuses["delivered"]
    assert len({r["channel"] for r in rows}) == 4 and len({r["product_name"] for r in rows}) >= 5


def test_the_big_demo_is_years_of_realistic_history(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    from kashop_desktop.services import demo

    monkeypatch.setattr(demo, "REALISTIC_FROM", 100)  # what `demo --orders N` does for a big N
    assert demo.build(desk, 600, settle=False)["orders"] == desk.db.execute_sql("SELECT COUNT(*) FROM orders").fetchone()[0] >= 600  # scenarios counted too
    db, now = desk.db, to_epoch(desk.now())
    assert db.execute_sql("SELECT COUNT(*) FROM orders WHERE MAX(created_at, COALESCE(paid_at, 0), "
                          "COALESCE(delivered_at, 0), COALESCE(completed_at, 0), COALESCE(cancelled_at, 0)) > ?",
                          (now,)).fetchone()[0] == 0
    assert db.execute_sql("SELECT COUNT(*) FROM orders WHERE product_type = 'card_code' AND status IN "
                          "('delivered', 'completed') AND card_code IS NULL").fetchone()[0] == 0
    assert db.execute_sql("SELECT COUNT(*) FROM orders o WHERE order_no GLOB 'KS2*' AND NOT EXISTS (SELECT 1 FROM order_event e "
                          "WHERE e.order_id = o.id AND e.action IN ('created', 'imported'))").fetchone()[0] == 0
    assert db.execute_sql("SELECT COUNT(*) FROM orders WHERE completed_at IS NOT NULL AND NOT EXISTS (SELECT 1 "
                          "FROM order_event e WHERE e.order_id = orders.id AND e.action = 'complete')").fetchone()[0] == 0
    first = db.execute_sql("SELECT MIN(created_at) FROM orders").fetchone()[0]
    assert now - first > 2 * 365 * 86400  # years of history
    assert demo.build(desk, 600, settle=False)["orders"] == 0  # run twice, nothing added


def test_an_order_no_is_found_by_a_tail_of_four_or_more_characters(desk: Desk) -> None:
    buyer_no = order(desk, buyer="13900198000")
    short = order(desk, buyer="qq:55501")
    desk.db.execute_sql("UPDATE orders SET order_no = 'KS202611290001996' WHERE order_no = ?", (buyer_no,))
    desk.db.execute_sql("UPDATE orders SET order_no = 'X011' WHERE order_no = ?", (short,))
    long_no = order(desk, buyer="qq:55502")
    desk.db.execute_sql("UPDATE orders SET order_no = 'KS202611250198000' WHERE order_no = ?", (long_no,))
    search.forget()
    for typed, expected in (("1996", ["KS202611290001996"]), ("01996", ["KS202611290001996"]),
                            ("0001996", ["KS202611290001996"]), ("X011", ["X011"]), ("x011", ["X011"])):
        assert [r.order_no for r in views.order_page(desk, OrderFilter(search=typed), 10)] == expected, typed
    assert views.search_matches(desk, "1996") == {"order_tail": 1}
    # the buyer 13900198000 and the order no ending 98000 are both found, and both said
    assert views.search_matches(desk, "98000") == {"order_tail": 1, "buyer": 1}
    assert {r.order_no for r in views.order_page(desk, OrderFilter(search="98000"), 10)} == {
        "KS202611250198000", "KS202611290001996"}
    assert views.search_matches(desk, "011") == {}  # under MIN_TAIL: not a tail search
    (_name, sql, params), = [p for p in search._probes(desk.db, "1996", "order_no") if p[0] == "order_tail"]
    steps = [str(r[-1]) for r in desk.db.execute_sql("EXPLAIN QUERY PLAN " + sql, params)]
    assert steps == ["SEARCH orders USING INDEX orders_no_tail (<expr>=?)"], steps


def test_a_short_tail_finds_the_same_orders_in_every_plan(shop: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    tail = shop.db.execute_sql("SELECT order_no FROM orders LIMIT 1 OFFSET 777").fetchone()[0][-4:]
    expected = {r[0] for r in shop.db.execute_sql("SELECT id FROM orders WHERE substr(order_no, -4) = ?", (tail,))}
    for cap in (60, 0):  # selective, then walked with the per-row test
        monkeypatch.setattr(search, "CAP", cap)
        search.forget()
        found = {r.id for r in views.order_page(shop, OrderFilter(search=tail), 5000)}
        assert expected <= found, cap


def test_a_trade_no_is_found_in_any_case_and_by_its_prefix(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    no = order(desk, buyer="13911112222")
    other = order(desk, buyer="13911113333")
    desk.db.execute_sql("UPDATE orders SET gateway_trade_no = 'TX001' WHERE order_no = ?", (no,))
    desk.db.execute_sql("UPDATE orders SET gateway_trade_no = 'TY002' WHERE order_no = ?", (other,))
    search.forget()
    for typed in ("tx001", "TX001", "Tx00", "TX00"):
        assert [r.order_no for r in views.order_page(desk, OrderFilter(search=typed), 10)] == [no], typed
        assert views.search_matches(desk, typed) == {"trade_no": 1}, typed
    assert views.search_matches(desk, "TX0") == {}  # a prefix needs MIN_TAIL characters
    third = order(desk, buyer="13911114444")
    desk.db.execute_sql("UPDATE orders SET gateway_trade_no = '2026111822001' WHERE order_no = ?", (third,))
    search.forget()  # an all-digit trade no is found by its first characters too (README)
    assert views.search_matches(desk, "2026111822001") == {"trade_no": 1}
    assert views.search_matches(desk, "202611").get("trade_no") == 1
    assert [r.order_no for r in views.order_page(desk, OrderFilter(search="20261118"), 10)] == [third]
    (_name, sql, params), = [p for p in search._probes(desk.db, "tx00", "text") if p[0] == "trade_no"]
    steps = [str(r[-1]) for r in desk.db.execute_sql("EXPLAIN QUERY PLAN " + sql, params)]
    assert all("SCAN" not in s for s in steps) and any("orders_gateway_trade_no" in s for s in steps), steps
    monkeypatch.setattr(search, "CAP", 0)  # walked: the per-row test says the same
    search.forget()
    assert [r.order_no for r in views.order_page(desk, OrderFilter(search="tx00"), 10)] == [no]
    search.forget()


def test_all_digit_trade_nos_and_order_nos_are_found_by_their_first_characters(
        desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    alipay, wechat, other = order(desk, buyer="13911115555"), order(desk, buyer="13911116666"), order(desk)
    desk.db.execute_sql("UPDATE orders SET gateway_trade_no = '2026112022001234567' WHERE order_no = ?", (alipay,))
    desk.db.execute_sql("UPDATE orders SET gateway_trade_no = '4200001234202611208899' WHERE order_no = ?", (wechat,))
    desk.db.execute_sql("UPDATE orders SET order_no = '2026000000000004' WHERE order_no = ?", (other,))
    search.forget()
    for typed, found in (("2026112022", alipay), ("4200001234", wechat), ("4200", wechat),
                         ("2026000000000004", "2026000000000004"), ("202600000", "2026000000000004")):
        for cap in (None, 0):  # resolved to ids, and walked: the same orders
            monkeypatch.setattr(search, "CAP", cap)
            search.forget()
            assert [r.order_no for r in views.order_page(desk, OrderFilter(search=typed), 10)] == [found], typed
    monkeypatch.setattr(search, "CAP", None)
    search.forget()
    (_name, sql, params), = [p for p in search._probes(desk.db, "4200001234", "qq") if p[0] == "trade_no"]
    steps = [str(r[-1]) for r in desk.db.execute_sql("EXPLAIN QUERY PLAN " + sql, params)]
    assert all("SCAN" not in s for s in steps) and any("orders_gateway_trade_no" in s for s in steps), steps
    resolution = search.resolve(desk.db, "2026112022")
    assert resolution is not None and resolution.selective and resolution.matches["trade_no"] == 1
