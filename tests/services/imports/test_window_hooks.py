"""What the window's import needs from the service: a cancel between chunks, a check that
writes nothing, the refused cell's value, a preview of the mapping, the child process."""

from __future__ import annotations

from pathlib import Path

import pytest

from kashop_desktop.services.desk import Desk
from kashop_desktop.services.imports import ImportFileError, Outcome, import_file
from kashop_desktop.services.imports.preview import estimate_rows, preview_file, write_problems_csv
from kashop_desktop.services.imports.process import ImportProcess
from kashop_desktop.services.maintenance import check
from kashop_desktop.store.models import Order, OrderEvent

from .files import HEADER_ZH, paid_row, write_csv, write_xlsx


def big_file(tmp_path: Path, rows: int, bad: tuple[int, ...] = ()) -> Path:
    lines = [paid_row(n).replace(",6.00,", ",12,34,") if n in bad else paid_row(n) for n in range(rows)]
    return write_csv(tmp_path / "o.csv", [HEADER_ZH, *lines])


def test_cancel_stops_between_chunks_and_keeps_whole_chunks(desk: Desk, tmp_path: Path) -> None:
    seen: list[int] = []
    report = import_file(desk, big_file(tmp_path, 250), chunk_rows=100, progress=lambda r: seen.append(r.committed_row),
                         cancel=lambda: len(seen) >= 2)
    assert report.cancelled and report.outcome is Outcome.PARTIAL
    assert (report.inserted, report.committed_row) == (200, 201)
    assert Order.select().count() == 200 and OrderEvent.select().where(OrderEvent.action == "imported").count() == 200 and check(desk).ok
    again = import_file(desk, tmp_path / "o.csv", chunk_rows=100)
    assert (again.inserted, again.unchanged, again.cancelled) == (50, 200, False)


def test_a_stop_counts_no_refused_row_of_the_chunk_not_written(desk: Desk, tmp_path: Path) -> None:
    """停止导入 between chunks: the rows refused in the chunk after the stop were checked but are
    not part of what was imported, so the summary does not list them."""
    seen: list[int] = []
    report = import_file(desk, big_file(tmp_path, 300, bad=(10, 150, 160, 250)), chunk_rows=100,
                         progress=lambda r: seen.append(r.committed_row), cancel=lambda: len(seen) >= 1)
    assert report.cancelled and report.inserted == 100  # a chunk is 100 accepted rows
    assert report.refused == 1 and [p.row for p in report.problems] == [12]
    assert report.rows == report.inserted + report.refused


def test_cancel_of_all_or_nothing_writes_nothing(desk: Desk, tmp_path: Path) -> None:
    seen: list[int] = []
    report = import_file(desk, big_file(tmp_path, 250), chunk_rows=100, all_or_nothing=True,
                         progress=lambda r: seen.append(r.rows), cancel=lambda: len(seen) >= 1)
    assert report.cancelled and report.rolled_back and report.outcome is Outcome.NOTHING
    assert seen and Order.select().count() == 0 and OrderEvent.select().count() == 0


def test_dry_run_reports_what_an_import_would_do_and_writes_nothing(desk: Desk, tmp_path: Path) -> None:
    path = big_file(tmp_path, 250, bad=(5, 180))
    checked = import_file(desk, path, chunk_rows=100, dry_run=True)
    assert checked.dry_run and (checked.inserted, checked.refused) == (248, 2)
    assert [(p.row, p.column) for p in checked.problems] == [(7, ""), (182, "")]  # 12,34: one cell too many
    assert checked.problems[0].value.startswith("KS5,2026-11-18 09:00,") and ",12,34," in checked.problems[0].value
    assert Order.select().count() == 0
    import_file(desk, path, chunk_rows=100)
    again = import_file(desk, path, chunk_rows=100, dry_run=True)
    assert (again.inserted, again.unchanged, again.refused) == (0, 248, 2)


def test_a_store_refusal_names_the_value(desk: Desk, tmp_path: Path) -> None:
    import_file(desk, write_csv(tmp_path / "a.csv", [HEADER_ZH, paid_row(1)]))
    changed = paid_row(1).replace(",6.00,", ",7.00,")
    report = import_file(desk, write_csv(tmp_path / "b.csv", [HEADER_ZH, changed]))
    assert [(p.row, p.column, p.value) for p in report.problems] == [(2, "paid_amount", "7.00")]


def test_preview_shows_the_mapping_first_rows_and_size(tmp_path: Path) -> None:
    path = big_file(tmp_path, 250)
    preview = preview_file(path)
    assert preview.kind == "csv" and preview.encoding == "utf-8" and preview.header_problem is None
    assert [(c.header, c.code) for c in preview.columns[:3]] == [("订单号", "order_no"), ("下单时间", "created_at"),
                                                                  ("商品", "product")]
    assert len(preview.rows) == 20 and preview.rows[0] == (2, paid_row(0).split(","))
    assert preview.estimated_rows == 250 and not preview.missing


