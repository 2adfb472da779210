"""Importing orders from CSV (UTF-8, UTF-8 with BOM, GBK) and XLSX.

Every row is validated on its own and problems are reported per row (row number, column,
why). Valid rows are imported; a row is either imported whole or not at all. Re-importing an
order no updates it only where that is safe: an order never moves backwards, and money and
identity fields of an existing order never change.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..domain.clock import parse_time, to_epoch
from ..domain.errors import DomainError
from ..domain.money import parse_yuan
from ..domain.order import Channel, CodeUsed, ProductType
from ..domain.states import OrderStatus, parse_status
from ..store.models import GatewayAccount, Order, Product
from .bulk import insert_orders
from .changes import Changes
from .common import OWNER, add_events, buyer_for, event_row
from .desk import Desk

S = OrderStatus

COLUMNS: dict[str, tuple[str, ...]] = {
    "order_no": ("订单号",),
    "created_at": ("下单时间",),
    "product": ("商品",),
    "product_type": ("商品类型",),
    "quantity": ("数量",),
    "list_amount": ("原价",),
    "coupon": ("优惠券",),
    "points": ("积分",),
    "paid_amount": ("实付金额",),
    "status": ("状态",),
    "paid_at": ("支付时间",),
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
RANK = {S.PENDING_PAYMENT: 0, S.PAID: 1, S.DELIVERED: 2, S.COMPLETED: 3}


@dataclass
class RowProblem:
    row: int  # 1-based line in the file, header = 1
    column: str
    zh: str
    en: str


@dataclass
class ImportReport:
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    warnings: list[RowProblem] = field(default_factory=list)
    changes: Changes = field(default_factory=Changes)


class _RowError(Exception):
    def __init__(self, column: str, zh: str, en: str) -> None:
        super().__init__(en)
        self.column, self.zh, self.en = column, zh, en


def read_table(path: Path) -> list[dict[str, str]]:
    """Rows as dicts keyed by our column codes (headers may be English or Chinese)."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        raw_rows = _read_xlsx(path)
    else:
        raw_rows = list(csv.reader(io.StringIO(_decode(path.read_bytes()))))
    if not raw_rows:
        raise DomainError("empty_file", "文件是空的", "the file is empty")
    header = [_column_code(h) for h in raw_rows[0]]
    unknown = [raw_rows[0][i] for i, h in enumerate(header) if h is None and str(raw_rows[0][i]).strip()]
    if unknown:
        raise DomainError("unknown_columns", f"不认识的列：{', '.join(map(str, unknown))}",
                          f"unknown columns: {', '.join(map(str, unknown))}")
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise DomainError("missing_columns", f"缺少必需的列：{', '.join(missing)}",
                          f"required columns missing: {', '.join(missing)}")
    out = []
    for raw in raw_rows[1:]:
        cells = [str(c) if c is not None else "" for c in raw]
        out.append({h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header) if h})
    return out


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise DomainError("bad_encoding", "文件编码无法识别（支持 UTF-8 与 GBK）",
                              "unrecognised encoding (UTF-8 and GBK are supported)") from exc


def _read_xlsx(path: Path) -> list[list[Any]]:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        rows = []
        for row in sheet.iter_rows(values_only=True):
            rows.append([_xlsx_cell(v) for v in row])
        return rows
    finally:
        book.close()


def _xlsx_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float):
        # Excel stores every number as a float; keep cents exact by going through repr.
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    return str(value)


def _column_code(header: Any) -> str | None:
    text = str(header or "").strip().lstrip("\ufeff")
    for code, names in COLUMNS.items():
        if text.lower() == code or text in names:
            return code
    return None


