"""The Alipay adapter: payments, QR, refunds, bills, notifications and the connection test."""

from __future__ import annotations

import csv
import json
import zipfile
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx

from ...domain.errors import MoneyError
from ...domain.money import format_yuan
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
from .bills import bill_records, parse_trade_bill
from .client import AlipayClient
from .codes import (
    BEIJING,
    BILL_MISSING_SUB_CODES,
    GATEWAY_MESSAGES,
    PRODUCTION_GATEWAY,
    REFUND_FAILURES,
    TRADE_STATES,
    Reply,
    fen,
    parse_time,
    text_of,
)
from .notify import notify_params, read_notification, verify_notification


class AlipayAdapter(AlipayClient):
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
            Capability.CLOSE,  # alipay.trade.close
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
        status = text_of(reply.data.get("trade_status"))
        try:
            total = fen(reply.data.get("total_amount"))
        except MoneyError as exc:
            raise self._unknown(
                "bad_amount", f"金额格式无效：{exc.zh}", f"invalid amount: {exc.en}", reply.data
            ) from exc
        return PaymentSnapshot(
            state=TRADE_STATES.get(status, PaymentState.UNKNOWN),
            out_trade_no=ref.out_trade_no,
            gateway_trade_no=text_of(reply.data.get("trade_no")) or ref.gateway_trade_no,
            total_fen=total,
            refunded_fen=None,  # trade.query does not report refunds
            paid_at=parse_time(reply.data.get("send_pay_date")),
            raw=reply.data,
        )

    @staticmethod
    def _rejected(reply: Reply, zh: str, en: str) -> GatewayError:
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
        qr = text_of(reply.data.get("qr_code"))
        if not qr:
            raise self._unknown("no_qr_code", "回复里没有二维码", "the reply has no qr_code", reply.data)
        return QrPayment(req.out_trade_no, text_of(reply.data.get("trade_no")) or None, qr, raw=reply.data)

    async def close_payment(self, ref: PaymentRef) -> PaymentState:
        """``alipay.trade.close`` of an unpaid trade.

        ACQ.TRADE_NOT_EXIST answers NOT_FOUND (a 当面付 QR nobody scanned yet has no trade at
        Alipay; it can still be paid until it times out). ACQ.TRADE_STATUS_ERROR means the trade
        is no longer waiting for payment: a trade query says whether it was paid or closed.
        """
        biz: dict[str, str] = {"out_trade_no": ref.out_trade_no}
        if ref.gateway_trade_no:
            biz["trade_no"] = ref.gateway_trade_no
        reply = await self._call("alipay.trade.close", biz)
        error = self._gateway_error(reply)
        if error:
            raise error
        if reply.code == "10000":
            self._check_trade(reply, ref.out_trade_no, ref.gateway_trade_no)
            return PaymentState.CLOSED
        if reply.code == "40004" and reply.sub_code == "ACQ.TRADE_NOT_EXIST":
            return PaymentState.NOT_FOUND
        if reply.code == "40004" and reply.sub_code == "ACQ.TRADE_STATUS_ERROR":
            state = (await self.query_payment(ref)).state
            if state in (PaymentState.CLOSED, PaymentState.PAID):
                return state
            if state in (PaymentState.PARTIALLY_REFUNDED, PaymentState.REFUNDED, PaymentState.FROZEN):
                return PaymentState.PAID
            raise self._unknown("close_status", f"交易状态不允许关闭（{state.value}）",
                                f"the trade cannot be closed in state {state.value}", reply.data)
        raise self._rejected(reply, "关闭交易失败", "closing the trade failed")

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
        # The refund reply names the trade but neither our out_request_no nor this refund's
        # amount (refund_fee is the trade's cumulative total, §2.7), and fund_change N or absent
        # must be confirmed anyway: fastpay.refund.query names all three. Confirm every time.
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
        req: RefundRequest, reply: Reply, zh: str, en: str, query_raw: Any = None
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
            named_out_trade_no=text_of(reply.data.get("out_trade_no")) or None,
            named_trade_no=text_of(reply.data.get("trade_no")) or None,
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
        return self._refund_from_query(ref, reply)

    def _refund_from_query(self, ref: RefundRef, reply: Reply) -> RefundResult:
        """A verified 10000 reply of fastpay.refund.query (§2.8): SUCCEEDED only with
        ``refund_status == REFUND_SUCCESS``; another status is PROCESSING; no ``refund_status``
        is NOT_FOUND, as Alipay documents it ("未返回该字段表示退款请求未收到或者退款失败": the
        refund was not received or failed), answered by a re-send with the same out_request_no
        and amount. What the reply names goes to the refund queue, which compares it."""
        data = reply.data
        try:
            amount = fen(data.get("refund_amount"))
        except MoneyError as exc:
            raise self._unknown(
                "bad_amount", f"金额格式无效：{exc.zh}", f"invalid amount: {exc.en}", data
            ) from exc
        status = text_of(data.get("refund_status"))
        if not status:
            result = RefundResult(
                RefundState.NOT_FOUND,
                ref.refund_no,
                code="10000",
                message_zh="支付宝查询结果没有退款状态：按支付宝文档，退款未收到或已失败；用同一退款单号、同一金额重发",
                message_en="Alipay's answer has no refund_status: by Alipay's documentation the refund was not "
                           "received or failed; re-send with the same number and amount",
                raw=data,
                raw_bytes=reply.body,
            )
        else:
            succeeded = status == "REFUND_SUCCESS"
            result = RefundResult(
                RefundState.SUCCEEDED if succeeded else RefundState.PROCESSING,
                ref.refund_no,
                amount_fen=amount,
                code=status,
                message_zh="退款成功" if succeeded else f"支付宝退款状态 {status}，尚未成功，请稍后再查",
                message_en="refund succeeded" if succeeded else f"Alipay refund status {status}: not succeeded "
                                                                  "yet; query again later",
                raw=data,
                raw_bytes=reply.body,
            )
        return replace(
            result,
            named_refund_no=text_of(data.get("out_request_no")) or None,
            named_out_trade_no=text_of(data.get("out_trade_no")) or None,
            named_trade_no=text_of(data.get("trade_no")) or None,
            named_amount_fen=amount,
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
            if reply.sub_code in BILL_MISSING_SUB_CODES:
                raise GatewayError(
                    ErrorKind.REJECTED,
                    f"{day.isoformat()} 的账单不存在（当天账单次日约 9 点后才生成）",
                    f"no bill for {day.isoformat()} (a day's bill is ready after about 09:00 the next day)",
                    code=reply.sub_code,
                    raw=reply.data,
                )
            raise self._rejected(reply, "获取账单地址失败", "could not get the bill URL")
        url = text_of(reply.data.get("bill_download_url"))
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
            records = bill_records(rows)
        except MoneyError as exc:
            raise GatewayError(
                ErrorKind.RETRYABLE,
                f"账单金额无法解析：{exc.zh}",
                f"bill amount unreadable: {exc.en}",
                code="bad_bill",
            ) from exc
        return records[query.offset : query.offset + query.limit]

    # ---- notifications -------------------------------------------------------------------------
    def parse_notification(self, http: InboundHttp) -> Notification:
        """Verify and read an async notify (POST form). Raises GatewayError(SECURITY) if forged.

        The caller must still compare ``out_trade_no`` and ``amount_fen`` with its own order.
        For refund notifications ``amount_fen`` is None: ``refund_fee`` is the trade's total
        refunded (VERIFY), so confirm the refund with query_refund.
        """
        params = notify_params(http)
        verify_notification(params, self._alipay_public_key, self.app_id)
        return read_notification(params)

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
            sub = text_of(claimed.get("sub_code"))
            if exc.code == "unsigned_reply" and sub in GATEWAY_MESSAGES:
                # Alipay sends some gateway errors (isv.invalid-app-id) unsigned. Nothing rides
                # on a connection test, so report what it says, marked as unverified.
                zh, en = GATEWAY_MESSAGES[sub]
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
