"""An order list to XLSX at a million rows in seconds: XlsxWriter makes the workbook, the rows
are repeated in the shape it gives them.

Why not XlsxWriter cell by cell: its constant-memory path turns each cell into XML through a
dozen Python calls (``write_string`` -> ``_write_single_row`` -> ``_write_cell`` ->
``_xml_inline_string``): about 100 µs a row of 19 cells on an idle core, 100 s for 1,000,000
rows (302 s measured at load 5), and the target is 30 s. openpyxl's write-only mode is
slower still (207 µs a row). So, as little of our own as that allows:

* **XlsxWriter writes the workbook** (``_skeleton``): styles, the workbook and its sheets'
  names, content types, each sheet's columns, frozen header and header row, and one *template
  row* of the 19 cells as it writes them (string cells ``t="inlineStr"``, the money format's
  style index, the text format's). The rows here repeat those cells' attributes exactly
  (``Shapes``, read from the template), so the sheet is what XlsxWriter would have written;
  its own escaping rules are repeated for text (``_text``: ``& < >``, control characters as
  ``_xHHHH_`` and a literal ``_xHHHH_`` as ``_x005F_xHHHH_``, ``xml:space="preserve"`` for
  outer blanks, the 32,767-character cell limit), numbers as ``%.16G`` as it writes them.
* **The rows** are made by one function compiled from ``cells.COLUMNS`` (``_row_function``):
  one expression per column, the cells whose values repeat down a list (products, states,
  money) made once per value; ~8 µs a row.
* **Compression** runs on a thread of its own while the next rows are made (zlib gives up
  the interpreter lock while it compresses), at level 1: about 4 µs a row instead of 12 at
  zlib's default, for a file about a third larger (ECMA-376 Part 2: a package part may use
  any deflate level).

A sheet's ``<dimension>`` (the rows it holds) comes before its rows, so the writer is told
how many rows the list has (``total``, counted in the same read snapshot as the rows); should
the rows come out otherwise (a store without that snapshot), the sheets are written again
with their true dimension at the end (``_redimension``). Tests read every row back with openpyxl.
"""

from __future__ import annotations

import concurrent.futures
import io
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .cells import COLUMNS, Labels, Memo, Times, converters

#: Rows of one sheet, the header included (Excel's limit).
SHEET_ROWS = 1_048_576
#: zlib level of the package's parts (1: fastest; XlsxWriter's default is zlib's 6).
ZIP_LEVEL = 1
#: Pieces of XML waiting for the compressing thread at most (bounds the memory).
PENDING = 4
#: Rows made into XML at a time: joining and encoding a piece hold the interpreter lock in one
#: go (1,000 rows: about 1 ms), so the window's thread never waits long for it.
PIECE = 1_000

_SPECIAL = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_|^\s|\s$")
_CONTROL = re.compile(r"([\x00-\x08\x0b-\x1f])")
_ESCAPED = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_CELL = re.compile(r'<c r="([A-Z]+)2"([^>]*)>(<is><t>x</t></is>|<v>1</v>)</c>')
_DIMENSION = re.compile(r'<dimension ref="[^"]*"/>')
_MAX_TEXT = 32_767  # characters of a cell (UTF-16 units), Excel's limit
_SAFE_LENGTH = _MAX_TEXT // 2  # shorter than this, no text can pass the limit


def _text(value: str) -> str:
    """``<t>value</t>`` for an inline string cell, escaped as XlsxWriter escapes it."""
    if not _SPECIAL.search(value) and len(value) < _SAFE_LENGTH:
        return "<t>" + value + "</t>"
    if len(value.encode("utf-16-le")) > 2 * _MAX_TEXT:
        value = value.encode("utf-16-le")[:2 * _MAX_TEXT].decode("utf-16-le", "ignore")
    value = _ESCAPED.sub(r"_x005F\1", value)
    value = _CONTROL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", value)
    value = value.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    preserve = ' xml:space="preserve"' if re.search(r"^\s", value) or re.search(r"\s$", value) else ""
    return f"<t{preserve}>{value}</t>"


