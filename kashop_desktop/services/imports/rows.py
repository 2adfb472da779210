"""The header row and each order row of an import file, checked without the store.

``Header.read(cells)`` maps header cells (English codes or Chinese names) to column codes and
refuses the file for unknown, missing or duplicate columns. ``parse_row`` turns one row into
the dict that ``bulk.insert_orders`` takes, or raises ``RowError`` naming the column and why.
"""

from __future__ import annotations

import re
import time as _time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any

from ...domain.clock import SHOP_TZ
from ...domain.contacts import contact_key
from ...domain.money import Fen, format_yuan
from ...domain.states import OrderStatus
from .cells import (
    NO_SAVED_VALUE,
    TRUNCATED_EN,
    TRUNCATED_ZH,
    Cell,
    CellError,
    clean_text,
    looks_truncated,
    read_contact,
    read_count,
    read_id,
    read_money,
    read_name,
    read_time,
)
from .reading import ImportFileError
from .values import read_channel, read_code_used, read_product_type, read_quantity, read_status

S = OrderStatus

#: Each field's header names: the desk's own export headers in both languages
#: (``services.exports.cells.COLUMNS``: an export imports back) and the usual names of other
#: systems. English names match whatever their case.
COLUMNS: dict[str, tuple[str, ...]] = {
    "order_no": ("订单号", "订单编号", "商户订单号", "Order no"),
    "created_at": ("下单时间", "创建时间", "订单时间", "Created (Beijing time)", "Created"),
    "product": ("商品", "商品名称", "商品标题", "Product"),
    "product_type": ("商品类型", "Product type"),
    "quantity": ("数量", "购买数量", "商品数量", "Quantity"),
    "list_amount": ("原价", "订单金额", "订单总价", "List price"),
    "coupon": ("优惠券", "优惠金额", "Coupon"),
    "points": ("积分", "Points"),
    "paid_amount": ("实付金额", "付款金额", "支付金额", "实际支付金额", "实际支付", "Paid"),
    "status": ("状态", "订单状态", "Status"),
    "paid_at": ("支付时间", "付款时间", "Paid at (Beijing time)", "Paid at"),
    "delivered_at": ("发货时间", "Delivered at (Beijing time)", "Delivered at"),
    "channel": ("支付方式", "支付通道", "付款方式", "Channel"),
    "gateway": ("网关", "Gateway"),
    "gateway_trade_no": ("交易号", "支付单号", "支付订单号", "交易单号", "支付流水号", "流水号", "Trade no"),
    "buyer": ("买家", "联系方式", "买家联系方式", "手机号", "手机", "邮箱", "联系邮箱", "QQ", "qq", "Buyer"),
    "code_used": ("卡密已使用",),
    "refunded_amount": ("退款金额", "已退金额", "已退款金额", "退款", "refund", "refunded"),
}
#: The desk export's amount due (应付金额: the order's amount, paid or not). Where a file has it,
#: it is the paid_amount the import reads, and a 实付金额 column beside it (the money received,
#: blank before payment) is not read.
AMOUNT_DUE = ("应付金额", "amount due")
#: The desk export's money still on its way back (退款中): not imported, but read, since a refund in
#: flight cannot be taken over by an import (the desk cannot learn its outcome): a row with more
#: than 0 in it is refused, as a 退款中 status is, rather than its money offered again.
NOT_IMPORTED = ("退款中", "refund in progress")
#: The code the 退款中 column is read under (never a field an order takes).
PENDING = "refund_pending"
_LOWER_NAMES = {code: frozenset(n.lower() for n in names) for code, names in COLUMNS.items()}
REQUIRED = ("order_no", "created_at", "product", "product_type", "paid_amount", "status")
_UNIT = re.compile(r"\s*[（(](元|yuan|rmb|￥|¥)[)）]$", re.IGNORECASE)
_PAID_STATES = frozenset({S.PAID, S.DELIVERED, S.COMPLETED, S.REFUNDED, S.PARTIALLY_REFUNDED})


class RowError(Exception):
    """One row refused: the column (our code, or "" for the whole row) and why."""

    def __init__(self, column: str, zh: str, en: str) -> None:
        super().__init__(en)
        self.column, self.zh, self.en = column, zh, en


