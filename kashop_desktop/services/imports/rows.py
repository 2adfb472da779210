"""The header row and each order row of an import file, checked without the store.

``Header.read(cells)`` maps header cells (English codes or Chinese names) to column codes and
refuses the file for unknown, missing or duplicate columns. ``parse_row`` turns one row into
the dict that ``bulk.insert_orders`` takes, or raises ``RowError`` naming the column and why.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from ...domain.errors import DomainError
from ...domain.order import Channel, CodeUsed, ProductType
from ...domain.states import OrderStatus, parse_status
from .cells import (
    Cell,
    CellError,
    clean_text,
    read_contact,
    read_count,
    read_id,
    read_money,
    read_name,
    read_time,
)
from .reading import ImportFileError

S = OrderStatus

COLUMNS: dict[str, tuple[str, ...]] = {
    "order_no": ("订单号", "订单编号"),
    "created_at": ("下单时间", "创建时间"),
    "product": ("商品", "商品名称"),
    "product_type": ("商品类型",),
    "quantity": ("数量",),
    "list_amount": ("原价",),
    "coupon": ("优惠券",),
    "points": ("积分",),
    "paid_amount": ("实付金额",),
    "status": ("状态", "订单状态"),
    "paid_at": ("支付时间", "付款时间"),
    "delivered_at": ("发货时间",),
    "channel": ("支付方式",),
    "gateway": ("网关",),
    "gateway_trade_no": ("交易号",),
    "buyer": ("买家",),
    "code_used": ("卡密已使用",),
}
REQUIRED = ("order_no", "created_at", "product", "product_type", "paid_amount", "status")
TYPE_ALIASES = {"卡密": "card_code", "直充": "direct_recharge", "实物": "physical"}
CHANNEL_ALIASES = {"支付宝": "alipay", "微信": "wechat", "微信支付": "wechat", "银行卡": "bank_card", "余额": "wallet",
                   "钱包": "wallet"}
USED_ALIASES = {"是": "yes", "否": "no", "未知": "unknown", "": "unknown", "y": "yes", "n": "no", "true": "yes",
                "false": "no", "1": "yes", "0": "no"}
_PRODUCT_TYPES = frozenset(t.value for t in ProductType)
_CHANNELS = frozenset(c.value for c in Channel)
_USED = frozenset(c.value for c in CodeUsed)
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

    @classmethod
    def read(cls, cells: Sequence[Cell]) -> Header:
        """Map header cells to codes; raises ImportFileError for unknown, missing or duplicate columns."""
        index: dict[str, int] = {}
        named: dict[str, str] = {}
        unknown: list[str] = []
        blank: set[int] = set()
        for position, cell in enumerate(cells):
            try:
                text = clean_text(cell)
            except CellError:
                text = "?"
            code = column_code(text)
            if not text:
                blank.add(position)
            elif code is None:
                unknown.append(text[:40])
            elif code in index:
                raise _duplicate(named[code], text, code)
            else:
                index[code], named[code] = position, text
        if unknown:
            raise ImportFileError("unknown_columns", f"不认识的列：{', '.join(unknown)}",
                                  f"unknown columns: {', '.join(unknown)}")
        missing = [c for c in REQUIRED if c not in index]
        if missing:
            raise ImportFileError("missing_columns", f"缺少必需的列：{', '.join(missing)}",
                                  f"required columns missing: {', '.join(missing)}")
        return cls(index, len(cells), frozenset(blank))


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
    for code, names in COLUMNS.items():
        if lowered == code or name in names:
            return code
    return None


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
    (one per file) remembers what each cell value of the repetitive columns read as.
    """
    _check_width(cells, header)
    cell = _Cells(cells, header, epoch, {} if memo is None else memo)
    order_no = cell.need("order_no", read_id)
    status = cell.get("status", _status)
    if status is None:
        raise RowError("status", "不能为空", "must not be empty")
    paid = cell.need("paid_amount", read_money)
    times = _times(cell, status)
    data = {
        "order_no": order_no, "created_at": times[0], "product_name": cell.need("product", read_name),
        "product_type": cell.need("product_type", _product_type), "quantity": cell.get("quantity", _quantity) or 1,
        "list_fen": cell.get("list_amount", read_money), "coupon_fen": cell.get("coupon", read_money) or 0,
        "points": cell.get("points", read_count) or 0, "paid_fen": paid, "status": status.value,
        "paid_at": times[1], "delivered_at": times[2], "completed_at": times[2] if status is S.COMPLETED else None,
        "cancelled_at": times[0] if status is S.CANCELLED else None, "channel": cell.get("channel", _channel),
        "gateway_trade_no": cell.get("gateway_trade_no", read_id) or None, "buyer": cell.get("buyer", read_contact) or "",
        "code_used": cell.get("code_used", _code_used) or "unknown", "updated_at": times[0],
        "refunded_fen": paid if status is S.REFUNDED else 0,
    }
    if data["list_fen"] is None:
        data["list_fen"] = paid
    if data["coupon_fen"] > data["list_fen"]:
        raise RowError("coupon", "优惠券金额大于原价", "coupon larger than the list amount")
    return data, _warnings(data, status, cell.get("gateway", read_name) or "", gateways)


