"""Starting the desk window: Qt application, CJK font, translator, desk, one qasync loop.

``main(["--smoke"])`` opens a throwaway demo shop, waits for the order list's first paint,
prints ``smoke ok <ms> ms: ...`` (what it proved, in English and Chinese) and exits 0: the
installer CI's proof that a frozen build starts.
With ``--data-dir`` as well, the smoke run opens that store instead (the benchmark's launch).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from .. import paths
from ..applog import LOG_FILENAME, announce_start, setup_logging
from ..domain.errors import DomainError, StoreUnusable
from ..resources import font_path
from ..services import maintenance, requests, store_choice
from ..services.desk import Desk, environment_problem
from ..services.secrets import SecretStore, VaultStore
from .context import DeskContext
from .crash import install_excepthook
from .dialogs.operators import SignInMode
from .dialogs.restore_backup import RestoreBackupDialog
from .i18n import error_text, install_translator, pick, remove_translators, ui_lang
from .idle import IdleWatch
from .main_window import MainWindow
from .qt import (
    QApplication,
    QCoreApplication,
    QFont,
    QFontDatabase,
    QInputDialog,
    QLineEdit,
    QMessageBox,
    QObject,
    Qt,
    QTimer,
    qasync,
)
from .start_missing import NEW_SHOP, QUIT, offer_missing_shop
from .start_server import offer_moved_server, refuse_server, start_again

log = logging.getLogger(__name__)

ORG_NAME = "kashop"
APP_NAME = "kashop-desktop"
SWEEP_MS = 60_000
SEND_MS = 30_000
SYNC_MS = 15_000  # payment sync: each order is asked on its own back-off schedule
BACKUP_CHECK_MS = 3_600_000
SMOKE_ORDERS = 200
BUNDLED_FAMILY = "WenQuanYi Micro Hei"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=APP_NAME, description="kashop desk window")
    parser.add_argument("--data-dir", help="use this data folder instead of the default one")
    parser.add_argument("--lang", help="zh_CN (default) or en")
    parser.add_argument("--smoke", action="store_true", help="open a demo shop, paint once, print timing, exit")
    known, _qt_args = parser.parse_known_args(argv)
    return known


def load_cjk_font(app: QApplication) -> str | None:
    """Register the bundled WenQuanYi Micro Hei and put it behind the app font as a fallback.

    Machines without any CJK font would otherwise draw boxes for every Chinese character.
    When the system already has the family, its copy is used (the 5 MB file is not loaded twice).
    """
    if BUNDLED_FAMILY in QFontDatabase.families():
        family = BUNDLED_FAMILY
    else:
        font_id = QFontDatabase.addApplicationFont(str(font_path()))
        families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
        if not families:
            return None
        family = families[0]
    font = QFont(app.font())
    font.setFamilies([*font.families(), family])
    # Hinted CJK glyphs stay crisp at list sizes (and the screenshots stay small).
    font.setHintingPreference(QFont.HintingPreference.PreferFullHinting)
    app.setFont(font)
    return str(family)


def make_app(argv: list[str]) -> QApplication:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication([sys.argv[0], *argv])
    app.setOrganizationName(ORG_NAME)
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName("kashop")
    return app


class Housekeeping(QObject):
    """The periodic jobs: the request sweep every minute, the refund queue every 30 s, payment
    sync (补单) every 15 s for the orders that are due."""

    def __init__(self, ctx: DeskContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.sweep_timer = self._timer(SWEEP_MS, self.sweep)
        self.send_timer = self._timer(SEND_MS, self.send)
        self.sync_timer = self._timer(SYNC_MS, self.sync)
        self.backup_timer = self._timer(BACKUP_CHECK_MS, self.daily_backup)  # a window open for days

    def _timer(self, interval: int, slot: Callable[[], None]) -> QTimer:
        timer = QTimer(self)
        timer.setInterval(interval)
        timer.timeout.connect(slot)
        timer.start()
        return timer

    def sweep(self) -> None:
        self.ctx.start(self._guard(lambda: self.ctx.op(requests.sweep)))

    def daily_backup(self) -> None:
        """The automatic backup when it is due (on the worker: a million orders take seconds)."""
        self.ctx.start(self._guard(self._backup_if_due))

    async def _backup_if_due(self) -> None:
        path = await self.ctx.run(maintenance.auto_backup, self.ctx.desk)
        if path is not None:
            self.ctx.status_message.emit(QCoreApplication.translate("App", "已自动备份：{path}").replace(
                "{path}", str(path)))

    def send(self) -> None:
        if self.ctx.sending:
            return  # the last send is still talking to a gateway
        self.ctx.start(self._guard(self.ctx.send_refunds))

    def sync(self) -> None:
        if self.ctx.syncing:
            return  # the last sync is still asking a gateway
        self.ctx.start(self._guard(self.ctx.sync_payments))

    async def _guard(self, job: Callable[[], Awaitable[Any]]) -> None:
        # A background job must not kill the loop; the owner sees the failure in the status bar
        # (a busy store: the next run tries again), and an unexpected one is logged in full.
        try:
            await job()
        except DomainError as exc:
            self.ctx.status_message.emit(error_text(exc))
        except Exception as exc:
            known = self.ctx.desk.explain(exc)
            if known is None:
                log.exception("background job failed")
            self.ctx.status_message.emit(error_text(known or exc))


class FirstPaint:
    """Resolves a future when the order list has painted once."""

    def __init__(self, window: MainWindow, loop: asyncio.AbstractEventLoop) -> None:
        self.future: asyncio.Future[float] = loop.create_future()
        window.orders_page.view.painted.connect(self._painted)

    def _painted(self) -> None:
        if not self.future.done():
            self.future.set_result(time.perf_counter())


#: SQLite page cache per connection in the window (``Desk.hold_page_cache``), in KiB.
WINDOW_PAGE_CACHE_KIB = 4_000


def open_desk(data_dir: str | Path | None, smoke: bool, secrets: SecretStore | None = None,
              new_shop: bool = False) -> tuple[Desk, tempfile.TemporaryDirectory[str] | None]:
    """The desk to show; a smoke run without a data dir gets a throwaway demo shop. A brand-new
    folder becomes a new shop; one that holds this PC's files but no shop file only with
    ``new_shop`` (the owner confirmed it: ``start_missing``), else StoreUnusable ``store_missing``."""
    if smoke and data_dir is None:
        from ..services import demo  # only the smoke run needs it

        scratch = tempfile.TemporaryDirectory(prefix="kashop-smoke-")
        desk = Desk.open(scratch.name)
        demo.build(desk, SMOKE_ORDERS)
        return desk, scratch
    desk = Desk.open(data_dir, secrets=secrets, new_shop_in_pc_folder=new_shop)
    desk.hold_page_cache(WINDOW_PAGE_CACHE_KIB)
    return desk, None


def ask_vault_passphrase(app: QApplication, data_dir: str | Path | None, exc: DomainError,
                         lang: str | None) -> SecretStore | None:
    """Upgrading a store seals its 卡密 with the key in the locked vault: ask for the passphrase
    before the window opens (no event loop is running yet). None when the owner declines."""
    translators = install_translator(app, lang)
    try:
        text, ok = QInputDialog.getText(
            None, QCoreApplication.translate("App", "密钥保险箱"), error_text(exc) + "\n\n"
            + QCoreApplication.translate("App", "保险箱口令："), QLineEdit.EchoMode.Password)
    finally:
        remove_translators(app, translators)
    if not ok or not text:
        return None
    try:
        return VaultStore(paths.data_dir(data_dir) / "vault.json", text)
    except DomainError as wrong:
        QMessageBox.warning(None, QCoreApplication.translate("App", "密钥保险箱"), error_text(wrong))
        return ask_vault_passphrase(app, data_dir, exc, lang)


def main(argv: list[str] | None = None, *, data_dir: str | Path | None = None, smoke: bool = False,
         lang: str | None = None) -> int:
    started = time.perf_counter()
    args = parse_args(list(sys.argv[1:] if argv is None else argv))
    smoke = smoke or args.smoke
    app = make_app([] if argv is None else argv)
    load_cjk_font(app)
    chosen_dir = data_dir if data_dir is not None else args.data_dir
    language = lang or args.lang
    start = StartAnswers(app, chosen_dir, language)
    problem = environment_problem()
    if problem is not None:  # e.g. KASHOP_SECRETS=bogus: refused as the command line refuses it
        refuse_to_start(app, DomainError("bad_environment", *problem), language, smoke, chosen_dir)
        return 2
    while True:  # once, or again after File > 恢复备份 (a restore runs with no window open)
        if start.restore_from is not None:
            restore_and_report(app, paths.data_dir(chosen_dir), start.restore_from, language)
        source = store_source(chosen_dir, smoke)
        try:
            desk, scratch = open_desk(chosen_dir, smoke, start.secrets, start.new_shop)
        except DomainError as exc:  # damaged, empty, newer, busy: say so, touch nothing
            if start.answer(exc, source, smoke):
                continue
            return 1
        if desk.db_url is None and not smoke:  # back on the file after a server: say what it lacks
            warn_back_on_file(app, desk.data_dir, language)
        log_path = setup_logging(desk.data_dir, announce=False)  # the start line once the window is up
        if desk.store_source == "saved" and desk.db_url is not None:
            # The window's child processes (an import) open the same server without asking for
            # the vault's passphrase again: they inherit it as a --db would be (never written).
            os.environ[store_choice.URL_ENV] = desk.db_url
        # The language chosen on the settings page is kept in the store; a --lang flag wins.
        translators = install_translator(app, language or desk.setting("language"))
        try:
            code, start.restore_from = run_window(app, desk, smoke, started, log_path.parent)
            # A restart (File > 恢复备份) speaks the language on screen when the window closed,
            # and so does the window opened again (the restored store may hold the backup's).
            language = start.lang = ui_lang()
        finally:
            desk.close()
            remove_translators(app, translators)
            if scratch is not None:
                scratch.cleanup()
        if start.restore_from is None:
            if app.property("kashop_restart"):  # Settings > 数据存储 saved another store
                start_again(desk.store_source)
            return code


class StartAnswers:
    """What the owner answered at start when the store could not be opened: the unlocked vault,
    a confirmed new shop beside this PC's files, the backup to restore."""

    def __init__(self, app: QApplication, data_dir: str | Path | None, lang: str | None) -> None:
        self.app, self.data_dir, self.lang = app, data_dir, lang
        self.secrets: SecretStore | None = None
        self.new_shop = False  # the owner confirmed a new shop beside this PC's files (start_missing)
        self.restore_from: Path | None = None

    def answer(self, exc: DomainError, source: str, smoke: bool) -> bool:
        """Show why the store could not be opened and ask what to do; True to try again."""
        app, data_dir, lang = self.app, self.data_dir, self.lang
        if exc.code == "vault_locked" and not smoke:  # an upgrade that seals the codes, a saved server's password
            self.secrets = ask_vault_passphrase(app, data_dir, exc, lang)
            return self.secrets is not None
        if exc.code == "store_moved" and not smoke:  # moved by store migrate: offer that server
            return offer_moved_server(app, exc, lang, data_dir, self.secrets)
        if exc.code == "store_missing" and not smoke:  # this PC's files but no shop file
            action, self.restore_from = offer_missing_shop(app, lang, data_dir, self.secrets)
            self.new_shop = action == NEW_SHOP
            return action != QUIT
        if source != "file" and not smoke:  # the shop's server, or the saved choice of one
            action = refuse_server(app, exc, lang, source)
            if action == "file":
                store_choice.forget(paths.data_dir(data_dir), self.secrets)
            return action in ("retry", "file")
        self.restore_from = refuse_to_start(app, exc, lang, smoke, data_dir)
        return self.restore_from is not None


