"""Export a filtered order list (the orders page's tab, search, dates and sort) to CSV or XLSX.

``export_orders`` reads the list exactly as the page plans it (``store.export_rows``), a chunk
at a time, and streams it into a file written under a temporary name beside the target: only
a finished file is renamed into place, so a cancelled or failed export leaves no half file and
an existing file is replaced only once the new one is whole (and only when ``force``).
Memory is bounded by the chunk (5,000 rows) whatever the list's size.

Errors: ``DomainError`` ``export_exists`` (the target exists and ``force`` is not set),
``export_folder`` (its folder is missing), ``export_write`` (the disk refused: full, read-only,
no permission; the temporary file is removed); ``ExportCancelled`` when ``cancelled()`` turned
true (nothing written).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ...domain.errors import DomainError
from ...domain.roles import Right
from ...store import export_rows
from ...store.queries import OrderFilter
from ..desk import Desk
from .cells import headers, labels, row_maker
from .writers import CsvWriter, Writer, XlsxWriter

__all__ = ["FORMATS", "ExportCancelled", "ExportProgress", "ExportResult", "export_orders", "export_total"]

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


def _check_target(path: Path, force: bool) -> None:
    if not path.parent.is_dir():
        raise DomainError("export_folder", f"文件夹不存在：{path.parent}", f"no such folder: {path.parent}")
    if path.is_dir():
        raise DomainError("export_exists", f"{path} 是一个文件夹，请给出文件名", f"{path} is a folder: give a file name")
    if path.exists() and not force:
        raise DomainError("export_exists", f"文件已存在：{path}（覆盖请加 --force，或换一个文件名）",
                          f"the file exists: {path} (add --force to replace it, or choose another name)")


def export_orders(desk: Desk, flt: OrderFilter, path: Path, fmt: str, *, lang: str = "zh", force: bool = False,
                  progress: Callable[[ExportProgress], None] | None = None,
                  cancelled: Callable[[], bool] | None = None) -> ExportResult:
    """Write the list ``flt`` describes to ``path`` as ``fmt`` (``csv`` or ``xlsx``), headers
    and labels in ``lang``. ``progress`` is called after each chunk (on the calling thread);
    ``cancelled`` is asked between chunks. Needs the export right (clerk, owner: the list holds
    buyers' contacts): PermissionRefused. Raises as the module says."""
    desk.require(Right.EXPORT)
    path = Path(path)
    _check_target(path, force)
    partial = path.with_name(f".{path.name}.part-{os.getpid()}")
    started = time.monotonic()
    try:
        rows, received = _write(desk, flt, partial, fmt, lang, started, progress, cancelled)
        os.replace(partial, path)
    except OSError as exc:
        _remove(partial)
        raise DomainError("export_write", f"无法写入 {path}：{exc.strerror or exc}",
                          f"cannot write {path}: {exc.strerror or exc}") from exc
    except BaseException:
        _remove(partial)
        raise
    return ExportResult(path, fmt, rows, received, time.monotonic() - started)


def _write(desk: Desk, flt: OrderFilter, partial: Path, fmt: str, lang: str, started: float,
           progress: Callable[[ExportProgress], None] | None,
           cancelled: Callable[[], bool] | None) -> tuple[int, int]:
    total = export_total(desk, flt)
    make = row_maker(fmt, labels(lang, export_rows.gateway_names(desk.db)))
    writer: Writer = (XlsxWriter(partial, headers(lang), "订单" if lang != "en" else "Orders") if fmt == "xlsx"
                      else CsvWriter(partial, headers(lang)))
    rows = received = 0
    try:
        for chunk in export_rows.export_chunks(desk.db, flt, cancelled):
            cells = [make(row) for row in chunk]
            writer.write(cells)
            rows += len(cells)
            received += sum(row[export_rows.RECEIVED] or 0 for row in chunk)
            if progress is not None:
                progress(_progress(rows, max(total, rows), started))
        if cancelled is not None and cancelled():
            raise ExportCancelled
    finally:
        writer.close()
    return rows, received


def _progress(done: int, total: int, started: float) -> ExportProgress:
    elapsed = time.monotonic() - started
    left = elapsed * (total - done) / done if done else None
    return ExportProgress(done, total, elapsed, left)


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()
