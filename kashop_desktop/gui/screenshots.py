"""Screenshots for the docs and the review: ``python -m kashop_desktop.gui.screenshots OUT_DIR [--small]``.

Builds the demo shop in a temporary data dir, shows the real main window at 1366x768 (and the
orders screen once more at 1024x640, a small laptop) and grabs every screen and dialog (packaging/screenshots.sh runs it under Xvfb, not offscreen, so
fonts and window decorations are the real ones). The whole run is one coroutine on the qasync
loop: it waits for paints with ``asyncio.sleep``, never with a nested Qt event loop.

``--small`` also takes every page and dialog at 1024x640 in both languages (``*_1024``, for
reviewing the small-screen layout; the README shows only the orders screen at that size).

Each dialog is built directly (``cls(parent, ctx, target)``) and shown without ``exec`` so it
can be grabbed and closed. A dialog whose demo order cannot be found is listed as missing
instead of failing the run.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..domain.codes import CodeState
from ..domain.errors import DomainError
from ..domain.order import ReasonCode
from ..domain.roles import OWNER_NAME, Role
from ..domain.states import OrderStatus
from ..services import (
    buyers,
    code_import,
    codes,
    delivery,
    demo,
    maintenance,
    operators,
    products,
    requests,
    views,
)
from ..services import orders as order_ops
from ..services.desk import Desk
from ..services.exports import ExportProgress
from ..services.views import OrderFilter
from .app import load_cjk_font, make_app
from .context import DeskContext
from .dialogs.codes import ImportCodesDialog
from .dialogs.export_orders import ExportDialog, describe_list
from .dialogs.mark_paid import MarkPaidDialog
from .dialogs.operators import SignInDialog
from .dialogs.product import ProductDialog
from .dialogs.restore_backup import RestoreBackupDialog
from .dialogs.review import ReviewDialog
from .i18n import install_translator, remove_translators
from .main_window import MainWindow
from .order_detail import ACTIONS
from .orders_page import TAB_STATUSES
from .pages.codes import BACKORDER_TAB, CodesPage
from .pages.refunds import STATES, RefundsPage
from .pages.reports import ReportsPage
from .pages.settings import SettingsPage
from .qt import QCoreApplication, QSettings, QtWidgets, QWidget, qasync

WINDOW_SIZE = (1366, 768)
SMALL_SIZE = (1024, 640)
MAX_BYTES = 200_000
PAINT_WAIT_S = 0.6


def save_png(widget: QWidget, path: Path) -> int:
    """Grab a widget into a PNG at the strongest compression; returns its size in bytes."""
    return _save_image(widget.grab().toImage(), path)


def _save_image(image: Any, path: Path) -> int:
    # A 256-colour palette was tried: Qt's dithering makes UI shots bigger, and without it the
    # light chip colours vanish; hinted text (app.load_cjk_font) is what keeps them small.
    image.save(str(path), quality=0)  # format from the .png suffix
    return path.stat().st_size


def first_order(desk: Desk, status: OrderStatus | str, **where: Any) -> views.OrderRow | None:
    for row in views.order_page(desk, OrderFilter(status=str(status)), 400):
        detail = views.order_detail_by_id(desk, row.id)
        if all(getattr(detail, k) == v if not callable(v) else v(detail) for k, v in where.items()):
            return row
    return None


class Shooter:
    """Takes the shots; each returns the file written (or None when the screen is missing)."""

    def __init__(self, app: Any, ctx: DeskContext, out: Path) -> None:
        self.app = app
        self.ctx = ctx
        self.out = out
        self.written: list[Path] = []
        self.missing: list[str] = []

    async def shoot(self, widget: QWidget, name: str) -> Path:
        await asyncio.sleep(PAINT_WAIT_S)
        path = self.out / f"{name}.png"
        save_png(widget, path)
        self.written.append(path)
        return path

    def window(self, settings: QSettings) -> MainWindow:
        window = MainWindow(self.ctx, settings)
        window.persist_layout = False
        window.resize(*WINDOW_SIZE)
        window.show()
        return window

    async def main_window(self, window: MainWindow, suffix: str = "") -> None:
        desk = self.ctx.desk
        paid = first_order(desk, OrderStatus.PAID, requests=lambda d: bool(d.requests)) or first_order(desk, OrderStatus.PAID)
        window.show_page("orders")
        if paid is not None:
            window.orders_page.select_order(paid.id)
        await self.shoot(window, f"orders{suffix}")
        window.resize(*SMALL_SIZE)
        await self.shoot(window, f"orders_1024{suffix}")
        window.resize(*WINDOW_SIZE)
        if not suffix:
            await self.dispute_only(window)

    async def dispute_only(self, window: MainWindow) -> None:
        """A delivered order: Cancel is greyed out and its tooltip says why (screen grab, so the
        tooltip window is in the picture)."""
        desk = self.ctx.desk
        delivered = first_order(desk, OrderStatus.DELIVERED, requests=lambda d: not d.requests,
                                dispute=lambda d: _dispute_first(desk, d.order_no))
        if delivered is None:
            self.missing.append("orders_delivered_dispute")
            return
        window.orders_page.select_order(delivered.id)
        button = window.orders_page.detail.buttons["cancel"]
        await asyncio.sleep(PAINT_WAIT_S)
        QtWidgets.QToolTip.showText(button.mapToGlobal(button.rect().bottomLeft()), button.toolTip(), button)
        await asyncio.sleep(PAINT_WAIT_S)
        path = self.out / "orders_delivered_dispute.png"
        top_left = window.mapToGlobal(window.rect().topLeft())
        shot = window.screen().grabWindow(0, top_left.x(), top_left.y(), window.width(), window.height())
        _save_image(shot.toImage(), path)
        QtWidgets.QToolTip.hideText()
        self.written.append(path)

    async def held_order(self, window: MainWindow, suffix: str = "") -> None:
        """A blocked buyer's order held for review: the note, the 已拉黑 mark, the banner, the tab.
        The buyer is unblocked and released again afterwards, so later shots are unchanged."""
        desk = self.ctx.desk
        paid = first_order(desk, OrderStatus.PAID, requests=lambda d: not d.requests)
        if paid is None:
            self.missing.append(f"orders_held{suffix}")
            return
        await self.ctx.op(buyers.set_note, paid.buyer, QCoreApplication.translate(
            "Screenshots", "去年起的老客户；最近用不同支付宝账户连续下单"))
        await self.ctx.op(buyers.block, paid.buyer, QCoreApplication.translate("Screenshots", "支付账户疑似盗用"))
        window.show_page("orders")
        page = window.orders_page
        page.tabs.setCurrentIndex(TAB_STATUSES.index(views.HELD))
        await asyncio.sleep(PAINT_WAIT_S)
        page.select_order(paid.id)
        await self.shoot(window, f"orders_held{suffix}")
        await self.ctx.op(buyers.release_buyer, paid.buyer)
        await self.ctx.op(buyers.unblock, paid.buyer)
        await self.ctx.op(buyers.set_note, paid.buyer, "")
        page.tabs.setCurrentIndex(0)

    async def pages(self, window: MainWindow, suffix: str = "") -> None:
        for key in ("requests", "refunds", "products", "codes", "reports", "gateways", "settings"):
            page = window.show_page(key)
            if isinstance(page, RefundsPage):  # a refused refund shows what the queue does with failures
                page.tabs.setCurrentIndex(STATES.index("failed"))
            if isinstance(page, ReportsPage):  # the demo's months of sales, per week
                page.preset.setCurrentIndex(page.preset.findData("90"))
                page.by.setCurrentIndex(page.by.findData("week"))
            await self.shoot(window, f"{key}{suffix}")
            if isinstance(page, ReportsPage):  # the widest table: refunds per product, each month
                page.kind.setCurrentIndex(page.kind.findData("refunds"))
                page.by.setCurrentIndex(page.by.findData("month"))
                page.split.setCurrentIndex(page.split.findData("product"))
                await self.shoot(window, f"reports_refunds{suffix}")
        await self.codes_screens(window, suffix)
        window.show_page("orders")

    async def codes_screens(self, window: MainWindow, suffix: str) -> None:
        """The 卡密 page on its backorder tab, at 1024x640 too, and the import dialog's preview."""
        page = window.show_page("codes")
        assert isinstance(page, CodesPage)
        page.product.setCurrentIndex(page.product.count() - 1)
        page.tabs.setCurrentIndex(BACKORDER_TAB)
        await self.shoot(window, f"codes_backorders{suffix}")
        page.product.setCurrentIndex(0)
        page.tabs.setCurrentIndex(0)
        window.resize(*SMALL_SIZE)
        await self.shoot(window, f"codes_1024{suffix}")
        window.show_page("products")
        await self.shoot(window, f"products_1024{suffix}")
        window.resize(*WINDOW_SIZE)
        page = window.show_page("codes")
        assert isinstance(page, CodesPage)
        dialog = ImportCodesDialog(window, self.ctx, str(page.current_product()))
        dialog.show()
        dialog.batch.setText("12月进货")
        dialog.cost.setText("5.50")
        dialog.text.setPlainText("\n".join([*IMPORT_SAMPLE, "K01BADLINE with three parts"]))
        await self.shoot(dialog, f"dialog_import_codes{suffix}")
        dialog.close()
        dialog.deleteLater()
        edit = ProductDialog(window, self.ctx, products.list_products(self.ctx.desk)[-1])
        edit.show()
        await self.shoot(edit, f"dialog_product{suffix}")
        edit.close()
        edit.deleteLater()

    async def dialogs(self, window: MainWindow, suffix: str = "") -> None:
        desk = self.ctx.desk
        targets: dict[str, Callable[[], Any]] = {
            "cancel": lambda: _no(first_order(desk, OrderStatus.PAID, requests=lambda d: not d.requests)),
            "review": lambda: _open_request_id(desk),
            # One that used points, so the dialog says they are taken back.
            "restore": lambda: _no(first_order(desk, OrderStatus.CANCELLED, paid_at=None, points=lambda d: d.points > 0)
                                   or first_order(desk, OrderStatus.CANCELLED, paid_at=None)),
            "mark_paid": lambda: _no(first_order(desk, OrderStatus.PENDING_PAYMENT)),
            "deliver": lambda: _deliverable(desk),
            # A delivered order whose code is known unused: a dispute the owner may accept.
            "open_request": lambda: _no(first_order(desk, OrderStatus.DELIVERED, requests=lambda d: not d.requests,
                                                    code_used="no")),
            # A delivered order nobody asked about: its money may have gone back outside the desk.
            "record_outside": lambda: _no(first_order(desk, OrderStatus.DELIVERED, requests=lambda d: not d.requests)),
        }
        classes = {key: cls for key, cls, _ in ACTIONS if cls is not None}
        for key, find in targets.items():
            cls = classes[key]
            target = find()
            if target is None:
                self.missing.append(f"dialog_{key}{suffix}")
                continue
            dialog = cls(window, self.ctx, target)
            dialog.show()
            await self.shoot(dialog, f"dialog_{key}{suffix}")
            if isinstance(dialog, ReviewDialog):
                await self.review_above_asked(dialog, suffix)
            if isinstance(dialog, MarkPaidDialog):  # paid to the shop directly: its own words
                dialog.route.setCurrentIndex(dialog.route.findData("bank_transfer"))
                await self.shoot(dialog, f"dialog_mark_paid_transfer{suffix}")
            dialog.close()
            dialog.deleteLater()
        await self.restore_backup(window, suffix)
        await self.export_dialog(window, suffix)

    async def review_above_asked(self, dialog: ReviewDialog, suffix: str) -> None:
        """The review dialog with an amount above what the buyer asked: its own tick asked for."""
        asked = dialog.request.amount_fen if dialog.request is not None else None
        top = dialog.preview.max_fen if dialog.preview is not None else None
        if asked is None or top is None or top <= asked:
            self.missing.append(f"dialog_review_above{suffix}")
            return
        dialog.amount.setText(f"{top // 100}.{top % 100:02d}")
        await self.shoot(dialog, f"dialog_review_above{suffix}")

    async def export_dialog(self, window: MainWindow, suffix: str = "") -> None:
        """File > 导出订单 on the orders page's list, part-way through an export."""
        page = window.orders_page
        flt = page.current_filter()
        dialog = ExportDialog(window, self.ctx, flt, describe_list(flt))
        dialog.show()
        await asyncio.sleep(PAINT_WAIT_S)
        dialog.progress.setRange(0, 800)
        dialog.progress.setValue(300)
        dialog.exporting = True
        dialog._show_progress(ExportProgress(300, 800, 1.2, 2.0))
        await self.shoot(dialog, f"dialog_export{suffix}")
        dialog.exporting = False
        dialog.close()
        dialog.deleteLater()

    async def restore_backup(self, window: MainWindow, suffix: str = "") -> None:
        """File > 恢复备份 over a week of daily backups and one taken by hand."""
        desk = self.ctx.desk
        if not maintenance.list_backups(desk.data_dir):
            await self.ctx.run(maintenance.backup, desk)
            for _day in range(3):
                for b in maintenance.list_backups(desk.data_dir):
                    os.utime(b.path, (b.taken_at - 86_400, b.taken_at - 86_400))
                await self.ctx.run(maintenance.auto_backup, desk)
        dialog = RestoreBackupDialog(window, desk.data_dir)
        dialog.show()
        await self.shoot(dialog, f"dialog_restore_backup{suffix}")
        dialog.close()
        dialog.deleteLater()


    async def operators(self, window: MainWindow, suffix: str = "") -> None:
        """Settings > 操作员 with a clerk and a viewer added, and the sign-in dialog over the
        window as at start-up, nobody signed in and the shop's data hidden (a screen grab, so the
        dialog is in the picture as the owner sees it); the owner is signed in again after."""
        desk = self.ctx.desk
        if desk.single_owner:
            await self.ctx.run(operators.set_password, desk, OWNER_NAME, "demo-owner")
            await self.ctx.run(operators.add, desk, "小王", Role.CLERK, "demo-clerk", approve_limit_fen=100_00)
            await self.ctx.run(operators.add, desk, "阿May", Role.VIEWER, "demo-viewer")
        window.rebuild()
        page = window.show_page("settings")
        assert isinstance(page, SettingsPage)
        viewport = page.parentWidget()
        scroll = viewport.parentWidget() if viewport is not None else None  # the page's scroll area
        if isinstance(scroll, QtWidgets.QScrollArea):
            scroll.ensureWidgetVisible(page.operators_box, 0, 0)
        page.operators_box.table.selectRow(1)
        await self.shoot(window, f"settings_operators{suffix}")
        window.show_page("orders")  # where the sign-in dialog comes up at start
        await self.ctx.run(operators.sign_out, desk)  # as at start-up: nobody signed in, the shop's data hidden
        window.refresh_operator()
        dialog = SignInDialog(window, self.ctx)
        dialog.show()
        await asyncio.sleep(PAINT_WAIT_S)
        path = self.out / f"dialog_sign_in{suffix}.png"
        top_left = window.mapToGlobal(window.rect().topLeft())
        shot = window.screen().grabWindow(0, top_left.x(), top_left.y(), window.width(), window.height())
        _save_image(shot.toImage(), path)
        self.written.append(path)
        dialog.close()
        dialog.deleteLater()
        await self.ctx.run(operators.sign_in, desk, OWNER_NAME, "demo-owner", record=False)
        window.rebuild()


