"""The two file formats an order list is exported to, each written as a stream of
``store.export_rows`` rows.

* CSV: UTF-8 with a byte-order mark (Excel on Windows reads Chinese right only with it),
  CRLF line ends, every cell quoted where the csv module needs it; ids and formula-like text
  follow ``cells`` (``="..."``, a leading apostrophe).
* XLSX: ``xlsx_stream``: the workbook XlsxWriter makes, its rows repeated in the shape it
  gives them, compressed while the next rows are made. Text and ids are string cells (never
  formulas, never numbers), money a number cell formatted ``0.00``, counts whole numbers. A
  sheet holds at most 1,048,576 rows (Excel's limit); a longer list goes on to 订单2, 订单3 ...
  each with the header row.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TextIO

from .xlsx_stream import SHEET_ROWS, XlsxStreamWriter

__all__ = ["XLSX_SHEET_ROWS", "CsvWriter", "Writer", "XlsxStreamWriter"]

#: Rows of one XLSX sheet, the header included (Excel's limit).
XLSX_SHEET_ROWS = SHEET_ROWS


class Writer(Protocol):
    def write(self, rows: Sequence[tuple[Any, ...]]) -> None: ...

    def close(self) -> None: ...

    def abort(self) -> None: ...


class CsvWriter:
    """CSV to an open text stream (a file opened ``utf-8-sig`` with ``newline=""``, or standard
    output) with ``header`` as its first row; ``make`` turns a stored row into its cell texts,
    already made safe (``cells.row_maker``). The caller closes the stream."""

    def __init__(self, stream: TextIO, header: list[str], make: Callable[[tuple[Any, ...]], list[Any]]) -> None:
        self._stream = stream
        self._make = make
        self._csv = csv.writer(stream, lineterminator="\r\n")
        self._csv.writerow(header)

    def write(self, rows: Sequence[tuple[Any, ...]]) -> None:
        make = self._make
        self._csv.writerows([make(row) for row in rows])

    def close(self) -> None:
        self._stream.flush()

    def abort(self) -> None:
        """Nothing to stop: the caller removes what was written."""
