"""The fake's daily trade bill: ``/v3/bill/tradebill`` and the unsigned file download with its SHA1."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import secrets
from datetime import date, datetime

from ....domain.money import format_yuan
from ..base import FakeRequest, FakeResponse
from .core import WechatFakeCore
from .keys import (
    _BILL_HEADER,
    CST,
)


class WechatBills(WechatFakeCore):
    """The bill request, its rows and the file download."""

    # ---- bills -------------------------------------------------------------------------------
    def _tradebill(self, req: FakeRequest) -> FakeResponse:
        try:
            day = date.fromisoformat(req.query.get("bill_date", ""))
        except ValueError:
            return self._error(400, "PARAM_ERROR", "bill_date 格式应为 YYYY-MM-DD")
        bill_type = req.query.get("bill_type", "ALL")
        if bill_type not in ("ALL", "SUCCESS", "REFUND"):
            return self._error(400, "PARAM_ERROR", "bill_type 无效")
        rows = self._bill_rows(day, bill_type)
        if not rows:
            return self._error(400, "NO_STATEMENT_EXIST", "账单文件不存在")  # VERIFY status
        content = self.bill_content(rows)
        if req.query.get("tar_type") == "GZIP":
            content = gzip.compress(content, mtime=0)
        token = secrets.token_urlsafe(16)
        self._bills[token] = content
        return self._json({
            "hash_type": "SHA1", "hash_value": hashlib.sha1(content).hexdigest(),
            "download_url": f"{self.url}v3/billdownload/file?token={token}",
        })

    def _bill_file(self, req: FakeRequest) -> FakeResponse:
        content = self._bills.get(req.query.get("token", ""))
        if content is None:
            return self._signed(self._error(400, "INVALID_REQUEST", "下载令牌无效或已过期"))
        return FakeResponse(200, content, {"Content-Type": "application/octet-stream"})

    def _bill_rows(self, day: date, bill_type: str) -> list[list[str]]:
        def on_day(ts: float | None) -> bool:
            return ts is not None and datetime.fromtimestamp(ts, CST).date() == day

        def stamp(ts: float) -> str:
            return datetime.fromtimestamp(ts, CST).strftime("%Y-%m-%d %H:%M:%S")

        rows: list[list[str]] = []
        if bill_type in ("ALL", "SUCCESS"):
            for p in self.ledger.payments.values():
                if p.paid_at is not None and on_day(p.paid_at):
                    total = format_yuan(p.amount_fen)
                    rows.append([stamp(p.paid_at), self.appid, self.mchid, "0", "", p.trade_no, p.out_trade_no,
                                 "oUser", "NATIVE", "SUCCESS", "OTHERS", "CNY", total, "0.00", "0", "0", "0.00",
                                 "0.00", "", "", p.subject, "", "0.00000", "0.60%", total, "0.00", ""])
        if bill_type in ("ALL", "REFUND"):
            for r in self.ledger.refunds:
                if not on_day(r.created_at):
                    continue
                order = self.ledger.payment(out_trade_no=r.out_trade_no)
                total = format_yuan(order.amount_fen if order else r.amount_fen)
                wx = self._wx_status.get(r.out_refund_no, "SUCCESS")
                refund = format_yuan(r.amount_fen)
                rows.append([stamp(r.created_at), self.appid, self.mchid, "0", "", r.trade_no, r.out_trade_no,
                             "oUser", "NATIVE", "REFUND", "OTHERS", "CNY", "0.00", "0.00", r.refund_no,
                             r.out_refund_no, refund, "0.00", "ORIGINAL", wx, order.subject if order else "", "",
                             "0.00000", "0.60%", total, refund, ""])
        return rows

    @staticmethod
    def bill_content(rows: list[list[str]]) -> bytes:
        """The bill text: header, back-tick-prefixed data rows, then the summary block (VERIFY)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(_BILL_HEADER)
        for row in rows:
            writer.writerow("`" + cell for cell in row)
        writer.writerow(["总交易单数", "应结订单总金额", "退款总金额", "充值券退款总金额", "手续费总金额", "订单总金额", "申请退款总金额"])
        writer.writerow(["`" + str(len(rows)), "`0.00", "`0.00", "`0.00", "`0.00000", "`0.00", "`0.00"])
        return out.getvalue().encode("utf-8")
