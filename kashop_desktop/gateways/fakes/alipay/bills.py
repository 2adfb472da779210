"""The fake's daily trade bill: a one-shot zip of GBK CSV files (VERIFY: layout as commonly reported)."""

from __future__ import annotations

import csv
import io
import time
import zipfile

from ..base import FakeRequest, FakeResponse
from .core import AlipayFakeCore
from .wire import (
    _beijing,
    _yuan,
)


class AlipayBills(AlipayFakeCore):
    """``downloadBillFile.resource`` and the bill zip it serves."""

    def _download_bill(self, req: FakeRequest) -> FakeResponse:
        token = req.query.get("fileId", "")
        entry = self._bills.pop(token, None)  # one-shot
        if entry is None or entry[1] < time.time():
            return FakeResponse.text("bill link expired or unknown", 404)
        return FakeResponse(200, entry[0], {"Content-Type": "application/oct-stream"})

    def bill_zip(self, bill_date: str) -> bytes:
        """A trade bill zip for one Beijing day (VERIFY: layout as commonly reported), GBK CSV."""
        header = (
            "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,"
            "订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,"
            "券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注"
        )
        out = io.StringIO()
        out.write("#支付宝业务明细查询\r\n")
        out.write(f"#账号：[{self.seller_id}0156]\r\n")
        out.write(f"#起始日期：[{bill_date} 00:00:00]   终止日期：[{bill_date} 23:59:59]\r\n")
        out.write(
            "#-----------------------------------------业务明细列表----------------------------------------\r\n"
        )
        out.write(header + "\r\n")
        writer = csv.writer(out, lineterminator="\r\n")
        trade_rows, refund_rows = self._trade_rows(bill_date), self._refund_rows(bill_date)
        writer.writerows(trade_rows + refund_rows)
        trades, refunds = len(trade_rows), len(refund_rows)
        out.write(
            "#-----------------------------------------业务明细列表结束------------------------------------\r\n"
        )
        out.write(f"#交易合计：{trades}笔，退款合计：{refunds}笔\r\n")
        out.write(f"#导出时间：[{_beijing()}]\r\n")
        detail = out.getvalue().encode("gbk")
        summary = (
            "#支付宝业务汇总查询\r\n门店编号,门店名称,交易订单总笔数,退款订单总笔数\r\n"
            f",,{trades},{refunds}\r\n#导出时间：[{_beijing()}]\r\n"
        ).encode("gbk")
        buf = io.BytesIO()
        day = bill_date.replace("-", "")
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"{self.seller_id}0156_{day}_detail.csv", detail)
            archive.writestr(f"{self.seller_id}0156_{day}_summary.csv", summary)
        return buf.getvalue()

    def _trade_rows(self, bill_date: str) -> list[list[str]]:
        """One 交易 row per payment paid on ``bill_date`` (Beijing)."""
        rows: list[list[str]] = []
        for p in self.ledger.payments.values():
            if p.paid_at is None or _beijing(p.paid_at)[:10] != bill_date:
                continue
            amount = _yuan(p.amount_fen)
            row = [
                p.trade_no + "\t",
                p.out_trade_no + "\t",
                "交易",
                p.subject,
                _beijing(p.created_at),
                _beijing(p.paid_at),
            ]
            row += (
                ["", "", "", "", "csq***@sandbox.com", amount, amount]
                + ["0.00"] * 5
                + ["", "0.00", "0.00", "", "0.00", "0.00", ""]
            )
            rows.append(row)
        return rows

    def _refund_rows(self, bill_date: str) -> list[list[str]]:
        """One 退款 row per refund that succeeded on ``bill_date`` (Beijing), amount negative."""
        rows: list[list[str]] = []
        for r in self.ledger.refunds:
            if r.status != "succeeded" or _beijing(r.created_at)[:10] != bill_date:
                continue
            payment = self.ledger.payment(r.out_trade_no)
            amount = "-" + _yuan(r.amount_fen)
            row = [
                r.trade_no + "\t",
                r.out_trade_no + "\t",
                "退款",
                payment.subject if payment else "",
                _beijing(r.created_at),
            ]
            row += [_beijing(r.created_at), "", "", "", "", "csq***@sandbox.com", amount, amount] + [
                "0.00"
            ] * 5
            row += ["", "0.00", "0.00", r.out_refund_no + "\t", "0.00", "0.00", ""]
            rows.append(row)
        return rows
