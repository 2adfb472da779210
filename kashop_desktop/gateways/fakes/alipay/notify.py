"""The fake's asynchronous notifications: signed payment and refund notifies POSTed to the shop."""

from __future__ import annotations

import json
import secrets
from urllib.parse import parse_qsl, urlencode

import httpx

from ..base import FakeRefund
from .core import AlipayFakeCore
from .wire import (
    _beijing,
    _yuan,
)


class AlipayNotify(AlipayFakeCore):
    """Builds, signs and sends notifications."""

    # ---- notifications ----------------------------------------------------------------------------------
    def notify_params(
        self, out_trade_no: str, *, refund: FakeRefund | None = None, bad_signature: bool = False
    ) -> dict[str, str]:
        """A signed trade_status_sync notification (payment, or refund when ``refund`` is given)."""
        with self.lock:
            payment = self.ledger.payments[out_trade_no]
            total = _yuan(payment.amount_fen)
            params: dict[str, str] = {
                "notify_time": _beijing(),
                "notify_type": "trade_status_sync",
                "notify_id": secrets.token_hex(16),
                "app_id": self.app_id,
                "charset": "utf-8",
                "version": "1.0",
                "trade_no": payment.trade_no,
                "out_trade_no": payment.out_trade_no,
                "buyer_id": "2088102177846880",
                "buyer_logon_id": "csq***@sandbox.com",
                "seller_id": self.seller_id,
                "seller_email": "shop@example.com",
                "trade_status": self.trade_status(payment),
                "total_amount": total,
                "receipt_amount": total,
                "invoice_amount": total,
                "buyer_pay_amount": total,
                "point_amount": "0.00",
                "subject": payment.subject or "商品",
                "gmt_create": _beijing(payment.created_at),
                "fund_bill_list": json.dumps(
                    [{"amount": total, "fundChannel": "ALIPAYACCOUNT"}], separators=(",", ":")
                ),
            }
            if payment.paid_at is not None:
                params["gmt_payment"] = _beijing(payment.paid_at)
            if refund is not None:
                params["out_biz_no"] = refund.out_refund_no
                params["refund_fee"] = _yuan(payment.refunded_fen)
                params["gmt_refund"] = _beijing(refund.created_at) + ".000"
                if payment.status == "closed":
                    params["gmt_close"] = _beijing(refund.created_at)
        content = "&".join(f"{k}={params[k]}" for k in sorted(params))  # sign and sign_type excluded
        params["sign_type"] = "RSA2"
        params["sign"] = self.sign(content, bad=bad_signature)
        return params

    @staticmethod
    def send_notify(url: str, params: dict[str, str], *, timeout: float = 5.0) -> tuple[int, bytes]:
        """POST the notification form to ``url``; returns (HTTP status, body). Ack is b"success"."""
        with httpx.Client(timeout=timeout, trust_env=False) as client:
            resp = client.post(
                url,
                content=urlencode(params).encode("ascii"),
                headers={"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"},
            )
            return resp.status_code, resp.content

    @staticmethod
    def parse_form(body: bytes) -> dict[str, str]:
        return dict(parse_qsl(body.decode("ascii"), keep_blank_values=True))
