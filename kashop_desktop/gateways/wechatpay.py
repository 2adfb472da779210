"""WeChat Pay APIv3 adapter (微信支付 APIv3), direct-merchant mode with the 微信支付公钥.

Protocol (reference: the protocol notes §3):
  * every request carries ``Authorization: WECHATPAY2-SHA256-RSA2048 mchid=…,nonce_str=…,
    timestamp=…,serial_no=…,signature=…``; the signature is SHA256withRSA (PKCS#1 v1.5) with the
    merchant API private key over ``METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n``, where the
    path and body are exactly the bytes that go on the wire;
  * every reply that WeChat signs (all replies to an authenticated request, 2xx incl. 204 and
    business errors) is verified with the platform public key over ``TIMESTAMP\\nNONCE\\nBODY\\n``;
    a 2xx without a valid signature is never taken as an answer (GatewayError SECURITY);
  * notifications are verified the same way and their ``resource`` is decrypted with
    AES-256-GCM under the APIv3 key.

Money is integer fen on the wire and inside. Nothing here uses the vendor SDK; it is only an
oracle in the tests. Error semantics follow ``gateways/base.py``.
"""

from __future__ import annotations

import base64
import binascii
import csv
import hashlib
import io
import json
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, ClassVar, Final, NoReturn
from urllib.parse import quote, urlencode, urlsplit

import httpx
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..domain.errors import MoneyError
from ..domain.money import yuan_decimal_to_fen
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

SIGNATURE_TYPE: Final = "WECHATPAY2-SHA256-RSA2048"
DEFAULT_BASE_URL: Final = "https://api.mch.weixin.qq.com"
#: wechatpay-go rejects replies and notifications whose timestamp is this far from now.
MAX_CLOCK_SKEW_S: Final = 300
CST: Final = timezone(timedelta(hours=8), "Asia/Shanghai")
USER_AGENT: Final = "kashop-desktop/0.1 (wechatpay-apiv3; httpx)"
_OUT_NO_RE: Final = re.compile(r"^[0-9A-Za-z_\-|*@]{1,64}$")
_AUTH_FIELD_RE: Final = re.compile(r'(\w+)="([^"]*)"')
_BILL_DAYS_MAX: Final = 31


# ---- pure protocol helpers (golden-tested; no I/O) ------------------------------------------------


def request_message(method: str, target: str, timestamp: int | str, nonce: str, body: bytes) -> bytes:
    """The string a merchant signs: five lines, each ending in ``\\n`` (body may be empty)."""
    head = f"{method.upper()}\n{target}\n{timestamp}\n{nonce}\n".encode()
    return head + body + b"\n"


def response_message(timestamp: str, nonce: str, body: bytes) -> bytes:
    """The string WeChat signs on a reply or a notification (body empty for 204)."""
    return f"{timestamp}\n{nonce}\n".encode() + body + b"\n"


