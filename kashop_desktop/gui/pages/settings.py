"""Settings: the cancel policy, holidays, the UI language, the data folder and backups.

Every policy field is a spin box bounded by its ``domain.policy.SPECS`` entry; the auto-approve
ceiling is edited in yuan and the refund fee in percent (0.01 % steps), both stored as the
integers the policy keeps (fen, 1/10,000). The whole policy is re-validated by constructing a
CancelPolicy on every edit, and a PolicyError is shown inline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...domain.errors import DomainError, PolicyError
from ...domain.money import format_yuan, parse_yuan
from ...domain.policy import SPECS, CancelPolicy
from ...services import maintenance
from ...services.changes import Changes
from ..context import DeskContext
from ..dialogs.base import InlineMessage, error_text, pick, ui_language
from ..qt import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QtCore,
    QtGui,
    QVBoxLayout,
    QWidget,
)
from .holidays_box import HolidaysBox
from .secrets_box import SecretsBox

YUAN_FIELD = "auto_approve_ceiling_fen"
PERCENT_FIELD = "fee_rate_permyriad"
LANGUAGES = (("zh", "中文"), ("en", "English"))


class HundredthsSpinBox(QSpinBox):
    """An integer spin box of hundredths shown as a decimal: fen as yuan, 万分之 as percent.

    The value stays an integer (fen, or 1/10,000): no float ever holds money.
    """

    def textFromValue(self, value: int) -> str:
        return format_yuan(value)

    def valueFromText(self, text: str) -> int:
        try:
            return parse_yuan(text.replace(self.suffix(), "").strip(), allow_negative=True)
        except DomainError:
            return self.value()

    def validate(self, text: str, pos: int) -> tuple[QtGui.QValidator.State, str, int]:
        body = text.replace(self.suffix(), "").strip()
        try:
            parse_yuan(body)
        except DomainError:
            state = QtGui.QValidator.State.Intermediate
        else:
            state = QtGui.QValidator.State.Acceptable
        return state, text, pos


class SettingsPage(QWidget):
    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.spins: dict[str, Any] = {}
        self.saved_policy = ctx.desk.policy()
        self.pending: CancelPolicy | None = None
        self.last_backup: Path | None = None
        layout = QVBoxLayout(self)
        layout.addWidget(self._policy_box())
        self.holidays_box = HolidaysBox(ctx, self)
        layout.addWidget(self.holidays_box)
        layout.addWidget(self._language_box())
        layout.addWidget(self._data_box())
        layout.addWidget(SecretsBox(ctx, self))
        layout.addStretch(1)
        ctx.changed.connect(self.on_changed)
        self.load_policy(self.saved_policy)

    # ---- policy ------------------------------------------------------------------------------
    def _policy_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("取消与退款政策"), self)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        for spec in SPECS.values():
            spin = self._spin_for(spec)
            self.spins[spec.name] = spin
            spin.valueChanged.connect(self.validate)
            row = QHBoxLayout()
            row.addWidget(spin)
            hint = QLabel(self.tr("范围 {low} – {high}").format(low=spin.textFromValue(spin.minimum()),
                                                               high=spin.textFromValue(spin.maximum())), box)
            hint.setStyleSheet("color:#777;")
            row.addWidget(hint)
            row.addStretch(1)
            form.addRow(self._label_for(spec), row)
        self.no_refunds = QCheckBox(self.tr("全店不支持退款：付款后的申请一律拒绝（可按商品单独设置）"), box)
        self.no_refunds.toggled.connect(self.validate)
        form.addRow("", self.no_refunds)
        self.policy_message = InlineMessage(box)
        self.save_button = QPushButton(self.tr("保存政策"), box)
        self.save_button.clicked.connect(lambda: self.ctx.start(self.save_policy()))
        self.revert_button = QPushButton(self.tr("撤销修改"), box)
        self.revert_button.clicked.connect(lambda: self.load_policy(self.saved_policy))
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.save_button)
        inner = QVBoxLayout(box)
        inner.addLayout(form)
        inner.addWidget(self.policy_message)
        inner.addLayout(buttons)
        return box

    def _label_for(self, spec: Any) -> str:
        if spec.name == YUAN_FIELD:
            return self.tr("自动通过金额上限(元)")
        if spec.name == PERCENT_FIELD:
            return self.tr("退款手续费(%)")
        return pick(spec.zh, spec.en)

    def _spin_for(self, spec: Any) -> Any:
        spin: Any
        if spec.name in (YUAN_FIELD, PERCENT_FIELD):
            spin = HundredthsSpinBox(self)
            spin.setRange(spec.minimum, spec.maximum)
            spin.setSingleStep(100 if spec.name == YUAN_FIELD else 1)
            spin.setSuffix(self.tr(" 元") if spec.name == YUAN_FIELD else " %")
        else:
            spin = QSpinBox(self)
            spin.setRange(spec.minimum, spec.maximum)
        spin.setFixedWidth(160)
        return spin

    def load_policy(self, policy: CancelPolicy) -> None:
        for name, spin in self.spins.items():
            value = getattr(policy, name)
            spin.blockSignals(True)
            spin.setValue(value)
            spin.blockSignals(False)
        self.no_refunds.blockSignals(True)
        self.no_refunds.setChecked(policy.no_refunds)
        self.no_refunds.blockSignals(False)
        self.validate()

    def form_values(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, spin in self.spins.items():
            values[name] = spin.value()
        values["no_refunds"] = self.no_refunds.isChecked()
        return values

    def validate(self, *_: object) -> CancelPolicy | None:
        try:
            self.pending = CancelPolicy(**self.form_values())
        except (PolicyError, DomainError) as exc:
            self.pending = None
            self.policy_message.show_message(error_text(exc))
        else:
            self.policy_message.clear_message()
        dirty = self.pending is not None and self.pending != self.saved_policy
        self.save_button.setEnabled(dirty)
        self.revert_button.setEnabled(self.pending != self.saved_policy)
        return self.pending

    async def save_policy(self) -> bool:
        policy = self.validate()
        if policy is None:
            return False
        try:
            await self.ctx.run(self.ctx.desk.set_policy, policy)
        except DomainError as exc:
            self.policy_message.show_message(error_text(exc))
            return False
        self.saved_policy = self.ctx.desk.policy()
        self.validate()
        self.policy_message.show_message(self.tr("政策已保存，之后的申请按新政策判断。"), "ok")
        return True

    def on_changed(self, changes: Changes) -> None:
        if self.pending == self.saved_policy:  # never overwrite unsaved edits
            self.saved_policy = self.ctx.desk.policy()
            self.load_policy(self.saved_policy)

    # ---- language ----------------------------------------------------------------------------
    def _language_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("界面语言"), self)
        self.language = QComboBox(box)
        for code, label in LANGUAGES:
            self.language.addItem(label, code)
        current = ui_language()  # the language on screen (a --lang flag may differ from the saved one)
        self.language.setCurrentIndex(max(0, self.language.findData(current)))
        self.language.currentIndexChanged.connect(lambda _i: self.ctx.start(self.save_language()))
        self.language_note = QLabel(self.tr("选择后立即切换，不用重启。"), box)
        self.language_note.setStyleSheet("color:#555;")
        row = QHBoxLayout(box)
        row.addWidget(self.language)
        row.addWidget(self.language_note, 1)
        self.language.setFixedWidth(160)
        return box

    async def save_language(self) -> str:
        code = str(self.language.currentData())
        await self.ctx.run(self.ctx.desk.set_setting, "language", code)
        self.language_note.setText(self.tr("已保存。"))
        self.ctx.language_changed.emit(code)  # the window rebuilds its screens in that language
        return code

    # ---- data --------------------------------------------------------------------------------
    def _data_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("数据与备份"), self)
        self.data_dir = QLabel(str(self.ctx.desk.data_dir), box)
        self.data_dir.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        open_button = QPushButton(self.tr("打开文件夹"), box)
        open_button.clicked.connect(self.open_folder)
        self.backup_button = QPushButton(self.tr("立即备份"), box)
        self.backup_button.clicked.connect(lambda: self.ctx.start(self.backup_now()))
        self.backup_result = InlineMessage(box)
        form = QFormLayout(box)
        folder = QHBoxLayout()
        folder.addWidget(self.data_dir, 1)
        folder.addWidget(open_button)
        form.addRow(self.tr("数据文件夹"), folder)
        backup = QHBoxLayout()
        backup.addWidget(self.backup_button)
        backup.addStretch(1)
        form.addRow(self.tr("备份"), backup)
        form.addRow("", self.backup_result)
        form.addRow(self.tr("自动备份"), self._auto_backup_row(box))
        return box

    def _auto_backup_row(self, box: QWidget) -> QHBoxLayout:
        saved = maintenance.backup_settings(self.ctx.desk)
        self.auto_backup = QCheckBox(self.tr("每天自动备份"), box)
        self.auto_backup.setChecked(saved.auto)
        self.backup_keep = QSpinBox(box)
        self.backup_keep.setRange(1, 365)
        self.backup_keep.setValue(saved.keep)
        self.auto_backup.toggled.connect(lambda _on: self.ctx.start(self.save_backup_settings()))
        self.backup_keep.valueChanged.connect(lambda _n: self.ctx.start(self.save_backup_settings()))
        row = QHBoxLayout()
        row.addWidget(self.auto_backup)
        row.addSpacing(16)
        row.addWidget(QLabel(self.tr("保留最近"), box))
        row.addWidget(self.backup_keep)
        row.addWidget(QLabel(self.tr("份（更早的自动备份会删除；手动备份一直保留）"), box))
        row.addStretch(1)
        return row

    async def save_backup_settings(self) -> maintenance.BackupSettings:
        wanted = maintenance.BackupSettings(self.auto_backup.isChecked(), self.backup_keep.value())
        await self.ctx.run(maintenance.set_backup_settings, self.ctx.desk, wanted)
        return wanted

    def open_folder(self) -> bool:
        url = QtCore.QUrl.fromLocalFile(str(self.ctx.desk.data_dir))
        return bool(QtGui.QDesktopServices.openUrl(url))

    async def backup_now(self) -> Path | None:
        self.backup_button.setEnabled(False)
        self.backup_result.show_message(self.tr("正在备份…"), "info")
        try:
            path: Path = await self.ctx.run(maintenance.backup, self.ctx.desk)
        except Exception as exc:
            self.backup_result.show_message(self.tr("备份失败：{error}").format(error=exc))
            return None
        finally:
            self.backup_button.setEnabled(True)
        self.last_backup = path
        self.backup_result.show_message(self.tr("已备份到：{path}").format(path=path), "ok")
        return path

