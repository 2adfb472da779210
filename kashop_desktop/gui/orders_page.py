"""The orders screen: status tabs with live counts, one search box, date and type filters,
the big order list, and the detail pane beside it.

The tabs follow the order states, with two choices worth knowing: 已发货 is the ``delivered``
status, and ``partially_refunded`` has its own tab (部分退款) after 已退款, because a list
filter holds one status and a tab whose count disagrees with its rows would mislead; while a
partial refund is still in flight the order also shows under 退款中 (``views.REFUNDING``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from ..domain.clock import SHOP_TZ
from ..domain.roles import Right
from ..services import views
from ..services.changes import Changes
from ..services.views import OrderFilter, OrderRow
from .context import DeskContext
from .i18n import CHANNELS, channel_label, product_types, search_field_label, status_label
from .order_detail import OrderDetailPane
from .orders_model import (
    COL_AMOUNT,
    COL_BUYER,
    COL_CHANNEL,
    COL_CREATED,
    COL_ORDER_NO,
    COL_PRODUCT,
    COL_QUANTITY,
    COL_STATUS,
    SORT_COLUMNS,
    OrdersModel,
)
from .orders_view import OrdersView, StatusChipDelegate
from .pages.permissions import refuse_reason
from .qt import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDate,
    QDateEdit,
    QGuiApplication,
    QHBoxLayout,
    QHeaderView,
    QKeySequence,
    QLabel,
    QLineEdit,
    QMenu,
    QModelIndex,
    QPushButton,
    QSettings,
    QShortcut,
    QSplitter,
    Qt,
    QTableView,
    QTimer,
    QToolButton,
    QVBoxLayout,
    QWidget,
    Signal,
)
from .tabs import FittingTabBar, TabCount

#: (filter status, tab) in tab order; None is 全部. Labels come from i18n.status_label.
TAB_STATUSES: tuple[str | None, ...] = (
    None, "pending_payment", "paid", views.HELD, "delivered", "completed", "cancelled", views.REFUNDING, "refunded",
    "partially_refunded",
)
#: Tabs shown only while they hold orders (or are the tab in view): a shop without a blocked
#: buyer never sees 扣留待审.
TABS_WHEN_USED = frozenset({views.HELD})
SEARCH_DEBOUNCE_MS = 250


class OrdersPage(QWidget):
    """Tabs + filters + list + detail. Refreshes itself from ``ctx.changed``."""

    detail_opened = Signal(int)  # order id, after Enter / double click / the context menu
    import_requested = Signal()  # the owner pressed 导入订单… (the window opens File > 导入订单)

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.model = OrdersModel(ctx.desk, self, ctx=ctx)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DEBOUNCE_MS)
        self._search_timer.timeout.connect(self.apply_filter)
        self._build()
        self.refresh_counts()
        ctx.changed.connect(self._on_changed)
        self.model.filter_applied.connect(self._on_filter_applied)
        self.model.count_changed.connect(self._show_count)
        self._keep_after_apply: int | None = None  # the order to select again once a refresh is in
        self._reselecting: int | None = None  # the order being looked for after a refresh

    # ---- building ------------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 0)
        self.tabs = FittingTabBar()
        self.tabs.setExpanding(False)
        self.tabs.setDrawBase(False)
        for _ in TAB_STATUSES:
            self.tabs.addTab("")
        self.tabs.currentChanged.connect(lambda _i: self.apply_filter())
        self.tabs_row = QHBoxLayout()  # the status tabs; the window adds its 新建订单… at their right
        self.tabs_row.addWidget(self.tabs, 1)
        layout.addLayout(self.tabs_row)
        layout.addLayout(self._build_filters())
        # The list on top at full width (eight columns fit), the detail under it.
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.view = self._build_view()
        self.detail = OrderDetailPane(self.ctx)
        self.splitter.addWidget(self.view)
        self.splitter.addWidget(self.detail)
        self._build_empty_state()
        # Both give way when the window shrinks (a small laptop keeps more than a handful of
        # rows); the first show splits the height by what the detail needs (fit_splitter).
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        self._splitter_fitted = False
        layout.addWidget(self.splitter, 1)
        find = QShortcut(QKeySequence(QKeySequence.StandardKey.Find), self)
        find.activated.connect(self.focus_search)
        refresh = QShortcut(QKeySequence(QKeySequence.StandardKey.Refresh), self)
        refresh.activated.connect(self.refresh)

    def _build_empty_state(self) -> None:
        """Over the empty list of a shop with no orders yet: say so and offer the import."""
        self.empty_state = QWidget(self.view.viewport())
        box = QVBoxLayout(self.empty_state)
        box.addStretch(1)
        self.empty_label = QLabel(self.tr("还没有订单。可以从网店后台导出的 CSV 或 Excel 文件导入。"))
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setStyleSheet("color: #5b6670; font-size: 11pt;")
        self.empty_import = QPushButton(self.tr("导入订单…"))
        self.empty_import.clicked.connect(self.import_requested.emit)
        box.addWidget(self.empty_label)
        box.addWidget(self.empty_import, 0, Qt.AlignmentFlag.AlignHCenter)
        box.addStretch(2)
        QVBoxLayout(self.view.viewport()).addWidget(self.empty_state)
        self.empty_state.hide()

    def _build_filters(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setClearButtonEnabled(True)
        self.search.setPlaceholderText(self.tr("搜索：订单号(尾号至少4位) / 手机号 / QQ / 邮箱 / 交易号（Ctrl+F）"))
        self.search.setMinimumWidth(200)
        self.search.textChanged.connect(self._on_search_text)
        self.search.returnPressed.connect(self.apply_filter)
        self.search_kind = QLabel()
        self.search_kind.setStyleSheet("color: #5b6670;")
        self.date_check = QCheckBox(self.tr("限定日期"))
        self.date_check.setToolTip(self.tr("不勾选时不限日期"))
        today = self._shop_today()
        self.date_from = self._date_edit(today.addDays(-30))
        self.date_to = self._date_edit(today)
        self._default_range = (today.addDays(-30), today)
        self.date_check.toggled.connect(self._on_date_toggled)
        self.type_combo = QComboBox()
        self.type_combo.addItem(self.tr("全部类型"), None)
        for code, label in product_types():
            self.type_combo.addItem(label, code)
        self.type_combo.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.count_label = QLabel()
        self.import_button = QToolButton()
        self.import_button.setText(self.tr("导入订单…"))
        self.import_button.setToolTip(self.tr("从 CSV / Excel 文件导入订单（文件 > 导入订单，Ctrl+I）"))
        self.import_button.clicked.connect(self.import_requested.emit)
        refused = refuse_reason(self.ctx.desk, Right.IMPORT)
        self.import_button.setEnabled(refused is None)
        self.import_button.setToolTip(refused or self.import_button.toolTip())
        row.addWidget(self.search, 1)  # the search box takes the spare width
        row.addWidget(self.search_kind)
        row.addSpacing(8)
        for widget in (self.date_check, self.date_from, QLabel("—"), self.date_to):
            row.addWidget(widget)
        row.addSpacing(8)
        row.addWidget(self.type_combo)
        row.addSpacing(8)
        row.addWidget(self.count_label)
        row.addWidget(self.import_button)
        self._on_date_toggled(False)
        return row

    def _date_edit(self, date: QDate) -> QDateEdit:
        edit = QDateEdit(date)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        edit.dateChanged.connect(lambda _d, e=edit: self._on_date_edited(e))
        return edit

    def _on_date_edited(self, edited: QDateEdit) -> None:
        """Keep the range in order: a start moved past the end moves the end with it (and the
        other way round), so the dates shown are the ones the list is filtered by."""
        if self.date_from.date() > self.date_to.date():
            other = self.date_to if edited is self.date_from else self.date_from
            other.blockSignals(True)
            other.setDate(edited.date())
            other.blockSignals(False)
        self.apply_filter()

    def _build_view(self) -> OrdersView:
        view = OrdersView()
        view.setModel(self.model)
        view.setItemDelegateForColumn(COL_STATUS, StatusChipDelegate(view))
        header = view.horizontalHeader()
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(False)  # the model's header text carries the arrow
        header.setStretchLastSection(True)
        header.setHighlightSections(False)
        header.sectionClicked.connect(self._on_header_clicked)
        self._fit_columns(view)
        view.selectionModel().currentRowChanged.connect(self._on_current_row)
        view.selectionModel().selectionChanged.connect(lambda _s, _d: self._show_selected())
        view.open_requested.connect(self.open_detail)
        view.doubleClicked.connect(lambda _index: self.open_detail())
        view.customContextMenuRequested.connect(self._context_menu)
        return view

    def _fit_columns(self, view: QTableView) -> None:
        """Fixed columns as wide as their content in the UI language; 商品 and 买家 share what
        is left, so the list never needs sideways scrolling (1024 px wide screens included)."""
        header = view.horizontalHeader()
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(36)
        for column, width in self._content_widths(view).items():
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            view.setColumnWidth(column, width)
        for column in (COL_PRODUCT, COL_BUYER):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)

    def _content_widths(self, view: QTableView) -> dict[int, int]:
        """What each fixed column needs for its header and its longest value, in the UI language."""
        metrics = view.fontMetrics()

        def title(column: int) -> int:
            return metrics.horizontalAdvance(self.model.headerData(column, Qt.Orientation.Horizontal))

        return {
            COL_ORDER_NO: max(metrics.horizontalAdvance("KS2026112900007999"), title(COL_ORDER_NO)) + 16,
            COL_CREATED: max(metrics.horizontalAdvance("2026-11-29 18:49"), title(COL_CREATED)) + 22,
            COL_QUANTITY: max(metrics.horizontalAdvance("99"), title(COL_QUANTITY)) + 16,
            COL_AMOUNT: max(metrics.horizontalAdvance("¥10,000.00"), title(COL_AMOUNT)) + 22,
            COL_STATUS: self._status_width(view),
            COL_CHANNEL: max([title(COL_CHANNEL), *(metrics.horizontalAdvance(channel_label(c)) for c in CHANNELS)])
            + 16,
        }

    @staticmethod
    def _status_width(view: QTableView) -> int:
        """Wide enough for the longest status chip in the UI language."""
        metrics = view.fontMetrics()
        return max(metrics.horizontalAdvance(status_label(s)) for s in TAB_STATUSES if s) + 30

    # ---- filters -------------------------------------------------------------------------------
    def current_filter(self) -> OrderFilter:
        status = TAB_STATUSES[max(0, self.tabs.currentIndex())]
        date_from = date_to = None
        if self.date_check.isChecked():
            date_from = _epoch(self.date_from.date())
            date_to = _epoch(self.date_to.date().addDays(1))
        base = self.model.requested_filter
        return OrderFilter(status=status, search=self.search.text().strip(), date_from=date_from, date_to=date_to,
                           product_type=self.type_combo.currentData(), sort=base.sort, descending=base.descending)

    def apply_filter(self) -> None:
        self._search_timer.stop()
        flt = self.current_filter()
        if flt != self.model.requested_filter:
            self.model.request_filter(flt)  # read on the worker; _on_filter_applied when it is in

    def _on_filter_applied(self) -> None:
        self._show_search_hint()
        keep, self._keep_after_apply = self._keep_after_apply, None
        if keep is None:
            self._show_selected()
            return
        self._reselecting = keep
        self.model.locate(keep, self._reselect)

    def _reselect(self, position: int | None) -> None:
        self._reselecting = None
        if position is not None:
            self.view.setCurrentIndex(self.model.index(position, 0))
        else:  # the order left the list: the detail shows nothing rather than a stranger
            self._show_selected()

    def _on_search_text(self, text: str) -> None:
        self.search_kind.setText(self.tr("搜索中…") if text.strip() else "")
        self._search_timer.start()

    def _show_search_hint(self) -> None:
        """What the search on screen matched, field by field (not a guess from its shape). A
        field's count is over all orders, so it is shown only when it is exact and the list
        shows all orders (the 全部 tab, no date range or type); the list's own count is beside."""
        flt = self.model.order_filter
        text = flt.search
        if not text:
            self.search_kind.setText("")
            return
        matches = self.model.matches
        if not matches:
            typed = len(text.strip())
            if typed < views.MIN_BUYER:
                hint = self.tr("无匹配（买家至少输入 {buyer} 个字符，订单号尾号至少 {n} 位）").format(
                    buyer=views.MIN_BUYER, n=views.MIN_TAIL)
            elif typed < views.MIN_TAIL:
                hint = self.tr("无匹配（订单号尾号至少 {n} 位）").format(n=views.MIN_TAIL)
            else:
                hint = self.tr("无匹配")
            self.search_kind.setText(hint)
            return
        kind = views.search_kind(text)
        whole = flt.status is None and flt.date_from is None and flt.date_to is None and flt.product_type is None
        parts = [self.tr("{field} {n} 条").format(field=search_field_label(name, kind), n=f"{n:,}")
                 if whole and n <= self.model.match_cap else search_field_label(name, kind)
                 for name, n in matches.items()]
        self.search_kind.setText(self.tr("匹配：{fields}").format(fields=self.tr("、").join(parts)))

    def _shop_today(self) -> QDate:
        """Today in shop time (Beijing), from the desk's clock: the PC's own zone may be another."""
        day = self.ctx.desk.now().date()
        return QDate(day.year, day.month, day.day)

    def _on_date_toggled(self, on: bool) -> None:
        today = self._shop_today()
        if on and (self.date_from.date(), self.date_to.date()) == self._default_range and today != self._default_range[1]:
            # The untouched default range follows the calendar past midnight: the last 30 days to today.
            self._default_range = (today.addDays(-30), today)
            for edit, day in zip((self.date_from, self.date_to), self._default_range, strict=True):
                edit.blockSignals(True)
                edit.setDate(day)
                edit.blockSignals(False)
        self.date_from.setEnabled(on)
        self.date_to.setEnabled(on)
        self.apply_filter()

    def _on_header_clicked(self, column: int) -> None:
        """A sortable column: first click sorts it newest/largest first, the next one flips it.
        Other columns have no index to sort by and do nothing (their tooltip says so)."""
        if column not in SORT_COLUMNS:
            return
        flt = self.model.requested_filter
        descending = not flt.descending if SORT_COLUMNS[column] == flt.sort else True
        self.model.sort(column, Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder)

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def _show_count(self) -> None:
        if self.model.counting:
            self.count_label.setText(self.tr("共 {n}+ 条，计数中…", "", self.model.rowCount()).format(n=f"{self.model.rowCount():,}"))
        else:
            self.count_label.setText(self.tr("共 {n} 条", "", self.model.rowCount()).format(n=f"{self.model.rowCount():,}"))

    # ---- counts and changes --------------------------------------------------------------------
    def refresh_counts(self) -> None:
        counts = views.status_counts(self.ctx.desk)
        for i, status in enumerate(TAB_STATUSES):
            n = counts.get("all" if status is None else status, 0)
            self.tabs.setTabData(i, n)
            if status in TABS_WHEN_USED:
                self.tabs.setTabVisible(i, n > 0 or i == self.tabs.currentIndex())
        self._label_tabs()
        self.empty_state.setVisible(counts.get("all", 0) == 0)
        self._show_count()

    def _label_tabs(self) -> None:
        """Each tab's label and count, as whole as the width allows (tabs.FittingTabBar): 全部
        may lose its count first (the count beside the search box has it)."""
        self.tabs.fit_counts([TabCount(self.tr("全部") if status is None else status_label(status),
                                       int(self.tabs.tabData(i) or 0), optional=status is None)
                              for i, status in enumerate(TAB_STATUSES)])

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._label_tabs()

    def tab_count(self, status: str | None) -> int:
        return int(self.tabs.tabData(TAB_STATUSES.index(status)))

    def _on_changed(self, changes: Changes) -> None:
        self.model.invalidate_ids(changes.order_ids)
        if changes.counts_changed or changes.refund_ids:
            self.refresh_counts()
        current = self.current_row()
        acted_on = current is not None and current.id in changes.order_ids
        top = self.view.verticalScrollBar().value() == 0
        if changes.outside or (changes.counts_changed and top and not acted_on):
            # At the top of the list the owner watches new orders arrive: re-run the query.
            # Further down, rows stay put (marked fresh) until F5, so nothing jumps away; so
            # does the order the owner just acted on, even when it no longer fits the tab. What
            # another process wrote is read again wherever the list stands (selection kept).
            self.refresh()
        if self.detail.concerns(changes):
            self.detail.reload()

    def refresh(self) -> None:
        """Re-run the query (F5): rows that left the filter go, the current order stays selected."""
        keep = self.current_row()
        self._keep_after_apply = keep.id if keep is not None else None
        self.model.refresh()  # on the worker; the selection is put back in _on_filter_applied
        self.refresh_counts()

    # ---- selection and detail ------------------------------------------------------------------
    def current_row(self) -> OrderRow | None:
        index = self.view.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None

    def select_row(self, row: int) -> None:
        index = self.model.index(row, 0)
        self.view.setCurrentIndex(index)
        self.view.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)

    def select_order(self, order_id: int) -> bool:
        """Select an order of the list on screen and scroll to it. True when that happened at
        once (its row was read already, or the list's ids are in place); otherwise the worker
        looks for it (the GUI thread never counts rows) and it is selected when found."""
        selected: list[bool] = []

        def found(position: int | None) -> None:
            if position is not None:
                self.select_row(position)
                selected.append(True)

        self.model.locate(order_id, found)
        return bool(selected)

    def _on_current_row(self, _current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_selected()

    def _show_selected(self) -> None:
        """The detail shows the selected row of the list in view, or nothing (never an order
        that a tab switch, a search or a refresh took out of the list)."""
        selected = self.view.selectionModel().selectedRows()
        index = self.view.currentIndex()
        row = self.model.row_at(index.row()) if index.isValid() and selected else None
        wanted = row.id if row is not None else None
        shown = self.detail.order_id
        if wanted is None and shown is not None and shown in (self._keep_after_apply, self._reselecting):
            return  # a refresh will select it again: keep its detail and the notice of what was done
        if wanted != shown:
            self.detail.show_order(wanted)

    def open_detail(self) -> None:
        row = self.current_row()
        if row is None:
            return
        if row.id != self.detail.order_id:
            self.detail.show_order(row.id)
        sizes = self.splitter.sizes()
        if sizes[1] < 200:
            self.splitter.setSizes([max(200, sum(sizes) - 360), 360])
        self.detail.timeline.setFocus(Qt.FocusReason.OtherFocusReason)
        self.detail_opened.emit(row.id)

    def _context_menu(self, pos: Any) -> None:
        index = self.view.indexAt(pos)
        row = self.model.row_at(index.row()) if index.isValid() else None
        if row is None:
            return
        menu = QMenu(self)
        menu.addAction(self.tr("复制订单号"), lambda: QGuiApplication.clipboard().setText(row.order_no))
        trade = menu.addAction(self.tr("复制交易号"),
                               lambda: QGuiApplication.clipboard().setText(row.gateway_trade_no or ""))
        trade.setEnabled(bool(row.gateway_trade_no))
        menu.addSeparator()
        menu.addAction(self.tr("查看详情"), self.open_detail)
        menu.popup(self.view.viewport().mapToGlobal(pos))

    # ---- state kept across a language switch ---------------------------------------------------
    def layout_state(self) -> dict[str, Any]:
        """What the owner set up here: tab, search, columns, splitter, the selected order."""
        row = self.current_row()
        return {"tab": self.tabs.currentIndex(), "search": self.search.text(),
                "header": self.view.horizontalHeader().saveState(), "splitter": self.splitter.saveState(),
                "order_id": row.id if row is not None else None, "row": self.view.currentIndex().row()}

    def apply_layout_state(self, state: dict[str, Any]) -> None:
        self.view.horizontalHeader().restoreState(state["header"])
        self.view.horizontalHeader().setSortIndicatorShown(False)
        self._keep_fitting_columns()
        self.fit_status_column()
        self._splitter_fitted = self.splitter.restoreState(state["splitter"])
        self.tabs.setCurrentIndex(state["tab"])
        self.search.setText(state["search"])
        self.apply_filter()
        if state["order_id"] is not None:
            if self.model.requested_filter != self.model.order_filter:
                self._keep_after_apply = state["order_id"]  # selected again once the list is read
            elif (found := self.model.row_at(state["row"])) is not None and found.id == state["order_id"]:
                self.select_row(state["row"])  # the same list: the same row, found without counting
            else:
                self.select_order(state["order_id"])

    # ---- state kept between runs ---------------------------------------------------------------
    def save_state(self, settings: QSettings) -> None:
        settings.setValue("orders/header", self.view.horizontalHeader().saveState())
        settings.setValue("orders/splitter", self.splitter.saveState())

    def restore_state(self, settings: QSettings) -> None:
        header_state = settings.value("orders/header")
        if header_state is not None:
            self.view.horizontalHeader().restoreState(header_state)
        splitter_state = settings.value("orders/splitter")
        if splitter_state is not None:
            self._splitter_fitted = self.splitter.restoreState(splitter_state)
            self.splitter.setStretchFactor(0, 3)  # older saved states had the list give way alone
            self.splitter.setStretchFactor(1, 2)
        self.view.horizontalHeader().setSortIndicatorShown(False)  # a state saved by an older version
        self._keep_fitting_columns()
        self.fit_status_column()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self._splitter_fitted:
            self._splitter_fitted = True
            self.fit_splitter()

    def fit_splitter(self) -> None:
        """Give the detail the height its facts need, at most half; the list keeps the rest."""
        total = sum(self.splitter.sizes()) or self.splitter.height()
        wanted = self.detail.natural_height()
        detail = max(120, min(wanted, total // 2))
        self.splitter.setSizes([total - detail, detail])

    def _keep_fitting_columns(self) -> None:
        """A restored header keeps its widths but not an older version's resize modes."""
        header = self.view.horizontalHeader()
        header.setStretchLastSection(False)
        for column in range(header.count()):
            stretch = column in (COL_PRODUCT, COL_BUYER)
            header.setSectionResizeMode(
                column, QHeaderView.ResizeMode.Stretch if stretch else QHeaderView.ResizeMode.Interactive)

    def fit_status_column(self) -> None:
        """Widen each fixed column (the status chips above all) to its content in the UI
        language: widths saved while the desk spoke Chinese would cut English words ("Compl…")."""
        for column, needed in self._content_widths(self.view).items():
            if self.view.columnWidth(column) < needed:
                self.view.setColumnWidth(column, needed)

    def set_sort(self, sort: str, descending: bool = True) -> None:
        self.model.request_filter(replace(self.model.requested_filter, sort=sort, descending=descending))


def _epoch(day: QDate) -> int:
    """Midnight of a calendar day in shop time (Beijing), as epoch seconds."""
    moment = datetime(day.year(), day.month(), day.day(), tzinfo=SHOP_TZ)
    return int(moment.timestamp())

