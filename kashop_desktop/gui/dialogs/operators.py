"""Operators in the window: signing in, adding an operator, a new password, an approval limit.

Each is an OpDialog (validate on every edit, run the service on OK, close only on success);
the services decide everything (rights, lock-out, the last owner), the dialogs show why not.
"""

from __future__ import annotations

from typing import Any

from ...domain.money import format_yuan, parse_yuan
from ...domain.roles import Identity, Role
from ...services import operators
from ..context import DeskContext
from ..qt import QCheckBox, QComboBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget
from .base import OpDialog, pick


def _password_field(parent: QWidget) -> QLineEdit:
    field = QLineEdit(parent)
    field.setEchoMode(QLineEdit.EchoMode.Password)
    return field


class SignInDialog(OpDialog):
    """Who is working: an active operator's name and password (the services count wrong tries)."""

    def __init__(self, parent: QWidget | None, ctx: DeskContext, *, reason: str = "") -> None:
        super().__init__(parent, ctx)
        self.setWindowTitle(self.tr("登录 · 谁在操作"))
        self.ok_button.setText(self.tr("登录"))
        self.intro = intro = QLabel(reason or self.tr("这个店铺有多位操作员。请选择你的名字并输入密码；每一步操作都会记在你的名下。"), self)
        intro.setWordWrap(True)
        self.name = QComboBox(self)
        self.name.setEditable(False)
        for view in operators.list_operators(ctx.desk):
            if view.active:
                self.name.addItem(f"{view.name}（{pick(view.role.zh, view.role.en)}）", view.name)
        self.password = _password_field(self)
        form = QFormLayout()
        form.addRow(self.tr("操作员"), self.name)
        form.addRow(self.tr("密码"), self.password)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(440)
        self.watch(self.name, self.password)
        self.revalidate()
        self.password.setFocus()

    def problem(self) -> str | None:
        if not self.password.text():
            return self.tr("请输入密码")
        return None

    async def perform(self) -> Identity:
        who: Identity = await self.ctx.run(operators.sign_in, self.ctx.desk, str(self.name.currentData()),
                                           self.password.text())
        self.password.clear()
        return who

    @classmethod
    async def ask(cls, parent: QWidget | None, ctx: DeskContext, *, reason: str = "") -> Identity | None:
        """Sign someone in; their Identity, or None when the dialog was closed."""
        dialog = cls(parent, ctx, reason=reason)
        try:
            result: Identity | None = await dialog.wait()
            return result
        finally:
            dialog.deleteLater()


class AddOperatorDialog(OpDialog):
    """A new operator: name, role, password typed twice, and a clerk's approval limit."""

    def __init__(self, parent: QWidget | None, ctx: DeskContext) -> None:
        super().__init__(parent, ctx)
        self.setWindowTitle(self.tr("添加操作员"))
        self.ok_button.setText(self.tr("添加"))
        self.name = QLineEdit(self)
        self.role = QComboBox(self)
        for role in (Role.CLERK, Role.VIEWER, Role.OWNER):
            self.role.addItem(pick(role.zh, role.en), role.code)
        self.password, self.again = _password_field(self), _password_field(self)
        self.limited = QCheckBox(self.tr("限制审批额度"), self)
        self.limited.setChecked(True)
        self.limit = QLineEdit("100.00", self)
        self.limit_hint = QLabel(self.tr("店员只能批准不超过这个金额（元）的退款；店主不受限制。"), self)
        self.limit_hint.setWordWrap(True)
        self.limit_hint.setStyleSheet("color:#555;")
        form = QFormLayout()
        form.addRow(self.tr("名字"), self.name)
        form.addRow(self.tr("角色"), self.role)
        form.addRow(self.tr("密码"), self.password)
        form.addRow(self.tr("再输入一次"), self.again)
        form.addRow(self.limited, self.limit)
        form.addRow("", self.limit_hint)
        roles = QLabel(self.tr("店员：处理订单、售后申请和额度内的退款；不能改网关密钥、政策和设置，不能批量查看卡密，"
                               "不能管理操作员。只读：只能查看。"), self)
        roles.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(roles)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)
        self.watch(self.name, self.role, self.password, self.again, self.limited, self.limit)
        self.revalidate()

    def refresh(self) -> None:
        clerk = self.role.currentData() == Role.CLERK.code
        self.limited.setEnabled(clerk)
        self.limit.setEnabled(clerk and self.limited.isChecked())

    def limit_fen(self) -> int | None:
        if self.role.currentData() != Role.CLERK.code or not self.limited.isChecked():
            return None
        return parse_yuan(self.limit.text())

    def problem(self) -> str | None:
        if not self.name.text().strip():
            return self.tr("请填写名字")
        if len(self.password.text()) < operators.MIN_PASSWORD:
            return self.tr("密码至少 {n} 个字符").format(n=operators.MIN_PASSWORD)
        if self.again.text() != self.password.text():
            return self.tr("两次输入的密码不一致")
        try:
            self.limit_fen()
        except ValueError:
            return self.tr("审批额度应为金额，例如 100.00")
        return None

    async def perform(self) -> Any:
        return await self.ctx.run(operators.add, self.ctx.desk, self.name.text(), Role.of(str(self.role.currentData())),
                                  self.password.text(), approve_limit_fen=self.limit_fen())

    @classmethod
    async def ask(cls, parent: QWidget | None, ctx: DeskContext) -> Any:
        dialog = cls(parent, ctx)
        try:
            return await dialog.wait()
        finally:
            dialog.deleteLater()


