"""Gateway accounts: what each can do, adding and editing them, and testing the connection.

The form is built from the kind's ConfigFields: secrets as password fields (or PEM text boxes
with "load from file"), choices as combo boxes. Saved secrets are never shown again; a secret
left empty while editing keeps the saved one.
"""

from __future__ import annotations

from typing import Any

from ...domain.errors import DomainError
from ...domain.roles import Right
from ...services import gateways as gateway_service
from ...services.gateways import AccountView, GatewayKind
from ..context import DeskContext
from ..dialogs.base import InlineMessage, OpDialog, error_text, pick
from ..dialogs.vault import VaultDialog
from ..qt import (
    QAbstractItemView,
    QComboBox,
    QCoreApplication,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    Qt,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from .permissions import refuse_reason

COLUMNS = 7


def capability_badges(kind: GatewayKind | None) -> list[tuple[str, bool]]:
    """(label, has it) for the three capabilities the owner cares about."""
    if kind is None:
        return []
    translate = QCoreApplication.translate
    return [(translate("GatewaysPage", "自动退款"), kind.auto_refund),
            (translate("GatewaysPage", "部分退款"), kind.partial),
            (translate("GatewaysPage", "幂等"), kind.idempotent)]


class GatewaysPage(QWidget):
    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.kinds = gateway_service.kinds()
        self.accounts: list[AccountView] = []
        self.testing = False
        self._build()
        # A bound method, not a lambda: Qt drops the connection when a rebuild deletes this page
        # (a lambda would keep calling into the deleted page's widgets).
        ctx.changed.connect(self.on_changed)
        self.reload()

    def _build(self) -> None:
        self.table = QTableWidget(0, COLUMNS, self)
        self.table.setHorizontalHeaderLabels([self.tr("名称"), self.tr("类型"), self.tr("自动退款"), self.tr("部分退款"),
                                              self.tr("幂等"), self.tr("启用"), self.tr("上次测试")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self.update_actions)
        self.table.doubleClicked.connect(lambda _index: self.ctx.start(self.edit_account()))
        self.add_button = QPushButton(self.tr("添加账户…"), self)
        self.add_button.clicked.connect(lambda: self.ctx.start(self.add_account()))
        self.edit_button = QPushButton(self.tr("编辑…"), self)
        self.edit_button.clicked.connect(lambda: self.ctx.start(self.edit_account()))
        self.test_button = QPushButton(self.tr("测试连接"), self)
        self.test_button.clicked.connect(lambda: self.ctx.start(self.test_selected()))
        self.result = InlineMessage(self)
        note = QLabel(self.tr("「幂等」表示同一笔退款重复发送也只退一次；没有幂等的网关（如易支付V1）每笔退款需要确认，"
                              "结果不明时不会自动重发。"), self)
        note.setWordWrap(True)
        note.setStyleSheet("color:#555;")
        bar = QHBoxLayout()
        for button in (self.add_button, self.edit_button, self.test_button):
            bar.addWidget(button)
        bar.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.result)
        layout.addWidget(note)

    def on_changed(self, _changes: object) -> None:
        self.reload()

    def reload(self) -> None:
        selected = self.selected()
        self.accounts = gateway_service.list_accounts(self.ctx.desk)
        self.table.setRowCount(len(self.accounts))
        for row, account in enumerate(self.accounts):
            self._fill_row(row, account)
            if selected is not None and account.name == selected.name:
                self.table.selectRow(row)
        self.update_actions()

    def _fill_row(self, row: int, account: AccountView) -> None:
        kind = self.kinds.get(account.kind)
        cells = [account.name, pick(account.title_zh, account.title_en)]
        badges = capability_badges(kind)
        cells += [(self.tr("✓ 支持") if has else self.tr("✗ 不支持")) for _, has in badges] or ["?", "?", "?"]
        cells.append(self.tr("启用") if account.enabled else self.tr("停用"))
        cells.append(self._test_text(account))
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if 2 <= column <= 4 and badges:
                item.setForeground(Qt.GlobalColor.darkGreen if badges[column - 2][1] else Qt.GlobalColor.darkRed)
            self.table.setItem(row, column, item)

    def _test_text(self, account: AccountView) -> str:
        if account.last_test_ok is None:
            return self.tr("未测试")
        mark = "✓" if account.last_test_ok else "✗"
        return f"{mark} {pick(account.last_test_message, account.last_test_message_en)}"

    def selected(self) -> AccountView | None:
        rows = self.table.selectionModel().selectedRows()
        return self.accounts[rows[0].row()] if rows and rows[0].row() < len(self.accounts) else None

    def update_actions(self) -> None:
        has = self.selected() is not None
        refused = refuse_reason(self.ctx.desk, Right.GATEWAYS)
        self.edit_button.setEnabled(has and refused is None)
        self.add_button.setEnabled(refused is None)
        for button in (self.add_button, self.edit_button):
            button.setToolTip(refused or "")
        self.test_button.setEnabled(has and not self.testing)
        self.test_button.setToolTip("" if gateway_service.records_tests(self.ctx.desk.operator) else self.tr(
            "只读操作员可以测试连接，结果只给你看，不会保存到“上次测试”"))

    # ---- actions -----------------------------------------------------------------------------
    async def unlock_secrets(self) -> bool:
        """Keys live in the OS keyring or a local vault; a locked vault asks for its passphrase."""
        return await VaultDialog.ask(self, self.ctx)

    async def add_account(self) -> AccountView | None:
        result: AccountView | None = await GatewayAccountDialog.ask(self, self.ctx, None)
        if result is not None:
            self.reload()
        return result

    async def edit_account(self) -> AccountView | None:
        account = self.selected()
        if account is None:
            return None
        result: AccountView | None = await GatewayAccountDialog.ask(self, self.ctx, account.name)
        if result is not None:
            self.reload()
        return result

    async def test_selected(self) -> Any:
        account = self.selected()
        if account is None or self.testing:
            return None
        # A kind without keys (the sandbox, the wallet) never asks for the vault's passphrase.
        if gateway_service.account_needs_secrets(self.ctx.desk, account.name) and not await self.unlock_secrets():
            return None
        self.testing = True
        self.update_actions()
        self.result.show_message(self.tr("正在测试 {name}…").format(name=account.name), "info")
        try:
            report = await gateway_service.probe_account(self.ctx.desk, account.name)
            recorded = await self.ctx.run(gateway_service.record_test, self.ctx.desk, account.name, report)
        except DomainError as exc:
            self.result.show_message(error_text(exc))
            return None
        finally:
            self.testing = False
            self.update_actions()
        self.show_test(account.name, report, recorded=recorded)
        self.reload()
        return report

    def show_test(self, name: str, report: Any, *, recorded: bool = True) -> None:
        text = pick(report.message_zh, report.message_en)
        # A viewer's test changes nothing in the shop: the result is theirs to read, 上次测试 stays.
        kept = "" if recorded else self.tr("（只读操作员的测试结果不保存，“上次测试”没有改动）")
        if report.ok:
            self.result.show_message(self.tr("{name}：连接正常。{message}").format(name=name, message=text) + kept,
                                     "ok")
            return
        detail = self.tr("（{detail}）").format(detail=report.detail) if report.detail else ""
        self.result.show_message(self.tr("{name}：连接失败。{message}{detail}").format(
            name=name, message=text, detail=detail) + kept)


class GatewayAccountDialog(OpDialog):
    """Add (name None) or edit a gateway account; the form follows the kind's ConfigFields."""

    def __init__(self, parent: QWidget | None, ctx: DeskContext, name: str | None) -> None:
        super().__init__(parent, ctx)
        self.kinds = gateway_service.kinds()
        self.existing = gateway_service.account_view(ctx.desk, name) if name else None
        self.inputs: dict[str, QWidget] = {}
        self.setWindowTitle(self.tr("编辑网关账户") if name else self.tr("添加网关账户"))
        self.ok_button.setText(self.tr("保存"))
        self.name = QLineEdit(name or "", self)
        self.name.setReadOnly(name is not None)
        self.kind = QComboBox(self)
        for kind in self.kinds.values():
            self.kind.addItem(pick(kind.title_zh, kind.title_en), kind.kind)
        if self.existing is not None:
            self.kind.setCurrentIndex(self.kind.findData(self.existing.kind))
            self.kind.setEnabled(False)
        self.capabilities = QLabel(self)
        self.fields_form = QFormLayout()
        self.fields_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form = QFormLayout()
        form.addRow(self.tr("名称"), self.name)
        form.addRow(self.tr("类型"), self.kind)
        form.addRow(self.tr("能力"), self.capabilities)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(self.fields_form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(560)
        self.kind.currentIndexChanged.connect(self.build_fields)
        self.watch(self.name)
        self.build_fields()

    def current_kind(self) -> GatewayKind:
        return self.kinds[self.kind.currentData()]

    def build_fields(self, *_: object) -> None:
        while self.fields_form.rowCount():
            self.fields_form.removeRow(0)
        self.inputs = {}
        kind = self.current_kind()
        self.capabilities.setText("  ".join(("✓ " if has else "✗ ") + label
                                            for label, has in capability_badges(kind)))
        saved = self.existing.config if self.existing else {}
        for field in kind.fields:
            widget = self._field_widget(field, saved.get(field.key, ""))
            label = pick(field.zh, field.en) + ("" if field.required else self.tr("（可选）"))
            self.fields_form.addRow(label, widget)
        self.revalidate()

    def _field_widget(self, field: Any, value: str) -> QWidget:
        if field.choices:
            combo = QComboBox(self)
            labels = field.choice_labels or [(code, code) for code in field.choices]
            for code, (zh, en) in zip(field.choices, labels, strict=True):  # words shown, the code saved
                combo.addItem(pick(zh, en), code)
            combo.setCurrentIndex(max(0, combo.findData(value or field.default)))
            self.inputs[field.key] = combo
            self.watch(combo)
            return combo
        if field.multiline:
            return self._pem_widget(field, value)
        edit = QLineEdit(value, self)
        if field.secret:
            edit.setEchoMode(QLineEdit.EchoMode.Password)
            if self.existing is not None:
                edit.setPlaceholderText(self.tr("已保存；留空则不修改"))
        elif field.default:
            edit.setPlaceholderText(field.default)
        self.inputs[field.key] = edit
        self.watch(edit)
        return edit

    def _pem_widget(self, field: Any, value: str) -> QWidget:
        box = QWidget(self)
        text = QPlainTextEdit(box)
        text.setPlainText("" if field.secret else value)
        text.setPlaceholderText(self.tr("已保存；留空则不修改") if (field.secret and self.existing)
                                else "-----BEGIN ... KEY-----")
        text.setFixedHeight(80)
        load = QPushButton(self.tr("从文件载入…"), box)
        load.clicked.connect(lambda: self.choose_pem_file(field.key))
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(text, 1)
        row.addWidget(load, 0, Qt.AlignmentFlag.AlignTop)
        self.inputs[field.key] = text
        self.watch(text)
        return box

    def choose_pem_file(self, key: str) -> None:
        """A non-blocking file dialog (open(), not exec()): no nested event loop."""
        chooser = QFileDialog(self, self.tr("选择 PEM 文件"))
        chooser.setNameFilter(self.tr("PEM 文件 (*.pem *.key *.crt *.txt);;所有文件 (*)"))
        chooser.fileSelected.connect(lambda path: self.load_pem(key, path))
        chooser.open()

    def load_pem(self, key: str, path: str) -> None:
        try:
            content = gateway_service.read_value("@" + path)
        except DomainError as exc:
            self.message.show_message(error_text(exc))
            return
        widget = self.inputs[key]
        assert isinstance(widget, QPlainTextEdit)
        widget.setPlainText(content)

    def values(self) -> dict[str, str]:
        out = {}
        for key, widget in self.inputs.items():
            if isinstance(widget, QComboBox):
                value = str(widget.currentData() or widget.currentText())
            elif isinstance(widget, QPlainTextEdit):
                value = widget.toPlainText().strip()
            else:
                assert isinstance(widget, QLineEdit)
                value = widget.text().strip()
            if value:  # empty secrets keep the saved ones; empty optional fields stay unset
                out[key] = value
        return out

    def problem(self) -> str | None:
        if not self.name.text().strip():
            return self.tr("请填写账户名称")
        values = self.values()
        for field in self.current_kind().fields:
            saved_secret = field.secret and self.existing is not None
            if field.required and not saved_secret and field.key not in values:
                return self.tr("请填写：{field}").format(field=pick(field.zh, field.en))
        return None

    async def perform(self) -> AccountView:
        kind = self.current_kind()
        secret_given = any(f.secret and f.key in self.values() for f in kind.fields)
        saved = self.existing is not None and gateway_service.account_needs_secrets(self.ctx.desk, self.existing.name)
        if (secret_given or saved) and not await VaultDialog.ask(self, self.ctx):
            raise DomainError("vault_locked", "密钥保险箱未解锁：密钥没有保存", "the key vault is locked: the keys were not saved")
        account: AccountView = await self.ctx.op(gateway_service.save_account, self.name.text(),
                                                 self.current_kind().kind, self.values(),
                                                 replace=self.existing is not None)
        return account

    @classmethod
    async def ask(cls, parent: QWidget | None, ctx: DeskContext, name: str | None) -> AccountView | None:
        result: AccountView | None = await cls.show_and_wait(parent, ctx, name)
        return result
