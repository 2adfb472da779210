"""The fake Alipay gateway's state: apps and keys, signing, reply envelopes, the ledger's views."""

from __future__ import annotations

import base64
import contextlib
import json
import socket
from typing import Any, Self

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from ..base import FakeGatewayServer, FakePayment, FakeRefund, FakeResponse
from .wire import (
    _GATEWAY_PATH,
    _new_key,
    _pem_private,
    _pem_public,
)


class AlipayFakeCore(FakeGatewayServer):
    """Keys, knobs, signing and envelopes shared by the gateway methods, bills and notify."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, app_id: str = "2021000000000001") -> None:
        super().__init__(host, port)
        self.app_id = app_id
        self.seller_id = "2088000000000001"
        self.app_key = _new_key()  # the merchant's pair: its public half is "uploaded" here
        self.alipay_key = _new_key()  # Alipay's pair: signs replies and notifications
        self._wrong_key: rsa.RSAPrivateKey | None = None
        self.error_after_booking_rate = 0.0
        # Alipay warns that a refund query made too soon can come back empty: a freshly booked
        # refund is, with this probability, missing from the first fastpay.refund.query.
        self.refund_query_lag_rate = 0.0
        self._lagging: set[tuple[str, str]] = set()
        self.bill_ttl_seconds = 30.0
        self.notify_urls: dict[str, str] = {}  # out_trade_no -> notify_url from precreate
        self.finished: set[str] = set()  # trades past their refund window (TRADE_FINISHED)
        self.frozen: set[str] = set()
        self.unscanned: set[str] = set()  # precreated, QR never scanned: Alipay says TRADE_NOT_EXIST
        self.calls: dict[str, int] = {}  # per method, authenticated calls only
        self._bills: dict[str, tuple[bytes, float]] = {}
        self._refund_seq = 0

    def start(self) -> Self:
        super().start()
        # Harness workaround (reported upstream): the handler writes headers and body in two
        # send() calls, so without TCP_NODELAY every reply waits ~40 ms on the client's delayed
        # ACK; and socketserver's listen backlog of 5 resets bursts of new connections. Accepted
        # sockets inherit TCP_NODELAY from the listening socket on Linux; listen() again only
        # raises the backlog.
        httpd = self._httpd
        if httpd is not None:
            with contextlib.suppress(OSError):
                httpd.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                httpd.socket.listen(256)
        return self

    # ---- configuration for clients --------------------------------------------------------------
    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{_GATEWAY_PATH}"

    def app_private_key_pem(self, *, pkcs1: bool = False) -> str:
        return _pem_private(self.app_key, pkcs1=pkcs1)

    def app_public_key_pem(self) -> str:
        return _pem_public(self.app_key.public_key())

    def alipay_public_key_pem(self) -> str:
        return _pem_public(self.alipay_key.public_key())

    def alipay_private_key_pem(self) -> str:
        return _pem_private(self.alipay_key)

    def account_config(self, kind: str = "alipay") -> dict[str, str]:
        """Configuration for an AlipayAdapter talking to this fake."""
        if kind != "alipay":
            raise KeyError(kind)
        return {
            "base_url": self.gateway_url,
            "app_id": self.app_id,
            "app_private_key": self.app_private_key_pem(),
            "alipay_public_key": self.alipay_public_key_pem(),
        }

    # ---- signing ---------------------------------------------------------------------------------
    @property
    def wrong_key(self) -> rsa.RSAPrivateKey:
        if self._wrong_key is None:
            self._wrong_key = _new_key()
        return self._wrong_key

    def sign(self, text: str, *, bad: bool = False) -> str:
        key = self.wrong_key if bad else self.alipay_key
        return base64.b64encode(key.sign(text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())).decode(
            "ascii"
        )

    @staticmethod
    def request_sign_content(params: dict[str, str]) -> str:
        return "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "sign" and params[k] != "")

    def _request_signature_ok(self, params: dict[str, str]) -> bool:
        try:
            signature = base64.b64decode(params["sign"], validate=True)
            self.app_key.public_key().verify(
                signature,
                self.request_sign_content(params).encode("utf-8"),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except (InvalidSignature, ValueError):
            return False
        return True

    @staticmethod
    def serialize(obj: Any) -> str:
        """Compact JSON, UTF-8 unescaped, '/' escaped as '\\/' (as Alipay emits)."""
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).replace("/", "\\/")

    def envelope(
        self, key: str, inner: dict[str, Any], *, signed: bool = True, booked: bool = False
    ) -> FakeResponse:
        content = self.serialize(inner)
        text = f"{{{self.serialize(key)}:{content}"
        if signed:
            text += f',"sign":{self.serialize(self.sign(content, bad=self.bad_signature_now))}'
        body = (text + "}").encode("utf-8")
        return FakeResponse(200, body, {"Content-Type": "text/html;charset=utf-8"}, booked)

    @staticmethod
    def _error(code: str, sub_code: str, sub_msg: str) -> dict[str, Any]:
        msg = {
            "20000": "Service Currently Unavailable",
            "40001": "Missing Required Arguments",
            "40002": "Invalid Arguments",
            "40004": "Business Failed",
            "40006": "Insufficient Permissions",
        }[code]
        return {"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg}

    # ---- helpers ------------------------------------------------------------------------------------
    def _payment(self, biz: dict[str, Any]) -> FakePayment | None:
        trade_no = str(biz.get("trade_no") or "")
        out_trade_no = str(biz.get("out_trade_no") or "")
        payment = self.ledger.payment(out_trade_no or None, trade_no or None)
        if payment and out_trade_no and payment.out_trade_no != out_trade_no:
            return None
        return payment

    def trade_status(self, payment: FakePayment) -> str:
        if payment.status == "pending":
            return "WAIT_BUYER_PAY"
        if payment.status == "closed":
            return "TRADE_CLOSED"
        if payment.out_trade_no in self.finished:
            return "TRADE_FINISHED"
        return "TRADE_SUCCESS"

    def find_refund(self, out_trade_no: str, out_request_no: str) -> FakeRefund | None:
        for refund in self.ledger.refunds:
            if refund.out_trade_no == out_trade_no and refund.out_refund_no == out_request_no:
                return refund
        return None

    # ---- scenario helpers -------------------------------------------------------------------------------
    def pay(self, out_trade_no: str) -> FakePayment:
        """The buyer scans the QR and pays a precreated (or pending) trade."""
        return self.pay_trade(out_trade_no)

    def _paid(self, payment: FakePayment) -> None:
        self.unscanned.discard(payment.out_trade_no)

    def scan(self, out_trade_no: str) -> None:
        """The buyer scanned the QR but has not paid yet: the trade now exists (WAIT_BUYER_PAY)."""
        with self.lock:
            self.unscanned.discard(out_trade_no)

    def finish_trade(self, out_trade_no: str) -> None:
        """Move a paid trade past its refund window (TRADE_FINISHED)."""
        with self.lock:
            self.finished.add(out_trade_no)
