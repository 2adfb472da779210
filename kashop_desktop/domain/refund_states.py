"""Refund states, their one word each, and the rules for refunds that do not settle.

Every screen, the command line and the README use the labels defined here, so one refund
never shows under two names.

A refund is *in flight* (its money is 退款中, ``refund_pending_fen``) from approval until it
reaches a final state: ``succeeded`` (the gateway confirmed it, or the owner resolved it as
refunded, possibly outside the desk), ``failed`` (the gateway refused it, or the owner found
that it did not happen) or ``withdrawn`` (never sent, taken back when the owner restored its
order: nothing to retry or resolve). Only ``succeeded`` counts in ``refunded_fen``.

Refunds that do not settle are asked again with back-off; after ``MAX_CHECKS`` questions,
``MAX_SENDS`` sends that the gateway then could not find, or ``MAX_DAYS`` since the first
send, the refund waits for the owner (``needs_owner``) instead of being asked for ever.
"""

from __future__ import annotations

from enum import StrEnum

from .errors import DomainError
from .order import OrderFacts
from .states import OrderStatus, can_transition


class RefundStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    PROCESSING = "processing"
    UNKNOWN = "unknown"
    NEEDS_OWNER = "needs_owner"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"  # never sent, taken back when its order was restored

    @property
    def zh(self) -> str:
        return REFUND_STATUS_ZH[self]

    @property
    def en(self) -> str:
        return REFUND_STATUS_EN[self]

    @property
    def final(self) -> bool:
        return self in FINAL_REFUND_STATES


R = RefundStatus

REFUND_STATUS_ZH: dict[RefundStatus, str] = {
    R.QUEUED: "待发送",
    R.SENDING: "发送中",
    R.PROCESSING: "网关处理中",
    R.UNKNOWN: "结果未知",
    R.NEEDS_OWNER: "待人工处理",
    R.SUCCEEDED: "退款成功",
    R.FAILED: "退款失败",
    R.WITHDRAWN: "已撤回",
}
REFUND_STATUS_EN: dict[RefundStatus, str] = {
    R.QUEUED: "Waiting to send",
    R.SENDING: "Sending",
    R.PROCESSING: "Processing at the gateway",
    R.UNKNOWN: "Outcome unknown",
    R.NEEDS_OWNER: "Needs the owner",
    R.SUCCEEDED: "Refunded",
    R.FAILED: "Refund failed",
    R.WITHDRAWN: "Withdrawn",
}

#: The order the states are shown in (tabs, counts, `refunds list`).
REFUND_STATES_SHOWN: tuple[RefundStatus, ...] = (
    R.NEEDS_OWNER, R.QUEUED, R.SENDING, R.PROCESSING, R.UNKNOWN, R.FAILED, R.SUCCEEDED, R.WITHDRAWN,
)
FINAL_REFUND_STATES = frozenset({R.SUCCEEDED, R.FAILED, R.WITHDRAWN})
#: Final states in which no money went back (the points did not either).
NOT_PAID_REFUND_STATES = frozenset({R.FAILED, R.WITHDRAWN})
#: Not final: the money is in flight (退款中) and the owner may resolve the refund.
IN_FLIGHT_REFUND_STATES = frozenset(set(RefundStatus) - FINAL_REFUND_STATES)
#: States the queue asks the gateway about before anything is sent again.
ASK_FIRST_STATES = frozenset({R.SENDING, R.PROCESSING, R.UNKNOWN, R.NEEDS_OWNER})
#: States the queue picks by itself (needs_owner only when the owner asks for it).
AUTO_STATES = frozenset({R.QUEUED, R.SENDING, R.PROCESSING, R.UNKNOWN})

#: ``last_error_kind`` of a refund approved with no gateway account: it waits for the owner
#: (needs_owner) from the start, since nothing can send it.
NO_GATEWAY = "no_gateway"


def never_sent(state: RefundStatus, attempts: int) -> bool:
    """Whether no money can have moved for this refund yet: waiting to send, or waiting for the
    owner without ever having been sent (no gateway account). Such a refund may be withdrawn."""
    return state is R.QUEUED or (state is R.NEEDS_OWNER and attempts <= 0)


PENDING_LABEL_ZH = "退款中"
PENDING_LABEL_EN = "Refund in progress"


class OutsideMethod(StrEnum):
    """How the owner says a refund was made when not through the gateway (or checked there)."""

    GATEWAY = "gateway"  # checked in the gateway's back office: it did (or did not) happen there
    CASH = "cash"
    BANK_TRANSFER = "bank_transfer"
    OTHER = "other"

    @property
    def zh(self) -> str:
        return {"gateway": "网关后台核实", "cash": "现金", "bank_transfer": "银行转账", "other": "其他方式"}[self.value]

    @property
    def en(self) -> str:
        return {"gateway": "checked in the gateway's back office", "cash": "cash",
                "bank_transfer": "bank transfer", "other": "another way"}[self.value]


