"""OrdersModel: Qt's model contract, and its data compared with plain SQL (no widgets needed): pages
read by keyset and OFFSET, and pages sliced from the id list read on the DB worker."""

from __future__ import annotations

import random
import threading
from datetime import datetime, timedelta
from typing import Any

import pytest

from kashop_desktop.domain.clock import SHOP_TZ, to_epoch
from kashop_desktop.services import bulk, orders, views
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.views import OrderFilter, OrderRow
from tests.gui.test_dialogs import desk_context, qasync_loop

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


def row(qtbot: Any, model: Any, i: int) -> Any:
    """Row ``i``, waiting for its page where the worker reads it (no id list yet)."""
    if model.row_at(i) is None:
        qtbot.waitUntil(lambda: model.row_at(i) is not None, timeout=5000)
    return model.row_at(i)


def all_ids(model: Any, qtbot: Any = None) -> list[int]:
    if qtbot is None:
        return [model.row_at(i).id for i in range(model.rowCount())]
    return [row(qtbot, model, i).id for i in range(model.rowCount())]


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
    # A short last page, and pages read by OFFSET from either end of the list.
    model.set_filter(OrderFilter(status="paid", sort="amount", descending=False))
    expected = sql_ids(desk, "paid_fen ASC, id ASC", "WHERE status = ?", ("paid",))
    assert len(expected) % model.PAGE_SIZE
    for row in (len(expected) - 1, 120, 60, 0, len(expected) - 2, 101):
        assert model.row_at(row).id == expected[row]


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


def test_scrolling_up_after_a_jump_seeks_backwards_not_by_offset(model: Any, desk: Desk, monkeypatch: Any) -> None:
    calls: list[str] = []
    for name in ("order_page", "order_page_before", "order_ids"):
        real = getattr(views, name)
        monkeypatch.setattr(views, name, lambda *a, _real=real, _name=name, **kw: calls.append(_name) or _real(*a, **kw))
    expected = sql_ids(desk, "created_at DESC, id DESC")
    assert [model.row_at(i).id for i in range(777, -1, -1)] == expected[777::-1]
    assert calls == ["order_ids"] + ["order_page_before"] * 15, "one OFFSET for the jump, then index seeks upwards"


# ---- the id list: read on the DB worker (qasync loop), pages sliced from it ----------------------

_aloop = pytest.fixture(qasync_loop, name="aloop")
_ctx = pytest.fixture(desk_context, name="ctx")


@pytest.fixture
def listed(qtbot: Any, desk: Desk, ctx: Any) -> Any:
    """A model with the worker behind it: it reads its id list once a page has been read."""
    from kashop_desktop.gui.orders_model import OrdersModel

    add_orders(desk, 1000)
    m = OrdersModel(desk, ctx=ctx)
    m.PAGE_SIZE = 50
    m.MAX_PAGES = 4
    m.ID_LIST_DELAY_MS = 0
    return m


def wait_for_list(qtbot: Any, model: Any) -> None:
    row(qtbot, model, 0)  # the first page read asks for the list
    qtbot.waitUntil(model.has_id_list, timeout=5000)


def spy_sql_pages(monkeypatch: Any) -> list[str]:
    """Record reads that go to SQL for pages (keyset, backwards keyset, OFFSET) instead of the list."""
    calls: list[str] = []
    for name in ("order_page", "order_page_before", "order_ids"):
        real = getattr(views, name)
        monkeypatch.setattr(views, name, lambda *a, _real=real, _name=name, **kw: calls.append(_name) or _real(*a, **kw))
    return calls


