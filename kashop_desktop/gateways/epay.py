"""易支付 / 彩虹易支付 (epay) adapters: V1 (MD5, ``api.php``/``mapi.php``) and V2 (RSA, ``api/pay/*``).

Protocol facts follow the server source of 彩虹易支付 (``pwj2333/EasyPay``). The points that shape this module:

* Signature content (V1 and V2 alike): every parameter except ``sign``/``sign_type``, arrays and
  values that are ``null`` or empty after PHP ``trim``; sorted by key; ``k=v`` joined by ``&`` with
  raw (not URL-encoded) values. V1 appends the merchant key and takes the lowercase MD5 hex; V2
  signs with SHA256withRSA (PKCS#1 v1.5), base64. Replies are JSON-decoded and re-canonicalised;
  signatures are never computed over raw bytes.
* PHP returns numbers as strings ("1", "1.00"); ``code`` is an int. Everything numeric is parsed
  loosely (``_as_int``, ``_parse_money``) and money becomes integer fen, never float.
* V1 success is ``code == 1`` except ``act=refund`` where it is ``0`` (configurable through
  ``refund_success_codes`` because clones differ). V1 replies carry no signature at all.
* V2 success is ``code == 0``; only such replies are signed (by the platform key) and they are
  verified here together with their ``timestamp`` (±300 s) and merchant id; a ``code == 0`` reply
  that does not verify raises ``GatewayError(SECURITY)`` and is never taken as success.
* V1 has no refund idempotency key and no refund query: a V1 refund whose outcome is unknown must
  go to the owner, never be re-sent automatically. V2 honours ``out_refund_no`` (only when it is
  longer than 5 characters) and answers ``api/pay/refundquery``.

Error mapping (see base.py): a transport failure before the request could leave ->
RETRYABLE(sent=False); a timeout, broken connection, truncated or non-JSON body after sending ->
UNKNOWN_OUTCOME; HTTP 5xx -> RETRYABLE(sent=True) (except the V1 refund, see ``EpayV1Adapter.refund``);
``-3`` (auth/signature) -> MISCONFIGURED; business refusals of a refund -> ``RefundResult(FAILED)``
with the gateway's Chinese message and an English translation.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import re
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, ClassVar, Final
from urllib.parse import parse_qsl

import httpx
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from kashop_desktop.domain.errors import MoneyError
from kashop_desktop.domain.money import MAX_FEN, format_yuan, yuan_decimal_to_fen

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
    "CHINA_TZ",
    "TIMESTAMP_SKEW_SECONDS",
    "EpayV1Adapter",
    "EpayV2Adapter",
    "load_private_key",
    "load_public_key",
    "md5_sign",
    "php_float_money",
    "php_string",
    "rsa_sign",
    "rsa_verify",
    "sign_content",
    "translate_message",
]

#: 彩虹 sites run on Beijing time; ``addtime``/``endtime`` are naive server-local strings.
CHINA_TZ: Final = timezone(timedelta(hours=8), "Asia/Shanghai")
#: ``|now - timestamp|`` allowed by the server and by 彩虹's own client.
TIMESTAMP_SKEW_SECONDS: Final = 300
USER_AGENT: Final = "kashop-desktop/0.1 (epay; httpx)"
#: What PHP ``trim`` strips (Python's ``str.strip`` would also strip U+3000 and friends).
_PHP_TRIM: Final = " \t\n\r\0\x0b"
_OUT_TRADE_NO_RE: Final = re.compile(r"^[a-zA-Z0-9._\-|]+$")
_INT_RE: Final = re.compile(r"^[+-]?\d+$")
#: 彩虹 ignores an ``out_refund_no`` of 5 characters or fewer (``strlen(...) > 5``, bytes).
_MIN_OUT_REFUND_NO_BYTES: Final = 6
_V1_PAGE_MAX: Final = 50


# ---------------------------------------------------------------------------------------------
# Canonical string, signatures, keys
# ---------------------------------------------------------------------------------------------


def _php_float(value: float) -> str:
    """PHP's ``(string)$float`` (precision=14), e.g. 1.0 -> "1", 1.5 -> "1.5", 1e20 -> "1.0E+20"."""
    if math.isnan(value):
        return "NAN"
    if math.isinf(value):
        return "INF" if value > 0 else "-INF"
    text = f"{value:.14G}"
    if "E" not in text:
        return text
    mantissa, exponent = text.split("E")
    if "." not in mantissa:
        mantissa += ".0"
    exp = int(exponent)
    return f"{mantissa}E{'+' if exp >= 0 else '-'}{abs(exp)}"


