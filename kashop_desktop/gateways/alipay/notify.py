"""Alipay asynchronous notifications (异步通知, POST form): decoding, verification, reading.

Source: Alipay OpenAPI "异步通知验签" (§2.6): the signature covers every parameter but ``sign``
and ``sign_type``, sorted, ``k=v`` joined with ``&``, values URL-decoded; the Java SDK's
``rsaCheckV1`` keeps empty values while other SDKs drop them, so both strings are tried.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from cryptography.hazmat.primitives.asymmetric import rsa

from ...domain.errors import MoneyError
from ..base import ErrorKind, GatewayError, InboundHttp, Notification, PaymentState, RefundState
from .codes import TRADE_STATES, fen, parse_time
from .keys import notification_sign_content, rsa2_verify


def notify_security(zh: str, en: str, code: str, raw: Any = None) -> GatewayError:
    """SECURITY for a notification that cannot be trusted (nothing is sent back but "fail")."""
    return GatewayError(ErrorKind.SECURITY, zh, en, code=code, sent=False, raw=raw)


def notify_params(http: InboundHttp) -> dict[str, str]:
    """The notification's parameters: the form body (UTF-8, else GB18030), or the query string.

    Raises SECURITY for an undecodable body or a repeated parameter.
    """
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
        raise notify_security("通知编码无法识别", "the notification's encoding is unreadable", "bad_notify")
    params: dict[str, str] = {}
    for key, value in pairs:
        if key in params:
            raise notify_security(f"通知参数重复：{key}", f"duplicate notification parameter: {key}", "bad_notify")
        params[key] = value
    return params


def verify_notification(params: Mapping[str, str], public_key: rsa.RSAPublicKey, app_id: str) -> None:
    """Raise SECURITY unless ``params`` carry a valid RSA2 signature and name our ``app_id``."""
    sign = params.get("sign", "")
    if not sign:
        raise notify_security("通知没有签名", "the notification is unsigned", "unsigned_notify", params)
    if params.get("sign_type", "RSA2") != "RSA2":
        raise notify_security(
            f"不接受的签名类型：{params.get('sign_type')}",
            f"sign type not accepted: {params.get('sign_type')}",
            "bad_sign_type",
            params,
        )
    verified = rsa2_verify(public_key, notification_sign_content(params), sign)
    if not verified and any(v == "" for v in params.values()):
        # Java rsaCheckV1 keeps empty values, some SDKs drop them: either string is Alipay's.
        verified = rsa2_verify(public_key, notification_sign_content(params, drop_empty=True), sign)
    if not verified:
        raise notify_security(
            "通知签名验证失败：可能是伪造的通知，或支付宝公钥填错",
            "the notification's signature does not verify: forged, or a wrong Alipay public key",
            "bad_notify_signature",
            params,
        )
    if params.get("app_id", "") != app_id:
        raise notify_security(
            f"通知属于其他应用（app_id {params.get('app_id')}）",
            f"the notification is for another app (app_id {params.get('app_id')})",
            "wrong_app_id",
            params,
        )


def read_notification(params: dict[str, str]) -> Notification:
    """A verified ``trade_status_sync`` notification as a payment or refund Notification.

    Raises REJECTED for another notify type, a missing ``out_trade_no`` or an unreadable amount.
    """
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
        amount = fen(params.get("total_amount"))
    except MoneyError as exc:
        raise GatewayError(ErrorKind.REJECTED, exc.zh, exc.en, code="bad_amount", sent=False, raw=params) from exc
    return Notification(
        kind="payment",
        out_trade_no=out_trade_no,
        gateway_trade_no=trade_no,
        amount_fen=amount,
        state=TRADE_STATES.get(status, PaymentState.UNKNOWN),
        paid_at=parse_time(params.get("gmt_payment")),
        raw=params,
    )
