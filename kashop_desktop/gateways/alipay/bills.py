"""The daily ``trade`` bill of Alipay (a zip of GBK/UTF-8 CSV files) as transactions.

VERIFY: the layout is widely reported, not confirmed from a primary source.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from ...domain.money import yuan_decimal_to_fen
from ..base import PaymentState, TxRecord
from .codes import BEIJING, parse_time


def _decode_bill(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data.decode("utf-8-sig")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def parse_trade_bill(zip_bytes: bytes) -> list[dict[str, str]]:
    """Rows of the 业务明细 CSV inside an Alipay ``trade`` bill zip, keyed by column title.

    The detail file is found by its header row (it has 商户订单号 and 业务类型), not by its file
    name, because the names inside Alipay's zip are GBK without the UTF-8 flag. Lines starting
    with ``#`` are comments; cells are stripped of the tabs Alipay pads numbers with.
    """
    rows: list[dict[str, str]] = []
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            text = _decode_bill(archive.read(info))
            header: list[str] | None = None
            for line in csv.reader(io.StringIO(text)):
                if not line or not "".join(line).strip():
                    continue
                if line[0].lstrip().startswith("#"):
                    if header is not None:
                        break
                    continue
                cells = [cell.strip() for cell in line]
                if header is None:
                    if "商户订单号" in cells and "业务类型" in cells:
                        header = cells
                    continue
                rows.append(dict(zip(header, cells, strict=False)))
    return rows


def _column(row: Mapping[str, str], prefix: str) -> str:
    for key, value in row.items():
        if key.startswith(prefix):
            return value
    return ""


def bill_records(rows: Sequence[Mapping[str, str]]) -> list[TxRecord]:
    by_trade: dict[str, dict[str, Any]] = {}
    for row in rows:
        out_trade_no = _column(row, "商户订单号")
        if not out_trade_no:
            continue
        entry = by_trade.setdefault(
            out_trade_no,
            {"trade_no": None, "amount": None, "refunded": 0, "created": None, "paid": None, "rows": []},
        )
        entry["rows"].append(dict(row))
        entry["trade_no"] = entry["trade_no"] or _column(row, "支付宝交易号") or None
        amount = abs(yuan_decimal_to_fen(_column(row, "订单金额") or "0"))
        kind = _column(row, "业务类型")
        if kind == "交易":
            entry["amount"] = amount
            entry["created"] = parse_time(_column(row, "创建时间"))
            entry["paid"] = parse_time(_column(row, "完成时间"))
        elif kind == "退款":
            # VERIFY: refund rows carry the refunded amount (negative) in 订单金额.
            entry["refunded"] += amount
    records: list[TxRecord] = []
    for out_trade_no, entry in by_trade.items():
        amount_fen = entry["amount"]
        refunded = entry["refunded"]
        if amount_fen is None:
            # Only refund rows in the range: the payment row is in another day's bill.
            state, amount_fen = PaymentState.UNKNOWN, 0
        elif refunded >= amount_fen > 0:
            state = PaymentState.REFUNDED
        elif refunded > 0:
            state = PaymentState.PARTIALLY_REFUNDED
        else:
            state = PaymentState.PAID
        records.append(
            TxRecord(
                out_trade_no=out_trade_no,
                gateway_trade_no=entry["trade_no"],
                amount_fen=amount_fen,
                state=state,
                created_at=entry["created"],
                paid_at=entry["paid"],
                refunded_fen=refunded,
                raw=entry["rows"],
            )
        )
    records.sort(key=lambda r: (r.created_at or datetime.min.replace(tzinfo=BEIJING), r.out_trade_no))
    return records
