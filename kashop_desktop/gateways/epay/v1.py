"""易支付 V1: MD5-signed ``mapi.php`` and key-in-clear ``api.php?act=…`` (彩虹易支付)."""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping, Sequence
from typing import ClassVar

import httpx

from ...domain.money import format_yuan
from ..base import (
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
    RefundRequest,
    RefundResult,
    RefundState,
    TxQuery,
    TxRecord,
)
from .adapter import PAGE_MAX, PAY_TYPES, EpayAdapter, unreachable_report
from .messages import config_error, security, translate_message, unknown
from .parsing import Reply, as_int, parse_money, text_of
from .signing import md5_sign


def _parse_codes(text: str) -> frozenset[int]:
    codes: set[int] = set()
    for part in re.split(r"[\s,，;；|]+", text.strip()):
        if not part:
            continue
        value = as_int(part)
        if value is None:
            raise config_error(
                f"退款成功代码无效：{part!r}（应为整数，如 0 或 0,1）",
                f"invalid refund success code {part!r} (integers such as 0 or 0,1)",
            )
        codes.add(value)
    if not codes:
        codes.add(0)
    if codes & {-1, -2, -3, -4, -5}:
        raise config_error("退款成功代码不能是负数错误码", "refund success codes cannot be the negative error codes")
    return frozenset(codes)


class EpayV1Adapter(EpayAdapter):
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
        ConfigField("pay_type", "收款方式", "Payment type", required=False, default="alipay", choices=PAY_TYPES),
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
    def _is_auth_error(reply: Reply) -> bool:
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
            page = min(remaining, PAGE_MAX)
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
                raise unknown(
                    f"易支付V1退款请求已发出但服务器出错（{exc.code}），无法确认是否已退款，请到易支付后台核实",
                    f"the epay V1 refund reached a failing server ({exc.code}); whether money moved is unknown: check the epay back office",
                    code=exc.code,
                    raw=exc.raw,
                ) from exc
            if exc.kind is ErrorKind.UNKNOWN_OUTCOME:
                raise unknown(
                    exc.zh + "。易支付V1不能查询退款，也不能安全重发：请到易支付后台核实",
                    exc.en + ". Epay V1 cannot query refunds nor re-send safely: check the epay back office",
                    code=exc.code,
                    raw=exc.raw,
                ) from exc
            raise
        return self._refund_result(req, reply)

    def _refund_result(self, req: RefundRequest, reply: Reply) -> RefundResult:
        code = reply.code
        data = reply.data
        msg = reply.msg
        if code is not None and code in self.refund_success_codes and text_of(data.get("refund_no")):
            self._check_merchant(data)
            # V1 makes up its own refund_no (it cannot name ours); the trade and the amount it
            # names go to the refund queue, which compares them with the refund it sent.
            amount = parse_money(data.get("money"))
            return RefundResult(
                RefundState.SUCCEEDED,
                req.refund_no,
                gateway_refund_no=text_of(data.get("refund_no")),
                amount_fen=amount,
                code=str(code),
                message_zh=msg or "退款成功",
                message_en=translate_message(msg) if msg else "refund succeeded",
                raw=data,
                raw_bytes=reply.body,
                named_out_trade_no=text_of(data.get("out_trade_no")) or None,
                named_trade_no=text_of(data.get("trade_no")) or None,
                named_amount_fen=amount,
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
        raise unknown(
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
            raise security(
                f"通知签名类型 {sign_type} 不是 MD5（V2 订单请使用易支付V2网关）",
                f"notification sign_type {sign_type} is not MD5 (V2 orders need the epay V2 gateway)",
                code="bad_sign_type",
            )
        expected = md5_sign(params, self.key)
        if not sign or not hmac.compare_digest(sign, expected):
            raise security("通知签名校验失败", "notification signature does not verify", code="bad_signature")
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
                content = text_of(reply.data.get(field))
                if content:
                    return QrPayment(req.out_trade_no, text_of(reply.data.get("trade_no")) or None, content, raw=reply.data)
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
            return unreachable_report(exc)
        if reply.code == 1:
            if as_int(reply.data.get("pid")) != as_int(self.pid):
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
