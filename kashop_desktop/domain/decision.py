"""The one decision function: what may happen to a cancel request, and why.

Rules (from the founding documents):
  a. pending_payment: the owner cancels at once; stock and coupon are returned.
  b. paid, asked within the cooling-off window, amount up to the ceiling, buyer not
     flagged: auto-approved.
  c. paid otherwise: needs review.
  d. delivered/completed: only a dispute, which can be approved only when the code is known
     unused or the reason is merchant_fault; otherwise refused. Physical goods go through
     return-and-refund.
  e. products marked "no refunds" refuse every request after payment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from .order import BuyerHistory, CodeUsed, OrderFacts, ProductType, ReasonCode, RequestFacts
from .policy import CancelPolicy
from .states import OrderStatus


class Outcome(StrEnum):
    CANCEL_NOW = "cancel_now"
    AUTO_APPROVE = "auto_approve"
    NEEDS_REVIEW = "needs_review"
    REFUSE = "refuse"


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    reasons: tuple[Reason, ...]
    is_dispute: bool = False
    return_required: bool = False
    flagged: bool = False
    codes: tuple[str, ...] = field(default=())

    @property
    def can_approve(self) -> bool:
        return self.outcome in (Outcome.AUTO_APPROVE, Outcome.NEEDS_REVIEW)


def is_flagged(history: BuyerHistory, policy: CancelPolicy) -> bool:
    return history.manually_flagged or history.recent_cancellations >= policy.risk_cancel_count


def _decision(outcome: Outcome, *reasons: Reason, **kw: bool) -> Decision:
    return Decision(outcome, tuple(reasons), codes=tuple(r.code for r in reasons), **kw)


R_UNPAID = Reason("unpaid", "订单未支付，可直接取消，库存与优惠券退回", "unpaid: cancel at once; stock and coupon are returned")
R_CANCELLED = Reason("already_cancelled", "订单已取消", "the order is already cancelled")
R_CANCELLED_KEPT = Reason("cancelled_not_refunded", "订单已取消但款项未退回，需人工审核：批准后原路退回",
                          "the order is cancelled but its money was not refunded: needs review; approve to refund it "
                          "the original way")
R_CANCELLED_IN_FLIGHT = Reason("already_cancelled", "订单已取消，未退的款项已在退款中",
                               "the order is already cancelled and the money left is being refunded")
R_REFUNDED = Reason("already_refunded", "订单已全额退款", "the order is already fully refunded")
R_NO_REFUNDS = Reason("no_refunds", "该商品不支持退款", "this product is marked 'no refunds'")
R_IN_WINDOW = Reason("in_cooling_off", "在冷静期内申请", "asked within the cooling-off window")
R_OUT_WINDOW = Reason("outside_cooling_off", "超过冷静期，需人工审核", "asked after the cooling-off window: needs review")
R_OVER_CEILING = Reason("above_ceiling", "金额超过自动通过上限，需人工审核", "amount above the auto-approve ceiling: needs review")
R_FLAGGED = Reason("buyer_flagged", "买家近期频繁取消，已标记风险，不自动通过", "buyer cancels often and is flagged: never auto-approved")
R_VAGUE = Reason("vague_reason", "原因不明确，需人工审核", "vague reason: needs review")
R_DISPUTE = Reason("dispute", "已发货订单不可直接取消，只能发起售后争议", "delivered orders cannot be cancelled, only disputed")
R_UNUSED = Reason("code_unused", "卡密确认未使用，可批准退款", "the code is known to be unused: may be approved")
R_MERCHANT = Reason("merchant_fault", "商家原因(发错货/卡密无效)，可批准退款", "merchant fault (wrong or invalid code): may be approved")
R_USED = Reason("code_used_or_unknown", "卡密已使用或无法确认未使用，且非商家原因，拒绝", "the code is used or not known unused, and not the merchant's fault: refused")
R_PHYSICAL = Reason("return_and_refund", "实物商品需退货后退款", "physical goods: return and refund")
R_NOTHING = Reason("nothing_refundable", "没有可退金额", "nothing left to refund")
R_AMOUNT = Reason("amount_out_of_bounds", "退款金额超出可退金额", "the refund amount exceeds what is refundable")


def decide(
    order: OrderFacts,
    request: RequestFacts,
    now: datetime,
    policy: CancelPolicy,
    history: BuyerHistory,
) -> Decision:
    """Classify a request. Pure: same inputs, same answer."""
    status = order.status
    if status is OrderStatus.PENDING_PAYMENT:
        return _decision(Outcome.CANCEL_NOW, R_UNPAID)
    if status is OrderStatus.CANCELLED:
        return _cancelled(order, request)
    if status is OrderStatus.REFUNDED or order.refundable_fen <= 0:
        return _decision(Outcome.REFUSE, R_REFUNDED if status is OrderStatus.REFUNDED else R_NOTHING)
    if policy.no_refunds:
        return _decision(Outcome.REFUSE, R_NO_REFUNDS)
    if request.amount_fen is not None and not 0 < request.amount_fen <= order.refundable_fen:
        return _decision(Outcome.REFUSE, R_AMOUNT)
    if order.delivered_at is not None or status in (OrderStatus.DELIVERED, OrderStatus.COMPLETED):
        return _dispute(order, request)
    return _before_delivery(order, request, now, policy, history)


def _cancelled(order: OrderFacts, request: RequestFacts) -> Decision:
    """A cancelled order's money goes back with its cancellation (``status_on_approval``), so a
    cancelled order has nothing left to refund, but one that an older system cancelled without
    refunding it (imported as 已取消 with the money paid and 退款金额 0) or whose refund failed for
    good: that money is the buyer's, whatever the product's policy, to return in full or in part
    once the owner approves (or the order is restored, 恢复订单, and its goods delivered). One
    delivered before it was cancelled goes by the dispute rules, as any delivered order."""
    if order.refundable_fen <= 0:
        return _decision(Outcome.REFUSE, R_CANCELLED_IN_FLIGHT if order.refund_pending_fen > 0 else R_CANCELLED)
    if request.amount_fen is not None and not 0 < request.amount_fen <= order.refundable_fen:
        return _decision(Outcome.REFUSE, R_AMOUNT)
    if order.delivered_at is not None:  # its goods went out before it was cancelled: the dispute rules
        return _dispute(order, request)
    return _decision(Outcome.NEEDS_REVIEW, R_CANCELLED_KEPT)


def _dispute(order: OrderFacts, request: RequestFacts) -> Decision:
    if order.product_type is ProductType.PHYSICAL:
        return _decision(Outcome.NEEDS_REVIEW, R_DISPUTE, R_PHYSICAL, is_dispute=True, return_required=True)
    if request.reason is ReasonCode.MERCHANT_FAULT:
        return _decision(Outcome.NEEDS_REVIEW, R_DISPUTE, R_MERCHANT, is_dispute=True)
    if order.code_used is CodeUsed.NO:
        return _decision(Outcome.NEEDS_REVIEW, R_DISPUTE, R_UNUSED, is_dispute=True)
    return _decision(Outcome.REFUSE, R_DISPUTE, R_USED, is_dispute=True)


def _before_delivery(
    order: OrderFacts, request: RequestFacts, now: datetime, policy: CancelPolicy, history: BuyerHistory
) -> Decision:
    flagged = is_flagged(history, policy)
    amount = request.amount_fen if request.amount_fen is not None else order.refundable_fen
    paid_at = order.paid_at or order.created_at
    asked_at = min(request.requested_at, now)
    in_window = asked_at - paid_at <= timedelta(minutes=policy.cooling_off_minutes)
    blockers: list[Reason] = []
    if not in_window:
        blockers.append(R_OUT_WINDOW)
    if amount > policy.auto_approve_ceiling_fen:
        blockers.append(R_OVER_CEILING)
    if flagged:
        blockers.append(R_FLAGGED)
    if request.reason is ReasonCode.OTHER and not request.note.strip():
        blockers.append(R_VAGUE)
    if blockers:
        return _decision(Outcome.NEEDS_REVIEW, *blockers, flagged=flagged)
    return _decision(Outcome.AUTO_APPROVE, R_IN_WINDOW, flagged=flagged)
