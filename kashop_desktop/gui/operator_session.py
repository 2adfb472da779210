"""The operator at the desk in the main window: the status bar's name, 切换操作员 and signing in.

Three ways the window asks who is working (``SignInMode``): at start-up with nobody signed in
(取消 quits), when 切换操作员 is pressed (the operator stays signed in until someone else's
password is right; 取消 goes back to them), and after the idle time or when the operator was
disabled elsewhere (they are signed out first, their name is chosen in advance, 取消 quits).
While nobody is signed in the window's contents are hidden: the shop's data is not shown behind
the sign-in.
"""

from __future__ import annotations

import contextlib
from typing import Any

from ..domain.roles import PermissionRefused
from ..services import operators
from .context import DeskContext
from .dialogs.base import pick
from .dialogs.operators import SignInDialog, SignInMode
from .qt import QCoreApplication


class OperatorSession:
    """Mixed into MainWindow: needs ``ctx``, ``operator_label``, ``switch_button``, the status bar's
    ``stock_label``, ``gateway_label`` and ``refunds_label``, ``signing_in``,
    ``rebuild``, ``statusBar``, ``close`` and ``tr``."""

    ctx: DeskContext
    operator_label: Any
    switch_button: Any
    stock_label: Any
    gateway_label: Any
    refunds_label: Any
    signing_in: bool

    def refresh_operator(self) -> None:
        """The operator at the desk in the status bar; 切换操作员 once the shop has several."""
        who = self.ctx.desk.operator
        # Nobody signed in (at start-up, after the idle time): the shop's data is not shown behind the sign-in.
        contents = self.centralWidget()  # type: ignore[attr-defined]
        if contents is not None:
            contents.setVisible(who is not None)
        for label in (self.gateway_label, self.refunds_label):  # the shop's figures in the status bar too
            label.setVisible(who is not None)
        if who is None:
            self.stock_label.setVisible(False)
        else:
            self.stock_label.setVisible(bool(self.stock_label.text()))
        if who is None:
            self.operator_label.setText(QCoreApplication.translate("MainWindow", "未登录"))
        else:
            self.operator_label.setText(QCoreApplication.translate("MainWindow", "操作员：{name}（{role}）").format(
                name=who.name, role=pick(who.role.zh, who.role.en)))
        self.switch_button.setVisible(not self.ctx.desk.single_owner)

    async def switch_operator(self, reason: str = "", *, mode: SignInMode = SignInMode.SWITCH) -> bool:
        """Ask who is working; True when someone signed in (the screens are then built again for
        their rights). SWITCH keeps the operator at the desk until the new one's password is
        right, and 取消 leaves them there; AGAIN signs them out first and chooses their name;
        START and AGAIN close the window on 取消 (nobody may work unsigned)."""
        if self.signing_in:
            return False
        desk = self.ctx.desk
        previous = desk.operator.name if desk.operator is not None else None
        self.signing_in = True
        try:
            if mode is SignInMode.AGAIN and desk.operator is not None and not desk.single_owner:
                await self.ctx.run(operators.sign_out, desk)
            self.refresh_operator()
            who = await SignInDialog.ask(self, self.ctx, reason=reason, mode=mode,  # type: ignore[arg-type]
                                         previous=previous)
        finally:
            self.signing_in = False
        if who is None:
            if mode is SignInMode.SWITCH and desk.operator is not None:
                stay = QCoreApplication.translate("MainWindow", "仍由 {name} 操作")
                self.statusBar().showMessage(stay.format(name=desk.operator.name), 8000)  # type: ignore[attr-defined]
                return False
            self.close()  # type: ignore[attr-defined]
            return False
        self.rebuild()  # type: ignore[attr-defined]
        signed = QCoreApplication.translate("MainWindow", "{name} 已登录").format(name=who.name)
        self.statusBar().showMessage(signed, 8000)  # type: ignore[attr-defined]  # the rebuilt bar
        return True

    async def follow_rights(self) -> None:
        """The operator at the desk was given another role (or disabled) in this window: read
        their rights from the store and build the screens again, so what they may no longer do
        is greyed out now rather than refused when tried (a disabled one is then asked to sign in)."""
        with contextlib.suppress(PermissionRefused):  # their row was changed outside the desk: signed out
            await self.ctx.run(self.ctx.desk.current_operator)
        self.rebuild()  # type: ignore[attr-defined]

    async def recheck_operator(self) -> None:
        """Another program changed the store: read the operator at the desk's rights again at
        once (not only at the idle watch's next look). One disabled there (or whose row was
        changed outside the desk) is signed out and asked who works, as after the idle time
        (取消 quits); another role or limit builds the screens again for it."""
        desk = self.ctx.desk
        if self.signing_in or desk.single_owner:
            return
        before = desk.operator
        if before is not None:
            with contextlib.suppress(PermissionRefused):  # changed outside the desk: signed out
                await self.ctx.run(desk.current_operator)
        after = desk.operator
        if after is None:
            reason = QCoreApplication.translate("IdleWatch", "当前操作员已被停用或已退出，请重新登录。")
            await self.switch_operator(reason, mode=SignInMode.AGAIN)
        elif before is not None and (after.role, after.approve_limit_fen) != (before.role, before.approve_limit_fen):
            self.rebuild()  # type: ignore[attr-defined]
