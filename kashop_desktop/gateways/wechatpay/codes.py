"""WeChat Pay APIv3 state and error-code tables (the protocol notes §5.2) and reply values."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from ..base import PaymentState, RefundState

OUT_NO_RE: Final = re.compile(r"^[0-9A-Za-z_\-|*@]{1,64}$")
BILL_DAYS_MAX: Final = 31


def as_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def as_dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


TRADE_STATES: Final[dict[str, PaymentState]] = {
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

REFUND_STATES: Final[dict[str, tuple[RefundState, str, str]]] = {
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
REFUND_REFUSALS: Final[dict[str, tuple[str, str]]] = {
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

MISCONFIGURED: Final[dict[str, tuple[str, str]]] = {
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
class Reply:
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