IMPORT_SAMPLE = ["K01NEWCODE0000001", "K01NEWCODE0000002", "CARD20261201----PASS8812", "K01NEWCODE0000001"]


def stock_story(desk: Desk) -> None:
    """What a shop's stock looks like after a few weeks: a batch with its cost, codes locked and
    voided, thresholds, one product run low with a paid order waiting for codes (缺货待发)."""
    cards = [p for p in products.list_products(desk) if p.product_type.value == "card_code"]
    if len(cards) < 2 or any(p.threshold for p in cards):
        return
    first, low = cards[0], cards[-1]
    code_import.import_codes(desk, first.name, [f"K01B{i:04d}NOV{i * 7 % 1000:03d}Q" for i in range(40)],
                             batch="11月进货", cost_fen=5_50)
    ids = [c.id for c in codes.list_codes(desk, first.name, CodeState.AVAILABLE, limit=4)]
    codes.move_codes(desk, ids[:3], CodeState.LOCKED, note="疑似泄露，暂停销售")
    codes.move_codes(desk, ids[3:], CodeState.VOID, note="供货商作废")
    for p in cards:
        products.set_product(desk, p.name, {"threshold": 10})
    for code in codes.list_codes(desk, low.name, CodeState.RESERVED, limit=10_000):
        if code.order_no is not None:  # the open orders of this product let go of their codes
            with desk.atomic():
                codes.release_reserved(views.order_detail(desk, code.order_no).id)
    held = [c.id for c in codes.list_codes(desk, low.name, CodeState.AVAILABLE, limit=10_000)]
    codes.move_codes(desk, held[3:], CodeState.LOCKED, note="转到其他平台销售")
    for row in views.order_page(desk, OrderFilter(status=OrderStatus.PAID.value), 400):
        if row.product == low.name:
            try:
                order_ops.deliver(desk, row.order_no)
            except DomainError:
                continue


