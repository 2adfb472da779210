"""What an exported order row looks like in a spreadsheet: columns, headers, cell text.

Rules every exported cell follows, whatever the file format:

* money: yuan with two decimals, from integer fen by integer division (``12.50``), never
  computed in floating point;
* times: Beijing time (UTC+8, no daylight saving) as ``YYYY-MM-DD HH:MM:SS``;
* order nos, trade nos and the buyer's contact (phones, QQ numbers) are text: in a CSV an
  all-digit one is written ``="202611180001234567"`` (Excel's own way to keep a number as
  text; the import reads it back), in an XLSX it is a string cell;
* formula injection (OWASP "CSV Injection"): a CSV cell whose text starts with ``=``, ``+``,
  ``-``, ``@``, a tab or a carriage return gets a leading apostrophe, so Excel and WPS show it
  as text instead of evaluating it; in an XLSX every text is a string cell, never a formula.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ...domain.order import Channel, ProductType
from ...domain.states import OrderStatus

#: Characters that make a spreadsheet read a cell as a formula (OWASP CSV Injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    """One exported column: its headers, the kind of cell it is (``text``, ``id``, ``money``,
    ``int``, ``time``) and the index of its value in a ``store.export_rows`` row."""

    zh: str
    en: str
    kind: str
    source: int


# Indexes into store.export_rows.EXPORT_COLUMNS.
(_NO, _CREATED, _PRODUCT, _TYPE, _QTY, _BUYER, _LIST, _COUPON, _POINTS, _PAID, _REFUNDED, _PENDING, _STATUS,
 _PAID_AT, _DELIVERED_AT, _CHANNEL, _GATEWAY, _TRADE_NO, _RECEIVED) = range(19)

#: The exported columns in order. The Chinese headers are the ones ``orders import`` reads
#: where it knows the field.
COLUMNS = (
    Column("订单号", "Order no", "id", _NO),
    Column("下单时间", "Created (Beijing time)", "time", _CREATED),
    Column("商品", "Product", "text", _PRODUCT),
    Column("商品类型", "Product type", "type", _TYPE),
    Column("数量", "Quantity", "int", _QTY),
    Column("买家", "Buyer", "id", _BUYER),
    Column("原价", "List price", "money", _LIST),
    Column("优惠券", "Coupon", "money", _COUPON),
    Column("积分", "Points", "int", _POINTS),
    Column("应付金额", "Amount due", "money", _PAID),
    Column("实付金额", "Paid", "money", _RECEIVED),
    Column("已退金额", "Refunded", "money", _REFUNDED),
    Column("退款中", "Refund in progress", "money", _PENDING),
    Column("状态", "Status", "status", _STATUS),
    Column("支付时间", "Paid at (Beijing time)", "time", _PAID_AT),
    Column("发货时间", "Delivered at (Beijing time)", "time", _DELIVERED_AT),
    Column("支付方式", "Channel", "channel", _CHANNEL),
    Column("网关", "Gateway", "gateway", _GATEWAY),
    Column("交易号", "Trade no", "id", _TRADE_NO),
)


def headers(lang: str) -> list[str]:
    """The header row in ``lang`` (``zh`` or ``en``)."""
    return [c.en if lang == "en" else c.zh for c in COLUMNS]


def yuan(fen: int) -> str:
    """Integer fen as yuan with two decimals (1250 -> ``12.50``); integer arithmetic only."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


class Times:
    """Epoch seconds as Beijing time ``YYYY-MM-DD HH:MM:SS``; each day's date and each time of
    day is made once (a million rows span a few thousand days, and a day has 86,400 seconds):
    a row's three times are then two dictionary looks each instead of a datetime."""

    def __init__(self) -> None:
        self._days: dict[int, str] = {}
        self._clock: dict[int, str] = {}

    def __call__(self, epoch: int | None) -> str:
        if epoch is None:
            return ""
        day, seconds = divmod(epoch + 8 * 3600, 86400)
        date = self._days.get(day)
        if date is None:
            from datetime import UTC, datetime

            date = self._days[day] = datetime.fromtimestamp(day * 86400, UTC).strftime("%Y-%m-%d ")
        clock = self._clock.get(seconds)
        if clock is None:
            clock = self._clock[seconds] = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        return date + clock


def neutralised(text: str) -> str:
    """A CSV cell's text made safe against formula injection (a leading apostrophe)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_id(text: str) -> str:
    """An id for a CSV cell: all digits as ``="..."`` (kept as text by Excel: no
    ``2.02611E+17``, no leading zero lost), anything else made safe as any text."""
    if text.isdigit() and text.isascii():
        return f'="{text}"'
    return neutralised(text)


@dataclass(frozen=True)
class Labels:
    """Codes as people read them in one language."""

    status: dict[str, str]
    types: dict[str, str]
    channels: dict[str, str]
    gateways: dict[int, str]


def labels(lang: str, gateways: dict[int, str]) -> Labels:
    """The status, product-type and channel words of ``lang``; gateway account names."""
    en = lang == "en"
    return Labels(
        {s.value: (s.en if en else s.zh) for s in OrderStatus},
        {t.value: (t.en if en else t.zh) for t in ProductType},
        {c.value: (c.en if en else c.zh) for c in Channel},
        gateways)


class Memo(dict[Any, Any]):
    """``fn(value)`` remembered per value: the columns whose values repeat down a list
    (products, states, amounts) are formatted once per distinct value."""

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        super().__init__()
        self._fn = fn

    def __missing__(self, key: Any) -> Any:
        value = self[key] = self._fn(key)
        return value


def _blank_or(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda v: None if v is None else fn(v)


def _labelled(table: dict[Any, str], text: Callable[[str], str]) -> Callable[[Any], str]:
    """A code's label from ``table`` (the value itself when not there), '' for none."""
    return lambda v: "" if v is None or v == "" else text(str(table.get(v, v)))


def converters(fmt: str, names: Labels) -> list[Callable[[Any], Any]]:
    """Per column, the function from a stored value to the cell's value in ``fmt``: for a
    CSV the text of the cell (``cells`` rules above), for an XLSX a ``str`` (a string cell),
    an ``int`` or ``float`` (a number cell; money ``float`` parsed from its yuan text), or
    None (an empty cell)."""
    csv = fmt == "csv"
    text = neutralised if csv else str
    out: list[Callable[[Any], Any]] = []
    for column in COLUMNS:
        kind = column.kind
        if kind == "time":
            fn: Callable[[Any], Any] = Times()
        elif kind == "money":
            fn = Memo(_blank_or(yuan if csv else (lambda v: float(yuan(v))))).__getitem__
        elif kind == "int":
            fn = Memo(lambda v: v or 0).__getitem__
        elif kind == "id":
            fn = _blank_or(csv_id if csv else str)
        else:
            tables: dict[str, dict[Any, str]] = {"status": names.status, "type": names.types,
                                                 "channel": names.channels, "gateway": dict(names.gateways)}
            table = tables.get(kind, {})
            fn = Memo(_labelled(table, text)).__getitem__
        out.append(fn)
    return out


def row_maker(fmt: str, names: Labels) -> Callable[[tuple[Any, ...]], list[Any]]:
    """A function turning one ``store.export_rows`` row into its cells (``converters``)."""
    pairs = [(c.source, fn) for c, fn in zip(COLUMNS, converters(fmt, names), strict=True)]
    return lambda row: [fn(row[i]) for i, fn in pairs]