def php_string(value: object) -> str | None:
    """The text PHP would put in the signature string for a decoded value; None if it is skipped."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else ""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _php_float(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, str):
        return value
    return None  # arrays / objects are never signed


def sign_content(params: Mapping[str, object]) -> str:
    """The epay canonical string: non-empty, non-array params but sign/sign_type, sorted, raw k=v."""
    parts: list[str] = []
    for key in sorted(params):
        if key in ("sign", "sign_type"):
            continue
        text = php_string(params[key])
        if text is None or text.strip(_PHP_TRIM) == "":
            continue
        parts.append(f"{key}={text}")
    return "&".join(parts)


def md5_sign(params: Mapping[str, object], key: str) -> str:
    """V1 signature: lowercase hex MD5 of ``sign_content(params) + key`` (no ``&key=``)."""
    return hashlib.md5((sign_content(params) + key).encode("utf-8")).hexdigest()


def rsa_sign(params: Mapping[str, object], private_key: rsa.RSAPrivateKey) -> str:
    """V2 signature: base64 of SHA256withRSA (PKCS#1 v1.5) over the canonical string."""
    raw = private_key.sign(sign_content(params).encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(raw).decode("ascii")


def rsa_verify(params: Mapping[str, object], signature: str, public_key: rsa.RSAPublicKey) -> bool:
    """Check a V2 signature; False for anything malformed."""
    # A '+' turned into a space by a careless URL decoder is restored; the check stays cryptographic.
    text = "".join(signature.replace(" ", "+").split())
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return False
    try:
        public_key.verify(raw, sign_content(params).encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def _key_material(text: str, what_zh: str, what_en: str) -> tuple[bytes, bool]:
    cleaned = text.strip()
    if not cleaned:
        raise _config_error(f"{what_zh}为空", f"{what_en} is empty")
    if "-----BEGIN" in cleaned:
        return cleaned.encode("ascii", errors="replace"), True
    try:
        return base64.b64decode("".join(cleaned.split()), validate=True), False
    except (binascii.Error, ValueError) as exc:
        raise _config_error(
            f"{what_zh}格式无效：应为 PEM 或 base64 文本", f"{what_en} is neither PEM nor base64 text"
        ) from exc


def load_private_key(text: str) -> rsa.RSAPrivateKey:
    """The merchant private key: PEM (PKCS#8 or PKCS#1) or bare base64 DER as 彩虹 shows it."""
    data, is_pem = _key_material(text, "商户私钥", "merchant private key")
    try:
        key = (
            serialization.load_pem_private_key(data, password=None)
            if is_pem
            else serialization.load_der_private_key(data, password=None)
        )
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise _config_error(
            "商户私钥无法读取（是否误填了公钥或带密码的私钥？）",
            "the merchant private key cannot be read (a public key, or a password-protected key?)",
        ) from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise _config_error("商户私钥不是 RSA 私钥", "the merchant private key is not an RSA private key")
    return key


def load_public_key(text: str) -> rsa.RSAPublicKey:
    """The platform public key: PEM (SPKI or PKCS#1) or bare base64 DER as 彩虹 shows it."""
    data, is_pem = _key_material(text, "平台公钥", "platform public key")
    try:
        key = serialization.load_pem_public_key(data) if is_pem else serialization.load_der_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise _config_error(
            "平台公钥无法读取（是否误填了私钥？）", "the platform public key cannot be read (a private key?)"
        ) from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise _config_error("平台公钥不是 RSA 公钥", "the platform public key is not an RSA public key")
    return key


def php_float_money(fen: int) -> str:
    """How 彩虹 renders money in a notify: PHP ``(float)`` of the decimal, 100 -> "1", 150 -> "1.5"."""
    text = format((Decimal(fen) / 100).normalize(), "f")
    return text


# ---------------------------------------------------------------------------------------------
# Loose parsing of PHP output
# ---------------------------------------------------------------------------------------------


def _as_int(value: object) -> int | None:
    """PHP-loose integer: 1, "1", " 1 ", 1.0, "1.00" -> 1; anything else -> None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        text = value.strip(_PHP_TRIM)
        if _INT_RE.match(text):
            return int(text)
        try:
            dec = Decimal(text)
        except InvalidOperation:
            return None
        if dec.is_finite() and dec == dec.to_integral_value():
            return int(dec)
    return None


def _parse_money(value: object) -> int | None:
    """Yuan as PHP prints it ("1", "1.5", "1.00", or a JSON number) -> fen; None if absent/invalid."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        text = repr(value)
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, str):
        text = value.strip(_PHP_TRIM)
    else:
        return None
    if not text:
        return None
    try:
        dec = Decimal(text)
    except InvalidOperation:
        return None
    if not dec.is_finite() or dec < 0 or dec * 100 > MAX_FEN:
        return None
    try:
        return yuan_decimal_to_fen(format(dec, "f"))
    except MoneyError:
        return None


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or text.startswith("0000"):
        return None
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=CHINA_TZ)
        except ValueError:
            continue
    return None


def _text(value: object) -> str:
    text = php_string(value)
    return "" if text is None else text


def _decode_body(body: bytes) -> dict[str, Any] | None:
    """Decode a PHP JSON reply; tolerates a BOM and PHP notices printed before the JSON."""
    try:
        text = body.decode("utf-8-sig").strip()
    except UnicodeDecodeError:
        return None
    obj: Any
    try:
        obj = json.loads(text)
    except ValueError:
        start = text.find("{")
        if start <= 0:
            return None
        try:
            obj, end = json.JSONDecoder().raw_decode(text, start)
        except ValueError:
            return None
        if text[end:].strip():
            return None
    return obj if isinstance(obj, dict) else None


# ---------------------------------------------------------------------------------------------
# Gateway messages: Chinese as received, English translation of the known ones
# ---------------------------------------------------------------------------------------------

_MESSAGES_EN: Final[dict[str, str]] = {
    "商户余额不足，请先充值": "merchant balance insufficient, please top up the epay account",
    "退款金额不能超过该订单剩余可退款金额！": "refund amount exceeds what remains refundable on this order",
    "退款金额不能大于订单金额": "refund amount exceeds the order amount",
    "该订单已全额退款！": "this order has already been fully refunded",
    "该订单已退款！": "this order has already been refunded",
    "该订单状态不支持退款！": "this order's status does not allow a refund (not paid?)",
    "当前订单不存在！": "order not found",
    "订单号不存在": "order not found",
    "订单号不能为空": "order number missing",
    "接口订单号不存在": "the order has no upstream channel trade number, it cannot be refunded by API",
    "当前支付通道信息不存在": "the order's payment channel no longer exists",
    "当前支付通道不支持API退款": "the order's payment channel does not support API refunds",
    "金额输入错误": "invalid refund amount",
    "未开启商户后台自助退款": "self-service refunds are disabled by the platform administrator",
    "管理员未开启商户后台自助退款": "self-service refunds are disabled by the platform administrator",
    "商户未开启订单退款API接口": "the refund API is not enabled for this merchant",
    "商户ID不存在": "unknown merchant ID (pid)",
    "PID不存在": "unknown merchant ID (pid)",
    "商户不存在！": "unknown merchant ID (pid)",
    "商户ID不能为空": "merchant ID (pid) missing",
    "商户密钥错误": "wrong merchant key",
    "KEY校验失败": "wrong merchant key",
    "商户已被封禁": "the merchant account is banned",
    "该商户只能使用RSA签名类型": "this merchant may only use RSA signatures: use the 易支付 V2 gateway",
    "RSA签名校验失败": "signature check failed",
    "verify sign failed": "signature check failed",
    "时间戳(timestamp)字段不能为空": "timestamp missing",
    "时间戳字段不正确，请检查服务器时间": "timestamp refused: check this computer's clock",
    "退款记录不存在": "refund record not found",
    "商户退款单号不能为空": "refund number missing",
    "接口方法不存在": "API method does not exist (the site may not have the V2 API)",
    "URL Error!": "URL error",
    "No Act!": "unknown API action (the site may not support this call)",
    "未传入任何参数": "the gateway received no parameters",
    "金额不合法": "invalid amount",
    "支付方式(type)不能为空": "payment type missing",
    "用户IP地址(clientip)不能为空": "payer IP (clientip) missing",
    "订单号(out_trade_no)不能为空": "order number (out_trade_no) missing",
    "订单号(out_trade_no)格式不正确": "order number (out_trade_no) has invalid characters",
    "通知地址(notify_url)不能为空": "notify URL missing",
    "商品名称(name)不能为空": "item name missing",
    "金额(money)不能为空": "amount missing",
    "succ": "OK",
}

_MESSAGE_PATTERNS_EN: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    (re.compile(r"^退款成功！退款金额￥(.*)$"), "refund succeeded, amount ¥{0}"),
    (re.compile(r"^已存在相同退款单号！退款金额￥(.*)$"), "a refund with this number already exists, amount ¥{0}"),
    (re.compile(r"^退款失败：(.*)$", re.S), "the refund failed upstream: {0}"),
    (re.compile(r"^该订单\((.*)\)已完成支付，请勿重复发起支付$"), "order {0} is already paid"),
    (re.compile(r"^该订单\((.*)\)支付参数有变化.*$"), "order {0} was created before with different parameters"),
    (re.compile(r"^最大支付金额是(.*)元$"), "the maximum payment amount is ¥{0}"),
    (re.compile(r"^最小支付金额是(.*)元$"), "the minimum payment amount is ¥{0}"),
)


def translate_message(message_zh: str) -> str:
    """English for a known 彩虹 message; unknown ones are passed through labelled."""
    text = message_zh.strip()
    if text in _MESSAGES_EN:
        return _MESSAGES_EN[text]
    for pattern, template in _MESSAGE_PATTERNS_EN:
        match = pattern.match(text)
        if match:
            return template.format(*match.groups())
    return f"gateway message: {text}" if text else "no message from the gateway"


# ---------------------------------------------------------------------------------------------
# Error helpers
# ---------------------------------------------------------------------------------------------


def _config_error(zh: str, en: str, *, code: str = "bad_config") -> GatewayError:
    return GatewayError(ErrorKind.MISCONFIGURED, zh, en, code=code, sent=False)


def _security(zh: str, en: str, *, code: str, raw: Any = None) -> GatewayError:
    return GatewayError(ErrorKind.SECURITY, zh, en, code=code, sent=True, raw=raw)