@dataclass(frozen=True)
class Header:
    """Where each known column sits in the row (index by code)."""

    index: dict[str, int]
    width: int
    blank: frozenset[int]  # positions with an empty header cell
    ignored: frozenset[int] = frozenset()  # positions not imported: the owner's choice, or unknown
    unknown: tuple[str, ...] = ()  # header texts the desk does not know (not imported)
    texts: tuple[str, ...] = ()  # every header cell as read, to know the header row repeated

    def repeats(self, cells: Sequence[Cell]) -> bool:
        """Whether a data row is this header row again (a second export pasted under the first):
        the same texts, or other names of the same fields in the same places (实付金额(元) for
        实付金额, English headers, another system's names)."""
        texts = [header_text(c) for c in cells]
        while texts and not texts[-1]:
            texts.pop()
        known = list(self.texts)
        while known and not known[-1]:
            known.pop()
        if not known:
            return False
        return texts == known or (self.reads_as_header(cells) and self._codes(texts) == self._codes(known))

    @staticmethod
    def _codes(texts: Sequence[str]) -> list[str | None]:
        """The field each header text names, in place (None: not a known name)."""
        return ["paid_amount" if t.lower() in AMOUNT_DUE else column_code(t) for t in texts]

    def reads_as_header(self, cells: Sequence[Cell]) -> bool:
        """Whether a data row reads as a header row (its cells name every required column;
        other cells may be any text): a second export pasted under the first."""
        texts = [header_text(c) for c in cells]
        codes = {"paid_amount" if t.lower() in AMOUNT_DUE else column_code(t) for t in texts}
        return all(code in codes for code in REQUIRED)

    @classmethod
    def read(cls, cells: Sequence[Cell], columns: Mapping[str, str] | None = None) -> Header:
        """Map header cells to codes; raises ImportFileError for missing or duplicate columns.
        Columns the desk does not know (备注, 卡密, IP...) are not imported (``unknown`` lists them).

        ``columns`` (the owner's choice, see ``check_columns``) maps a header text as written
        to the code it stands for, or to "" for a column not to import; it wins over the names
        the desk knows."""
        chosen = check_columns(columns)
        index: dict[str, int] = {}
        named: dict[str, str] = {}
        unknown: list[str] = []
        blank: set[int] = set()
        ignored: set[int] = set()
        due: int | None = None
        for position, cell in enumerate(cells):
            text = header_text(cell)
            code = chosen[text] if text in chosen else column_code(text)
            if text not in chosen and text.lower() in NOT_IMPORTED:
                ignored.add(position)
                index.setdefault(PENDING, position)
            elif text not in chosen and text.lower() in AMOUNT_DUE and due is None:
                due = position
            elif text in chosen and not code:
                ignored.add(position)
            elif not text:
                blank.add(position)
            elif code is None:
                unknown.append(text[:40])
                ignored.add(position)
            elif code in index:
                raise _duplicate(named[code], text, code)
            else:
                index[code], named[code] = position, text
        texts = {header_text(cell) for cell in cells}
        absent = [text for text, code in chosen.items() if code and text not in texts]
        if absent:  # a mistyped --column header would map nothing, and the column go unread
            shown = "、".join(t for t in (header_text(c) for c in cells) if t)[:300]
            raise ImportFileError(
                "column_not_found", f"指定的表头「{absent[0]}」不在文件的表头行里（文件的表头：{shown}）",
                f"the header '{absent[0]}' you named is not in the file's header row (its headers: {shown})")
        if due is not None:  # the desk's export: the amount due is the order's amount
            if "paid_amount" in index:
                ignored.add(index["paid_amount"])
            index["paid_amount"], named["paid_amount"] = due, header_text(cells[due])
        missing = [c for c in REQUIRED if c not in index]
        if missing:
            names = "、".join(f"{COLUMNS[c][0]}" for c in missing)
            hint_zh = f"；文件中有不认识的列：{', '.join(unknown)}，可用 --column 表头=字段 指明" if unknown else ""
            hint_en = (f"; the file has columns the desk does not know: {', '.join(unknown)}; name them with "
                       "--column HEADER=FIELD") if unknown else ""
            raise ImportFileError("missing_columns", f"缺少必需的列：{names}{hint_zh}",
                                  f"required columns missing: {', '.join(missing)}{hint_en}")
        return cls(index, len(cells), frozenset(blank), frozenset(ignored), tuple(unknown),
                   tuple(header_text(c) for c in cells))


def check_columns(columns: Mapping[str, str] | None) -> dict[str, str]:
    """The owner's column choices (header text -> a ``COLUMNS`` code, or "" not to import it),
    with the header texts cleaned as the header row is; raises ImportFileError for a code the
    import does not know."""
    chosen: dict[str, str] = {}
    for header, code in (columns or {}).items():
        if code and code not in COLUMNS:
            raise ImportFileError("bad_mapping", f"「{header}」对应的字段 {code} 不存在；可用的字段：{', '.join(COLUMNS)}",
                                  f"'{header}' is mapped to {code}, which is not a field; fields: {', '.join(COLUMNS)}")
        chosen[header_text(header)] = code
    return chosen


def header_text(cell: Cell) -> str:
    """A header cell as the import reads it (invisible characters removed, outer blanks stripped)."""
    try:
        return clean_text(cell)
    except CellError:
        return "?"


def _duplicate(first: str, second: str, code: str) -> ImportFileError:
    if first == second:
        return ImportFileError("duplicate_columns", f"「{first}」列出现了两次，只能保留一个",
                               f"the column '{first}' appears twice; keep only one")
    return ImportFileError("duplicate_columns", f"「{first}」和「{second}」是同一列（{code}），只能保留一个",
                           f"'{first}' and '{second}' are the same column ({code}); keep only one")


