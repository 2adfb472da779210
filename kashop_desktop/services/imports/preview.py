"""What the window shows before an import: the file's first rows, which file column became
which field, and about how many rows there are; and the refused rows saved as a CSV.

``preview_file`` reads only the header and the first rows (``open_table`` still checks the
encoding over the whole file, or the XLSX package, as the import does), so a file that cannot
be imported is refused here with the import's own ImportFileError. Header problems (an unknown,
missing or duplicate column) are not raised: the preview carries them beside the mapping, so
the owner sees which column is wrong. The rows themselves are checked by ``import_file(...,
dry_run=True)``.
"""

from __future__ import annotations

import codecs
import csv
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from .cells import Cell
from .reading import ImportFileError, Row, open_table
from .report import RowProblem
from .rows import (
    COLUMNS,
    NOT_IMPORTED,
    PENDING,
    REQUIRED,
    Header,
    check_columns,
    column_code,
    header_text,
    is_blank,
)

#: Data rows shown under the header.
PREVIEW_ROWS = 20
#: The longest cell text a preview keeps.
PREVIEW_CELL_CHARS = 80
_BLOCK = 1 << 20


@dataclass(frozen=True)
class ColumnMatch:
    """One header cell: its position (0-based), its text as the import reads it (the key of a
    column choice, ``import_file(columns=...)``), and the field it is read as
    (a ``COLUMNS`` code; None when the desk does not know it; "" for an empty header cell or a
    column the owner chose not to import)."""

    position: int
    header: str
    code: str | None


@dataclass
class FilePreview:
    """The header row's mapping and the first data rows, as text. ``header_problem`` is the
    import's refusal of the header (None when the import can go ahead); ``missing`` the
    required fields no column gives; ``estimated_rows`` about how many data rows the file has
    (lines of a text file, the sheet's recorded size for an XLSX; None when unknown)."""

    path: Path
    kind: str
    encoding: str | None
    header_row: int
    columns: list[ColumnMatch]
    missing: list[str]
    header_problem: ImportFileError | None
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    estimated_rows: int | None = None
    #: An XLSX's other worksheets holding rows, (name, rows): only the first is imported.
    other_sheets: tuple[tuple[str, int], ...] = ()


def preview_file(path: Path, rows: int = PREVIEW_ROWS, columns: Mapping[str, str] | None = None) -> FilePreview:
    """Read the header and up to ``rows`` non-blank data rows of ``path``; ``columns`` are the
    owner's column choices, as ``import_file`` takes them (a column not to import has code "").

    Raises ImportFileError for a file the import refuses whole before its header (unreadable,
    empty, binary, Big5/Shift-JIS, old .xls, damaged XLSX) or one with no header row.
    """
    table = open_table(path, whole=False)  # the check (a dry run of the import) reads it whole
    try:
        found = _header(iter(table.rows), rows)
    finally:
        table.close()
    if found is None:
        raise ImportFileError("no_header", "文件里没有表头行", "the file has no header row")
    header_row, cells, data = found
    problem: ImportFileError | None = None
    chosen: dict[str, str] = {}
    try:
        chosen = check_columns(columns)
        unknown = Header.read(cells, columns).unknown
        if unknown:  # the import skips them with a note; the window asks the owner about each
            problem = ImportFileError("unknown_columns", f"不认识的列：{', '.join(unknown)}",
                                      f"unknown columns: {', '.join(unknown)}")
    except ImportFileError as exc:
        problem = exc
    headers = [header_text(c) for c in cells]
    matches = [ColumnMatch(i, text, chosen[text] if text in chosen else (column_code(text) if text else ""))
               for i, text in enumerate(headers)]
    given = {c.code for c in matches}
    return FilePreview(path, table.kind, table.encoding, header_row, matches,
                       [code for code in REQUIRED if code not in given], problem, data,
                       estimate_rows(path, table.kind, table.encoding, header_row), table.other_sheets)


def _header(rows: Iterable[Row], limit: int) -> tuple[int, list[Cell], list[tuple[int, list[str]]]] | None:
    header: tuple[int, list[Cell]] | None = None
    data: list[tuple[int, list[str]]] = []
    for number, cells in rows:
        if header is None:
            if cells is None:
                return None
            if not is_blank(cells):
                header = (number, list(cells))
            continue
        if cells is None:
            data.append((number, []))
        elif not is_blank(cells):
            data.append((number, [_text(c) for c in cells]))
        if len(data) >= limit:
            break
    return None if header is None else (header[0], header[1], data)


