"""The WeChat Pay daily trade bill (``/v3/bill/tradebill``) as transactions."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from ...domain.errors import MoneyError
from ...domain.money import yuan_decimal_to_fen
from ..base import ErrorKind, GatewayError, PaymentState, TxRecord
from .signing import CST


def parse_trade_bill(content: bytes) -> list[dict[str, str]]:
    """Data rows of a WeChat trade bill, keyed by the Chinese header names, back-ticks removed.

    VERIFY: layout restated from common knowledge of the bill (header row, data rows whose fields
    start with a back-tick, then a 总交易单数 summary block); columns are looked up by name, so
    their order does not matter.
    """
    reader = csv.reader(io.StringIO(content.decode("utf-8-sig")))
    header: list[str] | None = None
    rows: list[dict[str, str]] = []
    for cells in reader:
        cells = [c.strip().lstrip("`") for c in cells]
        if not any(cells):
            continue
        if header is None:
            header = cells
            continue
        if cells[0].startswith("总"):
            break
        rows.append(dict(zip(header, cells, strict=False)))
    return rows


def records_from_bill(rows: list[dict[str, str]]) -> list[TxRecord]:
    orders: dict[str, dict[str, Any]] = {}
    for row in rows:
        otn = row.get("商户订单号", "")
        if not otn:
            continue
        order = orders.setdefault(otn, {"tid": row.get("微信订单号") or None, "total": None, "refunded": 0, "paid_at": None})
        try:
            total = yuan_decimal_to_fen(row.get("订单金额") or row.get("应结订单金额") or "0")
            if row.get("交易状态") == "REFUND":
                if row.get("退款状态", "SUCCESS") == "SUCCESS":
                    order["refunded"] += yuan_decimal_to_fen(row.get("申请退款金额") or row.get("退款金额") or "0")
            else:
                order["paid_at"] = bill_time(row.get("交易时间", ""))
            order["total"] = order["total"] or total
        except MoneyError as exc:
            raise GatewayError(ErrorKind.UNKNOWN_OUTCOME, "账单金额格式无效", "invalid amount in the bill",
                               code="bad_bill", raw=row) from exc
    records = []
    for otn, order in orders.items():
        total, refunded = int(order["total"] or 0), int(order["refunded"])
        state = PaymentState.PAID
        if refunded:
            state = PaymentState.REFUNDED if refunded >= total else PaymentState.PARTIALLY_REFUNDED
        records.append(TxRecord(otn, order["tid"], total, state, created_at=order["paid_at"],
                                paid_at=order["paid_at"], refunded_fen=refunded, raw=order))
    return records


def bill_time(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=CST)
    except ValueError:
        return None