@dataclass(frozen=True)
class Shapes:
    """What XlsxWriter wrote, cut where the rows go: each sheet's XML before its rows (the
    first sheet's, selected, and any other's; ``{dimension}`` where the dimension goes), the
    header row, the XML after the rows, and each column's cell attributes (letter, the text
    after ``r="..."``, whether it is a number cell)."""

    head_first: str
    head_other: str
    header_row: str
    tail: str
    cells: tuple[tuple[str, str, bool], ...]


def _skeleton(header: list[str], sheets: list[str]) -> io.BytesIO:
    """The workbook as XlsxWriter writes it, with ``sheets`` each holding the header row, and a
    template row on the first (text ``x`` and number 1 in each column's format)."""
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_numbers": False,
                                     "strings_to_formulas": False, "strings_to_urls": False})
    bold, money, text = (book.add_format({"bold": True}), book.add_format({"num_format": "0.00"}),
                         book.add_format({"num_format": "@"}))
    for index, name in enumerate(sheets):
        sheet = book.add_worksheet(name)
        for col, (title, column) in enumerate(zip(header, COLUMNS, strict=True)):
            sheet.write_string(0, col, title, bold)
            width = 20 if column.kind in ("id", "time") else 12
            sheet.set_column(col, col, width, text if column.kind == "id" else None)
        sheet.freeze_panes(1, 0)
        if index == 0:
            for col, column in enumerate(COLUMNS):
                if column.kind in ("money", "int"):
                    sheet.write_number(1, col, 1, money if column.kind == "money" else None)
                else:
                    sheet.write_string(1, col, "x")
    book.close()
    out.seek(0)
    return out


def _sheet_parts(xml: str) -> tuple[str, str, str, str]:
    """A sheet's XML as (head with ``{dimension}``, header row, the rows after it, tail)."""
    head, _, rest = xml.partition("<sheetData>")
    rows, _, tail = rest.partition("</sheetData>")
    header, _, after = rows.partition("</row>")
    head = _DIMENSION.sub("{dimension}", head.replace("{", "{{").replace("}", "}}"), count=1)
    return head + "<sheetData>", header + "</row>", after, "</sheetData>" + tail


def shapes(header: list[str], sheet_name: str) -> Shapes:
    """The shapes XlsxWriter gives this header's workbook (``Shapes``)."""
    with zipfile.ZipFile(_skeleton(header, [sheet_name, sheet_name + "2"])) as probe:
        first = probe.read("xl/worksheets/sheet1.xml").decode()
        other = probe.read("xl/worksheets/sheet2.xml").decode()
    head_first, header_row, template, tail = _sheet_parts(first)
    head_other = _sheet_parts(other)[0]
    cells = tuple((letter, '"' + attrs, inner.startswith("<v>")) for letter, attrs, inner in _CELL.findall(template))
    if len(cells) != len(COLUMNS) or "{dimension}" not in head_first:
        raise RuntimeError(f"XlsxWriter wrote an unexpected sheet: {template[:300]!r}")
    return Shapes(head_first, head_other, header_row, tail, cells)


