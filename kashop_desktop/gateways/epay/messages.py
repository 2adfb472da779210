"""The gateway's messages: Chinese as received, English for the known ones; error helpers.

The messages are those of 彩虹易支付's server source (``pwj2333/EasyPay``, ``api.php`` and
``includes/lib/Order.php``).
"""

from __future__ import annotations

import re
from typing import Any, Final

from ..base import ErrorKind, GatewayError

_MESSAGES_EN: Final[dict[str, str]] = {
    "商户余额不足，请先充值": "merchant balance insufficient, please top up the epay account",
    "退款金额不能超过该订单剩余可退款金额！": "refund amount exceeds what remains refundable on this order",
    "退款金额不能大于订单金额": "refund amount exceeds the order amount",
    "该订单已全额退款！": "this order has already been fully refunded",
    "该订单已退款！": "this order has already been refunded",
    "该订单状态不支持退款！": "this order's status does not allow a refund (not paid?)",
    "当前订单不存在！": "order not found",
    "订单号不存在": "order not found",
    "订单号不能为空": "order number missing",
    "接口订单号不存在": "the order has no upstream channel trade number, it cannot be refunded by API",
    "当前支付通道信息不存在": "the order's payment channel no longer exists",
    "当前支付通道不支持API退款": "the order's payment channel does not support API refunds",
    "金额输入错误": "invalid refund amount",
    "未开启商户后台自助退款": "self-service refunds are disabled by the platform administrator",
    "管理员未开启商户后台自助退款": "self-service refunds are disabled by the platform administrator",
    "商户未开启订单退款API接口": "the refund API is not enabled for this merchant",
    "商户ID不存在": "unknown merchant ID (pid)",
    "PID不存在": "unknown merchant ID (pid)",
    "商户不存在！": "unknown merchant ID (pid)",
    "商户ID不能为空": "merchant ID (pid) missing",
    "商户密钥错误": "wrong merchant key",
    "KEY校验失败": "wrong merchant key",
    "商户已被封禁": "the merchant account is banned",
    "该商户只能使用RSA签名类型": "this merchant may only use RSA signatures: use the 易支付 V2 gateway",
    "RSA签名校验失败": "signature check failed",
    "verify sign failed": "signature check failed",
    "时间戳(timestamp)字段不能为空": "timestamp missing",
    "时间戳字段不正确，请检查服务器时间": "timestamp refused: check this computer's clock",
    "退款记录不存在": "refund record not found",
    "商户退款单号不能为空": "refund number missing",
    "接口方法不存在": "API method does not exist (the site may not have the V2 API)",
    "URL Error!": "URL error",
    "No Act!": "unknown API action (the site may not support this call)",
    "未传入任何参数": "the gateway received no parameters",
    "金额不合法": "invalid amount",
    "支付方式(type)不能为空": "payment type missing",
    "用户IP地址(clientip)不能为空": "payer IP (clientip) missing",
    "订单号(out_trade_no)不能为空": "order number (out_trade_no) missing",
    "订单号(out_trade_no)格式不正确": "order number (out_trade_no) has invalid characters",
    "通知地址(notify_url)不能为空": "notify URL missing",
    "商品名称(name)不能为空": "item name missing",
    "金额(money)不能为空": "amount missing",
    "succ": "OK",
}

_MESSAGE_PATTERNS_EN: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    (re.compile(r"^退款成功！退款金额￥(.*)$"), "refund succeeded, amount ¥{0}"),
    (re.compile(r"^已存在相同退款单号！退款金额￥(.*)$"), "a refund with this number already exists, amount ¥{0}"),
    (re.compile(r"^退款失败：(.*)$", re.S), "the refund failed upstream: {0}"),
    (re.compile(r"^该订单\((.*)\)已完成支付，请勿重复发起支付$"), "order {0} is already paid"),
    (re.compile(r"^该订单\((.*)\)支付参数有变化.*$"), "order {0} was created before with different parameters"),
    (re.compile(r"^最大支付金额是(.*)元$"), "the maximum payment amount is ¥{0}"),
    (re.compile(r"^最小支付金额是(.*)元$"), "the minimum payment amount is ¥{0}"),
)


def translate_message(message_zh: str) -> str:
    """English for a known 彩虹 message; unknown ones are passed through labelled."""
    text = message_zh.strip()
    if text in _MESSAGES_EN:
        return _MESSAGES_EN[text]
    for pattern, template in _MESSAGE_PATTERNS_EN:
        match = pattern.match(text)
        if match:
            return template.format(*match.groups())
    return f"gateway message: {text}" if text else "no message from the gateway"


def config_error(zh: str, en: str, *, code: str = "bad_config") -> GatewayError:
    """MISCONFIGURED, nothing sent."""
    return GatewayError(ErrorKind.MISCONFIGURED, zh, en, code=code, sent=False)


def security(zh: str, en: str, *, code: str, raw: Any = None) -> GatewayError:
    """SECURITY: a reply or notification that cannot be trusted."""
    return GatewayError(ErrorKind.SECURITY, zh, en, code=code, sent=True, raw=raw)


def unknown(zh: str, en: str, *, code: str, raw: Any = None) -> GatewayError:
    """UNKNOWN_OUTCOME: the request went out and no usable answer came back."""
    return GatewayError(ErrorKind.UNKNOWN_OUTCOME, zh, en, code=code, sent=True, raw=raw)
