"""The order list: one table model over SQL with a small page cache (no proxy model).

Filtering, searching and sorting happen in SQL (services.views). The model knows the row
count and reads fixed-size pages on demand; at most ``MAX_PAGES`` pages are kept, the least
recently used ones are dropped.

No query that can be slow runs on the GUI thread. ``request_filter`` (tabs, search, dates,
sort, refresh) reads the first page on the database worker and shows it when it is ready,
with the count if that is cheap (a tab's kept count, a selective search's own ids); otherwise
the list shows what it has and grows to the count once the worker has counted (``counting``).
A newer request stops the older one's statement part-way (SQLite's progress handler). Where
a later page comes from:

* Once a filter has settled, the ids of its whole list, in order, are read on the worker: one
  scan of the sort index, ~0.4 s and 8 MB for a million orders (Anki's browser keeps the same
  list). From then on any page is a slice of it read by primary key on the GUI thread (~1 ms),
  so row 900,000 costs what row 0 does.
* Until that list is there: the page below a cached one by keyset, the page above one by
  keyset backwards, any other page (a jump) by an OFFSET over the sort index alone, from the
  nearer end of the list, and then its rows by primary key. In a plain tab (no search, dates or
  type) a keyset page is a bounded index read and is read in place; every other page is read
  on the worker and painted when it arrives.

Without a running asyncio loop (a bare model in a test) the same reads happen in place.

An operation's ``Changes.order_ids`` re-reads just those rows; rows stay where they are until
the next refresh, so the selection does not jump under the owner's cursor. A refresh or a new
filter drops the id list and reads it again; a list still being read for an older one stops
early and is thrown away.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from array import array
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ..domain.money import format_yuan
from ..services import views
from ..services.desk import Desk
from ..services.views import OrderFilter, OrderRow
from .context import DeskContext, release_heap
from .i18n import channel_label, format_time, status_label
from .qt import (
    QAbstractTableModel,
    QBrush,
    QColor,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)

log = logging.getLogger(__name__)

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
    "held": ("#7a4a00", "#ffe2b8"),  # a blocked buyer's order waiting for the owner (not a status)
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
    #: The id list is read this long after a filter's first page was read (painted): clicking
    #: through the tabs reads one list, not one per tab, and the first paint has the CPU to itself.
    ID_LIST_DELAY_MS = 100
    SortRole = SORT_ROLE
    ObjectRole = OBJECT_ROLE

    #: The id list of the current filter is in place (its length): jumps read by primary key.
    id_list_ready = Signal(int)
    #: A filter asked for with ``request_filter`` is on screen (its first page read).
    filter_applied = Signal()
    #: The row count changed or became exact (``counting`` tells which).
    count_changed = Signal()

    def __init__(self, desk: Desk, parent: Any = None, *, ctx: DeskContext | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        # Without a context (a bare model) there is no worker to read the id list on.
        self._ctx = ctx if ctx is not None else _context_of(parent)
        self._filter = OrderFilter()
        self._wanted = self._filter
        self._count = 0
        self._pages: OrderedDict[int, list[OrderRow]] = OrderedDict()
        self._ids: array[int] | None = None
        self._generation = 0  # bumped by every filter change or refresh
        self._id_list_wanted = True  # until the filter's first page read starts the timer
        self._stop_reading = threading.Event()  # tells the worker to drop a list nobody wants now
        self._id_timer = QTimer(self)
        self._id_timer.setSingleShot(True)
        self._id_timer.timeout.connect(self._read_id_list)
        self._headers = _headers()
        self.queries = 0  # page reads, for tests and the benchmark
        self._count = views.count_orders(desk, self._filter)
        self.counting = False  # the count is a lower bound until the worker has counted
        self.matches: dict[str, int] = {}  # what the search on screen matched, per field
        self.match_cap = 0  # a match count above this means "more than this"
        self._request = 0  # bumped by every request_filter: older answers are dropped
        self._cancel = threading.Event()  # stops the worker's read for an older request
        self._loading: set[int] = set()  # pages being read on the worker

    # ---- filter and sort -----------------------------------------------------------------------
    @property
    def order_filter(self) -> OrderFilter:
        """The filter of the rows on screen."""
        return self._filter

    @property
    def requested_filter(self) -> OrderFilter:
        """The filter last asked for (on screen once the worker has read it)."""
        return self._wanted

    def set_filter(self, flt: OrderFilter) -> None:
        """Show another filter or sort: a model reset (the row count changes)."""
        self._wanted = flt
        self._request += 1  # an answer still coming for an older request_filter is not shown
        self._cancel.set()
        self._cancel = threading.Event()
        self.beginResetModel()
        self._filter = flt
        self._pages.clear()
        self._drop_id_list()
        self._count = views.count_orders(self.desk, flt)
        self.counting = False
        self.endResetModel()
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, COLUMN_COUNT - 1)  # the sort arrow

    def refresh(self) -> None:
        """Re-count and re-read with the filter last asked for (rows may have entered or left it)."""
        self.request_filter(self._wanted)

    def _async(self) -> bool:
        """Whether reads can go to the database worker (a context and a running asyncio loop)."""
        if self._ctx is None:
            return False
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return False
        return True

    def request_filter(self, flt: OrderFilter) -> None:
        """Show another filter without waiting for SQL on this thread: the first page (and the
        count, when it is cheap) is read on the database worker and shown when it is ready; the
        rows on screen stay until then. A newer request stops the older one's read. Without a
        worker (a bare model) this is ``set_filter``."""
        if not self._async():
            self.set_filter(flt)
            self.matches = views.search_matches(self.desk, flt.search)
            self.match_cap = views.search_cap(self.desk)
            self.filter_applied.emit()
            self.count_changed.emit()
            return
        assert self._ctx is not None
        self._wanted = flt
        self._request += 1
        self._cancel.set()
        self._cancel = threading.Event()
        self._stop_reading.set()  # an id list still being read for the old filter: the worker is needed
        self._id_timer.stop()
        self._ctx.start(self._apply(self._request, flt, self._cancel))

    async def _apply(self, request: int, flt: OrderFilter, cancel: threading.Event) -> None:
        assert self._ctx is not None
        try:
            first = await self._ctx.run(views.first_look, self.desk, flt, self.PAGE_SIZE, cancel.is_set)
        except views.QueryCancelled:
            return
        except Exception:  # the store is busy or gone: the rows on screen stay, the log says why
            log.warning("could not read the order list for %s", flt, exc_info=True)
            return
        if request != self._request:
            return
        self.beginResetModel()
        self._filter = flt
        self._pages.clear()
        self._drop_id_list()
        if first.rows:
            self._keep(0, first.rows)
        self._count = first.count if first.count is not None else len(first.rows)
        self.counting = first.count is None
        self.matches, self.match_cap = first.matches, first.cap
        self.endResetModel()
        self.filter_applied.emit()
        self.count_changed.emit()
        if first.count is not None:
            self._want_id_list()
            return
        try:
            total = await self._ctx.run(views.count_orders_cancellable, self.desk, flt, cancel.is_set)
        except views.QueryCancelled:
            return
        except Exception:
            log.warning("could not count the order list for %s", flt, exc_info=True)
            return
        if request == self._request:
            self._set_count(total)

    def _set_count(self, total: int) -> None:
        """The exact count is in: grow or shrink the list to it (no reset: the rows shown stay)."""
        if total > self._count:
            self.beginInsertRows(QModelIndex(), self._count, total - 1)
            self._count = total
            self.endInsertRows()
        elif total < self._count:
            self.beginRemoveRows(QModelIndex(), total, self._count - 1)
            self._count = total
            self.endRemoveRows()
        self.counting = False
        self.count_changed.emit()
        self._want_id_list()

    def sort_column(self) -> int:
        """The header column the list is sorted by."""
        return next(c for c, s in SORT_COLUMNS.items() if s == self._filter.sort)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        sort = SORT_COLUMNS.get(column)
        if sort is None:
            return  # only created and amount have an index to sort by
        descending = order == Qt.SortOrder.DescendingOrder
        if (sort, descending) != (self._wanted.sort, self._wanted.descending):
            self.request_filter(replace(self._wanted, sort=sort, descending=descending))

    # ---- the id list ---------------------------------------------------------------------------
    def has_id_list(self) -> bool:
        return self._ids is not None

    def _drop_id_list(self) -> None:
        self._ids = None
        self._loading.clear()
        self._generation += 1
        self._stop_reading.set()
        self._stop_reading = threading.Event()
        self._id_timer.stop()
        self._id_list_wanted = True

    def _want_id_list(self) -> None:
        self._id_list_wanted = False
        if self._ctx is not None:
            self._id_timer.start(self.ID_LIST_DELAY_MS)

    def _read_id_list(self) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # no asyncio loop runs (a test driving Qt alone): pages keep coming from SQL
        assert self._ctx is not None
        self._ctx.start(self._fetch_id_list(self._generation, self._filter, self._stop_reading))

    async def _fetch_id_list(self, generation: int, flt: OrderFilter, stop: threading.Event) -> None:
        assert self._ctx is not None
        try:
            ids = await self._ctx.run(_id_list, self.desk, flt, stop.is_set)
        except Exception:  # only a speed-up: the list keeps working from SQL without it
            log.warning("could not read the order id list", exc_info=True)
            return
        if ids is None or generation != self._generation:
            return  # a newer filter or refresh came meanwhile: this list is not the one shown
        if len(ids) != self._count or not all(self._agrees(ids, n, page) for n, page in self._pages.items()):
            # Orders came or went between the count and the scan: the rows on screen are the
            # older list, so keep reading from SQL until the next refresh reads both again.
            log.debug("order id list disagrees with the rows shown; not used")
            return
        self._ids = ids
        self.id_list_ready.emit(len(ids))

    def _agrees(self, ids: array[int], number: int, page: list[OrderRow]) -> bool:
        start = number * self.PAGE_SIZE
        return ids[start : start + len(page)].tolist() == [row.id for row in page]

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
        """Page ``number`` now if it is a slice of the id list (primary-key reads) or there is
        no worker; else an empty page for the moment, read on the worker and repainted then."""
        start = number * self.PAGE_SIZE
        if self._ids is not None:
            self.queries += 1
            rows = views.order_rows(self.desk, self._ids[start : start + self.PAGE_SIZE])
            if rows is not None:
                self._keep(number, rows)
                return rows
            self._ids = None  # an order in it is gone (orders are never deleted today): use SQL
        above, below = self._neighbours(number)
        if self._async() and not self._index_bounded(number, above, below):
            if number not in self._loading:
                self._loading.add(number)
                assert self._ctx is not None
                self._ctx.start(self._load_later(self._generation, self._filter, self._count, number, above, below,
                                                 self._cancel))
            return []
        self.queries += 1
        page = views.order_page_at(self.desk, self._filter, number, self.PAGE_SIZE, self._count, above, below)
        self._keep(number, page)
        if self._id_list_wanted:
            self._want_id_list()
        return page

    def _index_bounded(self, number: int, above: tuple[int, int] | None, below: tuple[int, int] | None) -> bool:
        """Whether reading this page is a bounded index read (~1 ms): a plain tab (no search,
        dates or type) read from its top or next to a cached page. Those are read in place, so
        scrolling a tab never shows empty rows; everything else goes to the worker."""
        flt = self._filter
        plain = not (flt.search or flt.date_from is not None or flt.date_to is not None or flt.product_type)
        return plain and (number == 0 or above is not None or below is not None)

    def _neighbours(self, number: int) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
        """Keysets to seek from: the last row of a full page above, the first row of a page below
        (scrolling up after a jump: an index seek backwards, not another OFFSET)."""
        flt, size = self._filter, self.PAGE_SIZE
        above, below = self._pages.get(number - 1), self._pages.get(number + 1)
        if above is not None and len(above) == size:
            return views.keyset_of(above[-1], flt), None
        if below:
            return None, views.keyset_of(below[0], flt)
        return None, None

    async def _load_later(self, generation: int, flt: OrderFilter, total: int, number: int,
                          above: tuple[int, int] | None, below: tuple[int, int] | None,
                          cancel: threading.Event) -> None:
        assert self._ctx is not None
        self.queries += 1
        try:
            page = await self._ctx.run(views.order_page_at, self.desk, flt, number, self.PAGE_SIZE, total, above,
                                       below, cancel.is_set)
        except views.QueryCancelled:
            return
        except Exception:
            log.warning("could not read page %d of the order list", number, exc_info=True)
            return
        finally:
            if generation == self._generation:
                self._loading.discard(number)
        if generation != self._generation:
            return  # another filter or a refresh since: this page belongs to an older list
        self._keep(number, page)
        if page:
            start = number * self.PAGE_SIZE
            self.dataChanged.emit(self.index(start, 0), self.index(start + len(page) - 1, COLUMN_COUNT - 1))
        if self._id_list_wanted and not self.counting:
            self._want_id_list()

    def _keep(self, number: int, page: list[OrderRow]) -> None:
        self._pages[number] = page
        self._pages.move_to_end(number)
        while len(self._pages) > self.MAX_PAGES:
            self._pages.popitem(last=False)

    def cached_pages(self) -> list[int]:
        return list(self._pages)

    def invalidate_ids(self, ids: set[int] | list[int]) -> None:
        """Re-read the cached rows of these orders and repaint them (the id list is unchanged:
        rows keep their places until the next refresh)."""
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

    def cached_position_of(self, order_id: int) -> int | None:
        """Where an order sits among the rows read so far (no SQL), or None."""
        for number, page in self._pages.items():
            for i, row in enumerate(page):
                if row.id == order_id:
                    return number * self.PAGE_SIZE + i
        return None

    def locate(self, order_id: int, found: Callable[[int | None], None]) -> None:
        """Call ``found`` with the order's row in the list on screen (None if it is not in it):
        at once from the rows read so far or the id list, else after a search on the worker (if
        the list has changed meanwhile, ``found`` is not called)."""
        position = self.cached_position_of(order_id)
        if position is not None or self._ids is not None or not self._async():
            found(position if position is not None else self.position_of(order_id))
            return
        assert self._ctx is not None
        self._ctx.start(self._locate_later(self._generation, self._filter, order_id, found))

    async def _locate_later(self, generation: int, flt: OrderFilter, order_id: int,
                            found: Callable[[int | None], None]) -> None:
        assert self._ctx is not None
        position = await self._ctx.run(views.position_of, self.desk, flt, order_id)
        if generation == self._generation:
            found(position if position is not None and position < self._count else None)

    def position_of(self, order_id: int) -> int | None:
        """Where an order sits in the current list (cached pages, the id list, then SQL). Reads
        SQL in place: for a bare model, and from ``locate`` only when no worker runs."""
        for number, page in self._pages.items():
            for i, row in enumerate(page):
                if row.id == order_id:
                    return number * self.PAGE_SIZE + i
        if self._ids is not None:
            # The list on screen, not the table now: rows stay put until a refresh.
            try:
                return self._ids.index(order_id)
            except ValueError:
                return None
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
                return self._headers[section] + self._sort_mark(section)
            if role == Qt.ItemDataRole.ToolTipRole:
                return self._header_tip(section)
        return None

    def _sort_mark(self, section: int) -> str:
        """▼ newest/largest first, ▲ oldest/smallest first; ↕ on the other sortable column.
        (Qt's own indicator draws ▲ for a descending sort; the owner reads it the other way.)"""
        if section not in SORT_COLUMNS:
            return ""
        if section != self.sort_column():
            return " ↕"
        return " ▼" if self._filter.descending else " ▲"

    def _header_tip(self, section: int) -> str:
        translate = QCoreApplication.translate
        if section not in SORT_COLUMNS:
            return translate("OrdersModel", "这一列不能排序；可按「下单时间」或「实付金额」排序")
        if section != self.sort_column():
            return translate("OrdersModel", "点击按这一列排序（从大到小）")
        if self._filter.descending:
            return translate("OrdersModel", "现在从新到旧 / 从大到小；再点一次反过来")
        return translate("OrdersModel", "现在从旧到新 / 从小到大；再点一次反过来")

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
            fg, bg = STATUS_COLOURS.get("held" if row.held else row.status.value, ("#000000", "#ffffff"))
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
        if column == COL_AMOUNT:  # nothing was paid yet: no 实付 (what is due is in the tooltip)
            return format_yuan(row.paid_fen, symbol=True) if row.paid else "—"
        if column == COL_STATUS:
            return status_label("held" if row.held else row.status.value)
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
        if column == COL_AMOUNT and not row.paid:
            return translate("OrdersModel", "未支付；应付 {due}").format(due=format_yuan(row.paid_fen, symbol=True))
        if column == COL_AMOUNT and (row.refunded_fen or row.refund_pending_fen):
            return translate("OrdersModel", "实付 {paid}，已退 {refunded}，退款中 {pending}").format(
                paid=format_yuan(row.paid_fen, symbol=True), refunded=format_yuan(row.refunded_fen, symbol=True),
                pending=format_yuan(row.refund_pending_fen, symbol=True))
        if column == COL_PRODUCT:
            return row.product
        if column == COL_STATUS and row.held:
            return translate("OrdersModel", "{status}，扣留待审：买家在黑名单上，放行前不会发货").format(
                status=status_label(row.status.value))
        if column == COL_STATUS:
            return status_label(row.status.value)
        return None


def _id_list(desk: Desk, flt: OrderFilter, cancelled: Callable[[], bool]) -> array[int] | None:
    """On the worker: the list's ids, then the heap the read freed given back (``release_heap``)."""
    try:
        return views.order_id_list(desk, flt, cancelled)
    finally:
        release_heap()


def _context_of(parent: Any) -> DeskContext | None:
    """The orders page builds its model as ``OrdersModel(desk, page)``; its ``ctx`` has the worker."""
    ctx = getattr(parent, "ctx", None)
    return ctx if isinstance(ctx, DeskContext) else None