@pytest.mark.parametrize(("flt", "where", "params", "order_by"), [
    (OrderFilter(), "", (), "created_at DESC, id DESC"),
    (OrderFilter(sort="amount", descending=False), "", (), "paid_fen ASC, id ASC"),
    (OrderFilter(status="paid", sort="amount"), "WHERE status = ?", ("paid",), "paid_fen DESC, id DESC"),
    (OrderFilter(search="KS2026110100004", descending=False), "WHERE order_no LIKE ?", ("KS2026110100004%",),
     "created_at ASC, id ASC"),
])
def test_pages_from_the_id_list_match_sql_across_random_jumps(
        qtbot: Any, listed: Any, desk: Desk, monkeypatch: Any, flt: OrderFilter, where: str,
        params: tuple[Any, ...], order_by: str) -> None:
    listed.set_filter(flt)
    wait_for_list(qtbot, listed)
    expected = sql_ids(desk, order_by, where, params)
    assert listed.rowCount() == len(expected) > 0
    calls = spy_sql_pages(monkeypatch)
    rng = random.Random(5)
    for at in [*rng.choices(range(len(expected)), k=80), len(expected) - 1, 0]:
        assert listed.row_at(at).id == expected[at]  # by primary key, at once
    assert all_ids(listed, qtbot) == expected
    assert calls == [], "with the id list in place every page is read by primary key"
    far = expected[len(expected) * 9 // 10]
    assert listed.position_of(far) == len(expected) * 9 // 10


def test_a_list_read_for_an_old_filter_is_discarded(qtbot: Any, listed: Any, desk: Desk, ctx: Any,
                                                    monkeypatch: Any) -> None:
    gate = threading.Event()
    asked: list[OrderFilter] = []
    told_to_stop: list[bool] = []
    real = views.order_id_list

    def slow(desk: Desk, flt: OrderFilter, cancelled: Any = None) -> Any:
        asked.append(flt)
        gate.wait(5)
        told_to_stop.append(cancelled())
        return real(desk, flt)  # as if the scan ended before it saw the stop

    monkeypatch.setattr(views, "order_id_list", slow)
    ready: list[int] = []
    listed.id_list_ready.connect(ready.append)
    old = OrderFilter(status="paid")
    listed.set_filter(old)
    listed.row_at(0)
    qtbot.waitUntil(lambda: asked == [old], timeout=5000)
    # Same rows, another order, and no page read yet: only the generation tells the lists apart.
    new = OrderFilter(status="paid", sort="amount", descending=False)
    listed.set_filter(new)
    gate.set()
    qtbot.waitUntil(lambda: not ctx.tasks, timeout=5000)
    assert told_to_stop == [True]
    assert not listed.has_id_list() and ready == []
    wait_for_list(qtbot, listed)
    assert asked == [old, new] and told_to_stop == [True, False]
    assert ready == [listed.rowCount()]
    assert all_ids(listed, qtbot) == sql_ids(desk, "paid_fen ASC, id ASC", "WHERE status = ?", ("paid",))


def test_a_list_that_disagrees_with_the_count_is_not_used(qtbot: Any, listed: Any, desk: Desk, ctx: Any,
                                                          monkeypatch: Any) -> None:
    gate = threading.Event()
    real = views.order_id_list

    def slow(desk: Desk, flt: OrderFilter, cancelled: Any = None) -> Any:
        gate.wait(5)
        return real(desk, flt)

    monkeypatch.setattr(views, "order_id_list", slow)
    row(qtbot, listed, 0)
    qtbot.waitUntil(lambda: bool(ctx.tasks), timeout=5000)
    bulk.insert_orders(desk, [{  # an order arrives between the count and the scan
        "order_no": "KS2099010100000001", "created_at": to_epoch(BASE + timedelta(days=30)),
        "product_name": "点卡 0", "product_type": "direct_recharge", "list_fen": 1000, "paid_fen": 1000,
        "status": "paid", "buyer": "13900000000"}])
    gate.set()
    qtbot.waitUntil(lambda: not ctx.tasks, timeout=5000)
    assert not listed.has_id_list(), "the rows shown are the older list"
    assert all_ids(listed, qtbot)[:5] == sql_ids(desk, "created_at DESC, id DESC")[1:6]
    listed.refresh()  # what the page does at the top of the list when counts change
    wait_for_list(qtbot, listed)
    assert all_ids(listed, qtbot) == sql_ids(desk, "created_at DESC, id DESC")


def test_changes_reread_rows_in_place_and_a_refresh_reads_the_list_again(
        qtbot: Any, qtmodeltester: Any, listed: Any, desk: Desk) -> None:
    listed.set_filter(OrderFilter(status="paid"))
    wait_for_list(qtbot, listed)
    qtmodeltester.check(listed)
    count = listed.rowCount()
    shown = listed.row_at(7)
    far_id = sql_ids(desk, "created_at DESC, id DESC", "WHERE status = ?", ("paid",))[120]
    far = views.order_rows_by_id(desk, [far_id])[far_id]
    assert 120 // listed.PAGE_SIZE not in listed.cached_pages()
    changes = orders.deliver(desk, shown.order_no)
    changes.merge(orders.deliver(desk, far.order_no))
    with qtbot.waitSignal(listed.dataChanged):
        listed.invalidate_ids(changes.order_ids)
    # Both stay where they were (until a refresh), now delivered: the cached one re-read, the
    # other read by primary key from the list when its page is wanted.
    assert listed.rowCount() == count and listed.has_id_list()
    assert (row(qtbot, listed, 7).id, row(qtbot, listed, 7).status.value) == (shown.id, "delivered")
    assert (row(qtbot, listed, 120).id, row(qtbot, listed, 120).status.value) == (far.id, "delivered")
    qtmodeltester.check(listed)
    bulk.insert_orders(desk, [{  # new orders: the page re-runs the query when scrolled to the top
        "order_no": f"KS2099010100{i:06d}", "created_at": to_epoch(BASE + timedelta(days=30, minutes=i)),
        "product_name": "点卡 1", "product_type": "direct_recharge", "list_fen": 1000, "paid_fen": 1000,
        "status": "paid", "buyer": "13900000000"} for i in range(3)])
    with qtbot.waitSignal(listed.filter_applied):
        listed.refresh()  # re-read on the worker
    assert not listed.has_id_list()
    wait_for_list(qtbot, listed)
    assert listed.rowCount() == count - 2 + 3
    assert all_ids(listed, qtbot) == sql_ids(desk, "created_at DESC, id DESC", "WHERE status = ?", ("paid",))
    qtmodeltester.check(listed)


def test_an_unpaid_order_shows_no_paid_amount_only_what_is_due_in_its_tooltip(model: Any, desk: Desk) -> None:
    from kashop_desktop.gui.orders_model import COL_AMOUNT
    from kashop_desktop.gui.qt import Qt

    model.set_filter(OrderFilter(status="pending_payment"))
    row: OrderRow = model.row_at(0)
    assert not row.paid and row.paid_fen > 0
    assert model.data(model.index(0, COL_AMOUNT)) == "—"
    tip = model.data(model.index(0, COL_AMOUNT), Qt.ItemDataRole.ToolTipRole)
    assert "¥" + f"{row.paid_fen // 100}.{row.paid_fen % 100:02d}" in tip and "未支付" in tip
    model.set_filter(OrderFilter(status="cancelled"))  # these were paid first: what was paid shows
    assert model.row_at(0).paid and model.data(model.index(0, COL_AMOUNT)).startswith("¥")
