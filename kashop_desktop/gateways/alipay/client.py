"""Signed calls to the Alipay gateway and the mapping of their replies onto GatewayError."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import httpx

from ..base import AdapterBase, Clock, ErrorKind, GatewayError
from ..common import TRANSPORT_ERRORS, SendFailure, not_running, send_failure
from .codes import (
    BEIJING,
    GATEWAY_CODE_MESSAGES,
    GATEWAY_MESSAGES,
    MISCONFIGURED_SUB_CODES,
    TIMESTAMP_FORMAT,
    UNKNOWN_SUB_CODES,
    Reply,
    gateway_url_from,
    text_of,
)
from .keys import bad_key, canonical_request_string, load_private_key, load_public_key, rsa2_sign, rsa2_verify
from .response import signed_response_content


class AlipayClient(AdapterBase):
    """Keys, signed calls and verified replies; ``AlipayAdapter`` builds the operations on it."""

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
            raise bad_key(
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
    ) -> Reply:
        params = self.signed_params(method, biz, extra=extra)
        biz_content = params.pop("biz_content")
        separator = "&" if "?" in self.gateway_url else "?"
        url = self.gateway_url + separator + urlencode(params)
        body = urlencode({"biz_content": biz_content}).encode("ascii")
        headers = {"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"}
        try:
            resp = await self._client().post(url, content=body, headers=headers, timeout=self.timeout)
        except TRANSPORT_ERRORS as exc:
            raise self._send_error(exc) from exc
        return self._parse_reply(method, resp.status_code, resp.content)

    def _send_error(self, exc: Exception) -> GatewayError:
        """The GatewayError for an exchange that produced no response (``common.send_failure``)."""
        failure = send_failure(exc)
        if failure is SendFailure.NOT_SENT:
            hint_zh, hint_en = not_running(exc)
            return GatewayError(
                ErrorKind.RETRYABLE,
                f"连接不上支付宝网关：{exc}{hint_zh}",
                f"could not connect to the Alipay gateway: {exc}{hint_en}",
                code="connect_error",
                sent=False,
            )
        if failure is SendFailure.BAD_URL:
            return GatewayError(
                ErrorKind.MISCONFIGURED,
                f"网关地址无效：{exc}",
                f"invalid gateway URL: {exc}",
                code="bad_base_url",
                sent=False,
            )
        if failure is SendFailure.TIMEOUT:
            return self._unknown("timeout", "等待支付宝回复超时", "timed out waiting for Alipay's reply")
        return self._unknown(
            "transport_error",
            f"连接中断，未收到完整回复：{exc!r}",
            f"connection broke before a full reply: {exc!r}",
        )

    @staticmethod
    def _unknown(code: str, zh: str, en: str, raw: Any = None) -> GatewayError:
        return GatewayError(
            ErrorKind.UNKNOWN_OUTCOME,
            f"{zh}；结果未知，请先查询再决定是否重发",
            f"{en}; the outcome is unknown, query before re-sending",
            code=code,
            raw=raw,
        )

    def _parse_reply(self, method: str, status: int, body: bytes) -> Reply:
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
        claimed = f"{text_of(inner.get('code'))} {text_of(inner.get('sub_code'))} {text_of(inner.get('sub_msg') or inner.get('msg'))}".strip()
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
        return Reply(
            method=method,
            code=text_of(inner.get("code")),
            msg=text_of(inner.get("msg")),
            sub_code=text_of(inner.get("sub_code")),
            sub_msg=text_of(inner.get("sub_msg")),
            data=inner,
            body=body,
        )

    def _gateway_error(self, reply: Reply) -> GatewayError | None:
        """GatewayError for a verified reply that is not 10000 nor a plain 40004 business failure."""
        code, sub = reply.code, reply.sub_code
        said = f"{sub or code}：{reply.sub_msg or reply.msg}"
        if code == "10000":
            return None
        if code == "40004":
            if sub in UNKNOWN_SUB_CODES:
                return self._unknown(
                    sub,
                    f"支付宝系统繁忙或请求与先前不一致（{said}）",
                    f"Alipay was busy or the request conflicts with an earlier one ({said})",
                    reply.data,
                )
            if sub in MISCONFIGURED_SUB_CODES:
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
        if code in GATEWAY_CODE_MESSAGES:
            zh, en = GATEWAY_MESSAGES.get(sub) or GATEWAY_CODE_MESSAGES[code]
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

    def _check_trade(self, reply: Reply, out_trade_no: str, trade_no: str | None) -> None:
        """A verified reply about another trade is not an answer to our question."""
        got_out = text_of(reply.data.get("out_trade_no"))
        got_trade = text_of(reply.data.get("trade_no"))
        for zh, en, got, ours in (("商户订单号", "order number (out_trade_no)", got_out, out_trade_no),
                                  ("支付宝交易号", "trade number (trade_no)", got_trade, trade_no)):
            if got and ours and got != ours:
                raise self._unknown(
                    "reply_mismatch",
                    f"回复的{zh}（{got}）与请求的（{ours}）不一致",
                    f"the reply's {en} ({got}) differs from the request's ({ours})",
                    reply.data,
                )