def column_code(text: str) -> str | None:
    """The column code for a header cell such as "paid_amount", "实付金额" or "实付金额(元)"."""
    name = _UNIT.sub("", " ".join(text.split()))
    lowered = name.lower().replace(" ", "_")
    folded = name.lower()
    for code, names in COLUMNS.items():
        if lowered == code or name in names or folded in _LOWER_NAMES[code]:
            return code
    return None


#: The longest cell value a RowProblem keeps (a refused row's value is shown, not stored whole).
SHOWN_VALUE_CHARS = 200


def shown_value(cells: Sequence[Cell], header: Header, column: str) -> str:
    """The cell of ``column`` in a refused row as text, for showing beside the reason (the
    whole row, comma-separated, for a whole-row problem); at most SHOWN_VALUE_CHARS characters."""
    if not column:
        text = ",".join("" if c is None or c is NO_SAVED_VALUE else str(c) for c in cells)
    else:
        position = header.index.get(column)
        raw = cells[position] if position is not None and position < len(cells) else None
        text = "" if raw is None or raw is NO_SAVED_VALUE else str(raw)
    if any(c < " " or "\x7f" <= c <= "\x9f" for c in text):  # a NUL, a line break: shown as a mark
        text = "".join("\ufffd" if c < " " or "\x7f" <= c <= "\x9f" else c for c in text)
    return text if len(text) <= SHOWN_VALUE_CHARS else text[:SHOWN_VALUE_CHARS - 1] + "…"


def is_blank(cells: Sequence[Cell]) -> bool:
    """A row with nothing in it (Excel's trailing ",,,," lines, empty XLSX rows)."""
    for cell in cells:
        if cell is None:
            continue
        if not isinstance(cell, str) or (cell.strip() and cell.strip("\ufeff\u200b\u3000 \t")):
            return False
    return True


def parse_row(cells: Sequence[Cell], header: Header, epoch: datetime | None, gateways: dict[str, int],
              memo: Memo | None = None) -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    """Validate one row; returns (order dict for bulk.insert_orders, warnings as (column, zh, en)).

    Money is fen, times epoch seconds; raises RowError with the column and the reason. ``memo``
    (one per file) keeps the ``RowReader`` that remembers what each cell value of the repetitive
    columns read as; ``RowReader(header, epoch, gateways).parse`` is the same without it.
    """
    if memo is None:
        return RowReader(header, epoch, gateways).parse(cells)
    reader = memo.get("reader")
    if not isinstance(reader, RowReader) or reader.header is not header:
        reader = memo["reader"] = RowReader(header, epoch, gateways)
    return reader.parse(cells)


#: One file's remembered readings (``parse_row``'s memo).
Memo = dict[str, Any]
_MEMO_SIZE = 4096
#: Sentinel for "not read yet" in the per-column memos.
_UNSEEN: Any = object()


class _Column:
    """One column's reader at its position, remembering what each value read as (and, apart,
    each CellError it raised) when the column's values repeat down a file."""

    __slots__ = ("code", "errors", "position", "reader", "seen", "size")

    def __init__(self, code: str, position: int, reader: Callable[[Cell], Any], size: int) -> None:
        self.code, self.position, self.reader, self.size = code, position, reader, size
        #: Value read, by cell (``_key``): only values that read without an error.
        self.seen: dict[Any, Any] = {}
        self.errors: dict[Any, CellError] = {}

    def __call__(self, cells: Sequence[Cell]) -> Any:
        """The cell's value; ``cells`` is padded (``RowReader.parse``): every position exists."""
        raw = cells[self.position]
        if not self.size:
            try:
                return self.reader(raw)
            except CellError as exc:
                raise RowError(self.code, exc.zh, exc.en) from None
        key = _key(raw)
        value = self.seen.get(key, _UNSEEN)
        if value is _UNSEEN:
            error = self.errors.get(key)
            if error is None:
                try:
                    value = self.reader(raw)
                except CellError as exc:
                    error = exc
                    _remember(self.errors, key, exc, self.size)
                else:
                    _remember(self.seen, key, value, self.size)
            if error is not None:
                raise RowError(self.code, error.zh, error.en)
        return value

    def need(self, cells: Sequence[Cell]) -> Any:
        value = self(cells)
        if value is None or value == "":
            raise RowError(self.code, "不能为空", "must not be empty")
        return value


def _key(raw: Cell) -> Any:
    """A cell's key in a column's memo: text and None as they are, anything else with its type
    (True == 1 == 1.0 as dict keys, but they read differently)."""
    return raw if raw is None or type(raw) is str else (type(raw), raw)


def _remember(memo: dict[Any, Any], key: Any, value: Any, size: int) -> None:
    if len(memo) >= size:
        memo.clear()
    memo[key] = value


