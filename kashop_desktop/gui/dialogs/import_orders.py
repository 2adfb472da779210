"""File > 导入订单: preview a file, see its problems, import it in the background, read the summary.

Three pages in one window-modal dialog:

1. **Preview**: the file's format, encoding and size; its first rows under two-line headers
   (the file's column, then the field the desk reads it as; unknown columns tinted); the
   missing required fields; then every row checked as the import would
   (``import_file(dry_run=True)`` in a child process) with the refused rows listed (row,
   column, value, reason) and what an import would do now. The owner chooses between
   importing the good rows and all-or-nothing.
2. **Progress**: the import runs in a child process (``services.imports.process``: the
   window's thread never waits on it nor shares the interpreter lock with it); rows done,
   time left; 停止导入 stops between two chunks, never half a chunk.
3. **Summary**: imported, updated, already there (unchanged), refused with reasons, exportable
   as CSV; the order list refreshes from the report's Changes.

No import rule lives here: reading, checking and writing are the import service's.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from ...domain.errors import DomainError
from ...services.changes import Changes
from ...services.imports import CHUNK_ROWS, ImportReport
from ...services.imports.preview import FilePreview, preview_file, write_problems_csv
from ...services.imports.process import ImportProcess
from ..context import DeskContext
from ..i18n import error_text, pick
from ..qt import (
    QButtonGroup,
    QDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPoint,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
)
from .import_parts import (
    choose_file,
    choose_save_file,
    field_label,
    field_menu,
    fill_preview,
    fill_problems,
    number,
    preview_table,
    problems_table,
    resolve,
    time_left,
)
from .import_summary import summary_counts, summary_title

POLL_MS = 100
BAD_STYLE = "QLabel{background:#fdecea;border:1px solid #e0a0a0;padding:6px;}"
GOOD_STYLE = "QLabel{background:#e8f5e9;border:1px solid #9ccc9c;padding:6px;}"
PREVIEW, PROGRESS, SUMMARY = range(3)


class ImportDialog(QDialog):
    """One file's import from preview to summary. ``report`` is the import's report once run."""

    def __init__(self, parent: QWidget | None, ctx: DeskContext, path: Path | None = None, *,
                 chunk_rows: int | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.path = path
        self.chunk_rows = chunk_rows
        self.preview: FilePreview | None = None
        self.columns: dict[str, str] = {}  # the owner's column choices: header text -> field ("" skip)
        self.checked: ImportReport | None = None
        self.report: ImportReport | None = None
        self.job: ImportProcess | None = None
        self.importing = False
        self._tasks: set[asyncio.Task[object]] = set()
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)
        self.setWindowTitle(self.tr("导入订单"))
        self.setSizeGripEnabled(True)
        layout = QVBoxLayout(self)
        self.pages = QStackedWidget(self)
        self.pages.addWidget(self._build_preview())
        self.pages.addWidget(self._build_progress())
        self.pages.addWidget(self._build_summary())
        layout.addWidget(self.pages, 1)
        self._fit_to_screen()

    # ---- building ----------------------------------------------------------------------------
    def _build_preview(self) -> QWidget:
        page = QWidget(self)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.file_label = QLabel(page)
        self.file_label.setWordWrap(True)
        self.file_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.other_file = QPushButton(self.tr("选择其他文件…"), page)
        self.other_file.clicked.connect(lambda: self._start(self._choose_other()))
        top.addWidget(self.file_label, 1)
        top.addWidget(self.other_file)
        layout.addLayout(top)
        self.banner = QLabel(page)
        self.banner.setWordWrap(True)
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner.hide()
        layout.addWidget(self.banner)
        self.splitter = QSplitter(Qt.Orientation.Vertical, page)
        self.rows_table = preview_table(page)
        self.rows_table.horizontalHeader().sectionClicked.connect(self.choose_field)
        self.splitter.addWidget(self._titled(
            self.tr("文件的前几行（表头下：订单台读作的字段；点列标题可以改）"), self.rows_table))
        checks = self.checks = QWidget(page)
        checks_layout = QVBoxLayout(checks)
        checks_layout.setContentsMargins(0, 0, 0, 0)
        self.check_label = QLabel(checks)
        self.check_label.setWordWrap(True)
        self.check_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.check_bar = QProgressBar(checks)
        self.check_bar.setMaximumHeight(12)
        self.check_bar.setTextVisible(False)
        self.check_problems = problems_table(checks)
        checks_layout.addWidget(self.check_label)
        checks_layout.addWidget(self.check_bar)
        checks_layout.addWidget(self.check_problems, 100)
        checks_layout.addStretch(1)  # no refused rows: the words stay at the top
        self.splitter.addWidget(checks)
        self.splitter.setChildrenCollapsible(False)
        layout.addWidget(self.splitter, 1)
        layout.addLayout(self._build_choice(page))
        return page

    def _titled(self, title: str, widget: QWidget) -> QWidget:
        box = QWidget(self)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        label = QLabel(title, box)
        label.setStyleSheet("font-weight: bold;")
        layout.addWidget(label)
        layout.addWidget(widget, 1)
        return box

    def _build_choice(self, page: QWidget) -> QHBoxLayout:
        row = QHBoxLayout()
        choice = QVBoxLayout()
        self.good_rows = QRadioButton(self.tr("导入没有问题的行（有问题的行跳过，并列在结果里）"), page)
        self.all_or_nothing = QRadioButton(self.tr("全部或全不：只要有一行有问题，就一行也不导入"), page)
        self.good_rows.setChecked(True)
        self.choice = QButtonGroup(page)
        for button in (self.good_rows, self.all_or_nothing):
            self.choice.addButton(button)
            choice.addWidget(button)
        row.addLayout(choice, 1)
        self.import_button = QPushButton(self.tr("导入"), page)
        self.import_button.setDefault(True)
        self.import_button.setEnabled(False)
        self.import_button.clicked.connect(self.start_import)
        self.close_preview = QPushButton(self.tr("关闭"), page)
        self.close_preview.clicked.connect(self.reject)
        row.addWidget(self.import_button, 0, Qt.AlignmentFlag.AlignBottom)
        row.addWidget(self.close_preview, 0, Qt.AlignmentFlag.AlignBottom)
        return row

    def _build_progress(self) -> QWidget:
        page = QWidget(self)
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        self.progress_title = QLabel(page)
        self.progress_title.setStyleSheet("font-size: 13pt; font-weight: bold;")
        self.progress_title.setWordWrap(True)
        self.progress_bar = QProgressBar(page)
        self.progress_label = QLabel(page)
        self.progress_label.setWordWrap(True)
        self.progress_hint = QLabel(self.tr("导入在单独的进程中进行，窗口保持响应。每批 5000 行一起写入："
                                            "停止时已写入的批次完整保留，正在处理的这一批不会写入。"), page)
        self.progress_hint.setWordWrap(True)
        self.progress_hint.setStyleSheet("color: #5b6670;")
        self.stop_button = QPushButton(self.tr("停止导入"), page)
        self.stop_button.clicked.connect(self.stop_import)
        for widget in (self.progress_title, self.progress_bar, self.progress_label, self.progress_hint):
            layout.addWidget(widget)
        layout.addStretch(2)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.stop_button)
        layout.addLayout(buttons)
        return page

    def _build_summary(self) -> QWidget:
        page = QWidget(self)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        self.summary_title = QLabel(page)
        self.summary_title.setWordWrap(True)
        self.summary_title.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.summary_counts = QLabel(page)
        self.summary_counts.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.summary_counts.setWordWrap(True)
        self.summary_counts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary_problems = problems_table(page)
        layout.addWidget(self.summary_title)
        layout.addWidget(self.summary_counts)
        layout.addWidget(self.summary_problems, 100)
        layout.addStretch(1)  # without refused rows the words stay at the top
        buttons = QHBoxLayout()
        self.export_button = QPushButton(self.tr("导出被拒绝的行（CSV）…"), page)
        self.export_button.clicked.connect(lambda: self._start(self.export_refused()))
        self.export_label = QLabel(page)
        self.export_label.setWordWrap(True)
        self.done_button = QPushButton(self.tr("关闭"), page)
        self.done_button.setDefault(True)
        self.done_button.clicked.connect(self.accept)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.export_label, 1)
        buttons.addWidget(self.done_button)
        layout.addLayout(buttons)
        return page

    def _fit_to_screen(self) -> None:
        screen = self.screen().availableGeometry() if self.screen() is not None else None
        width, height = 980, 640
        if screen is not None:
            width, height = min(width, screen.width() - 40), min(height, screen.height() - 60)
        self.resize(width, height)

    # ---- the preview ---------------------------------------------------------------------------
    async def load(self, path: Path, columns: dict[str, str] | None = None) -> None:
        """Show ``path``'s preview, then check every row in a child process. ``columns``: the
        owner's column choices (kept when the same file is loaded again after a choice)."""
        self._stop_job()
        if columns is None and path != self.path:
            self.columns = {}
        elif columns is not None:
            self.columns = dict(columns)
        self.path, self.preview, self.checked = path, None, None
        self.import_button.setEnabled(False)
        self.file_label.setText(self.tr("文件：{name}（正在读取…）").format(name=path.name))
        self.banner.hide()
        self.rows_table.setRowCount(0)
        self.rows_table.setColumnCount(0)
        self.check_problems.setRowCount(0)
        self.check_problems.show()
        self.check_label.setText("")
        self.check_bar.hide()
        self.checks.hide()
        try:
            preview = await asyncio.get_running_loop().run_in_executor(
                None, functools.partial(preview_file, path, columns=self.columns))
        except DomainError as exc:
            self._refuse_file(path, error_text(exc))
            return
        except OSError as exc:
            self._refuse_file(path, self.tr("无法读取文件：{error}").format(error=exc.strerror or str(exc)))
            return
        if self.path != path:
            return  # another file was chosen meanwhile
        self._show_preview(preview)

    def _refuse_file(self, path: Path, message: str) -> None:
        self.file_label.setText(self.tr("文件：{name}").format(name=path.name))
        self._show_contents(False)
        self._show_banner(self.tr("这个文件不能导入：{reason}").format(reason=message), BAD_STYLE)

    def _show_banner(self, text: str, style: str) -> None:
        self.banner.setText(text)
        self.banner.setStyleSheet(style)
        self.banner.show()

    def _show_contents(self, shown: bool) -> None:
        """The rows, the check and the choice: hidden for a file that is not a table."""
        for widget in (self.splitter, self.good_rows, self.all_or_nothing):
            widget.setVisible(shown)

    def _show_preview(self, preview: FilePreview) -> None:
        self.preview = preview
        self._show_contents(True)
        kind = "XLSX" if preview.kind == "xlsx" else (preview.encoding or "").upper().replace("-SIG", " BOM")
        size = (self.tr("约 {n} 行").format(n=number(preview.estimated_rows))
                if preview.estimated_rows is not None else self.tr("行数未知"))
        self.file_label.setText(self.tr("文件：{name}（{kind}，{size}）").format(
            name=preview.path.name, kind=kind if preview.kind == "xlsx" else "CSV " + kind, size=size))
        if preview.other_sheets:  # only the first worksheet is imported: say which others are left
            sheets = "、".join(f"「{name}」" for name, _ in preview.other_sheets)
            self.file_label.setText(self.file_label.text() + "\n" + self.tr(
                "只导入第一个工作表；其他工作表不会导入：{sheets}（请把它们另存为单独的文件再导入）").format(sheets=sheets))
        self.file_label.setToolTip(str(preview.path))
        fill_preview(self.rows_table, preview)
        if preview.header_problem is not None:
            missing = "、".join(field_label(code) for code in preview.missing)
            text = self.tr("表头不对，不能导入：{reason}").format(reason=error_text(preview.header_problem))
            if missing:
                text += "\n" + self.tr("缺少必需的列：{fields}").format(fields=missing)
            self._show_banner(text + "\n" + self.tr("点红色的列标题，选它对应的字段或「不导入这一列」；也可以在表格里改好表头后再选择文件。"),
                              BAD_STYLE)
            return
        self._begin_check(preview)

    def _begin_check(self, preview: FilePreview) -> None:
        self.checks.show()
        self.check_label.setText(self.tr("正在检查每一行（与导入相同的规则，不写入）…"))
        self._set_bar(self.check_bar, 0, preview.estimated_rows)
        self.check_bar.show()
        self.import_button.setEnabled(True)
        self._run_job(dry_run=True)

    # ---- the owner's column choices ------------------------------------------------------------
    def choose_field(self, position: int) -> QMenu | None:
        """A menu under a column title: the fields the import knows, and 不导入这一列."""
        if self.preview is None or self.importing or position >= len(self.preview.columns):
            return None
        match = self.preview.columns[position]
        menu = field_menu(self, match.code)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # one menu per click, gone once closed
        menu.triggered.connect(lambda action: self.set_field(match.header, action.data()))
        header = self.rows_table.horizontalHeader()
        menu.popup(header.mapToGlobal(QPoint(header.sectionViewportPosition(position), header.height())))
        return menu

    def set_field(self, header: str, code: str) -> None:
        """Read the column ``header`` as ``code`` ("" not to import it), then preview and check again."""
        if self.path is None:
            return
        columns = {**self.columns, header: code}
        self._start(self.load(self.path, columns))

    # ---- running a job in the child process ----------------------------------------------------
    def _run_job(self, *, dry_run: bool) -> None:
        assert self.path is not None
        self.job = ImportProcess(self.ctx.desk.data_dir, self.path, dry_run=dry_run, columns=self.columns,
                                 operator=self.ctx.desk.operator,
                                 all_or_nothing=not dry_run and self.all_or_nothing.isChecked(),
                                 chunk_rows=self.chunk_rows or CHUNK_ROWS)
        self.job.start()
        self._timer.start()

    def _poll(self) -> None:
        job = self.job
        if job is None:
            self._timer.stop()
            return
        finished = job.poll()
        if job.options["dry_run"]:
            self._show_check_progress(job)
        else:
            self.ctx.expect_own_writes()  # the store moves under the window: this import, not another program
            self._show_import_progress(job)
        if not finished:
            return
        self._timer.stop()
        self.job = None
        if job.options["dry_run"]:
            self._check_finished(job)
        else:
            self._import_finished(job)

    def _stop_job(self) -> None:
        if self.job is not None:
            self._timer.stop()
            self.job.kill()
            self.job = None

    def _set_bar(self, bar: QProgressBar, done: int, total: int | None) -> None:
        if total is None or total <= 0:
            bar.setRange(0, 0)  # busy: the size is unknown
            return
        bar.setRange(0, total)
        bar.setValue(min(done, total))

    def _show_check_progress(self, job: ImportProcess) -> None:
        if job.progress is not None and self.preview is not None:
            self._set_bar(self.check_bar, job.progress.rows, self.preview.estimated_rows)
            self.check_label.setText(self.tr("正在检查每一行（与导入相同的规则，不写入）… 已检查 {n} 行", "", job.progress.rows).format(
                n=number(job.progress.rows)))

    def _check_finished(self, job: ImportProcess) -> None:
        self.check_bar.hide()
        try:
            checked = job.result()
        except DomainError as exc:
            self.check_label.setText("")
            self.import_button.setEnabled(False)
            self._show_banner(self.tr("这个文件不能导入：{reason}").format(reason=error_text(exc)), BAD_STYLE)
            return
        self.checked = checked
        fill_problems(self.check_problems, checked.problems)
        self.check_problems.setVisible(bool(checked.problems))
        self.check_label.setText(self._check_text(checked))
        if checked.written == 0 and checked.refused == 0 and checked.stopped is None:
            self.import_button.setEnabled(False)
            self._show_banner(self.tr("文件中的 {n} 行都已在订单台里，内容相同：导入不会改动任何订单。", "", checked.unchanged).format(
                n=number(checked.unchanged)), GOOD_STYLE)

    def _check_text(self, checked: ImportReport) -> str:
        text = self.tr("检查完毕：{rows} 行中，可新增 {new} 行，可更新 {updated} 行，已存在且相同 {same} 行，有问题 {bad} 行。").format(
            rows=number(checked.rows), new=number(checked.inserted), updated=number(checked.updated),
            same=number(checked.unchanged), bad=number(checked.refused))
        if checked.refused > len(checked.problems):
            text += " " + self.tr("下面列出前 {n} 行。").format(n=number(len(checked.problems)))
        if checked.delivered or checked.backordered:
            text += "\n" + self.tr("已支付的卡密订单：按现在的库存，{d} 单会从库存发货，{b} 单会缺卡密、进入缺货待发。").format(
                d=number(checked.delivered), b=number(checked.backordered))
        if checked.held:
            text += "\n" + self.tr("{n} 个新订单属于黑名单买家，导入时会扣留待审。").format(n=number(checked.held))
        if checked.stopped is not None:
            text += "\n" + self.tr("文件在第 {row} 行之后无法读取：{reason}").format(
                row=checked.stopped.row, reason=pick(checked.stopped.zh, checked.stopped.en))
        if checked.refused:
            text += "\n" + self.tr("有问题的行：选「导入没有问题的行」会跳过它们；选「全部或全不」将一行也不导入。")
        return text

    # ---- the import ----------------------------------------------------------------------------
    def start_import(self) -> None:
        """Stop the check if it still runs, then import in a child process."""
        if self.path is None or self.importing:
            return
        self._stop_job()
        self.importing = True
        self.pages.setCurrentIndex(PROGRESS)
        self.progress_title.setText(self.tr("正在导入 {name}").format(name=self.path.name))
        self.progress_label.setText(self.tr("正在启动…"))
        self.stop_button.setEnabled(True)
        self.stop_button.setText(self.tr("停止导入"))
        self._set_bar(self.progress_bar, 0, self._expected_rows())
        self._run_job(dry_run=False)

    def _expected_rows(self) -> int | None:
        if self.checked is not None and self.checked.stopped is None:
            return self.checked.rows
        return self.preview.estimated_rows if self.preview is not None else None

    def stop_import(self) -> None:
        """Stop between two chunks: what is written stays whole, the rest is not written."""
        if self.job is None or self.job.cancel_requested:
            return
        self.job.cancel()
        self.stop_button.setEnabled(False)
        self.stop_button.setText(self.tr("正在停止…"))
        self.progress_label.setText(self.tr("正在停止：当前这一批不会写入，已写入的批次保留…"))

    def _show_import_progress(self, job: ImportProcess) -> None:
        progress = job.progress
        if progress is None or job.cancel_requested:
            return
        total = self._expected_rows()
        self._set_bar(self.progress_bar, progress.rows, total)
        if total:
            text = self.tr("已处理 {done} / {total} 行，已写入 {written} 行").format(
                done=number(progress.rows), total=number(total), written=number(progress.written))
            if progress.rows >= total:  # the last chunk is in; a big load rebuilds its indexes now
                text += self.tr("，正在收尾…")
            elif progress.seconds > 0 and progress.rows:
                left = (total - progress.rows) * progress.seconds / progress.rows
                text += self.tr("，") + time_left(max(0.0, left))
        else:
            text = self.tr("已处理 {done} 行，已写入 {written} 行").format(
                done=number(progress.rows), written=number(progress.written))
        self.progress_label.setText(text)

    def _import_finished(self, job: ImportProcess) -> None:
        self.importing = False
        try:
            report = job.result()
        except DomainError as exc:
            self._summary_error(exc)
            return
        self.report = report
        if report.written:
            self.ctx.changed.emit(report.changes)
            self.ctx.status_message.emit(self.tr("已从 {name} 导入：新增 {new} 行，更新 {updated} 行").format(
                name=job.path.name, new=number(report.inserted), updated=number(report.updated)))
        self._show_summary(report)

    # ---- the summary ---------------------------------------------------------------------------
    def _show_summary(self, report: ImportReport) -> None:
        title, style = summary_title(report)
        self.summary_title.setText(title)
        self.summary_title.setStyleSheet(style)
        self.summary_counts.setText(summary_counts(report))
        fill_problems(self.summary_problems, report.problems)
        self.summary_problems.setVisible(bool(report.problems))
        self.export_button.setVisible(bool(report.problems))
        self.pages.setCurrentIndex(SUMMARY)
        self.done_button.setFocus()

    def _summary_error(self, exc: DomainError) -> None:
        self.summary_title.setText(self.tr("导入没有完成：{reason}").format(reason=error_text(exc)))
        self.summary_title.setStyleSheet(BAD_STYLE)
        self.summary_counts.setText(self.tr("已写入的批次完整保留；再次导入同一文件即可继续（已导入的行计为未变）。"))
        self.summary_problems.hide()
        self.export_button.hide()
        self.pages.setCurrentIndex(SUMMARY)
        self.ctx.changed.emit(Changes(counts_changed=True))  # chunks before the error may be in

    async def export_refused(self, path: Path | None = None) -> Path | None:
        """Save the refused rows as CSV (``path`` given: no file dialog, for tests)."""
        if self.report is None or self.path is None:
            return None
        target = path or await choose_save_file(self, self.path.with_name(self.path.stem + "_refused.csv"))
        if target is None:
            return None
        # the save dialog asked before an existing file was chosen
        write = functools.partial(write_problems_csv, self.ctx.desk.data_dir, target, self.report.problems, force=True)
        try:
            count = await asyncio.get_running_loop().run_in_executor(None, write)
        except DomainError as exc:
            self.export_label.setText(self.tr("没有保存：{error}").format(error=error_text(exc)))
            return None
        saved = self.tr("已保存 {n} 行到 {path}", "", count).format(n=number(count), path=target)
        if self.report.refused > count:  # only the first refused rows are kept with the report
            saved += self.tr("（共 {total} 行被拒绝，这里是前 {n} 行：改好后再导入同一文件，即可看到其余的）").format(
                total=number(self.report.refused), n=number(count))
        self.export_label.setText(saved)
        return target

    # ---- closing --------------------------------------------------------------------------------
    async def _choose_other(self) -> None:
        chosen = await choose_file(self, str(self.path.parent) if self.path else "")
        if chosen is not None:
            await self.load(chosen)

    def _start(self, coro: Coroutine[Any, Any, object]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def reject(self) -> None:
        """Escape or the window's close button: during an import, stop it (the summary follows);
        otherwise close, ending a check that still runs (it writes nothing)."""
        if self.importing:
            self.stop_import()
            return
        self._stop_job()
        super().reject()

    def done(self, code: int) -> None:
        if self.importing:
            return
        self._stop_job()
        super().done(code)

    @classmethod
    async def ask(cls, parent: QWidget | None, ctx: DeskContext, path: Path | None = None) -> ImportReport | None:
        """Choose a file (unless given), preview, import; the import's report, or None."""
        if path is None:
            path = await choose_file(parent)
            if path is None:
                return None
        dialog = cls(parent, ctx, path)
        done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        dialog.finished.connect(lambda code: resolve(done, code))
        dialog.open()
        try:
            await dialog.load(path)
            await done
            return dialog.report
        finally:  # also when the window closes mid-import: the child stops, its open chunk rolls back
            dialog.importing = False
            dialog._stop_job()
            dialog.deleteLater()