def _text(cell: object) -> str:
    """A cell as the preview shows it: dates and times as Excel writes them, numbers plainly."""
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        text = cell.strftime("%Y-%m-%d %H:%M:%S")
    elif isinstance(cell, date):
        text = cell.strftime("%Y-%m-%d")
    elif isinstance(cell, float) and cell.is_integer() and abs(cell) < 1e15:
        text = str(int(cell))
    else:
        text = str(cell).replace("\x00", "")
    text = " ".join(text.split()) if ("\n" in text or "\r" in text) else text
    return text if len(text) <= PREVIEW_CELL_CHARS else text[:PREVIEW_CELL_CHARS - 1] + "…"


# ---- how many rows ----------------------------------------------------------------------------------

_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="[A-Z]+[0-9]+:[A-Z]+([0-9]+)"')


def estimate_rows(path: Path, kind: str, encoding: str | None, header_row: int = 1) -> int | None:
    """About how many data rows ``path`` has below the header: line breaks for text (a cell
    holding a line break makes it an over-estimate), the sheet's recorded dimension for an
    XLSX. None when it cannot tell. For progress and time left, never for counting."""
    try:
        if kind == "xlsx":
            last = _xlsx_last_row(path)
            return None if last is None else max(0, last - header_row)
        return max(0, _lines(path, encoding or "utf-8") - header_row)
    except (OSError, ValueError, zipfile.BadZipFile, KeyError):
        return None


def _lines(path: Path, encoding: str) -> int:
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    count, last = 0, ""
    with path.open("rb") as source:
        while block := source.read(_BLOCK):
            text = decoder.decode(block)
            count += text.count("\n")
            last = text[-1:] or last
    return count + (1 if last not in ("\n", "") else 0)


def _xlsx_last_row(path: Path) -> int | None:
    with zipfile.ZipFile(path) as package:
        names = package.namelist()
        sheet = _first_sheet(package, names)
        if sheet is None:
            return None
        with package.open(sheet) as xml:
            head = xml.read(4096)
    match = _DIMENSION.search(head)
    return int(match.group(1)) if match else None


def _first_sheet(package: zipfile.ZipFile, names: list[str]) -> str | None:
    """The first worksheet's member, as the workbook lists it (openpyxl reads that one too)."""
    try:
        book = package.read("xl/workbook.xml")
        rels = package.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return None
    first = re.search(rb'<(?:\w+:)?sheet\b[^>]*\br:id="([^"]+)"', book)
    if first is None:
        return None
    for rel in re.finditer(rb"<Relationship\b[^>]*>", rels):
        tag = rel.group(0)
        if re.search(rb'\bId="' + re.escape(first.group(1)) + rb'"', tag):
            target = re.search(rb'\bTarget="([^"]+)"', tag)
            if target is None:
                return None
            member = target.group(1).decode("utf-8").lstrip("/")
            member = member if member.startswith("xl/") else "xl/" + member
            return member if member in names else None
    return None


# ---- refused rows as a file ---------------------------------------------------------------------------

def column_names(code: str) -> tuple[str, str]:
    """A column code's Chinese header and English code, as the import format names them."""
    if code == PENDING:
        return NOT_IMPORTED[0], code
    names = COLUMNS.get(code)
    return (names[0], code) if names else (code, code)


def write_problems_csv(data_dir: Path, path: Path, problems: Iterable[RowProblem], *, force: bool = False) -> int:
    """Write refused rows (row, column, value, reason in Chinese and in English) to ``path`` as
    UTF-8 with a BOM (Excel and WPS open it with the Chinese intact). Returns the rows written.
    ``path`` must pass ``outfiles.check_output`` (never inside ``data_dir``; an existing file
    only with ``force``). Raises OutputRefused, DomainError(file_unwritable)."""
    from ..outfiles import check_output, write_atomically

    target = check_output(data_dir, path, force=force)
    count = 0

    def write(tmp: Path) -> None:
        nonlocal count
        with tmp.open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["行号 row", "列 column", "值 value", "原因", "reason"])
            for problem in problems:
                zh_name, code = column_names(problem.column) if problem.column else ("", "")
                column = f"{zh_name} {code}" if code and zh_name != code else code
                writer.writerow([problem.row, column, problem.value, problem.zh, problem.en])
                count += 1

    write_atomically(target, write, replace=force)
    return count