def _dispute_first(desk: Desk, order_no: str) -> bool:
    """The services' first reason for refusing a cancel is the delivered-goods (dispute) rule."""
    decision = requests.preview(desk, order_no, ReasonCode.MISTAKEN).decision
    return bool(decision.codes) and decision.codes[0] == "dispute"


def _deliverable(desk: Desk) -> str | None:
    """A paid 卡密 order that can be delivered now: the dialog names the code and the buyer."""
    for row in views.order_page(desk, OrderFilter(status=OrderStatus.PAID.value), 400):
        if row.product_type == "card_code" and delivery.deliver_preview(desk, row.order_no).refusal is None:
            return row.order_no
    return None


def _no(row: views.OrderRow | None) -> str | None:
    return row.order_no if row else None


def _open_request_id(desk: Desk) -> int | None:
    """An open request with money to review (a full breakdown), preferring a plain cancel."""
    open_ones = views.list_requests(desk, "open")
    plain = [r for r in open_ones if not r.is_dispute] or open_ones
    return plain[0].id if plain else None


async def small_screen(shooter: Shooter, window: MainWindow, suffix: str) -> None:
    """Every page and dialog again in a 1024x640 window (a small laptop), named ``*_1024``."""
    window.resize(*SMALL_SIZE)
    await shooter.pages(window, f"_1024{suffix}")
    await shooter.dialogs(window, f"_1024{suffix}")
    window.resize(*WINDOW_SIZE)


