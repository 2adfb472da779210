"""The fake WeChat Pay merchant: keys and ids, knobs, reply signing, request authentication."""

from __future__ import annotations

import base64
import secrets
import time
import uuid
from dataclasses import asdict
from typing import Any, Self

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from ..base import Chaos, FakeGatewayServer, FakePayment, FakeRequest, FakeResponse, Ledger
from .keys import (
    _FIELD,
    SIGNATURE_TYPE,
    FakeWechatKeys,
    _private_pem,
    _public_pem,
)


class WechatFakeCore(FakeGatewayServer):
    """State, signing and authentication shared by the routes, bills and notifications."""

    #: with Chaos.processing_first, a refund answers PROCESSING to this many queries, then moves on
    processing_queries = 1
    #: where a PROCESSING refund ends: SUCCESS, CLOSED or ABNORMAL
    processing_outcome = "SUCCESS"
    #: seconds added to the timestamps the fake signs (to test the client's skew check)
    reply_clock_offset_s = 0
    max_skew_s = 300

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, keys: FakeWechatKeys | None = None) -> None:
        super().__init__(host, port)
        self.keys = keys or FakeWechatKeys.generate()
        self.mchid = "1900000100"
        self.appid = "wxd678efh567hg6787"
        self.merchant_serial_no = secrets.token_hex(20).upper()
        self.platform_public_key_id = "PUB_KEY_ID_0119" + "".join(secrets.choice("0123456789") for _ in range(24))
        self.apiv3_key = secrets.token_hex(16)  # 32 ASCII characters = 32 key bytes
        self.auth_failures = 0
        self._wx_status: dict[str, str] = {}  # out_refund_no -> SUCCESS | PROCESSING | CLOSED | ABNORMAL
        self._notify_urls: dict[str, str] = {}
        self._bills: dict[str, bytes] = {}
        self._code_urls: dict[str, str] = {}

    def start(self) -> Self:
        super().start()
        assert self._httpd is not None
        # The harness handler writes the headers and the body in two sends; without TCP_NODELAY,
        # Nagle plus delayed ACKs add tens of milliseconds to every reply on loopback.
        self._httpd.RequestHandlerClass.disable_nagle_algorithm = True  # type: ignore[attr-defined]
        return self

    def reset(self) -> None:
        """Forget every payment, refund, bill and knob (keys and ids stay): a fresh gateway
        without the cost of restarting the HTTP server."""
        with self.lock:
            self.ledger = Ledger()
            self.set_chaos(**asdict(Chaos()))
            self.requests_seen = self.auth_failures = 0
            for knob in ("processing_queries", "processing_outcome", "reply_clock_offset_s", "max_skew_s"):
                self.__dict__.pop(knob, None)
            self._wx_status.clear()
            self._notify_urls.clear()
            self._bills.clear()
            self._code_urls.clear()

    def account_config(self, kind: str = "wechatpay_v3") -> dict[str, str]:
        return {
            "base_url": self.url.rstrip("/"),
            "mchid": self.mchid,
            "merchant_serial_no": self.merchant_serial_no,
            "merchant_private_key": _private_pem(self.keys.merchant),
            "apiv3_key": self.apiv3_key,
            "platform_public_key": _public_pem(self.keys.platform),
            "platform_public_key_id": self.platform_public_key_id,
            "appid": self.appid,
        }

    # ---- ids ---------------------------------------------------------------------------------
    def new_trade_no(self) -> str:
        with self.lock:
            self._seq += 1
            return f"4200{self._seq:010d}{time.strftime('%Y%m%d')}{secrets.randbelow(10**6):06d}"

    def _new_refund_id(self) -> str:
        with self.lock:
            self._seq += 1
            return f"5030{self._seq:010d}{time.strftime('%Y%m%d')}{secrets.randbelow(10**7):07d}"

    def complete_payment(self, out_trade_no: str) -> FakePayment:
        """The buyer paid (e.g. scanned the Native code)."""
        return self.pay_trade(out_trade_no)

    # ---- signing -----------------------------------------------------------------------------
    def signature_headers(self, body: bytes, *, bad: bool = False) -> dict[str, str]:
        ts = str(int(time.time()) + self.reply_clock_offset_s)
        nonce = secrets.token_hex(16)
        key = self.keys.wrong if bad else self.keys.platform
        message = f"{ts}\n{nonce}\n".encode() + body + b"\n"
        signature = base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()
        return {
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": signature,
            "Wechatpay-Timestamp": ts,
            "Wechatpay-Serial": self.platform_public_key_id,
            "Wechatpay-Signature-Type": SIGNATURE_TYPE,
            "Request-ID": str(uuid.uuid4()),
        }

    def _signed(self, resp: FakeResponse) -> FakeResponse:
        resp.headers.update(self.signature_headers(resp.body, bad=self.bad_signature_now))
        return resp

    def _json(self, obj: Any, status: int = 200, *, booked: bool = False) -> FakeResponse:
        return FakeResponse.json(obj, status, booked=booked, separators=(",", ":"))

    def _error(self, status: int, code: str, message: str) -> FakeResponse:
        return self._json({"code": code, "message": message}, status)

    def server_error(self) -> FakeResponse:
        # Chaos 5xx happens before authentication, like a front proxy: unsigned.
        return self._error(500, "SYSTEM_ERROR", "系统错误")

    def _check_auth(self, req: FakeRequest) -> str | None:
        value = req.headers.get("authorization", "")
        if not value.startswith(SIGNATURE_TYPE + " "):
            return "Authorization 缺失或认证类型不是 WECHATPAY2-SHA256-RSA2048"
        fields = dict(_FIELD.findall(value[len(SIGNATURE_TYPE) + 1 :]))
        missing = [k for k in ("mchid", "nonce_str", "timestamp", "serial_no", "signature") if not fields.get(k)]
        if missing:
            return f"Authorization 缺少字段：{','.join(missing)}"
        if fields["mchid"] != self.mchid:
            return "Authorization 中的商户号无效"
        if fields["serial_no"].upper() != self.merchant_serial_no:
            return "商户API证书序列号有误"
        ts = fields["timestamp"]
        if not ts.isdigit() or abs(time.time() - int(ts)) > self.max_skew_s:
            return "请求时间戳过期，请检查系统时间"
        target = req.path + (f"?{req.raw_query}" if req.raw_query else "")
        message = f"{req.method}\n{target}\n{ts}\n{fields['nonce_str']}\n".encode() + req.body + b"\n"
        try:
            signature = base64.b64decode(fields["signature"], validate=True)
            self.keys.merchant.public_key().verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, ValueError):
            return "签名错误，请检查后再试"
        return None