def warn_back_on_file(app: QApplication, data_dir: Path, lang: str | None) -> None:
    """The first start on this PC's data file after the owner left a server: say once that the
    file does not hold what was done there (``store_choice.left_server_note``)."""
    note = store_choice.left_server_note(data_dir)
    if note is None:
        return
    translators = install_translator(app, lang)
    try:
        box = QMessageBox(QMessageBox.Icon.Warning, QCoreApplication.translate("App", "改回了这台电脑的数据文件"),
                          pick(*note), QMessageBox.StandardButton.Ok)
        box.setObjectName("back_on_file")
        box.exec()  # no event loop runs yet at start
    finally:
        remove_translators(app, translators)


def refuse_to_start(app: QApplication, exc: DomainError, lang: str | None, smoke: bool,
                    data_dir: str | Path | None) -> Path | None:
    """Say why the store cannot be opened; for a damaged or empty one, offer its backups.

    Returns the backup the owner chose to restore, or None to quit.
    """
    translators = install_translator(app, lang)
    try:
        if smoke:
            print(f"smoke failed: {exc.zh} / {exc.en}", file=sys.stderr, flush=True)
        elif isinstance(exc, StoreUnusable) and exc.code in ("store_damaged", "store_empty"):
            # the first line says what is wrong; the dialog itself lists the backups
            return RestoreBackupDialog.ask_modal(paths.data_dir(data_dir), error_text(exc).split("\n")[0])
        else:
            QMessageBox.critical(None, QCoreApplication.translate("App", "无法打开数据文件"), error_text(exc))
    finally:
        remove_translators(app, translators)
    return None


