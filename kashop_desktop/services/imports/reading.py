"""Reading an import file as a stream of rows: CSV/TSV text in any Unicode or GB encoding, or XLSX.

``open_table(path)`` looks at the file's bytes (not its name), checks everything that can be
checked before the first row is used (encoding over the whole file, the XLSX package and its
sheet's XML), and returns a ``Table`` whose rows are read one at a time. Problems found before
the first row raise ``ImportFileError``; damage met later (only possible in an XLSX whose
cells openpyxl cannot read) raises ``ImportFileError`` from the row iterator, with the row
number reached.
"""

from __future__ import annotations

import codecs
import csv
import logging
import re
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from typing import Any, BinaryIO
from xml.parsers import expat

import charset_normalizer

from ...domain.errors import DomainError
from .cells import NO_SAVED_VALUE, Cell

log = logging.getLogger(__name__)

_BLOCK = 1 << 20
_SAMPLE = 512 * 1024
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_GB_FAMILY = {"gb18030", "gbk", "gb2312", "cp936"}
_LANGUAGES = {"big5": ("繁体中文 Big5", "Traditional Chinese Big5"), "cp950": ("繁体中文 Big5", "Traditional Chinese Big5"),
              "big5hkscs": ("繁体中文 Big5", "Traditional Chinese Big5"),
              "shift_jis": ("日文 Shift-JIS", "Japanese Shift-JIS"), "cp932": ("日文 Shift-JIS", "Japanese Shift-JIS"),
              "euc_jp": ("日文 EUC-JP", "Japanese EUC-JP"), "euc_jis_2004": ("日文 EUC-JP", "Japanese EUC-JP"),
              "euc_kr": ("韩文 EUC-KR", "Korean EUC-KR"), "cp949": ("韩文 EUC-KR", "Korean EUC-KR")}
SAVE_AS_HINT_ZH = "请在 Excel/WPS 中另存为「CSV UTF-8」或 .xlsx 后再导入"
SAVE_AS_HINT_EN = "save it from Excel or WPS as 'CSV UTF-8' or .xlsx and import that"


#: (row number, cells); cells is None for a CSV row with a cell over MAX_CELL characters.
Row = tuple[int, list[Cell] | None]


class ImportFileError(DomainError):
    """The file as a whole cannot be imported (format, encoding, damage, headers)."""

    def __init__(self, code: str, zh: str, en: str, *, row: int | None = None) -> None:
        super().__init__(f"import_{code}", zh, en)
        self.row = row


def unreadable(path: Path, exc: OSError) -> ImportFileError:
    """The file cannot be opened: missing, a folder, not allowed, or the system's own reason."""
    if isinstance(exc, FileNotFoundError):
        return ImportFileError("not_found", f"找不到文件：{path}", f"no such file: {path}")
    if isinstance(exc, IsADirectoryError):
        return ImportFileError("not_a_file", f"{path} 是一个文件夹，不是文件：请给出要导入的 CSV、TSV 或 XLSX 文件",
                               f"{path} is a folder, not a file: give the CSV, TSV or XLSX file to import")
    if isinstance(exc, PermissionError):
        return ImportFileError("unreadable", f"没有读取该文件的权限：{path}", f"not allowed to read the file: {path}")
    return ImportFileError("unreadable", f"无法读取文件：{path}（{exc.strerror or exc}）",
                           f"cannot read the file: {path} ({exc.strerror or exc})")


@dataclass
class Table:
    """A file's rows, read lazily. ``rows`` yields (row number, cells); the header is row 1
    of the first non-blank row. ``date_epoch`` is the XLSX date system (None for text)."""

    kind: str  # "csv" or "xlsx"
    encoding: str | None
    date_epoch: datetime | None
    rows: Iterator[Row]
    #: About how many rows the file holds, header included (for progress; 0: unknown).
    estimated_rows: int = 0
    #: An XLSX's worksheets after the first that hold rows, as (name, rows as the sheet records
    #: them): only the first sheet is imported, and the import says so (``other_sheets_note``).
    other_sheets: tuple[tuple[str, int], ...] = ()

    def close(self) -> None:
        """Close the file even when its rows were not read to the end."""
        close = getattr(self.rows, "close", None)
        if close is not None:
            close()


