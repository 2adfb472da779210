"""What happens when the desk hits an uncaught exception.

The hook writes a crash report next to the log (traceback, version, platform, Python and Qt
versions; secrets masked as in the log), logs it, and shows a dialog with the report's path.
It never touches the database: an exception inside an operation already rolled its SQLite
transaction back (``atomic()``), and anything the hook did to the store could only make things
worse. The dialog is shown with ``open()``, not ``exec()``, so no nested event loop is started
inside the qasync loop.
"""

from __future__ import annotations

import logging
import platform
import sys
import threading
import traceback
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from .. import version
from ..applog import redact
from ..domain.errors import DomainError
from .i18n import error_text
from .qt import QApplication, QMessageBox, QWidget
from .qt import QtCore as _QtCore

log = logging.getLogger(__name__)

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]
Explain = Callable[[BaseException], DomainError | None]


def _dist_version(name: str) -> str:
    from importlib import metadata  # only when a report is written: it is slow to import

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "?"


def report_text(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> str:
    """The crash report: environment first, then the traceback; secrets masked."""
    import PySide6

    lines = [
        "kashop-desktop crash report",
        f"time: {datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"version: {version()}{' (frozen)' if getattr(sys, 'frozen', False) else ''}",
        f"platform: {platform.platform()} ({platform.machine()})",
        f"python: {sys.version.split()[0]} ({platform.python_implementation()})",
        f"qt: {_QtCore.qVersion()}, PySide6 {PySide6.__version__}, qasync {_dist_version('qasync')}",
        f"thread: {threading.current_thread().name}",
        "",
        "".join(traceback.format_exception(exc_type, exc, tb)).rstrip(),
        "",
    ]
    return redact("\n".join(lines))


class CrashHandler:
    """Writes reports and shows the crash dialog; installed as ``sys.excepthook``."""

    def __init__(self, log_dir: Path, parent_getter: Callable[[], QWidget | None],
                 explain: Explain | None = None, server: str | None = None) -> None:
        self.log_dir = Path(log_dir)
        self.server = server  # the server's name (host:port/db) when the shop lives on one
        self.parent_getter = parent_getter
        self.explain = explain
        self.previous_hook = sys.excepthook
        self.dialogs: list[QMessageBox] = []  # keep open dialogs alive
        self.last_report: Path | None = None
        self._handling = False

    def write_report(self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> Path:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        path = self.log_dir / f"crash-{stamp}.txt"
        path.write_text(report_text(exc_type, exc, tb), encoding="utf-8")
        self.last_report = path
        return path

    def __call__(self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> Path | None:
        """The excepthook. Returns the report path (None for Ctrl+C, which is passed on)."""
        if issubclass(exc_type, KeyboardInterrupt):
            self.previous_hook(exc_type, exc, tb)
            return None
        if self._handling:  # the dialog itself failed: do not loop
            sys.__excepthook__(exc_type, exc, tb)
            return None
        known = self.explain(exc) if self.explain is not None else None
        if known is not None:  # the store is busy or damaged: no bug, the owner gets its message
            log.warning("%s: %s", known.code, known.en, exc_info=(exc_type, exc, tb))
            if threading.current_thread() is threading.main_thread():
                self.show_store_problem(known)
            return None
        self._handling = True
        try:
            path = self.write_report(exc_type, exc, tb)
            log.critical("uncaught %s; crash report %s", exc_type.__name__, path, exc_info=(exc_type, exc, tb))
            if threading.current_thread() is threading.main_thread():
                self.show_dialog(path, exc)
            return path
        finally:
            self._handling = False

    def thread_hook(self, args: threading.ExceptHookArgs) -> None:
        """For threads other than the GUI's: report and log, but show no widget off the GUI thread."""
        if args.exc_value is None:
            return
        path = self.write_report(args.exc_type, args.exc_value, args.exc_traceback)
        log.critical("uncaught %s in thread %s; crash report %s", args.exc_type.__name__,
                     getattr(args.thread, "name", "?"), path,
                     exc_info=(args.exc_type, args.exc_value, args.exc_traceback))

    def asyncio_handler(self, loop: Any, context: dict[str, Any]) -> None:
        """An asyncio exception handler (``loop.set_exception_handler``) for task errors nobody awaited."""
        exc = context.get("exception")
        if isinstance(exc, BaseException):
            self(type(exc), exc, exc.__traceback__)
        else:
            log.error("asyncio: %s", redact(str(context.get("message", context))))

    def show_dialog(self, path: Path, exc: BaseException) -> QMessageBox | None:
        if QApplication.instance() is None:
            return None
        try:
            parent = self.parent_getter()
        except Exception:  # the window may be half torn down
            parent = None
        box = QMessageBox(parent)
        box.setIcon(QMessageBox.Icon.Critical)
        box.setWindowTitle(QApplication.translate("CrashDialog", "卡店订单台出错了"))
        box.setText(QApplication.translate(
            "CrashDialog", "出现了一个意外错误。已保存的订单不受影响：未完成的操作已自动撤销。"))
        box.setInformativeText(QApplication.translate(
            "CrashDialog", "错误报告已保存到：\n{path}\n\n联系支持时请附上这个文件。").replace("{path}", str(path)))
        box.setDetailedText(redact(f"{type(exc).__name__}: {exc}"))
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        box.finished.connect(lambda _result, b=box: self._forget(b))
        self.dialogs.append(box)
        box.open()
        return box

    def show_store_problem(self, error: DomainError) -> QMessageBox | None:
        """One box at a time: a damaged file fails every repaint, the owner needs to read it once."""
        if QApplication.instance() is None or self._store_box_open():
            return None
        if self.server is None:
            title = QApplication.translate("CrashDialog", "数据文件出了问题")
        else:
            title = QApplication.translate("CrashDialog", "数据库服务器出了问题：{server}").replace("{server}", self.server)
        box = QMessageBox(QMessageBox.Icon.Warning, title, error_text(error), QMessageBox.StandardButton.Ok,
                          self._parent())
        box.setObjectName("store_problem")
        box.finished.connect(lambda _result, b=box: self._forget(b))
        self.dialogs.append(box)
        box.open()
        return box

    def _store_box_open(self) -> bool:
        return any(box.objectName() == "store_problem" for box in self.dialogs)

    def _parent(self) -> QWidget | None:
        try:
            return self.parent_getter()
        except Exception:  # the window may be half torn down
            return None

    def _forget(self, box: QMessageBox) -> None:
        if box in self.dialogs:
            self.dialogs.remove(box)
        box.deleteLater()


def install_excepthook(log_dir: str | Path, parent_getter: Callable[[], QWidget | None],
                       explain: Explain | None = None, server: str | None = None) -> CrashHandler:
    """Install the crash handler for the GUI thread and for other threads; returns it.

    ``parent_getter`` returns the window to parent the dialog on (or None), read at crash time.
    ``explain`` (``Desk.explain``) turns an SQLite error that means "busy" or "damaged" into its
    message: shown as such, logged, no crash report. ``server`` (``host:port/db``) words that box
    for a shop on a database server instead of the data file.
    Pass ``handler.asyncio_handler`` to ``loop.set_exception_handler`` for the qasync loop.
    """
    handler = CrashHandler(Path(log_dir), parent_getter, explain, server)
    sys.excepthook = handler
    threading.excepthook = handler.thread_hook
    return handler
