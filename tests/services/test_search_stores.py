"""The order search as the window uses it, on both stores: a resolution is read once until the
store changes, and an all-digit trade-no prefix that matches many is walked in its date window
(``store.search``), with the same orders found as a plain evaluation finds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kashop_desktop.services import views
from kashop_desktop.services.desk import Desk
from kashop_desktop.store import search
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