def store_source(data_dir: str | Path | None, smoke: bool) -> str:
    """Where the store will be taken from (``store_choice.SOURCES``); "saved" when the saved
    choice cannot be read (its problem is then shown with the way back to this PC's file)."""
    if smoke and data_dir is None:
        return "file"
    try:
        return store_choice.source(paths.data_dir(data_dir, create=False))
    except DomainError:
        return "saved"


def restore_and_report(app: QApplication, data_dir: Path, backup: Path, lang: str | None) -> bool:
    """Restore `backup` (checked first; no window and no connection open) and tell the owner."""
    translators = install_translator(app, lang)
    try:
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            # The dialog named any refunds the backup predates and the owner confirmed them.
            report = maintenance.restore(data_dir, backup, confirmed=True)
        finally:
            QApplication.restoreOverrideCursor()
    except (DomainError, OSError) as exc:
        if not isinstance(exc, DomainError):
            log.exception("restore failed")
        QMessageBox.warning(None, QCoreApplication.translate("App", "没有恢复"), error_text(exc))
        remove_translators(app, translators)
        return False
    text = QCoreApplication.translate("App", "已从备份恢复：{backup}").replace("{backup}", str(report.restored_from))
    if report.set_aside is not None:
        text += "\n" + QCoreApplication.translate("App", "原来的数据文件保留在：{path}").replace(
            "{path}", str(report.set_aside))
    if report.unanchored:  # as `restore` says it: check names the missing anchors, audit anchor sets them
        text += "\n\n" + QCoreApplication.translate(
            "App", "这个备份没有日志锚定（早于店铺第一次锚定）。若 kashop-desktop check 说锚定缺失，确认日志和订单无误后，"
            "运行 kashop-desktop audit anchor")
    QMessageBox.information(None, QCoreApplication.translate("App", "恢复完成"), text)
    remove_translators(app, translators)
    return True