class PasswordDialog(OpDialog):
    """A new password for one operator (their own, or anyone's by the owner); lifts a lock-out."""

    def __init__(self, parent: QWidget | None, ctx: DeskContext, name: str) -> None:
        super().__init__(parent, ctx)
        self.operator_name = name
        self.setWindowTitle(self.tr("修改密码：{name}").format(name=name))
        self.password, self.again = _password_field(self), _password_field(self)
        form = QFormLayout()
        form.addRow(self.tr("新密码"), self.password)
        form.addRow(self.tr("再输入一次"), self.again)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(420)
        self.watch(self.password, self.again)
        self.revalidate()

    def problem(self) -> str | None:
        if len(self.password.text()) < operators.MIN_PASSWORD:
            return self.tr("密码至少 {n} 个字符").format(n=operators.MIN_PASSWORD)
        if self.again.text() != self.password.text():
            return self.tr("两次输入的密码不一致")
        return None

    async def perform(self) -> bool:
        await self.ctx.run(operators.set_password, self.ctx.desk, self.operator_name, self.password.text())
        return True

    @classmethod
    async def ask(cls, parent: QWidget | None, ctx: DeskContext, name: str) -> bool:
        dialog = cls(parent, ctx, name)
        try:
            return bool(await dialog.wait())
        finally:
            dialog.deleteLater()


class LimitDialog(OpDialog):
    """An operator's approval limit in yuan, or none."""

    def __init__(self, parent: QWidget | None, ctx: DeskContext, name: str, current: int | None) -> None:
        super().__init__(parent, ctx)
        self.operator_name = name
        self.setWindowTitle(self.tr("审批额度：{name}").format(name=name))
        self.limited = QCheckBox(self.tr("限制审批额度（元）"), self)
        self.limited.setChecked(current is not None)
        self.limit = QLineEdit(format_yuan(current if current is not None else 100_00), self)
        form = QFormLayout()
        form.addRow(self.limited, self.limit)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(420)
        self.watch(self.limited, self.limit)
        self.revalidate()

    def refresh(self) -> None:
        self.limit.setEnabled(self.limited.isChecked())

    def problem(self) -> str | None:
        if self.limited.isChecked():
            try:
                parse_yuan(self.limit.text())
            except ValueError:
                return self.tr("审批额度应为金额，例如 100.00")
        return None

    async def perform(self) -> bool:
        limit = parse_yuan(self.limit.text()) if self.limited.isChecked() else None
        await self.ctx.run(operators.set_limit, self.ctx.desk, self.operator_name, limit)
        return True

    @classmethod
    async def ask(cls, parent: QWidget | None, ctx: DeskContext, name: str, current: int | None) -> bool:
        dialog = cls(parent, ctx, name, current)
        try:
            return bool(await dialog.wait())
        finally:
            dialog.deleteLater()
