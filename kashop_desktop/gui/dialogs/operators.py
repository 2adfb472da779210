"""Operators in the window: signing in, adding an operator, a new password, a role and approval limit.

Each is an OpDialog (validate on every edit, run the service on OK, close only on success);
the services decide everything (rights, lock-out, the last owner), the dialogs show why not.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from ...domain.errors import MoneyError
from ...domain.money import format_yuan, parse_yuan
from ...domain.roles import CLERK_START_LIMIT_FEN, Identity, Role
from ...services import operators
from ..context import DeskContext
from ..qt import QCheckBox, QComboBox, QFormLayout, QLabel, QLineEdit, Qt, QVBoxLayout, QWidget
from .base import OpDialog, pick


def _password_field(parent: QWidget) -> QLineEdit:
    field = QLineEdit(parent)
    field.setEchoMode(QLineEdit.EchoMode.Password)
    return field


class SignInMode(Enum):
    """Why the window asks who is working, which decides what 取消 does.

    START: the window has just opened with nobody signed in: 取消 quits. SWITCH: 切换操作员 was
    pressed: the operator at the desk stays signed in until someone else's password is right,
    and 取消 goes back to them. AGAIN: the idle time passed (or the operator was disabled
    elsewhere): they were signed out, their name is chosen in advance, and 取消 quits.
    """

    START = "start"
    SWITCH = "switch"
    AGAIN = "again"


class SignInDialog(OpDialog):
    """Who is working: an active operator's name and password (the services count wrong tries)."""

    def _why_sign_in(self) -> str:
        """The intro, true to why the shop asks (``operators.sign_in_need``)."""
        why, _owner = operators.sign_in_need(self.ctx.desk) or (operators.SEVERAL_ACTIVE, "")
        if why == operators.OWNER_LEFT_ALONE:
            return self.tr("这个店铺现在只剩店主一个操作员，但店铺日志记录过添加其他操作员（他们的记录已不在），所以仍要登录。"
                           "请输入店主的密码；设置页的“检查数据与操作日志”会列出不见的操作员。")
        if why == operators.OTHERS_DISABLED:
            return self.tr("这个店铺的其他操作员都已停用，但店主设了密码，所以仍要登录。请输入店主的密码；每一步操作都会记在你的名下。")
        return self.tr("这个店铺有多位操作员。请选择你的名字并输入密码；每一步操作都会记在你的名下。")

    def __init__(self, parent: QWidget | None, ctx: DeskContext, *, reason: str = "",
                 mode: SignInMode = SignInMode.START, previous: str | None = None) -> None:
        super().__init__(parent, ctx)
        self.mode, self.previous = mode, previous
        self.setWindowTitle(self.tr("登录 · 谁在操作"))
        self.ok_button.setText(self.tr("登录"))
        self.intro = intro = QLabel(reason or self._why_sign_in(), self)
        intro.setWordWrap(True)
        self.name = QComboBox(self)
        self.name.setEditable(False)
        self.name.setPlaceholderText(self.tr("请选择你的名字"))
        for view in operators.list_operators(ctx.desk):
            if view.active:
                self.name.addItem(f"{view.name}（{pick(view.role.zh, view.role.en)}）", view.name)
        # Only the operator who was signed out is chosen in advance: a wrong password typed
        # under a name nobody chose would count against that operator's tries.
        self.name.setCurrentIndex(self.name.findData(previous) if mode is SignInMode.AGAIN and previous else -1)
        self.password = _password_field(self)
        form = QFormLayout()
        form.addRow(self.tr("操作员"), self.name)
        form.addRow(self.tr("密码"), self.password)
        self.cancel_note = QLabel(self._cancel_note(), self)
        self.cancel_note.setWordWrap(True)
        self.cancel_note.setStyleSheet("color:#555;")
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.cancel_note)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.cancel_button.setText(self._cancel_text())
        self.setMinimumWidth(440)
        self.watch(self.name, self.password)
        self.revalidate()
        (self.password if self.name.currentIndex() >= 0 else self.name).setFocus()

    def _cancel_text(self) -> str:
        if self.mode is SignInMode.SWITCH and self.previous:
            return self.tr("取消，仍由 {name} 操作").format(name=self.previous)
        return self.tr("退出程序")

    def _cancel_note(self) -> str:
        if self.mode is SignInMode.SWITCH and self.previous:
            return self.tr("登录成功之前仍由 {name} 操作；取消则回到 {name}。").format(name=self.previous)
        return self.tr("不登录就不能使用这个店铺：点“退出程序”会关闭窗口（数据都已保存）。")

    def problem(self) -> str | None:
        if self.name.currentIndex() < 0:
            return self.tr("请选择你的名字")
        if not self.password.text():
            return self.tr("请输入密码")
        return None

    async def perform(self) -> Identity:
        who: Identity = await self.ctx.run(operators.sign_in, self.ctx.desk, str(self.name.currentData()),
                                           self.password.text(), switching=self.mode is SignInMode.SWITCH)
        self.password.clear()
        return who

    @classmethod
    async def ask(cls, parent: QWidget | None, ctx: DeskContext, *, reason: str = "",
                  mode: SignInMode = SignInMode.START, previous: str | None = None) -> Identity | None:
        """Sign someone in; their Identity, or None when the dialog was closed (``mode`` says
        what the caller then does: quit, or go on as ``previous``)."""
        dialog = cls(parent, ctx, reason=reason, mode=mode, previous=previous)
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
        self.limit = QLineEdit(format_yuan(CLERK_START_LIMIT_FEN), self)
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
        except MoneyError as exc:  # as the command line says it: too large, too many decimals, not an amount
            return self.tr("审批额度：{problem}").format(problem=pick(exc.zh, exc.en))
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


