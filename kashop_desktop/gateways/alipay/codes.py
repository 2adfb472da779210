"""Alipay protocol constants, code tables and loose values (OpenAPI public error codes, §2.7-2.8)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

from ...domain.money import yuan_decimal_to_fen
from ..base import ErrorKind, GatewayError, PaymentState

PRODUCTION_GATEWAY = "https://openapi.alipay.com/gateway.do"
SANDBOX_GATEWAY = "https://openapi-sandbox.dl.alipaydev.com/gateway.do"
BEIJING = timezone(timedelta(hours=8), "CST")
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"


GATEWAY_MESSAGES: dict[str, tuple[str, str]] = {
    "isv.invalid-signature": (
        "支付宝验签失败：应用私钥与开放平台上设置的应用公钥不是一对（或签名方式不是 RSA2）",
        "Alipay could not verify our signature: the app private key does not match the app public key "
        "set on the Open Platform (or the sign type is not RSA2)",
    ),
    "isv.invalid-app-id": (
        "app_id 无效：应用不存在、未上线，或与网关（正式/沙箱）不符",
        "invalid app_id: the app does not exist, is not online, or belongs to the other gateway (live/sandbox)",
    ),
    "isv.invalid-timestamp": (
        "时间戳无效：请校准电脑时间",
        "invalid timestamp: check this computer's clock",
    ),
    "isv.invalid-signature-type": ("签名类型无效（须为 RSA2）", "invalid sign type (must be RSA2)"),
    "isv.invalid-charset": ("字符集无效", "invalid charset"),
    "isv.invalid-method": ("接口名无效", "unknown API method"),
    "isv.missing-signature": ("缺少签名参数", "the signature parameter is missing"),
    "isv.missing-app-id": ("缺少 app_id", "app_id is missing"),
    "isv.insufficient-isv-permissions": (
        "应用权限不足：请在开放平台签约当面付/对应产品并添加接口",
        "insufficient app permissions: sign the product (e.g. Face-to-Face Payment) and add the API on the Open Platform",
    ),
    "isv.insufficient-user-permissions": ("用户权限不足", "insufficient user permissions"),
}

GATEWAY_CODE_MESSAGES: dict[str, tuple[str, str]] = {
    "20001": (
        "授权权限不足（授权令牌无效或过期）",
        "insufficient authorisation (the auth token is invalid or expired)",
    ),
    "40001": ("缺少必选参数", "a required parameter is missing"),
    "40002": ("参数无效", "invalid parameter"),
    "40006": ("权限不足：应用未开通该接口", "insufficient permissions: the app may not call this API"),
}

#: 40004 sub-codes after which a refund has definitely not happened and will not by itself.
REFUND_FAILURES: dict[str, tuple[str, str]] = {
    "ACQ.SELLER_BALANCE_NOT_ENOUGH": (
        "商户余额不足：支付宝账户可用余额不够退款，请充值后再退",
        "merchant balance not enough: the Alipay account cannot cover the refund; top it up and retry",
    ),
    "ACQ.TRADE_HAS_FINISHED": (
        "交易已完结：已过可退款期限，不能再原路退款",
        "the trade is finished: the refund window is over, it can no longer be refunded",
    ),
    "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL": (
        "退款金额超过可退金额（或整单退款金额与订单金额不一致）",
        "the refund amount exceeds what can still be refunded (or a full refund does not equal the order total)",
    ),
    "ACQ.REASON_TRADE_REFUND_FEE_ERR": (
        "退款金额无效或超过剩余可退金额",
        "invalid refund amount, or more than the remaining refundable amount",
    ),
    "ACQ.TRADE_NOT_EXIST": (
        "支付宝中没有这笔交易：请核对订单号，或确认订单属于当前应用",
        "Alipay has no such trade: check the order number, or that it belongs to this app",
    ),
    "ACQ.TRADE_STATUS_ERROR": (
        "交易状态不允许退款（未付款或已关闭）",
        "the trade's status does not allow a refund (unpaid or closed)",
    ),
    "ACQ.TRADE_NOT_ALLOW_REFUND": ("该交易不允许退款", "this trade may not be refunded"),
    "ACQ.REASON_TRADE_BEEN_FREEZEN": (
        "交易已被冻结，暂不能退款",
        "the trade is frozen and cannot be refunded now",
    ),
    "ACQ.INVALID_PARAMETER": ("退款参数无效", "invalid refund parameters"),
    "ACQ.REFUND_CHARGE_ERROR": (
        "退分账金额异常，退款未执行",
        "refunding the royalty split failed; no refund was made",
    ),
    "ACQ.SELLER_ERROR": ("卖家状态异常，退款未执行", "the seller account is abnormal; no refund was made"),
    "ACQ.BUYER_ERROR": ("买家状态异常，退款未执行", "the buyer account is abnormal; no refund was made"),
}

#: 40004 sub-codes that mean "the gateway could not say": query before anything else.
UNKNOWN_SUB_CODES = frozenset(
    {"ACQ.SYSTEM_ERROR", "ACQ.DISCORDANT_REPEAT_REQUEST", "isp.unknow-error", "aop.unknow-error"}
)

#: 40004 sub-codes that are configuration problems (nothing was done).
MISCONFIGURED_SUB_CODES = frozenset({"ACQ.ACCESS_FORBIDDEN", "ACQ.PARTNER_ERROR"})

BILL_MISSING_SUB_CODES = frozenset({"isp.bill_not_exist", "BILL_NOT_EXIST", "isp.bill_not_exist_error"})

TRADE_STATES: dict[str, PaymentState] = {
    "WAIT_BUYER_PAY": PaymentState.PENDING,
    "TRADE_SUCCESS": PaymentState.PAID,
    # Paid but past the refund window: still PAID; ``raw["trade_status"]`` tells it apart.
    "TRADE_FINISHED": PaymentState.PAID,
    # Closed unpaid, or closed by a full refund. trade.query does not say which, so CLOSED is
    # the safe reading (VERIFY: widely reported that a full refund closes the trade); callers
    # that need to know ask query_refund for their own refund numbers.
    "TRADE_CLOSED": PaymentState.CLOSED,
}


@dataclass(frozen=True, slots=True)
class Reply:
    """A gateway reply whose signature verified."""

    method: str
    code: str
    msg: str
    sub_code: str
    sub_msg: str
    data: dict[str, Any]
    body: bytes


def text_of(value: Any) -> str:
    return "" if value is None else str(value)


def parse_time(value: Any) -> datetime | None:
    text = text_of(value).strip()
    if not text:
        return None
    for fmt in (TIMESTAMP_FORMAT, "%Y-%m-%d %H:%M:%S.%f"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=BEIJING)
        except ValueError:
            continue
    return None


def fen(value: Any) -> int | None:
    text = text_of(value).strip()
    if not text:
        return None
    return yuan_decimal_to_fen(text)


def gateway_url_from(base_url: str) -> str:
    """The gateway.do URL for a configured ``base_url`` (see the module docstring)."""
    url = base_url.strip() or PRODUCTION_GATEWAY
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise GatewayError(
            ErrorKind.MISCONFIGURED,
            f"网关地址无效：{url}",
            f"invalid gateway URL: {url}",
            code="bad_base_url",
            sent=False,
        )
    if parts.path.endswith(".do"):
        return url
    path = parts.path.rstrip("/") + "/gateway.do"
    return parts._replace(path=path).geturl()