async def run(out: Path, small: bool = False) -> Shooter:
    app = make_app([])
    app.setQuitOnLastWindowClosed(False)  # closing the last window must not stop the loop mid-run
    load_cjk_font(app)
    scratch = tempfile.TemporaryDirectory(prefix="kashop-shots-")
    desk = Desk.open(scratch.name)
    await asyncio.to_thread(demo.build, desk, 800)
    await asyncio.to_thread(stock_story, desk)
    ctx = DeskContext(desk)
    settings = QSettings(str(Path(scratch.name) / "ui.ini"), QSettings.Format.IniFormat)
    shooter = Shooter(app, ctx, out)
    translators = install_translator(app, "zh_CN")
    try:
        window = shooter.window(settings)
        await shooter.main_window(window)
        await shooter.pages(window)
        await shooter.dialogs(window)
        await shooter.held_order(window)
        await shooter.operators(window)
        if small:
            await small_screen(shooter, window, "")
        window.close()
        remove_translators(app, translators)
        translators = install_translator(app, "en")
        english = shooter.window(settings)
        await shooter.main_window(english, "_en")
        await shooter.pages(english, "_en")
        await shooter.dialogs(english, "_en")
        await shooter.held_order(english, "_en")
        await shooter.operators(english, "_en")
        if small:
            await small_screen(shooter, english, "_en")
        english.close()
    finally:
        remove_translators(app, translators)
        await ctx.aclose()
        desk.close()
        scratch.cleanup()
    return shooter


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    small = "--small" in args
    args = [a for a in args if a != "--small"]
    out = Path(args[0] if args else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    app = make_app([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        shooter = loop.run_until_complete(run(out, small))
    for path in shooter.written:
        size = path.stat().st_size
        print(f"{path}  {size // 1024} KB" + ("  (over ~200 KB: check what grew)" if size > 1.1 * MAX_BYTES else ""))
    for name in shooter.missing:
        print(f"missing (no suitable demo order): {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
