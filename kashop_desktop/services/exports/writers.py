"""The two file formats an order list is exported to, each written as a stream.

* CSV: UTF-8 with a byte-order mark (Excel on Windows reads Chinese right only with it),
  CRLF line ends, every cell quoted where the csv module needs it; ids and formula-like text
  follow ``cells`` (``="..."``, a leading apostrophe).
* XLSX: XlsxWriter in ``constant_memory`` mode: each row goes to the sheet's XML as soon as
  the next one starts, so memory stays flat at any size (XlsxWriter docs, "Working with Memory
  and Performance"). Text and ids are string cells (never formulas, never numbers), money a
  number cell formatted ``0.00``, counts whole numbers. A sheet holds at most 1,048,576 rows
  (Excel's limit); a longer list goes on to 订单2, 订单3 ... each with the header row.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Protocol, TextIO

from .cells import COLUMNS

#: Rows of one XLSX sheet, the header included (Excel's limit).
XLSX_SHEET_ROWS = 1_048_576


class Writer(Protocol):
    def write(self, rows: list[list[Any]]) -> None: ...

    def close(self) -> None: ...


class CsvWriter:
    """CSV to an open text stream (a file opened ``utf-8-sig`` with ``newline=""``, or standard
    output) with ``header`` as its first row; rows come as cell texts already made safe
    (``cells.converters``). The caller closes the stream."""

    def __init__(self, stream: TextIO, header: list[str]) -> None:
        self._stream = stream
        self._csv = csv.writer(stream, lineterminator="\r\n")
        self._csv.writerow(header)

    def write(self, rows: list[list[Any]]) -> None:
        self._csv.writerows(rows)

    def close(self) -> None:
        self._stream.flush()


class XlsxWriter:
    """An XLSX workbook (XlsxWriter, constant memory) with ``header`` atop each sheet."""

    def __init__(self, path: Path, header: list[str], sheet_name: str) -> None:
        import xlsxwriter

        self._book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False,
                                                     "strings_to_formulas": False, "strings_to_urls": False})
        self._header = header
        self._sheet_name = sheet_name
        self._bold = self._book.add_format({"bold": True})
        self._money = self._book.add_format({"num_format": "0.00"})
        self._text = self._book.add_format({"num_format": "@"})
        self._sheets = 0
        self._row = XLSX_SHEET_ROWS
        self._kinds = [c.kind for c in COLUMNS]
        self._sheet: Any = None

    def _next_sheet(self) -> None:
        self._sheets += 1
        name = self._sheet_name if self._sheets == 1 else f"{self._sheet_name}{self._sheets}"
        sheet = self._book.add_worksheet(name)
        for col, (title, kind) in enumerate(zip(self._header, self._kinds, strict=True)):
            sheet.write_string(0, col, title, self._bold)
            width = 20 if kind in ("id", "time") else 12
            sheet.set_column(col, col, width, self._text if kind == "id" else None)
        sheet.freeze_panes(1, 0)
        self._sheet, self._row = sheet, 1

    def write(self, rows: list[list[Any]]) -> None:
        kinds, money = self._kinds, self._money
        for row in rows:
            if self._row >= XLSX_SHEET_ROWS:
                self._next_sheet()
            sheet, r = self._sheet, self._row
            string, number = sheet.write_string, sheet.write_number
            for col, (kind, value) in enumerate(zip(kinds, row, strict=True)):
                if value is None or value == "":
                    continue
                if isinstance(value, str):
                    string(r, col, value)  # a string cell: never a formula, never a number
                else:
                    number(r, col, value, money if kind == "money" else None)
            self._row += 1

    def close(self) -> None:
        if self._sheet is None:
            self._next_sheet()
        self._book.close()