#: The columns of a checked row, in the order ``RowReader.packed`` gives them (``stream.ROW_COLUMNS``,
#: which checks that it is this order).
PACKED_COLUMNS = ("order_no", "created_at", "product_name", "product_type", "quantity", "list_fen", "coupon_fen",
                  "points", "paid_fen", "refunded_fen", "status", "paid_at", "delivered_at", "completed_at",
                  "cancelled_at", "channel", "gateway_id", "gateway_trade_no", "buyer", "buyer_key", "code_used",
                  "updated_at")
#: Shapes remembered per file (``RowReader._shares``); forgotten all at once when full.
_SHARES = 8192
#: Buyer keys remembered per file (contact as read -> canonical key); forgotten all at once when full.
_KEY_CACHE = 200_000


@dataclass(frozen=True, slots=True)
class _Share:
    """What every row of one shape reads as (``RowReader._share``): its status, the values from
    product_name to status in ``PACKED_COLUMNS`` order (``amounts``), channel, gateway account id
    and code_used as stored, and its warnings with and without a trade no (but the truncated-id
    ones, which depend on the row's own ids), those that come last (an unknown gateway), and the
    money (fen) a paid 已取消 of this shape kept (``kept_money``: its warning depends on the row's
    own delivery time)."""

    status: OrderStatus
    amounts: tuple[Any, ...]
    channel: str | None
    gateway_id: int | None
    code_used: str
    with_trade_no: tuple[tuple[str, str, str], ...]
    without_trade_no: tuple[tuple[str, str, str], ...]
    last: tuple[tuple[str, str, str], ...]
    owed: int