def _row_function(shape: Shapes, names: Labels) -> Callable[[Sequence[tuple[Any, ...]], int], str]:
    """``rows_xml(rows, first)``: the ``<row>`` elements of ``store.export_rows`` rows numbered
    from ``first`` (1-based), compiled from ``COLUMNS``: per column one expression giving the
    cell, or nothing for an empty value (no cell, as XlsxWriter skips it). Measured on 76,000
    rows: 2x faster than a loop over the columns calling a function per cell."""
    scope: dict[str, Any] = {"_text": _text, "_SAFE": _SAFE_LENGTH}
    parts: list[str] = []
    for i, (column, convert, (letter, attrs, number)) in enumerate(
            zip(COLUMNS, converters("xlsx", names), shape.cells, strict=True)):
        value, cell = f"row[{column.source}]", f'<c r="{letter}{{rs}}{attrs}'
        if "'" in cell or "{" in attrs or "}" in attrs:
            raise RuntimeError(f"XlsxWriter wrote an unexpected cell: {cell!r}")
        if column.kind == "time":  # digits, dashes, colons and one blank: nothing to escape
            scope[f"c{i}"] = Times()
            parts.append(f"('' if (v := {value}) is None else f'{cell}><is><t>{{c{i}(v)}}</t></is></c>')")
        elif column.kind == "id":
            parts.append(f"('' if (v := {value}) is None or v == '' else f'{cell}><is>{{"
                         '"<t>" + v + "</t>" if v.__class__ is str and v.isalnum() and len(v) < _SAFE '
                         "else _text(str(v))}</is></c>')")
        else:  # a cell made once per distinct value: the text after the row number, or '' for none
            scope[f"c{i}"] = Memo(_repeated(convert, attrs, number))
            parts.append(f"(f'<c r=\"{letter}{{rs}}{{x}}' if (x := c{i}[{value}]) else '')")
    source = ("def rows_xml(rows, first):\n"
              "    out = []\n"
              "    for n, row in enumerate(rows, first):\n"
              "        rs = str(n)\n"
              f"        out.append(''.join((f'<row r=\"{{rs}}\">', {', '.join(parts)}, '</row>')))\n"
              "    return ''.join(out)\n")
    exec(compile(source, "<export rows>", "exec"), scope)  # made here from COLUMNS and the library's cells only
    made: Callable[[Sequence[tuple[Any, ...]], int], str] = scope["rows_xml"]
    return made


def _repeated(convert: Callable[[Any], Any], attrs: str, number: bool) -> Callable[[Any], str]:
    """A repeating column's cell after its row number, from the stored value ('' for none)."""
    def cell(value: Any) -> str:
        made = convert(value)
        if made is None or made == "":
            return ""
        if number:
            return f"{attrs}><v>{made:.16G}</v></c>"
        return f"{attrs}><is>{_text(made)}</is></c>"
    return cell


