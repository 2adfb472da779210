"""A dated search with matches outside its window, on either store: a year of trade nos
(``2025``: Alipay's and 易支付's start with their day) with a few newer orders another field
matched (buyers whose e-mail holds the year) lists, counts, pages and places exactly the
orders a plain evaluation finds, newest first, in every tab (the plan's shape: the SQLite
plan test in test_search_plans)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from kashop_desktop.domain.clock import SHOP_TZ, to_epoch
from kashop_desktop.services import views
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.views import OrderFilter
from kashop_desktop.store import search

from .helpers import order

YEAR_END = to_epoch(datetime(2026, 1, 1, tzinfo=SHOP_TZ))


@pytest.fixture
def shop(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    """12 orders paid through trade nos of 2025 in 2025, 3 newer ones by buyers whose e-mail
    holds 2025, 5 others; more than 8 matches make a search unselective here."""
    monkeypatch.setattr(search, "CAP", 8)
    for i in range(12):
        order(desk, "completed" if i % 3 else "refunded", gateway_trade_no=f"2025{i + 1:02d}1522001400{i:06d}",
              created_at=YEAR_END - (40 + 20 * i) * 86400, buyer=f"1380013{i:04d}")
    for i in range(3):
        order(desk, "completed" if i else "cancelled", buyer=f"fan2025.{i}@qq.com", gateway_trade_no=f"4200{i:012d}",
              created_at=YEAR_END + (100 + i) * 86400)
    for i in range(5):
        order(desk, "completed", buyer=f"other{i}@qq.com", gateway_trade_no=f"4200{i + 50:012d}",
              created_at=YEAR_END + (90 - i) * 86400)
    search.forget()
    yield desk
    search.forget()


def expected(desk: Desk, status: str | None) -> list[int]:
    rows = desk.db.execute_sql("SELECT id, status, buyer, gateway_trade_no FROM orders "
                               "ORDER BY created_at DESC, id DESC").fetchall()
    return [oid for oid, state, buyer, trade in rows if (status is None or state == status)
            and ((trade or "").startswith("2025") or "2025" in buyer)]


@pytest.mark.parametrize("status", [None, "completed", "cancelled", "refunded"])
def test_a_year_with_newer_matches_lists_every_match_in_order(shop: Desk, status: str | None) -> None:
    resolution = search.resolve(shop.db, "2025")
    assert resolution is not None and not resolution.selective and resolution.window is not None
    assert len(resolution.outside) == 3  # the fans' orders, newer than the year's trades
    flt = OrderFilter(status=status, search="2025")
    want = expected(shop, status)
    assert want  # every tab here holds some
    assert views.order_id_list(shop, flt).tolist() == want  # type: ignore[union-attr]
    assert views.count_orders(shop, flt) == len(want)
    first = views.order_page(shop, flt, 2)
    assert [r.id for r in first] == want[:2]
    if len(first) == 2:
        after = views.order_page(shop, flt, 4, after=views.keyset_of(first[-1], flt))
        assert [r.id for r in after] == want[2:6]
    assert views.position_of(shop, flt, want[-1]) == len(want) - 1
    assert views.order_ids(shop, flt, 3, offset=1) == want[1:4]
