"""Settings: the cancel policy, holidays, the UI language, operators, where the shop is stored
(this PC's file or a server, ``store_box``), the data folder and backups.

Every policy field is a text field whose validator takes only what ``domain.policy.
parse_display_value`` takes (whole numbers; the auto-approve ceiling in yuan and the refund fee
in percent, at most two decimals, stored as the integers the policy keeps: fen, 1/10,000), in
its ``SPECS`` range. A field's problem is shown beside it and nothing is saved while any field
is wrong; saving goes through ``services.policy_settings``, the path ``policy set`` takes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...domain.errors import DomainError, PolicyError
from ...domain.policy import SPECS, CancelPolicy, display_text, parse_display_value
from ...domain.roles import Right
from ...services import maintenance, store_choice
from ...services.changes import Changes
from ...services.policy_settings import policy_with, set_policy_values
from ..context import DeskContext
from ..dialogs.base import InlineMessage, error_text, pick, ui_language
from ..qt import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QtCore,
    QtGui,
    QVBoxLayout,
    QWidget,
)
from ..wheel_guard import guard_wheel
from .holidays_box import HolidaysBox
from .operators_box import OperatorsBox
from .permissions import refuse_reason
from .secrets_box import SecretsBox
from .store_box import StoreBox

YUAN_FIELD = "auto_approve_ceiling_fen"
PERCENT_FIELD = "fee_rate_permyriad"
LANGUAGES = (("zh", "中文"), ("en", "English"))


class PolicyValidator(QtGui.QValidator):
    """Accepts only text the policy takes for ``key`` (``domain.policy.parse_display_value``):
    whole numbers for minutes and days, yuan and percent with at most two decimals, in range.
    Anything else (``100.0`` minutes, ``30.5``, ``1e2``) stays Intermediate: shown as typed,
    never reinterpreted, never saved."""

    def __init__(self, key: str, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.key = key

    def validate(self, text: str, pos: int) -> tuple[QtGui.QValidator.State, str, int]:
        try:
            parse_display_value(self.key, text)
        except PolicyError:
            return QtGui.QValidator.State.Intermediate, text, pos
        return QtGui.QValidator.State.Acceptable, text, pos


class SettingsPage(QWidget):
    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.fields: dict[str, QLineEdit] = {}
        self.problems: dict[str, QLabel] = {}
        self.saved_policy = ctx.desk.policy()
        self.pending: CancelPolicy | None = None
        self.last_backup: Path | None = None
        layout = QVBoxLayout(self)
        self.policy_box = self._policy_box()
        layout.addWidget(self.policy_box)
        self.holidays_box = HolidaysBox(ctx, self)
        layout.addWidget(self.holidays_box)
        layout.addWidget(self._language_box())
        self.operators_box = OperatorsBox(ctx, self)
        layout.addWidget(self.operators_box)
        self.store_box = StoreBox(ctx, self)
        layout.addWidget(self.store_box)
        layout.addWidget(self._data_box())
        layout.addWidget(SecretsBox(ctx, self))
        layout.addStretch(1)
        guard_wheel(self)  # the page scrolls: a field under the pointer must not take the wheel
        ctx.changed.connect(self.on_changed)
        self.load_policy(self.saved_policy)
        self.apply_rights()

    def apply_rights(self) -> None:
        """Grey out what the operator at the desk may not change, saying why (the services
        refuse it anyway)."""
        shop_wide = refuse_reason(self.ctx.desk, Right.POLICY)
        for widget in (self.policy_box, self.holidays_box, self.auto_backup, self.backup_keep):
            widget.setEnabled(shop_wide is None)
            widget.setToolTip(shop_wide or "")
        backup = refuse_reason(self.ctx.desk, Right.BACKUP)
        # The data folder holds the store itself, its backups and the gateways' key vault: whoever
        # may not take a backup may not open it either.
        self.open_button.setEnabled(backup is None)
        self.open_button.setToolTip(backup or self.tr("在文件管理器里打开数据文件夹（数据文件、备份、日志）"))
        self.backup_button.setEnabled(backup is None)
        self.backup_button.setToolTip(backup or "")
        elsewhere = store_choice.backups_elsewhere(self.ctx.desk)  # a server shop: pg_dump, not these
        if elsewhere is not None:
            for control in (self.backup_button, self.auto_backup, self.backup_keep):
                control.setEnabled(False)
                control.setToolTip(pick(*elsewhere))
            self.backup_note.setText(pick(*elsewhere))
            self.backup_note.setVisible(True)
        rebuild = refuse_reason(self.ctx.desk, Right.REPORTS)
        self.rebuild_button.setEnabled(rebuild is None)
        self.rebuild_button.setToolTip(rebuild or self.tr("从订单重新计算报表页的数据（检查发现报表数据与订单不符时）"))
        self.store_box.apply_rights()

    # ---- policy ------------------------------------------------------------------------------
    def _policy_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("取消与退款政策"), self)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        for spec in SPECS.values():
            form.addRow(self._label_for(spec), self._field_row(spec, box))
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

    def _field_row(self, spec: Any, box: QWidget) -> QHBoxLayout:
        """The field, its unit, its range and the place its problem is shown."""
        field = QLineEdit(box)
        field.setValidator(PolicyValidator(spec.name, field))
        field.setFixedWidth(120)
        field.setAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
        field.textChanged.connect(self.validate)
        self.fields[spec.name] = field
        row = QHBoxLayout()
        row.addWidget(field)
        unit = {YUAN_FIELD: self.tr("元"), PERCENT_FIELD: "%"}.get(spec.name, "")
        if unit:
            row.addWidget(QLabel(unit, box))
        low, high = display_text(spec.name, spec.minimum), display_text(spec.name, spec.maximum)
        hint = QLabel(self.tr("范围 {low} – {high}").format(low=low, high=high), box)
        hint.setStyleSheet("color:#777;")
        row.addWidget(hint)
        problem = QLabel(box)
        problem.setStyleSheet("color:#b3261e;")
        problem.setVisible(False)
        self.problems[spec.name] = problem
        row.addWidget(problem)
        row.addStretch(1)
        return row

    def _label_for(self, spec: Any) -> str:
        if spec.name == YUAN_FIELD:
            return self.tr("自动通过金额上限(元)")
        if spec.name == PERCENT_FIELD:
            return self.tr("退款手续费(%)")
        return pick(spec.zh, spec.en)

    def load_policy(self, policy: CancelPolicy) -> None:
        for name, field in self.fields.items():
            field.blockSignals(True)
            field.setText(display_text(name, getattr(policy, name)))
            field.blockSignals(False)
        self.no_refunds.blockSignals(True)
        self.no_refunds.setChecked(policy.no_refunds)
        self.no_refunds.blockSignals(False)
        self.validate()

    def form_values(self) -> dict[str, Any]:
        """The typed values (fen, 1/10,000, minutes, days); PolicyError for the first bad field."""
        values: dict[str, Any] = {name: parse_display_value(name, field.text()) for name, field in self.fields.items()}
        values["no_refunds"] = self.no_refunds.isChecked()
        return values

    def _field_problems(self) -> bool:
        """Show each field's problem beside it; True when every field is valid."""
        ok = True
        for name, field in self.fields.items():
            problem = self.problems[name]
            try:
                parse_display_value(name, field.text())
            except PolicyError as exc:
                ok = False
                problem.setText(error_text(exc))
                problem.setVisible(True)
                field.setStyleSheet("border:1px solid #b3261e;")
            else:
                problem.setVisible(False)
                field.setStyleSheet("")
        return ok

    def validate(self, *_: object) -> CancelPolicy | None:
        self.pending = None
        if self._field_problems():
            try:
                self.pending = policy_with(self.ctx.desk, self.form_values())
            except (PolicyError, DomainError) as exc:
                self.policy_message.show_message(error_text(exc))
            else:
                self.policy_message.clear_message()
        else:
            self.policy_message.show_message(self.tr("有设置项填写不正确，请按旁边的提示修改；未保存任何内容。"))
        dirty = self.pending is not None and self.pending != self.saved_policy
        self.save_button.setEnabled(dirty)
        self.revert_button.setEnabled(self.pending != self.saved_policy)
        return self.pending

    async def save_policy(self) -> bool:
        policy = self.validate()
        if policy is None:
            return False
        try:
            await self.ctx.run(set_policy_values, self.ctx.desk, self.form_values())
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
        self.open_button = open_button = QPushButton(self.tr("打开文件夹"), box)
        open_button.clicked.connect(self.open_folder)
        self.backup_button = QPushButton(self.tr("立即备份"), box)
        self.backup_button.clicked.connect(lambda: self.ctx.start(self.backup_now()))
        self.backup_result = InlineMessage(box)
        form = QFormLayout(box)
        folder = QHBoxLayout()
        folder.addWidget(self.data_dir, 1)
        folder.addWidget(open_button)
        form.addRow(self.tr("数据文件夹"), folder)
        self.backup_note = QLabel(box)  # on a server store: where its backups are made instead
        self.backup_note.setWordWrap(True)
        self.backup_note.setStyleSheet("color:#555;")
        self.backup_note.setVisible(False)
        backup = QHBoxLayout()
        backup.addWidget(self.backup_button)
        backup.addWidget(self.backup_note, 1)
        backup.addStretch(0)
        form.addRow(self.tr("备份"), backup)
        form.addRow("", self.backup_result)
        form.addRow(self.tr("自动备份"), self._auto_backup_row(box))
        self.check_button = QPushButton(self.tr("检查数据与操作日志"), box)
        self.check_button.setToolTip(self.tr("完整检查数据文件，并校验操作日志的哈希链（大店铺要几十秒）"))
        self.check_button.clicked.connect(lambda: self.ctx.start(self.check_now()))
        self.check_result = InlineMessage(box)
        self.rebuild_button = QPushButton(self.tr("重建报表数据"), box)
        self.rebuild_button.clicked.connect(lambda: self.ctx.start(self.rebuild_reports()))
        check = QHBoxLayout()
        check.addWidget(self.check_button)
        check.addWidget(self.rebuild_button)
        check.addStretch(1)
        form.addRow(self.tr("检查"), check)
        form.addRow("", self.check_result)
        return box

    async def check_now(self) -> maintenance.CheckReport | None:
        """The store's full check with the log's chains (``kashop-desktop check``), on the worker."""
        self.check_button.setEnabled(False)
        self.check_result.show_message(self.tr("正在检查…"), "info")
        try:
            report: maintenance.CheckReport = await self.ctx.run(maintenance.check, self.ctx.desk)
        except DomainError as exc:
            self.check_result.show_message(error_text(exc))
            return None
        finally:
            self.check_button.setEnabled(True)
        lines = [pick(b.zh, b.en) for b in report.log_breaks] + [pick(*d) for d in report.state_disagreements]
        if report.log_anchor_message is not None:
            lines.append(pick(*report.log_anchor_message))
        if report.integrity != "ok" or report.foreign_key_problems:
            lines.append(self.tr("数据文件完整性检查未通过：{result}").format(result=report.integrity))
        if report.report_tables_wrong:
            lines.append(self.tr("报表数据与订单不符（点“重建报表数据”）"))
        if report.ok:
            text = self.tr("数据完好；操作日志 {n} 行，哈希链无误。", "", report.log_rows).format(n=report.log_rows)
            note = report.log_anchor_message  # not anchored yet, or not checked: said beside the result
            self.check_result.show_message(text if note is None else f"{text} {pick(*note)}", "ok")
        elif lines:
            self.check_result.show_message(self.tr("发现问题：{problems}").format(problems=self.tr("；").join(lines)))
        else:
            self.check_result.show_message(self.tr("发现问题，详见命令 kashop-desktop check 的输出。"))
        return report

    async def rebuild_reports(self) -> list[str] | None:
        """The reports' summary tables computed again from the orders (``reports rebuild``)."""
        self.rebuild_button.setEnabled(False)
        self.check_result.show_message(self.tr("正在重建报表数据…"), "info")
        try:
            wrong: list[str] = await self.ctx.run(maintenance.rebuild_reports, self.ctx.desk)
        except DomainError as exc:
            self.check_result.show_message(error_text(exc))
            return None
        finally:
            self.apply_rights()
        self.ctx.changed.emit(Changes(counts_changed=True))  # the 报表 page reads them again
        self.check_result.show_message(self.tr("报表数据已重建（此前与订单不符）") if wrong
                                       else self.tr("报表数据已重建（此前已与订单一致）"), "ok")
        return wrong

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
        if refuse_reason(self.ctx.desk, Right.BACKUP) is not None:
            return False
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

