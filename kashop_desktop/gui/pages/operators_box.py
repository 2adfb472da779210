"""Settings > 操作员: who may work the desk, their roles and approval limits, and the idle time.

The owner adds operators, disables or enables them, sets passwords (which also lifts a
lock-out), changes roles and approval limits (角色与额度…, or a double click on the row);
every operator may change their own password. What an operator may not
do is greyed out with the reason as its tooltip; the services check the same rights again.
"""

from __future__ import annotations

from ...domain.errors import DomainError
from ...domain.money import format_yuan
from ...domain.roles import Right, Role
from ...services import operators
from ..context import DeskContext
from ..dialogs.base import InlineMessage, describe, pick
from ..dialogs.operators import AddOperatorDialog, EditOperatorDialog, PasswordDialog
from ..qt import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from .permissions import refuse_reason


class OperatorsBox(QGroupBox):
    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("操作员"), parent)
        self.ctx = ctx
        self.listed: list[operators.OperatorView] = []
        self.mode = QLabel(self)
        self.mode.setWordWrap(True)
        self.table = QTableWidget(0, 5, self)
        self.table.setHorizontalHeaderLabels([self.tr("名字"), self.tr("角色"), self.tr("审批额度"), self.tr("状态"),
                                              self.tr("密码")])
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self.update_buttons)
        self.add_button = QPushButton(self.tr("添加操作员…"), self)
        self.add_button.clicked.connect(lambda: self.ctx.start(self.add()))
        self.toggle_button = QPushButton(self.tr("停用"), self)
        self.toggle_button.clicked.connect(lambda: self.ctx.start(self.toggle()))
        self.password_button = QPushButton(self.tr("修改密码…"), self)
        self.password_button.clicked.connect(lambda: self.ctx.start(self.change_password()))
        self.edit_button = QPushButton(self.tr("角色与额度…"), self)
        self.edit_button.clicked.connect(lambda: self.ctx.start(self.edit()))
        self.table.doubleClicked.connect(self.on_double_click)
        self.idle = QSpinBox(self)
        self.idle.setRange(0, 24 * 60)
        self.idle.setSuffix(self.tr(" 分钟"))
        self.idle.setValue(operators.idle_minutes(ctx.desk))
        self.idle.setFixedWidth(120)
        self.idle.editingFinished.connect(lambda: self.ctx.start(self.save_idle()))
        self.message = InlineMessage(self)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.toggle_button, self.password_button, self.edit_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        idle_row = QHBoxLayout()
        idle_row.addWidget(QLabel(self.tr("无操作多久后重新询问是谁在操作（0 表示不询问）："), self))
        idle_row.addWidget(self.idle)
        idle_row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.mode)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        layout.addLayout(idle_row)
        layout.addWidget(self.message)
        self.refresh()

    # ---- showing -------------------------------------------------------------------------------
    def refresh(self) -> None:
        self.listed = operators.list_operators(self.ctx.desk)
        self.mode.setText(self.tr("只有店主一人：打开程序不需要登录，所有操作记为店主。添加第二位操作员后，每个人都要用自己的名字和密码登录。")
                          if self.ctx.desk.single_owner else
                          self.tr("有多位操作员：打开程序和空闲之后要登录，每一步操作都记在登录者名下。"))
        self.table.setRowCount(len(self.listed))
        for row, view in enumerate(self.listed):
            if view.role is not Role.CLERK:  # limits are a clerk's; the owner and a viewer have none to show
                limit = "—"
            else:
                limit = self.tr("不限") if view.approve_limit_fen is None else f"¥{format_yuan(view.approve_limit_fen)}"
            if not view.active:
                state = self.tr("已停用")
            elif view.locked_until is not None:
                state = self.tr("锁定到 {time}").format(time=f"{view.locked_until:%H:%M}")
            else:
                state = self.tr("在用")
            cells = [view.name, pick(view.role.zh, view.role.en), limit, state,
                     self.tr("已设") if view.has_password else self.tr("未设")]
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self.table.setFixedHeight(self.table.horizontalHeader().height() + 2 * self.table.frameWidth() + 2
                                  + sum(self.table.rowHeight(r) for r in range(self.table.rowCount())))
        self.update_buttons()

    def selected(self) -> operators.OperatorView | None:
        rows = self.table.selectionModel().selectedRows()
        return self.listed[rows[0].row()] if rows else None

    def update_buttons(self) -> None:
        """What the operator at the desk may press: the rights' reason comes first in a tooltip
        (a viewer is told why, not to choose a row), then the need to choose a row."""
        reason = refuse_reason(self.ctx.desk, Right.OPERATORS)
        chosen = self.selected()
        me = self.ctx.desk.operator.name if self.ctx.desk.operator else None
        policy = refuse_reason(self.ctx.desk, Right.POLICY)
        self.idle.setEnabled(policy is None)
        self.idle.setToolTip(policy or "")
        self.add_button.setEnabled(reason is None)
        self.add_button.setToolTip(reason or "")
        self.toggle_button.setText(self.tr("启用") if chosen is not None and not chosen.active else self.tr("停用"))
        own = chosen is not None and chosen.name == me
        pick_one = self.tr("先在列表里选一位操作员")
        for button, refused in ((self.toggle_button, reason), (self.edit_button, reason),
                                (self.password_button, None if own else reason)):
            button.setEnabled(refused is None and chosen is not None)
            button.setToolTip(refused or (pick_one if chosen is None else ""))

    # ---- actions -------------------------------------------------------------------------------
    async def _after(self, done: bool, text: str) -> None:
        if done:
            self.message.show_message(text, "ok")
        self.refresh()

    async def add(self) -> None:
        added = await AddOperatorDialog.ask(self, self.ctx)
        await self._after(added is not None, self.tr("已添加操作员 {name}。").format(name=getattr(added, "name", "")))

    async def toggle(self) -> None:
        chosen = self.selected()
        if chosen is None:
            return
        try:
            await self.ctx.run(operators.set_active, self.ctx.desk, chosen.name, not chosen.active)
        except DomainError as exc:
            self.message.show_message(describe(exc))
            return
        await self._after(True, (self.tr("已启用 {name}。") if not chosen.active else self.tr("已停用 {name}。")
                                 ).format(name=chosen.name))
        self._if_me(chosen.name)

    def _if_me(self, name: str) -> None:
        """The window follows a change to the operator at the desk at once (their own rights)."""
        if self.ctx.desk.operator is not None and self.ctx.desk.operator.name == name:
            self.ctx.rights_changed.emit()

    async def change_password(self) -> None:
        chosen = self.selected()
        if chosen is not None:
            done = await PasswordDialog.ask(self, self.ctx, chosen.name)
            await self._after(done, self.tr("已修改 {name} 的密码。").format(name=chosen.name))

    def on_double_click(self, *_: object) -> None:
        if self.edit_button.isEnabled():
            self.ctx.start(self.edit())

    async def edit(self) -> None:
        chosen = self.selected()
        if chosen is not None:
            changed = await EditOperatorDialog.ask(self, self.ctx, chosen)
            await self._after(changed is not None, self.tr("已修改 {name} 的角色与审批额度。").format(name=chosen.name))
            if changed is not None:
                self._if_me(chosen.name)

    async def save_idle(self) -> None:
        minutes = self.idle.value()
        if minutes == operators.idle_minutes(self.ctx.desk):
            return
        try:
            await self.ctx.run(operators.set_idle_minutes, self.ctx.desk, minutes)
        except DomainError as exc:
            self.message.show_message(describe(exc))
            return
        text = (self.tr("已保存：不再因无操作而要求重新登录。") if minutes == 0 else
                self.tr("已保存：无操作 {n} 分钟后重新登录。", "", minutes).format(n=minutes))
        self.message.show_message(text, "ok")
