"""The start's boxes for a shop on a database server, before any window (no event loop yet).

* ``refuse_server``: the shop's server cannot be used at start. A server saved in Settings >
  数据存储 can be tried again or left for this PC's data file; one given by ``--db`` /
  KASHOP_DB_URL can only be tried again.
* ``offer_moved_server``: the data file was moved to a server (``store migrate``) and this PC
  has chosen no server yet: without it the owner could not reach Settings at all. The box offers
  that server (the mark names it, without its password), asks for the password, tries it off the
  GUI thread and saves it as this PC's choice.
* ``restart_command`` / ``start_again``: a new desk process for Settings' 现在重启.
"""

from __future__ import annotations

import functools
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from .. import paths
from ..domain.errors import DomainError
from ..services import store_choice
from ..services.secrets import SecretStore, VaultStore
from .i18n import error_text, install_translator, pick, remove_translators
from .qt import QApplication, QCoreApplication, QInputDialog, QLineEdit, QMessageBox, Qt, QtCore, QTimer

log = logging.getLogger(__name__)
T = TypeVar("T")
translate = QCoreApplication.translate  # the name pyside6-lupdate looks for


def refuse_server(app: QApplication, exc: DomainError, lang: str | None, source: str) -> str:
    """Say why the shop's server cannot be used at start. Returns "retry", "file" (a saved
    server only: the owner goes back to this PC's data file) or "quit"."""
    translators = install_translator(app, lang)
    try:
        box = QMessageBox(QMessageBox.Icon.Critical, translate("App", "数据库服务器出了问题"), error_text(exc),
                          QMessageBox.StandardButton.NoButton)
        box.setObjectName("server_problem")
        buttons: dict[Any, str] = {}
        if source == "saved":
            box.setInformativeText(translate("App", "这个服务器是在设置页的“数据存储”里选的。可以重试，或改回这台电脑的数据文件（服务器上的店铺不受影响）。"))
        else:
            box.setInformativeText(translate("App", "这个服务器是启动时的 --db 或环境变量 KASHOP_DB_URL 指定的。"))
        buttons[box.addButton(translate("App", "重试"), QMessageBox.ButtonRole.AcceptRole)] = "retry"
        if source == "saved":
            buttons[box.addButton(translate("App", "改用这台电脑的数据文件"), QMessageBox.ButtonRole.ActionRole)] = "file"
        buttons[box.addButton(translate("App", "退出"), QMessageBox.ButtonRole.RejectRole)] = "quit"
        box.exec()  # no event loop runs yet at start
        return buttons.get(box.clickedButton(), "quit")
    finally:
        remove_translators(app, translators)


def off_gui_thread(job: Callable[[], T]) -> T:
    """Run ``job`` on a worker thread while the GUI keeps painting (a local Qt event loop: no
    asyncio loop runs at start); returns its result or raises its exception."""
    done: list[Any] = []
    loop = QtCore.QEventLoop()

    def work() -> None:
        try:
            done.append((True, job()))
        except BaseException as exc:
            done.append((False, exc))

    worker = threading.Thread(target=work, name="kashop-start-probe", daemon=True)
    timer = QTimer()
    timer.setInterval(50)
    timer.timeout.connect(lambda: loop.quit() if done else None)
    worker.start()
    timer.start()
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        loop.exec()
    finally:
        QApplication.restoreOverrideCursor()
        timer.stop()
    ok, value = done[0]
    if not ok:
        raise value
    return value  # type: ignore[no-any-return]


def offer_moved_server(app: QApplication, exc: DomainError, lang: str | None, data_dir: str | Path | None,
                       secrets: SecretStore | None) -> bool:
    """The data file moved to a server: offer to open the shop there from now on (see the module
    doc). True when the server was saved as this PC's choice (start again), False to quit."""
    folder = paths.data_dir(data_dir, create=False)
    target = store_choice.moved_to(folder)
    translators = install_translator(app, lang)
    try:
        box = QMessageBox(QMessageBox.Icon.Warning, translate("App", "店铺已移到数据库服务器"), error_text(exc),
                          QMessageBox.StandardButton.NoButton)
        box.setObjectName("store_moved")
        use = None
        if target is not None:
            box.setInformativeText(translate("App", "可以在这台电脑上改用这个服务器：输入它的密码，测试通过后保存，以后启动直接打开服务器上的店铺。"))
            use = box.addButton(translate("App", "改用这个服务器…"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(translate("App", "退出"), QMessageBox.ButtonRole.RejectRole)
        box.exec()
        if target is None or box.clickedButton() is not use:
            return False
        return _ask_and_save(folder, target, secrets)
    finally:
        remove_translators(app, translators)


def _ask_and_save(folder: Path, target: store_choice.ServerParts, secrets: SecretStore | None) -> bool:
    """Ask for the password until the server accepts it (or the owner gives up), then save."""
    label = translate("App", "服务器 {server} 上用户 {user} 的密码：").replace(
        "{server}", f"{target.host}:{target.port}/{target.dbname}").replace("{user}", target.user or "-")
    while True:
        title = translate("App", "店铺已移到数据库服务器")
        password, ok = QInputDialog.getText(None, title, label, QLineEdit.EchoMode.Password)
        if not ok:
            return False
        found = off_gui_thread(functools.partial(store_choice.try_url, target, password))
        if not found.usable:
            QMessageBox.warning(None, translate("App", "数据库服务器出了问题"), pick(found.zh, found.en))
            continue
        try:
            store_choice.save_moved_server(folder, target, password or None, secrets)
        except DomainError as refused:
            if refused.code != "vault_locked":
                QMessageBox.warning(None, translate("App", "数据库服务器出了问题"), error_text(refused))
                return False
            vault = _unlock_vault(folder, refused)
            if vault is None:
                return False
            store_choice.save_moved_server(folder, target, password or None, vault)
        return True


def _unlock_vault(folder: Path, exc: DomainError) -> SecretStore | None:
    while True:
        prompt = error_text(exc) + "\n\n" + translate("App", "保险箱口令：")
        text, ok = QInputDialog.getText(None, translate("App", "密钥保险箱"), prompt, QLineEdit.EchoMode.Password)
        if not ok or not text:
            return None
        try:
            return VaultStore(folder / "vault.json", text)
        except DomainError as wrong:
            QMessageBox.warning(None, translate("App", "密钥保险箱"), error_text(wrong))


def restart_command(source: str) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that start this desk again as it was started, except
    that a server the saved choice gave (exported for child processes) is chosen afresh."""
    args = [sys.executable, *(sys.argv[1:] if getattr(sys, "frozen", False) else sys.orig_argv[1:])]
    env = dict(os.environ)
    if source == "saved":
        env.pop(store_choice.URL_ENV, None)
    return args, env


def start_again(source: str) -> None:
    """Start a new desk process (the store of this one is closed already)."""
    args, env = restart_command(source)
    log.info("starting the desk again for the new store choice")
    subprocess.Popen(args, env=env, start_new_session=True, stdin=subprocess.DEVNULL)
