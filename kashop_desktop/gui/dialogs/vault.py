"""Unlock (or create) the local key vault that holds gateway secrets when there is no OS keyring."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from ...domain.errors import DomainError
from ...services import gateways as gateway_service
from ..context import DeskContext
from ..qt import QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget
from .base import OpDialog


class VaultDialog(OpDialog):
    """Asks for the vault passphrase; on first use, for a new one typed twice."""

    def __init__(self, parent: QWidget | None, ctx: DeskContext) -> None:
        super().__init__(parent, ctx)
        self.status = gateway_service.secret_status(ctx.desk)
        self.creating = not self.status.exists
        self.setWindowTitle(self.tr("密钥保险箱"))
        self.ok_button.setText(self.tr("创建保险箱") if self.creating else self.tr("解锁"))
        intro = QLabel(self)
        intro.setWordWrap(True)
        if self.creating:
            intro.setText(self.tr("这台电脑没有系统钥匙串。网关密钥将保存在本机加密的保险箱里，"
                                  "请设置一个口令（至少 6 个字符）。口令不会被保存，忘记后需要重新录入网关密钥。"))
        else:
            intro.setText(self.tr("网关密钥保存在本机加密的保险箱里。请输入口令解锁，之后才能发送退款和测试网关。"))
        self.passphrase = QLineEdit(self)
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.again = QLineEdit(self)
        self.again.setEchoMode(QLineEdit.EchoMode.Password)
        form = QFormLayout()
        form.addRow(self.tr("口令"), self.passphrase)
        if self.creating:
            form.addRow(self.tr("再输入一次"), self.again)
        else:
            self.again.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(460)
        self.watch(self.passphrase)
        self.watch(self.again)
        self.revalidate()

    def problem(self) -> str | None:
        text = self.passphrase.text()
        if len(text) < 6:
            return self.tr("口令至少 6 个字符")
        if self.creating and self.again.text() != text:
            return self.tr("两次输入的口令不一致")
        return None

    async def perform(self) -> bool:
        await self.ctx.run(gateway_service.unlock_vault, self.ctx.desk, self.passphrase.text())
        return True

    @classmethod
    async def ask(cls, parent: QWidget | None, ctx: DeskContext) -> bool:
        """Unlock if needed; True when secrets can be used afterwards."""
        if gateway_service.secret_status(ctx.desk).unlocked:
            return True
        dialog = cls(parent, ctx)
        try:
            return bool(await dialog.wait())
        finally:
            dialog.deleteLater()


async def needing_secrets(parent: QWidget | None, ctx: DeskContext, call: Callable[[], Awaitable[Any]]) -> Any:
    """Run ``call``; when it finds the vault locked (a 卡密 import, reveal or export needs the
    key), ask for the passphrase and run it once more. A declined prompt re-raises the refusal."""
    try:
        return await call()
    except DomainError as exc:
        if exc.code != "vault_locked" or not await VaultDialog.ask(parent, ctx):
            raise
    return await call()
