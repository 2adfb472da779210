"""The reports page and the export dialog, real widgets offscreen on the one qasync loop: the
page's table equals the service's report, the export writes the orders page's list (read back
with csv), and a cancelled export leaves no file."""

from __future__ import annotations

import asyncio
import csv
import os
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from kashop_desktop.domain.clock import SHOP_TZ
from kashop_desktop.gui.dialogs.export_orders import ExportDialog, describe_list
from kashop_desktop.gui.pages.reports import ReportsPage, yuan
from kashop_desktop.services import datagen, reports
from kashop_desktop.services.views import OrderFilter
from kashop_desktop.store import export_rows, queries
from tests.gui.test_dialogs import desk_context, qasync_loop, run

pytestmark = pytest.mark.gui
_aloop = pytest.fixture(qasync_loop, name="aloop")
_ctx = pytest.fixture(desk_context, name="ctx")
NOW = datetime(2026, 11, 18, 10, 0, tzinfo=SHOP_TZ)


@pytest.fixture
def shop(desk: Any) -> Any:
    datagen.load(desk, 1500, seed=2, now=NOW, years=0.5)
    return desk


def test_the_reports_page_shows_the_services_numbers(qtbot: Any, ctx: Any, shop: Any) -> None:
    page = ReportsPage(ctx)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.loads >= 1, timeout=5000)
    kind, start, end, by, split = page.choice()
    assert (kind, by, split) == ("sales", "day", None) and (end - start).days == 29
    expected = reports.report(shop, "sales", start, end, "day")
    last = page.table.rowCount() - 1
    assert page.table.rowCount() == len(expected.periods) + 1
    assert page.cell_text(last, 2) == yuan(expected.total.paid_fen)
    assert page.cell_text(last, 1) == f"{expected.total.orders:,}" and expected.total.orders > 0
    assert len(page.chart.heights) == len(expected.periods)
    loads = page.loads
    page.preset.setCurrentIndex(page.preset.findData("year"))
    page.kind.setCurrentIndex(page.kind.findData("refunds"))
    page.by.setCurrentIndex(page.by.findData("month"))
    page.split.setCurrentIndex(page.split.findData("product"))
    qtbot.waitUntil(lambda: page.loads > loads and page.report is not None and page.report.split == "product"
                    and page.report.by == "month" and page.report.kind == "refunds", timeout=5000)
    report = page.report
    assert report is not None and len(report.periods) > 1
    rows = [page.row_texts(i) for i in range(page.table.rowCount())]
    split_totals = [row[1] for row in rows if row[0] == "合计"]
    assert split_totals == [s.zh for s in report.splits] + ["全部"]  # each product's total, then the grand total
    per_period = [row for row in rows if row[0] != "合计"]
    assert {row[0] for row in per_period} <= {page.period_title(report, i) for i in range(len(report.periods))}
    assert len({row[0] for row in per_period}) > 1  # 按月 is honoured per product
    assert rows[-1][page.table.columnCount() - 5] == yuan(report.total.refunded_fen)
    assert sum(report.split_totals[s.key].refunded_fen for s in report.splits) == report.total.refunded_fen
    page.kind.setCurrentIndex(page.kind.findData("reasons"))
    qtbot.waitUntil(lambda: page.report is not None and page.report.kind == "reasons", timeout=5000)
    headers = [page.table.horizontalHeaderItem(j).text() for j in range(page.table.columnCount())]
    assert "超时未支付" in headers and "取消数" in headers


def test_the_export_dialog_writes_the_list_as_shown(qtbot: Any, ctx: Any, shop: Any, tmp_path: Path) -> None:
    flt = OrderFilter(status="completed", search="KS2026")
    dialog = ExportDialog(None, ctx, flt, describe_list(flt))
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.total is not None, timeout=5000)
    assert "导出订单列表：已完成，搜索：KS2026" in dialog.what.text()
    assert "预计用时约" in dialog.progress_label.text() and f"{dialog.total:,}" in dialog.what.text()
    out = tmp_path / "done.csv"
    dialog.path_edit.setText(str(out))
    assert dialog.ok_button.isEnabled() and dialog.ok_button.text() == "导出"
    assert run(qtbot, dialog.submit()) is True
    result = dialog.result_value
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))[1:]
    expected = [r[1] for r in queries.page(shop.db, flt, 10**6)]
    assert [r[0] for r in rows] == expected and result.rows == len(expected) == dialog.total > 0
    assert dialog.progress.value() == dialog.progress.maximum()
    dialog.xlsx_radio.setChecked(True)
    assert dialog.path_edit.text().endswith("done.xlsx")
    dialog.path_edit.setText(str(out))
    assert dialog.ok_button.text() == "覆盖并导出"


