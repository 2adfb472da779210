"""The start's box for a data folder that holds this PC's own files but no shop file.

Such a folder is usually a second PC's, whose shop lives on a database server not chosen yet, or
one whose data file was moved away (``services.desk.shop_file_missing``). Opening it as it is
would make an empty shop that the window then shows as the shop, so the desk refuses it
(StoreUnusable ``store_missing``) and ``offer_missing_shop`` asks the owner what to do:

* 连接数据库服务器…: the server's address and password (``ServerAtStartDialog``), tried off the
  GUI thread and saved as this PC's choice (``store_choice.save_server_for_missing_shop``);
* 从备份恢复…: a backup of the folder (or a backup file chosen elsewhere) is restored;
* 重试: the data file was put back;
* 新建空店铺…: only after a second, explicit confirmation;
* 退出.

No event loop runs yet at start: every box here is a plain modal one.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from .. import paths
from ..domain.errors import DomainError
from ..services import maintenance, store_choice
from ..services.secrets import SecretStore
from ..services.store_choice import DEFAULT_PORT, ServerParts
from .dialogs.restore_backup import RestoreBackupDialog
from .i18n import error_text, install_translator, pick, remove_translators
from .qt import (
    QApplication,
    QComboBox,
    QCoreApplication,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from .start_server import off_gui_thread

translate = QCoreApplication.translate  # the name pyside6-lupdate looks for

#: What the owner chose in the box: try again, restore (with the backup), a new empty shop, quit.
RETRY, RESTORE, NEW_SHOP, QUIT = "retry", "restore", "new", "quit"


def offer_missing_shop(app: QApplication, lang: str | None, data_dir: str | Path | None,
                       secrets: SecretStore | None) -> tuple[str, Path | None]:
    """Say that the folder holds no shop file and offer the ways on (see the module doc).
    Returns (RETRY / RESTORE / NEW_SHOP / QUIT, the backup to restore for RESTORE)."""
    folder = paths.data_dir(data_dir, create=False)
    translators = install_translator(app, lang)
    try:
        while True:
            choice = _ask(folder)
            if choice == "server":
                if ServerAtStartDialog.ask(folder, secrets):
                    return RETRY, None
            elif choice == RESTORE:
                backup = _choose_backup(folder)
                if backup is not None:
                    return RESTORE, backup
            elif choice == NEW_SHOP:
                if confirm_new_shop(folder):
                    return NEW_SHOP, None
            else:
                return choice, None
    finally:
        remove_translators(app, translators)


def _ask(folder: Path) -> str:
    box = QMessageBox(QMessageBox.Icon.Warning, translate("App", "这里没有店铺的数据文件"),
                      translate("App", "数据文件夹 {folder} 里没有店铺的数据文件，只有这台电脑自己的文件（密钥保险箱等）。"
                                "这通常是第二台电脑的文件夹，店铺在数据库服务器上；也可能是数据文件被移走了。"
                                "为了不把一个空店铺当成你的店铺，程序没有新建店铺。").replace("{folder}", str(folder)),
                      QMessageBox.StandardButton.NoButton)
    box.setObjectName("shop_file_missing")
    box.setInformativeText(translate("App", "可以连接店铺所在的数据库服务器；从备份恢复；把数据文件放回这个文件夹后重试；"
                                     "或者确认后新建一个空店铺。"))
    buttons: dict[Any, str] = {
        box.addButton(translate("App", "连接数据库服务器…"), QMessageBox.ButtonRole.AcceptRole): "server",
        box.addButton(translate("App", "从备份恢复…"), QMessageBox.ButtonRole.ActionRole): RESTORE,
        box.addButton(translate("App", "重试"), QMessageBox.ButtonRole.ActionRole): RETRY,
        box.addButton(translate("App", "新建空店铺…"), QMessageBox.ButtonRole.ActionRole): NEW_SHOP,
    }
    quit_button = box.addButton(translate("App", "退出"), QMessageBox.ButtonRole.RejectRole)
    buttons[quit_button] = QUIT
    box.setEscapeButton(quit_button)
    box.exec()
    return buttons.get(box.clickedButton(), QUIT)


def confirm_new_shop(folder: Path) -> bool:
    """The second, explicit question before an empty shop is made beside this PC's files."""
    box = QMessageBox(QMessageBox.Icon.Question, translate("App", "新建空店铺？"),
                      translate("App", "将在 {folder} 新建一个没有任何订单的空店铺。如果你的店铺在数据库服务器上或在别的文件夹里，"
                                "请不要新建：这台电脑会把这个空店铺当成店铺显示。").replace("{folder}", str(folder)),
                      QMessageBox.StandardButton.NoButton)
    box.setObjectName("confirm_new_shop")
    make = box.addButton(translate("App", "确定新建空店铺"), QMessageBox.ButtonRole.DestructiveRole)
    back = box.addButton(translate("App", "返回"), QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(back)
    box.setEscapeButton(back)
    box.exec()
    return box.clickedButton() is make


def _choose_backup(folder: Path) -> Path | None:
    """A backup in the folder's backups (the restore dialog), else a backup file chosen elsewhere."""
    if maintenance.list_backups(folder):
        return RestoreBackupDialog.ask_modal(folder, translate("App", "这里没有店铺的数据文件"))
    chosen, _ = QFileDialog.getOpenFileName(None, translate("App", "选择备份文件"), str(folder),
                                            translate("App", "kashop 备份 (*.sqlite3 *.db *.bak);;所有文件 (*)"))
    return Path(chosen) if chosen else None


class ServerAtStartDialog(QDialog):
    """The shop's database server (address, user, password, TLS mode), tried and saved as this
    PC's store before any shop is open; errors are shown inline and the dialog stays open."""

    def __init__(self, folder: Path, secrets: SecretStore | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folder = folder
        self.secrets = secrets
        self.setObjectName("server_at_start")
        self.setWindowTitle(self.tr("连接数据库服务器"))
        layout = QVBoxLayout(self)
        intro = QLabel(self.tr("填写店铺所在的 PostgreSQL 服务器。测试连接通过后保存为这台电脑的数据存储，"
                               "以后启动直接打开服务器上的店铺（之后可在设置页的“数据存储”里修改）。"), self)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        layout.addLayout(self._form())
        self.message = QLabel(self)
        self.message.setObjectName("server_at_start_message")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("QLabel{color:#b00020;}")
        layout.addWidget(self.message)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("测试并保存"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("返回"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        for field in (self.host, self.database, self.user):
            field.textChanged.connect(self._update_ok)
        self._update_ok()

    def _form(self) -> QFormLayout:
        self.host = QLineEdit(self)
        self.host.setPlaceholderText(self.tr("例如 192.168.1.10 或 shop-server"))
        self.port = QSpinBox(self)
        self.port.setRange(1, 65535)
        self.port.setValue(DEFAULT_PORT)
        self.database = QLineEdit(self)
        self.user = QLineEdit(self)
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.sslmode = QComboBox(self)
        for mode, words in (("prefer", self.tr("能加密就加密（prefer）")), ("require", self.tr("必须加密（require）")),
                            ("verify-full", self.tr("必须加密并核对服务器证书（verify-full）")),
                            ("disable", self.tr("不加密（disable）"))):
            self.sslmode.addItem(words, mode)
        form = QFormLayout()
        form.addRow(self.tr("主机"), self.host)
        form.addRow(self.tr("端口"), self.port)
        form.addRow(self.tr("数据库"), self.database)
        form.addRow(self.tr("用户名"), self.user)
        form.addRow(self.tr("密码"), self.password)
        form.addRow(self.tr("加密连接（TLS）"), self.sslmode)
        return form

    def parts(self) -> ServerParts:
        return ServerParts(self.host.text().strip(), self.port.value(), self.database.text().strip(),
                           self.user.text().strip(), str(self.sslmode.currentData()))

    def _update_ok(self) -> None:
        filled = all(field.text().strip() for field in (self.host, self.database, self.user))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(filled)

    def accept(self) -> None:
        """Try the server (off the GUI thread), then save it; stay open with the reason otherwise."""
        parts, password = self.parts(), self.password.text() or None
        found = off_gui_thread(functools.partial(store_choice.try_url, parts, password))
        if not found.usable:
            self.message.setText(pick(found.zh, found.en))
            return
        try:
            store_choice.save_server_for_missing_shop(self.folder, parts, password, self.secrets)
        except DomainError as exc:
            self.message.setText(error_text(exc))
            return
        super().accept()

    @classmethod
    def ask(cls, folder: Path, secrets: SecretStore | None) -> bool:
        """True when a server was tried and saved as this PC's store."""
        dialog = cls(folder, secrets)
        try:
            return dialog.exec() == QDialog.DialogCode.Accepted
        finally:
            dialog.deleteLater()
