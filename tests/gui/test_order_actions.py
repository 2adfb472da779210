"""Actions on the orders screen as the owner meets them: each asks first, says what it did,
and leaves the selection on the order it acted on; the detail shows the selected row or nothing;
a delivered 卡密 can be revealed (logged) and copied (cleared from the clipboard again)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kashop_desktop.gui.dialogs import CompleteDialog, DeliverDialog
from kashop_desktop.gui.orders_page import TAB_STATUSES, OrdersPage
from kashop_desktop.gui.qt import QGuiApplication
from kashop_desktop.services import views
from tests.gui.test_dialogs import desk_context, find_dialog, qasync_loop, small_shop

pytestmark = pytest.mark.gui

_aloop = pytest.fixture(qasync_loop, name="aloop")
_ctx = pytest.fixture(desk_context, name="ctx")
_shop = pytest.fixture(small_shop, name="shop")


def orders_page(qtbot: Any, ctx: Any) -> Iterator[OrdersPage]:
    """An orders page on ``ctx`` at 1200x800, shown (a fixture body other GUI tests share)."""
    widget = OrdersPage(ctx)
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    widget.show()
    yield widget
    widget.model._drop_id_list()  # no id-list read may start after the context closed
    widget.close()


_page = pytest.fixture(orders_page, name="page")


def settle(qtbot: Any, page: OrdersPage, action: Any = None) -> None:
    """Run ``action`` (a refresh by default) and wait until the list shows its result: the
    list is read on the database worker."""
    with qtbot.waitSignal(page.model.filter_applied, timeout=5000):
        (action or page.refresh)()


def press(qtbot: Any, page: OrdersPage, key: str, cls: type, ok: bool = True) -> Any:
    """Click an action button, wait for its dialog, confirm (or dismiss) it, wait until it closed."""
    page.detail.buttons[key].click()
    qtbot.waitUntil(lambda: find_dialog(cls) is not None, timeout=5000)
    dialog = find_dialog(cls)
    closed: list[Any] = []
    dialog.finished.connect(lambda _code: closed.append(dialog.result_value))
    if ok:
        assert dialog.ok_button.isEnabled(), dialog.message.text()
        dialog.ok_button.click()
    else:
        dialog.cancel_button.click()
    qtbot.waitUntil(lambda: bool(closed), timeout=5000)
    return dialog


def test_deliver_asks_first_names_the_code_and_the_buyer_and_keeps_the_selection(qtbot, ctx, shop, page) -> None:
    first = shop.order("paid", buyer="13911112222")
    second = shop.order("paid", buyer="13933334444")
    page.tabs.setCurrentIndex(TAB_STATUSES.index("paid"))
    settle(qtbot, page)
    assert page.model.rowCount() == 2
    target = views.order_detail(ctx.desk, first)
    assert page.select_order(target.id)

    # Dismissing the question delivers nothing.
    dialog = press(qtbot, page, "deliver", DeliverDialog, ok=False)
    assert views.order_detail(ctx.desk, first).status.value == "paid"
    plan = dialog.plan.text()
    assert "13911112222" in plan and "••••••••EFGH" in plan and "KW0" not in plan  # masked: the code that will go
    assert dialog.cancel_button.text() == "暂不发货"

    press(qtbot, page, "deliver", DeliverDialog)
    qtbot.waitUntil(lambda: page.detail.detail is not None and page.detail.detail.status.value == "delivered",
                    timeout=5000)
    after = views.order_detail(ctx.desk, first)
    assert after.status.value == "delivered" and after.card_code
    assert views.order_detail(ctx.desk, second).status.value == "paid"  # the other one untouched
    # The selection and the detail stay on the order just delivered; 发货 is no longer offered.
    assert page.current_row().id == target.id and page.detail.order_id == target.id
    assert not page.detail.buttons["deliver"].isEnabled()
    assert page.detail.notice.isVisible() and page.detail.notice.kind == "ok"
    assert "13911112222" in page.detail.notice.text() and after.masked_code in page.detail.notice.text()


def test_complete_asks_and_confirms(qtbot, ctx, shop, page) -> None:
    order_no = shop.order("delivered", code_used="no")
    settle(qtbot, page)
    assert page.select_order(views.order_detail(ctx.desk, order_no).id)
    assert page.detail.buttons["complete"].isEnabled()
    press(qtbot, page, "complete", CompleteDialog)
    qtbot.waitUntil(lambda: views.order_detail(ctx.desk, order_no).status.value == "completed", timeout=5000)
    qtbot.waitUntil(lambda: page.detail.notice.isVisible(), timeout=5000)
    assert order_no in page.detail.notice.text()
    assert not page.detail.buttons["complete"].isEnabled()
    assert [e.action for e in views.order_detail(ctx.desk, order_no).events][-1] == "complete"


def test_the_detail_shows_the_selected_row_of_the_list_in_view_or_nothing(qtbot, ctx, shop, page) -> None:
    delivered = shop.order("delivered")
    shop.order("paid")
    settle(qtbot, page)
    assert page.select_order(views.order_detail(ctx.desk, delivered).id)
    assert page.detail.order_id is not None
    settle(qtbot, page, lambda: page.tabs.setCurrentIndex(TAB_STATUSES.index("paid")))
    assert page.detail.order_id is None
    assert page.detail.chip.isHidden() and page.detail.title.text() == "未选择订单"  # no empty chip beside it
    assert not page.detail.buttons["review"].isEnabled() and not page.detail.buttons["cancel"].isEnabled()
    page.view.setFocus()  # focus gives the view a current row without selecting it
    assert page.detail.order_id is None
    page.select_row(0)
    assert page.detail.order_id == page.current_row().id
    assert page.detail.detail.status.value == "paid"
    assert not page.detail.chip.isHidden() and page.detail.chip.text()
    if page.detail.detail.product_type == "card_code":  # nothing delivered: nothing to have used
        assert page.detail.fields["code_used"].text() == "—"


def test_a_delivered_code_is_revealed_with_a_timeline_entry_and_copied_then_cleared(qtbot, ctx, shop, page) -> None:
    order_no = shop.order("delivered")
    detail = views.order_detail(ctx.desk, order_no)
    settle(qtbot, page)
    assert page.select_order(detail.id)
    field = page.detail.code
    assert field.text.text() == detail.masked_code and field.text.text().startswith("••••")
    field.reveal_button.click()
    qtbot.waitUntil(lambda: field.text.text().startswith("KX"), timeout=5000)
    clear = field.text.text()
    assert clear.endswith("ZZZZZZZZ") and clear not in (detail.card_code or "")  # stored sealed only
    events = views.order_detail(ctx.desk, order_no).events
    assert events[-1].action == "reveal_code" and events[-1].actor == "owner"
    qtbot.waitUntil(lambda: page.detail.timeline.item(0, 3) is not None
                    and page.detail.timeline.item(0, 3).text() == "查看卡密", timeout=5000)

    assert field.hide_button.isVisible() and not field.reveal_button.isVisible()
    field.hide_button.click()  # 隐藏: masked again, nothing written
    assert field.text.text() == detail.masked_code and field.reveal_button.isVisible()
    assert not field.hide_button.isVisible()

    field.copy_button.click()  # copying is written to the timeline too, each time
    qtbot.waitUntil(lambda: QGuiApplication.clipboard().text() == clear, timeout=5000)
    events = views.order_detail(ctx.desk, order_no).events
    assert [e.action for e in events[-2:]] == ["reveal_code", "copy_code"] and events[-1].actor == "owner"
    qtbot.waitUntil(lambda: page.detail.timeline.item(0, 3).text() == "复制卡密", timeout=5000)
    assert field.text.text() == detail.masked_code  # a copy does not show the code on screen
    assert "30 秒后从剪贴板清除" in page.detail.notice.text()
    assert field.clear_timer.isActive() and field.clear_timer.interval() == 30_000
    field.clear_timer.start(0)  # the 30 s are up
    qtbot.waitUntil(lambda: QGuiApplication.clipboard().text() == "", timeout=5000)
    # A revealed code is hidden again when the selection moves, and stays hidden coming back.
    field.reveal_button.click()
    qtbot.waitUntil(lambda: field.text.text() == clear, timeout=5000)
    other = shop.order("delivered")
    settle(qtbot, page)
    assert page.select_order(views.order_detail(ctx.desk, other).id)
    assert field.text.text().startswith("••••") and not field.hide_button.isVisible()
    assert page.select_order(detail.id)
    assert field.text.text() == detail.masked_code


def test_the_clipboard_is_left_alone_when_the_owner_copied_something_else(qtbot, ctx, shop, page) -> None:
    order_no = shop.order("delivered")
    settle(qtbot, page)
    assert page.select_order(views.order_detail(ctx.desk, order_no).id)
    field = page.detail.code
    field.clear_after_ms = 60_000
    field.copy_button.click()
    qtbot.waitUntil(lambda: QGuiApplication.clipboard().text().startswith("KX"), timeout=5000)
    QGuiApplication.clipboard().setText("买家的QQ号 88886666")
    field.clear_clipboard()
    assert QGuiApplication.clipboard().text() == "买家的QQ号 88886666"


def test_the_cancel_reason_chosen_in_the_dialog_shows_in_the_timeline(qtbot, ctx, shop, page) -> None:
    from kashop_desktop.domain.order import ReasonCode
    from kashop_desktop.gui.dialogs import CancelDialog

    order_no = shop.order("pending_payment")
    settle(qtbot, page)
    assert page.select_order(views.order_detail(ctx.desk, order_no).id)
    page.detail.buttons["cancel"].click()
    qtbot.waitUntil(lambda: find_dialog(CancelDialog) is not None, timeout=5000)
    dialog = find_dialog(CancelDialog)
    dialog.reason.set_reason(ReasonCode.NOT_NEEDED)
    dialog.note.setText("面值选错")
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: page.detail.notice.isVisible(), timeout=5000)
    assert page.detail.notice.text() == f"订单 {order_no} 已取消"
    timeline = page.detail.timeline
    assert timeline.item(0, 3).text() == "取消订单"
    assert timeline.item(0, 5).text() == "不需要了：面值选错"
    # The owner's selection stays on the cancelled order, whose Cancel is no longer offered.
    assert page.detail.order_id == page.current_row().id
    assert not page.detail.buttons["cancel"].isEnabled() and page.detail.buttons["restore"].isEnabled()


def test_request_dialog_rows_keep_their_spacing_when_the_amount_is_invalid(qtbot, ctx, shop) -> None:
    from kashop_desktop.gui.dialogs import OpenRequestDialog

    dialog = OpenRequestDialog(None, ctx, shop.order("paid"))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)

    def gap() -> int:
        return dialog.note.geometry().top() - dialog.reason.geometry().bottom()

    before, height = gap(), dialog.height()
    dialog.amount.setText("12.345")  # three decimals: the error line appears, the dialog grows
    qtbot.waitUntil(lambda: dialog.message.isVisible() and dialog.height() > height, timeout=3000)
    assert gap() == before
    dialog.amount.setText("12.34")  # fixed: the error line goes, the dialog gives the height back
    qtbot.waitUntil(lambda: not dialog.message.isVisible(), timeout=3000)
    qtbot.waitUntil(lambda: dialog.height() == height, timeout=3000)
    assert gap() == before  # rows do not spread over the spare height
    dialog.resize(dialog.width(), height + 150)  # the owner drags it taller: that height stays
    qtbot.waitUntil(lambda: dialog.height() == height + 150, timeout=3000)
    dialog.amount.setText("12")
    assert dialog.height() == height + 150


def test_a_requeued_banner_does_not_outlive_a_send_that_failed_again(qtbot, ctx, shop) -> None:
    from kashop_desktop.gui.pages import RefundsPage
    from kashop_desktop.services.refund_queue import QueueReport

    page = RefundsPage(ctx)
    qtbot.addWidget(page)
    page.message.show_message("已重新排队：RF0001", "ok")
    page.on_report(QueueReport(picked=1, failed=1))
    assert page.message.kind == "error" and "已重新排队" not in page.message.text()
    assert "1 笔失败" in page.message.text()
    page.message.show_message("已重新排队：RF0002", "ok")
    page.on_report(QueueReport(picked=1, succeeded=1))
    assert not page.message.isVisible()