#: Per column, what a cell value read as (or the CellError it raised).
Memo = dict[str, dict[Any, Any]]
#: Columns whose values repeat down a file (ids and contacts do not, so they are not remembered).
_MEMO_COLUMNS = frozenset({"created_at", "paid_at", "delivered_at", "product", "product_type", "quantity",
                           "list_amount", "coupon", "points", "paid_amount", "status", "channel", "gateway",
                           "code_used"})
_MEMO_SIZE = 4096


class _Cells:
    """The cells of one row by column code, each read by a cell reader with errors tagged."""

    def __init__(self, cells: Sequence[Cell], header: Header, epoch: datetime | None, memo: Memo) -> None:
        self.cells, self.header, self.epoch, self.memo = cells, header, epoch, memo

    def raw(self, code: str) -> Cell:
        position = self.header.index.get(code)
        return self.cells[position] if position is not None and position < len(self.cells) else None

    def get(self, code: str, reader: Any) -> Any:
        raw = self.raw(code)
        if code not in _MEMO_COLUMNS:
            return self._read(code, reader, raw)
        # Keyed by type too: True == 1 == 1.0 as dict keys, but they read differently.
        key = raw if type(raw) is str else (type(raw), raw)
        seen = self.memo.setdefault(code, {})
        if key not in seen:
            if len(seen) >= _MEMO_SIZE:
                seen.clear()
            try:
                seen[key] = reader(raw)
            except CellError as exc:
                seen[key] = exc
        value = seen[key]
        if isinstance(value, CellError):
            raise RowError(code, value.zh, value.en)
        return value

    def _read(self, code: str, reader: Any, raw: Cell) -> Any:
        try:
            return reader(raw)
        except CellError as exc:
            raise RowError(code, exc.zh, exc.en) from None

    def need(self, code: str, reader: Any) -> Any:
        value = self.get(code, reader)
        if value is None or value == "":
            raise RowError(code, "不能为空", "must not be empty")
        return value

    def when(self, code: str) -> int | None:
        epoch = self.epoch
        return self.get(code, lambda raw: read_time(raw, epoch))


def _check_width(cells: Sequence[Cell], header: Header) -> None:
    for position in range(len(cells)):
        if (position >= header.width or position in header.blank) and not is_blank(cells[position:position + 1]):
            raise RowError("", f"第 {position + 1} 列有内容但没有表头（某个值里可能有未加引号的逗号）",
                           f"column {position + 1} has a value but no header (a value may hold an unquoted comma)")


def _times(cell: _Cells, status: OrderStatus) -> tuple[int, int | None, int | None]:
    created = cell.when("created_at")
    if created is None:
        raise RowError("created_at", "不能为空", "must not be empty")
    paid_at, delivered_at = cell.when("paid_at"), cell.when("delivered_at")
    if status in _PAID_STATES and paid_at is None:
        raise RowError("paid_at", "已支付的订单需要支付时间", "a paid order needs its payment time")
    if status in (S.DELIVERED, S.COMPLETED) and delivered_at is None:
        raise RowError("delivered_at", "已发货的订单需要发货时间", "a delivered order needs its delivery time")
    if paid_at is not None and paid_at < created:
        raise RowError("paid_at", "支付时间早于下单时间", "the payment time is before the order was created")
    if delivered_at is not None and delivered_at < (paid_at if paid_at is not None else created):
        raise RowError("delivered_at", "发货时间早于支付时间", "the delivery time is before the payment")
    return created, paid_at, delivered_at


def _status(value: Cell) -> OrderStatus | None:
    text = clean_text(value)
    return _status_of(text) if text else None


@lru_cache(maxsize=256)
def _status_of(text: str) -> OrderStatus:
    try:
        return parse_status(text)
    except DomainError as exc:
        raise CellError(exc.zh, exc.en) from None


def _product_type(value: Cell) -> str:
    text = clean_text(value)
    code = TYPE_ALIASES.get(text, text.lower())
    if text and code not in _PRODUCT_TYPES:
        raise CellError(f"未知商品类型：{text}", f"unknown product type: {text}")
    return code


def _quantity(value: Cell) -> int | None:
    return read_count(value, low=1, high=10_000)


def _channel(value: Cell) -> str | None:
    text = clean_text(value)
    code = CHANNEL_ALIASES.get(text, text.lower())
    if code and code not in _CHANNELS:
        raise CellError(f"未知支付方式：{text}", f"unknown payment channel: {text}")
    return code or None


def _code_used(value: Cell) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        value = str(int(value)) if float(value).is_integer() else str(value)
    text = clean_text(value).lower()
    code = USED_ALIASES.get(text, text)
    if code not in _USED:
        raise CellError(f"卡密已使用应为 是/否/未知：{text}", f"code_used must be yes/no/unknown: {text}")
    return code


def _warnings(data: dict[str, Any], status: OrderStatus, gateway: str,
              gateways: dict[str, int]) -> list[tuple[str, str, str]]:
    found: list[tuple[str, str, str]] = []
    if status in _PAID_STATES and not data["gateway_trade_no"] and data["channel"] != "wallet":
        found.append(("gateway_trade_no", "缺少交易号：无法原路退款", "no trade no: refunds cannot go the original way"))
    data["gateway_id"] = gateways.get(gateway) if gateway else None
    if gateway and data["gateway_id"] is None:
        found.append(("gateway", f"没有名为 {gateway} 的网关账户", f"no gateway account named {gateway}"))
    if status is S.PARTIALLY_REFUNDED:
        found.append(("status", "部分退款金额未知，按 0 记录", "partial refund amount unknown; recorded as 0"))
    return found
