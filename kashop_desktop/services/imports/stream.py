"""An import file's rows, checked on their own and packed chunk by chunk for writing.

``open_checked`` opens the file (``reading.open_table``), reads its header (``rows.Header``)
and returns the ``CheckedChunk`` stream: every row read, checked without the store
(``rows.RowReader``; an order no repeated in the file is refused here), and each accepted row
packed as one tuple of plain values in ``ROW_COLUMNS`` order, its buyer's canonical key
included. The same stream runs in the importing process or in a worker process beside it
(``pipeline``): a chunk of tuples crosses a process boundary in about a millisecond.

What checking found on the way (rows counted, blank rows, refused rows and the header-repeat
warnings, in file order) travels with the chunk that follows it and is replayed into the
report when that chunk is taken (``CheckedChunk.apply``), so the report reads exactly as when
each row was checked just before its chunk was written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any

from ..bulk import ORDER_COLUMNS
from .cells import TRUNCATED_EN, TRUNCATED_ZH, looks_truncated
from .reading import ImportFileError, Row, open_table
from .report import ImportReport, RowProblem
from .rows import PACKED_COLUMNS, PENDING, Header, RowError, RowReader, is_blank, shown_value

#: Order columns an imported row never sets (their defaults, ``bulk.DEFAULTS``): the writer's
#: INSERT writes them as SQL constants (``writing``), so a row neither carries nor binds them.
CONSTANT_COLUMNS = ("coupon_code", "coupon_returned", "points_refunded", "refund_pending_fen", "card_code",
                    "stock_reserved")


#: Order columns whose ids the writer finds for each row (``writing``): the product's from its
#: name, the buyer's from their canonical key. A checked row carries the name and the key.
LOOKED_UP_COLUMNS = ("product_id", "buyer_ref_id")
#: The columns a checked row holds, each once, in this order: the order columns an import sets,
#: but the looked-up ones. The writer's INSERT binds a row as it is, then the looked-up ids.
ROW_COLUMNS: tuple[str, ...] = tuple(c for c in ORDER_COLUMNS if c not in CONSTANT_COLUMNS + LOOKED_UP_COLUMNS)
# The short way of reading a row builds it in this order itself.
assert ROW_COLUMNS == PACKED_COLUMNS, "rows.PACKED_COLUMNS must follow bulk.ORDER_COLUMNS"
#: Position of each column in a checked row.
AT: dict[str, int] = {name: at for at, name in enumerate(ROW_COLUMNS)}
_PACK = itemgetter(*ROW_COLUMNS)
_ORDER_NO = AT["order_no"]
#: An order no the file gives again: only its first row is read.
REPEATED_ZH = ("文件中订单号重复：只导入它第一次出现的那一行。若这一行是更新的状态（两次导出拼进了一个文件），"
               "请把它另存为一个文件，在这次导入之后再导入")
REPEATED_EN = ("order no repeated in the file: only its first row is imported. If this row is a newer state (two "
               "exports pasted into one file), save it as a file of its own and import that after this one")


class RowView(Mapping[str, Any]):
    """A checked row read by column name, as the order dict ``rows.parse_row`` gives."""

    __slots__ = ("row",)

    def __init__(self, row: Sequence[Any]) -> None:
        self.row = row

    def __getitem__(self, key: str) -> Any:
        return self.row[AT[key]]

    def __iter__(self) -> Iterator[str]:
        return iter(ROW_COLUMNS)

    def __len__(self) -> int:
        return len(ROW_COLUMNS)


@dataclass
class CheckedChunk:
    """Rows that passed the file checks (``numbers`` as Excel shows them, ``rows`` in
    ``ROW_COLUMNS`` order, ``warnings`` as (index in the chunk, column, zh, en)) and what
    checking found since the chunk before: ``counted`` non-blank rows, ``blank`` rows,
    ``found`` report entries as (refused?, problem) in file order. ``error``: a file-level
    problem met after them. For an XLSX damaged part-way the rows read after the last whole
    chunk are not in ``rows``, as a chunk is written whole or not at all; for a second header
    of another column order (``rows.Header.reads_as_header``) the rows above it are, as they
    were read under the right header, and nothing after it is."""

    numbers: list[int] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    warnings: list[tuple[int, str, str, str]] = field(default_factory=list)
    counted: int = 0
    blank: int = 0
    found: list[tuple[bool, RowProblem]] = field(default_factory=list)
    error: tuple[str, str, str, int | None] | None = None  # ImportFileError's (code, zh, en, row)

    def apply(self, report: ImportReport) -> None:
        """Replay what checking found into ``report`` (the caller then writes ``rows`` and
        calls ``stop``)."""
        report.rows += self.counted
        report.blank += self.blank
        for refused, problem in self.found:
            if refused:
                report.refuse(problem)
            else:
                report.warn(problem)

    def stop(self) -> None:
        """Raise the file-level ``error`` (ImportFileError with its row), if any."""
        if self.error is not None:
            code, zh, en, row = self.error
            raise ImportFileError(code.removeprefix("import_"), zh, en, row=row)


@dataclass(frozen=True)
class Opened:
    """A file opened for import: about how many data rows it holds (0: unknown) and the
    header texts the desk does not know (not imported)."""

    estimated_rows: int
    unknown: tuple[str, ...]
    #: An XLSX's other worksheets holding rows (``reading.Table.other_sheets``): not imported.
    other_sheets: tuple[tuple[str, int], ...] = ()
    #: Whether the file is the desk's own export (it has the 退款中 column): its refunded amounts
    #: are all of an order's refunds, the desk's own included (``checks.check_update``).
    desk_export: bool = False


def open_checked(path: Path, *, encoding: str | None, columns: Mapping[str, str] | None,
                 gateways: dict[str, int], now: int | None, size: int) -> tuple[Opened, Iterator[CheckedChunk],
                                                                              Callable[[], None]]:
    """Open ``path`` and read its header; returns (what the file is, its checked chunks of
    ``size`` rows, a close function). Raises ImportFileError for a file-level problem found
    before any row (``reading.open_table``, ``rows.Header.read``)."""
    table = open_table(path, encoding=encoding)
    try:
        rows = iter(table.rows)
        header = _header(rows, columns)
        checker = RowChecker(header, RowReader(header, table.date_epoch, gateways, now), text=table.kind == "csv")
    except BaseException:
        table.close()
        raise
    opened = Opened(max(0, table.estimated_rows - 1), header.unknown, table.other_sheets, PENDING in header.index)
    return opened, checker.chunks(rows, size), table.close


def _header(rows: Iterator[Row], columns: Mapping[str, str] | None = None) -> Header:
    for _, cells in rows:
        if cells is None:
            break
        if not is_blank(cells):
            return Header.read(cells, columns)
    raise ImportFileError("no_header", "文件里没有表头行", "the file has no header row")


#: ``RowChecker.usual`` for a file whose rows may be of any width (XLSX).
_ANY_WIDTH = 1 << 30


class RowChecker:
    """The file checks of one file's rows: each row on its own, and an order no once per file."""

    def __init__(self, header: Header, reader: RowReader, *, text: bool = False) -> None:
        self.header, self.reader, self.parse, self.packed = header, reader, reader.parse, reader.packed
        self.seen: set[str] = set()
        #: How many cells a row of this file may have: the header's, or more where the first row
        #: read whole has more, all empty (an exporter that ends every line with a delimiter); None
        #: until that row; unbounded for an XLSX, whose rows end where a cell was last formatted.
        self.usual: int | None = None if text else _ANY_WIDTH

    def chunks(self, rows: Iterator[Row], size: int) -> Iterator[CheckedChunk]:
        """The checked chunks of ``rows`` (the rows after the header), ``size`` rows each but the last."""
        chunk = CheckedChunk()
        try:
            for number, cells in rows:
                self._check(chunk, number, cells)
                if chunk.error is not None:
                    yield chunk
                    return
                if len(chunk.rows) >= size:
                    yield chunk
                    chunk = CheckedChunk()
        except ImportFileError as exc:
            if exc.row is None:
                raise
            yield CheckedChunk(counted=chunk.counted, blank=chunk.blank, found=chunk.found,
                               error=(exc.code, exc.zh, exc.en, exc.row))
            return
        yield chunk

    def _check(self, chunk: CheckedChunk, number: int, cells: list[Any] | None) -> None:
        if cells is None:
            chunk.counted += 1
            chunk.found.append((True, RowProblem(number, "", "有单元格超过 131072 个字符",
                                                 "a cell is longer than 131,072 characters")))
            return
        first = cells[0] if cells else None
        # A first cell starting with a printable ASCII character is content: no need to look further.
        if not (type(first) is str and "!" <= first[:1] <= "~") and is_blank(cells):
            chunk.blank += 1
            return
        if self.usual is not _ANY_WIDTH and self._pushed(chunk, number, cells):
            return
        short = self.packed(cells)
        if short is not None:
            row, warnings = short
        else:
            try:
                data, warnings = self.parse(cells)
            except RowError as exc:
                if self.header.repeats(cells):  # a second export pasted under the first, its header included
                    chunk.found.append((False, RowProblem(number, "", "表头行重复出现，已跳过",
                                                          "the header row appears again; skipped")))
                    return
                if self.header.reads_as_header(cells):  # ... with its columns in another order: stop here
                    chunk.error = ("import_header_again",
                                   "这一行是另一个表头（列的顺序与第一行的表头不同），它下面的行未导入："
                                   "请把这一行和它下面的行另存为一个文件再导入",
                                   "this row is another header, its columns in a different order from the first "
                                   "header; the rows under it are not imported: save this row and the rows under it "
                                   "as a file of their own and import that", number)
                    return
                chunk.counted += 1
                chunk.found.append((True, RowProblem(number, exc.column, exc.zh, exc.en,
                                                     shown_value(cells, self.header, exc.column))))
                return
            row = self._pack(data)
        chunk.counted += 1
        order_no = row[_ORDER_NO]
        if order_no in self.seen:
            hint = looks_truncated(order_no)
            chunk.found.append((True, RowProblem(number, "order_no", (f"文件中订单号重复；{TRUNCATED_ZH}" if hint else REPEATED_ZH),
                                                 (f"order no repeated in the file; {TRUNCATED_EN}" if hint else REPEATED_EN),
                                                 order_no)))
            return
        self.seen.add(order_no)
        for column, zh, en in warnings:
            chunk.warnings.append((len(chunk.rows), column, zh, en))
        chunk.numbers.append(number)
        chunk.rows.append(row)

    def _pushed(self, chunk: CheckedChunk, number: int, cells: list[Any]) -> bool:
        """Refuse (True) a text row wider than the header and than the file's first row read whole
        (``usual``), its extra cells empty: a value with an unquoted comma (张三,13800138000 in the
        buyer's cell) pushed the values after it one column on, the last into a column that is not
        imported or off the end, and the row would go in with the wrong values and no word. Extra
        cells with content are refused by the row's own reading (and such a row sets no width).
        A first row pushed so cannot be told from an exporter's trailing delimiter: it sets the width."""
        width = self.header.width
        if len(cells) > width and not is_blank(cells[width:]):
            return False
        if self.usual is None:
            self.usual = max(width, len(cells))
            return False
        if len(cells) <= self.usual:
            return False
        extra = len(cells) - self.usual
        chunk.counted += 1
        chunk.found.append((True, RowProblem(
            number, "", f"这一行比表头和第一行多出 {extra} 个单元格（都是空的）：某个值里可能有未加引号的逗号，把它后面的值"
                        "挤到了后面的列；请在这个值两边加上引号，或去掉逗号",
            f"this row has {extra} more cell(s) than the header and the first row (empty ones): a value may "
            "hold an unquoted comma that pushed the values after it one column on; put that value in quotes "
            "or remove the comma", shown_value(cells, self.header, ""))))
        return True

    def _pack(self, data: dict[str, Any]) -> tuple[Any, ...]:
        """A parsed row's order dict (every column of ``ROW_COLUMNS`` but ``buyer_key``, which
        is added here) as a checked row."""
        data["buyer_key"] = self.reader.buyer_key(data["buyer"])
        packed: tuple[Any, ...] = _PACK(data)
        return packed


def as_dict(row: Sequence[Any]) -> dict[str, Any]:
    """A checked row as the order dict (for a rule or a message that wants one)."""
    return {name: row[at] for name, at in AT.items()}

