"""The WeChat Pay APIv3 adapter: query, Native QR, idempotent refunds, notifications, bills."""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import date, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

from cryptography.exceptions import InvalidTag

from ..base import (
    Capability,
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
from .bills import parse_trade_bill, records_from_bill
from .client import WechatPayClient
from .codes import (
    BILL_DAYS_MAX,
    MISCONFIGURED,
    OUT_NO_RE,
    REFUND_REFUSALS,
    REFUND_STATES,
    TRADE_STATES,
    Reply,
    as_dict,
    as_int,
    as_time,
)
from .signing import CST, DEFAULT_BASE_URL, decrypt_resource


class WechatPayV3Adapter(WechatPayClient):
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
        amount = as_dict(data.get("amount"))
        return PaymentSnapshot(
            state=TRADE_STATES.get(trade_state, PaymentState.UNKNOWN),
            out_trade_no=str(data.get("out_trade_no") or ref.out_trade_no),
            gateway_trade_no=data.get("transaction_id") or ref.gateway_trade_no,
            total_fen=as_int(amount.get("total")),
            refunded_fen=None,
            paid_at=as_time(data.get("success_time")),
            raw=data,
        )

    async def close_payment(self, ref: PaymentRef) -> PaymentState:
        """Close an unpaid order (204 No Content, signed like every other reply, §3.4).

        ORDERPAID (paid meanwhile) answers PAID and ORDER_NOT_EXIST answers NOT_FOUND, each only
        when signed; ORDER_CLOSED (closed already) answers CLOSED. VERIFY: the error codes are
        the ones SDKs and integrations report for the close call.
        """
        path = self._payment_path(PaymentRef(ref.out_trade_no)) + "/close"
        reply = await self._call("POST", path, payload={"mchid": self.mchid}, op="write")
        if reply.status in (200, 204):
            return PaymentState.CLOSED
        answers = {"ORDERPAID": PaymentState.PAID, "ORDER_NOT_EXIST": PaymentState.NOT_FOUND,
                   "ORDER_CLOSED": PaymentState.CLOSED}
        if reply.code in answers and 400 <= reply.status < 500:
            self._require_verified(reply)
            return answers[reply.code]
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
        if 400 <= reply.status < 500 and reply.status not in (401, 429) and reply.code not in MISCONFIGURED:
            raise GatewayError(
                ErrorKind.REJECTED, f"微信拒绝下单：{reply.message or reply.code}",
                f"WeChat Pay refused the order: {reply.message or reply.code}", code=reply.code, raw=reply.data,
            )
        self._raise_common(reply, "write")

    # ---- refunds ---------------------------------------------------------------------------------

    def _check_refund(self, req: RefundRequest) -> None:
        problem: tuple[str, str] | None = None
        if not OUT_NO_RE.match(req.refund_no):
            problem = ("退款单号只能是 1-64 位字母、数字或 _-|*@", "refund number must be 1-64 of [0-9A-Za-z_-|*@]")
        elif as_int(req.amount_fen) is None or as_int(req.total_fen) is None:
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
            return self._refund_result(req.refund_no, reply)
        if reply.code in REFUND_REFUSALS and 400 <= reply.status < 500:
            self._require_verified(reply)
            zh, en = REFUND_REFUSALS[reply.code]
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
            return self._refund_result(ref.refund_no, reply)
        if reply.code == "RESOURCE_NOT_EXISTS":
            self._require_verified(reply)
            return RefundResult(
                RefundState.NOT_FOUND, ref.refund_no, code=reply.code,
                message_zh="微信没有这笔退款（从未受理）", message_en="WeChat Pay has no refund under this number",
                raw=reply.data, raw_bytes=reply.body,
            )
        self._raise_common(reply, "query")

    def _refund_result(self, refund_no: str, reply: Reply) -> RefundResult:
        """A verified Refund object (§3.5, §3.6): its status mapped, and what it names
        (out_refund_no, out_trade_no, transaction_id, amount.refund) reported as received for
        the refund queue to compare with the refund it asked about."""
        data = reply.data
        amount = as_int(as_dict(data.get("amount")).get("refund"))
        status = str(data.get("status", ""))
        if status not in REFUND_STATES:
            raise GatewayError(
                ErrorKind.UNKNOWN_OUTCOME, f"微信应答的退款状态无法识别（{status or '无'}），请人工核对",
                f"WeChat answered an unknown refund status ({status or 'none'}); check by hand",
                code="unknown_refund_status", raw=data,
            )
        state, zh, en = REFUND_STATES[status]
        return RefundResult(
            state, refund_no, gateway_refund_no=data.get("refund_id"), amount_fen=amount, code=status,
            message_zh=zh, message_en=en, raw=data, raw_bytes=reply.body,
            named_refund_no=_text_or_none(data.get("out_refund_no")),
            named_out_trade_no=_text_or_none(data.get("out_trade_no")),
            named_trade_no=_text_or_none(data.get("transaction_id")), named_amount_fen=amount,
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
            refund_state = REFUND_STATES.get(str(data.get("refund_status", "")))
            return Notification(
                kind="refund", out_trade_no=str(data.get("out_trade_no", "")),
                gateway_trade_no=data.get("transaction_id"),
                amount_fen=as_int(as_dict(data.get("amount")).get("refund")),
                state=refund_state[0] if refund_state else RefundState.PROCESSING,
                refund_no=data.get("out_refund_no"), raw=raw,
            )
        return Notification(
            kind="payment", out_trade_no=str(data.get("out_trade_no", "")),
            gateway_trade_no=data.get("transaction_id"),
            amount_fen=as_int(as_dict(data.get("amount")).get("total")),
            state=TRADE_STATES.get(str(data.get("trade_state", "")), PaymentState.UNKNOWN),
            paid_at=as_time(data.get("success_time")), raw=raw,
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
        if end < start or (end - start).days >= BILL_DAYS_MAX:
            raise GatewayError(ErrorKind.REJECTED, f"对账日期范围需在 {BILL_DAYS_MAX} 天以内",
                               f"the bill date range must be within {BILL_DAYS_MAX} days", code="bad_range", sent=False)
        rows: list[dict[str, str]] = []
        day = start
        while day <= end:
            content = await self.download_bill(day)
            if content is not None:
                rows.extend(parse_trade_bill(content))
            day += timedelta(days=1)
        records = sorted(records_from_bill(rows), key=lambda r: (r.paid_at or datetime.min.replace(tzinfo=CST)))
        return records[query.offset : query.offset + query.limit]


def _text_or_none(value: Any) -> str | None:
    """A field as the reply named it, or None when the reply does not say."""
    return None if value in (None, "") else str(value)