def test_a_typed_path_never_replaces_the_shop_or_a_file_unasked(qtbot: Any, ctx: Any, shop: Any,
                                                               tmp_path: Path) -> None:
    dialog = ExportDialog(None, ctx, OrderFilter(), describe_list(OrderFilter()))
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.total is not None, timeout=5000)
    store = shop.data_dir / "kashop.sqlite3"
    for inside in (store, shop.data_dir / "x.csv", shop.data_dir / "backups" / "x.xlsx"):
        dialog.path_edit.setText(str(inside))
        assert not dialog.ok_button.isEnabled() and "数据文件夹" in dialog.message.text()
        assert run(qtbot, dialog.submit()) is False
    dialog.replace_box.setChecked(True)  # no box makes the data folder writable
    dialog.path_edit.setText(str(store))
    assert not dialog.ok_button.isEnabled() and not dialog.replace_box.isVisibleTo(dialog)
    assert not (shop.data_dir / "x.csv").exists()
    earlier = tmp_path / "earlier.csv"
    earlier.write_text("the owner's earlier export", encoding="utf-8")
    dialog.replace_box.setChecked(False)
    dialog.path_edit.setText(str(earlier))
    assert dialog.replace_box.isVisibleTo(dialog) and not dialog.ok_button.isEnabled()
    assert "文件已存在" in dialog.message.text()
    dialog.replace_box.setChecked(True)
    assert dialog.ok_button.isEnabled() and dialog.ok_button.text() == "覆盖并导出"
    assert run(qtbot, dialog.submit()) is True
    assert earlier.read_text(encoding="utf-8-sig").startswith("订单号")


def test_a_refused_place_says_why_in_the_ui_language_and_empties_the_bar(qtbot: Any, ctx: Any, shop: Any,
                                                                        tmp_path: Path) -> None:
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o500)
    elif Path("/sys/kernel").is_dir():
        folder = Path("/sys")  # sysfs refuses a new file even to root
    else:
        pytest.skip("no folder here refuses root")
    dialog = ExportDialog(None, ctx, OrderFilter(), describe_list(OrderFilter()))
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.total is not None, timeout=5000)
    dialog.xlsx_radio.setChecked(True)
    dialog.path_edit.setText(str(folder / "x.xlsx"))
    assert run(qtbot, dialog.submit()) is False
    assert dialog.message.text().startswith("无法写入文件") and "Errno" not in dialog.message.text()
    assert dialog.progress.value() == 0 and "没有导出" in dialog.progress_label.text()
    assert not (folder / "x.xlsx").exists()


def test_cancel_stops_the_export_and_leaves_no_file(qtbot: Any, ctx: Any, shop: Any, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    pressed = threading.Event()
    real = export_rows.export_chunks

    def paused(db: Any, flt: Any, cancelled: Any = None, chunk: Any = None) -> Any:
        for i, rows in enumerate(real(db, flt, cancelled, 100)):
            yield rows
            if i == 0:
                pressed.wait(10)  # the owner presses 取消 while the export runs

    monkeypatch.setattr(export_rows, "export_chunks", paused)
    dialog = ExportDialog(None, ctx, OrderFilter(), describe_list(OrderFilter()))
    qtbot.addWidget(dialog)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    dialog.path_edit.setText(str(out_dir / "all.csv"))
    task = asyncio.ensure_future(dialog.submit())
    qtbot.waitUntil(lambda: dialog.progress.value() >= 100, timeout=5000)
    assert "剩余约" in dialog.progress_label.text() or "已导出" in dialog.progress_label.text()
    assert dialog.cancel_button.isEnabled() and not dialog.ok_button.isEnabled()  # 取消 stops it
    dialog.reject()  # 取消 while exporting stops the export, the dialog stays
    pressed.set()
    qtbot.waitUntil(task.done, timeout=5000)
    assert dialog.result_value is None and not dialog.exporting
    assert "已取消" in dialog.progress_label.text()
    assert list(out_dir.iterdir()) == []  # no file, no temporary part
