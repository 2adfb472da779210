"""Signed round trips to WeChat Pay APIv3 and the verification and mapping of their replies."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping
from typing import Any, NoReturn
from urllib.parse import urlencode

import httpx

from ..base import (
    AdapterBase,
    Clock,
    ErrorKind,
    GatewayError,
)
from ..common import SendFailure, not_running, send_failure
from .codes import MISCONFIGURED, Reply
from .signing import (
    DEFAULT_BASE_URL,
    MAX_CLOCK_SKEW_S,
    SIGNATURE_TYPE,
    USER_AGENT,
    authorization_header,
    load_private_key,
    load_public_key,
    request_message,
    response_message,
    rsa_sign,
    rsa_verify,
)


class WechatPayClient(AdapterBase):
    """Keys, signed calls and verified replies; ``WechatPayV3Adapter`` builds the operations on it."""

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
    ) -> Reply:
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
            raise self._bad_base_url() from exc
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
        return Reply(response.status_code, data, content, verified)

    async def _send(self, client: httpx.AsyncClient, request: httpx.Request, op: str) -> httpx.Response:
        try:
            return await client.send(request)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise self._send_error(exc, op) from exc

    def _send_error(self, exc: Exception, op: str) -> GatewayError:
        """The GatewayError for an exchange that produced no response (``common.send_failure``)."""
        failure = send_failure(exc)
        if failure is SendFailure.NOT_SENT:
            hint_zh, hint_en = not_running(exc)
            return GatewayError(
                ErrorKind.RETRYABLE, f"无法连接微信支付服务器（请求未发出）{hint_zh}",
                f"cannot reach the WeChat Pay server (request not sent){hint_en}", code="connect_error", sent=False,
            )
        if failure is SendFailure.BAD_URL:
            return self._bad_base_url()
        if failure is SendFailure.TIMEOUT:
            return self._unknown("等待微信应答超时", "timed out waiting for WeChat Pay", "timeout", op)
        return self._unknown(
            "与微信的连接中断，未收到完整应答", "connection to WeChat Pay broke before a full reply",
            "transport_error", op,
        )

    def _bad_base_url(self) -> GatewayError:
        return GatewayError(
            ErrorKind.MISCONFIGURED, f"接口地址无效：{self.base_url}", f"invalid API base URL: {self.base_url}",
            code="bad_base_url", sent=False,
        )

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

    def _raise_common(self, reply: Reply, op: str) -> NoReturn:
        """Errors that mean the same for every call (auth, rate limit, server errors)."""
        code = reply.code
        if reply.status == 401 or code in MISCONFIGURED:
            zh, en = MISCONFIGURED.get(code, MISCONFIGURED["SIGN_ERROR"])
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

    def _require_verified(self, reply: Reply) -> None:
        # WeChat signs every reply to a request whose signature it accepted; a definitive
        # "no" that is unsigned could be forged, so it is not taken as an answer.
        if not reply.verified:
            raise self._security(
                "微信的拒绝应答缺少签名，不能作为最终结果", "WeChat's refusal carries no signature; not taken as final",
                reply.data,
            )
