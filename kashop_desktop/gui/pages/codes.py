"""卡密: a product's codes by state (masked, never in clear), its stock, the low-stock warning,
and the backorder queue (缺货待发) with its count; import, lock, unlock, void, delete, export.

The code list is a ``QAbstractTableModel`` that fetches 500 rows at a time as the view scrolls,
so a product with 100,000 codes opens at once; filtering is done in SQL (state, batch).
"""

from __future__ import annotations

from typing import Any

from ...domain.codes import CodeState
from ...domain.errors import DomainError
from ...domain.money import format_yuan
from ...domain.roles import Right
from ...services import codes as code_service
from ...services import products as product_service
from ...services.codes import CodeView
from ..context import DeskContext
from ..dialogs.base import InlineMessage, when
from ..dialogs.codes import DeleteCodesDialog, ExportCodesDialog, ImportCodesDialog
from ..i18n import code_state_label, error_text
from ..qt import (
    QAbstractItemView,
    QAbstractTableModel,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QModelIndex,
    QPersistentModelIndex,
    QPushButton,
    QStackedWidget,
    Qt,
    QTabBar,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from .permissions import refuse_reason

Index = QModelIndex | QPersistentModelIndex
PAGE = 500
STATE_TABS: tuple[CodeState | None, ...] = (None, CodeState.AVAILABLE, CodeState.RESERVED, CodeState.DELIVERED,
                                            CodeState.LOCKED, CodeState.VOID)
BACKORDER_TAB = len(STATE_TABS)


class CodesModel(QAbstractTableModel):
    """One product's codes, oldest first, fetched a page at a time."""

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.rows: list[CodeView] = []
        self.total = 0
        self.query: tuple[str | None, CodeState | None, str | None] = (None, None, None)
        self.headers = [self.tr("ID"), self.tr("卡密"), self.tr("状态"), self.tr("批次"), self.tr("成本"),
                        self.tr("导入时间"), self.tr("订单号")]

    def set_query(self, product: str | None, state: CodeState | None, batch: str | None) -> None:
        self.beginResetModel()
        self.query = (product, state, batch)
        self.rows = []
        self.total = code_service.count_codes(self.ctx.desk, product, state, batch) if product else 0
        self.endResetModel()
        if self.canFetchMore(QModelIndex()):
            self.fetchMore(QModelIndex())

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008 - Qt signature
        return not parent.isValid() and len(self.rows) < self.total

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008 - Qt signature
        product, state, batch = self.query
        more = code_service.list_codes(self.ctx.desk, product, state, batch, limit=PAGE, offset=len(self.rows))
        if not more:
            self.total = len(self.rows)
            return
        self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(more) - 1)
        self.rows.extend(more)
        self.endInsertRows()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.headers[section] if 0 <= section < len(self.headers) else None
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        code = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return (str(code.id), code.masked, code_state_label(code.state.value), code.batch,
                    format_yuan(code.cost_fen, symbol=True) if code.cost_fen else "", when(code.imported_at),
                    code.order_no or "")[index.column()]
        if role == Qt.ItemDataRole.UserRole:
            return code
        return None


