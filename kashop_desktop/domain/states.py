"""Order states, their labels, and the only transitions the rules allow."""

from __future__ import annotations

from enum import StrEnum

from .errors import TransitionError


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"

    @property
    def zh(self) -> str:
        return STATUS_ZH[self]

    @property
    def en(self) -> str:
        return STATUS_EN[self]


STATUS_ZH: dict[OrderStatus, str] = {
    OrderStatus.PENDING_PAYMENT: "待支付",
    OrderStatus.PAID: "已支付(待发货)",
    OrderStatus.DELIVERED: "已发货/已激活",
    OrderStatus.COMPLETED: "已完成",
    OrderStatus.CANCELLED: "已取消",
    OrderStatus.PARTIALLY_REFUNDED: "部分退款",
    OrderStatus.REFUNDED: "已退款",
}

STATUS_EN: dict[OrderStatus, str] = {
    OrderStatus.PENDING_PAYMENT: "Pending payment",
    OrderStatus.PAID: "Paid, not delivered",
    OrderStatus.DELIVERED: "Delivered",
    OrderStatus.COMPLETED: "Completed",
    OrderStatus.CANCELLED: "Cancelled",
    OrderStatus.PARTIALLY_REFUNDED: "Partially refunded",
    OrderStatus.REFUNDED: "Refunded",
}

S = OrderStatus

#: Every allowed (from, to) pair. Nothing else exists.
TRANSITIONS: frozenset[tuple[OrderStatus, OrderStatus]] = frozenset(
    {
        (S.PENDING_PAYMENT, S.PAID),  # payment notice or manual 补单
        (S.PENDING_PAYMENT, S.CANCELLED),  # owner cancels, or the unpaid order expires
        (S.PAID, S.DELIVERED),
        (S.PAID, S.CANCELLED),  # approved cancel request; the refund follows
        (S.PAID, S.PARTIALLY_REFUNDED),  # partial refund approved before delivery
        (S.PARTIALLY_REFUNDED, S.DELIVERED),
        (S.DELIVERED, S.COMPLETED),
        (S.DELIVERED, S.PARTIALLY_REFUNDED),  # approved dispute, part of the money
        (S.DELIVERED, S.REFUNDED),  # approved dispute, all of the money
        (S.COMPLETED, S.PARTIALLY_REFUNDED),
        (S.COMPLETED, S.REFUNDED),
        (S.PARTIALLY_REFUNDED, S.PARTIALLY_REFUNDED),
        (S.PARTIALLY_REFUNDED, S.REFUNDED),
        (S.PARTIALLY_REFUNDED, S.CANCELLED),  # the rest refunded before anything was delivered
        (S.CANCELLED, S.PENDING_PAYMENT),  # restore of an order cancelled before payment
        (S.CANCELLED, S.PAID),  # restore of a paid order whose refund was never sent
    }
)

#: States in which money has been received.
PAID_STATES = frozenset({S.PAID, S.DELIVERED, S.COMPLETED, S.PARTIALLY_REFUNDED})
#: States in which goods have gone out.
DELIVERED_STATES = frozenset({S.DELIVERED, S.COMPLETED})


def can_transition(current: OrderStatus, target: OrderStatus, *, delivered: bool = False) -> bool:
    """Whether current -> target is allowed. A delivered order can never become cancelled
    (nor go back to waiting for delivery), whatever refunds it had."""
    if delivered and target in (S.CANCELLED, S.PAID, S.PENDING_PAYMENT, S.DELIVERED):
        return False
    return (current, target) in TRANSITIONS


def check_transition(current: OrderStatus, target: OrderStatus, *, delivered: bool = False) -> None:
    """Raise a bilingual TransitionError unless current -> target is allowed."""
    if not can_transition(current, target, delivered=delivered):
        raise TransitionError(
            "transition_not_allowed",
            f"订单状态不能从「{current.zh}」变为「{target.zh}」",
            f"an order cannot go from '{current.en}' to '{target.en}'",
        )


def parse_status(text: str) -> OrderStatus:
    """Accept a status code or its Chinese label (imports carry either)."""
    value = text.strip()
    for status in OrderStatus:
        if value in (status.value, status.zh, status.en) or value == status.zh.split("(")[0]:
            return status
    # Other 发卡 systems' words: 已关闭 is an order closed (unpaid, timed out; one with a payment
    # time is a paid cancellation, which needs its refunded amount), 交易成功 a finished sale
    # (which needs its delivery time, as 已完成 does).
    aliases = {"待发货": S.PAID, "已支付": S.PAID, "已发货": S.DELIVERED, "已激活": S.DELIVERED,
               "已关闭": S.CANCELLED, "交易关闭": S.CANCELLED, "交易成功": S.COMPLETED}
    if value in aliases:
        return aliases[value]
    names = "、".join(s.zh.split("(")[0] for s in OrderStatus)
    raise TransitionError("unknown_status", f"未知的订单状态：{text}（可用：{names}、待发货，或状态代码）",
                          f"unknown order status: {text} (use one of {', '.join(s.value for s in OrderStatus)}, "
                          f"or its Chinese name: {names})")
