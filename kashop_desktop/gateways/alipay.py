"""Alipay OpenAPI adapter: the v1 gateway (``gateway.do``) with RSA2 signatures.

Protocol facts follow Alipay's OpenAPI documentation and official SDK; the points below are the ones
the refund queue's safety depends on.

Requests (§2.1-2.3)
  * POST to the gateway URL. The common parameters (``app_id``, ``method``, ``format``,
    ``charset``, ``sign_type``, ``timestamp``, ``version``, ``notify_url`` and ``sign``) travel in
    the URL query string and ``biz_content`` in the form body, as the official SDK does.
  * ``sign`` = base64(SHA256withRSA PKCS#1 v1.5 over the canonical string), where the canonical
    string is every parameter except ``sign`` (``sign_type`` included, empty values dropped),
    sorted by key, joined ``k=v`` with ``&``, values raw. ``biz_content`` is compact JSON with
    UTF-8 left unescaped and is sent exactly as signed.
  * ``timestamp`` is Beijing time, ``yyyy-MM-dd HH:mm:ss``.

Responses (§2.4, §2.5)
  * ``{"<method with . -> _>_response": {...}, "sign": "..."}`` (or ``error_response``). The
    signature is verified over the exact raw text of the ``..._response`` value as received, never
    over a re-serialisation. A reply with no ``sign`` or a ``sign`` that does not verify raises
    ``GatewayError(SECURITY)`` whatever it claims, including gateway errors: Alipay is known to
    send ``isv.invalid-app-id`` unsigned, so ``test_connection`` turns such a reply into a precise
    configuration report, but the money paths never act on an unsigned word.
  * Error mapping: connection refused / DNS -> RETRYABLE (``sent=False``); timeouts, dropped
    connections, non-200 statuses, truncated or non-JSON bodies -> UNKNOWN_OUTCOME; code 20000,
    ``ACQ.SYSTEM_ERROR`` and ``ACQ.DISCORDANT_REPEAT_REQUEST`` -> UNKNOWN_OUTCOME (query first);
    20001 / 40001 / 40002 / 40006 -> MISCONFIGURED; known refund business codes ->
    ``RefundResult(FAILED)`` with a Chinese and an English explanation.

Refunds (§2.7, §2.8)
  * ``out_request_no`` is always our ``refund_no``, so a partial refund is allowed and a re-send
    with the same number and amount is idempotent (Alipay answers ``fund_change=N`` and books
    nothing).
  * ``fund_change == "Y"`` -> SUCCEEDED. ``"N"`` or absent -> confirmed with
    ``alipay.trade.fastpay.refund.query`` before answering.
  * ``fastpay.refund.query``: ``refund_status == "REFUND_SUCCESS"`` -> SUCCEEDED; code 10000 with no
    refund data -> NOT_FOUND (the refund never happened: re-send with the same number and amount).

Configuration: ``base_url`` is the full gateway URL, e.g. ``https://openapi.alipay.com/gateway.do``
(the default). A URL that does not end in ``.do`` is taken as the gateway's base and
``gateway.do`` is appended, so ``http://127.0.0.1:8765`` works for the local fake. Keys may be
PEM (PKCS#1 ``RSA PRIVATE KEY`` or PKCS#8 ``PRIVATE KEY``) or the bare base64 that Alipay's key
tool prints; the Alipay public key may be SPKI PEM, bare base64 or a certificate.

No vendor SDK is used at run time: httpx for HTTP, ``cryptography`` for RSA.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from ..domain.errors import MoneyError
from ..domain.money import format_yuan, yuan_decimal_to_fen
from .base import (
    AdapterBase,
    Capability,
    Clock,
    ConfigField,
    ConnectionReport,
    ErrorKind,
    GatewayError,
    InboundHttp,
    Notification,
    OutboundHttp,
    PaymentRef,
    PaymentSnapshot,
    PaymentState,
    QrPayment,
    QrRequest,
    RefundRef,
    RefundRequest,
    RefundResult,
    RefundState,
    TxQuery,
    TxRecord,
)

__all__ = [
    "BEIJING",
    "PRODUCTION_GATEWAY",
    "SANDBOX_GATEWAY",
    "AlipayAdapter",
    "canonical_request_string",
    "gateway_url_from",
    "load_private_key",
    "load_public_key",
    "notification_sign_content",
    "parse_trade_bill",
    "rsa2_sign",
    "rsa2_verify",
    "signed_response_content",
]

PRODUCTION_GATEWAY = "https://openapi.alipay.com/gateway.do"
SANDBOX_GATEWAY = "https://openapi-sandbox.dl.alipaydev.com/gateway.do"
BEIJING = timezone(timedelta(hours=8), "CST")
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"

# ---------------------------------------------------------------------------------------------
# Keys and signatures


def _der_from_text(text: str) -> bytes:
    """The DER bytes of a PEM block or of bare base64, tolerant of mangled line breaks."""
    body = re.sub(r"-----(?:BEGIN|END) [A-Z0-9 ]+-----", "", text)
    body = body.replace("\\n", "").replace("\\r", "")  # keys pasted out of JSON strings
    body = "".join(body.split())
    return base64.b64decode(body, validate=True)


def _bad_key(field: str, zh: str, en: str) -> GatewayError:
    return GatewayError(ErrorKind.MISCONFIGURED, zh, en, code=f"bad_{field}", sent=False)


def load_private_key(text: str) -> rsa.RSAPrivateKey:
    """An RSA private key from PKCS#1 or PKCS#8, PEM or bare base64 (unencrypted)."""
    try:
        key = serialization.load_der_private_key(_der_from_text(text), password=None)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise _bad_key(
            "app_private_key",
            "应用私钥格式不对：请粘贴 PKCS#1 或 PKCS#8 格式的 RSA 私钥（PEM 或纯 base64）",
            "the app private key is not readable: paste an RSA private key, PKCS#1 or PKCS#8, PEM or bare base64",
        ) from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise _bad_key("app_private_key", "应用私钥不是 RSA 私钥", "the app private key is not an RSA key")
    return key


