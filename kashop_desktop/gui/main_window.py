"""The main window: left navigation over the screens, a status bar, the menus, remembered layout.

It owns no screen logic. Screens other than the orders list are built when first shown, so a
start-up with a million orders only pays for the list. After the first paint it loads the
gateway accounts and, when gateway secrets sit in a locked local vault, asks for its passphrase.
What other processes write (the command line, a second desk) reaches every screen within
``store_watch.POLL_MS`` (gui/store_watch.py).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..applog import log_file
from ..domain.refund_states import IN_FLIGHT_REFUND_STATES, REFUND_STATES_SHOWN, RefundStatus
from ..domain.roles import Right
from ..services import gateways, maintenance, products
from ..services.changes import Changes
from ..services.imports import ImportReport
from ..services.payment_sync import SyncReport
from ..services.refund_queue import QueueReport
from .context import DeskContext
from .dialogs.export_orders import ExportDialog, describe_list
from .dialogs.import_orders import ImportDialog
from .dialogs.restore_backup import RestoreBackupDialog
from .dialogs.vault import VaultDialog
from .elided_label import ElidedLabel, show_elided_message
from .i18n import error_text, refund_state_label, switch_language
from .operator_session import OperatorSession
from .orders_page import OrdersPage
from .pages.codes import CodesPage
from .pages.gateways import GatewaysPage
from .pages.permissions import refuse_reason
from .pages.products import ProductsPage
from .pages.refunds import RefundsPage
from .pages.reports import ReportsPage
from .pages.requests import RequestsPage
from .pages.settings import SettingsPage
from .payment_status import report_text
from .qt import (
    QAction,
    QBrush,
    QColor,
    QCoreApplication,
    QGuiApplication,
    QKeySequence,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPushButton,
    QScrollArea,
    QSettings,
    QSize,
    QSplitter,
    QStackedWidget,
    QStatusBar,
    Qt,
    QTimer,
    QToolButton,
    QVBoxLayout,
    QWidget,
    Signal,
)
from .shortcuts import ShortcutsFirst
from .status_counts import StatusCounts
from .store_watch import StoreWatch

#: Navigation order: key and the class of the screen (None: the orders page, built here).
PAGES: tuple[tuple[str, Callable[[DeskContext], QWidget] | None], ...] = (
    ("orders", None),
    ("requests", RequestsPage),
    ("refunds", RefundsPage),
    ("products", ProductsPage),
    ("codes", CodesPage),
    ("reports", ReportsPage),
    ("gateways", GatewaysPage),
    ("settings", SettingsPage),
)
PAGE_KEYS = tuple(key for key, _ in PAGES)
SHOWN_GATEWAYS = 3  # more accounts than this are summed up in the status bar
#: The window's size on a first run, where the screen has room for it and its frame.
FIRST_RUN_SIZE = (1400, 860)
#: Room a window manager's frame and title bar take around the window (width, height).
FRAME_ALLOWANCE = (16, 48)


def _scroll_when_laid_out(scroll: QScrollArea, offset: int) -> None:
    """Scroll ``scroll`` down to ``offset`` once its page has been laid out (its range known)."""
    bar = scroll.verticalScrollBar()

    def apply(_low: int, high: int) -> None:
        if high >= offset:
            bar.rangeChanged.disconnect(apply)
            bar.setValue(offset)

    bar.rangeChanged.connect(apply)


class MainWindow(OperatorSession, QMainWindow):
    restore_requested = Signal()  # the owner chose a backup: close, restore, open again

    def __init__(self, ctx: DeskContext, settings: QSettings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.settings = settings if settings is not None else QSettings()
        self.pages: dict[str, QWidget] = {}
        self.gateway_state: dict[int, bool | None] = {}
        self.accounts: list[gateways.AccountView] | None = None  # loaded after the first paint
        self.vault_asked = False
        self._about: QWidget | None = None
        self._reconcile: QWidget | None = None
        self.persist_layout = True  # a smoke run or a screenshot run leaves the owner's layout alone
        self.restore_request: Path | None = None  # the backup chosen in File > 恢复备份
        self.signing_in = False  # the sign-in dialog is up
        self.page_states: dict[str, Any] = {}  # choices a page hands to its rebuilt self (language switch)
        self.scroll_offsets: dict[str, int] = {}  # how far each page was scrolled, across a rebuild
        self.setWindowTitle(self.tr("kashop 卡店订单台"))
        self._build()
        self._build_menus()
        self.status_counts = StatusCounts(ctx, self._show_status)
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.timeout.connect(self.status_counts.read_later)
        ctx.changed.connect(lambda _c: self._refresh_timer.start(0))
        ctx.changed.connect(self._say_outside_changes)
        ctx.queue_report.connect(self._on_queue_report)
        ctx.sync_report.connect(self._on_sync_report)
        ctx.status_message.connect(lambda text: show_elided_message(self.statusBar(), text, 8000))
        # After the settings page's own slot has returned: the page is rebuilt too.
        ctx.language_changed.connect(lambda lang: QTimer.singleShot(0, lambda: self.switch_language(lang)))
        ctx.rights_changed.connect(lambda: QTimer.singleShot(0, lambda: self.ctx.start(self.follow_rights())))
        self.refresh_status()
        self.restore_layout()
        self.store_watch = StoreWatch(ctx, self)  # what the command line or a second desk writes
        self.store_watch.start()
        # Listing gateway accounts imports every plugin (httpx, cryptography: ~0.3 s), so it
        # waits until the order list is on screen.
        self.orders_page.view.painted.connect(self._after_first_paint)

    # ---- building ------------------------------------------------------------------------------
    def _build(self) -> None:
        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        self.nav.setIconSize(QSize(0, 0))
        self.nav.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.nav.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.nav.setStyleSheet("QListWidget#nav { font-size: 11pt; } QListWidget#nav::item { padding: 9px 10px; }")
        self.stack = QStackedWidget()
        for _page in PAGES:
            self.nav.addItem(QListWidgetItem())
            holder = QWidget()
            QVBoxLayout(holder).setContentsMargins(0, 0, 0, 0)
            self.stack.addWidget(holder)
        self.orders_page = OrdersPage(self.ctx)
        self.orders_page.import_requested.connect(lambda: self.ctx.start(self.import_orders()))
        self.new_sale_button = QToolButton()  # beside the status tabs: where the orders are
        self.new_sale_button.setText(self.tr("新建订单…"))
        self.new_sale_button.setToolTip(self.tr("在店里直接卖：扫码或当面收款（订单 > 新建订单，Ctrl+N）"))
        self.new_sale_button.clicked.connect(self.open_new_sale)
        self.orders_page.tabs_row.addWidget(self.new_sale_button)
        self._add_export_button()
        self._holder(0).addWidget(self.orders_page)
        self.pages["orders"] = self.orders_page
        self.nav.currentRowChanged.connect(self._on_nav)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.nav)
        self.splitter.addWidget(self.stack)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([170, 1230])
        self.splitter.setChildrenCollapsible(False)
        self.setCentralWidget(self.splitter)
        self._build_status_bar()
        self.nav.setCurrentRow(0)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        # Every label gives way on a narrow window (… and the whole text in the tooltip) rather
        # than making the window wider than a 1024-pixel screen.
        desk = self.ctx.desk
        if desk.db_url is not None:
            where = self.tr("数据库服务器：{url}").format(url=desk.store_label)
        else:
            where = self.tr("数据文件：{path}").format(path=desk.db_path)
        self.path_label = ElidedLabel(where)
        self.gateway_label = ElidedLabel()
        self.refunds_label = ElidedLabel()
        self.operator_label = ElidedLabel()
        self.switch_button = QPushButton(self.tr("切换操作员"))
        self.switch_button.setFlat(True)
        self.switch_button.setToolTip(self.tr("换一位操作员登录（之后的操作记在新登录者名下）"))
        self.switch_button.clicked.connect(lambda: self.ctx.start(self.switch_operator()))
        bar.addWidget(self.path_label, 1)
        self.stock_label = ElidedLabel()
        self.stock_label.setStyleSheet("color:#a32020;")
        bar.addPermanentWidget(self.stock_label)
        bar.addPermanentWidget(self.gateway_label)
        bar.addPermanentWidget(self.refunds_label)
        bar.addPermanentWidget(self.operator_label)
        bar.addPermanentWidget(self.switch_button)
        self.refresh_operator()

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu(self.tr("文件(&F)"))
        import_action = QAction(self.tr("导入订单(&I)…"), self)
        import_action.setShortcut(QKeySequence("Ctrl+I"))
        import_action.triggered.connect(lambda: self.ctx.start(self.import_orders()))
        file_menu.addAction(import_action)
        self.import_action = import_action
        export_action = QAction(self.tr("导出订单(&E)…"), self)
        export_action.setShortcut(QKeySequence("Ctrl+E"))
        export_action.triggered.connect(lambda: self.ctx.start(self.export_orders()))
        file_menu.addAction(export_action)
        self.export_action = export_action
        file_menu.addSeparator()
        backup = QAction(self.tr("立即备份(&B)"), self)
        backup.setShortcut(QKeySequence("Ctrl+Shift+B"))
        backup.triggered.connect(lambda: self.ctx.start(self.back_up()))
        file_menu.addAction(backup)
        restore = QAction(self.tr("恢复备份(&R)…"), self)
        restore.triggered.connect(lambda: self.ctx.start(self.restore_backup()))
        file_menu.addAction(restore)
        self.restore_action = restore
        for action, right in ((import_action, Right.IMPORT), (export_action, Right.EXPORT), (backup, Right.BACKUP),
                              (restore, Right.RESTORE)):
            refused = refuse_reason(self.ctx.desk, right)
            action.setEnabled(refused is None)
            action.setToolTip(refused or "")
        file_menu.setToolTipsVisible(True)
        file_menu.addSeparator()
        quit_action = QAction(self.tr("退出(&Q)"), self)
        quit_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Quit))
        quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        orders_menu = self.menuBar().addMenu(self.tr("订单(&O)"))
        new_sale = QAction(self.tr("新建订单(&N)…"), self)
        new_sale.setShortcut(QKeySequence("Ctrl+N"))
        new_sale.triggered.connect(self.open_new_sale)
        orders_menu.addAction(new_sale)
        self.new_sale_action = new_sale
        refused = refuse_reason(self.ctx.desk, Right.ORDERS)  # the sale's service refuses it too
        for widget in (new_sale, self.new_sale_button):
            widget.setEnabled(refused is None)
        self.new_sale_button.setToolTip(refused or self.new_sale_button.toolTip())
        orders_menu.setToolTipsVisible(True)
        new_sale.setToolTip(refused or "")
        pay_menu = self.menuBar().addMenu(self.tr("支付(&P)"))
        sync = QAction(self.tr("同步支付(&S)"), self)
        sync.setShortcut(QKeySequence("Ctrl+Shift+S"))
        sync.setToolTip(self.tr("立即向网关查询所有待支付订单（及刚过期的订单）是否已付款，已付款的自动补单发货"))
        sync.triggered.connect(lambda: self.ctx.start(self.sync_payments()))
        pay_menu.addAction(sync)
        self.sync_action = sync
        refused = refuse_reason(self.ctx.desk, Right.ORDERS)  # a sync by hand; the periodic one goes on
        sync.setEnabled(refused is None)
        if refused:
            sync.setToolTip(refused)
        pay_menu.setToolTipsVisible(True)
        reconcile = QAction(self.tr("对账(&R)…"), self)
        reconcile.triggered.connect(self.open_reconcile)
        pay_menu.addAction(reconcile)
        help_menu = self.menuBar().addMenu(self.tr("帮助(&H)"))
        about = QAction(self.tr("关于(&A)"), self)
        about.setMenuRole(QAction.MenuRole.AboutRole)
        about.triggered.connect(self.show_about)
        help_menu.addAction(about)
        self.shortcuts_first = ShortcutsFirst(self, [a.shortcut() for a in (import_action, export_action, new_sale)])
        self.shortcuts_first.watch(self.splitter)

    def _add_export_button(self) -> None:
        """导出… beside 新建订单… at the right of the orders page's status tabs (the filter row has
        no room left on a 1024 px screen): the list as shown, through File > 导出订单."""
        button = QToolButton()
        button.setText(self.tr("导出…"))
        button.setToolTip(self.tr("把当前列表（标签、搜索、日期）导出为 CSV 或 Excel（文件 > 导出订单，Ctrl+E）"))
        button.clicked.connect(lambda: self.ctx.start(self.export_orders()))
        refused = refuse_reason(self.ctx.desk, Right.EXPORT)  # the export's service refuses it too
        button.setEnabled(refused is None)
        if refused:
            button.setToolTip(refused)
        self.orders_page.tabs_row.addWidget(button)
        self.export_button = button

    def _holder(self, index: int) -> QVBoxLayout:
        """The layout of the stack slot a screen goes into (screens are built on first show)."""
        widget = self.stack.widget(index)
        layout = widget.layout() if widget is not None else None
        assert isinstance(layout, QVBoxLayout)
        return layout

    # ---- navigation ----------------------------------------------------------------------------
    def show_page(self, key: str) -> QWidget:
        self.nav.setCurrentRow(PAGE_KEYS.index(key))
        return self.pages[key]

    def _on_nav(self, row: int) -> None:
        if row < 0:
            return
        self._ensure_page(row)
        self.stack.setCurrentIndex(row)

    def _ensure_page(self, row: int) -> None:
        key, page_class = PAGES[row]
        if key in self.pages or page_class is None:
            return
        page = page_class(self.ctx)
        self.pages[key] = page
        if key in self.page_states:
            page.apply_view_state(self.page_states.pop(key))  # type: ignore[attr-defined]
        # A page taller than a small screen (Settings at 1024x640) scrolls; it never forces the
        # window taller than the screen.
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(page)
        self._holder(row).addWidget(scroll)
        offset = self.scroll_offsets.pop(key, 0)
        if offset:  # where the page was scrolled before a sign-in or a language switch rebuilt it
            _scroll_when_laid_out(scroll, offset)
        self.shortcuts_first.watch(page)

    def _scroll_of(self, key: str) -> int:
        """How far the scroll area around page ``key`` is scrolled down (0: none, or no area)."""
        holder = self.stack.widget(PAGE_KEYS.index(key))
        scroll = holder.findChild(QScrollArea) if holder is not None else None
        return scroll.verticalScrollBar().value() if scroll is not None else 0

    # ---- counts and the status bar -------------------------------------------------------------
    def refresh_status(self) -> None:
        """The counts read now (at start and on a language switch; else ``status_counts.read_later``)."""
        self.status_counts.read_now()

    def _show_status(self, reqs: dict[str, int], refunds: dict[str, int]) -> None:
        waiting = sum(refunds[s.value] for s in IN_FLIGHT_REFUND_STATES)  # 退款中, as the orders' tab says
        if reqs["overdue"]:  # two short lines keep the navigation narrow on a small screen
            requests_text = self.tr("售后申请（{open}）\n逾期 {overdue}").format(open=reqs["open"],
                                                                              overdue=reqs["overdue"])
        elif reqs["open"]:
            requests_text = self.tr("售后申请（{open}）").format(open=reqs["open"])
        else:
            requests_text = self.tr("售后申请")
        texts = {"orders": self.tr("订单"), "requests": requests_text,
                 "refunds": self.tr("退款队列（{n}）").format(n=waiting) if waiting else self.tr("退款队列"),
                 "products": self.tr("商品"), "codes": self._codes_nav_text(), "reports": self.tr("报表"),
                 "gateways": self.tr("网关"), "settings": self.tr("设置")}
        for row, key in enumerate(PAGE_KEYS):
            self.nav.item(row).setText(texts[key])
        self._fit_nav()
        self.nav.item(PAGE_KEYS.index("requests")).setForeground(
            QBrush(QColor("#a32020")) if reqs["overdue"] else self.palette().text())
        owner = refunds[RefundStatus.NEEDS_OWNER.value]
        self.refunds_label.setText(
            self.tr("退款中：{n}（待人工处理 {owner}）", "", owner).format(n=waiting, owner=owner) if owner
            else self.tr("退款中：{n}").format(n=waiting))
        self.refunds_label.setStyleSheet("color:#a32020;" if owner else "")
        self.refunds_label.setToolTip(self.tr("，").join(
            self.tr("{state} {count}").format(state=refund_state_label(s.value), count=refunds[s.value])
            for s in REFUND_STATES_SHOWN))
        self._show_gateways()
        self._show_stock()

    def _codes_nav_text(self) -> str:
        self.stock_state = products.stock_summary(self.ctx.desk)
        waiting = self.stock_state.backorders
        return self.tr("卡密（缺货待发 {n}）").format(n=waiting) if waiting else self.tr("卡密")

    def _show_stock(self) -> None:
        """The low-stock warning and the backorder count in the status bar (empty when neither)."""
        state = self.stock_state
        parts = []
        if state.low_stock:
            parts.append(self.tr("库存不足：{names}").format(names=self.tr("、").join(state.low_stock)))
        if state.backorders:
            parts.append(self.tr("缺货待发 {n} 单", "", state.backorders).format(n=state.backorders))
        self.stock_label.setText(self.tr("；").join(parts))
        self.stock_label.setVisible(bool(parts) and self.ctx.desk.operator is not None)  # hidden while nobody is signed in

    def _say_outside_changes(self, changes: Changes) -> None:
        """Say why the screens moved on their own: another program wrote to the store."""
        if changes.resumed:  # the server came back: nothing was seen written, the screens read anyway
            self.statusBar().showMessage(self.tr("与数据库服务器的连接已恢复，已重新读取"), 8000)
        elif changes.outside:
            if not self.ctx.own_writes_expected():  # the window's own import says what it did itself
                self.statusBar().showMessage(self.tr("数据已被其他程序（命令行或另一个窗口）改动，已重新读取"), 8000)
            self.ctx.start(self.recheck_operator())  # disabled or given another role there: follow now

    def _after_first_paint(self) -> None:
        self.orders_page.view.painted.disconnect(self._after_first_paint)
        QTimer.singleShot(0, self.load_gateways)

    def load_gateways(self) -> None:
        self.accounts = gateways.list_accounts(self.ctx.desk)
        self._show_gateways()
        status = gateways.secret_status(self.ctx.desk, keyring=False)  # is the vault open
        # Asked on its own only when a refund waits on a key in the locked vault; anything else
        # that needs a secret (a gateway test, saving keys, 卡密 import or reveal) asks then.
        if (status.exists and not status.unlocked and not self.vault_asked
                and gateways.secrets_needed_now(self.ctx.desk)):
            self.vault_asked = True  # once per start; the gateways page offers it again
            self.ctx.start(VaultDialog.ask(self, self.ctx))

    def _fit_nav(self) -> None:
        """Keep the navigation wide enough for its longest label (counts change its length)."""
        needed = self.nav.sizeHintForColumn(0) + 2 * self.nav.frameWidth() + 6
        if needed > self.nav.minimumWidth():
            self.nav.setMinimumWidth(needed)

    def _on_queue_report(self, report: QueueReport) -> None:
        for gateway_id in report.reachable_gateways:
            self.gateway_state[gateway_id] = True
        for gateway_id in report.unreachable_gateways:
            self.gateway_state[gateway_id] = False
        self.load_gateways()
        self.status_counts.read_later()

    def _on_sync_report(self, report: SyncReport) -> None:
        for gateway_id in report.reachable_gateways:
            self.gateway_state[gateway_id] = True
        for gateway_id in report.unreachable_gateways:
            self.gateway_state[gateway_id] = False
        if report.reachable_gateways or report.unreachable_gateways:
            self._show_gateways()
        if report.paid or report.flagged or any(c.code in ("closed", "paid_twice") for c in report.closes):
            # A background run that did something says so (a quiet one stays quiet).
            self.statusBar().showMessage(report_text(report), 15000)

    def open_reconcile(self) -> QWidget:
        """支付 > 对账: modeless, one at a time."""
        from .dialogs.reconcile import ReconcileDialog

        if self._reconcile is None or not self._reconcile.isVisible():
            self._reconcile = ReconcileDialog.open_for(self, self.ctx)
        self._reconcile.raise_()
        return self._reconcile

    def open_new_sale(self) -> None:
        """订单 > 新建订单: the sale dialog, window-modal; the order list follows its Changes."""
        from .dialogs.new_sale import NewSaleDialog

        self.ctx.start(NewSaleDialog.ask(self, self.ctx))

    async def sync_payments(self) -> SyncReport | None:
        """同步支付: every watched order now, in the background; the status bar says what it did."""
        if self.ctx.syncing:
            self.statusBar().showMessage(self.tr("同步支付正在进行，请稍候"), 5000)
            return None
        self.sync_action.setEnabled(False)
        self.statusBar().showMessage(self.tr("正在同步支付…"))
        try:
            report = await self.ctx.sync_payments(force=True)
        finally:
            self.sync_action.setEnabled(refuse_reason(self.ctx.desk, Right.ORDERS) is None)
        self.statusBar().showMessage(report_text(report), 15000)
        return report

    def _show_gateways(self) -> None:
        if self.accounts is None:
            self.gateway_label.setText(self.tr("网关 …"))
            return
        states = [(a.name, self.gateway_state.get(a.id)) for a in self.accounts if a.enabled]
        words = {True: self.tr("{name}：可达"), False: self.tr("{name}：离线"), None: self.tr("{name}：未知")}
        each = [words[state].format(name=name) for name, state in states]
        if len(states) <= SHOWN_GATEWAYS:
            self.gateway_label.setText(self.tr("网关 {states}").format(states=" · ".join(each)))
        else:  # many accounts: counts in the bar, each account in the tooltip
            found = [state for _, state in states]
            self.gateway_label.setText(self.tr("网关：可达 {ok} · 离线 {off} · 未知 {unknown}").format(
                ok=found.count(True), off=found.count(False), unknown=found.count(None)))
        self.gateway_label.setToolTip("\n".join([*each, self.tr("每次发送退款或同步支付后更新；之前为「未知」")]))

    # ---- menu actions --------------------------------------------------------------------------
    async def back_up(self) -> None:
        try:
            path = await self.ctx.run(maintenance.backup, self.ctx.desk)
        except OSError as exc:
            self.statusBar().showMessage(self.tr("备份失败：{error}").format(error=error_text(exc)), 10000)
            return
        self.statusBar().showMessage(self.tr("已备份到 {path}").format(path=path), 10000)

    async def import_orders(self, path: Path | None = None) -> ImportReport | None:
        """File > 导入订单: choose a file (unless given), preview and check it, import it in the
        background; the order list refreshes from the report's Changes."""
        return await ImportDialog.ask(self, self.ctx, path)

    async def export_orders(self) -> Any:
        """File > 导出订单: the orders page's list as it is shown (tab, search, dates, sort)."""
        page = self.orders_page
        flt = page.current_filter()
        return await ExportDialog.ask(self, self.ctx, flt, describe_list(flt))

    async def restore_backup(self) -> Path | None:
        """Pick a backup; the window then closes, the restore runs with no connection open and the
        window opens again on the restored store (gui/app.py)."""
        chosen = await RestoreBackupDialog.ask(self, self.ctx.desk.data_dir)
        if chosen is not None:
            self.restore_request = chosen
            self.restore_requested.emit()
        return chosen

    def show_about(self) -> QWidget:
        """The About dialog (version, data dir, log file, the bundled font's licence), modeless."""
        if self._about is None:
            from .about import AboutDialog  # only when asked: it reads every library's metadata

            self._about = AboutDialog(self, self.ctx.desk.data_dir, log_file(self.ctx.desk.data_dir))
        self._about.show()
        self._about.raise_()
        return self._about

    # ---- language ------------------------------------------------------------------------------
    def switch_language(self, lang: str) -> None:
        """Show the window in ``lang`` at once: swap the translator, then build every screen,
        the menus and the status bar again (their words are set when built). The page on show,
        the layout, the orders tab, search and selection, the report's choices stay."""
        app = QCoreApplication.instance()
        if app is None:
            return
        switch_language(app, lang)
        self.rebuild()

    def rebuild(self) -> None:
        """Build every screen, the menus and the status bar again (after a language switch or a
        sign-in: their words and what is greyed out are set when built). The page on show, the
        layout, the orders tab, search and selection stay."""
        row, old_orders, nav_state = self.nav.currentRow(), self.orders_page, self.splitter.saveState()
        orders_state = old_orders.layout_state()
        self.page_states = {key: page.view_state() for key, page in self.pages.items() if hasattr(page, "view_state")}
        self.scroll_offsets = {key: self._scroll_of(key) for key in self.pages}
        if self._about is not None:
            self._about.close()
            self._about = None
        self._dispose_pages()
        self.pages = {}
        self.menuBar().clear()
        self.setStatusBar(QStatusBar(self))
        self._build()  # the old screens go with the old central widget
        # Shown now, not when the layout gets to it: a message shown next (…已登录) hides only the
        # visible left-hand labels, and would otherwise be drawn over 数据文件：.
        self.statusBar().show()
        self._build_menus()
        self.setWindowTitle(self.tr("kashop 卡店订单台"))
        self.splitter.restoreState(nav_state)
        self.orders_page.apply_layout_state(orders_state)
        self.refresh_status()
        self.nav.setCurrentRow(row)

    # ---- remembered layout ---------------------------------------------------------------------
    def restore_layout(self) -> None:
        """The window's place and size from the last run (Qt keeps a restored window on a
        screen that is still there); on a first run, the preferred size where the screen has
        room for it, else the screen's available area less the window frame (a 1024x640 laptop
        gets a window that fits it, not one reaching under the task bar)."""
        s = self.settings
        geometry = s.value("main/geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            self.first_run_size()
        splitter = s.value("main/splitter")
        if splitter is None or not self.splitter.restoreState(splitter):
            self.splitter.setSizes([self.nav.minimumWidth(), max(1, self.width() - self.nav.minimumWidth())])
        self.orders_page.restore_state(s)

    def first_run_size(self) -> None:
        """The preferred size, cut to what the screen's available area leaves beside the window
        frame, centred in that area."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            self.resize(*FIRST_RUN_SIZE)
            return
        room = screen.availableGeometry()
        frame_w, frame_h = FRAME_ALLOWANCE
        width = max(1, min(FIRST_RUN_SIZE[0], room.width() - frame_w))
        height = max(1, min(FIRST_RUN_SIZE[1], room.height() - frame_h))
        self.resize(width, height)
        self.move(room.left() + (room.width() - width - frame_w) // 2,
                  room.top() + (room.height() - height - frame_h) // 2)

    def save_layout(self) -> None:
        s = self.settings
        s.setValue("main/geometry", self.saveGeometry())
        s.setValue("main/splitter", self.splitter.saveState())
        self.orders_page.save_state(s)
        s.sync()

    def _dispose_pages(self) -> None:
        """Pages that hold a chart take it apart before they go (``ReportsPage.dispose``)."""
        for page in self.pages.values():
            dispose = getattr(page, "dispose", None)
            if callable(dispose):
                dispose()

    def closeEvent(self, event: Any) -> None:
        self._dispose_pages()
        if self.persist_layout:
            self.save_layout()
        super().closeEvent(event)
