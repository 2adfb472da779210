"""商品: every product with its price, stock (a 卡密 product's available codes), codes by state,
backorders, low-stock threshold and warning, and its own refund-policy overrides."""

from __future__ import annotations

from typing import Any

from ...domain.money import format_yuan
from ...domain.roles import Right
from ...services import products as product_service
from ...services.products import ProductView
from ..context import DeskContext
from ..dialogs.base import InlineMessage
from ..dialogs.product import ProductDialog
from ..i18n import product_type_label
from ..qt import (
    QAbstractItemView,
    QBrush,
    QColor,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    Qt,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from .permissions import refuse_reason

(COL_NAME, COL_TYPE, COL_PRICE, COL_SKU, COL_STOCK, COL_OTHER_CODES, COL_BACKORDERS, COL_THRESHOLD,
 COL_POLICY) = range(9)
WARNING = "#a61b1b"


class ProductsPage(QWidget):
    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.products: list[ProductView] = []
        self._build()
        # A bound method, not a lambda: Qt drops the connection when a rebuild deletes this page
        # (a lambda would keep calling into the deleted page's widgets).
        ctx.changed.connect(self.on_changed)
        self.reload()

    def _build(self) -> None:
        self.table = QTableWidget(0, 9, self)
        self.table.setHorizontalHeaderLabels([
            self.tr("商品"), self.tr("类型"), self.tr("价格"), self.tr("SKU / 面值"), self.tr("库存（可售）"),
            self.tr("锁定 · 已发出 · 作废"), self.tr("缺货待发"), self.tr("低库存提醒"), self.tr("单独的退款政策")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self.update_actions)
        self.table.doubleClicked.connect(lambda _index: self.ctx.start(self.edit_product()))
        self.add_button = QPushButton(self.tr("添加商品…"), self)
        self.add_button.clicked.connect(lambda: self.ctx.start(self.add_product()))
        self.edit_button = QPushButton(self.tr("编辑…"), self)
        self.edit_button.clicked.connect(lambda: self.ctx.start(self.edit_product()))
        self.warning = InlineMessage(self)
        note = QLabel(self.tr("卡密商品的库存就是可售卡密数，在「卡密」页导入；库存降到提醒数时提醒一次，补货后才会再次提醒。"), self)
        note.setWordWrap(True)
        note.setStyleSheet("color:#555;")
        bar = QHBoxLayout()
        bar.addWidget(self.add_button)
        bar.addWidget(self.edit_button)
        bar.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.warning)
        layout.addWidget(self.table, 1)
        layout.addWidget(note)

    def on_changed(self, _changes: object) -> None:
        self.reload()

    def reload(self) -> None:
        selected = self.selected()
        self.products = product_service.list_products(self.ctx.desk)
        self.table.setRowCount(len(self.products))
        for row, product in enumerate(self.products):
            self._fill_row(row, product)
            if selected is not None and product.id == selected.id:
                self.table.selectRow(row)
        low = [p.name for p in self.products if p.low_stock]
        if low:
            self.warning.show_message(self.tr("库存不足：{names}").format(names=self.tr("、").join(low)), "error")
        else:
            self.warning.clear_message()
        self.update_actions()

    def _fill_row(self, row: int, p: ProductView) -> None:
        card = p.product_type.value == "card_code"
        stock = str(p.stock) + (self.tr("（循环）") if p.reusable else "")
        cells = [p.name, product_type_label(p.product_type.value), format_yuan(p.price_fen, symbol=True),
                 " ".join(x for x in (p.sku, format_yuan(p.face_value_fen, symbol=True) if p.face_value_fen else "") if x),
                 stock, " · ".join(str(p.codes.get(s, 0)) for s in ("locked", "delivered", "void")) if card else "—",
                 str(p.backorders) if card else "—",
                 str(p.threshold) if p.threshold else self.tr("不提醒"), self._policy_text(p.policy_overrides)]
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if column in (COL_PRICE, COL_STOCK, COL_OTHER_CODES, COL_BACKORDERS, COL_THRESHOLD):
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if (column == COL_STOCK and p.low_stock) or (column == COL_BACKORDERS and p.backorders):
                item.setForeground(QBrush(QColor(WARNING)))
                item.setToolTip(self.tr("库存不足") if column == COL_STOCK else self.tr("已付款、等待卡密的订单"))
            self.table.setItem(row, column, item)

    def _policy_text(self, overrides: dict[str, Any]) -> str:
        if overrides.get("no_refunds"):
            return self.tr("不支持退款")
        return self.tr("{n} 项").format(n=len(overrides)) if overrides else self.tr("沿用店铺设置")

    def selected(self) -> ProductView | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self.products[rows[0].row()] if rows and rows[0].row() < len(self.products) else None

    def update_actions(self) -> None:
        refused = refuse_reason(self.ctx.desk, Right.STOCK)  # the services refuse it too
        self.add_button.setEnabled(refused is None)
        self.edit_button.setEnabled(self.selected() is not None and refused is None)
        for button in (self.add_button, self.edit_button):
            button.setToolTip(refused or "")

    async def add_product(self) -> Any:
        return await ProductDialog.ask(self, self.ctx, None)

    async def edit_product(self) -> Any:
        product = self.selected()
        if product is None:
            return None
        return await ProductDialog.ask(self, self.ctx, product)
