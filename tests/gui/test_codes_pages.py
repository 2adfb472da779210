"""The 商品 and 卡密 pages: adding a product with its own policy, importing codes through the
preview, lock / void / delete from the list, the low-stock warning and the backorder tab."""

from __future__ import annotations

import pytest

from kashop_desktop.domain.codes import CodeState
from kashop_desktop.domain.order import ProductType
from kashop_desktop.gui.dialogs.codes import DeleteCodesDialog, ExportCodesDialog, ImportCodesDialog
from kashop_desktop.gui.dialogs.product import ProductDialog
from kashop_desktop.gui.pages import CodesPage, ProductsPage
from kashop_desktop.gui.pages.codes import BACKORDER_TAB
from kashop_desktop.gui.qt import QItemSelectionModel, QLabel
from kashop_desktop.services import code_import, products
from kashop_desktop.services import orders as ops
from kashop_desktop.store.models import CardCode

from ..services.helpers import order
from .test_dialogs import desk_context, qasync_loop, run, submit

_aloop = pytest.fixture(qasync_loop, name="aloop")
_ctx = pytest.fixture(desk_context, name="ctx")


def test_a_product_is_added_with_its_own_policy_and_shows_its_low_stock(qtbot, ctx) -> None:
    dialog = ProductDialog(None, ctx, None)
    qtbot.addWidget(dialog)
    dialog.name.setText("点卡 30元")
    dialog.price.setText("29.9x")
    assert not dialog.ok_button.isEnabled()
    dialog.price.setText("29.90")
    dialog.threshold.setValue(5)
    own, editor = dialog.overrides["cooling_off_minutes"]
    own.setChecked(True)
    editor.setValue(7)
    dialog.no_refunds.setCurrentIndex(dialog.no_refunds.findData(True))
    assert submit(qtbot, dialog)
    view = products.list_products(ctx.desk)[0]
    assert (view.price_fen, view.threshold, view.low_stock) == (29_90, 5, True)
    assert view.policy_overrides == {"cooling_off_minutes": 7, "no_refunds": True}
    page = ProductsPage(ctx)
    qtbot.addWidget(page)
    assert page.warning.isVisibleTo(page) and "点卡 30元" in page.warning.text()
    assert page.table.item(0, 4).text() == "0"