def open_table(path: Path, *, whole: bool = True, encoding: str | None = None) -> Table:
    """Open ``path`` for reading rows; raises ImportFileError for a file that cannot be read.

    ``encoding`` (a Python codec name such as ``big5``; None: detected) reads a text file in the
    encoding the owner names, where detection is unsure or refuses it; the whole file must
    decode in it.

    ``whole=False`` (a preview of the first rows) leaves out the scan of an XLSX's whole sheet
    for damage and formulas without a saved value (seconds for a big sheet; the import itself
    always scans, so such a file is still refused before any row is written)."""
    try:
        with path.open("rb") as probe:
            head = probe.read(8)
    except OSError as exc:
        raise unreadable(path, exc) from None
    if not head:
        raise ImportFileError("empty", "文件是空的", "the file is empty")
    if head.startswith(_ZIP_MAGIC):
        return _open_xlsx(path, whole)
    if head.startswith(_OLE_MAGIC):
        raise ImportFileError("old_excel", f"这是旧的 .xls/.et 格式；{SAVE_AS_HINT_ZH}",
                              f"this is the old .xls/.et format; {SAVE_AS_HINT_EN}")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        raise ImportFileError("not_xlsx", "文件名是 .xlsx，但内容不是 Excel 工作簿（文件不完整或是改了扩展名的其他文件）",
                              "the name says .xlsx but the content is not an Excel workbook (an incomplete "
                              "download or another file renamed)")
    if encoding:
        encoding = _named_encoding(encoding)
        _decodes_whole(path, encoding)
    else:
        encoding = detect_encoding(path)
    return Table("csv", encoding, None, _csv_rows(path, encoding), estimate_lines(path))


def estimate_lines(path: Path) -> int:
    """About how many lines a text file has: its size over the mean length of its first lines."""
    size = path.stat().st_size
    with path.open("rb") as probe:
        head = probe.read(_BLOCK)
    lines = head.count(b"\n")
    if len(head) >= size or lines == 0:
        return lines + (0 if head.endswith(b"\n") or not head else 1)
    return round(size * lines / len(head))


# ---- text ---------------------------------------------------------------------------------------

def detect_encoding(path: Path) -> str:
    """The file's encoding: a BOM's, else UTF-8 if the whole file is valid UTF-8, else GB18030
    when the whole file decodes strictly as GB18030 into plausible Chinese (``_plausible_chinese``:
    a GBK file of one or two rows gives a statistical detector too little to go on), else GB18030
    when charset-normalizer finds GB text and the whole file decodes as GB18030.

    Raises ImportFileError naming what the file looks like (Big5, Shift-JIS, binary...).
    """
    with path.open("rb") as probe:
        head = probe.read(_SAMPLE)
    for bom, name in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                      (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                      (codecs.BOM_UTF16_BE, "utf-16")):
        if head.startswith(bom):
            _decodes_whole(path, name)
            return name
    bad = _first_bad_byte(path, "utf-8")
    if bad is None:
        _refuse_binary(head.decode("utf-8", errors="ignore"))
        return "utf-8"
    sample = _sample(path, head, bad)
    if _plausible_chinese(sample) and _first_bad_byte(path, "gb18030") is None:
        return "gb18030"  # a short GBK file gives charset-normalizer too little to go on
    found, others = _best_guess(sample)
    if found is None:
        raise ImportFileError("binary", f"这不是文本表格文件（像是二进制数据）；{SAVE_AS_HINT_ZH}",
                              f"this is not a text table (it looks like binary data); {SAVE_AS_HINT_EN}")
    if found in _GB_FAMILY:
        _decodes_whole(path, "gb18030")
        return "gb18030"
    zh, en = _LANGUAGES.get(found, (found, found))
    unsure = sorted({_LANGUAGES.get(o, (o, o)) for o in others if _LANGUAGES.get(o, (o, o))[0] != zh})
    if unsure:
        zh += f"（不确定，也可能是 {'、'.join(z for z, _ in unsure)}）"
        en += f" (not sure: it may also be {', '.join(e for _, e in unsure)})"
    raise ImportFileError("encoding", f"文件编码像是 {zh}；自动只识别 UTF-8 与 GBK/GB18030。{SAVE_AS_HINT_ZH}，"
                          f"或用 --encoding 指明编码（如 --encoding {found}）",
                          f"the file looks like {en}; only UTF-8 and GBK/GB18030 are recognised by themselves. "
                          f"{SAVE_AS_HINT_EN[0].upper() + SAVE_AS_HINT_EN[1:]}, or name the encoding with "
                          f"--encoding (e.g. --encoding {found})")


