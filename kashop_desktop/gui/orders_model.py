"""The order list: one table model over SQL with a small page cache (no proxy model).

Filtering, searching and sorting happen in SQL (services.views). The model knows the row
count and fetches fixed-size pages on demand; a page after a cached one is fetched by keyset
(an index seek), any other page by OFFSET (a jump, which also brings the page above it). At most ``MAX_PAGES`` pages are kept, the
least recently used ones are dropped. An operation's ``Changes.order_ids`` re-reads just those
rows (Anki's browser works the same way); rows stay where they are until the next refresh, so
the selection does not jump under the owner's cursor.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import replace
from typing import Any

from ..domain.money import format_yuan
from ..services import views
from ..services.desk import Desk
from ..services.views import OrderFilter, OrderRow
from .i18n import channel_label, format_time, status_label
from .qt import QAbstractTableModel, QBrush, QColor, QCoreApplication, QModelIndex, QPersistentModelIndex, Qt

Index = QModelIndex | QPersistentModelIndex

COL_ORDER_NO, COL_CREATED, COL_PRODUCT, COL_QUANTITY, COL_BUYER, COL_AMOUNT, COL_STATUS, COL_CHANNEL = range(8)
COLUMN_COUNT = 8
#: Header columns the owner can sort by, and the SQL sort each maps to.
SORT_COLUMNS = {COL_CREATED: "created", COL_AMOUNT: "amount"}

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
OBJECT_ROLE = Qt.ItemDataRole.UserRole + 2

_DISPLAY = Qt.ItemDataRole.DisplayRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_ALIGN = Qt.ItemDataRole.TextAlignmentRole
_FOREGROUND = Qt.ItemDataRole.ForegroundRole
_BACKGROUND = Qt.ItemDataRole.BackgroundRole
#: The roles this model answers; a paint asks for more (font, decoration...), answered at once.
_ROLES = frozenset({_DISPLAY, SORT_ROLE, OBJECT_ROLE, _TOOLTIP, _ALIGN, _FOREGROUND, _BACKGROUND})
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

#: (text, chip background) per status: calm for finished, warm for what needs the owner.
STATUS_COLOURS: dict[str, tuple[str, str]] = {
    "pending_payment": ("#8a5a00", "#fff1cc"),
    "paid": ("#0b5cad", "#dcebff"),
    "delivered": ("#1d6b35", "#dff3e4"),
    "completed": ("#4a5560", "#e9edf1"),
    "cancelled": ("#6b6b6b", "#efefef"),
    "partially_refunded": ("#8c3b9e", "#f3e3f7"),
    "refunded": ("#a32020", "#fbe2e2"),
}


def _headers() -> list[str]:
    translate = QCoreApplication.translate
    return [translate("OrdersModel", "订单号"), translate("OrdersModel", "下单时间"), translate("OrdersModel", "商品"),
            translate("OrdersModel", "数量"), translate("OrdersModel", "买家"), translate("OrdersModel", "实付金额"),
            translate("OrdersModel", "状态"), translate("OrdersModel", "支付方式")]


class OrdersModel(QAbstractTableModel):
    """Orders matching an OrderFilter, in SQL order, read a page at a time."""

    PAGE_SIZE = 200
    MAX_PAGES = 20
    SortRole = SORT_ROLE
    ObjectRole = OBJECT_ROLE

    def __init__(self, desk: Desk, parent: Any = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self._filter = OrderFilter()
        self._count = 0
        self._pages: OrderedDict[int, list[OrderRow]] = OrderedDict()
        self._headers = _headers()
        self.queries = 0  # page reads, for tests and the benchmark
        self._count = views.count_orders(desk, self._filter)

    # ---- filter and sort -----------------------------------------------------------------------
    @property
    def order_filter(self) -> OrderFilter:
        return self._filter

    def set_filter(self, flt: OrderFilter) -> None:
        """Show another filter or sort: a model reset (the row count changes)."""
        self.beginResetModel()
        self._filter = flt
        self._pages.clear()
        self._count = views.count_orders(self.desk, flt)
        self.endResetModel()

    def refresh(self) -> None:
        """Re-count and re-read with the same filter (rows may have entered or left it)."""
        self.set_filter(self._filter)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        sort = SORT_COLUMNS.get(column)
        if sort is None:
            return  # only created and amount have an index to sort by
        descending = order == Qt.SortOrder.DescendingOrder
        if (sort, descending) != (self._filter.sort, self._filter.descending):
            self.set_filter(replace(self._filter, sort=sort, descending=descending))

    # ---- the page cache ------------------------------------------------------------------------
    def row_at(self, row: int) -> OrderRow | None:
        if not 0 <= row < self._count:
            return None
        number, offset = divmod(row, self.PAGE_SIZE)
        page = self._pages.get(number)
        if page is None:
            page = self._load(number)
        else:
            self._pages.move_to_end(number)
        return page[offset] if offset < len(page) else None

    def _load(self, number: int) -> list[OrderRow]:
        before = self._pages.get(number - 1)
        self.queries += 1
        if before is not None and len(before) == self.PAGE_SIZE:
            after = views.keyset_of(before[-1], self._filter)
            page = views.order_page(self.desk, self._filter, self.PAGE_SIZE, after=after)
        elif number > 0 and number - 1 not in self._pages:
            # A jump: one OFFSET scan brings this page and the one above it, because a view
            # scrolled here paints upwards from this row too (and keyset only reads forwards).
            both = views.order_page(self.desk, self._filter, 2 * self.PAGE_SIZE,
                                    offset=(number - 1) * self.PAGE_SIZE)
            self._keep(number - 1, both[: self.PAGE_SIZE])
            page = both[self.PAGE_SIZE :]
        else:
            page = views.order_page(self.desk, self._filter, self.PAGE_SIZE, offset=number * self.PAGE_SIZE)
        self._keep(number, page)
        return page

    def _keep(self, number: int, page: list[OrderRow]) -> None:
        self._pages[number] = page
        self._pages.move_to_end(number)
        while len(self._pages) > self.MAX_PAGES:
            self._pages.popitem(last=False)

    def cached_pages(self) -> list[int]:
        return list(self._pages)

    def invalidate_ids(self, ids: set[int] | list[int]) -> None:
        """Re-read the cached rows of these orders and repaint them."""
        wanted = set(ids)
        if not wanted:
            return
        spots = [(number, i, row.id) for number, page in self._pages.items()
                 for i, row in enumerate(page) if row.id in wanted]
        if not spots:
            return
        fresh = views.order_rows_by_id(self.desk, sorted({oid for _, _, oid in spots}))
        last = COLUMN_COUNT - 1
        for number, i, oid in spots:
            if oid in fresh:
                self._pages[number][i] = fresh[oid]
            position = number * self.PAGE_SIZE + i
            self.dataChanged.emit(self.index(position, 0), self.index(position, last))

    def position_of(self, order_id: int) -> int | None:
        """Where an order sits in the current list (cached pages first, then SQL)."""
        for number, page in self._pages.items():
            for i, row in enumerate(page):
                if row.id == order_id:
                    return number * self.PAGE_SIZE + i
        return views.position_of(self.desk, self._filter, order_id)

    # ---- Qt model API --------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else COLUMN_COUNT

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < COLUMN_COUNT:
            if role == Qt.ItemDataRole.DisplayRole:
                return self._headers[section]
            if role == Qt.ItemDataRole.ToolTipRole and section in SORT_COLUMNS:
                return QCoreApplication.translate("OrdersModel", "点击表头排序")
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Called ~1,000 times per paint: unanswered roles leave before any lookup.
        if role not in _ROLES or not index.isValid():
            return None
        row = self.row_at(index.row())
        if row is None:
            return None
        column = index.column()
        if role == _DISPLAY:
            return self._display(row, column)
        if role == SORT_ROLE:
            return self._sort_value(row, column)
        if role == OBJECT_ROLE:
            return row
        if role == _TOOLTIP:
            return self._tooltip(row, column)
        if role == _ALIGN:
            return _RIGHT if column in (COL_QUANTITY, COL_AMOUNT) else None
        if column == COL_STATUS:
            fg, bg = STATUS_COLOURS.get(row.status.value, ("#000000", "#ffffff"))
            return QBrush(QColor(fg if role == _FOREGROUND else bg))
        return None

    @staticmethod
    def _display(row: OrderRow, column: int) -> str:
        if column == COL_ORDER_NO:
            return row.order_no
        if column == COL_CREATED:
            return format_time(row.created_at)
        if column == COL_PRODUCT:
            return row.product
        if column == COL_QUANTITY:
            return str(row.quantity)
        if column == COL_BUYER:
            return row.buyer
        if column == COL_AMOUNT:
            return format_yuan(row.paid_fen, symbol=True)
        if column == COL_STATUS:
            return status_label(row.status.value)
        return channel_label(row.channel)

    @staticmethod
    def _sort_value(row: OrderRow, column: int) -> Any:
        natives: tuple[Any, ...] = (row.order_no, int(row.created_at.timestamp()), row.product, row.quantity,
                                    row.buyer, row.paid_fen, row.status.value, row.channel or "")
        return natives[column]

    @staticmethod
    def _tooltip(row: OrderRow, column: int) -> str | None:
        translate = QCoreApplication.translate
        if column == COL_ORDER_NO and row.gateway_trade_no:
            return translate("OrdersModel", "交易号：{trade_no}").format(trade_no=row.gateway_trade_no)
        if column == COL_AMOUNT and row.refunded_fen:
            return translate("OrdersModel", "实付 {paid}，已退 {refunded}").format(
                paid=format_yuan(row.paid_fen, symbol=True), refunded=format_yuan(row.refunded_fen, symbol=True))
        if column == COL_PRODUCT:
            return row.product
        if column == COL_STATUS:
            return status_label(row.status.value)
        return None
