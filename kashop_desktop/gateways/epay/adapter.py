"""HTTP plumbing and reply mapping shared by the 易支付 V1 and V2 adapters."""

from __future__ import annotations

import re
import ssl
from collections.abc import Mapping
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Final
from urllib.parse import parse_qsl

import httpx

from ...domain.money import format_yuan
from ..base import (
    AdapterBase,
    Clock,
    ConnectionReport,
    ErrorKind,
    GatewayError,
    InboundHttp,
    Notification,
    PaymentRef,
    PaymentSnapshot,
    PaymentState,
    QrRequest,
    RefundRef,
    RefundRequest,
    TxQuery,
    TxRecord,
)
from ..common import TRANSPORT_ERRORS, SendFailure, not_running, send_failure
from .messages import config_error, security, translate_message, unknown
from .parsing import CHINA_TZ, Reply, as_int, decode_body, parse_money, parse_time, text_of

USER_AGENT: Final = "kashop-desktop/0.1 (epay; httpx)"
_OUT_TRADE_NO_RE: Final = re.compile(r"^[a-zA-Z0-9._\-|]+$")
#: Rows per page when listing transactions (V1 ``act=orders``, V2 ``merchant/orders``).
PAGE_MAX: Final = 50
PAY_TYPES: Final = ("alipay", "wxpay", "qqpay", "bank", "jdpay")


@lru_cache(maxsize=1)
def tls_context() -> ssl.SSLContext:
    """httpx's default verifying context (certifi CAs), built once: it costs ~0.1 s each time."""
    return httpx.create_ssl_context()


class EpayAdapter(AdapterBase):
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
            raise config_error(f"接口地址无效：{base}", f"invalid base URL: {base}") from exc
        if url.scheme not in ("http", "https") or not url.host:
            raise config_error(
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
                verify=tls_context(),
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
    ) -> Reply:
        """One HTTP exchange, mapped onto the GatewayError kinds; returns the decoded JSON object."""
        url = self.base_url + path
        try:
            resp = await self._client().request(method, url, params=query, data=form)
        except TRANSPORT_ERRORS as exc:
            raise self._send_error(exc) from exc
        return self._reply(resp.status_code, resp.content)

    def _send_error(self, exc: Exception) -> GatewayError:
        """The GatewayError for an exchange that produced no response (``common.send_failure``)."""
        failure = send_failure(exc)
        if failure is SendFailure.NOT_SENT:
            hint_zh, hint_en = not_running(exc)
            return GatewayError(
                ErrorKind.RETRYABLE,
                f"无法连接易支付接口{hint_zh}",
                f"cannot connect to the epay site ({type(exc).__name__}){hint_en}",
                code="connect",
                sent=False,
            )
        if failure is SendFailure.BAD_URL:
            return config_error(f"接口地址无效：{self.base_url}", f"invalid base URL: {self.base_url}")
        if failure is SendFailure.TIMEOUT:
            return unknown(
                "请求已发出，等待回复超时：结果未知",
                f"the request went out and the reply timed out: outcome unknown ({type(exc).__name__})",
                code="timeout",
            )
        return unknown(
            "请求已发出，连接中断未收到回复：结果未知",
            f"the request went out and the connection broke before a reply: outcome unknown ({type(exc).__name__})",
            code="transport",
        )

    @staticmethod
    def _reply(status: int, body: bytes) -> Reply:
        """An HTTP response mapped: 5xx/408/425/429 RETRYABLE(sent), other non-2xx MISCONFIGURED,
        a body that is not a JSON object UNKNOWN_OUTCOME."""
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
        data = decode_body(body)
        if data is None:
            raise unknown(
                "易支付回复不完整或不是 JSON：结果未知",
                "the epay reply was truncated or not JSON: outcome unknown",
                code="bad_body",
                raw=body[:2000],
            )
        return Reply(status, data, body)

    # ---- mapping helpers -----------------------------------------------------------------------
    def _now(self) -> int:
        return int(self.clock().timestamp())

    @staticmethod
    def _gateway_error(kind: ErrorKind, reply: Reply, *, code_prefix: str = "") -> GatewayError:
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
            if ours and theirs not in (None, "") and text_of(theirs) != ours:
                raise security(
                    "易支付回复的订单号与请求不符",
                    "the epay reply is about another order",
                    code="order_mismatch",
                    raw=dict(data),
                )
        self._check_merchant(data)

    def _check_merchant(self, data: Mapping[str, Any]) -> None:
        """A reply for another merchant of the same site (V2 shares one platform key) is not ours."""
        for key in ("pid", "uid"):
            theirs = data.get(key)
            if theirs not in (None, "") and as_int(theirs) != as_int(self.pid) and text_of(theirs) != self.pid:
                raise security(
                    "易支付回复的商户号与配置不符", "the epay reply is for another merchant", code="pid_mismatch", raw=dict(data)
                )

    def _refunded(self, data: Mapping[str, Any], status: int | None) -> int | None:
        """Refunded fen: V2 sends refundmoney (omitted when empty); V1 never does (None = unknown)."""
        if "refundmoney" in data:
            return parse_money(data.get("refundmoney"))
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
        total = parse_money(data.get("money"))
        status = as_int(data.get("status"))
        refunded = self._refunded(data, status)
        state = self._state_from_status(status, total, refunded)
        trade_no = text_of(data.get("trade_no")) or ref.gateway_trade_no
        paid_at = parse_time(data.get("endtime")) if status in (1, 2, 3) else None
        return PaymentSnapshot(
            state=state,
            out_trade_no=text_of(data.get("out_trade_no")) or ref.out_trade_no,
            gateway_trade_no=trade_no,
            total_fen=total,
            refunded_fen=refunded,
            paid_at=paid_at,
            raw=dict(data),
        )

    def _tx_record(self, row: Mapping[str, Any]) -> TxRecord | None:
        amount = parse_money(row.get("money"))
        out_trade_no = text_of(row.get("out_trade_no"))
        if amount is None or not out_trade_no:
            return None
        status = as_int(row.get("status"))
        refunded = self._refunded(row, status)
        return TxRecord(
            out_trade_no=out_trade_no,
            gateway_trade_no=text_of(row.get("trade_no")) or None,
            amount_fen=amount,
            state=self._state_from_status(status, amount, refunded),
            created_at=parse_time(row.get("addtime")),
            paid_at=parse_time(row.get("endtime")),
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
            raise security("通知的商户号与配置不符", "the notification is for another merchant", code="pid_mismatch")
        out_trade_no = params.get("out_trade_no", "").strip()
        if not out_trade_no:
            raise security("通知缺少订单号", "the notification has no order number", code="bad_notify")
        amount = parse_money(params.get("money"))
        if amount is None:
            raise security(
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


def unreachable_report(exc: GatewayError) -> ConnectionReport:
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
