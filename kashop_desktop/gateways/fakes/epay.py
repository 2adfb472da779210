"""A byte-faithful fake 彩虹易支付 server: V1 (MD5, key in clear) and V2 (RSA) on one merchant.

Modelled on the server source (``pwj2333/EasyPay``: api.php, includes/lib/ApiHelper.php,
includes/lib/api/Pay.php, includes/lib/Order.php) as read from that source:

* Routes: ``/submit.php`` (minimal), ``/mapi.php`` (POST only), ``/api.php?act=query|order|orders|
  settle|refund``, ``/api/pay/{submit,create,query,refund,refundquery}``, ``/api/merchant/{info,
  orders}`` and the un-rewritten alias ``/api.php?s=pay/query``.
* Code conventions: V1 success 1, except ``act=refund`` success 0; V2 success 0. Numbers that come
  from the database are JSON strings ("1", "1.00"), ``code`` is an int.
* JSON bytes like PHP ``json_encode``: compact, ``/`` escaped as ``\\/``; api.php acts and the
  mapi/create success bodies with default flags (non-ASCII as ``\\uXXXX``); ``echojsonmsg`` errors
  and V2 signed bodies with ``JSON_UNESCAPED_UNICODE`` (raw UTF-8, U+2028/2029 still escaped).
* Request signatures are checked exactly as the server does: over ALL non-empty received params
  (V2 reads the POST body only); V2 requires ``timestamp`` within ±300 s of the server clock.
* V2 responses: ``ApiHelper::load_api`` signs every array a route *returns*. Routes *throw* most
  errors (unsigned ``{"code":<neg>,"msg":…}``), but ``Order::refund`` *returns* its business
  refusals as ``code -1`` arrays, which the real server therefore signs. ``sign_business_errors``
  (default True, as the source does) reproduces that; set it False to sign only ``code == 0``.
  ``bad_signature_now`` (harness chaos) signs with a key that is not the platform's.
* Refunds are synchronous (``Chaos.processing_first`` does not apply). V1 books a new refund on
  every call (no idempotency); V2 honours ``out_refund_no`` longer than 5 characters: a repeat of
  a booked one answers the first refund again (``已存在相同退款单号！…``, amount not compared) and
  counts in ``Ledger.duplicate_refund_calls``.
* ``Chaos.balance_not_enough`` -> ``商户余额不足，请先充值``.

Knobs beyond the harness chaos: ``user_refund`` (site switch), ``merchant_refund`` (merchant
switch), ``rsa_only`` (merchant keytype=RSA: V1 refused), ``merchant_money_fen`` (balance),
``time_offset`` (server clock skew), ``sign_business_errors``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import re
import secrets
import string
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, ClassVar
from urllib.error import HTTPError, URLError
from urllib.parse import quote_plus
from urllib.request import Request, urlopen

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .base import Chaos, FakeGatewayServer, FakePayment, FakeRefund, FakeRequest, FakeResponse, Ledger

__all__ = ["FakeEpayServer", "NotifyResult"]

_CN = timezone(timedelta(hours=8))
_JSON_HEADERS = {"Content-Type": "application/json; charset=UTF-8"}
_V2_ROUTE_RE = re.compile(r"^(.[a-zA-Z0-9_]+)/(.[a-zA-Z0-9_]+)$")
_OUT_TRADE_NO_RE = re.compile(r"^[a-zA-Z0-9._\-|]+$")


# ---- independent re-implementation of the server's helpers (an oracle, not the adapter's code) --


def _php_str(value: object) -> str | None:
    if value is None or isinstance(value, (list, dict)):
        return None
    if isinstance(value, bool):
        return "1" if value else ""
    return str(value)


def _sign_content(params: Mapping[str, object]) -> str:
    """Payment::getSignContent: ksort, skip sign/sign_type/arrays/empty, raw ``k=v`` joined by &."""
    out = []
    for key in sorted(params):
        value = _php_str(params[key])
        if key in ("sign", "sign_type") or value is None or value.strip(" \t\n\r\0\x0b") == "":
            continue
        out.append(f"{key}={value}")
    return "&".join(out)


def _md5(params: Mapping[str, object], key: str) -> str:
    return hashlib.md5((_sign_content(params) + key).encode("utf-8")).hexdigest()


def _rsa_sign(params: Mapping[str, object], key: rsa.RSAPrivateKey) -> str:
    sig = key.sign(_sign_content(params).encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(sig).decode("ascii")


def _rsa_ok(params: Mapping[str, object], sign: str, key: rsa.RSAPublicKey) -> bool:
    try:
        raw = base64.b64decode(sign)  # PHP base64_decode is lenient, so is this
        key.verify(raw, _sign_content(params).encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def php_json(obj: Any, *, unescaped_unicode: bool) -> bytes:
    """PHP ``json_encode``: compact, ``\\/``; default flags escape non-ASCII as lowercase ``\\uXXXX``."""
    text = json.dumps(obj, ensure_ascii=not unescaped_unicode, separators=(",", ":"))
    text = text.replace("/", "\\/")
    if unescaped_unicode:  # PHP still escapes the JS line terminators unless told otherwise
        text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return text.encode("utf-8")


def php_urlencode(value: str) -> str:
    """PHP ``urlencode`` (what ``http_build_query`` uses): RFC 1738, spaces as +, ``~`` encoded."""
    return quote_plus(value, safe="").replace("~", "%7E")


def php_float_money(fen: int) -> str:
    """``(string)(float)"1.50"`` -> "1.5"; "1.00" -> "1"; "0.01" -> "0.01"."""
    return format((Decimal(fen) / 100).normalize(), "f")


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def _intval(value: object) -> int:
    match = re.match(r"\s*([+-]?\d+)", str(value) if value is not None else "")
    return int(match.group(1)) if match else 0


def _is_numeric(text: str) -> Decimal | None:
    """PHP ``is_numeric`` plus 彩虹's ``/^[0-9.]+$/``: the value as Decimal, or None."""
    if not re.match(r"^[0-9.]+$", text):
        return None
    try:
        dec = Decimal(text)
    except InvalidOperation:
        return None
    return dec if dec.is_finite() else None