def _unknown(zh: str, en: str, *, code: str, raw: Any = None) -> GatewayError:
    return GatewayError(ErrorKind.UNKNOWN_OUTCOME, zh, en, code=code, sent=True, raw=raw)


@lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    """httpx's default verifying context (certifi CAs), built once: it costs ~0.1 s each time."""
    return httpx.create_ssl_context()


@dataclass(frozen=True, slots=True)
class _Reply:
    status: int
    data: dict[str, Any]
    body: bytes

    @property
    def code(self) -> int | None:
        return _as_int(self.data.get("code"))

    @property
    def msg(self) -> str:
        return _text(self.data.get("msg")).strip()


# ---------------------------------------------------------------------------------------------
# Shared plumbing
# ---------------------------------------------------------------------------------------------


class _EpayAdapter(AdapterBase):
    """HTTP plumbing and mapping shared by V1 and V2."""

    def __init__(
        self,
        config: Mapping[str, str],
        *,
        clock: Clock | None = None,
        timeout: float = 10.0,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(config, clock=clock, timeout=timeout)
        base = self.config["base_url"].strip()
        if not base.endswith("/"):
            base += "/"  # 彩虹's 接口地址 always ends with '/'
        try:
            url = httpx.URL(base)
        except httpx.InvalidURL as exc:
            raise _config_error(f"接口地址无效：{base}", f"invalid base URL: {base}") from exc
        if url.scheme not in ("http", "https") or not url.host:
            raise _config_error(
                f"接口地址必须以 http:// 或 https:// 开头：{base}", f"the base URL must be http(s)://…: {base}"
            )
        self.base_url = base
        self.pid = self.config["pid"].strip()
        self._http = http
        self._owns_http = http is None

    # ---- transport ---------------------------------------------------------------------------
    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(
                verify=_tls_context(),
                timeout=self.timeout,
                follow_redirects=False,
                headers={"User-Agent": USER_AGENT, "Accept": "application/json, text/plain, */*"},
            )
        return self._http

    async def aclose(self) -> None:
        if self._http is not None and self._owns_http:
            await self._http.aclose()
        self._http = None

    async def _send(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, str] | None = None,
        form: Mapping[str, str] | None = None,
    ) -> _Reply:
        """One HTTP exchange, mapped onto the GatewayError kinds; returns the decoded JSON object."""
        url = self.base_url + path
        try:
            resp = await self._client().request(method, url, params=query, data=form)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise GatewayError(
                ErrorKind.RETRYABLE,
                "无法连接易支付接口",
                f"cannot connect to the epay site ({type(exc).__name__})",
                code="connect",
                sent=False,
            ) from exc
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            raise _config_error(f"接口地址无效：{self.base_url}", f"invalid base URL: {self.base_url}") from exc
        except httpx.TimeoutException as exc:
            raise _unknown(
                "请求已发出，等待回复超时：结果未知",
                f"the request went out and the reply timed out: outcome unknown ({type(exc).__name__})",
                code="timeout",
            ) from exc
        except httpx.TransportError as exc:
            raise _unknown(
                "请求已发出，连接中断未收到回复：结果未知",
                f"the request went out and the connection broke before a reply: outcome unknown ({type(exc).__name__})",
                code="transport",
            ) from exc
        body = resp.content
        status = resp.status_code
        if status >= 500 or status in (408, 425, 429):
            raise GatewayError(
                ErrorKind.RETRYABLE,
                f"易支付服务器错误（HTTP {status}），请稍后重试",
                f"epay server error (HTTP {status}), try again later",
                code=f"http_{status}",
                sent=True,
                raw=body[:2000],
            )
        if not 200 <= status < 300:
            hint_zh = "（地址会跳转，请填写跳转后的地址，如 https）" if 300 <= status < 400 else ""
            hint_en = " (the address redirects: enter the final address, e.g. https)" if 300 <= status < 400 else ""
            raise GatewayError(
                ErrorKind.MISCONFIGURED,
                f"易支付接口地址返回 HTTP {status}，请检查接口地址{hint_zh}",
                f"the epay base URL answered HTTP {status}: check the address{hint_en}",
                code=f"http_{status}",
                sent=True,
                raw=body[:2000],
            )
        data = _decode_body(body)
        if data is None:
            raise _unknown(
                "易支付回复不完整或不是 JSON：结果未知",
                "the epay reply was truncated or not JSON: outcome unknown",
                code="bad_body",
                raw=body[:2000],
            )
        return _Reply(status, data, body)

    # ---- mapping helpers -----------------------------------------------------------------------
    def _now(self) -> int:
        return int(self.clock().timestamp())

    @staticmethod
    def _gateway_error(kind: ErrorKind, reply: _Reply, *, code_prefix: str = "") -> GatewayError:
        msg = reply.msg
        return GatewayError(
            kind,
            msg or "易支付返回错误",
            translate_message(msg),
            code=f"{code_prefix}{reply.code if reply.code is not None else reply.data.get('code')}",
            sent=True,
            raw=reply.data,
        )

    @staticmethod
    def _refund_amount_check(req: RefundRequest) -> None:
        if req.amount_fen <= 0 or (req.total_fen > 0 and req.amount_fen > req.total_fen):
            raise GatewayError(
                ErrorKind.REJECTED,
                f"退款金额无效：{format_yuan(req.amount_fen)}",
                f"invalid refund amount: {format_yuan(req.amount_fen)}",
                code="bad_amount",
                sent=False,
            )

    @staticmethod
    def _order_ids(ref: PaymentRef | RefundRequest | RefundRef) -> dict[str, str]:
        # 彩虹: trade_no wins over out_trade_no when both are present; send exactly one.
        if ref.gateway_trade_no:
            return {"trade_no": ref.gateway_trade_no}
        if ref.out_trade_no:
            return {"out_trade_no": ref.out_trade_no}
        raise GatewayError(
            ErrorKind.REJECTED, "缺少订单号", "no order number given", code="no_order_no", sent=False
        )

    def _check_same_order(self, ref: PaymentRef | RefundRequest | RefundRef, data: Mapping[str, Any]) -> None:
        """A reply about another order (or merchant) is not an answer to our question."""
        for ours, theirs in (
            (ref.out_trade_no, data.get("out_trade_no")),
            (ref.gateway_trade_no, data.get("trade_no")),
        ):
            if ours and theirs not in (None, "") and _text(theirs) != ours:
                raise _security(
                    "易支付回复的订单号与请求不符",
                    "the epay reply is about another order",
                    code="order_mismatch",
                    raw=dict(data),
                )
        for key in ("pid", "uid"):
            theirs = data.get(key)
            if theirs not in (None, "") and _as_int(theirs) != _as_int(self.pid) and _text(theirs) != self.pid:
                raise _security(
                    "易支付回复的商户号与配置不符", "the epay reply is for another merchant", code="pid_mismatch", raw=dict(data)
                )

    def _refunded(self, data: Mapping[str, Any], status: int | None) -> int | None:
        """Refunded fen: V2 sends refundmoney (omitted when empty); V1 never does (None = unknown)."""
        if "refundmoney" in data:
            return _parse_money(data.get("refundmoney"))
        if self.kind == "epay_v2" and status in (0, 1, 3, 4):
            return 0  # V2 drops empty fields: no refundmoney on an unrefunded order means none
        return None  # V1, or a status-2 order refunded outside the API: amount unknown

    @staticmethod
    def _state_from_status(status: int | None, total: int | None, refunded: int | None) -> PaymentState:
        if status == 0 or status == 4:  # 4 = 预授权 (pre-authorised, not captured)
            return PaymentState.PENDING
        if status == 1:
            if refunded and total and refunded > 0:
                return PaymentState.REFUNDED if refunded >= total else PaymentState.PARTIALLY_REFUNDED
            return PaymentState.PAID
        if status == 2:
            # 彩虹 sets status 2 on ANY API refund, partial or full. Without refundmoney (V1 never
            # sends it) we cannot tell partial from full; the gateway still caps later refunds at
            # what remains, so REFUNDED with refunded_fen=None is what we report (the protocol notes §5.2).
            if refunded is not None and total is not None and 0 < refunded < total:
                return PaymentState.PARTIALLY_REFUNDED
            return PaymentState.REFUNDED
        if status == 3:
            return PaymentState.FROZEN
        return PaymentState.UNKNOWN

    def _snapshot(self, data: Mapping[str, Any], ref: PaymentRef) -> PaymentSnapshot:
        total = _parse_money(data.get("money"))
        status = _as_int(data.get("status"))
        refunded = self._refunded(data, status)
        state = self._state_from_status(status, total, refunded)
        trade_no = _text(data.get("trade_no")) or ref.gateway_trade_no
        paid_at = _parse_time(data.get("endtime")) if status in (1, 2, 3) else None
        return PaymentSnapshot(
            state=state,
            out_trade_no=_text(data.get("out_trade_no")) or ref.out_trade_no,
            gateway_trade_no=trade_no,
            total_fen=total,
            refunded_fen=refunded,
            paid_at=paid_at,
            raw=dict(data),
        )

    def _tx_record(self, row: Mapping[str, Any]) -> TxRecord | None:
        amount = _parse_money(row.get("money"))
        out_trade_no = _text(row.get("out_trade_no"))
        if amount is None or not out_trade_no:
            return None
        status = _as_int(row.get("status"))
        refunded = self._refunded(row, status)
        return TxRecord(
            out_trade_no=out_trade_no,
            gateway_trade_no=_text(row.get("trade_no")) or None,
            amount_fen=amount,
            state=self._state_from_status(status, amount, refunded),
            created_at=_parse_time(row.get("addtime")),
            paid_at=_parse_time(row.get("endtime")),
            refunded_fen=refunded,
            raw=dict(row),
        )

    @staticmethod
    def _in_range(record: TxRecord, query: TxQuery) -> bool:
        # epay has no date filter: rows of the fetched page outside [start, end] are dropped.
        when = record.created_at or record.paid_at
        if when is None:
            return True
        day: date = when.astimezone(CHINA_TZ).date()
        if query.start and day < query.start:
            return False
        return not (query.end and day > query.end)

    @staticmethod
    def _notification_params(http: InboundHttp) -> dict[str, str]:
        params = {str(k): str(v) for k, v in http.query.items()}
        ctype = {k.lower(): v for k, v in http.headers.items()}.get("content-type", "")
        if http.body and "application/x-www-form-urlencoded" in ctype:
            params.update(parse_qsl(http.body.decode("utf-8", errors="replace"), keep_blank_values=True))
        return params

    def _notification(self, params: Mapping[str, str], *, paid_at: datetime | None) -> Notification:
        if params.get("pid", "").strip() != self.pid:
            raise _security("通知的商户号与配置不符", "the notification is for another merchant", code="pid_mismatch")
        out_trade_no = params.get("out_trade_no", "").strip()
        if not out_trade_no:
            raise _security("通知缺少订单号", "the notification has no order number", code="bad_notify")
        amount = _parse_money(params.get("money"))
        if amount is None:
            raise _security(
                f"通知金额无效：{params.get('money')!r}", f"invalid amount in notification: {params.get('money')!r}", code="bad_notify"
            )
        status = params.get("trade_status", "")
        # 彩虹 only ever notifies TRADE_SUCCESS; anything else is reported as UNKNOWN so the
        # caller queries the order instead of trusting it.
        state = PaymentState.PAID if status == "TRADE_SUCCESS" else PaymentState.UNKNOWN
        return Notification(
            kind="payment",
            out_trade_no=out_trade_no,
            gateway_trade_no=params.get("trade_no") or None,
            amount_fen=amount,
            state=state,
            paid_at=paid_at,
            raw=dict(params),
        )

    def _qr_checks(self, req: QrRequest) -> None:
        if not _OUT_TRADE_NO_RE.match(req.out_trade_no):
            raise GatewayError(
                ErrorKind.REJECTED,
                "订单号只能包含字母、数字和 . _ - |",
                "the order number may only contain letters, digits and . _ - |",
                code="bad_out_trade_no",
                sent=False,
            )
        if req.amount_fen <= 0:
            raise GatewayError(ErrorKind.REJECTED, "金额必须大于零", "amount must be positive", code="bad_amount", sent=False)
        if not req.notify_url:
            raise GatewayError(
                ErrorKind.REJECTED,
                "易支付要求填写异步通知地址(notify_url)",
                "epay requires a notify_url",
                code="no_notify_url",
                sent=False,
            )

    @staticmethod
    def _subject(text: str) -> str:
        # 彩虹 cuts name to 127 bytes itself; cut on a character boundary so the signature matches.
        raw = text.encode("utf-8")[:127]
        return raw.decode("utf-8", errors="ignore") or "商品"