def test_preview_shows_an_unknown_and_a_missing_column_without_raising(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "o.csv", ["订单号,下单时间,商品,商品类型,实收金额,状态", "KS1,2026-11-18 09:00,x,卡密,6,已支付"])
    preview = preview_file(path)
    assert [c.code for c in preview.columns] == ["order_no", "created_at", "product", "product_type", None, "status"]
    assert preview.missing == ["paid_amount"]
    assert preview.header_problem is not None and "实收金额" in preview.header_problem.zh


@pytest.mark.parametrize("content", [b"", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40])
def test_preview_refuses_a_file_that_is_not_a_table(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "photo.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFileError):
        preview_file(path)


def test_xlsx_rows_are_estimated_from_the_sheet(tmp_path: Path) -> None:
    rows = [HEADER_ZH.split(","), *[paid_row(n).split(",") for n in range(30)]]
    path = write_xlsx(tmp_path / "o.xlsx", rows)
    preview = preview_file(path)
    assert preview.kind == "xlsx" and len(preview.rows) == 20
    assert estimate_rows(path, "xlsx", None) in (None, 30)  # the sheet may not record its size


def test_refused_rows_are_written_as_a_csv_excel_opens(desk: Desk, tmp_path: Path) -> None:
    report = import_file(desk, big_file(tmp_path, 10, bad=(3,)))
    out = tmp_path / "refused.csv"
    assert write_problems_csv(desk.data_dir, out, report.problems) == 1
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0] == "行号 row,列 column,值 value,原因,reason"
    assert lines[1].startswith('5,,"KS3,2026-11-18 09:00,')


def test_the_child_process_imports_reports_progress_and_cancels(desk: Desk, tmp_path: Path) -> None:
    path = big_file(tmp_path, 3000)
    job = ImportProcess(desk.data_dir, path, chunk_rows=100)
    job.start()
    assert job.wait(120)
    report = job.result()
    assert report.inserted == 3000 and job.progress is not None and job.progress.committed_row == 3001
    assert Order.select().count() == 3000
    again = ImportProcess(desk.data_dir, path, chunk_rows=100)
    again.start()
    again.cancel()  # before its first chunk: nothing written, nothing left half-way
    assert again.wait(120)
    second = again.result()
    assert second.cancelled and second.written == 0


def test_the_child_process_reports_a_file_error_as_such(desk: Desk, tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    job = ImportProcess(desk.data_dir, path)
    job.start()
    assert job.wait(120)
    with pytest.raises(ImportFileError) as raised:
        job.result()
    assert raised.value.code == "import_empty"


OWN_HEADERS = ["订单号,下单时间,商品,商品类型,实收金额,状态,支付时间,备注", "KS1,2026-11-18 09:00,点券,卡密,6,已支付,2026-11-18 09:01,老客户"]


def test_the_owner_maps_an_unknown_column_and_skips_another(desk: Desk, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "own.csv", OWN_HEADERS)
    with pytest.raises(ImportFileError, match="实收金额"):
        import_file(desk, path)
    columns = {"实收金额": "paid_amount", "备注": ""}
    preview = preview_file(path, columns=columns)
    assert [c.code for c in preview.columns][4:] == ["paid_amount", "status", "paid_at", ""] and preview.header_problem is None
    report = import_file(desk, path, columns=columns)
    assert report.inserted == 1 and report.refused == 0  # 老客户 in the skipped column is not a problem
    assert desk.db.execute_sql("SELECT paid_fen FROM orders").fetchone()[0] == 600


def test_a_mapping_to_a_field_that_does_not_exist_is_refused(desk: Desk, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "own.csv", OWN_HEADERS)
    with pytest.raises(ImportFileError) as raised:
        import_file(desk, path, columns={"实收金额": "amount"})
    assert raised.value.code == "import_bad_mapping" and Order.select().count() == 0
    assert preview_file(path, columns={"实收金额": "amount"}).header_problem is not None


def test_the_preview_reads_the_first_rows_of_a_sheet_damaged_further_down(desk: Desk, tmp_path: Path) -> None:
    import zipfile

    rows = [HEADER_ZH.split(","), *[paid_row(n).split(",") for n in range(40)]]
    good = write_xlsx(tmp_path / "good.xlsx", rows)
    path = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                at = data.rindex(b"KS39")
                data = data[:at] + b"\x01" + data[at:]  # a control character: invalid XML at row 41
                at = data.index(b"<sheetData")  # the sheet's size, as Excel records it
                data = data[:at] + b'<dimension ref="A1:J41"/>' + data[at:]
            target.writestr(item, data)
    preview = preview_file(path)  # the first 20 rows only: the damage is found by the check
    assert len(preview.rows) == 20 and preview.header_problem is None
    with pytest.raises(ImportFileError) as raised:
        import_file(desk, path, dry_run=True)
    assert raised.value.code == "import_damaged" and Order.select().count() == 0