def _named_encoding(name: str) -> str:
    try:
        return codecs.lookup(name.strip()).name
    except LookupError:
        raise ImportFileError("bad_encoding", f"没有名为 {name} 的编码（例如 utf-8、gb18030、big5）",
                              f"no encoding named {name} (for example utf-8, gb18030, big5)") from None


#: How close (charset-normalizer's chaos, 0-1) a Chinese candidate must be to the best to be preferred.
_NEAR = 0.05
_BIG5 = frozenset({"big5", "cp950", "big5hkscs"})


def _best_guess(sample: bytes) -> tuple[str | None, list[str]]:
    """charset-normalizer's guess for ``sample``, preferring Big5 (Chinese) among the near-equal
    candidates when the best is not GB (on a short sample Big5 and Shift-JIS score alike; a
    near-equal GB candidate is never taken, lest a Japanese file be read as Chinese nonsense);
    returns the encoding (None: nothing fits) and the other near-equal candidates' names."""
    results = list(charset_normalizer.from_bytes(sample))
    if not results:
        return None, []
    best = min(results, key=lambda m: m.chaos)
    near = [m.encoding.lower() for m in results if m.chaos <= best.chaos + _NEAR]
    found = best.encoding.lower()
    big5 = [name for name in near if name in _BIG5]
    if found not in _GB_FAMILY and big5:
        found = big5[0]
    return found, [name for name in near if name != found]


