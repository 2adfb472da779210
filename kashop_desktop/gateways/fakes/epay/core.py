"""The fake 彩虹易支付 merchant: keys, knobs, ledger rows, responses, merchant checks, refund booking."""

from __future__ import annotations

import hmac
import random
import secrets
import string
import time
from collections.abc import Mapping
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, ClassVar, Self

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ..base import Chaos, FakeGatewayServer, FakePayment, FakeRefund, FakeRequest, FakeResponse, Ledger
from .php import (
    _CN,
    _JSON_HEADERS,
    _intval,
    _is_numeric,
    _md5,
    _OrderInfo,
    _pem_body,
    _php_str,
    _PhpError,
    _rsa_ok,
    _rsa_sign,
    _shared_keys,
    _yuan,
    php_json,
)


class EpayFakeCore(FakeGatewayServer):
    """State and helpers shared by the V1 routes, the V2 routes and checkout/notify."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        pid: str = "1001",
        key: str | None = None,
        fresh_keys: bool = False,
    ) -> None:
        super().__init__(host, port)
        self.pid = pid
        self.key = key or "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
        if fresh_keys:
            keys = tuple(rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(3))
        else:
            keys = _shared_keys()
        self.platform_private_key: rsa.RSAPrivateKey = keys[0]
        self.merchant_private_key: rsa.RSAPrivateKey = keys[1]
        self._rogue_key: rsa.RSAPrivateKey = keys[2]
        self.sys_key = secrets.token_hex(16)
        self.orders: dict[str, _OrderInfo] = {}
        self.refund_reduce: dict[str, str] = {}  # refund_no -> reducemoney as the DB holds it
        self.settles: list[dict[str, Any]] = []
        self.notifications: list[dict[str, Any]] = []
        self._default_knobs()

    def _default_knobs(self) -> None:
        self.user_refund = True  # site switch user_refund
        self.merchant_refund = True  # merchant switch refund
        self.rsa_only = False  # merchant keytype=RSA
        self.sign_business_errors = True  # sign the code -1 arrays Order::refund returns (as 彩虹 does)
        self.merchant_money_fen = 100_000_000  # 1,000,000.00 yuan of balance
        self.time_offset = 0.0  # server clock minus real time, seconds
        self.pay_type = "alipay"

    def reset(self) -> None:
        """Back to a fresh merchant (ledger, chaos, knobs) without restarting the HTTP server."""
        with self.lock:
            self.chaos = Chaos()
            self._rng = random.Random(0)
            self.ledger = Ledger()
            self.orders.clear()
            self.refund_reduce.clear()
            self.settles.clear()
            self.notifications.clear()
            self._default_knobs()

    def start(self) -> Self:
        super().start()
        return self

    def __enter__(self) -> Self:
        return self.start()

    # ---- configuration for adapters ----------------------------------------------------------
    def merchant_private_pem(self) -> str:
        return self.merchant_private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode("ascii")

    def merchant_public_base64(self) -> str:
        der = self.merchant_private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return _pem_body(der)

    def platform_public_base64(self) -> str:
        """The platform public key as 彩虹's merchant page shows it: bare base64 DER (SPKI)."""
        der = self.platform_private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return _pem_body(der)

    def account_config(self, kind: str = "epay_v2") -> dict[str, str]:
        """Config for an ``epay_v1`` or ``epay_v2`` adapter that talks to this server."""
        if kind == "epay_v1":
            return {"base_url": self.url, "pid": self.pid, "key": self.key}
        if kind == "epay_v2":
            return {
                "base_url": self.url,
                "pid": self.pid,
                "merchant_private_key": self.merchant_private_pem(),
                "platform_public_key": self.platform_public_base64(),
            }
        raise KeyError(kind)

    # ---- ledger helpers ----------------------------------------------------------------------
    def now(self) -> float:
        return time.time() + self.time_offset

    def _fmt_time(self, ts: float | None) -> str | None:
        if ts is None:
            return None
        return datetime.fromtimestamp(ts + self.time_offset, _CN).strftime("%Y-%m-%d %H:%M:%S")

    def _info(self, payment: FakePayment) -> _OrderInfo:
        info = self.orders.get(payment.out_trade_no)
        if info is None:
            info = self.orders[payment.out_trade_no] = _OrderInfo()
        if payment.status in ("paid", "frozen") and not info.api_trade_no:
            info.api_trade_no = "4200" + payment.trade_no
            info.buyer = info.buyer or "buyer@example.com"
        return info

    def add_payment(
        self, out_trade_no: str, amount_fen: int, *, status: str = "paid", subject: str = ""
    ) -> FakePayment:
        with self.lock:
            payment = super().add_payment(out_trade_no, amount_fen, status=status, subject=subject or "测试商品")
            self.orders.pop(out_trade_no, None)
            self._info(payment)
            return payment

    def mark_paid(self, out_trade_no: str, *, buyer: str = "buyer@example.com") -> FakePayment:
        """The buyer pays a pending order (what the upstream channel callback would do)."""
        with self.lock:
            payment = self.pay_trade(out_trade_no)
            self._info(payment).buyer = buyer
            return payment

    def _paid(self, payment: FakePayment) -> None:
        info = self._info(payment)
        info.buyer = info.buyer or "buyer@example.com"

    @staticmethod
    def _status(payment: FakePayment) -> str:
        if payment.status == "paid":
            return "2" if payment.refunded_fen > 0 else "1"
        if payment.status == "frozen":
            return "3"
        return "0"  # pending / closed: 彩虹 has only 未支付

    def _type(self, info: _OrderInfo) -> str:
        return info.type or self.pay_type

    # ---- responses ---------------------------------------------------------------------------
    @staticmethod
    def _json(obj: Any, *, unicode: bool, booked: bool = False) -> FakeResponse:
        return FakeResponse(200, php_json(obj, unescaped_unicode=unicode), dict(_JSON_HEADERS), booked)

    @classmethod
    def _echojsonmsg(cls, msg: str, code: int = -1) -> FakeResponse:
        return cls._json({"code": code, "msg": msg}, unicode=True)

    def _signed(self, result: dict[str, Any]) -> dict[str, Any]:
        result["timestamp"] = str(int(self.now()))
        result["sign_type"] = "RSA"
        key = self._rogue_key if self.bad_signature_now else self.platform_private_key
        result["sign"] = _rsa_sign(result, key)
        return result

    @staticmethod
    def _sysmsg(msg: str) -> FakeResponse:
        html = f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>站点提示信息</title></head><body><h3>站点提示信息</h3>{msg}</body></html>"
        return FakeResponse(200, html.encode("utf-8"), {"Content-Type": "text/html; charset=UTF-8"})

    @staticmethod
    def _post(req: FakeRequest) -> dict[str, str]:
        """PHP ``$_POST``: only for a POST with a form body."""
        if req.method == "POST" and "application/x-www-form-urlencoded" in req.headers.get("content-type", ""):
            return req.form()
        return {}

    # ---- merchant checks ---------------------------------------------------------------------
    def _verify_sign(self, params: Mapping[str, str]) -> bool:
        """Payment::verifySign: RSA with the merchant public key when sign_type=RSA, else MD5."""
        sign = params.get("sign", "")
        if not sign:
            return False
        if params.get("sign_type") == "RSA":
            return _rsa_ok(params, sign, self.merchant_private_key.public_key())
        return hmac.compare_digest(sign, _md5(params, self.key))

    def _api_verify(self, params: Mapping[str, str], *, api_init: bool) -> None:
        """ApiHelper::api_verify (raises _PhpError with the server's message)."""
        if self.rsa_only and params.get("sign_type") != "RSA":
            raise _PhpError("该商户只能使用RSA签名类型")
        if api_init:
            ts = params.get("timestamp", "")
            if not ts or ts.strip() == "":
                raise _PhpError("时间戳(timestamp)字段不能为空")
            try:
                skew = abs(self.now() - float(ts))
            except ValueError:
                skew = float("inf")
            if skew > 300:
                raise _PhpError("时间戳字段不正确，请检查服务器时间")
        if not self._verify_sign(params):
            raise _PhpError("RSA签名校验失败")

    def _v1_auth(self, pid: object, key: str) -> FakeResponse | None:
        if _intval(pid) != _intval(self.pid):
            return self._json({"code": -3, "msg": "商户ID不存在"}, unicode=False)
        if key != self.key:
            return self._json({"code": -3, "msg": "商户密钥错误"}, unicode=False)
        if self.rsa_only:
            return self._json({"code": -3, "msg": "该商户只能使用RSA签名类型"}, unicode=False)
        return None

    # ---- order rows --------------------------------------------------------------------------
    def _row(self, p: FakePayment, *, v2: bool) -> dict[str, Any]:
        info = self._info(p)
        row: dict[str, Any] = {
            "trade_no": p.trade_no,
            "out_trade_no": p.out_trade_no,
            "api_trade_no": info.api_trade_no or None,
            "type": self._type(info),
            "pid": self.pid,
            "addtime": self._fmt_time(p.created_at),
            "endtime": self._fmt_time(p.paid_at),
            "name": p.subject,
            "money": _yuan(p.amount_fen),
            "param": info.param or None,
            "buyer": info.buyer or None,
        }
        if v2:
            row["clientip"] = info.clientip or None
        row["status"] = self._status(p)
        if v2:
            row["refundmoney"] = _yuan(p.refunded_fen) if p.refunded_fen else None
        return row

    @staticmethod
    def _filter_empty(row: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in row.items() if not (v is None or (isinstance(v, str) and v.strip() == ""))}

    def _find(self, pid: int, trade_no: str = "", out_trade_no: str = "") -> FakePayment | None:
        if pid != _intval(self.pid):
            return None
        if trade_no:
            return self.ledger.payment(trade_no=trade_no)
        if out_trade_no:
            return self.ledger.payment(out_trade_no=out_trade_no)
        return None

    def _order_refund(
        self, refund_no: str, trade_no: str, money: str, pid: int, *, out_refund_no: str | None, v2: bool
    ) -> tuple[dict[str, Any], bool]:
        """Order::refund: the business checks in the server's order, then the booking."""
        p = self._find(pid, trade_no=trade_no)
        if p is None:
            return {"code": -1, "msg": "当前订单不存在！"}, False
        status = self._status(p)
        if status not in ("1", "2", "3"):
            return {"code": -1, "msg": "该订单状态不支持退款！"}, False
        amount = _is_numeric(money) or Decimal(0)
        fen = int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        if fen > p.amount_fen:
            return {"code": -1, "msg": "退款金额不能大于订单金额"}, False
        info = self._info(p)
        if not info.api_trade_no:
            return {"code": -1, "msg": "接口订单号不存在"}, False
        if p.refunded_fen > 0 and p.refunded_fen >= p.amount_fen:
            return {"code": -1, "msg": "该订单已全额退款！"}, False
        if p.refunded_fen > 0 and fen > p.amount_fen - p.refunded_fen:
            return {"code": -1, "msg": "退款金额不能超过该订单剩余可退款金额！"}, False
        if status == "3":
            reducemoney: str | int = 0
            reduce_fen = 0
        elif fen >= p.amount_fen:  # getmoney == money: no fee in the fake
            reducemoney, reduce_fen = _yuan(p.amount_fen), p.amount_fen
        else:
            reducemoney, reduce_fen = money, fen
        if reduce_fen > 0 and (self.chaos.balance_not_enough or reduce_fen > self.merchant_money_fen):
            return {"code": -1, "msg": "商户余额不足，请先充值"}, False
        if fen <= 0:  # the upstream channel refuses a zero refund (message invented by the fake)
            return {"code": -1, "msg": "退款失败：退款金额必须大于0"}, False
        # Booked: the channel refunded, balance reduced, refundorder row inserted with status 1.
        self.merchant_money_fen -= reduce_fen
        p.refunded_fen += fen
        if p.status == "frozen":
            p.status = "paid"
        stored_key = (out_refund_no or refund_no) if v2 else ""
        self.ledger.refunds.append(FakeRefund(refund_no, stored_key, p.out_trade_no, p.trade_no, fen))
        self.refund_reduce[refund_no] = _php_str(reducemoney) or "0"
        return (
            {
                "code": 0,
                "refund_no": refund_no,
                "out_refund_no": out_refund_no or refund_no,
                "trade_no": p.trade_no,
                "out_trade_no": p.out_trade_no,
                "uid": self.pid,
                "money": money,
                "reducemoney": reducemoney,
            },
            True,
        )

    # ---- V2 api.php?s= -----------------------------------------------------------------------
    _V2_ROUTES: ClassVar[dict[tuple[str, str], str]] = {
        ("pay", "query"): "_pay_query",
        ("pay", "refund"): "_pay_refund",
        ("pay", "refundquery"): "_pay_refundquery",
        ("merchant", "info"): "_merchant_info",
        ("merchant", "orders"): "_merchant_orders",
    }
