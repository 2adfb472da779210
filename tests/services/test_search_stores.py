"""The order search as the window uses it, on both stores: a resolution is read once until the
store changes, and an all-digit trade-no prefix that matches many is walked in its date window
(``store.search``), with the same orders found as a plain evaluation finds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kashop_desktop.domain.clock import to_epoch
from kashop_desktop.services import views
from kashop_desktop.services.desk import Desk
from kashop_desktop.store import queries, search
from kashop_desktop.store.models import Order
from kashop_desktop.store.queries import OrderFilter

from .helpers import order


@pytest.fixture
def small_cap(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(search, "CAP", 5)  # more than 5 matches: unselective
    search.forget()
    yield
    search.forget()


def test_a_resolution_is_read_once_until_the_store_changes(desk: Desk, small_cap: None) -> None:
    nos = [order(desk, buyer=f"alice{i}@example.com") for i in range(3)]
    first = search.resolve(desk.db, "alice")
    assert first is not None and first.ids is not None and len(first.ids) == 3
    assert views.order_page(desk, OrderFilter(search="alice"), 10)  # reads in between change nothing
    assert search.resolve(desk.db, "alice") is first
    order(desk, buyer="alice9@example.com")  # a write: resolved again, and the new order is in it
    again = search.resolve(desk.db, "alice")
    assert again is not first and again is not None and again.ids is not None and len(again.ids) == 4
    assert {o.order_no for o in Order.select().where(Order.id.in_(again.ids))} > set(nos)


def test_an_all_digit_trade_no_prefix_matching_many_is_walked_in_its_window(desk: Desk, small_cap: None) -> None:
    paid = [order(desk, buyer=f"1391111{i:04d}") for i in range(8)]
    for i, no in enumerate(paid):
        Order.update(gateway_trade_no=f"2026111822001{i:06d}").where(Order.order_no == no).execute()
    other = order(desk, buyer="13922223333")
    Order.update(gateway_trade_no="2025010122001000001").where(Order.order_no == other).execute()
    by_buyer = order(desk, buyer="qq:2026118", paid_minutes_ago=60 * 24 * 400)  # the window widens to it
    search.forget()
    resolution = search.resolve(desk.db, "202611")
    assert resolution is not None and resolution.ids is None and resolution.window is not None
    assert resolution.matches["buyer"] == 1
    found = [r.order_no for r in views.order_page(desk, OrderFilter(search="202611"), 50)]
    assert sorted(found) == sorted([*paid, by_buyer])
    assert views.count_orders(desk, OrderFilter(search="202611")) == len(paid) + 1


def test_a_busy_search_in_a_date_range_gives_the_same_first_page_when_the_walk_gives_up(
        desk: Desk, small_cap: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first look walks the tab for a search's matches and, when its budget runs out before
    the page is full, counts the dated tab to choose the plain read instead (``queries.first_page``)."""
    monkeypatch.setattr(queries, "WALK_FROM", 1)
    monkeypatch.setattr(queries, "WALK_BUDGET", 2)
    bobs = [order(desk, buyer=f"bob{i}@example.com") for i in range(4)]
    for i in range(3):
        order(desk, buyer=f"carol{i}@example.cn")
    now = to_epoch(desk.now())
    flt = OrderFilter(search="bob", date_from=now - 86_400, date_to=now + 60)
    search.forget()
    ids = sorted((o.id for o in Order.select().where(Order.order_no.in_(bobs))), reverse=True)  # one minute: by id
    assert [r[0] for r in queries.first_page(desk.db, flt, 3)] == ids[:3]


def test_a_product_name_is_found_whatever_the_case_of_its_letters(desk: Desk) -> None:
    """`steam` finds the orders of `Steam 钱包充值卡`, `qq` those of `QQ会员`, on both stores."""
    from .helpers import product

    steam = order(desk, prod=product(desk, name="Steam 钱包充值卡 100元"))
    qq = order(desk, prod=product(desk, name="QQ会员 月卡"))
    search.forget()
    for typed, wanted in (("steam", steam), ("STEAM", steam), ("Steam 钱包", steam), ("qq会员", qq)):
        page = views.order_page(desk, OrderFilter(search=typed), 10)
        assert [row.order_no for row in page] == [wanted], typed
        assert "product" in views.search_matches(desk, typed), typed