class EditOperatorDialog(OpDialog):
    """An operator's role and a clerk's approval limit (yuan, or none), changed together
    through ``operators.change``: the owner's rights check, the last owner kept, the shop log."""

    def __init__(self, parent: QWidget | None, ctx: DeskContext, view: operators.OperatorView) -> None:
        super().__init__(parent, ctx)
        self.view = view
        self.setWindowTitle(self.tr("修改操作员：{name}").format(name=view.name))
        self.ok_button.setText(self.tr("保存"))
        self.role = QComboBox(self)
        for role in (Role.OWNER, Role.CLERK, Role.VIEWER):
            self.role.addItem(pick(role.zh, role.en), role.code)
        self.role.setCurrentIndex(self.role.findData(view.role.code))
        current = view.approve_limit_fen
        self.limited = QCheckBox(self.tr("限制审批额度（元）"), self)
        # someone made a clerk starts with a limit, as a new clerk does (no limit is a choice)
        self.limited.setChecked(current is not None or view.role is not Role.CLERK)
        self.limit = QLineEdit(format_yuan(current if current is not None else CLERK_START_LIMIT_FEN), self)
        self.hint = QLabel(self)
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color:#555;")
        form = QFormLayout()
        form.addRow(self.tr("角色"), self.role)
        form.addRow(self.limited, self.limit)
        form.addRow("", self.hint)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addStretch(1)  # height a longer message left behind stays here, not between the rows
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(460)
        self.watch(self.role, self.limited, self.limit)
        self.revalidate()

    def chosen_role(self) -> Role:
        return Role.of(str(self.role.currentData()))

    def hints(self) -> dict[Role, str]:
        return {
            Role.OWNER: self.tr("店主可以做所有事，不受审批额度限制。"),
            Role.CLERK: self.tr("店员在一个订单上批准的退款合计不超过额度（拆成几笔也合计）；不限制则任意金额。"),
            Role.VIEWER: self.tr("只读：只能查看，不能做任何改动。"),
        }

    def refresh(self) -> None:
        clerk = self.chosen_role() is Role.CLERK
        self.limited.setEnabled(clerk)
        self.limit.setEnabled(clerk and self.limited.isChecked())
        self.hint.setText(self.hints()[self.chosen_role()])

    # ---- a steady height: the buttons stay where they are while the owner edits ----------------
    def showEvent(self, event: Any) -> None:
        # The first fit sees the message's one line ("没有改动"): that line stays reserved, shown or not.
        self.reserve_hint()
        super().showEvent(event)
        if self.message.isVisible():
            self.message.setMinimumHeight(self.message.height())
        policy = self.message.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.message.setSizePolicy(policy)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self.reserve_hint()

    def reserve_hint(self) -> None:
        """The hint as tall as the tallest of the three roles' hints at its width: choosing
        another role does not move the message and the buttons."""
        width = self.hint.contentsRect().width() or self.width() - 40
        metrics = self.hint.fontMetrics()
        flags = int(Qt.TextFlag.TextWordWrap)
        tallest = max(metrics.boundingRect(0, 0, max(1, width), 10_000, flags, text).height()
                      for text in self.hints().values())
        if tallest != self.hint.minimumHeight():
            self.hint.setMinimumHeight(tallest)

    def fit_height(self, shrink: bool = False, refit: bool = False) -> None:
        """As the other dialogs on the first show; afterwards only grow (a message longer than its
        reserved line grows the dialog once), never shrink back: the buttons do not jump."""
        if not self.fitted:
            super().fit_height(shrink, refit)
            return
        layout = self.layout()
        if layout is None:
            return
        layout.activate()
        needed = layout.totalHeightForWidth(self.width()) if layout.hasHeightForWidth() \
            else layout.totalSizeHint().height()
        if needed > self.height():
            self.resize(self.width(), needed)

    def problem(self) -> str | None:
        if self.chosen_role() is Role.CLERK and self.limited.isChecked():
            try:
                parse_yuan(self.limit.text(), allow_zero=True)
            except MoneyError as exc:
                return self.tr("审批额度：{problem}").format(problem=pick(exc.zh, exc.en))
        if self.changes() == {}:
            return self.tr("没有改动")
        return None

    def changes(self) -> dict[str, Any]:
        """What differs from the operator as listed: ``role`` and/or ``approve_limit_fen``."""
        role = self.chosen_role()
        found: dict[str, Any] = {}
        if role is not self.view.role:
            found["role"] = role
        if role is Role.CLERK:
            limit = parse_yuan(self.limit.text(), allow_zero=True) if self.limited.isChecked() else None
            if limit != self.view.approve_limit_fen or self.view.role is not Role.CLERK:
                found["approve_limit_fen"] = limit
        return found

    async def perform(self) -> operators.OperatorView:
        changed: operators.OperatorView = await self.ctx.run(operators.change, self.ctx.desk, self.view.name,
                                                             **self.changes())
        return changed

    @classmethod
    async def ask(cls, parent: QWidget | None, ctx: DeskContext,
                  view: operators.OperatorView) -> operators.OperatorView | None:
        """Change ``view``'s role and limit; the operator as stored, or None when cancelled."""
        dialog = cls(parent, ctx, view)
        try:
            result: operators.OperatorView | None = await dialog.wait()
            return result
        finally:
            dialog.deleteLater()