class RowReader:
    """``parse_row`` for one file: each column's reader and memo set up once from the header."""

    def __init__(self, header: Header, epoch: datetime | None, gateways: dict[str, int],
                 now: int | None = None) -> None:
        self.header, self.gateways = header, gateways
        #: Times later than this (epoch seconds) are refused as in the future.
        self.latest = (int(_time.time()) if now is None else now) + FUTURE_SLACK_S

        def column(code: str, reader: Callable[[Cell], Any], size: int = _MEMO_SIZE) -> _Column:
            # A column the file does not have reads the padding cell after the last one (None).
            return _Column(code, header.index.get(code, header.width), reader, size)

        def when(raw: Cell) -> int | None:
            return read_time(raw, epoch)

        # Ids are unique down a file: read each cell afresh. Buyers repeat a little.
        self.order_no, self.trade_no = column("order_no", read_id, 0), column("gateway_trade_no", read_id, 0)
        self.buyer = column("buyer", read_contact, 0)
        self.status, self.paid = column("status", read_status), column("paid_amount", read_money)
        self.created, self.paid_at = column("created_at", when, 0), column("paid_at", when, 0)
        self.delivered_at = column("delivered_at", when, 0)
        self.product, self.product_type = column("product", read_name), column("product_type", read_product_type)
        self.quantity, self.list_amount = column("quantity", read_quantity), column("list_amount", read_money)
        self.coupon, self.points = column("coupon", read_money), column("points", read_count)
        self.channel, self.code_used = column("channel", read_channel), column("code_used", read_code_used)
        self.gateway = column("gateway", read_name)
        self.refunded = column("refunded_amount", read_money)
        self.pending = column(PENDING, read_money)
        #: Whether a row no longer than the header holds nothing outside the header's columns.
        self.plain_width = not header.blank
        self.epoch = epoch
        # What ``packed`` reads: the repetitive columns (a row's "shape", in ``_share``'s order)
        # and the places of the others.
        self._repetitive = (self.status, self.paid, self.product, self.product_type, self.quantity, self.list_amount,
                            self.coupon, self.points, self.channel, self.code_used, self.refunded, self.gateway,
                            self.pending)
        self._shape = itemgetter(*(c.position for c in self._repetitive))
        self._at = (self.order_no.position, self.trade_no.position, self.buyer.position, self.created.position,
                    self.paid_at.position, self.delivered_at.position)
        #: (shape, unpaid?) -> ``_Share``: what every row of that shape reads as, bar its own cells.
        self._shares: dict[tuple[Any, bool], _Share] = {}
        #: Buyer contact as read -> its canonical key (``domain.contacts.contact_key``).
        self._keys: dict[str, str] = {}

    def parse(self, cells: Sequence[Cell]) -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
        """``parse_row`` for one row of this file."""
        return self._careful(cells)

    def buyer_key(self, buyer: str) -> str:
        """The canonical key of a buyer contact as read (remembered per file, up to ``_KEY_CACHE``)."""
        key = self._keys.get(buyer)
        if key is None:
            if len(self._keys) >= _KEY_CACHE:
                self._keys.clear()
            key = self._keys[buyer] = contact_key(buyer)
        return key

    def packed(self, cells: Sequence[Cell]) -> tuple[tuple[Any, ...], list[tuple[str, str, str]]] | None:
        """The common row read the short way, straight into a checked row: (the row's values in
        ``PACKED_COLUMNS`` order, its warnings as ``parse`` gives them), or None to leave the row
        to ``parse``, which reads a good row to the same values and refuses a bad one naming the
        right column. A row goes the short way when it is no wider than the header, every
        repetitive cell is already in its column's memo as a good value, and every check passes:
        the repetitive cells (its shape) are read and checked once per shape and payment
        (``_share``), the row's own cells (ids, buyer, times) each time."""
        if not self.plain_width or len(cells) != self.header.width:
            return None
        padded = [*cells, None]
        order_no_at, trade_no_at, buyer_at, created_at, paid_at_at, delivered_at_at = self._at
        try:
            paid_at = read_time(padded[paid_at_at], self.epoch)
            shape = (self._shape(padded), paid_at is None)
            share = self._shares.get(shape)
            if share is None:
                share = self._share(*shape)
                if share is None:
                    return None
                if len(self._shares) >= _SHARES:
                    self._shares.clear()
                self._shares[shape] = share
            order_no = read_id(padded[order_no_at])
            created = read_time(padded[created_at], self.epoch)
            if not order_no or created is None:
                return None
            delivered_at = read_time(padded[delivered_at_at], self.epoch)
            status = share.status
            created, paid_at, delivered_at = self.check_times(status, created, paid_at, delivered_at)
            trade_no = read_id(padded[trade_no_at]) or None
            buyer = read_contact(padded[buyer_at]) or ""
        except (CellError, RowError):
            return None
        found = list(share.with_trade_no if trade_no else share.without_trade_no)
        if looks_truncated(order_no):
            found.append(("order_no", TRUNCATED_ZH, TRUNCATED_EN))
        if trade_no and looks_truncated(trade_no):
            found.append(("gateway_trade_no", TRUNCATED_ZH, TRUNCATED_EN))
        if share.last:
            found.extend(share.last)
        if share.owed:
            found.append(_owed(share.owed, delivered_at is not None))
        return ((order_no, created, *share.amounts, paid_at, delivered_at,
                 delivered_at if status is S.COMPLETED else None, created if status is S.CANCELLED else None,
                 share.channel, share.gateway_id, trade_no, buyer, self.buyer_key(buyer), share.code_used, created),
                found)

    def _share(self, shape: tuple[Cell, ...], unpaid: bool) -> _Share | None:
        """What a row of this shape (its repetitive cells, ``_repetitive``'s order) reads as,
        paid (a payment time given) or not: its cells as their columns' memos hold them, run
        through ``order_dict``, ``refunded_fen`` and ``warnings`` exactly as ``_careful`` runs
        them, with stand-ins for the row's own cells, which none of what is kept depends on.
        None when a cell is not in its memo as a good value or a check refuses the shape."""
        values = [column.seen.get(raw, _UNSEEN) for column, raw in zip(self._repetitive, shape, strict=True)]
        if _UNSEEN in values:
            return None
        (status, paid, product, product_type, quantity, list_fen, coupon, points, channel, code_used, refunded,
         gateway, pending) = values
        if status is None or paid is None or not product or not product_type or pending:
            return None
        data = {
            "order_no": "", "created_at": 0, "product_name": product, "product_type": product_type,
            "quantity": quantity, "list_fen": list_fen, "coupon_fen": coupon, "points": points, "paid_fen": paid,
            "status": status, "paid_at": None if unpaid else 0, "delivered_at": None, "channel": channel,
            "gateway_trade_no": None, "buyer": "", "code_used": code_used,
        }
        try:
            order_dict(data)
            refunded_fen_ = refunded_fen(status, 0 if unpaid else paid, refunded)
        except RowError:
            return None
        without_trade_no = warnings(data, status, gateway or "", self.gateways)
        last = [w for w in without_trade_no if w[0] == "gateway"]
        owed = 0 if unpaid or status is not S.CANCELLED else max(0, paid - refunded_fen_)
        data["gateway_trade_no"] = "x"  # a trade no that is not truncated
        with_trade_no = warnings(data, status, gateway or "", self.gateways)
        return _Share(status, (product, product_type, data["quantity"], data["list_fen"], data["coupon_fen"],
                               data["points"], data["paid_fen"], refunded_fen_, data["status"]),
                      data["channel"], data["gateway_id"], data["code_used"],
                      tuple(w for w in with_trade_no if w[0] != "gateway"),
                      tuple(w for w in without_trade_no if w[0] != "gateway"), tuple(last), owed)

    def _careful(self, cells: Sequence[Cell]) -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
        """``parse`` of any row, each cell read in turn: the first problem raises RowError."""
        width = self.header.width
        if not (self.plain_width and len(cells) <= width):
            _check_width(cells, self.header)
        cells = list(cells[:width])
        cells.extend([None] * (width + 1 - len(cells)))
        order_no = self.order_no.need(cells)
        status = self.status(cells)
        if status is None:
            raise RowError("status", "不能为空", "must not be empty")
        paid = self.paid.need(cells)
        created, paid_at, delivered_at = self._times(cells, status)
        data = {
            "order_no": order_no, "created_at": created, "product_name": self.product.need(cells),
            "product_type": self.product_type.need(cells), "quantity": self.quantity(cells),
            "list_fen": self.list_amount(cells), "coupon_fen": self.coupon(cells), "points": self.points(cells),
            "paid_fen": paid, "status": status, "paid_at": paid_at, "delivered_at": delivered_at,
            "channel": self.channel(cells), "gateway_trade_no": self.trade_no(cells), "buyer": self.buyer(cells),
            "code_used": self.code_used(cells),
        }
        order_dict(data)
        in_flight = self.pending(cells)
        if in_flight:
            raise _in_flight(in_flight)
        data["refunded_fen"] = refunded_fen(status, paid if paid_at is not None else 0, self.refunded(cells))
        return data, [*warnings(data, status, self.gateway(cells) or "", self.gateways),
                      *kept_money(status, paid if paid_at is not None else 0, data["refunded_fen"],
                                  delivered_at is not None)]

    def _times(self, cells: Sequence[Cell], status: OrderStatus) -> tuple[int, int | None, int | None]:
        created = self.created(cells)
        if created is None:
            raise RowError("created_at", "不能为空", "must not be empty")
        return self.check_times(status, created, self.paid_at(cells), self.delivered_at(cells))

    def check_times(self, status: OrderStatus, created: int, paid_at: int | None,
                    delivered_at: int | None) -> tuple[int, int | None, int | None]:
        """A row's three times (epoch seconds) checked against its status, the clock and each
        other; raises RowError naming the column."""
        if status in _PAID_STATES and paid_at is None:
            raise RowError("paid_at", "已支付的订单需要支付时间", "a paid order needs its payment time")
        if status in _DELIVERED_STATES and delivered_at is None:
            raise RowError("delivered_at", "已发货的订单需要发货时间", "a delivered order needs its delivery time")
        if status is S.PENDING_PAYMENT and paid_at is not None:
            raise RowError("paid_at", "状态为「待支付」，却有支付时间：请核对状态（已支付的订单写「待发货」「已完成」等）或删去支付时间",
                           "the status is 待支付 (awaiting payment) but a payment time is given: check the status (a paid "
                           "order is 待发货, 已完成…) or remove the payment time")
        if delivered_at is not None and (status in _UNDELIVERED_STATES or (status is S.CANCELLED and paid_at is None)):
            raise RowError("delivered_at", f"状态为「{status.zh}」，却有发货时间：请核对状态（已发货的订单写「已发货」或「已完成」）或删去发货时间",
                           f"the status is '{status.en}' but a delivery time is given: check the status (a delivered "
                           "order is 已发货 or 已完成) or remove the delivery time")
        for column, at in (("created_at", created), ("paid_at", paid_at), ("delivered_at", delivered_at)):
            if at is not None and at > self.latest:
                shown = datetime.fromtimestamp(at, SHOP_TZ).strftime("%Y-%m-%d %H:%M")
                raise RowError(column, f"时间在未来（北京时间 {shown}）：请核对日期，或电脑的时钟",
                               f"the time is in the future ({shown} Beijing time): check the date, or the "
                               "computer's clock")
        if paid_at is not None and paid_at < created:
            raise RowError("paid_at", "支付时间早于下单时间", "the payment time is before the order was created")
        if delivered_at is not None and delivered_at < (paid_at if paid_at is not None else created):
            raise RowError("delivered_at", "发货时间早于支付时间", "the delivery time is before the payment")
        return created, paid_at, delivered_at


