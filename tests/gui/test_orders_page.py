"""The orders screen on the demo shop: tab counts, search, action tooltips, Enter, the timeline."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kashop_desktop.services import orders, views
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.views import OrderFilter

pytestmark = pytest.mark.gui

DISPUTE_ONLY = "已发货订单不可直接取消，只能发起售后争议"


@pytest.fixture
def ctx(qtbot: Any, demo_desk: Desk) -> Iterator[Any]:
    from kashop_desktop.gui.context import DeskContext

    context = DeskContext(demo_desk)
    yield context
    context.worker.shutdown()


@pytest.fixture
def page(qtbot: Any, ctx: Any) -> Any:
    from kashop_desktop.gui.orders_page import OrdersPage

    widget = OrdersPage(ctx)
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    return widget


def find_order(desk: Desk, status: str, **checks: Any) -> views.OrderRow:
    for row in views.order_page(desk, OrderFilter(status=status), 300):
        detail = views.order_detail_by_id(desk, row.id)
        if all(check(detail) for check in checks.values()):
            return row
    raise AssertionError(f"the demo shop has no {status} order with {list(checks)}")


def test_tab_counts_match_status_counts(page: Any, demo_desk: Desk) -> None:
    from kashop_desktop.gui.orders_page import TAB_STATUSES

    counts = views.status_counts(demo_desk)
    for status in TAB_STATUSES:
        expected = counts["all" if status is None else status]
        assert page.tab_count(status) == expected
        assert page.tabs.tabText(TAB_STATUSES.index(status)).endswith(f" {expected:,}")
    page.tabs.setCurrentIndex(TAB_STATUSES.index("delivered"))
    assert page.model.rowCount() == counts["delivered"]
    assert {page.model.row_at(i).status.value for i in range(page.model.rowCount())} == {"delivered"}


def test_search_as_you_type_narrows_the_list(qtbot: Any, page: Any) -> None:
    total = page.model.rowCount()
    qtbot.keyClicks(page.search, "13800138000")
    assert page.search_kind.text() == "搜索中…"
    qtbot.waitUntil(lambda: page.model.order_filter.search == "13800138000", timeout=2000)
    found = [page.model.row_at(i) for i in range(page.model.rowCount())]
    assert 0 < len(found) < total
    assert {r.buyer for r in found} == {"13800138000"}
    assert page.count_label.text() == f"共 {len(found)} 条"
    assert page.search_kind.text() == f"匹配：手机号 {len(found)} 条"  # what was found, not a guess


def test_the_hint_says_what_a_search_matched(qtbot: Any, page: Any, demo_desk: Desk) -> None:
    order_no = views.order_page(demo_desk, OrderFilter(), 1)[0].order_no
    for text, hint in (("8000", "匹配：买家"), (order_no[-7:], "匹配：订单号尾号 1 条"),
                       (order_no[:8], "匹配：订单号"), ("zzzzqqq", "无匹配")):
        page.search.setText(text)
        page.apply_filter()
        qtbot.waitUntil(lambda text=text: page.model.order_filter.search == text, timeout=2000)
        assert page.search_kind.text().startswith(hint), (text, page.search_kind.text())


def test_cancel_is_disabled_on_a_delivered_order_with_the_dispute_reason(page: Any, demo_desk: Desk) -> None:
    row = find_order(demo_desk, "delivered", no_request=lambda d: not d.requests,
                     refundable_product=lambda d: not demo_desk.product_policy(_product(d.product)).no_refunds)
    assert page.select_order(row.id)
    cancel = page.detail.buttons["cancel"]
    assert page.detail.order_id == row.id
    assert not cancel.isEnabled()
    assert DISPUTE_ONLY in cancel.toolTip()
    assert "Ctrl+D" in cancel.toolTip()
    assert page.detail.buttons["open_request"].isEnabled()


def test_actions_follow_the_services_on_paid_and_unpaid_orders(page: Any, demo_desk: Desk) -> None:
    paid = find_order(demo_desk, "paid", no_request=lambda d: not d.requests)
    page.select_order(paid.id)
    buttons = page.detail.buttons
    assert buttons["cancel"].isEnabled() and buttons["deliver"].isEnabled()
    assert not buttons["mark_paid"].isEnabled() and "无需补单" in buttons["mark_paid"].toolTip()
    assert not buttons["restore"].isEnabled() and "只有已取消的订单可以恢复" in buttons["restore"].toolTip()
    assert not buttons["review"].isEnabled()
    unpaid = find_order(demo_desk, "pending_payment")
    page.select_order(unpaid.id)
    assert buttons["mark_paid"].isEnabled() and buttons["cancel"].isEnabled()
    assert not buttons["deliver"].isEnabled()


def test_enter_opens_and_focuses_the_detail(qtbot: Any, page: Any) -> None:
    page.show()
    qtbot.waitExposed(page)
    page.activateWindow()
    qtbot.waitUntil(page.isActiveWindow, timeout=2000)
    page.view.setFocus()
    page.select_row(4)
    page.detail.show_order(None)  # the pane shows nothing until Enter
    row = page.model.row_at(4)
    with qtbot.waitSignal(page.detail_opened) as opened:
        qtbot.keyClick(page.view, "\r")
    assert opened.args == [row.id]
    assert page.detail.order_id == row.id
    assert page.detail.title.text() == row.order_no
    assert page.splitter.sizes()[1] >= 200
    qtbot.waitUntil(page.detail.timeline.hasFocus, timeout=2000)


def test_the_detail_shows_the_whole_timeline(page: Any, demo_desk: Desk) -> None:
    row = find_order(demo_desk, "completed")
    page.select_order(row.id)
    detail = views.order_detail_by_id(demo_desk, row.id)
    timeline = page.detail.timeline
    assert timeline.rowCount() == len(detail.events) >= 4
    actions = {timeline.item(i, 3).text() for i in range(timeline.rowCount())}
    assert {"下单", "支付成功", "发货", "完成"} <= actions
    assert "已发货 → 已完成" in {timeline.item(i, 4).text() for i in range(timeline.rowCount())}


def test_a_change_refreshes_row_counts_and_detail(qtbot: Any, page: Any, ctx: Any, demo_desk: Desk) -> None:
    row = find_order(demo_desk, "paid", no_request=lambda d: not d.requests)
    page.select_order(row.id)
    position = page.model.position_of(row.id)
    before = page.tab_count("delivered")
    changes = orders.deliver(demo_desk, row.order_no)
    with qtbot.waitSignal(page.model.dataChanged):
        ctx.changed.emit(changes)
    assert page.model.row_at(position).status.value == "delivered"
    assert page.tab_count("delivered") == before + 1
    assert page.detail.chip.text() == "已发货"
    assert not page.detail.buttons["deliver"].isEnabled()


def test_header_sorts_by_amount_but_not_by_buyer(qtbot: Any, page: Any) -> None:
    from kashop_desktop.gui.orders_model import COL_AMOUNT, COL_BUYER, COL_CREATED, COL_PRODUCT
    from kashop_desktop.gui.qt import Qt

    header = page.view.horizontalHeader()
    model = page.model

    def title(column: int) -> str:
        return model.headerData(column, Qt.Orientation.Horizontal)

    page.show()
    qtbot.waitExposed(page)
    # Newest first, and the arrow says so (Qt's own indicator drew ▲ here).
    assert model.order_filter.descending and title(COL_CREATED) == "下单时间 ▼"
    assert title(COL_AMOUNT) == "实付金额 ↕"  # sortable, not sorted now
    qtbot.mouseClick(header.viewport(), _left(), pos=_section_centre(header, COL_AMOUNT))
    assert (model.order_filter.sort, model.order_filter.descending) == ("amount", True)
    assert title(COL_AMOUNT) == "实付金额 ▼" and title(COL_CREATED) == "下单时间 ↕"
    amounts = [model.row_at(i).paid_fen for i in range(5)]
    assert amounts == sorted(amounts, reverse=True)
    qtbot.mouseClick(header.viewport(), _left(), pos=_section_centre(header, COL_AMOUNT))
    assert (model.order_filter.sort, model.order_filter.descending) == ("amount", False)
    assert title(COL_AMOUNT) == "实付金额 ▲"
    for column in (COL_BUYER, COL_PRODUCT):  # no index to sort by: visibly not sortable, clicks change nothing
        qtbot.mouseClick(header.viewport(), _left(), pos=_section_centre(header, column))
        assert (model.order_filter.sort, model.order_filter.descending) == ("amount", False)
        assert "▼" not in title(column) and "↕" not in title(column)
        assert "不能排序" in model.headerData(column, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)


def _product(name: str) -> Any:
    from kashop_desktop.store.models import Product

    return Product.get(Product.name == name)


def _left() -> Any:
    from kashop_desktop.gui.qt import Qt

    return Qt.MouseButton.LeftButton


def _section_centre(header: Any, section: int) -> Any:
    from kashop_desktop.gui.qt import QPoint

    x = header.sectionViewportPosition(section) + header.sectionSize(section) // 2
    return QPoint(x, header.height() // 2)


def test_new_orders_appear_at_the_top_while_the_list_is_scrolled_up(page: Any, ctx: Any, demo_desk: Desk) -> None:
    from kashop_desktop.domain.clock import to_epoch
    from kashop_desktop.services import bulk
    from kashop_desktop.services.changes import Changes

    before = page.model.rowCount()
    page.select_row(2)
    kept = page.current_row()
    bulk.insert_orders(demo_desk, [{"order_no": "KS2099010100000001", "created_at": to_epoch(demo_desk.now()) + 60,
                                    "product_name": "新订单", "product_type": "direct_recharge", "list_fen": 500,
                                    "paid_fen": 500, "status": "pending_payment", "buyer": "13911112222"}])
    page.view.scrollToTop()
    ctx.changed.emit(Changes(counts_changed=True))
    assert page.model.rowCount() == before + 1
    assert page.model.row_at(0).order_no == "KS2099010100000001"
    assert page.current_row() == kept, "the selected order stays selected"
    assert page.tab_count("pending_payment") == views.status_counts(demo_desk)["pending_payment"]


def test_ctrl_f_focuses_the_search_box(qtbot: Any, page: Any) -> None:
    from kashop_desktop.gui.qt import Qt

    page.show()
    qtbot.waitExposed(page)
    page.activateWindow()
    qtbot.waitUntil(page.isActiveWindow, timeout=2000)
    page.view.setFocus()
    assert not page.search.hasFocus()
    qtbot.keyClick(page.view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(page.search.hasFocus, timeout=2000)


def test_the_hint_names_what_matched_and_counts_only_the_whole_list(qtbot: Any, page: Any, demo_desk: Desk) -> None:
    from kashop_desktop.gui.orders_page import TAB_STATUSES

    page.search.setText("1380013")  # QQ-length digits that are part of a phone number
    page.apply_filter()
    qtbot.waitUntil(lambda: page.model.order_filter.search == "1380013", timeout=2000)
    assert page.search_kind.text().startswith("匹配：买家"), page.search_kind.text()
    assert "QQ" not in page.search_kind.text()
    page.tabs.setCurrentIndex(TAB_STATUSES.index("pending_payment"))
    qtbot.waitUntil(lambda: page.model.order_filter.status == "pending_payment", timeout=2000)
    assert "条" not in page.search_kind.text(), page.search_kind.text()  # the tab's count is 共 N 条 beside
    page.search.setText("zq")
    page.apply_filter()
    qtbot.waitUntil(lambda: page.model.order_filter.search == "zq", timeout=2000)
    assert page.search_kind.text() == "无匹配（买家至少输入 3 个字符，订单号尾号至少 4 位）"
    page.search.setText("zqx")  # a buyer search ran (three characters): only the tail's length is short
    page.apply_filter()
    qtbot.waitUntil(lambda: page.model.order_filter.search == "zqx", timeout=2000)
    assert page.search_kind.text() == "无匹配（订单号尾号至少 4 位）"
    assert "尾号至少4位" in page.search.placeholderText()