class XlsxStreamWriter:
    """The list to an XLSX file at ``path``: ``write`` takes ``store.export_rows`` rows in list
    order, ``close`` finishes the file (``abort`` leaves it unfinished, for the caller to remove).
    ``total``: the rows the list holds (each sheet's dimension is written from it); a longer
    list goes on to sheets ``{sheet_name}2``, ``3`` ... each with the header row."""

    def __init__(self, path: Path, header: list[str], sheet_name: str, names: Labels, total: int) -> None:
        self._header, self._sheet_name = header, sheet_name
        self._shape = shapes(header, sheet_name)
        self._rows_xml = _row_function(self._shape, names)
        self._expected = max(0, total)
        self._zip = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True, compresslevel=ZIP_LEVEL)
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="kashop-xlsx")
        self._pending: list[concurrent.futures.Future[None]] = []
        self._entry: Any = None
        self._written: list[int] = []  # rows (header included) of each sheet begun
        self._done = 0

    # ---- rows ----------------------------------------------------------------------------------
    def write(self, rows: Sequence[tuple[Any, ...]]) -> None:
        start = 0
        while start < len(rows):
            if not self._written or self._written[-1] >= SHEET_ROWS:
                self._next_sheet()
            room = SHEET_ROWS - self._written[-1]
            part = rows[start:start + min(room, PIECE)]
            xml = self._rows_xml(part, self._written[-1] + 1)
            self._written[-1] += len(part)
            self._done += len(part)
            start += len(part)
            self._send(xml.encode())

    def _next_sheet(self) -> None:
        if self._written:  # the sheet before is finished first (its entry is the compressing thread's)
            self._send(self._shape.tail.encode())
            self._send(None)
        index = len(self._written)
        rows_here = min(SHEET_ROWS - 1, max(0, self._expected - index * (SHEET_ROWS - 1)))
        head = self._shape.head_first if index == 0 else self._shape.head_other
        last = f"{self._shape.cells[-1][0]}{rows_here + 1}"
        dimension = f'<dimension ref="A1:{last}"/>'
        self._written.append(1)
        self._send(("open", f"xl/worksheets/sheet{index + 1}.xml"))
        self._send((head.format(dimension=dimension) + self._shape.header_row).encode())

    def _send(self, item: bytes | tuple[str, str] | None) -> None:
        """Hand one step to the compressing thread, in order: open an entry, bytes, close it."""
        while len(self._pending) >= PENDING:
            self._pending.pop(0).result()
        self._pending.append(self._pool.submit(self._step, item))

    def _step(self, item: bytes | tuple[str, str] | None) -> None:
        if isinstance(item, tuple):  # by name: the archive's compression and level (a ZipInfo's own is zlib's 6)
            self._entry = self._zip.open(item[1], "w", force_zip64=True)
        elif item is None:
            self._entry.close()
            self._entry = None
        else:
            self._entry.write(item)

    # ---- the end -------------------------------------------------------------------------------
    def close(self) -> None:
        """Finish the last sheet and write the workbook's other parts (XlsxWriter's); on a
        failure (the disk refused) the writer is aborted and the error raised."""
        try:
            self._finish()
        except BaseException:
            self.abort()
            raise

    def _finish(self) -> None:
        if not self._written:
            self._next_sheet()
        self._send(self._shape.tail.encode())
        self._send(None)
        self._drain()
        names = [self._sheet_name if i == 0 else f"{self._sheet_name}{i + 1}" for i in range(len(self._written))]
        with zipfile.ZipFile(_skeleton(self._header, names)) as skeleton:
            for info in skeleton.infolist():
                if not info.filename.startswith("xl/worksheets/sheet"):
                    self._zip.writestr(info, skeleton.read(info), compresslevel=ZIP_LEVEL)
        self._zip.close()
        if self._done != self._expected:
            _redimension(self._zip.filename, self._written, self._shape.cells[-1][0])

    def abort(self) -> None:
        """Stop: the compressing thread ends, the file is closed unfinished (for the caller to
        remove); a disk that refused meanwhile is not asked again."""
        for future in self._pending:
            future.cancel()
        self._pool.shutdown(wait=True)
        self._pending.clear()
        for closing in (self._entry, self._zip):
            try:
                if closing is not None:
                    closing.close()
            except (OSError, ValueError):  # the disk's refusal is already on its way up
                pass
        self._entry = None

    def _drain(self) -> None:
        for future in self._pending:
            future.result()
        self._pending.clear()
        self._pool.shutdown(wait=True)


def _redimension(path: Any, rows: list[int], last_column: str) -> None:
    """Write each sheet's true dimension (``rows``: per sheet, the header included), copying
    the package once: for a list whose rows came out other than counted."""
    source = Path(path)
    fixed = source.with_name(source.name + ".dim")
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED, allowZip64=True,
                                                          compresslevel=ZIP_LEVEL) as new:
        for info in old.infolist():
            match = re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", info.filename)
            if match is None:
                new.writestr(info, old.read(info))
                continue
            dimension = f'<dimension ref="A1:{last_column}{rows[int(match.group(1)) - 1]}"/>'
            with old.open(info) as part, new.open(info.filename, "w", force_zip64=True) as out:
                head = part.read(1 << 16).decode("utf-8", "surrogateescape")
                out.write(_DIMENSION.sub(dimension, head, count=1).encode("utf-8", "surrogateescape"))
                while block := part.read(1 << 20):
                    out.write(block)
    fixed.replace(source)
