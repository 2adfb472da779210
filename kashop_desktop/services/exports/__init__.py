"""Export a filtered order list (the orders page's tab, search, dates and sort) to CSV or XLSX.

``export_orders`` reads the list exactly as the page plans it (``store.export_rows``), a chunk
at a time, and streams it into a file written under a temporary name beside the target
(``outfiles.write_atomically``): only a finished file is put in place, so a cancelled or failed
export leaves no half file, and an existing file is replaced only once the new one is whole and
only when ``force``. Where it may write is ``outfiles.check_output``'s one rule: never inside the
data folder (the store, the vault, backups, logs), with or without ``force``. ``export_csv_to``
writes CSV to an open text stream (standard output, ``orders export -``).
Memory is bounded by the chunk (5,000 rows) whatever the list's size. The count (for the
progress and the XLSX sheets' dimensions) and the rows are read in one read snapshot.

Errors: ``PermissionRefused`` (the export right: clerk, owner), ``OutputRefused`` (output_in_data_folder, output_exists, output_is_folder,
output_not_file, output_folder_missing), ``DomainError`` ``file_unwritable`` (the disk refused:
full, read-only, no permission; the temporary file is removed); ``ExportCancelled`` when
``cancelled()`` turned true (nothing written).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from ...domain.roles import Right
from ...store import export_rows
from ...store.queries import OrderFilter
from ..desk import Desk
from ..outfiles import check_output, write_atomically
from .cells import Labels, headers, labels, row_maker
from .writers import CsvWriter, Writer, XlsxStreamWriter

__all__ = ["FORMATS", "ExportCancelled", "ExportProgress", "ExportResult", "export_csv_to", "export_orders",
           "export_total"]

FORMATS = ("csv", "xlsx")


class ExportCancelled(Exception):
    """The export was stopped by its caller; no file was left behind."""


@dataclass(frozen=True)
class ExportProgress:
    """Rows written of ``total``, seconds since the start, seconds left (None until known)."""

    done: int
    total: int
    elapsed: float
    left: float | None


@dataclass(frozen=True)
class ExportResult:
    """The finished file: its path, format, rows (header not counted), the sum of the money
    received over those rows (fen, the 实付金额 column) and the seconds it took."""

    path: Path
    format: str
    rows: int
    received_fen: int
    seconds: float


def export_total(desk: Desk, flt: OrderFilter) -> int:
    """The rows an export of ``flt`` will hold (the list's own count)."""
    return export_rows.export_total(desk.db, flt)


def format_for(path: Path, given: str | None) -> str:
    """The format asked for, or the one the file name says (``.xlsx``; anything else CSV)."""
    if given:
        return given
    return "xlsx" if path.suffix.lower() == ".xlsx" else "csv"


def export_orders(desk: Desk, flt: OrderFilter, path: Path, fmt: str, *, lang: str = "zh", force: bool = False,
                  progress: Callable[[ExportProgress], None] | None = None,
                  cancelled: Callable[[], bool] | None = None) -> ExportResult:
    """Write the list ``flt`` describes to ``path`` as ``fmt`` (``csv`` or ``xlsx``), headers
    and labels in ``lang``. ``progress`` is called after each chunk (on the calling thread);
    ``cancelled`` is asked between chunks. Needs the export right (clerk, owner: the list holds
    buyers' contacts): PermissionRefused. Raises as the module says."""
    desk.require(Right.EXPORT)
    target = check_output(desk.data_dir, Path(path), force=force)
    started = time.monotonic()
    counts: list[tuple[int, int]] = []

    def write(partial: Path) -> None:
        counts.append(_write(desk, flt, partial, fmt, lang, started, progress, cancelled))

    write_atomically(target, write, replace=force)
    rows, received = counts[0]
    return ExportResult(target, fmt, rows, received, time.monotonic() - started)


def export_csv_to(desk: Desk, flt: OrderFilter, stream: TextIO, *, lang: str = "zh") -> ExportResult:
    """Write the list ``flt`` describes to the open text ``stream`` as CSV (no byte-order mark:
    a pipe's reader is a program, not Excel). The result's ``path`` is ``-``. Needs the export
    right: PermissionRefused."""
    desk.require(Right.EXPORT)
    started = time.monotonic()

    def open_csv(total: int, names: Labels) -> Writer:
        return CsvWriter(stream, headers(lang), row_maker("csv", names))

    rows, received = _stream(desk, flt, open_csv, lang, started, None, None)
    return ExportResult(Path("-"), "csv", rows, received, time.monotonic() - started)


def _write(desk: Desk, flt: OrderFilter, partial: Path, fmt: str, lang: str, started: float,
           progress: Callable[[ExportProgress], None] | None,
           cancelled: Callable[[], bool] | None) -> tuple[int, int]:
    if fmt == "xlsx":
        partial.touch()  # a refusing disk says so now, before the workbook is begun

        def open_xlsx(total: int, names: Labels) -> Writer:
            return XlsxStreamWriter(partial, headers(lang), "订单" if lang != "en" else "Orders", names, total)

        return _stream(desk, flt, open_xlsx, lang, started, progress, cancelled)
    with partial.open("w", encoding="utf-8-sig", newline="") as file:

        def open_csv(total: int, names: Labels) -> Writer:
            return CsvWriter(file, headers(lang), row_maker("csv", names))

        return _stream(desk, flt, open_csv, lang, started, progress, cancelled)


def _stream(desk: Desk, flt: OrderFilter, open_writer: Callable[[int, Labels], Writer], lang: str, started: float,
            progress: Callable[[ExportProgress], None] | None,
            cancelled: Callable[[], bool] | None) -> tuple[int, int]:
    """The rows through the writer ``open_writer(total, labels)`` makes, the count and the rows
    from one read snapshot; the writer is closed when all went well, else aborted."""
    rows = received = 0
    with export_rows.snapshot(desk.db):
        total = export_total(desk, flt)
        writer = open_writer(total, labels(lang, export_rows.gateway_names(desk.db)))
        try:
            for chunk in export_rows.export_chunks(desk.db, flt, cancelled):
                writer.write(chunk)
                rows += len(chunk)
                received += sum(row[export_rows.RECEIVED] or 0 for row in chunk)
                if progress is not None:
                    progress(_progress(rows, max(total, rows), started))
            if cancelled is not None and cancelled():
                raise ExportCancelled
        except BaseException:
            writer.abort()
            raise
        writer.close()
    return rows, received


def _progress(done: int, total: int, started: float) -> ExportProgress:
    elapsed = time.monotonic() - started
    left = elapsed * (total - done) / done if done else None
    return ExportProgress(done, total, elapsed, left)
