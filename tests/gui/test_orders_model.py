"""OrdersModel: Qt's model contract, and its data compared with plain SQL (no widgets needed)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import pytest

from kashop_desktop.domain.clock import SHOP_TZ, to_epoch
from kashop_desktop.services import bulk, orders, views
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.views import OrderFilter, OrderRow

pytestmark = pytest.mark.gui

BASE = datetime(2026, 11, 1, 9, 0, tzinfo=SHOP_TZ)
STATUSES = ["pending_payment", "paid", "delivered", "completed", "cancelled", "refunded"]


def add_orders(desk: Desk, n: int, seed: int = 3) -> list[dict[str, Any]]:
    """n orders with many equal timestamps and amounts, so the id tie-break matters."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        created = BASE + timedelta(minutes=rng.randrange(n // 4 + 1))
        status = STATUSES[i % len(STATUSES)]
        paid = status != "pending_payment"
        rows.append({
            "order_no": f"KS20261101{i:07d}", "created_at": to_epoch(created), "product_name": f"点卡 {i % 5}",
            "product_type": "direct_recharge", "list_fen": 1000, "paid_fen": rng.choice([600, 1980, 6800, 9880]),
            "status": status, "buyer": f"138{i:08d}" if i % 3 else f"qq:{10000 + i}",
            "paid_at": to_epoch(created) + 60 if paid else None, "channel": "alipay" if paid else None,
            "gateway_trade_no": f"2026110122{i:012d}" if paid else None,
        })
    bulk.insert_orders(desk, rows)
    return rows


def sql_ids(desk: Desk, order_by: str, where: str = "", params: tuple[Any, ...] = ()) -> list[int]:
    return [r[0] for r in desk.db.execute_sql(f"SELECT id FROM orders {where} ORDER BY {order_by}", params)]


@pytest.fixture
def model(qtbot: Any, desk: Desk) -> Any:
    from kashop_desktop.gui.orders_model import OrdersModel

    add_orders(desk, 1000)
    m = OrdersModel(desk)
    m.PAGE_SIZE = 50  # small pages: a thousand rows cross twenty page boundaries
    m.MAX_PAGES = 4
    return m


def all_ids(model: Any) -> list[int]:
    return [model.row_at(i).id for i in range(model.rowCount())]


def test_model_contract_with_a_filter_and_after_invalidate(qtmodeltester: Any, model: Any, desk: Desk) -> None:
    model.set_filter(OrderFilter(status="paid"))
    assert model.rowCount() == views.status_counts(desk)["paid"]
    qtmodeltester.check(model)
    paid = model.row_at(3)
    changes = orders.deliver(desk, paid.order_no)
    model.invalidate_ids(changes.order_ids)
    assert model.row_at(3).status.value == "delivered"
    qtmodeltester.check(model)


def test_paging_in_order_matches_sql_and_uses_keyset(model: Any, desk: Desk, monkeypatch: Any) -> None:
    calls: list[dict[str, Any]] = []
    real = views.order_page

    def spy(*args: Any, **kw: Any) -> list[OrderRow]:
        calls.append(kw)
        return real(*args, **kw)

    monkeypatch.setattr(views, "order_page", spy)
    assert all_ids(model) == sql_ids(desk, "created_at DESC, id DESC")
    assert len(calls) == 20
    assert all(kw.get("after") is not None for kw in calls[1:]), "pages after the first should seek by keyset"
    assert len(model.cached_pages()) <= model.MAX_PAGES


def test_jumping_reads_by_offset_and_matches_sql(model: Any, desk: Desk) -> None:
    expected = sql_ids(desk, "created_at DESC, id DESC")
    for row in (999, 0, 517, 49, 50, 733, 998):
        assert model.row_at(row).id == expected[row]
    assert model.row_at(1000) is None


