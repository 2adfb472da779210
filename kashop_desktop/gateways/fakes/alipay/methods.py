"""The fake's OpenAPI methods: trade query, refund, refund query, precreate, bill URL."""

from __future__ import annotations

import re
import secrets
import time
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from ..base import FakePayment, FakeRefund
from .bills import AlipayBills
from .wire import (
    _BILL_PATH,
    BEIJING,
    _beijing,
    _fen,
    _yuan,
)


class AlipayMethods(AlipayBills):
    """``alipay.trade.*`` and the bill download URL, each ``(biz, params) -> (inner reply, booked)``."""

    # ---- methods --------------------------------------------------------------------------------------
    def _trade_query(self, biz: dict[str, Any], params: dict[str, str]) -> tuple[dict[str, Any], bool]:
        payment = self._payment(biz)
        if payment is None or payment.out_trade_no in self.unscanned:
            return self._error("40004", "ACQ.TRADE_NOT_EXIST", "交易不存在"), False
        paid = payment.paid_at is not None
        total = _yuan(payment.amount_fen)
        inner: dict[str, Any] = {
            "code": "10000",
            "msg": "Success",
            "buyer_logon_id": "csq***@sandbox.com",
            "buyer_pay_amount": total if paid else "0.00",
            "buyer_user_id": "2088102177846880",
            "invoice_amount": total if paid else "0.00",
            "out_trade_no": payment.out_trade_no,
            "point_amount": "0.00",
            "receipt_amount": total if paid else "0.00",
            "total_amount": total,
            "trade_no": payment.trade_no,
            "trade_status": self.trade_status(payment),
        }
        if paid:
            inner["send_pay_date"] = _beijing(payment.paid_at)
            inner["fund_bill_list"] = [{"amount": total, "fund_channel": "ALIPAYACCOUNT"}]
        return inner, False

    def _trade_refund(self, biz: dict[str, Any], params: dict[str, str]) -> tuple[dict[str, Any], bool]:
        self.ledger.refund_calls += 1
        payment = self._payment(biz)
        if payment is None or payment.out_trade_no in self.unscanned:
            return self._error("40004", "ACQ.TRADE_NOT_EXIST", "交易不存在"), False
        amount = _fen(biz.get("refund_amount", ""))
        if amount is None:
            return self._error("40004", "ACQ.REASON_TRADE_REFUND_FEE_ERR", "退款金额无效"), False
        # Omitting out_request_no means a full refund keyed by the out_trade_no (§2.7).
        out_request_no = str(biz.get("out_request_no") or payment.out_trade_no)
        earlier = self.find_refund(payment.out_trade_no, out_request_no)
        if earlier is not None:
            self.ledger.duplicate_refund_calls += 1
            if earlier.amount_fen != amount:
                return self._error("40004", "ACQ.DISCORDANT_REPEAT_REQUEST", "请求信息不一致"), False
            return self._refund_reply(payment, fund_change="N"), False
        if not biz.get("out_request_no") and amount != payment.amount_fen:
            return self._error(
                "40004",
                "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL",
                "退款金额与交易金额不相等（部分退款须传退款请求号）",
            ), False
        status = self.trade_status(payment)
        if status == "TRADE_FINISHED":
            return self._error("40004", "ACQ.TRADE_HAS_FINISHED", "交易已完结"), False
        if status != "TRADE_SUCCESS":
            return self._error("40004", "ACQ.TRADE_STATUS_ERROR", "交易状态非法"), False
        if payment.out_trade_no in self.frozen:
            return self._error("40004", "ACQ.REASON_TRADE_BEEN_FREEZEN", "交易已经被冻结"), False
        if amount > payment.amount_fen - payment.refunded_fen:
            return self._error("40004", "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限"), False
        if self.chaos.balance_not_enough:
            return self._error("40004", "ACQ.SELLER_BALANCE_NOT_ENOUGH", "卖家余额不足"), False
        self._refund_seq += 1
        refund = FakeRefund(
            refund_no=f"{payment.trade_no}-{self._refund_seq}",
            out_refund_no=out_request_no,
            out_trade_no=payment.out_trade_no,
            trade_no=payment.trade_no,
            amount_fen=amount,
            status="processing" if self.chaos.processing_first or self.chaos.refund_never_settles else "succeeded",
        )
        self.ledger.refunds.append(refund)
        payment.refunded_fen += amount
        if payment.refunded_fen >= payment.amount_fen:
            payment.status = "closed"
        if self.roll(self.refund_query_lag_rate):
            self._lagging.add((payment.out_trade_no, out_request_no))
        if self.roll(self.error_after_booking_rate):
            if self._rng.random() < 0.5:
                return self._error("20000", "isp.unknow-error", "系统繁忙"), True
            return self._error("40004", "ACQ.SYSTEM_ERROR", "系统错误"), True
        return self._refund_reply(payment, fund_change="N" if refund.status == "processing" else "Y"), True

    def _refund_reply(self, payment: FakePayment, *, fund_change: str) -> dict[str, Any]:
        return {
            "code": "10000",
            "msg": "Success",
            "buyer_logon_id": "csq***@sandbox.com",
            "buyer_user_id": "2088102177846880",
            "fund_change": fund_change,
            "gmt_refund_pay": _beijing(),
            "out_trade_no": payment.out_trade_no,
            "refund_fee": _yuan(payment.refunded_fen),  # the trade's total refunded so far
            "send_back_fee": "0.00",
            "trade_no": payment.trade_no,
        }

    def _refund_query(self, biz: dict[str, Any], params: dict[str, str]) -> tuple[dict[str, Any], bool]:
        payment = self._payment(biz)
        if payment is None or payment.out_trade_no in self.unscanned:
            return self._error("40004", "ACQ.TRADE_NOT_EXIST", "交易不存在"), False
        out_request_no = str(biz.get("out_request_no") or "")
        if not out_request_no:
            return self._error("40004", "ACQ.INVALID_PARAMETER", "参数无效（out_request_no）"), False
        refund = self.find_refund(payment.out_trade_no, out_request_no)
        lagging = (payment.out_trade_no, out_request_no)
        if refund is None or lagging in self._lagging:
            self._lagging.discard(lagging)
            return {"code": "10000", "msg": "Success"}, False
        refund.queries += 1
        if refund.status == "processing" and refund.queries >= 2 and not self.chaos.refund_never_settles:
            refund.status = "succeeded"
        inner: dict[str, Any] = {
            "code": "10000",
            "msg": "Success",
            "out_request_no": refund.out_refund_no,
            "out_trade_no": payment.out_trade_no,
            "refund_amount": _yuan(refund.amount_fen),
            "total_amount": _yuan(payment.amount_fen),
            "trade_no": payment.trade_no,
        }
        if refund.status == "succeeded":
            inner["refund_status"] = "REFUND_SUCCESS"
            options = biz.get("query_options") or []
            if isinstance(options, list) and "gmt_refund_pay" in options:
                inner["gmt_refund_pay"] = _beijing(refund.created_at)
        return inner, False

    def _precreate(self, biz: dict[str, Any], params: dict[str, str]) -> tuple[dict[str, Any], bool]:
        out_trade_no = str(biz.get("out_trade_no") or "")
        amount = _fen(biz.get("total_amount", ""))
        if not out_trade_no or amount is None or not biz.get("subject"):
            return self._error("40004", "ACQ.INVALID_PARAMETER", "参数无效"), False
        payment = self.ledger.payment(out_trade_no)
        if payment is not None and (payment.status != "pending" or payment.amount_fen != amount):
            if payment.status == "paid":
                return self._error("40004", "ACQ.TRADE_HAS_SUCCESS", "交易已被支付"), False
            return self._error("40004", "ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改"), False
        if payment is None:
            payment = self.add_payment(out_trade_no, amount, status="pending", subject=str(biz["subject"]))
            self.unscanned.add(out_trade_no)
        if params.get("notify_url"):
            self.notify_urls[out_trade_no] = params["notify_url"]
        qr = "https://qr.alipay.com/bax0" + payment.trade_no[-8:] + "kashopfake"
        return {"code": "10000", "msg": "Success", "out_trade_no": out_trade_no, "qr_code": qr}, False

    def _trade_close(self, biz: dict[str, Any], params: dict[str, str]) -> tuple[dict[str, Any], bool]:
        """alipay.trade.close: a waiting trade closes; closing a closed one again answers 10000
        (VERIFY); a paid one answers ACQ.TRADE_STATUS_ERROR; a QR never scanned has no trade."""
        payment = self._payment(biz)
        if payment is None or payment.out_trade_no in self.unscanned:
            return self._error("40004", "ACQ.TRADE_NOT_EXIST", "交易不存在"), False
        if payment.status == "paid":
            return self._error("40004", "ACQ.TRADE_STATUS_ERROR", "交易状态不合法"), False
        booked = payment.status != "closed"
        payment.status = "closed"
        inner = {"code": "10000", "msg": "Success", "out_trade_no": payment.out_trade_no, "trade_no": payment.trade_no}
        return inner, booked

    def _bill_url(self, biz: dict[str, Any], params: dict[str, str]) -> tuple[dict[str, Any], bool]:
        bill_type = str(biz.get("bill_type") or "")
        bill_date = str(biz.get("bill_date") or "")
        if bill_type != "trade" or not re.match(r"^\d{4}-\d{2}-\d{2}$", bill_date):
            return self._error("40004", "isp.bill_not_exist", "账单不存在"), False
        today = datetime.now(BEIJING).date().isoformat()
        if bill_date >= today:
            return self._error("40004", "isp.bill_not_exist", "账单不存在"), False
        token = secrets.token_hex(12)
        self._bills[token] = (self.bill_zip(bill_date), time.time() + self.bill_ttl_seconds)
        query = urlencode(
            {
                "bizType": "trade",
                "userId": self.seller_id,
                "fileType": "csv.zip",
                "bizDates": bill_date.replace("-", ""),
                "downloadFileName": f"{self.seller_id}0156_{bill_date.replace('-', '')}.csv.zip",
                "fileId": token,
            }
        )
        url = f"http://127.0.0.1:{self.port}{_BILL_PATH}?{query}"
        return {"code": "10000", "msg": "Success", "bill_download_url": url}, False
