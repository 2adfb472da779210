"""File > 导入订单 in the window: the preview with its mapping and problems, an import in a child
process that refreshes the list, a cancel that keeps whole chunks, a second import that changes
nothing and says so, files that are not tables refused with a message. A real store, a real
child process, real widgets (offscreen)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from kashop_desktop.gui.dialogs.import_orders import PREVIEW, PROGRESS, SUMMARY, ImportDialog
from kashop_desktop.gui.qt import QApplication, QSettings
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.imports import import_file
from kashop_desktop.store.models import Order, OrderEvent
from tests.gui.test_dialogs import desk_context, qasync_loop, run
from tests.services.imports.files import HEADER_ZH, paid_row, write_csv, write_xlsx

pytestmark = pytest.mark.gui

_aloop = pytest.fixture(qasync_loop, name="aloop")
_ctx = pytest.fixture(desk_context, name="ctx")
WAIT_MS = 60_000  # a spawned child imports the desk's modules first; the machine may be busy


def orders_file(tmp_path: Path, rows: int, bad: dict[int, str] | None = None) -> Path:
    lines = [(bad or {}).get(n, paid_row(n)) for n in range(rows)]
    return write_csv(tmp_path / "orders.csv", [HEADER_ZH, *lines])


def open_dialog(qtbot: Any, ctx: Any, path: Path, chunk_rows: int | None = None) -> ImportDialog:
    dialog = ImportDialog(None, ctx, path, chunk_rows=chunk_rows)
    qtbot.addWidget(dialog)
    dialog.show()
    run(qtbot, dialog.load(path))
    return dialog


def cells(table: Any, row: int) -> list[str]:
    return [table.item(row, column).text() for column in range(table.columnCount())]


def test_the_preview_shows_the_mapping_and_every_problem_before_importing(qtbot: Any, ctx: Any,
                                                                          tmp_path: Path) -> None:
    bad = {1: paid_row(1).replace(",6.00,", ",,"), 3: paid_row(3).replace("2026-11-18 09:00", "2026-11-18")}
    dialog = open_dialog(qtbot, ctx, orders_file(tmp_path, 5, bad))
    header = dialog.rows_table.horizontalHeaderItem(4).text()
    assert header == "实付金额\n→ 实付金额" and dialog.rows_table.rowCount() == 5
    assert dialog.rows_table.verticalHeaderItem(0).text() == "2"  # Excel's row numbers
    qtbot.waitUntil(lambda: dialog.checked is not None, timeout=WAIT_MS)
    problems = dialog.check_problems
    assert problems.rowCount() == 2
    assert cells(problems, 0) == ["3", "实付金额", "", "不能为空"]
    row, column, value, reason = cells(problems, 1)
    assert (row, column, value) == ("5", "下单时间", "2026-11-18") and "没有时刻" in reason
    assert "可新增 3 行" in dialog.check_label.text() and "有问题 2 行" in dialog.check_label.text()
    assert dialog.import_button.isEnabled() and Order.select().count() == 0  # checking wrote nothing


def test_an_unknown_column_is_shown_and_the_import_is_not_offered(qtbot: Any, ctx: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "o.csv", ["订单号,下单时间,商品,商品类型,实收金额,状态",
                                          "KS1,2026-11-18 09:00,x,卡密,6,已支付"])
    dialog = open_dialog(qtbot, ctx, path)
    assert dialog.rows_table.horizontalHeaderItem(4).text() == "实收金额\n→ 不认识"
    assert dialog.banner.isVisibleTo(dialog) and "实收金额" in dialog.banner.text()
    assert "缺少必需的列：实付金额" in dialog.banner.text()
    assert not dialog.import_button.isEnabled() and dialog.job is None


def test_a_good_import_adds_the_rows_and_the_list_shows_them(qtbot: Any, ctx: Any, tmp_path: Path) -> None:
    from kashop_desktop.gui.main_window import MainWindow

    window = MainWindow(ctx, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    page = window.orders_page
    assert page.empty_state.isVisibleTo(page) and page.tab_count(None) == 0
    qtbot.waitUntil(lambda: window.store_watch.version is not None, timeout=WAIT_MS)
    seen = window.store_watch.version  # before the import
    task = asyncio.ensure_future(window.import_orders(orders_file(tmp_path, 40)))
    qtbot.waitUntil(lambda: _dialog() is not None and _dialog().checked is not None, timeout=WAIT_MS)
    dialog = _dialog()
    dialog.import_button.click()
    assert dialog.pages.currentIndex() == PROGRESS
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == SUMMARY, timeout=WAIT_MS)
    assert dialog.summary_title.text() == "导入完成。"
    assert "新增 40 行" in dialog.summary_counts.text() and not dialog.export_button.isVisibleTo(dialog)
    assert Order.select().count() == 40
    qtbot.waitUntil(lambda: page.tab_count(None) == 40 and page.model.rowCount() == 40)
    assert not page.empty_state.isVisibleTo(page)
    assert "新增 40 行" in window.statusBar().currentMessage()
    # The store watch sees the import's commits as another connection's; the status bar does
    # not say another program changed the data (it was this window's import).
    qtbot.waitUntil(lambda: window.store_watch.version != seen, timeout=WAIT_MS)
    qtbot.wait(100)
    assert "新增 40 行" in window.statusBar().currentMessage() and "其他程序" not in window.statusBar().currentMessage()
    dialog.done_button.click()
    qtbot.waitUntil(task.done)
    assert task.result().inserted == 40


def test_cancel_stops_between_chunks_and_says_how_far_it_got(qtbot: Any, ctx: Any, tmp_path: Path) -> None:
    dialog = open_dialog(qtbot, ctx, orders_file(tmp_path, 10_000), chunk_rows=50)
    dialog.start_import()
    qtbot.waitUntil(lambda: dialog.job is not None and dialog.job.progress is not None, timeout=WAIT_MS)
    assert "已处理" in dialog.progress_label.text() and dialog.progress_bar.maximum() == 10_000
    dialog.reject()  # Escape during an import stops it; the dialog stays for the summary
    assert dialog.isVisible() and not dialog.stop_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == SUMMARY, timeout=WAIT_MS)
    report = dialog.report
    assert report is not None and report.cancelled
    stored = Order.select().count()
    assert stored == report.written and 0 < stored < 10_000 and stored % 50 == 0  # whole chunks only
    assert OrderEvent.select().where(OrderEvent.action == "imported").count() == stored
    assert report.committed_row == stored + 1
    assert f"第 {stored + 1} 行" in dialog.summary_title.text() and "之后的行没有导入" in dialog.summary_title.text()


def test_a_second_import_of_the_same_file_imports_nothing_and_says_so(qtbot: Any, ctx: Any, desk: Desk,
                                                                      tmp_path: Path) -> None:
    path = orders_file(tmp_path, 30)
    import_file(desk, path)
    dialog = open_dialog(qtbot, ctx, path)
    qtbot.waitUntil(lambda: dialog.checked is not None, timeout=WAIT_MS)
    assert "30 行都已在订单台里" in dialog.banner.text() and not dialog.import_button.isEnabled()
    dialog.start_import()  # as if pressed before the check had finished
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == SUMMARY, timeout=WAIT_MS)
    assert dialog.summary_title.text().startswith("没有新内容：文件中的 30 行都已在订单台里")
    assert dialog.report is not None and (dialog.report.written, dialog.report.unchanged) == (0, 30)
    assert Order.select().count() == 30


@pytest.mark.parametrize(("name", "content", "words"), [
    ("photo.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40, "不是文本表格文件"),
    ("empty.csv", b"", "文件是空的"),
    ("book.xlsx", b"not a workbook at all", "不是 Excel 工作簿"),
])
def test_a_file_that_is_not_a_table_gets_a_message(qtbot: Any, ctx: Any, tmp_path: Path, name: str,
                                                   content: bytes, words: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    dialog = open_dialog(qtbot, ctx, path)
    assert dialog.pages.currentIndex() == PREVIEW
    assert dialog.banner.isVisibleTo(dialog) and words in dialog.banner.text()
    assert dialog.banner.text().startswith("这个文件不能导入：")
    assert not dialog.import_button.isEnabled() and dialog.job is None


def test_refused_rows_are_listed_and_exported_after_the_import(qtbot: Any, ctx: Any, tmp_path: Path) -> None:
    bad = {2: paid_row(2).replace(",6.00,", ",abc,")}
    dialog = open_dialog(qtbot, ctx, orders_file(tmp_path, 6, bad))
    dialog.start_import()
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == SUMMARY, timeout=WAIT_MS)
    assert dialog.summary_title.text().startswith("部分导入：1 行有问题被跳过")
    assert cells(dialog.summary_problems, 0)[:3] == ["4", "实付金额", "abc"]
    store = ctx.desk.data_dir / "kashop.sqlite3"
    kept = store.read_bytes()
    assert run(qtbot, dialog.export_refused(store)) is None  # never over the shop's own files
    assert "数据文件夹" in dialog.export_label.text() and store.read_bytes() == kept
    saved = run(qtbot, dialog.export_refused(tmp_path / "refused.csv"))
    assert saved is not None and "已保存 1 行" in dialog.export_label.text()
    assert saved.read_text(encoding="utf-8-sig").splitlines()[1].startswith("4,实付金额 paid_amount,abc,")
    assert Order.select().count() == 5


def test_all_or_nothing_with_a_bad_row_writes_nothing(qtbot: Any, ctx: Any, tmp_path: Path) -> None:
    bad = {2: paid_row(2).replace(",6.00,", ",abc,")}
    dialog = open_dialog(qtbot, ctx, orders_file(tmp_path, 6, bad))
    dialog.all_or_nothing.setChecked(True)
    dialog.start_import()
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == SUMMARY, timeout=WAIT_MS)
    assert dialog.summary_title.text().startswith("没有导入任何行：有 1 行有问题")
    assert Order.select().count() == 0


def _dialog() -> Any:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, ImportDialog) and widget.isVisible():
            return widget
    return None


def test_the_owner_picks_the_field_of_an_unknown_column_and_imports(qtbot: Any, ctx: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "o.csv", ["订单号,下单时间,商品,商品类型,实收金额,状态,支付时间,备注",
                                          "KS1,2026-11-18 09:00,x,卡密,6,已支付,2026-11-18 09:01,老客户"])
    dialog = open_dialog(qtbot, ctx, path)
    assert not dialog.import_button.isEnabled()
    menu = dialog.choose_field(4)
    assert menu is not None
    paid = next(a for a in menu.actions() if a.data() == "paid_amount")
    assert paid.text().startswith("实付金额") and "必需" in paid.text()
    paid.trigger()
    qtbot.waitUntil(lambda: dialog.preview is not None and dialog.preview.columns[4].code == "paid_amount",
                    timeout=WAIT_MS)
    assert dialog.rows_table.horizontalHeaderItem(4).text() == "实收金额\n→ 实付金额"
    assert "备注" in dialog.banner.text()  # still unknown
    skip = next(a for a in dialog.choose_field(7).actions() if a.data() == "")
    skip.trigger()
    qtbot.waitUntil(lambda: dialog.checked is not None, timeout=WAIT_MS)
    assert dialog.rows_table.horizontalHeaderItem(7).text() == "备注\n→ 不导入"
    assert dialog.banner.isHidden() and dialog.import_button.isEnabled()
    dialog.start_import()
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == SUMMARY, timeout=WAIT_MS)
    assert dialog.report is not None and dialog.report.inserted == 1 and Order.select().count() == 1


@pytest.mark.parametrize(("name", "encoding", "shown"), [
    ("bom.csv", "utf-8-sig", "CSV UTF-8 BOM"),
    ("gbk.csv", "gbk", "CSV GB18030"),
    ("excel.txt", "utf-16", "CSV UTF-16"),
    ("shop.xlsx", None, "XLSX"),
])
def test_every_format_the_command_line_reads_imports_from_the_window(qtbot: Any, ctx: Any, tmp_path: Path,
                                                                     name: str, encoding: str | None,
                                                                     shown: str) -> None:
    rows = [paid_row(n) for n in range(1, 8)]
    if encoding is None:
        path = write_xlsx(tmp_path / name, [HEADER_ZH.split(","), *(r.split(",") for r in rows)])
    else:
        lines = [HEADER_ZH, *rows]
        if name.endswith(".txt"):  # Excel's "Unicode text": tab-separated UTF-16 with a BOM
            lines = [line.replace(",", "\t") for line in lines]
        path = write_csv(tmp_path / name, lines, encoding=encoding)
    dialog = open_dialog(qtbot, ctx, path)
    assert shown in dialog.file_label.text() and dialog.rows_table.rowCount() == 7
    qtbot.waitUntil(lambda: dialog.checked is not None, timeout=WAIT_MS)
    assert "可新增 7 行" in dialog.check_label.text() and not dialog.check_problems.isVisibleTo(dialog)
    dialog.start_import()
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == SUMMARY, timeout=WAIT_MS)
    assert dialog.summary_title.text() == "导入完成。" and Order.select().count() == 7


def test_closing_the_window_mid_import_stops_the_child_and_leaves_whole_chunks(qtbot: Any, ctx: Any,
                                                                             desk: Desk, tmp_path: Path) -> None:
    from kashop_desktop.services.imports import CHUNK_ROWS
    from kashop_desktop.services.maintenance import check

    rows = 18_000  # four chunks, under the size that sets the orders table's upkeep aside
    task = asyncio.ensure_future(ImportDialog.ask(None, ctx, orders_file(tmp_path, rows)))
    qtbot.waitUntil(lambda: _dialog() is not None and _dialog().checked is not None, timeout=WAIT_MS)
    dialog = _dialog()
    dialog.start_import()
    qtbot.waitUntil(lambda: dialog.job is not None and dialog.job.progress is not None, timeout=WAIT_MS)
    job = dialog.job
    task.cancel()  # what closing the window does to the tasks it started
    qtbot.waitUntil(task.done)
    assert job._process is not None and not job._process.is_alive()
    stored = Order.select().count()
    assert stored % CHUNK_ROWS == 0 and 0 < stored < rows
    assert OrderEvent.select().where(OrderEvent.action == "imported").count() == stored and check(desk).ok


def test_a_workbook_with_more_sheets_says_which_are_not_imported(qtbot: Any, ctx: Any, tmp_path: Path) -> None:
    from tests.services.imports.test_other_sheets import workbook

    dialog = open_dialog(qtbot, ctx, workbook(tmp_path / "two.xlsx", {"订单": 4, "订单2": 6}))
    assert "其他工作表不会导入：「订单2」" in dialog.file_label.text()
    qtbot.waitUntil(lambda: dialog.checked is not None, timeout=WAIT_MS)
    dialog.import_button.click()
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == SUMMARY, timeout=WAIT_MS)
    assert "新增 4 行" in dialog.summary_counts.text()
    assert "「订单2」（约 7 行）" in dialog.summary_counts.text()
    assert dialog.summary_title.text().startswith("部分导入：只导入了第一个工作表")  # not "导入完成"


def test_the_saved_refused_rows_say_when_they_are_only_the_first(qtbot: Any, ctx: Any, tmp_path: Path) -> None:
    bad = {n: paid_row(n).replace(",6.00,", ",abc,") for n in range(2, 1007)}  # 1,005 refused rows
    dialog = open_dialog(qtbot, ctx, orders_file(tmp_path, 1010, bad))
    dialog.start_import()
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == SUMMARY, timeout=WAIT_MS)
    saved = run(qtbot, dialog.export_refused(tmp_path / "refused.csv"))
    assert saved is not None and len(saved.read_text(encoding="utf-8-sig").splitlines()) == 1 + 1000
    assert "已保存 1,000 行" in dialog.export_label.text() and "共 1,005 行被拒绝" in dialog.export_label.text()