class CodesPage(QWidget):
    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.model = CodesModel(ctx, self)
        self._build()
        # A bound method, not a lambda: Qt drops the connection when a rebuild deletes this page
        # (a lambda would keep calling into the deleted page's widgets).
        ctx.changed.connect(self.on_changed)
        self.reload()

    def _build(self) -> None:
        self.product = QComboBox(self)
        self.product.setMinimumContentsLength(14)
        self.product.currentIndexChanged.connect(lambda _i: self.reload_codes())
        self.batch = QComboBox(self)
        self.batch.currentIndexChanged.connect(lambda _i: self.reload_codes(keep_batches=True))
        self.stock = QLabel(self)
        self.import_button = self._button(self.tr("导入卡密…"), lambda: self.ctx.start(self.import_codes()))
        self.export_button = self._button(self.tr("导出…"), lambda: self.ctx.start(self.export_codes()))
        top = QHBoxLayout()
        for widget in (QLabel(self.tr("商品"), self), self.product, QLabel(self.tr("批次"), self), self.batch):
            top.addWidget(widget)
        top.addWidget(self.stock, 1)
        top.addWidget(self.import_button)
        top.addWidget(self.export_button)
        self.warning = InlineMessage(self)
        self.tabs = QTabBar(self)
        self.tabs.setExpanding(False)
        self.tabs.setUsesScrollButtons(False)  # a narrow window elides the labels, never scroll arrows
        self.tabs.setElideMode(Qt.TextElideMode.ElideRight)
        for state in STATE_TABS:
            self.tabs.addTab(code_state_label(state.value) if state else self.tr("全部"))
        self.tabs.addTab(self.tr("缺货待发"))
        self.tabs.currentChanged.connect(lambda _i: self.reload_codes(keep_batches=True))
        self.view = QTableView(self)
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.verticalHeader().hide()
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.selectionModel().selectionChanged.connect(lambda *_: self.update_actions())
        self.backorders = QTableWidget(0, 6, self)
        self.backorders.setHorizontalHeaderLabels([self.tr("订单号"), self.tr("数量"), self.tr("实付"), self.tr("买家"),
                                                   self.tr("支付时间"), self.tr("缺货起")])
        self.backorders.verticalHeader().hide()
        self.backorders.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.backorders.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.backorders.horizontalHeader().setStretchLastSection(True)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.backorders)
        self.lock_button = self._button(self.tr("锁定"), lambda: self.ctx.start(self.move_selected(CodeState.LOCKED)))
        self.unlock_button = self._button(self.tr("解锁"), lambda: self.ctx.start(self.move_selected(CodeState.AVAILABLE)))
        self.void_button = self._button(self.tr("作废"), lambda: self.ctx.start(self.move_selected(CodeState.VOID)))
        self.delete_button = self._button(self.tr("删除…"), lambda: self.ctx.start(self.delete_codes()))
        self.hint = QLabel(self)
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color:#555;")
        actions = QHBoxLayout()
        for button in (self.lock_button, self.unlock_button, self.void_button, self.delete_button):
            actions.addWidget(button)
        actions.addWidget(self.hint, 1)
        self.result = InlineMessage(self)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.warning)
        layout.addWidget(self.tabs)
        layout.addWidget(self.stack, 1)
        layout.addLayout(actions)
        layout.addWidget(self.result)

    def _button(self, text: str, slot: Any) -> QPushButton:
        button = QPushButton(text, self)
        button.clicked.connect(slot)
        return button

    # ---- loading -------------------------------------------------------------------------------
    def current_product(self) -> str | None:
        value = self.product.currentData()
        return str(value) if value else None

    def on_changed(self, _changes: object) -> None:
        self.reload()

    def reload(self) -> None:
        chosen = self.current_product()
        self.products = [p for p in product_service.list_products(self.ctx.desk) if p.product_type.value == "card_code"]
        self.product.blockSignals(True)
        self.product.clear()
        for p in self.products:
            self.product.addItem(p.name, p.name)
        if chosen is not None and self.product.findData(chosen) >= 0:
            self.product.setCurrentIndex(self.product.findData(chosen))
        self.product.blockSignals(False)
        self.reload_codes(keep_batches=True)

    def reload_codes(self, keep_batches: bool = False) -> None:
        product = self.current_product()
        view = next((p for p in self.products if p.name == product), None)
        if not keep_batches or self.batch.count() == 0:
            self._fill_batches(product)
        waiting = product_service.backorders(self.ctx.desk, product) if product else []
        self.tabs.setTabText(BACKORDER_TAB, self.tr("缺货待发（{n}）").format(n=len(waiting)) if waiting
                             else self.tr("缺货待发"))
        self.tabs.setTabTextColor(BACKORDER_TAB, Qt.GlobalColor.darkRed if waiting else self.palette().text().color())
        tab = self.tabs.currentIndex()
        self.stack.setCurrentIndex(1 if tab == BACKORDER_TAB else 0)
        state = STATE_TABS[tab] if tab < BACKORDER_TAB else None
        batch = self.batch.currentData() if self.batch.currentIndex() > 0 else None
        self.model.set_query(product, state, batch)
        self._fill_backorders(waiting)
        self._show_stock(view)
        self.update_actions()

    def _fill_batches(self, product: str | None) -> None:
        self.batch.blockSignals(True)
        self.batch.clear()
        self.batch.addItem(self.tr("全部批次"), None)
        for name in code_service.code_batches(product) if product else []:
            self.batch.addItem(name, name)
        self.batch.blockSignals(False)

    def _fill_backorders(self, waiting: list[product_service.Backorder]) -> None:
        self.backorders.setRowCount(len(waiting))
        for row, b in enumerate(waiting):
            for column, text in enumerate((b.order_no, str(b.quantity), format_yuan(b.paid_fen, symbol=True), b.buyer,
                                           when(b.paid_at), when(b.waiting_since))):
                self.backorders.setItem(row, column, QTableWidgetItem(text))

    def _show_stock(self, view: product_service.ProductView | None) -> None:
        if view is None:
            self.stock.setText(self.tr("还没有卡密商品：先在「商品」页添加") if not self.products else "")
            self.warning.clear_message()
            return
        counts = view.codes
        self.stock.setText(self.tr("可售 {available} · 已预留 {reserved} · 已发出 {delivered} · 锁定 {locked} · 作废 {void}")
                           .format(available=counts.get("available", 0), reserved=counts.get("reserved", 0),
                                   delivered=counts.get("delivered", 0), locked=counts.get("locked", 0),
                                   void=counts.get("void", 0)))
        if view.low_stock:
            self.warning.show_message(self.tr("库存不足：{product} 只剩 {n} 个（提醒数 {threshold}），请补货").format(
                product=view.name, n=view.stock, threshold=view.threshold), "error")
        elif view.backorders:
            self.warning.show_message(self.tr("{n} 个已付款订单在等卡密：导入后按支付先后自动发货，或在订单页为买家退款", "", view.backorders)
                                      .format(n=view.backorders), "error")
        else:
            self.warning.clear_message()

    # ---- selection and actions -------------------------------------------------------------------
    def selected(self) -> list[CodeView]:
        rows = sorted({i.row() for i in self.view.selectionModel().selectedRows()})
        return [self.model.rows[r] for r in rows if r < len(self.model.rows)]

    def update_actions(self) -> None:
        picked = self.selected()
        states = {c.state for c in picked}
        on_codes = self.stack.currentIndex() == 0
        has_product = self.current_product() is not None
        self.import_button.setEnabled(has_product)
        self.export_button.setEnabled(has_product)
        self.lock_button.setEnabled(on_codes and bool(picked) and states == {CodeState.AVAILABLE})
        self.unlock_button.setEnabled(on_codes and bool(picked) and states == {CodeState.LOCKED})
        self.void_button.setEnabled(on_codes and bool(picked) and states <= {CodeState.AVAILABLE, CodeState.LOCKED})
        self.delete_button.setEnabled(on_codes and bool(picked))
        self._apply_rights()
        self.hint.setText(self.tr("已选 {n} 个").format(n=len(picked)) if picked else
                          self.tr("选中卡密后可锁定、解锁、作废或删除；已发出的卡密在订单的售后里作废"))

    def _apply_rights(self) -> None:
        """Grey out what the operator may not do here, saying why (the services refuse it too)."""
        stock = refuse_reason(self.ctx.desk, Right.STOCK)
        reveal = refuse_reason(self.ctx.desk, Right.REVEAL_CODES_BULK)
        for button, refused in ((self.import_button, stock), (self.lock_button, stock), (self.unlock_button, stock),
                                (self.void_button, stock), (self.delete_button, stock), (self.export_button, reveal)):
            if refused is not None:
                button.setEnabled(False)
            button.setToolTip(refused or "")

    async def import_codes(self) -> Any:
        product = self.current_product()
        if product is None:
            return None
        result = await ImportCodesDialog.ask(self, self.ctx, product)
        if result is not None:
            text = self.tr("已导入 {n} 个卡密", "", result.imported).format(n=result.imported)
            if result.delivered_orders:
                text += self.tr("；缺货待发订单已发货：{orders}").format(orders=self.tr("、").join(result.delivered_orders))
            self.result.show_message(text, "ok")
        return result

    async def export_codes(self) -> Any:
        product = self.current_product()
        if product is None:
            return None
        result = await ExportCodesDialog.ask(self, self.ctx, product)
        if result is not None:
            text = self.tr("已导出 {n} 个卡密到 {path}", "", result[1].count).format(n=result[1].count, path=result[1].path)
            if result[1].kept is not None:  # the file it replaced, kept beside it
                text += self.tr("；原文件已另存为 {kept}").format(kept=result[1].kept)
            self.result.show_message(text, "ok")
        return result

    async def move_selected(self, target: CodeState) -> Any:
        ids = [c.id for c in self.selected()]
        if not ids:
            return None
        try:
            changes = await self.ctx.op(code_service.move_codes, ids, target)
        except DomainError as exc:
            self.result.show_message(error_text(exc))
            return None
        self.result.show_message(self.tr("{n} 个卡密已改为「{state}」", "", len(changes.code_ids)).format(
            n=len(changes.code_ids), state=code_state_label(target.value)), "ok")
        return changes

    async def delete_codes(self) -> Any:
        ids = [c.id for c in self.selected()]
        if not ids:
            return None
        changes = await DeleteCodesDialog.ask(self, self.ctx, ids)
        if changes is not None:
            self.result.show_message(self.tr("已删除 {n} 个卡密", "", len(changes.code_ids)).format(n=len(changes.code_ids)), "ok")
        return changes