def _parse_row(row: dict[str, str], gateways: dict[str, GatewayAccount]) -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    warnings: list[tuple[str, str, str]] = []

    def need(col: str) -> str:
        value = row.get(col, "")
        if not value:
            raise _RowError(col, "不能为空", "must not be empty")
        return value

    def money(col: str, default: str = "0") -> int:
        try:
            return parse_yuan(row.get(col) or default)
        except DomainError as exc:
            raise _RowError(col, exc.zh, exc.en) from None

    def when(col: str, required: bool = False) -> int | None:
        value = row.get(col, "")
        if not value:
            if required:
                raise _RowError(col, "不能为空", "must not be empty")
            return None
        try:
            return to_epoch(parse_time(value))
        except ValueError:
            raise _RowError(col, f"时间格式无效：{value}", f"invalid time: {value}") from None

    order_no = need("order_no")
    if len(order_no) > 64 or any(c.isspace() for c in order_no):
        raise _RowError("order_no", "订单号无效", "invalid order no")
    ptype = TYPE_ALIASES.get(need("product_type"), row["product_type"])
    if ptype not in {t.value for t in ProductType}:
        raise _RowError("product_type", f"未知商品类型：{ptype}", f"unknown product type: {ptype}")
    try:
        status = parse_status(need("status"))
    except DomainError as exc:
        raise _RowError("status", exc.zh, exc.en) from None
    qty_text = row.get("quantity") or "1"
    if not qty_text.isdigit() or not 1 <= int(qty_text) <= 10_000:
        raise _RowError("quantity", f"数量无效：{qty_text}", f"invalid quantity: {qty_text}")
    paid = money("paid_amount")
    list_fen = money("list_amount", row.get("paid_amount") or "0")
    coupon = money("coupon")
    points_text = row.get("points") or "0"
    if not points_text.isdigit():
        raise _RowError("points", f"积分必须是非负整数：{points_text}", f"points must be a whole number: {points_text}")
    if coupon > list_fen:
        raise _RowError("coupon", "优惠券金额大于原价", "coupon larger than the list amount")
    channel = CHANNEL_ALIASES.get(row.get("channel", ""), row.get("channel", "")) or None
    if channel and channel not in {c.value for c in Channel}:
        raise _RowError("channel", f"未知支付方式：{channel}", f"unknown payment channel: {channel}")
    used = USED_ALIASES.get(row.get("code_used", "").lower(), row.get("code_used", "").lower())
    if used not in {c.value for c in CodeUsed}:
        raise _RowError("code_used", f"卡密已使用应为 是/否/未知：{used}", f"code_used must be yes/no/unknown: {used}")
    created = when("created_at", required=True)
    paid_at = when("paid_at")
    delivered_at = when("delivered_at")
    if status is not S.PENDING_PAYMENT and status is not S.CANCELLED and paid_at is None:
        raise _RowError("paid_at", "已支付的订单需要支付时间", "a paid order needs its payment time")
    if status in (S.DELIVERED, S.COMPLETED) and delivered_at is None:
        raise _RowError("delivered_at", "已发货的订单需要发货时间", "a delivered order needs its delivery time")
    if status is not S.PENDING_PAYMENT and paid_at is not None and not row.get("gateway_trade_no") \
            and channel != "wallet":
        warnings.append(("gateway_trade_no", "缺少交易号：无法原路退款", "no trade no: refunds cannot go the original way"))
    gateway_name = row.get("gateway", "")
    gateway_id = None
    if gateway_name:
        account = gateways.get(gateway_name)
        if account is None:
            warnings.append(("gateway", f"没有名为 {gateway_name} 的网关账户", f"no gateway account named {gateway_name}"))
        else:
            gateway_id = account.id
    refunded = paid if status is S.REFUNDED else 0
    if status is S.PARTIALLY_REFUNDED:
        warnings.append(("status", "部分退款金额未知，按 0 记录", "partial refund amount unknown; recorded as 0"))
    return {
        "order_no": order_no, "created_at": created, "product_name": need("product"), "product_type": ptype,
        "quantity": int(qty_text), "list_fen": list_fen, "coupon_fen": coupon, "points": int(points_text),
        "paid_fen": paid, "status": status.value, "paid_at": paid_at, "delivered_at": delivered_at,
        "completed_at": delivered_at if status is S.COMPLETED else None,
        "cancelled_at": created if status is S.CANCELLED else None, "channel": channel, "gateway_id": gateway_id,
        "gateway_trade_no": row.get("gateway_trade_no") or None, "buyer": row.get("buyer", ""), "code_used": used,
        "refunded_fen": refunded, "updated_at": created,
    }, warnings