_DELIVERED_STATES = frozenset({S.DELIVERED, S.COMPLETED})
#: Statuses that say the goods have not gone out (an unpaid 已取消 is checked apart).
_UNDELIVERED_STATES = frozenset({S.PENDING_PAYMENT, S.PAID})
#: How far after now (seconds) a time may be before it is refused as in the future (clocks drift).
FUTURE_SLACK_S = 600


def order_dict(data: dict[str, Any]) -> None:
    """Turn a row's cells as read (``status`` an OrderStatus, ``quantity``... None where empty)
    into the order dict in place: defaults filled, the derived columns set, the coupon checked
    against the list amount (RowError). The caller adds ``warnings`` (and so ``gateway_id``)."""
    status, created, paid = data["status"], data["created_at"], data["paid_fen"]
    data["status"] = status.value
    data["quantity"] = data["quantity"] or 1
    data["coupon_fen"] = data["coupon_fen"] or 0
    data["points"] = data["points"] or 0
    data["completed_at"] = data["delivered_at"] if status is S.COMPLETED else None
    data["cancelled_at"] = created if status is S.CANCELLED else None
    data["gateway_trade_no"] = data["gateway_trade_no"] or None
    data["buyer"] = data["buyer"] or ""
    data["code_used"] = data["code_used"] or "unknown"
    data["updated_at"] = created
    data["refunded_fen"] = paid if status is S.REFUNDED else 0  # ``refunded_fen`` refines it from the file
    if data["list_fen"] is None:
        data["list_fen"] = paid
    if data["coupon_fen"] > data["list_fen"]:
        raise RowError("coupon", "优惠券金额大于原价", "coupon larger than the list amount")
    if data["paid_at"] is None and paid == 0 and status in (S.PENDING_PAYMENT, S.CANCELLED):
        _amount_due(data, status)
    paid_for = status in _PAID_STATES or (status is S.CANCELLED and data["paid_at"] is not None)
    if paid_for and paid == 0 and not 0 < data["list_fen"] <= data["coupon_fen"]:
        # No gateway takes a payment of 0: a paid ¥0.00 (or -0.00) row, cancelled since or not, is
        # a wrong amount, not an order, unless a coupon paid the whole list amount (both columns given).
        raise RowError("paid_amount", "已支付的订单实付金额为 0.00：支付网关不收 0 元，请核对金额（优惠券全额抵扣的订单请填原价和优惠券）",
                       "a paid order with a paid amount of 0.00: no gateway takes a payment of 0; check the amount "
                       "(for an order the coupon paid in full, give the list amount and the coupon)")