def _pem_body(der: bytes) -> str:
    return base64.b64encode(der).decode("ascii")


@lru_cache(maxsize=1)
def _shared_keys() -> tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey, rsa.RSAPrivateKey]:
    """Platform, merchant and rogue RSA-2048 keys, generated once per process (keeps tests fast)."""
    return (
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
    )


class _PhpError(Exception):
    def __init__(self, msg: str, code: int = 0) -> None:
        super().__init__(msg)
        self.msg = msg
        self.code = code


@dataclass
class _OrderInfo:
    type: str = "alipay"
    notify_url: str = ""
    return_url: str = ""
    param: str = ""
    buyer: str = ""
    clientip: str = ""
    api_trade_no: str = ""
    version: int = 1  # 1 = created through the V2 API (RSA notify), 0 = submit/mapi (MD5 notify)


@dataclass
class NotifyResult:
    url: str
    acked: bool
    attempts: int
    status: int
    body: str
    log: list[tuple[int, str]] = field(default_factory=list)


class FakeEpayServer(FakeGatewayServer):
    """彩虹易支付 V1 + V2 for one merchant; see the module docstring for what is faithful."""

    kind = "epay"

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

    def start(self) -> FakeEpayServer:
        super().start()
        return self

    def __enter__(self) -> FakeEpayServer:
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
            payment = self.ledger.payments[out_trade_no]
            payment.status = "paid"
            payment.paid_at = time.time()
            info = self._info(payment)
            info.buyer = buyer
            return payment

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

    # ---- dispatch ----------------------------------------------------------------------------
    def handle(self, req: FakeRequest) -> FakeResponse:
        path = req.path
        if path == "/submit.php":
            return self._submit(req)
        if path == "/mapi.php":
            return self._mapi(req)
        if path == "/api.php":
            if "s" in req.query:
                return self._load_api(req.query["s"], req)
            return self._v1_api(req)
        if path.startswith("/api/"):  # nginx: ^/api/(.*)$ -> /api.php?s=$1
            return self._load_api(path[len("/api/"):], req)
        return FakeResponse(404, b"<html><body><h1>404 Not Found</h1></body></html>", {"Content-Type": "text/html"})

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

    # ---- V1 api.php --------------------------------------------------------------------------
    def _v1_api(self, req: FakeRequest) -> FakeResponse:
        get = req.query
        act = get.get("act")
        if act == "query":
            err = self._v1_auth(get.get("pid"), get.get("key", ""))
            if err:
                return err
            paid = [p for p in self.ledger.payments.values() if self._status(p) != "0"]
            today = datetime.fromtimestamp(self.now(), _CN).date()
            today_n = sum(1 for p in paid if p.paid_at and datetime.fromtimestamp(p.paid_at, _CN).date() == today)
            return self._json(
                {
                    "code": 1,
                    "pid": _intval(get.get("pid")),  # intval() in PHP: a JSON int here
                    "key": get.get("key", ""),
                    "active": "1",
                    "money": _yuan(self.merchant_money_fen),
                    "type": "1",
                    "account": "merchant@example.com",
                    "username": "kashop",
                    "orders": str(len(self.ledger.payments)),
                    "orders_today": str(today_n),
                    "orders_lastday": "0",
                },
                unicode=False,
            )
        if act == "settle":
            err = self._v1_auth(get.get("pid"), get.get("key", ""))
            if err:
                return err
            limit = min(_intval(get.get("limit", "10")), 50)
            offset = _intval(get.get("offset", "0"))
            rows = self.settles[offset : offset + limit]
            return self._json({"code": 1, "msg": "查询结算记录成功！", "data": rows or None}, unicode=False)
        if act == "order":
            if "sign" in get and "trade_no" in get:
                trade_no = get["trade_no"]
                if not get["sign"] or hashlib.md5((self.sys_key + trade_no + self.sys_key).encode()).hexdigest() != get["sign"]:
                    return self._json({"code": -3, "msg": "verify sign failed"}, unicode=False)
                p = self.ledger.payment(trade_no=trade_no)
            else:
                err = self._v1_auth(get.get("pid"), get.get("key", ""))
                if err:
                    return err
                if get.get("trade_no"):
                    p = self._find(_intval(get.get("pid")), trade_no=get["trade_no"])
                elif get.get("out_trade_no"):
                    p = self._find(_intval(get.get("pid")), out_trade_no=get["out_trade_no"])
                else:
                    return self._json({"code": -4, "msg": "订单号不能为空"}, unicode=False)
            if p is None:
                return self._json({"code": -1, "msg": "订单号不存在"}, unicode=False)
            row = self._row(p, v2=False)
            return self._json({"code": 1, "msg": "succ", **row, "payurl": None}, unicode=False)
        if act == "orders":
            err = self._v1_auth(get.get("pid"), get.get("key", ""))
            if err:
                return err
            limit = min(_intval(get.get("limit", "10")) if "limit" in get else 10, 50)
            offset = _intval(get.get("offset", "0"))
            payments = sorted(self.ledger.payments.values(), key=lambda p: p.trade_no, reverse=True)
            if "status" in get:
                wanted = str(_intval(get["status"]))
                payments = [p for p in payments if self._status(p) == wanted]
            data = [self._row(p, v2=False) for p in payments[offset : offset + max(limit, 0)]]
            # PHP: $data stays undefined for an empty page -> count 0 (with a notice), data null.
            return self._json(
                {"code": 1, "msg": "查询订单记录成功！", "count": len(data), "data": data or None}, unicode=False
            )
        if act == "refund":
            return self._v1_refund(req)
        return self._json({"code": -5, "msg": "No Act!"}, unicode=False)

    def _v1_refund(self, req: FakeRequest) -> FakeResponse:
        self.ledger.refund_calls += 1
        post = self._post(req)
        if not self.user_refund:
            return self._json({"code": -4, "msg": "未开启商户后台自助退款"}, unicode=False)
        err = self._v1_auth(post.get("pid"), post.get("key", ""))
        if err:
            return err
        if not self.merchant_refund:
            return self._json({"code": -2, "msg": "商户未开启订单退款API接口"}, unicode=False)
        money = post.get("money", "").strip(" \t\n\r\0\x0b")
        if _is_numeric(money) is None:
            return self._json({"code": -1, "msg": "金额输入错误"}, unicode=False)
        pid = _intval(post.get("pid"))
        if post.get("trade_no"):
            trade_no = post["trade_no"]
        elif post.get("out_trade_no"):
            p = self._find(pid, out_trade_no=post["out_trade_no"])
            if p is None:
                return self._json({"code": -1, "msg": "当前订单不存在！"}, unicode=False)
            trade_no = p.trade_no
        else:
            return self._json({"code": -4, "msg": "订单号不能为空"}, unicode=False)
        refund_no = self.new_trade_no()
        result, booked = self._order_refund(refund_no, trade_no, money, pid, out_refund_no=None, v2=False)
        if result["code"] == 0:
            result["msg"] = "退款成功！退款金额￥" + result["money"]
        return self._json(result, unicode=False, booked=booked)

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

    def _load_api(self, s: str, req: FakeRequest) -> FakeResponse:
        """ApiHelper::load_api."""
        match = _V2_ROUTE_RE.match(s)
        if not match:
            return self._echojsonmsg("URL Error!", -5)
        cls, func = match.group(1).lower(), match.group(2).lower()  # PHP class/method names ignore case
        post = self._post(req)
        if (cls, func) == ("pay", "submit"):
            return self._submit(req, api_init=True, route=None if "s" in req.query else s)
        if (cls, func) == ("pay", "create"):
            return self._create(post, v2=True)
        name = self._V2_ROUTES.get((cls, func))
        if name is None:
            return self._echojsonmsg("接口方法不存在", -5)
        handler: Callable[[dict[str, str]], tuple[dict[str, Any], bool]] = getattr(self, name)
        try:
            self._v2_verify(post)
            result, booked = handler(post)
        except _PhpError as exc:
            return self._echojsonmsg(exc.msg, exc.code or -1)
        if result.get("code") == 0 or self.sign_business_errors:
            result = self._signed(result)
        return self._json(result, unicode=True, booked=booked)

    def _v2_verify(self, post: Mapping[str, str]) -> None:
        """ApiHelper::verify."""
        if "pid" not in post:
            raise _PhpError("未传入任何参数", -4)
        pid = _intval(post["pid"])
        if not pid:
            raise _PhpError("商户ID不能为空")
        if pid != _intval(self.pid):
            raise _PhpError("商户不存在！")
        try:
            self._api_verify(post, api_init=True)
        except _PhpError as exc:
            raise _PhpError(exc.msg, -3) from exc

    def _pay_query(self, post: dict[str, str]) -> tuple[dict[str, Any], bool]:
        pid = _intval(post.get("pid"))
        if post.get("trade_no"):
            p = self._find(pid, trade_no=post["trade_no"])
        elif post.get("out_trade_no"):
            p = self._find(pid, out_trade_no=post["out_trade_no"])
        else:
            raise _PhpError("订单号不能为空")
        if p is None:
            raise _PhpError("订单号不存在")
        return self._filter_empty({"code": 0, **self._row(p, v2=True)}), False

    def _pay_refund(self, post: dict[str, str]) -> tuple[dict[str, Any], bool]:
        self.ledger.refund_calls += 1
        pid = _intval(post.get("pid"))
        if not self.user_refund:
            raise _PhpError("管理员未开启商户后台自助退款")
        if not self.merchant_refund:
            raise _PhpError("商户未开启订单退款API接口")
        money = post.get("money", "").strip(" \t\n\r\0\x0b")
        if _is_numeric(money) is None:
            raise _PhpError("金额输入错误")
        if post.get("trade_no"):
            trade_no = post["trade_no"]
        elif post.get("out_trade_no"):
            p = self._find(pid, out_trade_no=post["out_trade_no"])
            if p is None:
                raise _PhpError("当前订单不存在！")
            trade_no = p.trade_no
        else:
            raise _PhpError("订单号不能为空")
        refund_no = self.new_trade_no()
        out_refund_no: str | None = None
        given = post.get("out_refund_no", "")
        if given and len(given.encode("utf-8")) > 5:  # strlen() > 5: shorter keys are ignored
            out_refund_no = given
            existing = self.ledger.refund_by_key(given)
            if existing is not None and existing.status == "succeeded":
                self.ledger.duplicate_refund_calls += 1
                return (
                    {
                        "code": 0,
                        "refund_no": existing.refund_no,
                        "out_refund_no": existing.out_refund_no,
                        "trade_no": existing.trade_no,
                        "uid": self.pid,
                        "money": _yuan(existing.amount_fen),
                        "reducemoney": self.refund_reduce.get(existing.refund_no, _yuan(existing.amount_fen)),
                        "msg": "已存在相同退款单号！退款金额￥" + _yuan(existing.amount_fen),
                    },
                    False,
                )
            if existing is not None:  # a status-0 record: its refund_no is re-used
                refund_no = existing.refund_no
        result, booked = self._order_refund(refund_no, trade_no, money, pid, out_refund_no=out_refund_no, v2=True)
        if result["code"] == 0:
            result["msg"] = "退款成功！退款金额￥" + result["money"]
        return result, booked

    def _pay_refundquery(self, post: dict[str, str]) -> tuple[dict[str, Any], bool]:
        if not self.user_refund:
            raise _PhpError("管理员未开启商户后台自助退款")
        found: FakeRefund | None = None
        if post.get("refund_no"):
            found = next((r for r in self.ledger.refunds if r.refund_no == post["refund_no"]), None)
        elif post.get("out_refund_no"):
            key = post["out_refund_no"]
            found = next(
                (r for r in self.ledger.refunds if r.out_refund_no == key or (not r.out_refund_no and r.refund_no == key)),
                None,
            )
        else:
            raise _PhpError("商户退款单号不能为空")
        if found is None:
            raise _PhpError("退款记录不存在")
        found.queries += 1
        when = self._fmt_time(found.created_at)
        return (
            {
                "code": 0,
                "refund_no": found.refund_no,
                "out_refund_no": found.out_refund_no or found.refund_no,
                "trade_no": found.trade_no,
                "out_trade_no": found.out_trade_no,
                "uid": self.pid,
                "money": _yuan(found.amount_fen),
                "reducemoney": self.refund_reduce.get(found.refund_no, _yuan(found.amount_fen)),
                "status": "1" if found.status == "succeeded" else "0",
                "addtime": when,
                "endtime": when,
            },
            False,
        )

    def _merchant_info(self, post: dict[str, str]) -> tuple[dict[str, Any], bool]:
        return (
            {
                "code": 0,
                "pid": self.pid,
                "status": "1",
                "pay_status": "1",
                "settle_status": "1",
                "money": _yuan(self.merchant_money_fen),
                "settle_type": "1",
                "settle_account": "merchant@example.com",
                "settle_name": "测试商户",
                "order_num": str(len(self.ledger.payments)),
                "order_num_today": "0",
                "order_num_lastday": "0",
                "order_money_today": "0.00",
                "order_money_lastday": "0.00",
            },
            False,
        )

    def _merchant_orders(self, post: dict[str, str]) -> tuple[dict[str, Any], bool]:
        limit = min(_intval(post["limit"]) if "limit" in post else 10, 50)
        offset = _intval(post.get("offset", "0"))
        payments = sorted(self.ledger.payments.values(), key=lambda p: p.trade_no, reverse=True)
        if post.get("status", "") != "":
            wanted = str(_intval(post["status"]))
            payments = [p for p in payments if self._status(p) == wanted]
        rows = [self._filter_empty(self._row(p, v2=True)) for p in payments[offset : offset + max(limit, 0)]]
        return {"code": 0, "data": rows}, False

    # ---- payment creation ----------------------------------------------------------------------
    def _mapi(self, req: FakeRequest) -> FakeResponse:
        post = self._post(req)
        if "pid" not in post:
            body = '{"code":-4, "msg":"未传入任何参数"}'.encode()
            return FakeResponse(200, body, dict(_JSON_HEADERS))
        return self._create(post, v2=False)

    def _create(self, post: dict[str, str], *, v2: bool) -> FakeResponse:
        """Pay::create for mapi.php (V1, code 1, unsigned) and api/pay/create (V2, code 0, signed)."""
        if "pid" not in post:
            return self._echojsonmsg("未传入任何参数", -4)
        pid = _intval(post["pid"])
        if not pid:
            return self._echojsonmsg("商户ID不能为空")
        if pid != _intval(self.pid):
            return self._echojsonmsg("商户不存在！")
        try:
            self._api_verify(post, api_init=v2)
        except _PhpError as exc:
            return self._echojsonmsg(exc.msg, -3)
        g = post.get
        method = g("method", "") if v2 else ""
        pay_type, out_trade_no, notify_url = g("type", ""), g("out_trade_no", ""), g("notify_url", "")
        name, money, clientip = g("name", ""), g("money", ""), g("clientip", "")
        checks = [
            (not out_trade_no, "订单号(out_trade_no)不能为空"),
            (not notify_url, "通知地址(notify_url)不能为空"),
            (not name, "商品名称(name)不能为空"),
            (not money, "金额(money)不能为空"),
            (not pay_type and method != "scan", "支付方式(type)不能为空"),
            (not clientip, "用户IP地址(clientip)不能为空"),
        ]
        for failed, msg in checks:
            if failed:
                return self._echojsonmsg(msg)
        amount = _is_numeric(money)
        if amount is None or amount <= 0:
            return self._echojsonmsg("金额不合法")
        if not _OUT_TRADE_NO_RE.match(out_trade_no):
            return self._echojsonmsg("订单号(out_trade_no)格式不正确")
        if method == "scan" and not g("auth_code"):
            return self._echojsonmsg("付款码支付时授权码(auth_code)不能为空")
        name = name.encode("utf-8")[:127].decode("utf-8", errors="ignore")
        fen = int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        existing = self.ledger.payments.get(out_trade_no)
        if existing is not None:
            info = self._info(existing)
            if self._status(existing) != "0":
                return self._echojsonmsg(f"该订单({out_trade_no})已完成支付，请勿重复发起支付")
            if (
                existing.amount_fen != fen
                or existing.subject != name
                or info.notify_url != notify_url
                or info.return_url != g("return_url", "")
                or info.param != g("param", "")
            ):
                return self._echojsonmsg(f"该订单({out_trade_no})支付参数有变化，请更换订单号重新发起支付")
            payment = existing
        else:
            payment = FakePayment(out_trade_no, self.new_trade_no(), fen, "pending", name)
            self.ledger.payments[out_trade_no] = payment
            self.orders[out_trade_no] = _OrderInfo(
                type=pay_type or "alipay",
                notify_url=notify_url,
                return_url=g("return_url", ""),
                param=g("param", ""),
                clientip=clientip,
                version=1 if v2 else 0,
            )
        trade_no = payment.trade_no
        if method == "scan":  # 付款码: the buyer's code is charged at once
            self.mark_paid(out_trade_no)
            info = self._info(payment)
            pay_type_out, pay_info = "scan", json.dumps(
                {"type": info.type, "trade_no": trade_no, "api_trade_no": info.api_trade_no, "money": _yuan(fen)},
                separators=(",", ":"),
            )
        elif method == "jump" or not pay_type:
            pay_type_out, pay_info = "jump", f"{self.url}pay/submit/{trade_no}/"
        elif pay_type == "wxpay":
            pay_type_out, pay_info = "qrcode", f"weixin://wxpay/bizpayurl?pr=fake{trade_no}"
        else:
            pay_type_out, pay_info = "qrcode", f"https://qr.alipay.com/fake{trade_no}"
        if v2:
            result = self._signed({"code": 0, "trade_no": trade_no, "pay_type": pay_type_out, "pay_info": pay_info})
            return self._json(result, unicode=False)
        field_name = {"jump": "payurl", "qrcode": "qrcode", "scan": "payurl"}[pay_type_out]
        return self._json({"code": 1, "trade_no": trade_no, field_name: pay_info}, unicode=False)

    def _submit(self, req: FakeRequest, *, api_init: bool = False, route: str | None = None) -> FakeResponse:
        """submit.php (minimal): verify, create the order, answer the jump page."""
        form = self._post(req)
        if "pid" in req.query:
            params = dict(req.query)
        elif "pid" in form:
            params = form
        else:
            return FakeResponse.text("你还未配置支付接口商户！")
        if route is not None and "pid" in req.query:
            params["s"] = route  # the rewrite puts s=pay/submit into $_GET, and $_GET is signed
        pid = _intval(params["pid"])
        if not pid:
            return self._sysmsg("商户ID不能为空")
        if pid != _intval(self.pid):
            return self._sysmsg("商户不存在！")
        params.pop("__defend", None)
        try:
            self._api_verify(params, api_init=api_init)
        except _PhpError as exc:
            return self._sysmsg(exc.msg)
        for key, msg in (
            ("out_trade_no", "订单号(out_trade_no)不能为空"),
            ("notify_url", "通知地址(notify_url)不能为空"),
            ("return_url", "回调地址(return_url)不能为空"),
            ("name", "商品名称(name)不能为空"),
            ("money", "金额(money)不能为空"),
        ):
            if not params.get(key):
                return self._sysmsg(msg)
        amount = _is_numeric(params["money"])
        if amount is None or amount <= 0:
            return self._sysmsg("金额不合法")
        if not _OUT_TRADE_NO_RE.match(params["out_trade_no"]):
            return self._sysmsg("订单号(out_trade_no)格式不正确")
        out_trade_no = params["out_trade_no"]
        existing = self.ledger.payments.get(out_trade_no)
        if existing is not None and self._status(existing) != "0":
            return self._sysmsg(f"该订单({out_trade_no})已完成支付，请勿重复发起支付")
        if existing is None:
            fen = int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
            existing = FakePayment(out_trade_no, self.new_trade_no(), fen, "pending", params["name"])
            self.ledger.payments[out_trade_no] = existing
            self.orders[out_trade_no] = _OrderInfo(
                type=params.get("type", "") or "alipay",
                notify_url=params["notify_url"],
                return_url=params["return_url"],
                param=params.get("param", ""),
                version=1 if api_init else 0,
            )
        target = f"./cashier.php?trade_no={existing.trade_no}"
        html = f"<script>window.location.replace('{target}');</script>"
        return FakeResponse(200, html.encode("utf-8"), {"Content-Type": "text/html; charset=UTF-8"})

    # ---- notifications -------------------------------------------------------------------------
    def notify_params(
        self, out_trade_no: str, *, rsa_sign: bool | None = None, bad_signature: bool = False
    ) -> list[tuple[str, str]]:
        """creat_callback: the ordered notify parameters of a paid order (V1 MD5 or V2 RSA)."""
        with self.lock:
            p = self.ledger.payments[out_trade_no]
            info = self._info(p)
            v2 = info.version == 1 if rsa_sign is None else rsa_sign
            arr: dict[str, str] = {
                "pid": self.pid,
                "trade_no": p.trade_no,
                "out_trade_no": p.out_trade_no,
                "type": self._type(info),
                "name": p.subject,
                "money": php_float_money(p.amount_fen),  # (float) of decimal(10,2)
                "trade_status": "TRADE_SUCCESS",
            }
            if v2:
                if info.api_trade_no:
                    arr["api_trade_no"] = info.api_trade_no
                if info.buyer:
                    arr["buyer"] = info.buyer
            if info.param:
                arr["param"] = info.param
            if v2:
                arr["addtime"] = self._fmt_time(p.created_at) or ""
                if p.paid_at:
                    arr["endtime"] = self._fmt_time(p.paid_at) or ""
                arr["timestamp"] = str(int(self.now()))
                arr["sign_type"] = "RSA"
                arr["sign"] = _rsa_sign(arr, self._rogue_key if bad_signature else self.platform_private_key)
            else:
                arr["sign"] = _md5(arr, self.key + ("x" if bad_signature else ""))
                arr["sign_type"] = "MD5"
            return list(arr.items())

    def notify_url_for(self, notify_url: str, params: Sequence[tuple[str, str]]) -> str:
        """notify_url + ('&' if it already has '?' else '?') + http_build_query(params)."""
        query = "&".join(f"{php_urlencode(k)}={php_urlencode(v)}" for k, v in params)
        return notify_url + ("&" if notify_url.find("?") > 0 else "?") + query

    def send_notify(
        self,
        out_trade_no: str,
        notify_url: str | None = None,
        *,
        rsa_sign: bool | None = None,
        bad_signature: bool = False,
        retry_delays: Sequence[float] = (),
        timeout: float = 5.0,
    ) -> NotifyResult:
        """do_notify: GET the notify URL; acked when the body contains success/SUCCESS/Success.

        ``retry_delays`` is the retry ladder (the real cron waits ~2 min, 16 min, 36 min, 1 h;
        tests compress it). Runs in the caller's thread; the receiver must be serving elsewhere.
        """
        url = notify_url or self.orders.get(out_trade_no, _OrderInfo()).notify_url
        if not url:
            raise ValueError("no notify_url for " + out_trade_no)
        full = self.notify_url_for(url, self.notify_params(out_trade_no, rsa_sign=rsa_sign, bad_signature=bad_signature))
        log: list[tuple[int, str]] = []
        status, body = 0, ""
        for attempt, delay in enumerate((0.0, *retry_delays), start=1):
            if delay:
                time.sleep(delay)
            status, body = self._http_get(full, timeout)
            log.append((status, body))
            acked = any(word in body for word in ("success", "SUCCESS", "Success"))
            with self.lock:
                self.notifications.append({"out_trade_no": out_trade_no, "url": full, "status": status, "acked": acked})
            if acked:
                return NotifyResult(full, True, attempt, status, body, log)
        return NotifyResult(full, False, len(log), status, body, log)

    @staticmethod
    def _http_get(url: str, timeout: float) -> tuple[int, str]:
        try:
            with urlopen(Request(url, method="GET", headers={"User-Agent": "Mozilla/5.0"}), timeout=timeout) as resp:
                return int(resp.status), resp.read().decode("utf-8", errors="replace")
        except HTTPError as exc:
            try:
                return int(exc.code), exc.read().decode("utf-8", errors="replace")
            finally:
                exc.close()
        except (URLError, OSError):
            return 0, ""
