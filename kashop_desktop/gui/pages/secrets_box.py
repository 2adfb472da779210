"""Settings > 密钥存放: where gateway keys and the 卡密 key are kept, and moving them to the OS
keyring when this PC has one (no passphrase at any start afterwards)."""

from __future__ import annotations

from ...domain.errors import DomainError
from ...domain.roles import Right
from ...services import gateways as gateway_service
from ..context import DeskContext
from ..dialogs.base import InlineMessage, error_text
from ..dialogs.vault import needing_secrets
from ..qt import QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget
from .permissions import refuse_reason


class SecretsBox(QGroupBox):
    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setTitle(self.tr("密钥存放"))
        self.where = QLabel(self)
        self.where.setWordWrap(True)
        self.move_button = QPushButton(self.tr("改用系统钥匙串"), self)
        self.move_button.clicked.connect(lambda: self.ctx.start(self.use_keyring()))
        self.result = InlineMessage(self)
        row = QHBoxLayout()
        row.addWidget(self.where, 1)
        row.addWidget(self.move_button)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.result)
        self.show_status()

    def show_status(self) -> None:
        status = gateway_service.secret_status(self.ctx.desk)
        if status.backend == "keyring":
            self.where.setText(self.tr("网关密钥和卡密密钥保存在系统钥匙串里，启动时不需要口令。"))
        else:
            self.where.setText(self.tr("网关密钥和卡密密钥保存在本机保险箱（vault.json）里，需要用到密钥时才会询问口令。"))
        self.move_button.setVisible(status.backend == "vault")
        refused = refuse_reason(self.ctx.desk, Right.GATEWAYS)  # moving the keys is the owner's
        self.move_button.setEnabled(status.keyring_available and refused is None)
        self.move_button.setToolTip(refused or ("" if status.keyring_available else self.tr("这台电脑没有可用的系统钥匙串")))

    async def use_keyring(self) -> bool:
        """Move every key from the vault to the OS keyring (the vault is unlocked first if needed)."""
        try:
            await needing_secrets(self, self.ctx, lambda: self.ctx.run(
                gateway_service.switch_secret_store, self.ctx.desk, "keyring"))
        except DomainError as exc:
            self.result.show_message(error_text(exc))
            return False
        self.show_status()
        self.result.show_message(self.tr("所有密钥已移到系统钥匙串，保险箱里不再保存。"), "ok")
        return True