def rsa_sign(key: rsa.RSAPrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode("ascii")


def rsa_verify(key: rsa.RSAPublicKey, message: bytes, signature_b64: str) -> bool:
    try:
        signature = base64.b64decode(signature_b64, validate=True)
        key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def authorization_header(*, mchid: str, serial_no: str, nonce: str, timestamp: int | str, signature: str) -> str:
    """The Authorization value, fields in wechatpay-go's order (WeChat ignores the order)."""
    return (
        f'{SIGNATURE_TYPE} mchid="{mchid}",nonce_str="{nonce}",timestamp="{timestamp}",'
        f'serial_no="{serial_no}",signature="{signature}"'
    )


def parse_authorization(value: str) -> dict[str, str]:
    """The five ``key="value"`` fields of an Authorization header ({} if not WECHATPAY2)."""
    scheme, _, rest = value.strip().partition(" ")
    if scheme != SIGNATURE_TYPE:
        return {}
    return dict(_AUTH_FIELD_RE.findall(rest))


def decrypt_resource(apiv3_key: str, *, nonce: str, associated_data: str, ciphertext: str) -> bytes:
    """AEAD_AES_256_GCM: key = the 32-char APIv3 key, data = base64(ciphertext || 16-byte tag).

    Raises InvalidTag (wrong key or tampered data) or ValueError (malformed input).
    """
    data = base64.b64decode(ciphertext, validate=True)
    aad = associated_data.encode("utf-8") if associated_data else None
    return AESGCM(apiv3_key.encode("utf-8")).decrypt(nonce.encode("utf-8"), data, aad)


def load_private_key(text: str) -> rsa.RSAPrivateKey:
    """A PEM private key (PKCS#8 as in apiclient_key.pem, or PKCS#1); bare base64 is wrapped."""
    key = serialization.load_pem_private_key(_pem(text, "PRIVATE KEY"), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key


def load_public_key(text: str) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(_pem(text, "PUBLIC KEY"))
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key


def _pem(text: str, label: str) -> bytes:
    text = text.strip()
    if not text.startswith("-----BEGIN"):
        body = "".join(text.split())
        lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
        text = f"-----BEGIN {label}-----\n{lines}\n-----END {label}-----"
    return text.encode("ascii")


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


# ---- state tables ---------------------------------------------------------------------------------

_TRADE_STATES: Final[dict[str, PaymentState]] = {
    "SUCCESS": PaymentState.PAID,
    # 转入退款: WeChat's Transaction does not say how much was refunded, so "some refund exists"
    # is reported as PARTIALLY_REFUNDED with refunded_fen=None; our refund records know the sum.
    "REFUND": PaymentState.PARTIALLY_REFUNDED,
    "NOTPAY": PaymentState.PENDING,
    "USERPAYING": PaymentState.PENDING,
    "CLOSED": PaymentState.CLOSED,
    "REVOKED": PaymentState.CLOSED,
    "PAYERROR": PaymentState.CLOSED,
}

_REFUND_STATES: Final[dict[str, tuple[RefundState, str, str]]] = {
    "SUCCESS": (RefundState.SUCCEEDED, "退款成功", "refund succeeded"),
    "PROCESSING": (RefundState.PROCESSING, "退款处理中，稍后查询结果", "refund is processing; query it later"),
    "CLOSED": (RefundState.FAILED, "退款已关闭，款项未退出", "refund was closed; no money was returned"),
    "ABNORMAL": (
        RefundState.FAILED,
        "退款异常（如买家银行卡已注销），需在微信支付商户平台手动处理异常退款",
        "refund is abnormal (e.g. the buyer's card was closed); handle it as an abnormal refund "
        "in the WeChat Pay merchant platform",
    ),
}

#: Business refusals of a refund: definitive, nothing was refunded (§5.2).
_REFUND_REFUSALS: Final[dict[str, tuple[str, str]]] = {
    "NOT_ENOUGH": (
        "商户可用余额不足，微信无法退款；请给商户号充值或稍后再试",
        "the merchant's available balance is insufficient; top up the WeChat Pay account or retry later",
    ),
    "RESOURCE_NOT_EXISTS": (
        "微信支付找不到该订单（订单不存在或未支付）",
        "WeChat Pay has no such order (it does not exist or was not paid)",
    ),
    "INVALID_REQUEST": (
        "退款不符合微信规则（如退款金额超过可退金额、订单已超过一年、部分退款超过 50 次）",
        "the refund breaks a WeChat rule (e.g. amount above the refundable amount, order older "
        "than one year, more than 50 partial refunds)",
    ),
    "USER_ACCOUNT_ABNORMAL": (
        "买家微信账户异常，无法原路退款；请联系买家用其他方式退款",
        "the buyer's WeChat account is abnormal and cannot receive the refund; refund them another way",
    ),
    "PARAM_ERROR": (
        "退款参数有误，微信拒绝了该请求",
        "WeChat rejected the refund parameters",
    ),
}

_MISCONFIGURED: Final[dict[str, tuple[str, str]]] = {
    "SIGN_ERROR": (
        "微信拒绝了请求签名：请检查商户号、商户API证书序列号与商户API私钥是否匹配",
        "WeChat refused the request signature: check that the merchant id, the merchant API "
        "certificate serial number and the merchant API private key belong together",
    ),
    "NO_AUTH": (
        "商户号没有此接口权限（如未开通 Native 支付或退款权限）",
        "the merchant has no permission for this API (e.g. Native pay or refunds not enabled)",
    ),
    "MCH_NOT_EXISTS": ("商户号不存在，请检查商户号", "the merchant id does not exist; check it"),
}


@dataclass(frozen=True, slots=True)
class _Reply:
    status: int
    data: dict[str, Any]
    body: bytes
    verified: bool  # carried a WeChat signature that verified

    @property
    def code(self) -> str:
        return str(self.data.get("code", ""))

    @property
    def message(self) -> str:
        return str(self.data.get("message", ""))


class WechatPayV3Adapter(AdapterBase):
    """微信支付 APIv3: query, idempotent refunds, refund query, bills, notifications, Native QR."""

    kind: ClassVar[str] = "wechatpay_v3"
    title_zh: ClassVar[str] = "微信支付（APIv3）"
    title_en: ClassVar[str] = "WeChat Pay (APIv3)"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.QUERY_PAYMENT,
            Capability.REFUND,
            Capability.PARTIAL_REFUND,
            Capability.REFUND_IDEMPOTENT,  # out_refund_no is always our refund_no
            Capability.QUERY_REFUND,
            Capability.LIST_TRANSACTIONS,  # from the daily trade bill
            Capability.DOWNLOAD_BILL,
            Capability.VERIFY_NOTIFICATION,
            Capability.CREATE_QR,  # Native pay code_url
            Capability.CLOSE,  # close_payment()
        }
    )
    config_fields: ClassVar[tuple[ConfigField, ...]] = (
        ConfigField("base_url", "接口地址", "API base URL", required=False, default=DEFAULT_BASE_URL),
        ConfigField("mchid", "商户号", "Merchant ID (mchid)"),
        ConfigField("merchant_serial_no", "商户API证书序列号", "Merchant API certificate serial number"),
        ConfigField(
            "merchant_private_key", "商户API私钥（apiclient_key.pem）", "Merchant API private key (PEM)",
            secret=True, multiline=True,
        ),
        ConfigField("apiv3_key", "APIv3密钥", "APIv3 key", secret=True),
        ConfigField("platform_public_key", "微信支付公钥", "WeChat Pay public key (PEM)", multiline=True),
        ConfigField("platform_public_key_id", "微信支付公钥ID", "WeChat Pay public key ID (PUB_KEY_ID_…)"),
        ConfigField("appid", "AppID（Native 收款码需要）", "AppID (needed for Native QR payments)", required=False),
        ConfigField("notify_url", "回调通知地址", "Notification URL", required=False),
    )

    def __init__(
        self,
        config: Mapping[str, str],
        *,
        clock: Clock | None = None,
        timeout: float = 10.0,
        http: httpx.AsyncClient | None = None,
        nonce: Callable[[], str] | None = None,
    ) -> None:
        super().__init__(config, clock=clock, timeout=timeout)
        self.base_url = (self.config["base_url"].strip() or DEFAULT_BASE_URL).rstrip("/")
        self.mchid = self.config["mchid"].strip()
        self.serial_no = self.config["merchant_serial_no"].strip().upper()
        self.platform_key_id = self.config["platform_public_key_id"].strip()
        self.apiv3_key = self.config["apiv3_key"].strip()
        self._private_key = self._load_key(load_private_key, "merchant_private_key", "商户API私钥", "merchant private key")
        self._platform_key = self._load_key(load_public_key, "platform_public_key", "微信支付公钥", "WeChat Pay public key")
        if len(self.apiv3_key.encode("utf-8")) != 32:
            raise GatewayError(
                ErrorKind.MISCONFIGURED, "APIv3密钥必须是 32 个字符", "the APIv3 key must be 32 characters",
                code="bad_apiv3_key", sent=False,
            )
        self._http = http
        self._owns_http = http is None
        self._nonce = nonce or (lambda: secrets.token_hex(16).upper())

    def _load_key(self, loader: Callable[[str], Any], key: str, zh: str, en: str) -> Any:
        try:
            return loader(self.config[key])
        except (ValueError, TypeError) as exc:
            raise GatewayError(
                ErrorKind.MISCONFIGURED, f"{zh}格式无效（需要 PEM 格式的 RSA 密钥）",
                f"the {en} is not a valid RSA key in PEM format", code=f"bad_{key}", sent=False,
            ) from exc

    # ---- request signing and reply verification -------------------------------------------------

    def authorization(self, method: str, target: str, body: bytes, *, timestamp: int, nonce: str) -> str:
        signature = rsa_sign(self._private_key, request_message(method, target, timestamp, nonce, body))
        return authorization_header(
            mchid=self.mchid, serial_no=self.serial_no, nonce=nonce, timestamp=timestamp, signature=signature
        )

    def verify_signed(self, headers: Mapping[str, str], body: bytes) -> bool:
        """True if WeChat signed this reply/notification and it verifies; False if it carries no
        signature at all; raises GatewayError(SECURITY) if a signature is present but wrong."""
        low = {k.lower(): v for k, v in headers.items()}
        names = ("wechatpay-signature", "wechatpay-timestamp", "wechatpay-nonce", "wechatpay-serial")
        values = [low.get(n, "").strip() for n in names]
        if not any(values) and not low.get("wechatpay-signature-type"):
            return False
        signature, timestamp, nonce, serial = values
        if not all(values):
            raise self._security("微信签名头不完整", "incomplete WeChat signature headers")
        # VERIFY: the doc lists Wechatpay-Signature-Type on every signed reply; like wechatpayv3
        # we require it (safer reading: a reply without it is not accepted as signed).
        if low.get("wechatpay-signature-type", "") != SIGNATURE_TYPE:
            raise self._security("不支持的微信签名类型", "unsupported WeChat signature type")
        if serial != self.platform_key_id:
            raise self._security(
                f"应答使用了未知的微信支付公钥（{serial}）；请核对“微信支付公钥ID”",
                f"reply signed with an unknown WeChat Pay key ({serial}); check the public key ID",
            )
        now = int(self.clock().timestamp())
        if not timestamp.isdigit() or abs(now - int(timestamp)) >= MAX_CLOCK_SKEW_S:
            raise self._security(
                "微信签名时间戳与本机时间相差超过 5 分钟；请校准电脑时间",
                "WeChat signature timestamp is more than 5 minutes off; check this computer's clock",
            )
        if not rsa_verify(self._platform_key, response_message(timestamp, nonce, body), signature):
            raise self._security(
                "微信应答签名验证失败（可能被篡改，或“微信支付公钥”配置错误）",
                "WeChat signature did not verify (tampered reply, or wrong WeChat Pay public key)",
            )
        return True

    @staticmethod
    def _security(zh: str, en: str, raw: Any = None) -> GatewayError:
        return GatewayError(ErrorKind.SECURITY, zh, en, code="bad_signature", raw=raw)

    # ---- transport -------------------------------------------------------------------------------

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self.timeout, headers={"User-Agent": USER_AGENT})
        return self._http

    async def aclose(self) -> None:
        if self._http is not None and self._owns_http:
            await self._http.aclose()
            self._http = None

    async def _call(
        self, method: str, path: str, *, query: Mapping[str, str] | None = None, payload: Any = None,
        url: str | None = None, signed_reply: bool = True, op: str = "query",
    ) -> _Reply:
        """One signed round trip. ``op`` is "query" (no side effects) or "write"."""
        if url is None:
            url = self.base_url + path + (f"?{urlencode(query)}" if query else "")
        body = b"" if payload is None else json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT, "Wechatpay-Serial": self.platform_key_id}
        if payload is not None:
            headers["Content-Type"] = "application/json"
        client = self._client()
        try:
            request = client.build_request(method, url, content=body or None, headers=headers, timeout=self.timeout)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise GatewayError(
                ErrorKind.MISCONFIGURED, f"接口地址无效：{self.base_url}", f"invalid API base URL: {self.base_url}",
                code="bad_base_url", sent=False,
            ) from exc
        # Sign the exact request target httpx will put on the wire.
        target = request.url.raw_path.decode("ascii")
        request.headers["Authorization"] = self.authorization(
            method, target, body, timestamp=int(self.clock().timestamp()), nonce=self._nonce()
        )
        response = await self._send(client, request, op)
        content = response.content
        data = self._parse_body(response, content, op)
        verified = self.verify_signed(response.headers, content) if signed_reply else False
        if 200 <= response.status_code < 300 and signed_reply and not verified:
            # 没有携带签名的成功应答，应认为是伪造或被篡改的应答 (WeChat docs)
            raise self._security(
                "微信应答缺少签名，视为伪造", "WeChat reply carries no signature: treated as forged", raw=content
            )
        return _Reply(response.status_code, data, content, verified)

    async def _send(self, client: httpx.AsyncClient, request: httpx.Request, op: str) -> httpx.Response:
        try:
            return await client.send(request)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise GatewayError(
                ErrorKind.RETRYABLE, "无法连接微信支付服务器（请求未发出）",
                "cannot reach the WeChat Pay server (request not sent)", code="connect_error", sent=False,
            ) from exc
        except httpx.TimeoutException as exc:
            raise self._unknown("等待微信应答超时", "timed out waiting for WeChat Pay", "timeout", op) from exc
        except httpx.HTTPError as exc:
            raise self._unknown(
                "与微信的连接中断，未收到完整应答", "connection to WeChat Pay broke before a full reply",
                "transport_error", op,
            ) from exc

    def _parse_body(self, response: httpx.Response, content: bytes, op: str) -> dict[str, Any]:
        if not content:
            return {}
        try:
            data = json.loads(content)
        except (ValueError, UnicodeDecodeError):
            data = None
        if isinstance(data, dict):
            return data
        if 200 <= response.status_code < 300 and "json" not in response.headers.get("content-type", "json"):
            return {}  # a file download (bill); its integrity is checked by hash
        if response.status_code >= 500:
            return {}  # an HTML/text 5xx page from a proxy: mapped by status
        raise self._unknown("微信应答不完整或无法解析", "WeChat Pay reply is truncated or unreadable", "bad_reply", op, content)

    @staticmethod
    def _unknown(zh: str, en: str, code: str, op: str, raw: Any = None) -> GatewayError:
        kind = ErrorKind.UNKNOWN_OUTCOME
        if op == "write":
            zh, en = zh + "；结果未知，请先查询再决定是否重发", en + "; outcome unknown: query before re-sending"
        return GatewayError(kind, zh, en, code=code, sent=True, raw=raw)

    def _raise_common(self, reply: _Reply, op: str) -> NoReturn:
        """Errors that mean the same for every call (auth, rate limit, server errors)."""
        code = reply.code
        if reply.status == 401 or code in _MISCONFIGURED:
            zh, en = _MISCONFIGURED.get(code, _MISCONFIGURED["SIGN_ERROR"])
            raise GatewayError(ErrorKind.MISCONFIGURED, zh, en, code=code or "http_401", raw=reply.data)
        if reply.status == 429 or code == "FREQUENCY_LIMITED":
            raise GatewayError(
                ErrorKind.RETRYABLE, "微信限流，请求未执行，请稍后重试", "rate limited by WeChat Pay; not executed, retry later",
                code=code or "http_429", sent=False, raw=reply.data,
            )
        if reply.status >= 500 or code == "SYSTEM_ERROR":
            zh, en = "微信支付系统繁忙", "WeChat Pay system error"
            if op == "write":
                raise self._unknown(zh, en, code or f"http_{reply.status}", op, reply.data)
            raise GatewayError(ErrorKind.RETRYABLE, zh + "，请稍后重试", en + ", retry later",
                               code=code or f"http_{reply.status}", raw=reply.data)
        if op == "write":
            # An unrecognised refusal of a money-moving call is not proof that nothing happened.
            raise self._unknown(
                f"微信返回未识别的错误 {code or reply.status}：{reply.message}",
                f"unrecognised WeChat Pay error {code or reply.status}: {reply.message}",
                code or f"http_{reply.status}", op, reply.data,
            )
        raise GatewayError(
            ErrorKind.REJECTED, f"微信拒绝了请求：{reply.message or code}", f"WeChat Pay refused: {reply.message or code}",
            code=code or f"http_{reply.status}", raw=reply.data,
        )

    def _require_verified(self, reply: _Reply) -> None:
        # WeChat signs every reply to a request whose signature it accepted; a definitive
        # "no" that is unsigned could be forged, so it is not taken as an answer.
        if not reply.verified:
            raise self._security(
                "微信的拒绝应答缺少签名，不能作为最终结果", "WeChat's refusal carries no signature; not taken as final",
                reply.data,
            )

    # ---- payments --------------------------------------------------------------------------------

    def _payment_path(self, ref: PaymentRef) -> str:
        if ref.out_trade_no:
            return f"/v3/pay/transactions/out-trade-no/{quote(ref.out_trade_no, safe='')}"
        if ref.gateway_trade_no:
            return f"/v3/pay/transactions/id/{quote(ref.gateway_trade_no, safe='')}"
        raise GatewayError(ErrorKind.REJECTED, "缺少订单号", "missing order number", code="missing_ref", sent=False)

    async def query_payment(self, ref: PaymentRef) -> PaymentSnapshot:
        reply = await self._call("GET", self._payment_path(ref), query={"mchid": self.mchid})
        if reply.status == 200:
            return self._snapshot(ref, reply.data)
        if reply.code in ("ORDER_NOT_EXIST", "RESOURCE_NOT_EXISTS"):
            self._require_verified(reply)
            return PaymentSnapshot(PaymentState.NOT_FOUND, ref.out_trade_no, ref.gateway_trade_no, None, raw=reply.data)
        self._raise_common(reply, "query")

    def _snapshot(self, ref: PaymentRef, data: dict[str, Any]) -> PaymentSnapshot:
        if data.get("mchid", self.mchid) != self.mchid:
            raise self._security("应答中的商户号与配置不符", "reply is for another merchant id", data)
        trade_state = str(data.get("trade_state", ""))
        amount = _dict(data.get("amount"))
        return PaymentSnapshot(
            state=_TRADE_STATES.get(trade_state, PaymentState.UNKNOWN),
            out_trade_no=str(data.get("out_trade_no") or ref.out_trade_no),
            gateway_trade_no=data.get("transaction_id") or ref.gateway_trade_no,
            total_fen=_int(amount.get("total")),
            refunded_fen=None,
            paid_at=_time(data.get("success_time")),
            raw=data,
        )

    async def close_payment(self, ref: PaymentRef) -> None:
        """Close an unpaid order (204 No Content, signed like every other reply)."""
        path = self._payment_path(PaymentRef(ref.out_trade_no)) + "/close"
        reply = await self._call("POST", path, payload={"mchid": self.mchid}, op="write")
        if reply.status != 204 and reply.status != 200:
            self._raise_common(reply, "write")

    async def create_qr(self, req: QrRequest) -> QrPayment:
        appid = self.config.get("appid", "").strip()
        notify_url = req.notify_url or self.config.get("notify_url", "").strip()
        if not appid or not notify_url:
            raise GatewayError(
                ErrorKind.MISCONFIGURED, "Native 收款码需要配置 AppID 和回调通知地址",
                "Native QR payments need an AppID and a notification URL", code="missing_config", sent=False,
            )
        payload = {
            "appid": appid, "mchid": self.mchid, "description": req.subject[:127] or req.out_trade_no,
            "out_trade_no": req.out_trade_no, "notify_url": notify_url,
            "amount": {"total": req.amount_fen, "currency": "CNY"},
            "scene_info": {"payer_client_ip": req.client_ip},
        }
        reply = await self._call("POST", "/v3/pay/transactions/native", payload=payload, op="write")
        code_url = reply.data.get("code_url")
        if reply.status == 200 and isinstance(code_url, str) and code_url:
            return QrPayment(req.out_trade_no, None, code_url, raw=reply.data)
        if reply.status == 200:
            raise self._unknown("微信应答缺少 code_url", "WeChat reply has no code_url", "bad_reply", "write", reply.data)
        if 400 <= reply.status < 500 and reply.status not in (401, 429) and reply.code not in _MISCONFIGURED:
            raise GatewayError(
                ErrorKind.REJECTED, f"微信拒绝下单：{reply.message or reply.code}",
                f"WeChat Pay refused the order: {reply.message or reply.code}", code=reply.code, raw=reply.data,
            )
        self._raise_common(reply, "write")

    # ---- refunds ---------------------------------------------------------------------------------

    def _check_refund(self, req: RefundRequest) -> None:
        problem: tuple[str, str] | None = None
        if not _OUT_NO_RE.match(req.refund_no):
            problem = ("退款单号只能是 1-64 位字母、数字或 _-|*@", "refund number must be 1-64 of [0-9A-Za-z_-|*@]")
        elif _int(req.amount_fen) is None or _int(req.total_fen) is None:
            problem = ("金额必须是整数分", "amounts must be integer fen")
        elif not 0 < req.amount_fen <= req.total_fen:
            problem = ("退款金额必须大于零且不超过订单金额", "refund amount must be above zero and at most the order total")
        if problem:
            raise GatewayError(ErrorKind.REJECTED, problem[0], problem[1], code="invalid_refund", sent=False)

    async def refund(self, req: RefundRequest) -> RefundResult:
        self._check_refund(req)
        payload: dict[str, Any] = {"out_refund_no": req.refund_no}
        if req.gateway_trade_no:
            payload["transaction_id"] = req.gateway_trade_no
        else:
            payload["out_trade_no"] = req.out_trade_no
        if req.reason:
            payload["reason"] = req.reason[:80]
        if self.config.get("notify_url", "").strip():
            payload["notify_url"] = self.config["notify_url"].strip()
        payload["amount"] = {"refund": req.amount_fen, "total": req.total_fen, "currency": "CNY"}
        reply = await self._call("POST", "/v3/refund/domestic/refunds", payload=payload, op="write")
        if reply.status == 200:
            return self._refund_result(req.refund_no, reply, expect_fen=req.amount_fen)
        if reply.code in _REFUND_REFUSALS and 400 <= reply.status < 500:
            self._require_verified(reply)
            zh, en = _REFUND_REFUSALS[reply.code]
            return RefundResult(
                RefundState.FAILED, req.refund_no, code=reply.code,
                message_zh=f"{zh}（微信：{reply.message}）" if reply.message else zh,
                message_en=f"{en} (WeChat: {reply.message})" if reply.message else en,
                raw=reply.data, raw_bytes=reply.body,
            )
        self._raise_common(reply, "write")

    async def query_refund(self, ref: RefundRef) -> RefundResult:
        path = f"/v3/refund/domestic/refunds/{quote(ref.refund_no, safe='')}"
        reply = await self._call("GET", path)
        if reply.status == 200:
            return self._refund_result(ref.refund_no, reply, expect_fen=ref.amount_fen)
        if reply.code == "RESOURCE_NOT_EXISTS":
            self._require_verified(reply)
            return RefundResult(
                RefundState.NOT_FOUND, ref.refund_no, code=reply.code,
                message_zh="微信没有这笔退款（从未受理）", message_en="WeChat Pay has no refund under this number",
                raw=reply.data, raw_bytes=reply.body,
            )
        self._raise_common(reply, "query")

    def _refund_result(self, refund_no: str, reply: _Reply, *, expect_fen: int | None) -> RefundResult:
        data = reply.data
        amount = _int(_dict(data.get("amount")).get("refund"))
        status = str(data.get("status", ""))
        mismatch = data.get("out_refund_no") != refund_no or status not in _REFUND_STATES or amount is None
        if not mismatch and expect_fen is not None and amount != expect_fen:
            mismatch = True
        if mismatch:
            raise GatewayError(
                ErrorKind.UNKNOWN_OUTCOME, "微信应答与请求不一致（退款单号、金额或状态），请人工核对",
                "WeChat reply does not match the request (refund number, amount or status); check by hand",
                code="reply_mismatch", raw=data,
            )
        state, zh, en = _REFUND_STATES[status]
        return RefundResult(
            state, refund_no, gateway_refund_no=data.get("refund_id"), amount_fen=amount, code=status,
            message_zh=zh, message_en=en, raw=data, raw_bytes=reply.body,
        )

    # ---- notifications ---------------------------------------------------------------------------

    def parse_notification(self, http: InboundHttp) -> Notification:
        if not self.verify_signed(http.headers, http.body):
            raise self._security("回调通知缺少微信签名", "notification carries no WeChat signature")
        try:
            envelope = json.loads(http.body)
            resource = envelope["resource"]
            if envelope.get("resource_type") != "encrypt-resource" or resource.get("algorithm") != "AEAD_AES_256_GCM":
                raise ValueError("unsupported resource")
            plain = decrypt_resource(
                self.apiv3_key, nonce=str(resource["nonce"]), associated_data=str(resource.get("associated_data") or ""),
                ciphertext=str(resource["ciphertext"]),
            )
        except InvalidTag as exc:
            raise GatewayError(
                ErrorKind.MISCONFIGURED, "回调通知解密失败：请检查APIv3密钥", "cannot decrypt the notification: check the APIv3 key",
                code="decrypt_failed", sent=False,
            ) from exc
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise self._security("回调通知格式无效", "malformed notification") from exc
        data = json.loads(plain)
        if not isinstance(data, dict) or data.get("mchid", self.mchid) != self.mchid:
            raise self._security("回调通知不属于本商户号", "notification is for another merchant")
        event = str(envelope.get("event_type", ""))
        raw = {**envelope, "resource": data}
        if event.startswith("REFUND."):
            refund_state = _REFUND_STATES.get(str(data.get("refund_status", "")))
            return Notification(
                kind="refund", out_trade_no=str(data.get("out_trade_no", "")),
                gateway_trade_no=data.get("transaction_id"),
                amount_fen=_int(_dict(data.get("amount")).get("refund")),
                state=refund_state[0] if refund_state else RefundState.PROCESSING,
                refund_no=data.get("out_refund_no"), raw=raw,
            )
        return Notification(
            kind="payment", out_trade_no=str(data.get("out_trade_no", "")),
            gateway_trade_no=data.get("transaction_id"),
            amount_fen=_int(_dict(data.get("amount")).get("total")),
            state=_TRADE_STATES.get(str(data.get("trade_state", "")), PaymentState.UNKNOWN),
            paid_at=_time(data.get("success_time")), raw=raw,
        )

    def notification_ack(self, ok: bool) -> OutboundHttp:
        # VERIFY: newer docs accept 200/204 with no body; older docs and the SDK examples send
        # {"code":"SUCCESS","message":"成功"}. 200 with that body satisfies both readings.
        # Failure: 4xx/5xx with {"code":"FAIL","message":"失败"}; WeChat retries on its schedule.
        body = {"code": "SUCCESS", "message": "成功"} if ok else {"code": "FAIL", "message": "失败"}
        return OutboundHttp(
            200 if ok else 500, {"Content-Type": "application/json; charset=utf-8"},
            json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
        )

    # ---- connection test ---------------------------------------------------------------------------

    async def test_connection(self) -> ConnectionReport:
        """A signed query of a made-up order: ORDER_NOT_EXIST, signed and verified, proves that
        WeChat accepted our signature and that we can verify WeChat's."""
        probe = PaymentRef("KASHOP_PROBE_" + secrets.token_hex(8).upper())
        try:
            snapshot = await self.query_payment(probe)
        except GatewayError as exc:
            return ConnectionReport(False, exc.kind, self._probe_hint(exc)[0], self._probe_hint(exc)[1],
                                    detail=f"{exc.code}: {exc.zh} / {exc.en}")
        return ConnectionReport(
            True, None, "连接正常：微信接受了请求签名，应答签名验证通过",
            "connection OK: WeChat accepted our signature and its reply signature verified",
            detail=f"probe {probe.out_trade_no}: {snapshot.state.value}",
        )

    @staticmethod
    def _probe_hint(exc: GatewayError) -> tuple[str, str]:
        if exc.kind is ErrorKind.MISCONFIGURED:
            return exc.zh, exc.en
        if exc.kind is ErrorKind.SECURITY:
            return (
                "微信应答验签失败：请核对“微信支付公钥”和“微信支付公钥ID”（或本机时间）。" + exc.zh,
                "WeChat's reply did not verify: check the WeChat Pay public key and its ID (or this "
                "computer's clock). " + exc.en,
            )
        return "无法完成连接测试：" + exc.zh, "connection test incomplete: " + exc.en

    # ---- bills (reconciliation) ------------------------------------------------------------------

    async def download_bill(self, day: date, bill_type: str = "ALL") -> bytes | None:
        """The plain (uncompressed) trade bill of one day, integrity-checked; None if WeChat has
        no bill for that day (no transactions)."""
        query = {"bill_date": day.isoformat(), "bill_type": bill_type}
        reply = await self._call("GET", "/v3/bill/tradebill", query=query)
        if reply.code == "NO_STATEMENT_EXIST":
            # VERIFY: WeChat's code for "no bill that day"; treated as an empty day.
            self._require_verified(reply)
            return None
        if reply.code == "STATEMENT_CREATING":
            raise GatewayError(ErrorKind.RETRYABLE, "账单生成中，请稍后再试", "the bill is being generated; retry later",
                               code=reply.code, raw=reply.data)
        if reply.status != 200:
            self._raise_common(reply, "query")
        url = str(reply.data.get("download_url", ""))
        if not self._same_host(url):
            raise self._security("账单下载地址不属于微信接口地址", "bill download URL is not on the WeChat API host", reply.data)
        # The file itself is not signed (as in wechatpayv3's download_bill); the signed reply
        # above carries its SHA1, which we check.
        file = await self._call("GET", "", url=url, signed_reply=False)
        if file.status != 200:
            self._raise_common(file, "query")
        expected = str(reply.data.get("hash_value", "")).lower()
        if reply.data.get("hash_type", "SHA1") != "SHA1" or hashlib.sha1(file.body).hexdigest() != expected:
            raise self._security("账单文件校验失败", "bill file hash mismatch", reply.data)
        return file.body

    def _same_host(self, url: str) -> bool:
        got, base = urlsplit(url), urlsplit(self.base_url)
        if got.scheme != base.scheme:
            return False
        return got.netloc == base.netloc or (
            got.hostname is not None and got.hostname.endswith(".mch.weixin.qq.com")
            and (base.hostname or "").endswith(".mch.weixin.qq.com")
        )

    async def list_transactions(self, query: TxQuery) -> list[TxRecord]:
        start = query.start or (self.clock().astimezone(CST).date() - timedelta(days=1))
        end = query.end or start
        if end < start or (end - start).days >= _BILL_DAYS_MAX:
            raise GatewayError(ErrorKind.REJECTED, f"对账日期范围需在 {_BILL_DAYS_MAX} 天以内",
                               f"the bill date range must be within {_BILL_DAYS_MAX} days", code="bad_range", sent=False)
        rows: list[dict[str, str]] = []
        day = start
        while day <= end:
            content = await self.download_bill(day)
            if content is not None:
                rows.extend(parse_trade_bill(content))
            day += timedelta(days=1)
        records = sorted(_records_from_bill(rows), key=lambda r: (r.paid_at or datetime.min.replace(tzinfo=CST)))
        return records[query.offset : query.offset + query.limit]