def import_file(desk: Desk, path: Path, *, actor: str = OWNER) -> ImportReport:
    rows = read_table(path)
    return import_rows(desk, rows, actor=actor)


def import_rows(desk: Desk, rows: list[dict[str, str]], *, actor: str = OWNER) -> ImportReport:
    report = ImportReport(rows=len(rows))
    now = desk.now()
    with desk.atomic():
        gateways = {g.name: g for g in GatewayAccount.select()}
        products = {p.name: p for p in Product.select()}
        parsed: list[tuple[int, dict[str, Any]]] = []
        seen: set[str] = set()
        for number, row in enumerate(rows, start=2):
            try:
                data, warnings = _parse_row(row, gateways)
            except _RowError as exc:
                report.problems.append(RowProblem(number, exc.column, exc.zh, exc.en))
                continue
            if data["order_no"] in seen:
                report.problems.append(RowProblem(number, "order_no", "文件中订单号重复", "order no repeated in the file"))
                continue
            seen.add(data["order_no"])
            report.warnings += [RowProblem(number, c, zh, en) for c, zh, en in warnings]
            parsed.append((number, data))
        existing = _existing([d["order_no"] for _, d in parsed])
        new_rows = []
        for number, data in parsed:
            product = products.get(data["product_name"])
            if product is None:
                product = Product.create(name=data["product_name"], product_type=data["product_type"], stock=0)
                products[product.name] = product
            data["product_id"] = product.id
            data["buyer_ref_id"] = buyer_for(data["buyer"])
            if data["order_no"] in existing:
                _update(desk, existing[data["order_no"]], data, number, report, actor)
            else:
                new_rows.append(data)
        report.inserted = insert_orders(desk, new_rows)
        if new_rows:
            ids = _existing([d["order_no"] for d in new_rows])
            add_events(event_row(o.id, now, actor, "imported", "", None, o.status) for o in ids.values())
            report.changes.order_ids |= {o.id for o in ids.values()}
            report.changes.counts_changed = True
    return report


def _existing(order_nos: list[str]) -> dict[str, Order]:
    found: dict[str, Order] = {}
    for start in range(0, len(order_nos), 500):
        chunk = order_nos[start : start + 500]
        found.update({o.order_no: o for o in Order.select().where(Order.order_no.in_(chunk))})
    return found


def _update(desk: Desk, order: Order, data: dict[str, Any], number: int, report: ImportReport, actor: str) -> None:
    old, new = S(order.status), S(data["status"])
    if old is new:
        report.unchanged += 1
        return
    forward = old in RANK and new in RANK and RANK[new] > RANK[old]
    expire = old is S.PENDING_PAYMENT and new is S.CANCELLED
    if not (forward or expire):
        report.problems.append(RowProblem(number, "status", f"不能把订单从「{old.zh}」改为「{new.zh}」（不回退）",
                                          f"will not move the order from '{old.en}' to '{new.en}' (never backwards)"))
        return
    if order.paid_at is not None and data["paid_fen"] != order.paid_fen:
        report.problems.append(RowProblem(number, "paid_amount", "已支付订单的金额不能通过导入修改",
                                          "the amount of a paid order cannot be changed by an import"))
        return
    for key in ("paid_at", "delivered_at", "completed_at", "gateway_trade_no", "cancelled_at"):
        if getattr(order, key) is None and data.get(key) is not None:
            setattr(order, key, data[key])
    if data["code_used"] != "unknown":
        order.code_used = data["code_used"]
    before = order.status
    order.status = new.value
    order.updated_at = to_epoch(desk.now())
    order.save()
    add_events([event_row(order.id, desk.now(), actor, "imported_update", "", before, new.value)])
    report.updated += 1
    report.changes.order_ids.add(order.id)
    report.changes.counts_changed = True