def test_sort_by_amount_and_only_created_or_amount(model: Any, desk: Desk) -> None:
    from kashop_desktop.gui.orders_model import COL_AMOUNT, COL_BUYER, COL_CREATED, SORT_ROLE
    from kashop_desktop.gui.qt import Qt

    model.sort(COL_AMOUNT, Qt.SortOrder.DescendingOrder)
    assert model.order_filter.sort == "amount"
    assert all_ids(model) == sql_ids(desk, "paid_fen DESC, id DESC")
    amounts = [model.data(model.index(i, COL_AMOUNT), SORT_ROLE) for i in range(model.rowCount())]
    assert amounts == sorted(amounts, reverse=True)
    model.sort(COL_AMOUNT, Qt.SortOrder.AscendingOrder)
    assert all_ids(model) == sql_ids(desk, "paid_fen ASC, id ASC")
    model.sort(COL_BUYER, Qt.SortOrder.AscendingOrder)
    assert model.order_filter.sort == "amount", "a column without an index is not sortable"
    model.sort(COL_CREATED, Qt.SortOrder.AscendingOrder)
    assert all_ids(model) == sql_ids(desk, "created_at ASC, id ASC")


def test_search_order_no_prefix_phone_substring_and_trade_no(model: Any, desk: Desk) -> None:
    model.set_filter(OrderFilter(search="KS20261101000012"))
    assert sorted(r.order_no for r in map(model.row_at, range(model.rowCount()))) == [
        f"KS20261101{i:07d}" for i in range(120, 130)]
    model.set_filter(OrderFilter(search="00000778"))  # the middle of a phone number
    found = [model.row_at(i) for i in range(model.rowCount())]
    assert [r.buyer for r in found] == ["13800000778"]
    model.set_filter(OrderFilter(search="2026110122000000000421"))
    assert [model.row_at(i).order_no for i in range(model.rowCount())] == ["KS202611010000421"]
    model.set_filter(OrderFilter(search="KS20261101000012", status="paid"))
    assert {model.row_at(i).status.value for i in range(model.rowCount())} == {"paid"}


def test_roles_display_sort_object_tooltip_and_colours(model: Any, desk: Desk) -> None:
    from kashop_desktop.gui.orders_model import (
        COL_AMOUNT,
        COL_CREATED,
        COL_ORDER_NO,
        COL_STATUS,
        OBJECT_ROLE,
        SORT_ROLE,
        STATUS_COLOURS,
    )
    from kashop_desktop.gui.qt import Qt

    model.set_filter(OrderFilter(status="delivered"))
    row: OrderRow = model.data(model.index(0, 0), OBJECT_ROLE)
    assert isinstance(row, OrderRow)
    assert model.data(model.index(0, COL_ORDER_NO)) == row.order_no
    assert model.data(model.index(0, COL_AMOUNT)) == "¥" + f"{row.paid_fen // 100}.{row.paid_fen % 100:02d}"
    assert model.data(model.index(0, COL_AMOUNT), SORT_ROLE) == row.paid_fen
    assert model.data(model.index(0, COL_CREATED), SORT_ROLE) == int(row.created_at.timestamp())
    assert model.data(model.index(0, COL_STATUS)) == "已发货"
    assert row.gateway_trade_no in model.data(model.index(0, COL_ORDER_NO), Qt.ItemDataRole.ToolTipRole)
    fg = model.data(model.index(0, COL_STATUS), Qt.ItemDataRole.ForegroundRole)
    bg = model.data(model.index(0, COL_STATUS), Qt.ItemDataRole.BackgroundRole)
    assert (fg.color().name(), bg.color().name()) == STATUS_COLOURS["delivered"]
    assert model.data(model.index(0, COL_ORDER_NO), Qt.ItemDataRole.BackgroundRole) is None


def test_invalidate_emits_data_changed_for_just_that_row(qtbot: Any, model: Any, desk: Desk) -> None:
    model.set_filter(OrderFilter(status="paid"))
    model.row_at(0)
    target = model.row_at(7)
    changes = orders.deliver(desk, target.order_no)
    with qtbot.waitSignal(model.dataChanged) as blocker:
        model.invalidate_ids(changes.order_ids)
    top, bottom = blocker.args[0], blocker.args[1]
    assert (top.row(), bottom.row()) == (7, 7)
    assert model.row_at(7).status.value == "delivered"
    before = model.queries
    model.invalidate_ids({999_999})  # not cached: nothing to read, nothing to emit
    assert model.queries == before
