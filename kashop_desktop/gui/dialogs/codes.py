"""The 卡密 dialogs: import (paste box or file, a preview with every line's problem), delete
(what it affects first) and export (optionally locking or marking the codes sold)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...domain.errors import DomainError, MoneyError
from ...domain.money import parse_yuan
from ...services import code_export, code_files, code_import
from ...services import codes as code_service
from ...services.code_import import ImportPlan
from ..context import DeskContext
from ..i18n import pick
from ..qt import (
    QButtonGroup,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QTimer,
    QVBoxLayout,
    QWidget,
)
from .base import OpDialog, error_text
from .vault import needing_secrets

PREVIEW_DELAY_MS = 300


class ImportCodesDialog(OpDialog):
    """``ImportCodesDialog.ask(parent, ctx, product)``: paste or load codes, see every line's
    problem and the duplicates before importing the new ones."""

    def __init__(self, parent: QWidget | None, ctx: DeskContext, product: str) -> None:
        super().__init__(parent, ctx)
        self.product = product
        self.plan: ImportPlan | None = None
        self.planned_text = ""
        self.setWindowTitle(self.tr("导入卡密：{product}").format(product=product))
        self.text = QPlainTextEdit(self)
        self.text.setPlaceholderText(self.tr("每行一个卡密，或「卡号----密码」（也可用 Tab、逗号或空格分隔）"))
        self.file_button = QPushButton(self.tr("从文件…"), self)
        self.file_button.setAutoDefault(False)
        self.file_button.clicked.connect(self.choose_file)
        self.batch = QLineEdit(self)
        self.batch.setPlaceholderText(self.tr("例如：11月进货"))
        self.cost = QLineEdit(self)
        self.cost.setPlaceholderText(self.tr("每个卡密的成本，可不填"))
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.problems = QListWidget(self)
        self.problems.setMaximumHeight(130)
        self.problems.hide()
        form = QFormLayout()
        form.addRow(self.tr("批次备注"), self.batch)
        form.addRow(self.tr("成本（元）"), self.cost)
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("粘贴卡密，或从 .txt / .csv / .xlsx 文件读入："), self), 1)
        top.addWidget(self.file_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.text, 1)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(self.problems)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.setMinimumSize(560, 460)
        self.preview_timer = QTimer(self)
        self.preview_timer.setSingleShot(True)
        self.preview_timer.timeout.connect(lambda: self.ctx.start(self.preview()))
        self.text.textChanged.connect(lambda: self.preview_timer.start(PREVIEW_DELAY_MS))
        self.watch(self.text, self.cost)
        self.revalidate()

    def lines(self) -> list[str]:
        return self.text.toPlainText().splitlines()

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("选择卡密文件"), "",
                                              self.tr("卡密文件 (*.txt *.csv *.xlsx);;所有文件 (*)"))
        if path:
            self.load_file(Path(path))

    def load_file(self, path: Path) -> None:
        try:
            lines = code_files.read_code_file(path)
        except DomainError as exc:
            self.service_error = error_text(exc)
            self.revalidate()
            return
        self.text.setPlainText("\n".join(lines))

    async def preview(self) -> ImportPlan | None:
        text = self.text.toPlainText()
        try:
            plan: ImportPlan = await needing_secrets(self, self.ctx, lambda: self.ctx.run(
                code_import.plan_import, self.ctx.desk, self.product, text.splitlines()))
        except DomainError as exc:
            self.service_error = error_text(exc)
            self.revalidate()
            return None
        self.plan, self.planned_text = plan, text
        self.show_plan(plan)
        self.revalidate()
        return plan

    def show_plan(self, plan: ImportPlan) -> None:
        self.summary.setText(self.tr("可导入 {new} 个；重复 {dup} 个、有问题 {bad} 个，不会导入").format(
            new=len(plan.new), dup=len(plan.duplicates), bad=len(plan.problems)))
        self.problems.clear()
        for dup in plan.duplicates:
            if dup.sold:
                self.problems.addItem(self.tr("第 {line} 行：卡密已售出或作废，永远不能再导入").format(line=dup.line))
            elif dup.first_line is None:
                self.problems.addItem(self.tr("第 {line} 行：卡密已在库中").format(line=dup.line))
            else:
                self.problems.addItem(self.tr("第 {line} 行：与第 {first} 行重复").format(line=dup.line, first=dup.first_line))
        for _line, zh, en in plan.problems:
            self.problems.addItem(pick(zh, en))
        self.problems.setVisible(self.problems.count() > 0)
        self.ok_button.setText(self.tr("导入 {n} 个").format(n=len(plan.new)))

    def cost_fen(self) -> int:
        return parse_yuan(self.cost.text()) if self.cost.text().strip() else 0

    def problem(self) -> str | None:
        if not self.text.toPlainText().strip():
            return self.tr("请粘贴卡密或从文件读入")
        try:
            self.cost_fen()
        except MoneyError as exc:
            return pick(exc.zh, exc.en)
        if self.plan is None or self.planned_text != self.text.toPlainText():
            return self.tr("正在检查…")
        if not self.plan.new:
            return self.tr("没有可导入的新卡密")
        return None

    async def perform(self) -> code_import.ImportResult:
        done = await needing_secrets(self, self.ctx, lambda: self.ctx.op(
            _import, self.product, self.lines(), self.batch.text(), self.cost_fen()))
        result: code_import.ImportResult = done[1]
        return result

    @classmethod
    async def ask(cls, parent: QWidget | None, ctx: DeskContext, product: str) -> Any:
        return await cls.show_and_wait(parent, ctx, product)


def _import(desk: Any, product: str, lines: list[str], batch: str, cost_fen: int) -> Any:
    result = code_import.import_codes(desk, product, lines, batch=batch, cost_fen=cost_fen)
    return result.changes, result


class DeleteCodesDialog(OpDialog):
    """What deleting the selected codes affects (stock before and after, the low-stock warning,
    codes that cannot be deleted), then delete."""

    def __init__(self, parent: QWidget | None, ctx: DeskContext, ids: list[int]) -> None:
        super().__init__(parent, ctx)
        self.ids = ids
        self.preview = code_service.delete_preview(ctx.desk, ids)
        self.setWindowTitle(self.tr("删除卡密"))
        self.ok_button.setText(self.tr("删除 {n} 个").format(n=len(self.preview.deletable)))
        lines = [self.tr("将删除 {n} 个卡密，删除后无法恢复。", "", len(self.preview.deletable)).format(n=len(self.preview.deletable))]
        for name, (before, after) in self.preview.stock.items():
            lines.append(self.tr("{product}：可售 {before} → {after}").format(product=name, before=before, after=after))
        for name in self.preview.low_after:
            lines.append(self.tr("{product} 将降到低库存提醒数").format(product=name))
        for code_id, state in self.preview.refused:
            if code_id in self.preview.sold:
                lines.append(self.tr("卡密 {id}（{state}）曾发给买家，永远不能删除：它留在库中，同一卡密再导入时会被拒绝").format(
                    id=code_id, state=pick(state.zh, state.en)))
            else:
                lines.append(self.tr("卡密 {id} 已被未付款订单预留，不能删除：订单取消或超时后它回到可售").format(id=code_id))
        text = QLabel("\n".join(lines), self)
        text.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(440)
        self.revalidate()

    def problem(self) -> str | None:
        if self.preview.refused:
            return self.tr("请只选择从未发给买家的可售、锁定或作废卡密")
        return None

    async def perform(self) -> Any:
        return await self.ctx.op(code_service.delete_codes, self.ids, confirmed=True)

    @classmethod
    async def ask(cls, parent: QWidget | None, ctx: DeskContext, ids: list[int]) -> Any:
        return await cls.show_and_wait(parent, ctx, ids)


class ExportCodesDialog(OpDialog):
    """Export a product's available codes to CSV or XLSX; optionally lock them or mark them sold
    in the same step so the desk never sells them again."""

    def __init__(self, parent: QWidget | None, ctx: DeskContext, product: str) -> None:
        super().__init__(parent, ctx)
        self.product = product
        self.setWindowTitle(self.tr("导出卡密：{product}").format(product=product))
        self.ok_button.setText(self.tr("导出"))
        self.path = QLineEdit(self)
        self.path.setPlaceholderText(self.tr("保存为 .csv 或 .xlsx"))
        self.confirmed = ""  # a path the owner chose to replace in the save dialog
        browse = QPushButton(self.tr("选择…"), self)
        browse.setAutoDefault(False)
        browse.clicked.connect(self.choose_path)
        self.after = QButtonGroup(self)
        self.options: dict[str, QRadioButton] = {}
        for key, label in (("keep", self.tr("只导出（卡密仍可在本店售出）")),
                           ("lock", self.tr("导出并锁定（暂停在本店售出）")),
                           ("mark_sold", self.tr("导出并标记为已售出（在别处售卖，本店不再售出）"))):
            button = QRadioButton(label, self)
            self.after.addButton(button)
            self.options[key] = button
        self.options["lock"].setChecked(True)
        warning = QLabel(self.tr("导出的文件含有明文卡密，请妥善保管；导出会记入卡密日志。"), self)
        warning.setWordWrap(True)
        warning.setStyleSheet("color:#8a5a00;")
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        for button in self.options.values():
            layout.addWidget(button)
        layout.addWidget(warning)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(480)
        self.watch(self.path)
        self.revalidate()

    def choose_path(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, self.tr("导出卡密"), f"{self.product}.csv",
                                              self.tr("CSV (*.csv);;Excel (*.xlsx)"))
        if path:
            self.confirmed = path  # the save dialog asked before choosing an existing file
            self.path.setText(path)

    def choice(self) -> str:
        return next(key for key, button in self.options.items() if button.isChecked())

    def problem(self) -> str | None:
        return None if self.path.text().strip() else self.tr("请选择保存位置")

    async def perform(self) -> Any:
        text = self.path.text().strip()
        out, force = Path(text).expanduser(), bool(text) and text == self.confirmed
        return await needing_secrets(self, self.ctx, lambda: self.ctx.op(_export, self.product, out, self.choice(),
                                                                          force))

    @classmethod
    async def ask(cls, parent: QWidget | None, ctx: DeskContext, product: str) -> Any:
        return await cls.show_and_wait(parent, ctx, product)


def _export(desk: Any, product: str, out: Path, after: str, force: bool) -> Any:
    result = code_export.export_codes(desk, product, out, after=after, force=force)
    return result.changes, result
