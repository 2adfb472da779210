"""The buyer in the order detail: the owner's note, blocking (orders held for review, a 扣留待审
tab, a mark in the list, a banner in the detail), unblocking that releases nothing, and 放行."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from kashop_desktop.gui.dialogs.buyer import (
    BlockBuyerDialog,
    BuyerNoteDialog,
    ReleaseDialog,
    UnblockBuyerDialog,
)
from kashop_desktop.gui.orders_model import COL_STATUS
from kashop_desktop.gui.orders_page import TAB_STATUSES
from kashop_desktop.services import views
from tests.gui.test_dialogs import desk_context, find_dialog, qasync_loop, small_shop
from tests.gui.test_order_actions import orders_page, settle

pytestmark = pytest.mark.gui

_aloop = pytest.fixture(qasync_loop, name="aloop")
_ctx = pytest.fixture(desk_context, name="ctx")
_shop = pytest.fixture(small_shop, name="shop")
_page = pytest.fixture(orders_page, name="page")


def run_dialog(qtbot: Any, button: Any, cls: type, fill: Any = None) -> Any:
    """Click ``button``, wait for its dialog, fill it, press OK and wait until it closed."""
    button.click()
    qtbot.waitUntil(lambda: find_dialog(cls) is not None, timeout=5000)
    dialog = find_dialog(cls)
    closed: list[Any] = []
    dialog.finished.connect(lambda _code: closed.append(True))
    if fill is not None:
        fill(dialog)
    assert dialog.ok_button.isEnabled(), dialog.message.text()
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: bool(closed), timeout=5000)
    return dialog


def test_note_block_hold_unblock_and_release_from_the_detail(qtbot, ctx, shop, page) -> None:
    held_one = shop.order("paid", buyer="138-0013-8000")
    held_two = shop.order("pending_payment", buyer="+86 138 0013 8000")
    other = shop.order("paid", buyer="13933334444")
    held_tab = TAB_STATUSES.index(views.HELD)
    settle(qtbot, page)
    assert not page.tabs.isTabVisible(held_tab)  # no blocked buyer: no 扣留待审 tab
    assert page.select_order(views.order_detail(ctx.desk, held_one).id)
    field = page.detail.buyer
    assert field.text.text() == "138-0013-8000" and field.block_button.isVisible()

    run_dialog(qtbot, field.note_button, BuyerNoteDialog, lambda d: d.note.setPlainText("老客户，晚上回消息"))
    qtbot.waitUntil(lambda: "老客户" in field.note.text(), timeout=5000)
    assert "已保存买家 13800138000 的备注" in page.detail.notice.text()

    dialog = run_dialog(qtbot, field.block_button, BlockBuyerDialog, lambda d: (
        d.problem() is not None and d.reason.setText("盗刷的支付账户")))
    assert "2 个未发货的订单" in dialog.plan.text()
    # The block's own message, not a reload's: the flag may show first when the list reloads.
    qtbot.waitUntil(lambda: field.blocked.isVisible() and "2 个未发货订单扣留待审" in page.detail.notice.text(),
                    timeout=5000)
    banner = page.detail.hold
    assert banner.isVisible() and "盗刷的支付账户" in banner.text.text() and banner.release_all.isVisible()
    deliver = page.detail.buttons["deliver"]
    assert not deliver.isEnabled() and "扣留待审" in page.detail.reasons["deliver"]
    qtbot.waitUntil(lambda: page.tabs.isTabVisible(held_tab), timeout=5000)
    assert page.tab_count(views.HELD) == 2
    page.tabs.setCurrentIndex(held_tab)
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=5000)
    assert page.model.data(page.model.index(0, COL_STATUS)) == "扣留待审"

    assert page.select_order(views.order_detail(ctx.desk, held_one).id)
    dialog = run_dialog(qtbot, field.unblock_button, UnblockBuyerDialog)
    assert "仍然扣留待审" in dialog.plan.text()
    qtbot.waitUntil(lambda: not field.blocked.isVisible(), timeout=5000)
    assert views.status_counts(ctx.desk)[views.HELD] == 2  # unblocking released nothing
    assert banner.isVisible() and "解除拉黑" in banner.text.text()

    run_dialog(qtbot, banner.release_one, ReleaseDialog, lambda d: d.note.setText("核实过"))
    qtbot.waitUntil(lambda: not banner.isVisible(), timeout=5000)
    assert views.order_detail(ctx.desk, held_one).held_at is None
    assert views.order_detail(ctx.desk, held_two).held_at is not None
    assert views.order_detail(ctx.desk, held_one).events[-1].action == "released"
    assert views.order_detail(ctx.desk, other).held_at is None
    qtbot.waitUntil(lambda: page.detail.buttons["deliver"].isEnabled() or page.detail.order_id is None, timeout=5000)


def test_the_review_dialog_says_the_buyer_is_blocked_and_why(qtbot, ctx, shop) -> None:
    from kashop_desktop.domain.order import ReasonCode
    from kashop_desktop.gui.dialogs import ReviewDialog
    from kashop_desktop.gui.qt import QLabel
    from kashop_desktop.services import buyers
    from kashop_desktop.services import requests as reqs

    no = shop.order("paid", buyer="13955556666", ago=timedelta(hours=3))
    buyers.block(ctx.desk, "13955556666", "恶意退款三次")
    _, request_id = reqs.open_request(ctx.desk, no, ReasonCode.NOT_NEEDED)
    assert request_id is not None
    dialog = ReviewDialog(None, ctx, request_id)
    qtbot.addWidget(dialog)
    texts = [label.text() for label in dialog.findChildren(QLabel)]
    assert "⚠ 已拉黑：恶意退款三次" in texts
