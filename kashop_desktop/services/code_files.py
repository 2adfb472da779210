"""Reading a 卡密 file (.txt, .csv, .xlsx) into lines for the import, with the orders import's
reader (services.imports.reading): the file's kind by its bytes, the encoding detected over the
whole file by the same rules (UTF-8, UTF-16/32 with BOM, GBK/GB18030; Big5 and Shift-JIS refused
unless named with ``encoding``; binary refused), comma and tab files read with the csv module
(quotes removed), and an XLSX's first sheet with its cells' types.

A cell that cannot be a code is kept as a marked line so the preview names the line and the
real reason (a number Excel may have cut, TRUE/FALSE, an Excel error such as #N/A, a formula
saved without a value, a date), never silently dropped or imported as text. ``="…"`` and a
leading apostrophe (how a CSV keeps Excel from changing a value) are unwrapped. The desk's own
export (id, code, password, batch) is recognised by its header and read back as code + password.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from pathlib import Path

from ..domain.codes import canonical
from ..domain.errors import DomainError
from .imports.cells import EXCEL_ERRORS, NO_SAVED_VALUE, Cell, unwrap_excel_text
from .imports.reading import open_table

#: Marks a line built from a cell that cannot be a code: MARK + kind + ":" (a noncharacter,
#: never in a real code).
MARK = "\ufffe"
NUMBER, BOOL, ERROR, FORMULA, DATE, LONG = "number", "bool", "error", "formula", "date", "long"
#: The words a header line is made of (split at ----, tabs, commas and spaces, lower case).
HEADER_WORDS = frozenset({"卡密", "卡号", "密码", "卡號", "密碼", "code", "codes", "card", "card_no", "cardno", "no",
                          "no.", "password", "pwd", "pass", "卡号/卡密", "id", "批次", "batch", "序号"})
#: Words a header line must hold at least one of (id / batch alone are not a header).
_CODE_WORDS = HEADER_WORDS - {"no", "no.", "id", "批次", "batch", "序号"}
_WORD_SPLIT = re.compile(r"----|[\t,，\s]+")
EXPORT_HEADER = ("id", "卡号/卡密 code", "密码 password", "批次 batch")


def file_empty(name: str) -> DomainError:
    return DomainError("codes_file_empty", f"{name} 里没有卡密（文件为空，或工作簿的第一个工作表是空的）",
                       f"{name} holds no codes (the file is empty, or the workbook's first sheet is)")


def read_code_file(path: Path, encoding: str | None = None) -> list[str]:
    """The lines of a code file, one per row (cells joined by a tab). Raises DomainError:
    the orders reader's ImportFileError (import_unreadable, import_empty, import_binary,
    import_encoding, import_old_excel, import_not_xlsx ...) and codes_file_empty."""
    table = open_table(path, encoding=encoding)
    lines: list[str] = []
    export = False
    try:
        for number, cells in table.rows:
            if cells is None:
                lines.append(f"{MARK}{LONG}:")
                continue
            if number == 1 and tuple(str(c or "").strip() for c in cells[:4]) == EXPORT_HEADER:
                export = True
            lines.append(row_line(cells[1:3] if export else cells))
    finally:
        table.close()
    if not any(line.strip() for line in lines):
        raise file_empty(path.name)
    return lines


def row_line(cells: list[Cell]) -> str:
    """One row as a code line: its non-empty cells joined by a tab, or a marked line naming the
    first cell that cannot be a code."""
    parts: list[str] = []
    for value in cells:
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        marked = _marked(value)
        if marked is not None:  # the cells before it stay, so the owner sees which row it is
            return "\t".join([*parts, marked])
        parts.append(unwrap_excel_text(str(value).strip()))
    return "\t".join(parts)


def _marked(value: Cell) -> str | None:
    if isinstance(value, bool):
        return f"{MARK}{BOOL}:{'TRUE' if value else 'FALSE'}"
    if isinstance(value, int | float):
        return f"{MARK}{NUMBER}:{value}"
    if isinstance(value, datetime | date | time | timedelta):
        return f"{MARK}{DATE}:{value}"
    text = str(value)
    if text == NO_SAVED_VALUE:
        return f"{MARK}{FORMULA}:"
    if text.strip().upper() in EXCEL_ERRORS:
        return f"{MARK}{ERROR}:{text.strip()}"
    return None


def is_header(line: str) -> bool:
    """Whether a line is a column header (卡号 / 密码 / 卡密 / card / password ...), at the top
    or repeated mid-file, not a code. Cheap for a code line: its first word decides."""
    text = line.strip().lower()
    if not text or len(text) > 80:
        return False
    if not text.isascii():
        text = canonical(text).lower()
    words = [w for w in _WORD_SPLIT.split(text) if w]
    if not words or words[0] not in HEADER_WORDS:
        return False
    return all(w in HEADER_WORDS for w in words) and any(w in _CODE_WORDS for w in words)


def cell_problem(line_no: int, raw: str) -> tuple[int, str, str] | None:
    """(line, zh, en) for a line holding a marked cell, naming the cell's real problem; None for
    other lines."""
    at = raw.find(MARK)
    if at < 0:
        return None
    kind, _, shown = raw[at + len(MARK):].partition(":")
    text = {
        NUMBER: (f"第 {line_no} 行是数字单元格（{shown}）：Excel 只保留 15 位并去掉开头的 0，请把该列设为文本后重新录入",
                 f"line {line_no} is a number cell ({shown}): Excel keeps 15 digits and drops leading zeros; format "
                 "the column as Text and enter the codes again"),
        BOOL: (f"第 {line_no} 行是逻辑值 {shown}：Excel 把文字 true/false 变成了逻辑值，原来的卡密已丢失；请把该列设为文本后重新录入",
               f"line {line_no} is the logical value {shown}: Excel turned the text true/false into a logical value "
               "and the code is lost; format the column as Text and enter it again"),
        ERROR: (f"第 {line_no} 行是 Excel 错误值 {shown}，不是卡密；请修正该单元格",
                f"line {line_no} is the Excel error {shown}, not a code; correct the cell"),
        FORMULA: (f"第 {line_no} 行是没有保存值的公式（文件保存时未计算）；请在 Excel/WPS 中打开，重新计算并保存",
                  f"line {line_no} is a formula without a saved value (the file was saved without calculating); "
                  "open it in Excel or WPS, recalculate and save it"),
        DATE: (f"第 {line_no} 行是日期单元格（{shown}）：Excel 把卡密当成了日期；请把该列设为文本后重新录入",
               f"line {line_no} is a date cell ({shown}): Excel took the code for a date; format the column as Text "
               "and enter it again"),
        LONG: (f"第 {line_no} 行的单元格太长，不是卡密", f"line {line_no} holds a cell far too long to be a code"),
    }.get(kind, (f"第 {line_no} 行无法读取", f"line {line_no} cannot be read"))
    return line_no, text[0], text[1]