def _in_flight(fen: int) -> RowError:
    """A row whose 退款中 column (the desk's own export) has money on its way back."""
    amount = format_yuan(fen, symbol=True)
    return RowError(PENDING, f"退款中 {amount}：这笔退款尚未完成，导入无法接手进行中的退款（本店无法得知其结果，"
                    "导入后这笔钱会被当作可退而再退一次）。请在原店铺办结这笔退款后重新导出、再导入；若文件是从本店导出的，"
                    "这个订单已在本店，退款由本店自己完成，无需再导入",
                    f"{amount} is being refunded: an import cannot take over a refund in flight (the desk cannot "
                    "learn its outcome, and the money would be offered again). Finish the refund in the shop it "
                    "came from, export again, then import; if the file was exported from this desk, the order is "
                    "here already and the desk finishes its refund itself: nothing to import")


def _amount_due(data: dict[str, Any], status: OrderStatus) -> None:
    """An unpaid row whose 实付金额 is 0: many exports write 0 there until the order is paid.
    Its amount due is then the list amount less the coupon (fen); a 待支付 row that gives no
    list amount either is refused: an order of ¥0.00 due could never be paid (a coupon that
    covers the whole list amount is a ¥0.00 order, as for a paid one)."""
    due = data["list_fen"] - data["coupon_fen"]
    if due > 0:
        data["paid_fen"] = due
    elif status is S.PENDING_PAYMENT and not 0 < data["list_fen"] <= data["coupon_fen"]:
        raise RowError("paid_amount", "待支付的订单应付金额为 0.00：请在「原价」列写明订单金额（或核对「实付金额」）",
                       "an order awaiting payment with 0.00 due could never be paid: give its amount in the list "
                       "amount (原价) column, or check the paid amount")


_REFUND_COLUMN_ZH, _REFUND_COLUMN_EN = "「退款金额」列", "a refunded_amount (退款金额 / refund) column"


def refunded_fen(status: OrderStatus, paid: Fen, refunded: Fen | None) -> Fen:
    """The fen already refunded for a row, from its status, the fen it paid (0 when it has no
    payment time) and its 退款金额 cell (None: no column or an empty cell); raises RowError when money could show as refundable although
    the old system may have paid it back.

    部分退款 needs the amount (more than 0, less than paid); 已退款 is the whole amount (an
    amount given must equal it); a paid 已取消 row needs the amount the old system refunded
    (0 when it refunded nothing), since a cancelled paid order was usually refunded; any other
    status must not carry a refund."""
    if refunded and not paid:
        raise RowError("refunded_amount", f"退款金额 {format_yuan(refunded)}：这一行没有付款（无支付时间或实付为 0），没有可退的钱",
                       f"refunded amount {format_yuan(refunded)}: the row has no payment (no payment time, or 0 paid), "
                       "so nothing can have been refunded")
    if refunded is not None and refunded > paid:
        raise RowError("refunded_amount", f"退款金额 {format_yuan(refunded)} 大于实付金额 {format_yuan(paid)}",
                       f"the refunded amount {format_yuan(refunded)} is more than the paid amount {format_yuan(paid)}")
    if status is S.PARTIALLY_REFUNDED:
        if not refunded:
            raise RowError("refunded_amount", f"部分退款的订单需要{_REFUND_COLUMN_ZH}写明已退多少（否则已退的钱会显示为可退）",
                           f"a partially refunded order needs {_REFUND_COLUMN_EN} saying how much went back "
                           "(otherwise money already refunded would show as refundable)")
        if refunded == paid:
            raise RowError("refunded_amount", "退款金额等于实付金额：状态应为「已退款」",
                           "the refunded amount equals the paid amount: the status should be 已退款 (refunded)")
        return refunded
    if status is S.REFUNDED:
        if refunded is not None and refunded != paid:
            raise RowError("refunded_amount", f"已退款的订单退款金额应等于实付金额 {format_yuan(paid)}；只退了一部分请写「部分退款」",
                           f"a refunded order's refunded amount must equal the paid amount {format_yuan(paid)}; "
                           "for part of it use 部分退款 (partially refunded)")
        return paid
    if status is S.CANCELLED and paid:
        if refunded is None:
            raise RowError("refunded_amount", f"已支付的订单已取消，旧系统可能已退款：请在{_REFUND_COLUMN_ZH}写明已退多少"
                           "（一分未退填 0），否则无法知道还有多少可退",
                           f"a paid order that was cancelled may have been refunded by the old system: give "
                           f"{_REFUND_COLUMN_EN} with the amount refunded (0 if none), or nothing can be known "
                           "to be refundable")
        return refunded
    if refunded:
        raise RowError("refunded_amount", f"状态为「{status.zh}」却有退款金额：请把状态写成「部分退款」或「已退款」",
                       f"the status is '{status.en}' but a refunded amount is given: use 部分退款 or 已退款")
    return 0