def load_public_key(text: str) -> rsa.RSAPublicKey:
    """An RSA public key from SPKI / PKCS#1 (PEM or bare base64) or from an X.509 certificate."""
    try:
        if "BEGIN CERTIFICATE" in text:
            key: object = x509.load_pem_x509_certificate(text.strip().encode("ascii")).public_key()
        else:
            key = serialization.load_der_public_key(_der_from_text(text))
    except (ValueError, TypeError, binascii.Error, UnicodeEncodeError) as exc:
        raise _bad_key(
            "alipay_public_key",
            "支付宝公钥格式不对：请粘贴开放平台“支付宝公钥”（PEM 或纯 base64），不是应用公钥",
            "the Alipay public key is not readable: paste the 'Alipay public key' from the Open Platform "
            "(PEM or bare base64), not the app public key",
        ) from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise _bad_key(
            "alipay_public_key", "支付宝公钥不是 RSA 公钥", "the Alipay public key is not an RSA key"
        )
    return key


def rsa2_sign(key: rsa.RSAPrivateKey, text: str) -> str:
    """base64(SHA256withRSA PKCS#1 v1.5 over the UTF-8 bytes of ``text``), one line."""
    signature = key.sign(text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode("ascii")


def rsa2_verify(key: rsa.RSAPublicKey, text: str, sign: str) -> bool:
    """True only if ``sign`` is a valid RSA2 signature of the UTF-8 bytes of ``text``."""
    try:
        signature = base64.b64decode("".join(sign.split()), validate=True)
        key.verify(signature, text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def canonical_request_string(params: Mapping[str, str]) -> str:
    """The string a request signature covers: all params but ``sign``, empties dropped, sorted."""
    return "&".join(f"{key}={params[key]}" for key in sorted(params) if key != "sign" and params[key] != "")


def notification_sign_content(params: Mapping[str, str], *, drop_empty: bool = False) -> str:
    """The string a notification signature covers: all params but ``sign`` and ``sign_type``, sorted."""
    keys = sorted(
        k for k in params if k not in ("sign", "sign_type") and not (drop_empty and params[k] == "")
    )
    return "&".join(f"{key}={params[key]}" for key in keys)


# ---------------------------------------------------------------------------------------------
# Raw response parsing

_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def _top_level_spans(text: str) -> dict[str, tuple[int, int]]:
    """Key -> (start, end) of each top-level value of a JSON object, as offsets into ``text``.

    Uses the JSON decoder to skip each value, so braces and quotes inside strings are handled.
    Raises ValueError for anything that is not exactly one well-formed object, or a duplicate key.
    """

    def ws(pos: int) -> int:
        match = _WS.match(text, pos)
        return match.end() if match else pos

    pos = ws(0)
    if text[pos : pos + 1] != "{":
        raise ValueError("not a JSON object")
    pos = ws(pos + 1)
    spans: dict[str, tuple[int, int]] = {}
    if text[pos : pos + 1] == "}":
        pos += 1
    else:
        while True:
            if text[pos : pos + 1] != '"':
                raise ValueError("expected a key")
            key, pos = _DECODER.raw_decode(text, pos)
            pos = ws(pos)
            if text[pos : pos + 1] != ":":
                raise ValueError("expected ':'")
            start = ws(pos + 1)
            _value, end = _DECODER.raw_decode(text, start)
            if key in spans:
                raise ValueError(f"duplicate key {key!r}")
            spans[str(key)] = (start, end)
            pos = ws(end)
            sep = text[pos : pos + 1]
            if sep == ",":
                pos = ws(pos + 1)
                continue
            if sep == "}":
                pos += 1
                break
            raise ValueError("expected ',' or '}'")
    if text[pos:].strip(" \t\n\r"):
        raise ValueError("trailing data after the JSON object")
    return spans


def signed_response_content(body: str, response_key: str) -> tuple[str, str, str | None]:
    """(key used, exact raw text of its value, sign or None) of a gateway reply body.

    ``response_key`` is the expected ``<method>_response``; ``error_response`` is accepted in its
    place. Raises ValueError when the body is not a complete JSON object with one of them.
    """
    spans = _top_level_spans(body)
    key = response_key if response_key in spans else "error_response" if "error_response" in spans else ""
    if not key:
        raise ValueError(f"no {response_key} in the reply")
    start, end = spans[key]
    sign: str | None = None
    if "sign" in spans:
        s_start, s_end = spans["sign"]
        value = json.loads(body[s_start:s_end])
        if not isinstance(value, str):
            raise ValueError("sign is not a string")
        sign = value
    return key, body[start:end], sign


# ---------------------------------------------------------------------------------------------
# Code tables

_GATEWAY_MESSAGES: dict[str, tuple[str, str]] = {
    "isv.invalid-signature": (
        "支付宝验签失败：应用私钥与开放平台上设置的应用公钥不是一对（或签名方式不是 RSA2）",
        "Alipay could not verify our signature: the app private key does not match the app public key "
        "set on the Open Platform (or the sign type is not RSA2)",
    ),
    "isv.invalid-app-id": (
        "app_id 无效：应用不存在、未上线，或与网关（正式/沙箱）不符",
        "invalid app_id: the app does not exist, is not online, or belongs to the other gateway (live/sandbox)",
    ),
    "isv.invalid-timestamp": (
        "时间戳无效：请校准电脑时间",
        "invalid timestamp: check this computer's clock",
    ),
    "isv.invalid-signature-type": ("签名类型无效（须为 RSA2）", "invalid sign type (must be RSA2)"),
    "isv.invalid-charset": ("字符集无效", "invalid charset"),
    "isv.invalid-method": ("接口名无效", "unknown API method"),
    "isv.missing-signature": ("缺少签名参数", "the signature parameter is missing"),
    "isv.missing-app-id": ("缺少 app_id", "app_id is missing"),
    "isv.insufficient-isv-permissions": (
        "应用权限不足：请在开放平台签约当面付/对应产品并添加接口",
        "insufficient app permissions: sign the product (e.g. Face-to-Face Payment) and add the API on the Open Platform",
    ),
    "isv.insufficient-user-permissions": ("用户权限不足", "insufficient user permissions"),
}

_GATEWAY_CODE_MESSAGES: dict[str, tuple[str, str]] = {
    "20001": (
        "授权权限不足（授权令牌无效或过期）",
        "insufficient authorisation (the auth token is invalid or expired)",
    ),
    "40001": ("缺少必选参数", "a required parameter is missing"),
    "40002": ("参数无效", "invalid parameter"),
    "40006": ("权限不足：应用未开通该接口", "insufficient permissions: the app may not call this API"),
}

#: 40004 sub-codes after which a refund has definitely not happened and will not by itself.
REFUND_FAILURES: dict[str, tuple[str, str]] = {
    "ACQ.SELLER_BALANCE_NOT_ENOUGH": (
        "商户余额不足：支付宝账户可用余额不够退款，请充值后再退",
        "merchant balance not enough: the Alipay account cannot cover the refund; top it up and retry",
    ),
    "ACQ.TRADE_HAS_FINISHED": (
        "交易已完结：已过可退款期限，不能再原路退款",
        "the trade is finished: the refund window is over, it can no longer be refunded",
    ),
    "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL": (
        "退款金额超过可退金额（或整单退款金额与订单金额不一致）",
        "the refund amount exceeds what can still be refunded (or a full refund does not equal the order total)",
    ),
    "ACQ.REASON_TRADE_REFUND_FEE_ERR": (
        "退款金额无效或超过剩余可退金额",
        "invalid refund amount, or more than the remaining refundable amount",
    ),
    "ACQ.TRADE_NOT_EXIST": (
        "支付宝中没有这笔交易：请核对订单号，或确认订单属于当前应用",
        "Alipay has no such trade: check the order number, or that it belongs to this app",
    ),
    "ACQ.TRADE_STATUS_ERROR": (
        "交易状态不允许退款（未付款或已关闭）",
        "the trade's status does not allow a refund (unpaid or closed)",
    ),
    "ACQ.TRADE_NOT_ALLOW_REFUND": ("该交易不允许退款", "this trade may not be refunded"),
    "ACQ.REASON_TRADE_BEEN_FREEZEN": (
        "交易已被冻结，暂不能退款",
        "the trade is frozen and cannot be refunded now",
    ),
    "ACQ.INVALID_PARAMETER": ("退款参数无效", "invalid refund parameters"),
    "ACQ.REFUND_CHARGE_ERROR": (
        "退分账金额异常，退款未执行",
        "refunding the royalty split failed; no refund was made",
    ),
    "ACQ.SELLER_ERROR": ("卖家状态异常，退款未执行", "the seller account is abnormal; no refund was made"),
    "ACQ.BUYER_ERROR": ("买家状态异常，退款未执行", "the buyer account is abnormal; no refund was made"),
}

#: 40004 sub-codes that mean "the gateway could not say": query before anything else.
_UNKNOWN_SUB_CODES = frozenset(
    {"ACQ.SYSTEM_ERROR", "ACQ.DISCORDANT_REPEAT_REQUEST", "isp.unknow-error", "aop.unknow-error"}
)

#: 40004 sub-codes that are configuration problems (nothing was done).
_MISCONFIGURED_SUB_CODES = frozenset({"ACQ.ACCESS_FORBIDDEN", "ACQ.PARTNER_ERROR"})

_BILL_MISSING_SUB_CODES = frozenset({"isp.bill_not_exist", "BILL_NOT_EXIST", "isp.bill_not_exist_error"})

_TRADE_STATES: dict[str, PaymentState] = {
    "WAIT_BUYER_PAY": PaymentState.PENDING,
    "TRADE_SUCCESS": PaymentState.PAID,
    # Paid but past the refund window: still PAID; ``raw["trade_status"]`` tells it apart.
    "TRADE_FINISHED": PaymentState.PAID,
    # Closed unpaid, or closed by a full refund. trade.query does not say which, so CLOSED is
    # the safe reading (VERIFY: widely reported that a full refund closes the trade); callers
    # that need to know ask query_refund for their own refund numbers.
    "TRADE_CLOSED": PaymentState.CLOSED,
}


@dataclass(frozen=True, slots=True)
class _Reply:
    """A gateway reply whose signature verified."""

    method: str
    code: str
    msg: str
    sub_code: str
    sub_msg: str
    data: dict[str, Any]
    body: bytes


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _parse_time(value: Any) -> datetime | None:
    text = _text(value).strip()
    if not text:
        return None
    for fmt in (TIMESTAMP_FORMAT, "%Y-%m-%d %H:%M:%S.%f"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=BEIJING)
        except ValueError:
            continue
    return None


def _fen(value: Any) -> int | None:
    text = _text(value).strip()
    if not text:
        return None
    return yuan_decimal_to_fen(text)


def gateway_url_from(base_url: str) -> str:
    """The gateway.do URL for a configured ``base_url`` (see the module docstring)."""
    url = base_url.strip() or PRODUCTION_GATEWAY
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise GatewayError(
            ErrorKind.MISCONFIGURED,
            f"网关地址无效：{url}",
            f"invalid gateway URL: {url}",
            code="bad_base_url",
            sent=False,
        )
    if parts.path.endswith(".do"):
        return url
    path = parts.path.rstrip("/") + "/gateway.do"
    return parts._replace(path=path).geturl()


# ---------------------------------------------------------------------------------------------
# Bill parsing (VERIFY: layout widely reported, not confirmed from a primary source)


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


def _bill_records(rows: Sequence[Mapping[str, str]]) -> list[TxRecord]:
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
            entry["created"] = _parse_time(_column(row, "创建时间"))
            entry["paid"] = _parse_time(_column(row, "完成时间"))
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


# ---------------------------------------------------------------------------------------------
# The adapter


class AlipayAdapter(AdapterBase):
    """Alipay OpenAPI (gateway.do, RSA2, public-key mode)."""

    kind: ClassVar[str] = "alipay"
    title_zh: ClassVar[str] = "支付宝（开放平台 RSA2）"
    title_en: ClassVar[str] = "Alipay (Open Platform, RSA2)"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.QUERY_PAYMENT,
            Capability.REFUND,
            Capability.PARTIAL_REFUND,
            Capability.REFUND_IDEMPOTENT,  # out_request_no is always our refund_no
            Capability.QUERY_REFUND,
            Capability.LIST_TRANSACTIONS,
            Capability.DOWNLOAD_BILL,
            Capability.VERIFY_NOTIFICATION,
            Capability.CREATE_QR,
        }
    )
    config_fields: ClassVar[Sequence[ConfigField]] = (
        ConfigField(
            "base_url",
            "网关地址（gateway.do 完整地址；留空为正式环境）",
            "Gateway URL (the full gateway.do URL; empty means production)",
            required=False,
            default=PRODUCTION_GATEWAY,
        ),
        ConfigField("app_id", "应用 APPID", "App ID (APPID)"),
        ConfigField(
            "app_private_key",
            "应用私钥（PKCS#1 或 PKCS#8，PEM 或纯 base64）",
            "App private key (PKCS#1 or PKCS#8, PEM or bare base64)",
            secret=True,
            multiline=True,
        ),
        ConfigField(
            "alipay_public_key",
            "支付宝公钥（开放平台“支付宝公钥”，不是应用公钥）",
            "Alipay public key (the Open Platform's 'Alipay public key', not the app public key)",
            secret=True,
            multiline=True,
        ),
    )

    def __init__(
        self,
        config: Mapping[str, str],
        *,
        clock: Clock | None = None,
        timeout: float = 10.0,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(config, clock=clock, timeout=timeout)
        self.gateway_url = gateway_url_from(self.config.get("base_url", ""))
        self.app_id = self.config["app_id"].strip()
        self._private_key = load_private_key(self.config["app_private_key"])
        self._alipay_public_key = load_public_key(self.config["alipay_public_key"])
        if self._alipay_public_key.public_numbers() == self._private_key.public_key().public_numbers():
            raise _bad_key(
                "alipay_public_key",
                "“支付宝公钥”填成了自己的应用公钥：请到开放平台复制“支付宝公钥”",
                "the 'Alipay public key' is your own app public key: copy the 'Alipay public key' from the Open Platform",
            )
        self._http = http
        self._owns_http = http is None

    # ---- plumbing ----------------------------------------------------------------------------
    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self.timeout)
            self._owns_http = True
        return self._http

    async def aclose(self) -> None:
        if self._http is not None and self._owns_http:
            await self._http.aclose()
        self._http = None

    def timestamp(self) -> str:
        """Now in Beijing time, the format the gateway checks."""
        now = self.clock()
        if now.tzinfo is None:
            now = now.astimezone()
        return now.astimezone(BEIJING).strftime(TIMESTAMP_FORMAT)

    def signed_params(
        self, method: str, biz: Mapping[str, Any], *, extra: Mapping[str, str] | None = None
    ) -> dict[str, str]:
        """Every request parameter, ``sign`` included, exactly as it will be sent."""
        params = {
            "app_id": self.app_id,
            "method": method,
            "format": "JSON",
            "charset": "utf-8",
            "sign_type": "RSA2",
            "timestamp": self.timestamp(),
            "version": "1.0",
        }
        for key, value in (extra or {}).items():
            if value:
                params[key] = value
        params["biz_content"] = json.dumps(dict(biz), ensure_ascii=False, separators=(",", ":"))
        params["sign"] = rsa2_sign(self._private_key, canonical_request_string(params))
        return params

    async def _call(
        self, method: str, biz: Mapping[str, Any], *, extra: Mapping[str, str] | None = None
    ) -> _Reply:
        params = self.signed_params(method, biz, extra=extra)
        biz_content = params.pop("biz_content")
        separator = "&" if "?" in self.gateway_url else "?"
        url = self.gateway_url + separator + urlencode(params)
        body = urlencode({"biz_content": biz_content}).encode("ascii")
        headers = {"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"}
        try:
            resp = await self._client().post(url, content=body, headers=headers, timeout=self.timeout)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise GatewayError(
                ErrorKind.RETRYABLE,
                f"连接不上支付宝网关：{exc}",
                f"could not connect to the Alipay gateway: {exc}",
                code="connect_error",
                sent=False,
            ) from exc
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            raise GatewayError(
                ErrorKind.MISCONFIGURED,
                f"网关地址无效：{exc}",
                f"invalid gateway URL: {exc}",
                code="bad_base_url",
                sent=False,
            ) from exc
        except httpx.TimeoutException as exc:
            raise self._unknown(
                "timeout", "等待支付宝回复超时", "timed out waiting for Alipay's reply"
            ) from exc
        except httpx.TransportError as exc:
            raise self._unknown(
                "transport_error",
                f"连接中断，未收到完整回复：{exc!r}",
                f"connection broke before a full reply: {exc!r}",
            ) from exc
        return self._parse_reply(method, resp.status_code, resp.content)

    @staticmethod
    def _unknown(code: str, zh: str, en: str, raw: Any = None) -> GatewayError:
        return GatewayError(
            ErrorKind.UNKNOWN_OUTCOME,
            f"{zh}；结果未知，请先查询再决定是否重发",
            f"{en}; the outcome is unknown, query before re-sending",
            code=code,
            raw=raw,
        )

    def _parse_reply(self, method: str, status: int, body: bytes) -> _Reply:
        if status in (404, 405):
            raise GatewayError(
                ErrorKind.MISCONFIGURED,
                f"网关地址不对（HTTP {status}）：{self.gateway_url}",
                f"wrong gateway URL (HTTP {status}): {self.gateway_url}",
                code=f"http_{status}",
                raw=body[:500],
            )
        if status != 200:
            raise self._unknown(
                f"http_{status}",
                f"支付宝网关返回 HTTP {status}",
                f"the gateway answered HTTP {status}",
                body[:500],
            )
        try:
            text = body.decode("utf-8")
            key, content, sign = signed_response_content(text, method.replace(".", "_") + "_response")
            inner = json.loads(content)
            if not isinstance(inner, dict):
                raise ValueError("the response value is not an object")
        except (UnicodeDecodeError, ValueError) as exc:
            raise self._unknown(
                "bad_reply",
                f"回复不完整或不是有效 JSON（{exc}）",
                f"the reply is incomplete or not valid JSON ({exc})",
                body[:500],
            ) from exc
        claimed = f"{_text(inner.get('code'))} {_text(inner.get('sub_code'))} {_text(inner.get('sub_msg') or inner.get('msg'))}".strip()
        if not sign:
            raise GatewayError(
                ErrorKind.SECURITY,
                f"支付宝回复没有签名，不予采信（回复声称：{claimed}）",
                f"the reply is unsigned and cannot be trusted (it claims: {claimed})",
                code="unsigned_reply",
                raw={"key": key, "claimed": inner, "body": body},
            )
        if not rsa2_verify(self._alipay_public_key, content, sign):
            raise GatewayError(
                ErrorKind.SECURITY,
                f"支付宝回复签名验证失败，不予采信：支付宝公钥可能填错，或回复被篡改（回复声称：{claimed}）",
                f"the reply's signature does not verify and cannot be trusted: wrong Alipay public key, "
                f"or a tampered reply (it claims: {claimed})",
                code="bad_reply_signature",
                raw={"key": key, "claimed": inner, "body": body},
            )
        return _Reply(
            method=method,
            code=_text(inner.get("code")),
            msg=_text(inner.get("msg")),
            sub_code=_text(inner.get("sub_code")),
            sub_msg=_text(inner.get("sub_msg")),
            data=inner,
            body=body,
        )

    def _gateway_error(self, reply: _Reply) -> GatewayError | None:
        """GatewayError for a verified reply that is not 10000 nor a plain 40004 business failure."""
        code, sub = reply.code, reply.sub_code
        said = f"{sub or code}：{reply.sub_msg or reply.msg}"
        if code == "10000":
            return None
        if code == "40004":
            if sub in _UNKNOWN_SUB_CODES:
                return self._unknown(
                    sub,
                    f"支付宝系统繁忙或请求与先前不一致（{said}）",
                    f"Alipay was busy or the request conflicts with an earlier one ({said})",
                    reply.data,
                )
            if sub in _MISCONFIGURED_SUB_CODES:
                return GatewayError(
                    ErrorKind.MISCONFIGURED,
                    f"应用无权调用该接口（{said}）",
                    f"the app is not allowed to call this API ({said})",
                    code=sub,
                    raw=reply.data,
                )
            return None
        if code == "20000":
            return self._unknown(
                sub or code,
                f"支付宝服务暂不可用（{said}）",
                f"Alipay service unavailable ({said})",
                reply.data,
            )
        if code in _GATEWAY_CODE_MESSAGES:
            zh, en = _GATEWAY_MESSAGES.get(sub) or _GATEWAY_CODE_MESSAGES[code]
            return GatewayError(
                ErrorKind.MISCONFIGURED,
                f"{zh}（{said}）",
                f"{en} ({sub or code}: {reply.sub_msg or reply.msg})",
                code=sub or code,
                raw=reply.data,
            )
        return self._unknown(
            code or "no_code", f"无法识别的回复码（{said}）", f"unrecognised reply code ({said})", reply.data
        )

    def _check_trade(self, reply: _Reply, out_trade_no: str, trade_no: str | None) -> None:
        """A verified reply about another trade is not an answer to our question."""
        got_out = _text(reply.data.get("out_trade_no"))
        got_trade = _text(reply.data.get("trade_no"))
        if (got_out and got_out != out_trade_no) or (trade_no and got_trade and got_trade != trade_no):
            raise self._unknown(
                "reply_mismatch",
                f"回复的订单号（{got_out or got_trade}）与请求（{out_trade_no}）不一致",
                f"the reply's order number ({got_out or got_trade}) differs from the request's ({out_trade_no})",
                reply.data,
            )

    # ---- payments ----------------------------------------------------------------------------
    async def query_payment(self, ref: PaymentRef) -> PaymentSnapshot:
        biz: dict[str, str] = {"out_trade_no": ref.out_trade_no}
        if ref.gateway_trade_no:
            biz["trade_no"] = ref.gateway_trade_no
        reply = await self._call("alipay.trade.query", biz)
        error = self._gateway_error(reply)
        if error:
            raise error
        if reply.code == "40004":
            if reply.sub_code == "ACQ.TRADE_NOT_EXIST":
                return PaymentSnapshot(
                    PaymentState.NOT_FOUND, ref.out_trade_no, ref.gateway_trade_no, None, raw=reply.data
                )
            raise self._rejected(reply, "查询交易失败", "trade query failed")
        self._check_trade(reply, ref.out_trade_no, ref.gateway_trade_no)
        status = _text(reply.data.get("trade_status"))
        try:
            total = _fen(reply.data.get("total_amount"))
        except MoneyError as exc:
            raise self._unknown(
                "bad_amount", f"金额格式无效：{exc.zh}", f"invalid amount: {exc.en}", reply.data
            ) from exc
        return PaymentSnapshot(
            state=_TRADE_STATES.get(status, PaymentState.UNKNOWN),
            out_trade_no=ref.out_trade_no,
            gateway_trade_no=_text(reply.data.get("trade_no")) or ref.gateway_trade_no,
            total_fen=total,
            refunded_fen=None,  # trade.query does not report refunds
            paid_at=_parse_time(reply.data.get("send_pay_date")),
            raw=reply.data,
        )

    @staticmethod
    def _rejected(reply: _Reply, zh: str, en: str) -> GatewayError:
        return GatewayError(
            ErrorKind.REJECTED,
            f"{zh}：{reply.sub_msg or reply.msg}（{reply.sub_code or reply.code}）",
            f"{en}: {reply.sub_msg or reply.msg} ({reply.sub_code or reply.code})",
            code=reply.sub_code or reply.code,
            raw=reply.data,
        )

    async def create_qr(self, req: QrRequest) -> QrPayment:
        if req.amount_fen <= 0:
            raise GatewayError(
                ErrorKind.REJECTED,
                "金额必须大于零",
                "the amount must be positive",
                code="bad_amount",
                sent=False,
            )
        biz = {
            "out_trade_no": req.out_trade_no,
            "total_amount": format_yuan(req.amount_fen),
            "subject": req.subject[:256],
        }
        reply = await self._call("alipay.trade.precreate", biz, extra={"notify_url": req.notify_url})
        error = self._gateway_error(reply)
        if error:
            raise error
        if reply.code != "10000":
            raise self._rejected(reply, "支付宝拒绝下单", "Alipay refused to create the order")
        self._check_trade(reply, req.out_trade_no, None)
        qr = _text(reply.data.get("qr_code"))
        if not qr:
            raise self._unknown("no_qr_code", "回复里没有二维码", "the reply has no qr_code", reply.data)
        return QrPayment(req.out_trade_no, _text(reply.data.get("trade_no")) or None, qr, raw=reply.data)

    # ---- refunds -----------------------------------------------------------------------------
    @staticmethod
    def refund_biz(req: RefundRequest) -> dict[str, str]:
        """The biz_content of alipay.trade.refund; a function of the persisted request only."""
        biz = {"out_trade_no": req.out_trade_no}
        if req.gateway_trade_no:
            biz["trade_no"] = req.gateway_trade_no
        biz["refund_amount"] = format_yuan(req.amount_fen)
        biz["out_request_no"] = req.refund_no
        if req.reason:
            biz["refund_reason"] = req.reason[:256]
        return biz

    @staticmethod
    def _check_refund_request(req: RefundRequest) -> None:
        problem: tuple[str, str] | None = None
        if not req.refund_no or len(req.refund_no) > 64:
            problem = ("退款单号须为 1~64 个字符", "the refund number must be 1 to 64 characters")
        elif req.amount_fen <= 0:
            problem = ("退款金额必须大于零", "the refund amount must be positive")
        elif req.total_fen > 0 and req.amount_fen > req.total_fen:
            problem = ("退款金额超过订单金额", "the refund amount exceeds the order total")
        if problem:
            raise GatewayError(
                ErrorKind.REJECTED, problem[0], problem[1], code="bad_refund_request", sent=False
            )

    async def refund(self, req: RefundRequest) -> RefundResult:
        self._check_refund_request(req)
        reply = await self._call("alipay.trade.refund", self.refund_biz(req))
        error = self._gateway_error(reply)
        if error:
            raise error
        if reply.code != "10000":
            sub = reply.sub_code
            if sub in REFUND_FAILURES:
                zh, en = REFUND_FAILURES[sub]
                return RefundResult(
                    RefundState.FAILED,
                    req.refund_no,
                    code=sub,
                    message_zh=f"{zh}（支付宝：{reply.sub_msg or reply.msg}）",
                    message_en=f"{en} (Alipay: {sub})",
                    raw=reply.data,
                    raw_bytes=reply.body,
                )
            # An unlisted business code: we cannot claim the refund failed for good.
            raise self._unknown(
                sub or reply.code,
                f"未识别的退款错误（{sub}：{reply.sub_msg}）",
                f"unrecognised refund error ({sub}: {reply.sub_msg})",
                reply.data,
            )
        self._check_trade(reply, req.out_trade_no, req.gateway_trade_no)
        if _text(reply.data.get("fund_change")) == "Y":
            # refund_fee is the trade's cumulative refunded total (VERIFY), so the amount this
            # refund moved is the one we asked for, which Alipay accepted.
            return RefundResult(
                RefundState.SUCCEEDED,
                req.refund_no,
                amount_fen=req.amount_fen,
                code="10000",
                message_zh="退款成功",
                message_en="refund succeeded",
                raw=reply.data,
                raw_bytes=reply.body,
            )
        # fund_change N or absent: accepted, or a repeat of an earlier request. Confirm.
        ref = RefundRef(req.out_trade_no, req.gateway_trade_no, req.refund_no, amount_fen=req.amount_fen)
        try:
            confirmed = await self.query_refund(ref)
        except GatewayError as exc:
            return self._accepted_unconfirmed(req, reply, f"{exc.zh}", f"{exc.en}")
        if confirmed.state is RefundState.SUCCEEDED:
            return replace(
                confirmed, raw={"refund": reply.data, "query": confirmed.raw}, raw_bytes=reply.body
            )
        # VERIFY/safer reading: §5.2 reads "no data" as not refunded, but the refund call itself
        # was accepted and Alipay warns that an early query can come back empty. Report
        # PROCESSING (query again later) rather than FAILED: a later NOT_FOUND from query_refund
        # is still answered by a safe re-send with this same out_request_no.
        return self._accepted_unconfirmed(
            req, reply, confirmed.message_zh, confirmed.message_en, confirmed.raw
        )

    @staticmethod
    def _accepted_unconfirmed(
        req: RefundRequest, reply: _Reply, zh: str, en: str, query_raw: Any = None
    ) -> RefundResult:
        return RefundResult(
            RefundState.PROCESSING,
            req.refund_no,
            amount_fen=req.amount_fen,
            code="10000",
            message_zh=f"支付宝已受理退款，尚未确认到账，请稍后查询（{zh}）",
            message_en=f"Alipay accepted the refund but it is not confirmed yet; query again later ({en})",
            raw={"refund": reply.data, "query": query_raw},
            raw_bytes=reply.body,
        )

    async def query_refund(self, ref: RefundRef) -> RefundResult:
        biz: dict[str, Any] = {"out_trade_no": ref.out_trade_no}
        if ref.gateway_trade_no:
            biz["trade_no"] = ref.gateway_trade_no
        biz["out_request_no"] = ref.refund_no
        biz["query_options"] = ["gmt_refund_pay"]
        reply = await self._call("alipay.trade.fastpay.refund.query", biz)
        error = self._gateway_error(reply)
        if error:
            raise error
        if reply.code != "10000":
            if reply.sub_code == "ACQ.TRADE_NOT_EXIST":
                return RefundResult(
                    RefundState.NOT_FOUND,
                    ref.refund_no,
                    code=reply.sub_code,
                    message_zh="支付宝没有这笔交易，因此也没有这笔退款",
                    message_en="Alipay has no such trade, so no such refund",
                    raw=reply.data,
                    raw_bytes=reply.body,
                )
            raise self._rejected(reply, "退款查询失败", "refund query failed")
        self._check_trade(reply, ref.out_trade_no, ref.gateway_trade_no)
        data = reply.data
        got_key = _text(data.get("out_request_no"))
        if got_key and got_key != ref.refund_no:
            raise self._unknown(
                "reply_mismatch",
                f"回复的退款单号（{got_key}）与请求不一致",
                f"the reply's refund number ({got_key}) differs from ours",
                data,
            )
        has_refund = any(
            data.get(k) not in (None, "") for k in ("out_request_no", "refund_amount", "refund_status")
        )
        if not has_refund:
            return RefundResult(
                RefundState.NOT_FOUND,
                ref.refund_no,
                code="10000",
                message_zh="支付宝查无此退款：退款未发生，可用同一退款单号、同一金额重发",
                message_en="Alipay has no such refund: it did not happen; re-send with the same number and amount",
                raw=data,
                raw_bytes=reply.body,
            )
        try:
            amount = _fen(data.get("refund_amount"))
        except MoneyError as exc:
            raise self._unknown(
                "bad_amount", f"金额格式无效：{exc.zh}", f"invalid amount: {exc.en}", data
            ) from exc
        if amount is None:
            amount = ref.amount_fen
        if _text(data.get("refund_status")) == "REFUND_SUCCESS":
            zh, en = "退款成功", "refund succeeded"
            if ref.amount_fen is not None and amount != ref.amount_fen:
                zh += f"，但金额（{format_yuan(amount or 0)}）与本地记录（{format_yuan(ref.amount_fen)}）不符"
                en += f", but the amount ({format_yuan(amount or 0)}) differs from ours ({format_yuan(ref.amount_fen)})"
            return RefundResult(
                RefundState.SUCCEEDED,
                ref.refund_no,
                amount_fen=amount,
                code="REFUND_SUCCESS",
                message_zh=zh,
                message_en=en,
                raw=data,
                raw_bytes=reply.body,
            )
        # Data without REFUND_SUCCESS. VERIFY/safer reading: older docs call any data success,
        # newer ones only REFUND_SUCCESS; we never claim success without it.
        return RefundResult(
            RefundState.PROCESSING,
            ref.refund_no,
            amount_fen=amount,
            code=_text(data.get("refund_status")) or "10000",
            message_zh="支付宝有这笔退款，但尚未显示退款成功，请稍后再查",
            message_en="Alipay knows this refund but does not show it as succeeded yet; query again later",
            raw=data,
            raw_bytes=reply.body,
        )

    # ---- reconciliation -----------------------------------------------------------------------
    async def bill_download_url(self, day: date, bill_type: str = "trade") -> str:
        """The one-shot (30 s) download URL of a day's bill."""
        reply = await self._call(
            "alipay.data.dataservice.bill.downloadurl.query",
            {"bill_type": bill_type, "bill_date": day.isoformat()},
        )
        error = self._gateway_error(reply)
        if error:
            raise error
        if reply.code != "10000":
            if reply.sub_code in _BILL_MISSING_SUB_CODES:
                raise GatewayError(
                    ErrorKind.REJECTED,
                    f"{day.isoformat()} 的账单不存在（当天账单次日约 9 点后才生成）",
                    f"no bill for {day.isoformat()} (a day's bill is ready after about 09:00 the next day)",
                    code=reply.sub_code,
                    raw=reply.data,
                )
            raise self._rejected(reply, "获取账单地址失败", "could not get the bill URL")
        url = _text(reply.data.get("bill_download_url"))
        if urlsplit(url).scheme not in ("http", "https"):
            raise self._unknown(
                "no_bill_url", "回复里没有有效的账单地址", "the reply has no valid bill URL", reply.data
            )
        return url

    async def download_bill(self, day: date, bill_type: str = "trade") -> bytes:
        """The bill zip of one day (signed URL from the gateway, then a plain GET)."""
        url = await self.bill_download_url(day, bill_type)
        try:
            resp = await self._client().get(url, timeout=self.timeout)
        except httpx.TransportError as exc:
            raise GatewayError(
                ErrorKind.RETRYABLE,
                f"下载账单失败：{exc!r}",
                f"bill download failed: {exc!r}",
                code="bill_download",
            ) from exc
        if resp.status_code != 200 or not resp.content.startswith(b"PK"):
            raise GatewayError(
                ErrorKind.RETRYABLE,
                f"下载账单失败（HTTP {resp.status_code}）",
                f"bill download failed (HTTP {resp.status_code})",
                code="bill_download",
                raw=resp.content[:500],
            )
        return resp.content

    async def list_transactions(self, query: TxQuery) -> list[TxRecord]:
        """Transactions from the daily ``trade`` bills of ``query.start`` .. ``query.end``.

        Only finished days have bills: the range defaults to yesterday and days from today on
        are skipped. A missing bill for a past day raises REJECTED rather than reading as "no
        transactions". ``offset``/``limit`` page the merged, time-ordered result.
        """
        yesterday = self.clock().astimezone(BEIJING).date() - timedelta(days=1)
        end = min(query.end or yesterday, yesterday)
        start = query.start or end
        if (end - start).days > 62:
            raise GatewayError(
                ErrorKind.REJECTED,
                "一次最多查询 62 天的账单",
                "at most 62 days of bills at a time",
                code="range_too_long",
                sent=False,
            )
        rows: list[dict[str, str]] = []
        day = start
        while day <= end:
            try:
                rows.extend(parse_trade_bill(await self.download_bill(day)))
            except (zipfile.BadZipFile, MoneyError, csv.Error) as exc:
                raise GatewayError(
                    ErrorKind.RETRYABLE,
                    f"账单无法解析：{exc}",
                    f"the bill could not be parsed: {exc}",
                    code="bad_bill",
                ) from exc
            day += timedelta(days=1)
        try:
            records = _bill_records(rows)
        except MoneyError as exc:
            raise GatewayError(
                ErrorKind.RETRYABLE,
                f"账单金额无法解析：{exc.zh}",
                f"bill amount unreadable: {exc.en}",
                code="bad_bill",
            ) from exc
        return records[query.offset : query.offset + query.limit]

    # ---- notifications -------------------------------------------------------------------------
    def _notify_security(self, zh: str, en: str, code: str, raw: Any = None) -> GatewayError:
        return GatewayError(ErrorKind.SECURITY, zh, en, code=code, sent=False, raw=raw)

    def _notify_params(self, http: InboundHttp) -> dict[str, str]:
        if not http.body:
            return {str(k): str(v) for k, v in http.query.items()}
        text = http.body.decode("latin-1")
        pairs: list[tuple[str, str]] | None = None
        for encoding in ("utf-8", "gb18030"):
            try:
                pairs = parse_qsl(text, keep_blank_values=True, encoding=encoding, errors="strict")
                break
            except UnicodeDecodeError:
                continue
        if pairs is None:
            raise self._notify_security(
                "通知编码无法识别", "the notification's encoding is unreadable", "bad_notify"
            )
        params: dict[str, str] = {}
        for key, value in pairs:
            if key in params:
                raise self._notify_security(
                    f"通知参数重复：{key}", f"duplicate notification parameter: {key}", "bad_notify"
                )
            params[key] = value
        return params

    def parse_notification(self, http: InboundHttp) -> Notification:
        """Verify and read an async notify (POST form). Raises GatewayError(SECURITY) if forged.

        The caller must still compare ``out_trade_no`` and ``amount_fen`` with its own order.
        For refund notifications ``amount_fen`` is None: ``refund_fee`` is the trade's total
        refunded (VERIFY), so confirm the refund with query_refund.
        """
        params = self._notify_params(http)
        sign = params.get("sign", "")
        if not sign:
            raise self._notify_security(
                "通知没有签名", "the notification is unsigned", "unsigned_notify", params
            )
        if params.get("sign_type", "RSA2") != "RSA2":
            raise self._notify_security(
                f"不接受的签名类型：{params.get('sign_type')}",
                f"sign type not accepted: {params.get('sign_type')}",
                "bad_sign_type",
                params,
            )
        verified = rsa2_verify(self._alipay_public_key, notification_sign_content(params), sign)
        if not verified and any(v == "" for v in params.values()):
            # Java rsaCheckV1 keeps empty values, some SDKs drop them: either string is Alipay's.
            verified = rsa2_verify(
                self._alipay_public_key, notification_sign_content(params, drop_empty=True), sign
            )
        if not verified:
            raise self._notify_security(
                "通知签名验证失败：可能是伪造的通知，或支付宝公钥填错",
                "the notification's signature does not verify: forged, or a wrong Alipay public key",
                "bad_notify_signature",
                params,
            )
        if params.get("app_id", "") != self.app_id:
            raise self._notify_security(
                f"通知属于其他应用（app_id {params.get('app_id')}）",
                f"the notification is for another app (app_id {params.get('app_id')})",
                "wrong_app_id",
                params,
            )
        notify_type = params.get("notify_type", "trade_status_sync")
        if notify_type != "trade_status_sync":
            raise GatewayError(
                ErrorKind.REJECTED,
                f"不支持的通知类型：{notify_type}",
                f"unsupported notification type: {notify_type}",
                code="notify_type",
                sent=False,
            )
        out_trade_no = params.get("out_trade_no", "")
        if not out_trade_no:
            raise GatewayError(
                ErrorKind.REJECTED,
                "通知缺少商户订单号",
                "the notification has no out_trade_no",
                code="bad_notify",
                sent=False,
            )
        trade_no = params.get("trade_no") or None
        status = params.get("trade_status", "")
        if params.get("out_biz_no") or params.get("gmt_refund"):
            return Notification(
                kind="refund",
                out_trade_no=out_trade_no,
                gateway_trade_no=trade_no,
                amount_fen=None,
                state=RefundState.SUCCEEDED,
                refund_no=params.get("out_biz_no") or None,
                raw=params,
            )
        try:
            amount = _fen(params.get("total_amount"))
        except MoneyError as exc:
            raise GatewayError(
                ErrorKind.REJECTED, exc.zh, exc.en, code="bad_amount", sent=False, raw=params
            ) from exc
        return Notification(
            kind="payment",
            out_trade_no=out_trade_no,
            gateway_trade_no=trade_no,
            amount_fen=amount,
            state=_TRADE_STATES.get(status, PaymentState.UNKNOWN),
            paid_at=_parse_time(params.get("gmt_payment")),
            raw=params,
        )

    def notification_ack(self, ok: bool) -> OutboundHttp:
        """Alipay wants exactly ``success`` (7 bytes); anything else makes it retry for ~25 h."""
        return OutboundHttp(200, {"Content-Type": "text/plain;charset=utf-8"}, b"success" if ok else b"fail")

    # ---- connection test -----------------------------------------------------------------------
    async def test_connection(self) -> ConnectionReport:
        """A signed alipay.trade.query for a made-up order: ACQ.TRADE_NOT_EXIST proves it all works."""
        probe = "KASHOP-PING-" + self.timestamp().replace("-", "").replace(":", "").replace(" ", "")
        try:
            reply = await self._call("alipay.trade.query", {"out_trade_no": probe})
        except GatewayError as exc:
            return self._report_error(exc)
        if reply.code == "10000" or (reply.code == "40004" and reply.sub_code == "ACQ.TRADE_NOT_EXIST"):
            return ConnectionReport(
                True,
                None,
                "连接正常：支付宝接受了我们的签名和 app_id，回复签名也验证通过",
                "connection OK: Alipay accepted our signature and app_id, and its reply verified",
                detail=f"{reply.code} {reply.sub_code}".strip(),
            )
        error = self._gateway_error(reply) or self._rejected(
            reply, "支付宝拒绝了查询", "Alipay refused the query"
        )
        return self._report_error(error)

    def _report_error(self, exc: GatewayError) -> ConnectionReport:
        if exc.kind is ErrorKind.SECURITY:
            claimed = exc.raw.get("claimed", {}) if isinstance(exc.raw, dict) else {}
            sub = _text(claimed.get("sub_code"))
            if exc.code == "unsigned_reply" and sub in _GATEWAY_MESSAGES:
                # Alipay sends some gateway errors (isv.invalid-app-id) unsigned. Nothing rides
                # on a connection test, so report what it says, marked as unverified.
                zh, en = _GATEWAY_MESSAGES[sub]
                return ConnectionReport(
                    False,
                    ErrorKind.MISCONFIGURED,
                    f"{zh}（支付宝未签名的回复：{sub}）",
                    f"{en} (unsigned reply from the gateway: {sub})",
                    detail=json.dumps(claimed, ensure_ascii=False),
                )
            if exc.code == "bad_reply_signature":
                return ConnectionReport(
                    False,
                    ErrorKind.MISCONFIGURED,
                    "支付宝公钥不对：网关回复的签名无法用所填“支付宝公钥”验证（请到开放平台重新复制支付宝公钥；"
                    "若确认无误，则回复可能被篡改）",
                    "wrong Alipay public key: the gateway's reply does not verify with it (copy the Alipay public "
                    "key from the Open Platform again; if it is right, the reply may have been tampered with)",
                    detail=json.dumps(claimed, ensure_ascii=False),
                )
        return ConnectionReport(False, exc.kind, exc.zh, exc.en, detail=exc.code)
