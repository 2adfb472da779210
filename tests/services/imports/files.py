"""Import files written byte for byte as Excel, WPS and web shops write them.

``write_xlsx`` builds the XLSX package by hand (not through openpyxl's writer) so a test
controls what Excel really stores: the 1904 date system, date-styled serials, formulas with
their cached values, numbers in id columns, and damage such as control characters in the XML.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

HEADER_ZH = "订单号,下单时间,商品,商品类型,实付金额,状态,支付时间,支付方式,交易号,买家"
PAID_ROW = "KS{n},2026-11-18 09:00,王者荣耀点券 60点,卡密,6.00,已支付,2026-11-18 09:01,支付宝,2026111822{n},1380013{n}"


def paid_row(n: int | str) -> str:
    return PAID_ROW.format(n=n)


def write_csv(path: Path, lines: list[str], encoding: str = "utf-8", newline: str = "\r\n") -> Path:
    """Lines joined as Excel does (CRLF by default), encoded."""
    path.write_bytes((newline.join(lines) + newline).encode(encoding))
    return path


@dataclass(frozen=True)
class Date:
    """A date cell: the serial Excel stores, styled with a date-time format."""

    moment: datetime


@dataclass(frozen=True)
class Day:
    """A date cell styled with a date-only format (Excel's built-in 14, yyyy/m/d)."""

    moment: datetime


@dataclass(frozen=True)
class Formula:
    """A formula cell and the value Excel cached for it when the file was saved."""

    formula: str
    cached: object


@dataclass(frozen=True)
class RawXml:
    """A cell's XML exactly as given (for damage)."""

    xml: str


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'styles" Target="styles.xml"/></Relationships>'
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="1"><numFmt numFmtId="176" formatCode="yyyy/m/d\\ h:mm;@"/></numFmts>'
    '<fonts count="1"><font><sz val="11"/><name val="等线"/></font></fonts>'
    '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
    '<borders count="1"><border/></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="176" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    "</styleSheet>"
)


def _column(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _cell(ref: str, value: object, epoch: datetime) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, RawXml):
        return value.xml.replace("{ref}", ref)
    if isinstance(value, Date):
        serial = (value.moment - epoch) / timedelta(days=1)
        return f'<c r="{ref}" s="1"><v>{serial!r}</v></c>'
    if isinstance(value, Day):
        serial = (value.moment - epoch) / timedelta(days=1)
        return f'<c r="{ref}" s="2"><v>{serial!r}</v></c>'
    if isinstance(value, Formula):
        cached = value.cached
        if isinstance(cached, str):
            return f'<c r="{ref}" t="str"><f>{escape(value.formula)}</f><v>{escape(cached)}</v></c>'
        return f'<c r="{ref}"><f>{escape(value.formula)}</f><v>{cached!r}</v></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    text = escape(str(value))
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def sheet_xml(rows: list[list[object]], *, date1904: bool = False) -> str:
    epoch = datetime(1904, 1, 1) if date1904 else datetime(1899, 12, 30)
    body = []
    for r, row in enumerate(rows, start=1):
        cells = "".join(_cell(f"{_column(c)}{r}", v, epoch) for c, v in enumerate(row))
        body.append(f'<row r="{r}">{cells}</row>')
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f'<sheetData>{"".join(body)}</sheetData></worksheet>')


def write_xlsx(path: Path, rows: list[list[object]], *, date1904: bool = False, sheet: str | None = None) -> Path:
    """An XLSX whose first sheet holds ``rows`` (``sheet`` replaces the sheet XML as given)."""
    props = ' date1904="1"' if date1904 else ""
    workbook = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f"<workbookPr{props}/>"
        '<sheets><sheet name="订单" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", _CONTENT_TYPES)
        package.writestr("_rels/.rels", _RELS)
        package.writestr("xl/workbook.xml", workbook)
        package.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        package.writestr("xl/styles.xml", _STYLES)
        package.writestr("xl/worksheets/sheet1.xml", sheet if sheet is not None else sheet_xml(rows, date1904=date1904))
    return path


def header_cells() -> list[object]:
    return list(HEADER_ZH.split(","))