# ---------------------------------------------------------------------------------------------
# V1 (MD5)
# ---------------------------------------------------------------------------------------------


def _parse_codes(text: str) -> frozenset[int]:
    codes: set[int] = set()
    for part in re.split(r"[\s,，;；|]+", text.strip()):
        if not part:
            continue
        value = _as_int(part)
        if value is None:
            raise _config_error(
                f"退款成功代码无效：{part!r}（应为整数，如 0 或 0,1）",
                f"invalid refund success code {part!r} (integers such as 0 or 0,1)",
            )
        codes.add(value)
    if not codes:
        codes.add(0)
    if codes & {-1, -2, -3, -4, -5}:
        raise _config_error("退款成功代码不能是负数错误码", "refund success codes cannot be the negative error codes")
    return frozenset(codes)


_PAY_TYPES: Final = ("alipay", "wxpay", "qqpay", "bank", "jdpay")


class EpayV1Adapter(_EpayAdapter):
    """彩虹易支付 V1: MD5-signed ``mapi.php`` and key-in-clear ``api.php?act=…``.

    No refund idempotency key and no refund query exist in V1: a refund whose reply is lost can
    only be settled by the owner looking at the epay merchant back office.
    """

    kind: ClassVar[str] = "epay_v1"
    title_zh: ClassVar[str] = "易支付（V1 / MD5）"
    title_en: ClassVar[str] = "Epay (V1 / MD5)"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.QUERY_PAYMENT,
            Capability.REFUND,
            Capability.PARTIAL_REFUND,
            Capability.LIST_TRANSACTIONS,
            Capability.VERIFY_NOTIFICATION,
            Capability.CREATE_QR,
        }
    )
    config_fields: ClassVar[Sequence[ConfigField]] = (
        ConfigField("base_url", "接口地址", "Base URL (ends with /)"),
        ConfigField("pid", "商户ID", "Merchant ID (pid)"),
        ConfigField("key", "商户密钥", "Merchant key", secret=True),
        ConfigField(
            "refund_success_codes",
            "退款成功代码",
            "Refund success codes",
            required=False,
            default="0",
        ),
        ConfigField("pay_type", "收款方式", "Payment type", required=False, default="alipay", choices=_PAY_TYPES),
    )

    def __init__(
        self,
        config: Mapping[str, str],
        *,
        clock: Clock | None = None,
        timeout: float = 10.0,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(config, clock=clock, timeout=timeout, http=http)
        self.key = self.config["key"].strip()
        self.refund_success_codes = _parse_codes(self.config.get("refund_success_codes") or "0")
        self.pay_type = (self.config.get("pay_type") or "alipay").strip() or "alipay"

    def _auth(self) -> dict[str, str]:
        return {"pid": self.pid, "key": self.key}

    @staticmethod
    def _is_auth_error(reply: _Reply) -> bool:
        return reply.code == -3 or reply.msg in ("KEY校验失败", "PID不存在")

    # ---- query ---------------------------------------------------------------------------------
    async def query_payment(self, ref: PaymentRef) -> PaymentSnapshot:
        reply = await self._send("GET", "api.php", query={"act": "order", **self._auth(), **self._order_ids(ref)})
        code = reply.code
        if code == 1:
            self._check_same_order(ref, reply.data)
            return self._snapshot(reply.data, ref)
        if self._is_auth_error(reply):
            raise self._gateway_error(ErrorKind.MISCONFIGURED, reply)
        if code == -1 and reply.msg in ("订单号不存在", "当前订单不存在！"):
            return PaymentSnapshot(PaymentState.NOT_FOUND, ref.out_trade_no, ref.gateway_trade_no, None, raw=reply.data)
        if code == -5:
            raise self._gateway_error(ErrorKind.MISCONFIGURED, reply)
        raise self._gateway_error(ErrorKind.REJECTED, reply)

    async def list_transactions(self, query: TxQuery) -> list[TxRecord]:
        records: list[TxRecord] = []
        offset = max(query.offset, 0)
        remaining = max(query.limit, 0)
        while remaining > 0:
            page = min(remaining, _V1_PAGE_MAX)
            reply = await self._send(
                "GET", "api.php", query={"act": "orders", **self._auth(), "limit": str(page), "offset": str(offset)}
            )
            if reply.code != 1:
                kind = ErrorKind.MISCONFIGURED if self._is_auth_error(reply) or reply.code == -5 else ErrorKind.REJECTED
                raise self._gateway_error(kind, reply)
            rows = reply.data.get("data")
            rows = rows if isinstance(rows, list) else []  # PHP gives null for an empty page
            for row in rows:
                if isinstance(row, Mapping):
                    record = self._tx_record(row)
                    if record is not None and self._in_range(record, query):
                        records.append(record)
            if len(rows) < page:
                break
            offset += page
            remaining -= page
        return records

    # ---- refund --------------------------------------------------------------------------------
    async def refund(self, req: RefundRequest) -> RefundResult:
        """``api.php?act=refund`` (POST). Never safe to re-send: V1 has no idempotency key.

        HTTP 5xx after sending is reported as UNKNOWN_OUTCOME here, not RETRYABLE: a PHP crash
        or a proxy timeout may come after the money moved, and V1 cannot be queried or retried
        safely, so the owner must look (safer reading of the protocol notes §5.2/5.3).
        """
        self._refund_amount_check(req)
        form = {**self._auth(), "money": format_yuan(req.amount_fen), **self._order_ids(req)}
        try:
            reply = await self._send("POST", "api.php", query={"act": "refund"}, form=form)
        except GatewayError as exc:
            if exc.kind is ErrorKind.RETRYABLE and exc.sent:
                raise _unknown(
                    f"易支付V1退款请求已发出但服务器出错（{exc.code}），无法确认是否已退款，请到易支付后台核实",
                    f"the epay V1 refund reached a failing server ({exc.code}); whether money moved is unknown: check the epay back office",
                    code=exc.code,
                    raw=exc.raw,
                ) from exc
            if exc.kind is ErrorKind.UNKNOWN_OUTCOME:
                raise _unknown(
                    exc.zh + "。易支付V1不能查询退款，也不能安全重发：请到易支付后台核实",
                    exc.en + ". Epay V1 cannot query refunds nor re-send safely: check the epay back office",
                    code=exc.code,
                    raw=exc.raw,
                ) from exc
            raise
        return self._refund_result(req, reply)

    def _refund_result(self, req: RefundRequest, reply: _Reply) -> RefundResult:
        code = reply.code
        data = reply.data
        msg = reply.msg
        if code is not None and code in self.refund_success_codes and _text(data.get("refund_no")):
            self._check_same_order(req, data)
            amount = _parse_money(data.get("money"))
            if amount is not None and amount != req.amount_fen:
                raise _security(
                    f"易支付回复的退款金额 {format_yuan(amount)} 与请求的 {format_yuan(req.amount_fen)} 不符",
                    f"the epay reply names refund amount {format_yuan(amount)}, we asked for {format_yuan(req.amount_fen)}",
                    code="amount_mismatch",
                    raw=data,
                )
            return RefundResult(
                RefundState.SUCCEEDED,
                req.refund_no,
                gateway_refund_no=_text(data.get("refund_no")),
                amount_fen=req.amount_fen,
                code=str(code),
                message_zh=msg or "退款成功",
                message_en=translate_message(msg) if msg else "refund succeeded",
                raw=data,
                raw_bytes=reply.body,
            )
        if self._is_auth_error(reply):
            raise self._gateway_error(ErrorKind.MISCONFIGURED, reply)
        if code == -5:  # "No Act!": this site has no refund API (old 彩虹, KPay)
            raise self._gateway_error(ErrorKind.MISCONFIGURED, reply)
        if code in (-1, -2, -4) and msg:
            return RefundResult(
                RefundState.FAILED,
                req.refund_no,
                code=str(code),
                message_zh=msg,
                message_en=translate_message(msg),
                raw=data,
                raw_bytes=reply.body,
            )
        # A code we do not know (e.g. a clone answering 1 while the setting says 0): the refund
        # may have happened. V1 cannot ask, so the owner must look.
        raise _unknown(
            f"易支付V1退款返回了无法识别的结果（code={data.get('code')!r}，{msg}），请到易支付后台核实；"
            "若该站点成功代码不同，请修改“退款成功代码”",
            f"the epay V1 refund answered an unrecognised result (code={data.get('code')!r}, {translate_message(msg)}): "
            "check the epay back office; if this site uses another success code, change 'Refund success codes'",
            code=f"unrecognised_{data.get('code')}",
            raw=data,
        )

    # ---- notifications -------------------------------------------------------------------------
    def parse_notification(self, http: InboundHttp) -> Notification:
        params = self._notification_params(http)
        sign = params.get("sign", "").strip().lower()
        sign_type = params.get("sign_type", "MD5").strip().upper() or "MD5"
        if sign_type != "MD5":
            raise _security(
                f"通知签名类型 {sign_type} 不是 MD5（V2 订单请使用易支付V2网关）",
                f"notification sign_type {sign_type} is not MD5 (V2 orders need the epay V2 gateway)",
                code="bad_sign_type",
            )
        expected = md5_sign(params, self.key)
        if not sign or not hmac.compare_digest(sign, expected):
            raise _security("通知签名校验失败", "notification signature does not verify", code="bad_signature")
        return self._notification(params, paid_at=None)

    # ---- QR ------------------------------------------------------------------------------------
    async def create_qr(self, req: QrRequest) -> QrPayment:
        self._qr_checks(req)
        params: dict[str, str] = {
            "pid": self.pid,
            "type": self.pay_type,
            "out_trade_no": req.out_trade_no,
            "notify_url": req.notify_url,
            "return_url": req.notify_url,
            "name": self._subject(req.subject),
            "money": format_yuan(req.amount_fen),
            "clientip": req.client_ip or "127.0.0.1",
            "device": "pc",
        }
        params["sign"] = md5_sign(params, self.key)
        params["sign_type"] = "MD5"
        reply = await self._send("POST", "mapi.php", form=params)
        if reply.code == 1:
            for field in ("qrcode", "payurl", "urlscheme"):
                content = _text(reply.data.get(field))
                if content:
                    return QrPayment(req.out_trade_no, _text(reply.data.get("trade_no")) or None, content, raw=reply.data)
            raise GatewayError(
                ErrorKind.REJECTED,
                "该支付通道未返回二维码或链接",
                "this payment channel returned no QR code or link",
                code="no_qr",
                raw=reply.data,
            )
        kind = ErrorKind.MISCONFIGURED if reply.code in (-3, -5) or reply.msg == "商户不存在！" else ErrorKind.REJECTED
        raise self._gateway_error(kind, reply)

    # ---- connection test -----------------------------------------------------------------------
    async def test_connection(self) -> ConnectionReport:
        try:
            reply = await self._send("GET", "api.php", query={"act": "query", **self._auth()})
        except GatewayError as exc:
            return _unreachable_report(exc)
        if reply.code == 1:
            if _as_int(reply.data.get("pid")) != _as_int(self.pid):
                return ConnectionReport(
                    False, ErrorKind.SECURITY, "易支付回复的商户号与配置不符", "the epay reply names another merchant", "pid_mismatch"
                )
            return ConnectionReport(True, None, "连接成功：商户ID与密钥正确", "connected: merchant ID and key accepted", "auth_ok")
        msg = reply.msg
        if msg in ("商户密钥错误", "KEY校验失败"):
            return ConnectionReport(False, ErrorKind.MISCONFIGURED, "商户密钥错误", "wrong merchant key", "wrong_key")
        if msg in ("商户ID不存在", "PID不存在", "商户不存在！"):
            return ConnectionReport(
                False, ErrorKind.MISCONFIGURED, f"商户ID不存在：{self.pid}", f"unknown merchant ID (pid): {self.pid}", "unknown_pid"
            )
        if msg == "该商户只能使用RSA签名类型":
            return ConnectionReport(
                False,
                ErrorKind.MISCONFIGURED,
                "该商户只能使用RSA签名：请改用易支付V2网关",
                "this merchant may only use RSA signatures: use the epay V2 gateway",
                "rsa_only",
            )
        return ConnectionReport(
            False,
            ErrorKind.MISCONFIGURED,
            f"易支付返回错误：{msg or reply.data.get('code')}",
            f"epay answered an error: {translate_message(msg)}",
            f"code_{reply.data.get('code')}",
        )


def _unreachable_report(exc: GatewayError) -> ConnectionReport:
    if exc.kind is ErrorKind.RETRYABLE and not exc.sent:
        return ConnectionReport(False, ErrorKind.RETRYABLE, "无法连接易支付接口地址", "the epay base URL is unreachable", "unreachable")
    if exc.kind is ErrorKind.RETRYABLE:
        return ConnectionReport(False, ErrorKind.RETRYABLE, exc.zh, exc.en, "server_error")
    if exc.kind is ErrorKind.UNKNOWN_OUTCOME and exc.code == "bad_body":
        return ConnectionReport(
            False,
            ErrorKind.MISCONFIGURED,
            "该地址的回复不是易支付接口的格式，请检查接口地址",
            "this address does not answer like an epay site: check the base URL",
            "not_epay",
        )
    if exc.kind is ErrorKind.UNKNOWN_OUTCOME:
        return ConnectionReport(False, ErrorKind.RETRYABLE, "连接易支付超时或中断", "the epay site timed out or hung up", "unreachable")
    return ConnectionReport(False, exc.kind, exc.zh, exc.en, exc.code or "error")


# ---------------------------------------------------------------------------------------------
# V2 (RSA)
# ---------------------------------------------------------------------------------------------


class EpayV2Adapter(_EpayAdapter):
    """彩虹易支付 V2: SHA256withRSA on every request and on every ``code == 0`` reply.

    Refunds are idempotent on ``out_refund_no`` (always our ``refund_no``; 彩虹 ignores keys of 5
    characters or fewer, so those are refused before sending) and can be queried.
    """

    kind: ClassVar[str] = "epay_v2"
    title_zh: ClassVar[str] = "易支付（V2 / RSA）"
    title_en: ClassVar[str] = "Epay (V2 / RSA)"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.QUERY_PAYMENT,
            Capability.REFUND,
            Capability.PARTIAL_REFUND,
            Capability.REFUND_IDEMPOTENT,
            Capability.QUERY_REFUND,
            Capability.LIST_TRANSACTIONS,
            Capability.VERIFY_NOTIFICATION,
            Capability.CREATE_QR,
        }
    )
    config_fields: ClassVar[Sequence[ConfigField]] = (
        ConfigField("base_url", "接口地址", "Base URL (ends with /)"),
        ConfigField("pid", "商户ID", "Merchant ID (pid)"),
        ConfigField("merchant_private_key", "商户私钥", "Merchant private key", secret=True, multiline=True),
        ConfigField("platform_public_key", "平台公钥", "Platform public key", multiline=True),
        ConfigField("pay_type", "收款方式", "Payment type", required=False, default="alipay", choices=_PAY_TYPES),
        ConfigField(
            "route_style",
            "接口路径形式",
            "API route style",
            required=False,
            default="path",
            choices=("path", "query"),
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
        super().__init__(config, clock=clock, timeout=timeout, http=http)
        self.private_key = load_private_key(self.config["merchant_private_key"])
        self.platform_key = load_public_key(self.config["platform_public_key"])
        self.pay_type = (self.config.get("pay_type") or "alipay").strip() or "alipay"
        style = (self.config.get("route_style") or "path").strip()
        if style not in ("path", "query"):
            raise _config_error(f"接口路径形式无效：{style}", f"invalid route style: {style}")
        # "path": api/pay/query (needs the site's rewrite rule); "query": api.php?s=pay/query.
        self.route_style = style

    # ---- signed call ---------------------------------------------------------------------------
    def signed_params(self, params: Mapping[str, str]) -> dict[str, str]:
        """pid + timestamp + our params, signed with the merchant private key."""
        form = {k: v for k, v in params.items() if v is not None}
        form["pid"] = self.pid
        form["timestamp"] = str(self._now())
        form["sign"] = rsa_sign(form, self.private_key)
        form["sign_type"] = "RSA"
        return form

    async def _call(self, route: str, params: Mapping[str, str]) -> _Reply:
        form = self.signed_params(params)
        if self.route_style == "query":
            reply = await self._send("POST", "api.php", query={"s": route}, form=form)
        else:
            reply = await self._send("POST", "api/" + route, form=form)
        if reply.code == 0:
            self._verify_reply(reply.data)
        return reply

    def _verify_reply(self, data: Mapping[str, Any]) -> None:
        """Signature, timestamp and merchant of a ``code == 0`` reply; SECURITY if any fails."""
        sign = data.get("sign")
        if not isinstance(sign, str) or not sign.strip():
            raise _security("易支付回复未签名", "the epay reply is not signed", code="unsigned", raw=dict(data))
        sign_type = _text(data.get("sign_type")).strip()
        if sign_type and sign_type.upper() != "RSA":
            raise _security(
                f"易支付回复签名类型为 {sign_type}", f"the epay reply is signed with {sign_type}", code="bad_sign_type", raw=dict(data)
            )
        if not rsa_verify(data, sign, self.platform_key):
            raise _security(
                "易支付回复验签失败（平台公钥不符或回复被篡改），不能当作成功",
                "the epay reply signature does not verify (wrong platform key or a tampered reply): not taken as success",
                code="bad_signature",
                raw=dict(data),
            )
        ts = _as_int(data.get("timestamp"))
        if ts is None or abs(self._now() - ts) > TIMESTAMP_SKEW_SECONDS:
            raise _security(
                "易支付回复时间戳无效或相差超过300秒（请检查本机时间）",
                "the epay reply timestamp is missing or more than 300 s off (check this computer's clock)",
                code="stale_timestamp",
                raw=dict(data),
            )
        for key in ("pid", "uid"):
            theirs = data.get(key)
            if theirs not in (None, "") and _as_int(theirs) != _as_int(self.pid) and _text(theirs) != self.pid:
                raise _security(
                    "易支付回复的商户号与配置不符", "the epay reply is for another merchant", code="pid_mismatch", raw=dict(data)
                )

    def _error_kind(self, reply: _Reply) -> ErrorKind:
        if reply.code in (-3, -4, -5) or reply.msg in ("商户不存在！", "商户ID不能为空"):
            return ErrorKind.MISCONFIGURED
        return ErrorKind.REJECTED

    # ---- query ---------------------------------------------------------------------------------
    async def query_payment(self, ref: PaymentRef) -> PaymentSnapshot:
        reply = await self._call("pay/query", self._order_ids(ref))
        if reply.code == 0:
            self._check_same_order(ref, reply.data)
            return self._snapshot(reply.data, ref)
        if reply.code == -1 and reply.msg in ("订单号不存在", "当前订单不存在！"):
            return PaymentSnapshot(PaymentState.NOT_FOUND, ref.out_trade_no, ref.gateway_trade_no, None, raw=reply.data)
        raise self._gateway_error(self._error_kind(reply), reply)

    async def list_transactions(self, query: TxQuery) -> list[TxRecord]:
        """``api/merchant/orders``. Note: 彩虹 leaves the ``data`` list out of the signature."""
        records: list[TxRecord] = []
        offset = max(query.offset, 0)
        remaining = max(query.limit, 0)
        while remaining > 0:
            page = min(remaining, _V1_PAGE_MAX)
            reply = await self._call("merchant/orders", {"offset": str(offset), "limit": str(page)})
            if reply.code != 0:
                raise self._gateway_error(self._error_kind(reply), reply)
            rows = reply.data.get("data")
            rows = rows if isinstance(rows, list) else []
            for row in rows:
                if not isinstance(row, Mapping):
                    continue
                # The rows are unsigned: at least refuse rows that name another merchant.
                if row.get("pid") not in (None, "") and _as_int(row.get("pid")) != _as_int(self.pid):
                    raise _security(
                        "订单列表中出现其他商户的订单", "the order list contains another merchant's orders", code="pid_mismatch"
                    )
                record = self._tx_record(row)
                if record is not None and self._in_range(record, query):
                    records.append(record)
            if len(rows) < page:
                break
            offset += page
            remaining -= page
        return records

    # ---- refund --------------------------------------------------------------------------------
    @staticmethod
    def _check_refund_no(refund_no: str) -> None:
        if len(refund_no.encode("utf-8")) < _MIN_OUT_REFUND_NO_BYTES:
            # 彩虹 ignores out_refund_no of 5 bytes or fewer (strlen > 5): the refund would not be
            # idempotent, so it is never sent.
            raise GatewayError(
                ErrorKind.REJECTED,
                f"退款单号“{refund_no}”太短：易支付V2只认超过5个字符的退款单号，否则无法防止重复退款",
                f"refund number {refund_no!r} is too short: epay V2 only honours refund numbers longer than 5 characters",
                code="refund_no_too_short",
                sent=False,
            )

    async def refund(self, req: RefundRequest) -> RefundResult:
        """``api/pay/refund`` with ``out_refund_no = req.refund_no``: safe to re-send with the same key."""
        self._refund_amount_check(req)
        self._check_refund_no(req.refund_no)
        params = {**self._order_ids(req), "money": format_yuan(req.amount_fen), "out_refund_no": req.refund_no}
        reply = await self._call("pay/refund", params)
        data = reply.data
        msg = reply.msg
        if reply.code == 0:
            self._check_same_order(req, data)
            self._check_refund_identity(req.refund_no, data)
            amount = _parse_money(data.get("money"))
            if amount is None or amount != req.amount_fen:
                # 彩虹 answers a repeated out_refund_no with the FIRST refund and does not compare
                # amounts: a different amount means our key was reused for another refund. Money
                # did move under this key, so neither "failed" nor "succeeded" is true: it stays
                # unresolved (UNKNOWN_OUTCOME) for the owner, and so does query_refund below.
                raise _unknown(
                    f"退款单号 {req.refund_no} 已用于金额 {_text(data.get('money'))} 的退款，与本次 {format_yuan(req.amount_fen)} 不符，请人工核对",
                    f"refund number {req.refund_no} already refunded {_text(data.get('money'))}, not {format_yuan(req.amount_fen)}: check by hand",
                    code="refund_no_conflict",
                    raw=data,
                )
            return RefundResult(
                RefundState.SUCCEEDED,
                req.refund_no,
                gateway_refund_no=_text(data.get("refund_no")),
                amount_fen=amount,
                code="0",
                message_zh=msg or "退款成功",
                message_en=translate_message(msg) if msg else "refund succeeded",
                raw=data,
                raw_bytes=reply.body,
            )
        kind = self._error_kind(reply)
        if kind is ErrorKind.MISCONFIGURED:
            raise self._gateway_error(kind, reply)
        if reply.code in (-1, -2) and msg:
            # Business refusals. (Unlike the doc's summary, 彩虹 signs the -1 arrays Order::refund
            # returns; we neither need nor trust that signature: only code 0 means money moved.)
            return RefundResult(
                RefundState.FAILED,
                req.refund_no,
                code=str(reply.code),
                message_zh=msg,
                message_en=translate_message(msg),
                raw=data,
                raw_bytes=reply.body,
            )
        raise _unknown(
            f"易支付V2退款返回了无法识别的结果（code={data.get('code')!r}，{msg}），请先查询退款",
            f"the epay V2 refund answered an unrecognised result (code={data.get('code')!r}): query the refund first",
            code=f"unrecognised_{data.get('code')}",
            raw=data,
        )

    def _check_refund_identity(self, refund_no: str, data: Mapping[str, Any]) -> None:
        if _text(data.get("out_refund_no")) != refund_no or not _text(data.get("refund_no")):
            raise _security(
                "易支付回复的退款单号与请求不符", "the epay reply is about another refund", code="refund_mismatch", raw=dict(data)
            )

    async def query_refund(self, ref: RefundRef) -> RefundResult:
        """``api/pay/refundquery`` by our ``out_refund_no``: status 1 SUCCEEDED, 0 FAILED, absent NOT_FOUND."""
        if len(ref.refund_no.encode("utf-8")) >= _MIN_OUT_REFUND_NO_BYTES:
            params = {"out_refund_no": ref.refund_no}
        elif ref.gateway_refund_no:
            params = {"refund_no": ref.gateway_refund_no}
        else:
            self._check_refund_no(ref.refund_no)
            params = {}
        reply = await self._call("pay/refundquery", params)
        data = reply.data
        msg = reply.msg
        if reply.code == 0:
            self._check_same_order(ref, data)
            if "out_refund_no" in params:
                self._check_refund_identity(ref.refund_no, data)
            if ref.gateway_refund_no and _text(data.get("refund_no")) != ref.gateway_refund_no:
                raise _security(
                    "易支付回复的退款单号与请求不符", "the epay reply is about another refund", code="refund_mismatch", raw=dict(data)
                )
            amount = _parse_money(data.get("money"))
            if ref.amount_fen is not None and amount is not None and amount != ref.amount_fen:
                raise _unknown(
                    f"退款单号 {ref.refund_no} 在易支付的金额为 {_text(data.get('money'))}，与本地 {format_yuan(ref.amount_fen)} 不符，请人工核对",
                    f"refund {ref.refund_no} is {_text(data.get('money'))} at epay, {format_yuan(ref.amount_fen)} here: check by hand",
                    code="refund_no_conflict",
                    raw=data,
                )
            status = _as_int(data.get("status"))
            if status == 1:
                state = RefundState.SUCCEEDED
            elif status == 0:
                # Documented as "failed". 彩虹 re-uses the refund_no of a status-0 record when the
                # same out_refund_no is sent again, so a re-send stays idempotent either way.
                state = RefundState.FAILED
            else:
                state = RefundState.PROCESSING  # unknown status value: not final, ask again later
            return RefundResult(
                state,
                ref.refund_no,
                gateway_refund_no=_text(data.get("refund_no")) or None,
                amount_fen=amount,
                code=f"status:{_text(data.get('status'))}",
                message_zh={RefundState.SUCCEEDED: "退款成功", RefundState.FAILED: "退款失败"}.get(state, "退款处理中"),
                message_en={RefundState.SUCCEEDED: "refund succeeded", RefundState.FAILED: "refund failed"}.get(
                    state, "refund in progress"
                ),
                raw=data,
                raw_bytes=reply.body,
            )
        if reply.code == -1 and msg == "退款记录不存在":
            return RefundResult(
                RefundState.NOT_FOUND,
                ref.refund_no,
                code="-1",
                message_zh=msg,
                message_en=translate_message(msg),
                raw=data,
                raw_bytes=reply.body,
            )
        raise self._gateway_error(self._error_kind(reply), reply)

    # ---- notifications -------------------------------------------------------------------------
    def parse_notification(self, http: InboundHttp) -> Notification:
        params = self._notification_params(http)
        if params.get("sign_type", "").strip().upper() != "RSA":
            raise _security(
                "通知签名类型不是 RSA（V1 订单请使用易支付V1网关）",
                "notification sign_type is not RSA (V1 orders need the epay V1 gateway)",
                code="bad_sign_type",
            )
        sign = params.get("sign", "")
        if not sign or not rsa_verify(params, sign, self.platform_key):
            raise _security("通知签名校验失败", "notification signature does not verify", code="bad_signature")
        ts = _as_int(params.get("timestamp"))
        if ts is None or abs(self._now() - ts) > TIMESTAMP_SKEW_SECONDS:
            raise _security(
                "通知时间戳无效或相差超过300秒", "notification timestamp missing or more than 300 s off", code="stale_timestamp"
            )
        return self._notification(params, paid_at=_parse_time(params.get("endtime")))

    # ---- QR ------------------------------------------------------------------------------------
    async def create_qr(self, req: QrRequest) -> QrPayment:
        """``api/pay/create`` with ``method=web``.

        ``method=scan`` is 付款码 (the shop scans the buyer's code) and needs an ``auth_code`` that
        QrRequest does not carry; ``web`` lets the channel answer a QR code or a pay link.
        """
        self._qr_checks(req)
        params = {
            "method": "web",
            "device": "pc",
            "type": self.pay_type,
            "out_trade_no": req.out_trade_no,
            "notify_url": req.notify_url,
            "return_url": req.notify_url,
            "name": self._subject(req.subject),
            "money": format_yuan(req.amount_fen),
            "clientip": req.client_ip or "127.0.0.1",
        }
        reply = await self._call("pay/create", params)
        if reply.code == 0:
            pay_type = _text(reply.data.get("pay_type"))
            pay_info = _text(reply.data.get("pay_info"))
            if pay_type in ("qrcode", "jump", "urlscheme") and pay_info:
                return QrPayment(req.out_trade_no, _text(reply.data.get("trade_no")) or None, pay_info, raw=reply.data)
            raise GatewayError(
                ErrorKind.REJECTED,
                f"该支付通道返回的支付方式（{pay_type}）不能显示为二维码",
                f"this channel answered pay_type {pay_type!r}, which cannot be shown as a QR code",
                code="no_qr",
                raw=reply.data,
            )
        raise self._gateway_error(self._error_kind(reply), reply)

    # ---- connection test -----------------------------------------------------------------------
    async def test_connection(self) -> ConnectionReport:
        try:
            reply = await self._call("merchant/info", {})
        except GatewayError as exc:
            if exc.kind is ErrorKind.SECURITY:
                return ConnectionReport(
                    False,
                    ErrorKind.SECURITY,
                    "平台接受了我们的签名，但平台回复验签失败：请检查“平台公钥”（或本机时间）",
                    "the platform accepted our signature but its reply does not verify: check the platform public key (or the clock)",
                    "bad_platform_key" if exc.code != "stale_timestamp" else "clock_skew",
                )
            return _unreachable_report(exc)
        if reply.code == 0:
            return ConnectionReport(
                True,
                None,
                "连接成功：平台接受商户私钥签名，平台公钥验签通过",
                "connected: the platform accepted our signature and its reply verified",
                "auth_ok",
            )
        msg = reply.msg
        if msg == "RSA签名校验失败":
            return ConnectionReport(
                False,
                ErrorKind.MISCONFIGURED,
                "平台拒绝了我们的签名：商户私钥与平台登记的商户公钥不匹配",
                "the platform refused our signature: the merchant private key does not match the key registered there",
                "signature_refused",
            )
        if msg.startswith("时间戳"):
            return ConnectionReport(
                False, ErrorKind.MISCONFIGURED, f"{msg}（本机时间与平台相差过大）", translate_message(msg), "clock_skew"
            )
        if msg in ("商户不存在！", "商户ID不存在", "商户ID不能为空"):
            return ConnectionReport(
                False, ErrorKind.MISCONFIGURED, f"商户ID不存在：{self.pid}", f"unknown merchant ID (pid): {self.pid}", "unknown_pid"
            )
        if reply.code == -5:
            return ConnectionReport(
                False,
                ErrorKind.MISCONFIGURED,
                "该站点没有V2接口（或未配置伪静态；可把“接口路径形式”改为 query）",
                "this site has no V2 API (or no rewrite rule: try route style 'query')",
                "no_v2_api",
            )
        return ConnectionReport(
            False,
            ErrorKind.MISCONFIGURED,
            f"易支付返回错误：{msg or reply.data.get('code')}",
            f"epay answered an error: {translate_message(msg)}",
            f"code_{reply.data.get('code')}",
        )