def run_window(app: QApplication, desk: Desk, smoke: bool, started: float, log_dir: Path) -> tuple[int, Path | None]:
    """The one asyncio loop (qasync) around the window, until the window closes.

    Returns the exit status and the backup to restore when the owner chose File > 恢复备份.
    """
    # demo.build may run its own asyncio loop, so the qasync loop is installed only now.
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    ctx = DeskContext(desk)
    window = MainWindow(ctx)
    if not smoke:  # a smoke run must fail loudly on stderr, never wait on a crash dialog
        crash = install_excepthook(log_dir, lambda: window, desk.explain, store_choice.shop_server_name(desk))
        loop.set_exception_handler(crash.asyncio_handler)
    window.persist_layout = not smoke
    painted = FirstPaint(window, loop)
    chores = None if smoke else Housekeeping(ctx)
    if chores is not None:  # the daily backup runs on the worker once the list is on screen
        painted.future.add_done_callback(lambda _f: chores.daily_backup())
    painted.future.add_done_callback(lambda _f: announce_start(log_dir / LOG_FILENAME))
    window.show()
    idle = None if smoke else IdleWatch(window)
    if desk.operator is None and not smoke:  # several operators: who is working?
        ctx.start(window.switch_operator(mode=SignInMode.START))
    # Start-up leaves ~60k long-lived objects (Qt wrappers, modules); moving them out of the
    # collector's reach keeps full collections short, so they never stall the event loop.
    loop.call_later(2.0, gc.freeze)
    try:
        with loop:
            if smoke:
                at = loop.run_until_complete(asyncio.wait_for(painted.future, 30))
                print(f"smoke ok {(at - started) * 1000:.0f} ms: the window opened and painted its order list "
                      "/ 窗口已打开并画出订单列表", flush=True)
            else:
                quitting = asyncio.Event()
                app.aboutToQuit.connect(quitting.set)
                window.restore_requested.connect(quitting.set)
                loop.run_until_complete(quitting.wait())
            loop.run_until_complete(ctx.aclose())
    finally:
        if chores is not None:
            chores.deleteLater()
        if idle is not None:
            idle.stop()
        window.close()
        window.deleteLater()
    return 0, window.restore_request


if __name__ == "__main__":
    sys.exit(main())