def test_codes_are_imported_through_the_preview_then_locked_voided_and_deleted(qtbot, ctx) -> None:
    products.add_product(ctx.desk, "点卡 50元", ProductType.CARD_CODE, 50_00, threshold=1)
    page = CodesPage(ctx)
    qtbot.addWidget(page)
    dialog = ImportCodesDialog(None, ctx, "点卡 50元")
    qtbot.addWidget(dialog)
    dialog.text.setPlainText("GUICODE000000001\nGUICODE000000002\nGUICODE000000001\nGUICARD01----GUIPASS01\na b c")
    qtbot.waitUntil(lambda: dialog.plan is not None and not ctx.tasks, timeout=5000)  # checked as typed
    plan = dialog.plan
    assert (len(plan.new), len(plan.duplicates), len(plan.problems)) == (3, 1, 1)
    assert dialog.problems.count() == 2 and dialog.ok_button.text() == "导入 3 个" and dialog.ok_button.isEnabled()
    dialog.batch.setText("首批")
    assert submit(qtbot, dialog)
    qtbot.waitUntil(lambda: page.model.rowCount() == 3, timeout=5000)
    assert "可售 3" in page.stock.text() and not page.warning.isVisibleTo(page)
    assert all("GUICODE" not in row.masked for row in page.model.rows)
    select = page.view.selectionModel()
    select.select(page.model.index(0, 0), QItemSelectionModel.SelectionFlag.Select
                  | QItemSelectionModel.SelectionFlag.Rows)
    assert page.lock_button.isEnabled() and not page.unlock_button.isEnabled()
    run(qtbot, page.move_selected(CodeState.LOCKED))
    qtbot.waitUntil(lambda: page.model.rows[0].state is CodeState.LOCKED, timeout=5000)
    select.select(page.model.index(1, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
                  | QItemSelectionModel.SelectionFlag.Rows)
    run(qtbot, page.move_selected(CodeState.VOID))
    qtbot.waitUntil(lambda: "可售 1" in page.stock.text(), timeout=5000)
    assert page.warning.isVisibleTo(page) and "库存不足" in page.warning.text()  # 1 left, warning at 1
    delete = DeleteCodesDialog(None, ctx, [page.model.rows[1].id])
    qtbot.addWidget(delete)
    assert delete.ok_button.text() == "删除 1 个"
    assert submit(qtbot, delete)
    assert CardCode.select().count() == 2


def test_the_backorder_tab_counts_paid_orders_waiting_and_an_import_fills_them(qtbot, ctx) -> None:
    products.add_product(ctx.desk, "点卡 50元", ProductType.CARD_CODE, 50_00)
    waiting = order(ctx.desk, "pending_payment", prod=products.get_product("点卡 50元"))
    ops.mark_paid(ctx.desk, waiting, "T-WAIT-1", confirmed=True)
    page = CodesPage(ctx)
    qtbot.addWidget(page)
    assert page.tabs.tabText(BACKORDER_TAB) == "缺货待发（1）"
    page.tabs.setCurrentIndex(BACKORDER_TAB)
    assert page.stack.currentIndex() == 1 and page.backorders.item(0, 0).text() == waiting
    assert "1 个已付款订单在等卡密" in page.warning.text()
    run(qtbot, ctx.op(lambda desk: code_import.import_codes(desk, "点卡 50元", ["FILLED0000000001"]).changes))
    qtbot.waitUntil(lambda: page.tabs.tabText(BACKORDER_TAB) == "缺货待发", timeout=5000)
    assert page.backorders.rowCount() == 0


def test_the_review_of_a_dispute_over_an_unused_code_voids_it_before_the_refund(qtbot, ctx) -> None:
    from kashop_desktop.domain.order import CodeUsed, ReasonCode
    from kashop_desktop.gui.dialogs.review import ReviewDialog
    from kashop_desktop.services import requests

    products.add_product(ctx.desk, "点卡 50元", ProductType.CARD_CODE, 50_00)
    code_import.import_codes(ctx.desk, "点卡 50元", ["DISPUTED00000001"])
    no = order(ctx.desk, prod=products.get_product("点卡 50元"))
    ops.deliver(ctx.desk, no)
    ops.set_code_used(ctx.desk, no, CodeUsed.NO)
    _changes, request_id = requests.open_request(ctx.desk, no, ReasonCode.MERCHANT_FAULT, note="卡密无效")
    dialog = ReviewDialog(None, ctx, request_id)
    qtbot.addWidget(dialog)
    assert dialog.void_code.isVisibleTo(dialog) and dialog.void_code.isChecked()
    assert submit(qtbot, dialog)
    assert CardCode.get().state == "void"


def test_the_delete_dialog_says_a_sold_code_is_kept_for_ever(qtbot, ctx, tmp_path) -> None:
    products.add_product(ctx.desk, "点卡 50元", ProductType.CARD_CODE, 50_00)
    code_import.import_codes(ctx.desk, "点卡 50元", ["SOLDGUI000000001", "SOLDGUI000000002"])
    no = order(ctx.desk, prod=products.get_product("点卡 50元"))
    ops.deliver(ctx.desk, no)
    sold = CardCode.get(CardCode.order_id.is_null(False))
    other = CardCode.get(CardCode.order_id.is_null(True))
    delete = DeleteCodesDialog(None, ctx, [sold.id, other.id])
    qtbot.addWidget(delete)
    delete.show()
    text = "\n".join(label.text() for label in delete.findChildren(QLabel))
    assert "曾发给买家，永远不能删除" in text and "只能作废" not in text
    assert not delete.ok_button.isEnabled() and "从未发给买家" in delete.message.text()
    delete.grab().save(str(tmp_path / "delete.png"))


def test_the_export_dialog_never_replaces_a_file_it_was_not_told_to(qtbot, ctx, tmp_path) -> None:
    products.add_product(ctx.desk, "点卡 50元", ProductType.CARD_CODE, 50_00)
    code_import.import_codes(ctx.desk, "点卡 50元", ["EXPORTGUI0000001", "EXPORTGUI0000002"])
    out = tmp_path / "earlier.csv"
    out.write_text("earlier export\n", encoding="utf-8")
    dialog = ExportCodesDialog(None, ctx, "点卡 50元")
    qtbot.addWidget(dialog)
    dialog.options["keep"].setChecked(True)
    dialog.path.setText(str(out))  # typed: the file is there, nobody confirmed replacing it
    assert not submit(qtbot, dialog)
    assert "已存在" in dialog.message.text() and out.read_text("utf-8") == "earlier export\n"
    dialog.path.setText(str(ctx.desk.data_dir / "kashop.sqlite3"))
    assert not submit(qtbot, dialog) and "数据文件夹" in dialog.message.text()
    dialog.confirmed = str(out)  # chosen in the save dialog, which asked
    dialog.path.setText(str(out))
    assert submit(qtbot, dialog)
    assert "EXPORTGUI0000001" in out.read_text("utf-8-sig")
