"""Labels for the codes the command line prints, in Chinese and English.

``--json`` keeps the codes (scripts read them); tables and lines print these labels in the
language chosen with ``--lang`` (Chinese by default), never a raw code such as ``open`` or
``payment_issue``. A code without a label is printed as it is.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping

from ..domain.order import REASON_EN, REASON_ZH, Channel, ReasonCode
from ..domain.refund_states import RefundStatus
from ..domain.states import OrderStatus
from .output import zh

REQUEST_STATES = {
    "open": ("待审核", "waiting for review"), "approved": ("已批准", "approved"),
    "auto_approved": ("自动批准", "approved automatically"), "rejected": ("已拒绝", "rejected"),
    "cancelled_now": ("已直接取消", "cancelled at once"),
}
#: One word per refund state, defined once in domain.refund_states for the whole desk.
REFUND_STATES = {s.value: (s.zh, s.en) for s in RefundStatus}
ACTORS = {
    "owner": ("店主", "owner"), "system": ("系统", "system"), "buyer": ("买家", "buyer"),
    "gateway": ("支付网关", "gateway"), "import": ("导入", "import"),
}
ACTIONS = {
    "created": ("下单", "order placed"), "paid": ("支付成功", "paid"), "imported": ("导入", "imported"),
    "imported_update": ("导入更新", "import update"), "mark_paid": ("补单", "marked paid"),
    "deliver": ("发货", "delivered"), "complete": ("完成", "completed"),
    "code_used": ("登记卡密使用情况", "code use recorded"), "reveal_code": ("查看卡密", "code revealed"),
    "copy_code": ("复制卡密", "code copied"),
    "backorder": ("缺货待发", "waiting for codes"), "code_returned": ("卡密回库", "code returned to stock"),
    "code_void": ("作废卡密", "code voided"),
    "cancel": ("取消订单", "cancelled"), "expire": ("超时关闭", "expired"), "restore": ("恢复订单", "restored"),
    "request_opened": ("登记取消申请", "cancel request opened"), "dispute_opened": ("登记售后争议", "dispute opened"),
    "approved": ("批准申请", "request approved"), "auto_approved": ("自动批准", "approved automatically"),
    "request_rejected": ("拒绝申请", "request rejected"), "request_overdue": ("申请已逾期", "request overdue"),
    "refund_succeeded": ("退款成功", "refund succeeded"), "refund_failed": ("退款失败", "refund failed"),
    "refund_unknown": ("退款结果未知", "refund outcome unknown"), "refund_processing": ("退款处理中", "refund processing"),
    "refund_requeued": ("退款重新排队", "refund requeued"), "refund_retry": ("重新发送退款", "refund retried"),
    "refund_confirmed": ("确认发送退款", "refund confirmed"), "refund_resolved": ("人工处理退款", "refund resolved by hand"),
    "refund_sending": ("退款发送中", "refund sending"), "refund_needs_owner": ("退款待人工处理", "refund needs the owner"),
    "refund_sent": ("发出退款", "refund sent to the gateway"),
    "refund_late_reply": ("网关迟到的退款回复", "late refund reply from the gateway"),
    "held": ("扣留待审", "held for review"), "released": ("放行", "released"),
    "payment_found": ("网关查到付款", "payment found at the gateway"),
    "payment_time_corrected": ("更正付款时间", "payment time corrected"), "late_payment": ("关闭后付款", "paid after closing"),
    "coupon_in_use": ("优惠券重复使用", "coupon used twice"),
    "payment_flagged": ("付款需核对", "payment to check"), "trade_closed": ("网关交易已关闭", "trade closed at the gateway"),
    "trade_close_unsupported": ("网关不支持关闭交易", "the gateway cannot close trades"),
    "trade_close": ("关闭网关交易", "closing the gateway trade"),
    "channel_corrected": ("支付方式改回网关", "channel set back to the gateway's"), "recon_fixed": ("对账修正", "fixed by reconciliation"),
    "recon_explained": ("对账差异已说明", "reconciliation difference explained"),
    "payment_created": ("生成收款二维码", "QR payment created"),
    "sale_failed": ("收款二维码未生成，订单作废", "QR payment not created; order void"),
}
CHANNELS_EN = {"alipay": "Alipay", "wechat": "WeChat Pay", "bank_card": "Bank card", "wallet": "Wallet", "cash": "Cash",
               "bank_transfer": "Bank transfer"}
#: Counters printed by ``sweep`` and ``refunds send``.
COUNTERS = {
    "expired": ("超时关闭", "expired"), "auto_approved": ("自动批准", "auto-approved"),
    "overdue": ("新逾期", "newly overdue"), "backorders_delivered": ("缺货待发已发货", "backorders delivered"), "picked": ("取出", "picked"), "succeeded": ("成功", "succeeded"),
    "processing": ("处理中", "processing"), "failed": ("失败", "failed"), "unknown": ("结果未知", "unknown"),
    "requeued": ("重新排队", "requeued"), "untouched": ("未动", "left as they were"),
    "settled_elsewhere": ("已由别处办结", "settled elsewhere meanwhile"), "security_warnings": ("安全警告", "security warnings"),
    "unreachable_gateways": ("连不上的网关", "unreachable gateways"),
}


def _pick(table: dict[str, tuple[str, str]], code: str | None, args: argparse.Namespace) -> str:
    if not code:
        return ""
    pair = table.get(code)
    return (pair[0] if zh(args) else pair[1]) if pair else code


def request_state(code: str, args: argparse.Namespace) -> str:
    return _pick(REQUEST_STATES, code, args)


def refund_state(code: str, args: argparse.Namespace) -> str:
    return _pick(REFUND_STATES, code, args)


def actor(code: str, args: argparse.Namespace) -> str:
    return _pick(ACTORS, code, args)


def action(code: str, args: argparse.Namespace) -> str:
    return _pick(ACTIONS, code, args)


def counter(code: str, args: argparse.Namespace) -> str:
    return _pick(COUNTERS, code, args)


def status(code: str | None, args: argparse.Namespace) -> str:
    if not code:
        return ""
    value = OrderStatus(code)
    return value.zh if zh(args) else value.en


def reason(code: str, args: argparse.Namespace) -> str:
    try:
        value = ReasonCode(code)
    except ValueError:
        return code
    return REASON_ZH[value] if zh(args) else REASON_EN[value]


def channel(code: str | None, args: argparse.Namespace) -> str:
    if not code:
        return ""
    try:
        value = Channel(code)
    except ValueError:
        return code
    return value.zh if zh(args) else CHANNELS_EN[value.value]


def counts_line(counts: Mapping[str, object], args: argparse.Namespace) -> str:
    """``expired=3 auto_approved=1`` as people read it: 超时关闭 3，自动批准 1."""
    sep = "，" if zh(args) else ", "
    return sep.join(f"{counter(k, args)} {v}" for k, v in counts.items())
