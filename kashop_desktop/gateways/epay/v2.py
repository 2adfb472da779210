"""易支付 V2: SHA256withRSA on every request and on every ``code == 0`` reply (彩虹易支付 ``api/*``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Final

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
    RefundRef,
    RefundRequest,
    RefundResult,
    RefundState,
    TxQuery,
    TxRecord,
)
from .adapter import PAGE_MAX, PAY_TYPES, EpayAdapter, unreachable_report
from .messages import config_error, security, translate_message, unknown
from .parsing import Reply, as_int, parse_money, parse_time, text_of
from .signing import load_private_key, load_public_key, rsa_sign, rsa_verify

#: ``|now - timestamp|`` allowed by the server and by 彩虹's own client.
TIMESTAMP_SKEW_SECONDS: Final = 300
#: 彩虹 ignores an ``out_refund_no`` of 5 characters or fewer (``strlen(...) > 5``, bytes).
_MIN_OUT_REFUND_NO_BYTES: Final = 6


class EpayV2Adapter(EpayAdapter):
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
        ConfigField("pay_type", "收款方式", "Payment type", required=False, default="alipay", choices=PAY_TYPES),
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
            raise config_error(f"接口路径形式无效：{style}", f"invalid route style: {style}")
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

    async def _call(self, route: str, params: Mapping[str, str]) -> Reply:
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
            raise security("易支付回复未签名", "the epay reply is not signed", code="unsigned", raw=dict(data))
        sign_type = text_of(data.get("sign_type")).strip()
        if sign_type and sign_type.upper() != "RSA":
            raise security(
                f"易支付回复签名类型为 {sign_type}", f"the epay reply is signed with {sign_type}", code="bad_sign_type", raw=dict(data)
            )
        if not rsa_verify(data, sign, self.platform_key):
            raise security(
                "易支付回复验签失败（平台公钥不符或回复被篡改），不能当作成功",
                "the epay reply signature does not verify (wrong platform key or a tampered reply): not taken as success",
                code="bad_signature",
                raw=dict(data),
            )
        ts = as_int(data.get("timestamp"))
        if ts is None or abs(self._now() - ts) > TIMESTAMP_SKEW_SECONDS:
            raise security(
                "易支付回复时间戳无效或相差超过300秒（请检查本机时间）",
                "the epay reply timestamp is missing or more than 300 s off (check this computer's clock)",
                code="stale_timestamp",
                raw=dict(data),
            )
        for key in ("pid", "uid"):
            theirs = data.get(key)
            if theirs not in (None, "") and as_int(theirs) != as_int(self.pid) and text_of(theirs) != self.pid:
                raise security(
                    "易支付回复的商户号与配置不符", "the epay reply is for another merchant", code="pid_mismatch", raw=dict(data)
                )

    def _error_kind(self, reply: Reply) -> ErrorKind:
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
            page = min(remaining, PAGE_MAX)
            reply = await self._call("merchant/orders", {"offset": str(offset), "limit": str(page)})
            if reply.code != 0:
                raise self._gateway_error(self._error_kind(reply), reply)
            rows = reply.data.get("data")
            rows = rows if isinstance(rows, list) else []
            for row in rows:
                if not isinstance(row, Mapping):
                    continue
                # The rows are unsigned: at least refuse rows that name another merchant.
                if row.get("pid") not in (None, "") and as_int(row.get("pid")) != as_int(self.pid):
                    raise security(
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
            self._check_merchant(data)
            # 彩虹 answers a repeated out_refund_no with the FIRST refund under it, whatever its
            # order or amount (§1.5): what this reply names goes to the refund queue, which takes
            # it as ours only when refund no, trade and amount are all ours.
            return RefundResult(
                RefundState.SUCCEEDED,
                req.refund_no,
                gateway_refund_no=text_of(data.get("refund_no")),
                amount_fen=parse_money(data.get("money")),
                code="0",
                message_zh=msg or "退款成功",
                message_en=translate_message(msg) if msg else "refund succeeded",
                raw=data,
                raw_bytes=reply.body,
                **_named(data),
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
        raise unknown(
            f"易支付V2退款返回了无法识别的结果（code={data.get('code')!r}，{msg}），请先查询退款",
            f"the epay V2 refund answered an unrecognised result (code={data.get('code')!r}): query the refund first",
            code=f"unrecognised_{data.get('code')}",
            raw=data,
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
            return self._refund_found(ref, reply, by_out_refund_no="out_refund_no" in params)
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

    def _refund_found(self, ref: RefundRef, reply: Reply, *, by_out_refund_no: bool) -> RefundResult:
        """A verified ``code == 0`` refund query reply: checked against ``ref``, status mapped."""
        data = reply.data
        self._check_merchant(data)
        if ref.gateway_refund_no and text_of(data.get("refund_no")) != ref.gateway_refund_no:
            raise security(
                "易支付回复的退款单号与请求不符", "the epay reply is about another refund", code="refund_mismatch", raw=dict(data)
            )
        amount = parse_money(data.get("money"))
        named = _named(data)
        status = as_int(data.get("status"))
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
            gateway_refund_no=text_of(data.get("refund_no")) or None,
            amount_fen=amount,
            code=f"status:{text_of(data.get('status'))}",
            message_zh={RefundState.SUCCEEDED: "退款成功", RefundState.FAILED: "退款失败"}.get(state, "退款处理中"),
            message_en={RefundState.SUCCEEDED: "refund succeeded", RefundState.FAILED: "refund failed"}.get(
                state, "refund in progress"
            ),
            raw=data,
            raw_bytes=reply.body,
            **named,
        )

    # ---- notifications -------------------------------------------------------------------------
    def parse_notification(self, http: InboundHttp) -> Notification:
        params = self._notification_params(http)
        if params.get("sign_type", "").strip().upper() != "RSA":
            raise security(
                "通知签名类型不是 RSA（V1 订单请使用易支付V1网关）",
                "notification sign_type is not RSA (V1 orders need the epay V1 gateway)",
                code="bad_sign_type",
            )
        sign = params.get("sign", "")
        if not sign or not rsa_verify(params, sign, self.platform_key):
            raise security("通知签名校验失败", "notification signature does not verify", code="bad_signature")
        ts = as_int(params.get("timestamp"))
        if ts is None or abs(self._now() - ts) > TIMESTAMP_SKEW_SECONDS:
            raise security(
                "通知时间戳无效或相差超过300秒", "notification timestamp missing or more than 300 s off", code="stale_timestamp"
            )
        return self._notification(params, paid_at=parse_time(params.get("endtime")))

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
            pay_type = text_of(reply.data.get("pay_type"))
            pay_info = text_of(reply.data.get("pay_info"))
            if pay_type in ("qrcode", "jump", "urlscheme") and pay_info:
                return QrPayment(req.out_trade_no, text_of(reply.data.get("trade_no")) or None, pay_info, raw=reply.data)
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
            return unreachable_report(exc)
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


def _named(data: Mapping[str, Any]) -> dict[str, Any]:
    """What a V2 refund reply names (out_refund_no, out_trade_no, trade_no, money), as received."""
    return {
        "named_refund_no": text_of(data.get("out_refund_no")) or None,
        "named_out_trade_no": text_of(data.get("out_trade_no")) or None,
        "named_trade_no": text_of(data.get("trade_no")) or None,
        "named_amount_fen": parse_money(data.get("money")),
    }
