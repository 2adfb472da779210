"""Settings > 数据存储: where the shop lives now, and choosing this PC's file or a PostgreSQL server.

The box shows the store in use (the data file's path, or the server's host, port, database,
user and TLS mode; never the password) and where that was chosen (``--db`` / KASHOP_DB_URL win
over the saved choice). The owner picks this PC's file or a server and fills in its address;
测试连接 tries it on a worker thread (``services.store_choice.try_server``: a connection
attempt may wait seconds) and says in plain words what failed; 保存 tries it again and saves
the choice for the next start (``store_choice.save_server`` / ``use_file``: the password in
the secret store, the address without it in the data folder), then offers to restart.
A clerk or viewer sees it all read-only.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ...domain.errors import DomainError
from ...domain.roles import Right
from ...services import store_choice
from ...services.store_choice import DEFAULT_PORT, ServerParts, StoreInUse
from ..context import DeskContext
from ..dialogs.base import InlineMessage, error_text, pick
from ..dialogs.vault import needing_secrets
from ..qt import (
    QButtonGroup,
    QComboBox,
    QCoreApplication,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from .permissions import refuse_reason

# The sslmode values offered, in this order (each with words a shop owner reads).
SSL_CHOICES = ("prefer", "require", "verify-full", "disable")


class StoreBox(QGroupBox):
    """The 数据存储 section of the settings page (see the module doc)."""

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setTitle(self.tr("数据存储"))
        self.now_label = QLabel(self)
        self.now_label.setWordWrap(True)
        self.now_label.setObjectName("store_in_use")
        self.use_file = QRadioButton(self.tr("这台电脑的数据文件"), self)
        self.use_server = QRadioButton(self.tr("数据库服务器（PostgreSQL，多台电脑共用一个店铺）"), self)
        self.choice = QButtonGroup(self)
        self.choice.addButton(self.use_file)
        self.choice.addButton(self.use_server)
        self.use_server.toggled.connect(self._on_kind)
        layout = QVBoxLayout(self)
        layout.addWidget(self.now_label)
        kinds = QHBoxLayout()
        kinds.addWidget(self.use_file)
        kinds.addWidget(self.use_server)
        kinds.addStretch(1)
        layout.addLayout(kinds)
        layout.addLayout(self._server_form())
        layout.addLayout(self._buttons())
        self.result = InlineMessage(self)
        layout.addWidget(self.result)
        self.load()
        self.apply_rights()

    def _server_form(self) -> QFormLayout:
        self.host = QLineEdit(self)
        self.host.setPlaceholderText(self.tr("例如 192.168.1.10 或 shop-server"))
        self.port = QSpinBox(self)
        self.port.setRange(1, 65535)
        self.port.setValue(DEFAULT_PORT)
        self.port.setFixedWidth(90)
        self.database = QLineEdit(self)
        self.user = QLineEdit(self)
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.sslmode = QComboBox(self)
        words = {"prefer": self.tr("能加密就加密（prefer）"), "require": self.tr("必须加密（require）"),
                 "verify-full": self.tr("必须加密并核对服务器证书（verify-full）"), "disable": self.tr("不加密（disable）")}
        for mode in SSL_CHOICES:
            self.sslmode.addItem(words[mode], mode)
        self.rootcert = QLineEdit(self)
        self.rootcert.setPlaceholderText(self.tr("留空：用系统信任的根证书"))
        self.rootcert_button = QPushButton(self.tr("选择…"), self)
        self.rootcert_button.clicked.connect(self.choose_rootcert)
        for field in (self.host, self.database, self.user, self.password, self.rootcert):
            field.setFixedWidth(260)
        self.sslmode.setMinimumWidth(260)
        self.sslmode.currentIndexChanged.connect(self._on_kind)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        address = QHBoxLayout()
        address.addWidget(self.host)
        address.addSpacing(12)
        address.addWidget(QLabel(self.tr("端口"), self))
        address.addWidget(self.port)
        address.addStretch(1)
        form.addRow(self.tr("主机"), address)
        form.addRow(self.tr("数据库"), self.database)
        form.addRow(self.tr("用户名"), self.user)
        form.addRow(self.tr("密码"), self.password)
        form.addRow(self.tr("加密连接（TLS）"), self.sslmode)
        rootcert = QHBoxLayout()
        rootcert.addWidget(self.rootcert)
        rootcert.addWidget(self.rootcert_button)
        rootcert.addStretch(1)
        form.addRow(self.tr("根证书文件"), rootcert)
        self.server_fields: tuple[QWidget, ...] = (self.host, self.port, self.database, self.user, self.password,
                                                   self.sslmode)
        return form

    def choose_rootcert(self) -> None:
        """Pick the root certificate that issued the server's certificate (verify-full)."""
        path, _ = QFileDialog.getOpenFileName(self, self.tr("根证书文件"), self.rootcert.text(),
                                              self.tr("证书 (*.crt *.pem *.cer);;所有文件 (*)"))
        if path:
            self.rootcert.setText(path)

    def _buttons(self) -> QHBoxLayout:
        self.test_button = QPushButton(self.tr("测试连接"), self)
        self.test_button.clicked.connect(lambda: self.ctx.start(self.test_connection()))
        self.save_button = QPushButton(self.tr("保存"), self)
        self.save_button.clicked.connect(lambda: self.ctx.start(self.save()))
        note = QLabel(self.tr("保存后在下次启动时生效；密码存放在密钥存放处（系统钥匙串或保险箱），不写进任何设置文件。"), self)
        note.setWordWrap(True)
        note.setStyleSheet("color:#555;")
        row = QHBoxLayout()
        row.addWidget(self.test_button)
        row.addWidget(self.save_button)
        row.addWidget(note, 1)
        return row

    # ---- showing -----------------------------------------------------------------------------
    def load(self) -> None:
        """Show the store in use and fill the form with the saved choice (or the server in use)."""
        now = store_choice.in_use(self.ctx.desk)
        self.now_label.setText(self._in_use_text(now))
        try:
            saved = store_choice.saved(self.ctx.desk.data_dir)
        except DomainError as exc:
            saved = None
            self.result.show_message(error_text(exc))
        parts = saved.parts if saved is not None else now.server
        self.password_saved = saved is not None and saved.password_in is not None
        if parts is not None:
            self.host.setText(parts.host)
            self.port.setValue(parts.port)
            self.database.setText(parts.dbname)
            self.user.setText(parts.user)
            self.sslmode.setCurrentIndex(max(0, self.sslmode.findData(parts.sslmode)))
            self.rootcert.setText("" if parts.sslrootcert == "system" else parts.sslrootcert)
            if self.sslmode.findData(parts.sslmode) < 0:  # allow / verify-ca: kept as saved
                self.sslmode.addItem(parts.sslmode, parts.sslmode)
                self.sslmode.setCurrentIndex(self.sslmode.count() - 1)
        self.password.clear()
        self.password.setPlaceholderText(self.tr("已保存（留空则不变）") if self.password_saved else "")
        # The buttons show the saved choice; a server given by --db only fills in the fields.
        (self.use_server if saved is not None else self.use_file).setChecked(True)
        self._on_kind()

    def _in_use_text(self, now: StoreInUse) -> str:
        if now.server is None:
            text = self.tr("现在：店铺在这台电脑的数据文件里（{path}）。").replace("{path}", str(now.path))
        else:
            text = self.tr("现在：店铺在数据库服务器上，主机 {host}，端口 {port}，数据库 {db}，用户 {user}，加密连接 sslmode={tls}。")
            text = (text.replace("{host}", now.server.host).replace("{port}", str(now.server.port))
                    .replace("{db}", now.server.dbname).replace("{user}", now.server.user or "-")
                    .replace("{tls}", now.server.sslmode))
        if now.source in ("argument", "environment"):
            text += "\n" + self.tr("这是启动时的 --db 或环境变量 KASHOP_DB_URL 指定的；它们在时，下面保存的选择不起作用。")
        return text

    def _on_kind(self, *_: object) -> None:
        server = self.use_server.isChecked()
        editable = refuse_reason(self.ctx.desk, Right.POLICY) is None
        for field in self.server_fields:
            field.setEnabled(server and editable)
        verifies = str(self.sslmode.currentData()).startswith("verify-")
        for field in (self.rootcert, self.rootcert_button):
            field.setEnabled(server and editable and verifies)
        self.test_button.setEnabled(server and editable)

    def apply_rights(self) -> None:
        """The owner chooses; a clerk or viewer reads (the service refuses them anyway)."""
        refused = refuse_reason(self.ctx.desk, Right.POLICY)
        for widget in (self.use_file, self.use_server, self.save_button):
            widget.setEnabled(refused is None)
            widget.setToolTip(refused or "")
        self._on_kind()
        if refused is not None:
            self.test_button.setEnabled(False)
            self.test_button.setToolTip(refused)

    # ---- acting ------------------------------------------------------------------------------
    def parts(self) -> ServerParts | None:
        """The server in the form, or None (showing what is missing) when a field is empty."""
        missing = [name for name, field in ((self.tr("主机"), self.host), (self.tr("数据库"), self.database),
                                            (self.tr("用户名"), self.user)) if not field.text().strip()]
        if missing:
            self.result.show_message(self.tr("请填写：{fields}").replace("{fields}", self.tr("、").join(missing)))
            return None
        mode = str(self.sslmode.currentData())
        rootcert = (self.rootcert.text().strip() or "system") if mode.startswith("verify-") else ""
        return ServerParts(self.host.text().strip(), self.port.value(), self.database.text().strip(),
                           self.user.text().strip(), mode, sslrootcert=rootcert)

    async def test_connection(self) -> Any:
        """测试连接 on a worker thread (never the GUI's, never the database worker): the result
        (``server_probe.ProbeResult``) is shown in plain words; None when the form is incomplete."""
        parts = self.parts()
        if parts is None:
            return None
        self.test_button.setEnabled(False)
        self.result.show_message(self.tr("正在连接数据库服务器…"), "info")
        password = self.password.text()
        try:
            found = await needing_secrets(self, self.ctx, lambda: asyncio.to_thread(
                store_choice.try_server, self.ctx.desk, parts, password, keep_password=self.password_saved))
        except DomainError as exc:
            self.result.show_message(error_text(exc))
            return None
        finally:
            self._on_kind()
        self._show_probe(found)
        return found

    def _show_probe(self, found: Any) -> None:
        text = pick(found.zh, found.en)
        if found.usable:
            tls = self.tr("连接已加密（TLS）。") if found.tls else self.tr("连接没有加密。")
            self.result.show_message(f"{text} {tls}", "ok" if found.code == "ok" else "info")
        else:  # whether from 测试连接 or 保存: the choice stays as it was
            self.result.show_message(self.tr("未保存。") + " " + text)

    async def save(self) -> bool:
        """Save the choice for the next start (a server only once 测试连接 finds it usable), then
        offer to restart when the choice changes the store in use. False when nothing was saved."""
        try:
            if self.use_file.isChecked():
                leaving = store_choice.leaving_server(self.ctx.desk)
                if leaving is not None and not await self.confirm_back_to_file(leaving):
                    self.use_server.setChecked(True)  # the buttons show the saved choice
                    self._on_kind()
                    self.result.show_message(self.tr("未保存：仍使用数据库服务器。"), "info")
                    return False
                await self.ctx.run(store_choice.use_file, self.ctx.desk)
                self.load()
                said = self.tr("已保存：下次启动时使用这台电脑的数据文件。")
            else:
                found = await self.test_connection()
                if found is None or not found.usable:
                    return False
                parts, password = self.parts(), self.password.text()
                await needing_secrets(self, self.ctx, lambda: self.ctx.run(
                    store_choice.save_server, self.ctx.desk, parts, password or None, keep_password=True))
                self.load()
                said = self.tr("已保存：下次启动时使用这个数据库服务器。") + " " + pick(found.zh, found.en)
        except DomainError as exc:
            self.result.show_message(error_text(exc))
            return False
        self.result.show_message(said, "ok")
        if store_choice.restart_changes_store(self.ctx.desk):
            self.offer_restart()
        return True

    async def confirm_back_to_file(self, server: str) -> bool:
        """Warn that this PC's data file does not hold what was done on ``server`` and ask
        whether to go back to it anyway (a window-modal box; the event loop keeps running)."""
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("改回这台电脑的数据文件"),
                          pick(*store_choice.back_to_file_warning(server)), QMessageBox.StandardButton.NoButton, self)
        box.setObjectName("back_to_file")
        go = box.addButton(self.tr("仍然改回数据文件"), QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(box.addButton(self.tr("留在服务器上"), QMessageBox.ButtonRole.RejectRole))
        answered: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

        def finished(_result: int) -> None:
            if not answered.done():
                answered.set_result(box.clickedButton() is go)

        box.finished.connect(finished)
        box.finished.connect(lambda _r: box.deleteLater())
        box.open()
        return await answered

    def offer_restart(self) -> QMessageBox:
        """Ask whether to restart now (the choice takes effect at the next start)."""
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("数据存储"),
                          self.tr("新的数据存储位置在下次启动时生效。现在重新启动吗？"),
                          QMessageBox.StandardButton.NoButton, self)
        box.setObjectName("restart_offer")
        restart = box.addButton(self.tr("现在重启"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(self.tr("稍后"), QMessageBox.ButtonRole.RejectRole)
        box.buttonClicked.connect(lambda button: request_restart() if button is restart else None)
        box.finished.connect(lambda _r: box.deleteLater())
        box.open()
        return box


def request_restart() -> None:
    """Quit the window and start it again once its store is closed (``gui.app.main``)."""
    app = QCoreApplication.instance()
    if app is not None:
        app.setProperty("kashop_restart", True)
        app.quit()