def _check_width(cells: Sequence[Cell], header: Header) -> None:
    for position in range(len(cells)):
        if position in header.ignored:
            continue
        if (position >= header.width or position in header.blank) and not is_blank(cells[position:position + 1]):
            raise RowError("", f"第 {position + 1} 列有内容但没有表头（某个值里可能有未加引号的逗号）",
                           f"column {position + 1} has a value but no header (a value may hold an unquoted comma)")


def kept_money(status: OrderStatus, paid: Fen, refunded: Fen, delivered: bool) -> list[tuple[str, str, str]]:
    """The warning of a paid 已取消 row whose money the older system kept, all or part (``paid``:
    fen, 0 without a payment time; ``refunded``: fen it refunded; ``delivered``: a delivery time
    given): the buyer is owed it (``domain.decision._cancelled``)."""
    if status is not S.CANCELLED or paid <= refunded:
        return []
    return [_owed(paid - refunded, delivered)]


KEPT_MONEY_ZH = "已取消，但还有"


def _owed(fen: Fen, delivered: bool) -> tuple[str, str, str]:
    """``kept_money``'s warning for ``fen`` owed: an order never delivered is refunded from the
    order or restored; one delivered before it was cancelled goes by the dispute rules."""
    owed = format_yuan(fen)
    if delivered:
        return ("refunded_amount",
                f"{KEPT_MONEY_ZH} ¥{owed} 没有退给买家，且订单取消前已发货：如需退款，请为买家发起售后争议"
                "（requests open ORDER --reason ...，卡密未使用或商家原因时可批准）",
                f"cancelled, but ¥{owed} was never refunded to the buyer, and the order was delivered before it was "
                "cancelled: to refund it, open an after-sales dispute for the buyer (requests open ORDER --reason ...; "
                "it may be approved when the code is unused or the fault was the merchant's)")
    return ("refunded_amount",
            f"{KEPT_MONEY_ZH} ¥{owed} 没有退给买家：可在订单上按原路退款（取消订单 / orders cancel），或恢复订单后发货",
            f"cancelled, but ¥{owed} was never refunded to the buyer: refund it the original way from the order "
            "(取消订单 / orders cancel), or restore the order and deliver it")


def warnings(data: dict[str, Any], status: OrderStatus, gateway: str,
             gateways: dict[str, int]) -> list[tuple[str, str, str]]:
    """A checked row's warnings as (column, zh, en); sets ``data["gateway_id"]`` (None when the
    gateway account is not known)."""
    found: list[tuple[str, str, str]] = []
    if status in _PAID_STATES and not data["gateway_trade_no"] and data["channel"] != "wallet" and data["paid_fen"]:
        found.append(("gateway_trade_no", "缺少交易号：无法原路退款", "no trade no: refunds cannot go the original way"))
    if status in _PAID_STATES and not data["paid_fen"]:  # order_dict let it through: the coupon paid it all
        found.append(("paid_amount", "0 元订单（优惠券全额抵扣）：没有可退的钱",
                      "a ¥0.00 order (paid in full by the coupon): nothing can be refunded"))
    for column, key in (("order_no", "order_no"), ("gateway_trade_no", "gateway_trade_no")):
        if data[key] and looks_truncated(data[key]):
            found.append((column, TRUNCATED_ZH, TRUNCATED_EN))
    data["gateway_id"] = gateways.get(gateway) if gateway else None
    if gateway and data["gateway_id"] is None:
        found.append(("gateway", f"没有名为 {gateway} 的网关账户", f"no gateway account named {gateway}"))
    return found
