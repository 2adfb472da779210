"""订单 > 新建订单 in the window, from the form to a delivered code, against a running fake
gateway on loopback: the buyer pays through the fake's ``/__fake__/pay``."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import segno
import zxingcpp

from kashop_desktop.gateways.fakes import fake_class
from kashop_desktop.gui.dialogs.new_sale import NewSaleDialog
from kashop_desktop.gui.qr_image import QUIET_ZONE, module_scale, qr_image
from kashop_desktop.gui.qt import QGuiApplication, QImage, QSettings
from kashop_desktop.services import orders as order_ops
from kashop_desktop.services.gateways import save_account
from kashop_desktop.store.models import Coupon, Order, OrderEvent
from tests.gui.test_dialogs import desk_context, find_dialog, qasync_loop, run
from tests.services.helpers import product

pytestmark = pytest.mark.gui

_aloop = pytest.fixture(qasync_loop, name="aloop")
_ctx = pytest.fixture(desk_context, name="ctx")
FAST = (0.05,)


@pytest.fixture
def wechat(ctx: Any) -> Iterator[Any]:
    server = fake_class("wechatpay_v3")().start()
    try:
        save_account(ctx.desk, "微信", "wechatpay_v3", server.account_config("wechatpay_v3"))
        product(ctx.desk, codes=3)
        yield server
    finally:
        server.stop()


def window(qtbot: Any, ctx: Any, tmp_path: Path) -> Any:
    from kashop_desktop.gui.main_window import MainWindow

    win = MainWindow(ctx, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    return win


def open_dialog(qtbot: Any, win: Any, *, button: bool = False) -> NewSaleDialog:
    if button:  # the 新建订单… button beside the orders page's tabs
        assert win.new_sale_button.isVisible()
        win.new_sale_button.click()
    else:  # 订单 > 新建订单 (Ctrl+N)
        assert win.new_sale_action.shortcut().toString() == "Ctrl+N"
        win.new_sale_action.trigger()
    qtbot.waitUntil(lambda: find_dialog(NewSaleDialog) is not None, timeout=5000)
    dialog: NewSaleDialog = find_dialog(NewSaleDialog)
    dialog.poll_steps = FAST
    return dialog


def fill(dialog: NewSaleDialog, buyer: str = "138 0013 8000", payment: str = "微信", qty: int = 1) -> None:
    dialog.quantity.setValue(qty)
    dialog.buyer.setText(buyer)
    index = dialog.payment.findData(payment)
    assert index >= 0, [dialog.payment.itemData(i) for i in range(dialog.payment.count())]
    dialog.payment.setCurrentIndex(index)


def create(qtbot: Any, dialog: NewSaleDialog) -> None:
    assert dialog.ok_button.isEnabled(), dialog.message.text()
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: dialog.sale is not None and dialog.pay.isVisible(), timeout=9000)


def close(qtbot: Any, dialog: NewSaleDialog) -> None:
    """Close the dialog as the owner does (its polling stops), before the fixtures go."""
    if dialog.close_button.isVisible():
        dialog.close_button.click()
    else:
        dialog.reject()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)


def pay(server: Any, order_no: str) -> None:
    httpx.post(f"{server.url}__fake__/pay", json={"out_trade_no": order_no}, timeout=5).raise_for_status()


def decode(image: QImage) -> str:
    found = zxingcpp.read_barcodes(image.convertToFormat(QImage.Format.Format_Grayscale8))
    assert found, "no QR code found in the image"
    return str(found[0].text)


def events(order_no: str, action: str) -> int:
    oid = Order.get(Order.order_no == order_no).id
    return OrderEvent.select().where((OrderEvent.order == oid) & (OrderEvent.action == action)).count()


def test_from_new_sale_to_a_delivered_code(qtbot: Any, ctx: Any, wechat: Any, tmp_path: Path) -> None:
    win = window(qtbot, ctx, tmp_path)
    dialog = open_dialog(qtbot, win)
    fill(dialog, qty=2)
    assert "¥136.00" in dialog.amount.text() and "库存 3 件" in dialog.stock.text()
    assert "13800138000" in dialog.buyer_hint.text()
    create(qtbot, dialog)
    sale = dialog.sale
    assert sale is not None and sale.waiting and wechat.ledger.payments[sale.order_no].amount_fen == 136_00
    shown = dialog.pay.qr.pixmap().toImage()
    assert shown.width() == shown.height() >= 240 and decode(shown) == sale.qr_content
    assert sale.order_no in dialog.pay.heading.text() and "¥136.00" in dialog.pay.amount.text()
    assert "后未付款将自动关闭" in dialog.pay.countdown.text()
    dialog.pay.copy_qr.click()  # for a buyer in a chat, who cannot scan this screen
    assert decode(QGuiApplication.clipboard().image()) == sale.qr_content
    dialog.pay.copy_link.click()
    assert QGuiApplication.clipboard().text() == sale.qr_content and "已复制" in dialog.pay.copied.text()
    dialog.grab().save(str(tmp_path / "qr.png"))
    pay(wechat, sale.order_no)
    qtbot.waitUntil(lambda: dialog.sale is not None and dialog.sale.codes == 2, timeout=9000)
    assert "已支付，已发货" in dialog.pay.state.text() and dialog.pay.codes.isVisible()
    assert not dialog.cancel_order.isVisible()
    dialog.pay.codes.clear_after_ms = 50
    dialog.pay.codes.copy_button.click()
    qtbot.waitUntil(lambda: QGuiApplication.clipboard().text().startswith("CODE-"), timeout=5000)
    assert len(QGuiApplication.clipboard().text().splitlines()) == 2 and events(sale.order_no, "copy_code") == 1
    qtbot.waitUntil(lambda: QGuiApplication.clipboard().text() == "", timeout=5000)
    dialog.close_button.click()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    assert events(sale.order_no, "deliver") == 1


def test_every_path_seeing_the_payment_delivers_once(qtbot: Any, ctx: Any, wechat: Any, tmp_path: Path) -> None:
    win = window(qtbot, ctx, tmp_path)
    dialog = open_dialog(qtbot, win)
    fill(dialog)
    create(qtbot, dialog)
    assert dialog.sale is not None
    no = dialog.sale.order_no
    pay(wechat, no)
    background = asyncio.ensure_future(ctx.sync_payments(force=True))  # the window's own sync, meanwhile
    qtbot.waitUntil(lambda: background.done() and dialog.sale is not None and dialog.sale.paid, timeout=9000)
    trade_no = wechat.ledger.payments[no].trade_no
    assert "already_paid" in order_ops.mark_paid(ctx.desk, no, trade_no, confirmed=True).messages
    qtbot.waitUntil(lambda: dialog.checks >= 1, timeout=9000)
    assert events(no, "deliver") == 1 and events(no, "payment_found") == 1 and dialog.sale.codes == 1
    close(qtbot, dialog)


def test_cancel_asks_twice_and_closes_the_trade(qtbot: Any, ctx: Any, wechat: Any, tmp_path: Path) -> None:
    Coupon.create(code="VIP5", discount_fen=5_00)
    dialog = open_dialog(qtbot, window(qtbot, ctx, tmp_path))
    fill(dialog)
    dialog.coupon.setText("VIP5")
    assert "¥63.00" in dialog.amount.text() and "−¥5.00" in dialog.amount.text()
    dialog.poll_steps = (60.0,)  # the owner cancels before the first check
    create(qtbot, dialog)
    assert dialog.sale is not None
    no = dialog.sale.order_no
    dialog.cancel_order.click()
    qtbot.waitUntil(lambda: dialog.cancel_armed, timeout=5000)
    assert "再点一次" in dialog.pay.state.text() and dialog.sale.waiting
    dialog.cancel_order.click()
    qtbot.waitUntil(lambda: dialog.sale is not None and dialog.sale.status == "cancelled", timeout=9000)
    assert wechat.ledger.payments[no].status == "closed" and events(no, "trade_closed") == 1
    assert Coupon.get_by_id("VIP5").used_by_order is None and "订单已取消" in dialog.pay.state.text()
    close(qtbot, dialog)


def test_closing_leaves_the_order_waiting_for_the_background_sync(qtbot: Any, ctx: Any, wechat: Any,
                                                                  tmp_path: Path) -> None:
    win = window(qtbot, ctx, tmp_path)
    dialog = open_dialog(qtbot, win, button=True)
    fill(dialog, buyer="qq 12345678")
    create(qtbot, dialog)
    assert dialog.sale is not None
    no = dialog.sale.order_no
    dialog.close_button.click()
    qtbot.waitUntil(lambda: "仍在等待付款" in win.statusBar().currentMessage(), timeout=5000)
    assert Order.get(Order.order_no == no).status == "pending_payment"
    pay(wechat, no)
    report = run(qtbot, ctx.sync_payments(force=True))
    assert [r.code for r in report.results] == ["paid_delivered"]


def test_manual_cash_sale_and_the_forms_refusals(qtbot: Any, ctx: Any, wechat: Any, tmp_path: Path) -> None:
    dialog = open_dialog(qtbot, window(qtbot, ctx, tmp_path))
    fill(dialog, qty=4, payment="manual:cash")
    assert not dialog.ok_button.isEnabled() and "只剩 3 件" in dialog.message.text()
    dialog.quantity.setValue(1)
    dialog.buyer.setText("138-0013-800")
    assert not dialog.ok_button.isEnabled() and "不是有效的" in dialog.message.text()
    dialog.buyer.setText("alice@example.com")
    assert not dialog.ok_button.isEnabled() and "确认已收到" in dialog.message.text()
    dialog.received.setChecked(True)
    assert dialog.ok_button.text() == "收款并发货"
    create(qtbot, dialog)
    assert dialog.sale is not None and dialog.sale.status == "delivered" and dialog.sale.codes == 1
    assert not dialog.pay.qr.isVisible() and "已支付，已发货" in dialog.pay.state.text()
    assert Order.get(Order.order_no == dialog.sale.order_no).channel == "cash"
    close(qtbot, dialog)


def test_qr_image_is_square_sharp_and_matches_segno() -> None:
    content = "weixin://wxpay/bizpayurl?pr=abc123XYZ"
    image = qr_image(content)
    matrix = segno.make(content, error="m", micro=False).matrix
    scale = module_scale(len(matrix))
    assert image.width() == image.height() == (len(matrix) + 2 * QUIET_ZONE) * scale >= 240
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            for dy, dx in ((0, 0), (scale - 1, scale - 1)):  # every module is a whole square
                x, y = (c + QUIET_ZONE) * scale + dx, (r + QUIET_ZONE) * scale + dy
                assert (image.pixelColor(x, y).value() == 0) == bool(dark), (r, c)
    assert all(image.pixelColor(x, 1).value() == 255 for x in range(image.width()))  # quiet zone
    assert decode(image) == content


def test_the_order_detail_shows_a_waiting_sales_qr_again(qtbot: Any, ctx: Any, wechat: Any) -> None:
    from kashop_desktop.gui.order_detail import OrderDetailPane
    from kashop_desktop.services.sale import SaleInput
    from kashop_desktop.services.sale_flow import open_sale

    _created, sale = run(qtbot, open_sale(ctx.desk, SaleInput("王者荣耀点券 680点", 1, "13800138000", gateway="微信"),
                                          ctx.payment_sync))
    pane = OrderDetailPane(ctx)
    qtbot.addWidget(pane)
    pane.show_order(Order.get(Order.order_no == sale.order_no).id)
    assert 'href="qr"' in pane.sync_line.text() and "显示收款二维码" in pane.sync_line.text()
    pane.sync_line.linkActivated.emit("qr")
    qtbot.waitUntil(lambda: find_dialog(NewSaleDialog) is not None, timeout=5000)
    dialog: NewSaleDialog = find_dialog(NewSaleDialog)
    assert dialog.pay.isVisible() and decode(dialog.pay.qr.pixmap().toImage()) == sale.qr_content
    dialog.poll_steps = FAST
    pay(wechat, sale.order_no)
    qtbot.waitUntil(lambda: dialog.sale is not None and dialog.sale.codes == 1, timeout=9000)
    dialog.close_button.click()
    pane.reload()  # the orders page does this on ctx.changed
    assert 'href="qr"' not in pane.sync_line.text() and pane.detail is not None
    assert pane.detail.status.value == "delivered"


def test_a_gateway_that_gives_no_qr_keeps_the_form(qtbot: Any, ctx: Any, wechat: Any, tmp_path: Path) -> None:
    dialog = open_dialog(qtbot, window(qtbot, ctx, tmp_path))
    fill(dialog, buyer="wxid_buyer01")
    wechat.set_chaos(fail_5xx_rate=1.0)
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: "网关未能创建收款二维码" in dialog.message.text() and not dialog.busy, timeout=9000)
    assert dialog.sale is None and dialog.form_box.isVisible() and dialog.buyer.text() == "wxid_buyer01"
    voided = Order.get()
    assert voided.status == "cancelled" and voided.order_no in dialog.message.text()
    assert "库存 3 件" in dialog.stock.text()  # the reserved code is back on the shelf
    wechat.set_chaos(fail_5xx_rate=0.0)
    dialog.buyer.setText("wxid_buyer02")  # an edit clears the error; 创建 works again
    create(qtbot, dialog)
    assert dialog.sale is not None and dialog.sale.waiting
    close(qtbot, dialog)


def test_without_a_qr_account_the_form_says_where_to_add_one(qtbot: Any, ctx: Any, tmp_path: Path) -> None:
    product(ctx.desk, codes=1)
    dialog = open_dialog(qtbot, window(qtbot, ctx, tmp_path))
    assert dialog.no_qr.isVisible() and "网关" in dialog.no_qr.text()
    assert all(str(dialog.payment.itemData(i)).startswith("manual:") for i in range(dialog.payment.count()))
    close(qtbot, dialog)