def parse_trade_bill(content: bytes) -> list[dict[str, str]]:
    """Data rows of a WeChat trade bill, keyed by the Chinese header names, back-ticks removed.

    VERIFY: layout restated from common knowledge of the bill (header row, data rows whose fields
    start with a back-tick, then a 总交易单数 summary block); columns are looked up by name, so
    their order does not matter.
    """
    reader = csv.reader(io.StringIO(content.decode("utf-8-sig")))
    header: list[str] | None = None
    rows: list[dict[str, str]] = []
    for cells in reader:
        cells = [c.strip().lstrip("`") for c in cells]
        if not any(cells):
            continue
        if header is None:
            header = cells
            continue
        if cells[0].startswith("总"):
            break
        rows.append(dict(zip(header, cells, strict=False)))
    return rows


def _records_from_bill(rows: list[dict[str, str]]) -> list[TxRecord]:
    orders: dict[str, dict[str, Any]] = {}
    for row in rows:
        otn = row.get("商户订单号", "")
        if not otn:
            continue
        order = orders.setdefault(otn, {"tid": row.get("微信订单号") or None, "total": None, "refunded": 0, "paid_at": None})
        try:
            total = yuan_decimal_to_fen(row.get("订单金额") or row.get("应结订单金额") or "0")
            if row.get("交易状态") == "REFUND":
                if row.get("退款状态", "SUCCESS") == "SUCCESS":
                    order["refunded"] += yuan_decimal_to_fen(row.get("申请退款金额") or row.get("退款金额") or "0")
            else:
                order["paid_at"] = _bill_time(row.get("交易时间", ""))
            order["total"] = order["total"] or total
        except MoneyError as exc:
            raise GatewayError(ErrorKind.UNKNOWN_OUTCOME, "账单金额格式无效", "invalid amount in the bill",
                               code="bad_bill", raw=row) from exc
    records = []
    for otn, order in orders.items():
        total, refunded = int(order["total"] or 0), int(order["refunded"])
        state = PaymentState.PAID
        if refunded:
            state = PaymentState.REFUNDED if refunded >= total else PaymentState.PARTIALLY_REFUNDED
        records.append(TxRecord(otn, order["tid"], total, state, created_at=order["paid_at"],
                                paid_at=order["paid_at"], refunded_fen=refunded, raw=order))
    return records


def _bill_time(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=CST)
    except ValueError:
        return None