def _sample(path: Path, head: bytes, bad: int) -> bytes:
    """The lines holding non-ASCII bytes, from the start and around the first byte that is not
    UTF-8: an export may be ASCII for megabytes before its first Chinese name, and ASCII lines
    only dilute what the detector sees."""
    window = b""
    if bad >= len(head):
        with path.open("rb") as source:
            source.seek(max(0, bad - _SAMPLE // 2))
            window = source.read(_SAMPLE)
            window = window[window.find(b"\n") + 1:] + (b"\n" if len(window) < _SAMPLE else b"")
    text = head + (b"\n" if len(head) < _SAMPLE else b"") + window
    # Whole lines only: a line cut off by the sample may end mid-character.
    lines = [line for line in text.splitlines(keepends=True)
             if not line.isascii() and line.endswith((b"\n", b"\r"))]
    return b"".join(lines)[:_SAMPLE] or head


def _plausible_chinese(sample: bytes) -> bool:
    """True when ``sample`` decodes strictly as GB18030 into text a Chinese shop writes: at least
    ``_CJK_SHARE`` of its non-ASCII characters are common simplified characters (GB2312 hanzi)
    or CJK punctuation and full-width forms. Big5 and Shift-JIS bytes read as GB18030 give
    mostly GBK-extension characters, kana or unassigned codes instead."""
    try:
        text = sample.decode("gb18030")
    except UnicodeDecodeError:
        return False
    wide = [c for c in text if c >= "\x80"]
    if not wide:
        return False
    good = sum(1 for c in wide if _common_chinese(c))
    return good >= _CJK_SHARE * len(wide)


_CJK_SHARE = 0.9


def _common_chinese(char: str) -> bool:
    code = ord(char)
    if 0x3000 <= code <= 0x303F or 0xFF01 <= code <= 0xFF5E or char in "￥·—…“”‘’":
        return True
    if not 0x4E00 <= code <= 0x9FFF:
        return False
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _first_bad_byte(path: Path, encoding: str) -> int | None:
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    with path.open("rb") as source:
        while block := source.read(_BLOCK):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                return offset + exc.start
            except UnicodeError:  # a decoder's own refusal: UTF-16 or UTF-32 without a byte-order mark
                return offset
            offset += len(block)
        try:
            decoder.decode(b"", final=True)
        except UnicodeError:
            return offset
    return None


def _decodes_whole(path: Path, encoding: str) -> None:
    bad = _first_bad_byte(path, encoding)
    if bad is not None:
        raise ImportFileError("encoding", f"文件在第 {bad} 字节处不是有效的 {encoding} 文本；{SAVE_AS_HINT_ZH}",
                              f"the file is not valid {encoding} text at byte {bad}; {SAVE_AS_HINT_EN}")


def _refuse_binary(sample: str) -> None:
    controls = sum(1 for c in sample[:65536] if c < " " and c not in "\t\r\n")
    if controls > 16 and controls * 20 > len(sample[:65536]):
        raise ImportFileError("binary", f"这不是文本表格文件（像是二进制数据）；{SAVE_AS_HINT_ZH}",
                              f"this is not a text table (it looks like binary data); {SAVE_AS_HINT_EN}")


#: The delimiters a text table may use: the comma of a CSV, the tab of Excel's "Unicode text"
#: (UTF-16) and of copied cells, the semicolon of a CSV saved where the comma is the decimal mark.
DELIMITERS = (",", "\t", ";")
_QUOTED = re.compile(r'"[^"]*"')


def _csv_rows(path: Path, encoding: str) -> Iterator[Row]:
    with path.open("r", encoding=encoding, newline="") as text:
        first = _first_filled_line(text)
        # The header line's most frequent of them outside quoted cells (a quoted "备注,说明" header
        # of a semicolon file holds commas); a tie (a one-column file) is a comma.
        bare = _QUOTED.sub("", first)
        delimiter = max(DELIMITERS, key=bare.count)
        text.seek(0)
        reader = csv.reader(text, delimiter=delimiter)
        number = line = 0
        while True:
            number += 1
            try:
                cells: list[Cell] | None = list(next(reader))
            except StopIteration:
                return
            except csv.Error:
                # With newline="" the only error the csv module raises is a cell over its limit
                # (MAX_CELL); the reader goes on with the next line.
                cells = None
            if cells is not None and reader.line_num - line > 1:
                _not_swallowed(cells, delimiter, number, reader.line_num - line - 1)
            line = reader.line_num
            yield number, cells


#: Lines looked at for the header line (the first holding more than blanks and delimiters).
_HEADER_SEARCH_LINES = 1000


def _first_filled_line(text: Any) -> str:
    """The first line of ``text`` holding more than blanks and delimiters (the header: blank
    lines or a row of empty cells above it are read past, as the import reads past them), or ""."""
    for _ in range(_HEADER_SEARCH_LINES):
        line = text.readline()
        if not line:
            return ""
        if line.strip("".join(DELIMITERS) + " \r\n\ufeff"):
            return str(line)
    return ""


def _not_swallowed(cells: list[Cell], delimiter: str, number: int, more_lines: int) -> None:
    """Raise ImportFileError (with the row) when a record that ran over several lines holds
    whole records in one cell: a cell opened with a quote that is never closed takes in every
    line after it (up to the next stray quote or the end of the file), and those rows would
    otherwise vanish without a word. A cell with line breaks of its own (Alt+Enter in Excel)
    rarely has half a record's delimiters on one of its lines."""
    enough = max(3, len(cells) // 2)
    for cell in cells:
        if isinstance(cell, str) and "\n" in cell and any(
                part.count(delimiter) >= enough for part in cell.splitlines()[1:]):
            raise ImportFileError(
                "unclosed_quote",
                f"第 {number} 行有个单元格以引号 \" 开头却没有闭合，把它后面的 {more_lines} 行都并进了这一个单元格；"
                "这些行没有导入：请在 Excel/WPS 或文本编辑器中去掉或补上那个引号，再导入",
                f"a cell of row {number} opens a quote (\") that is never closed, and it took in the {more_lines} "
                "lines after it as part of that one cell; those rows were not imported: remove the quote, or close "
                "it, in Excel, WPS or a text editor, and import again", row=number)


# ---- XLSX ---------------------------------------------------------------------------------------

def _open_xlsx(path: Path, whole: bool = True) -> Table:
    import openpyxl

    _check_package(path)
    # The file is opened here (not by openpyxl) so it is closed however loading fails.
    source = path.open("rb")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(source, read_only=True, data_only=True)
        if not book.worksheets:
            raise ImportFileError("no_sheet", "工作簿里没有工作表", "the workbook has no worksheet")
        sheet = book.worksheets[0]
        others = tuple((str(ws.title), int(getattr(ws, "max_row", 0) or 0)) for ws in book.worksheets[1:])
        unsaved = _check_sheet_xml(path, str(getattr(sheet, "_worksheet_path", ""))) if whole else frozenset()
        epoch = book.epoch
    except ImportFileError:
        source.close()
        raise
    except Exception as exc:  # openpyxl raises many kinds for a malformed package
        source.close()
        raise _damaged(exc) from None
    rows = _xlsx_rows(book, sheet, source, unsaved)
    return Table("xlsx", None, epoch, rows, int(getattr(sheet, "max_row", 0) or 0),
                 tuple((name, rows) for name, rows in others if rows > 1))  # more than a header or nothing


def other_sheets_note(sheets: tuple[tuple[str, int], ...], *, dry_run: bool = False) -> tuple[str, str] | None:
    """(zh, en) saying that an XLSX's other worksheets holding rows were not imported (``sheets``
    as ``Table.other_sheets``; with ``dry_run``: would not be), or None when there are none."""
    if not sheets:
        return None
    zh = "、".join(f"「{name}」（约 {rows:,} 行）" for name, rows in sheets)
    en = ", ".join(f"'{name}' (about {rows:,} rows)" for name, rows in sheets)
    if dry_run:
        return (f"导入只会读工作簿的第一个工作表；其他工作表不会导入：{zh}。请把每个工作表另存为单独的文件（或 CSV）再分别导入",
                f"an import reads only the workbook's first worksheet; its other worksheets would not be imported: "
                f"{en}. Save each worksheet as a file of its own (or as CSV) and import them one by one")
    return (f"只导入了工作簿的第一个工作表；其他工作表没有导入：{zh}。请把每个工作表另存为单独的文件（或 CSV）再分别导入",
            f"only the workbook's first worksheet was imported; its other worksheets were not: {en}. Save each "
            "worksheet as a file of its own (or as CSV) and import them one by one")


def _check_package(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as package:
            broken = package.testzip()
    except Exception as exc:  # BadZipFile, zlib.error, EOFError, NotImplementedError...
        raise _damaged(exc) from None
    if broken is not None:
        raise ImportFileError("damaged", f"XLSX 文件已损坏（{broken} 校验失败）；请在 Excel/WPS 中重新保存",
                              f"the XLSX file is damaged ({broken} fails its checksum); save it again in Excel or WPS")


def _check_sheet_xml(path: Path, member: str) -> frozenset[tuple[int, int]]:
    """Parse the sheet's XML once with expat, so a control character or a cut-off tag is found
    before any row is written (Excel itself refuses such a sheet). Returns the (row, column)
    of formula cells saved without a value (a workbook written by a program that does not
    calculate, or saved with calculation off), which openpyxl reads as empty."""
    if not member:
        return frozenset()
    parser = expat.ParserCreate()
    unsaved = _UnsavedFormulas()
    parser.StartElementHandler = unsaved.start
    parser.EndElementHandler = unsaved.end
    parser.CharacterDataHandler = unsaved.text
    parser.buffer_text = True
    try:
        with zipfile.ZipFile(path) as package, package.open(member.lstrip("/")) as sheet_xml:
            while block := sheet_xml.read(_BLOCK):
                parser.Parse(block, False)
            parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise ImportFileError("damaged", f"工作表内容已损坏（第 {exc.lineno} 行 XML 无效：{expat.ErrorString(exc.code)}）；"
                              "请在 Excel/WPS 中打开并重新保存",
                              f"the worksheet is damaged (invalid XML at line {exc.lineno}: "
                              f"{expat.ErrorString(exc.code)}); open it in Excel or WPS and save it again") from None
    except (KeyError, OSError, zipfile.BadZipFile) as exc:
        raise _damaged(exc) from None
    return frozenset(unsaved.found)


_REF = re.compile(r"^\$?([A-Z]{1,3})\$?([0-9]+)$")


class _UnsavedFormulas:
    """expat handlers noting ``<c r="B7"><f>...</f></c>`` cells that have no ``<v>``, or an
    empty one (``<v/>``, ``<v></v>``: what some writers save for a formula they did not calculate)."""

    def __init__(self) -> None:
        self.found: set[tuple[int, int]] = set()
        self._ref: str | None = None
        self._formula = self._value = self._in_value = False

    def start(self, name: str, attrs: dict[str, str]) -> None:
        tag = name.rsplit(":", 1)[-1]
        if tag == "c":
            self._ref, self._formula, self._value = attrs.get("r"), False, False
        elif tag == "f":
            self._formula = True
        elif tag == "v":
            self._in_value = True
        elif tag == "is":
            self._value = True

    def text(self, data: str) -> None:
        if self._in_value and data:
            self._value = True

    def end(self, name: str) -> None:
        tag = name.rsplit(":", 1)[-1]
        if tag == "v":
            self._in_value = False
        if tag != "c" or not self._formula or self._value or not self._ref:
            return
        match = _REF.match(self._ref)
        if match:
            column = 0
            for letter in match.group(1):
                column = column * 26 + ord(letter) - 64
            self.found.add((int(match.group(2)), column))


def _xlsx_rows(book: Any, sheet: Any, source: BinaryIO, unsaved: frozenset[tuple[int, int]]) -> Iterator[Row]:
    number = 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            date_only = _date_only_styles(book)
            for cells in sheet.iter_rows():
                number += 1
                values = [_cell_value(cell, date_only) for cell in cells]
                if unsaved:
                    values = [NO_SAVED_VALUE if (v is None or v == "") and (getattr(c, "row", 0), getattr(c, "column", 0))
                              in unsaved else v for c, v in zip(cells, values, strict=True)]
                yield number, values
    except ImportFileError:
        raise
    except Exception as exc:  # a cell openpyxl cannot read: the file is damaged from here on
        raise _damaged(exc, row=number + 1) from None
    finally:
        book.close()
        source.close()


def _cell_value(cell: Any, date_only: frozenset[int]) -> Cell:
    """A cell's value; a date cell whose format shows no time of day is a ``date`` (openpyxl
    gives it as midnight), so a date-time column refuses it as a CSV's ``2026-11-18`` is."""
    value: Cell = cell.value
    if isinstance(value, datetime) and getattr(cell, "_style_id", 0) in date_only and value.time() == time():
        return value.date()
    return value


_LITERALS = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')


def _date_only_styles(book: Any) -> frozenset[int]:
    """Style ids of the workbook whose number format is a date with no hour, minute or second."""
    from openpyxl.styles.numbers import BUILTIN_FORMATS, BUILTIN_FORMATS_MAX_SIZE, is_date_format

    found: set[int] = set()
    for style_id, style in enumerate(getattr(book, "_cell_styles", [])):
        try:
            fmt_id = int(style.numFmtId)
            fmt = BUILTIN_FORMATS.get(fmt_id, "General") if fmt_id < BUILTIN_FORMATS_MAX_SIZE \
                else book._number_formats[fmt_id - BUILTIN_FORMATS_MAX_SIZE]
        except (AttributeError, IndexError, TypeError, ValueError):
            continue
        if is_date_format(fmt) and not any(c in _LITERALS.sub("", str(fmt)).lower() for c in "hs"):
            found.add(style_id)
    return frozenset(found)


def _damaged(exc: BaseException, *, row: int | None = None) -> ImportFileError:
    # The library's own words (exception class, zip internals) go to the log, not to the owner.
    log.info("XLSX unreadable%s: %r", f" at row {row}" if row else "", exc)
    where_zh = f"（第 {row} 行）" if row else ""
    where_en = f" (at row {row})" if row else ""
    return ImportFileError("damaged", f"XLSX 文件已损坏或不是 Excel 工作簿{where_zh}；请在 Excel/WPS 中打开并重新保存",
                           f"the XLSX file is damaged or not an Excel workbook{where_en}; open it in Excel or WPS "
                           "and save it again", row=row)