def gateway_verified_refusal(state: RefundStatus, has_gateway: bool, attempts: int) -> DomainError | None:
    """Why the owner may not record a refund as refunded *through its gateway* (checked in the
    gateway's back office), or None when that fits.

    A refund with no gateway account, never sent (``attempts`` 0), or that the gateway refused
    for good (``failed``) cannot have been paid by the gateway: only "refunded outside the desk"
    (cash, bank transfer, another way) fits it.
    """
    if not has_gateway:
        why = ("该退款没有网关账户，网关不可能退过这笔钱", "this refund has no gateway account: the gateway cannot have paid it")
    elif state is R.FAILED:
        why = ("网关已明确拒绝该退款，网关不可能退过这笔钱", "the gateway refused this refund: it cannot have paid it")
    elif attempts <= 0:
        why = ("该退款从未发送到网关，网关不可能退过这笔钱", "this refund was never sent: the gateway cannot have paid it")
    else:
        return None
    return DomainError(
        "not_gateway_verifiable",
        f"{why[0]}；请记录在系统外退款的方式（现金、银行转账或其他方式）",
        f"{why[1]}; record how it was refunded outside the desk (cash, bank transfer or another way)",
    )


# ---- refunds that do not settle ------------------------------------------------------------------

MAX_CHECKS = 20  # questions to the gateway about one refund before the owner is asked
MAX_SENDS = 5  # sends the gateway later could not find, before the owner is asked
MAX_DAYS = 7  # days since the first send before the owner is asked
BACKOFF_FIRST_S = 5
BACKOFF_CAP_S = 6 * 3600


def backoff_seconds(tries: int) -> int:
    """Seconds before the next question after ``tries`` (>= 1) unanswered ones: 5 s doubling
    to a cap of 6 h (20 questions span about two days)."""
    return int(min(BACKOFF_CAP_S, BACKOFF_FIRST_S * 2 ** max(0, tries - 1)))


def needs_owner(checks: int, sends: int, first_sent_at: int | None, now: int) -> bool:
    """Whether a refund that is still not final should stop being asked automatically.

    ``checks``: questions asked so far; ``sends``: times it was sent; times in epoch seconds.
    """
    if checks >= MAX_CHECKS or sends > MAX_SENDS:
        return True
    return first_sent_at is not None and now - first_sent_at >= MAX_DAYS * 86_400


# ---- what the order's status and money become ------------------------------------------------------

def status_on_approval(order: OrderFacts, gross_fen: int) -> OrderStatus:
    """The order's status once a refund of ``gross_fen`` is approved (before any money moves).

    An undelivered order whose approval takes everything still refundable is cancelled now: the
    goods will not go out, stock and coupon go back. Otherwise the status waits for the money:
    it changes only when the gateway confirms (``status_after_refund``).
    """
    return _on_approval(order.status, order.delivered_at is not None, order.refundable_fen, gross_fen)


def _on_approval(status: OrderStatus, delivered: bool, refundable_fen: int, gross_fen: int) -> OrderStatus:
    if not delivered and gross_fen >= refundable_fen:
        return OrderStatus.CANCELLED
    return status


def status_after_recorded(status: OrderStatus, *, delivered: bool, paid_fen: int, refunded_fen: int,
                          refundable_fen: int, gross_fen: int) -> OrderStatus:
    """The order's status once a refund of ``gross_fen`` made outside the desk is recorded
    (``services.requests.record_outside``): approved (``status_on_approval``) and confirmed at
    once (``status_after_refund``); ``refunded_fen`` and ``refundable_fen`` are before it (fen)."""
    target = _on_approval(status, delivered, refundable_fen, gross_fen)
    return status_after_refund(target, paid_fen, refunded_fen + gross_fen, delivered)


def status_after_refund(current: OrderStatus, paid_fen: int, refunded_fen: int, delivered: bool) -> OrderStatus:
    """The order's status once a refund succeeded and ``refunded_fen`` (confirmed) is the total.

    A cancelled order stays cancelled; otherwise all of the money back is 已退款 and part of it
    部分退款. Nothing else changes an order's status on a refund's outcome: a refund that fails
    for good leaves the order as it was, with the money refundable again.
    """
    if current is OrderStatus.CANCELLED or refunded_fen <= 0:
        return current
    target = OrderStatus.REFUNDED if refunded_fen >= paid_fen else OrderStatus.PARTIALLY_REFUNDED
    return target if can_transition(current, target, delivered=delivered) else current
