"""Refund arithmetic: what is refundable, how coupon and points are prorated, the fee.

All amounts are integer fen. Shares are computed cumulatively (what the refunds so far
plus this one cover, minus what earlier refunds already covered), so rounding can never make
the parts of several partial refunds add up to more than the whole.

"Already refunded" here means confirmed plus in flight (``refund_pending_fen``): an approved
refund that has not settled yet still takes its share.

Fee rounding: the fee is `amount * rate / 10000` rounded *down* to the fen, in the buyer's
favour, and never charged when the merchant is at fault.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import DomainError
from .money import Fen
from .money import format_yuan as _yuan
from .order import OrderFacts


@dataclass(frozen=True, slots=True)
class RefundBreakdown:
    """One refund of `gross_fen` out of what the buyer paid."""

    refundable_fen: Fen  # before this refund
    gross_fen: Fen  # taken off the refundable amount
    fee_fen: Fen  # kept by the shop
    net_fen: Fen  # sent back to the buyer by the original route
    coupon_share_fen: Fen  # the coupon's prorated value behind this refund (not paid in cash)
    points_returned: int  # points given back as points
    full: bool  # this refund empties what is refundable
    coupon_returned: bool  # the coupon itself goes back to the buyer (full refund before delivery)

    @property
    def remaining_fen(self) -> Fen:
        return self.refundable_fen - self.gross_fen


def _share(total: int, part: int, whole: int) -> int:
    return total * part // whole if whole else 0


def fee_for(gross_fen: Fen, fee_rate_permyriad: int) -> Fen:
    return gross_fen * fee_rate_permyriad // 10_000


def breakdown(
    order: OrderFacts,
    gross_fen: Fen | None = None,
    *,
    fee_rate_permyriad: int = 0,
    waive_fee: bool = False,
) -> RefundBreakdown:
    """Compute the refund of `gross_fen` (default: everything refundable)."""
    refundable = order.refundable_fen
    amount = refundable if gross_fen is None else gross_fen
    if refundable <= 0:
        raise DomainError("nothing_refundable", "没有可退金额", "nothing left to refund")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise DomainError("refund_not_positive", "退款金额必须大于零", "a refund must be more than zero")
    if amount > refundable:
        raise DomainError(
            "refund_exceeds_refundable",
            f"退款金额 ¥{_yuan(amount)} 超过了可退金额（¥{_yuan(refundable)}）",
            f"a refund of ¥{_yuan(amount)} exceeds what is refundable (¥{_yuan(refundable)})",
        )
    paid = order.paid_fen
    covered = order.refunded_fen + order.refund_pending_fen  # confirmed and in flight
    after = covered + amount
    coupon_share = _share(order.coupon_fen, after, paid) - _share(order.coupon_fen, covered, paid)
    points_total_after = _share(order.points, after, paid)
    points_returned = max(0, min(order.points - order.points_refunded, points_total_after - order.points_refunded))
    fee = 0 if waive_fee else fee_for(amount, fee_rate_permyriad)
    full = amount == refundable
    return RefundBreakdown(
        refundable_fen=refundable,
        gross_fen=amount,
        fee_fen=fee,
        net_fen=amount - fee,
        coupon_share_fen=coupon_share,
        points_returned=points_returned,
        full=full,
        coupon_returned=full and covered == 0 and order.delivered_at is None and order.coupon_fen > 0,
    )


def send_refusal(
    *,
    gross_fen: Fen,
    net_fen: Fen,
    approved: tuple[Fen, Fen] | None,
    paid_fen: Fen,
    order_refunds_gross_fen: Fen,
    recorded_paid_fen: Fen | None = None,
) -> tuple[str, str] | None:
    """Why a refund must not be sent, as (zh, en), or None when it may go.

    The one rule every send path asks just before money leaves: a refund goes out only for the
    amount an approval made, and an order's refunds never add up to more than was paid.

    ``gross_fen`` / ``net_fen``: the refund row's amounts (fen). ``approved``: (gross_fen,
    net_fen) its approval event recorded in the order's chained timeline, or None when no
    approval names the refund. ``order_refunds_gross_fen``: the gross of every refund of the
    order that is not failed or withdrawn, this one included (fen). ``recorded_paid_fen``: the
    amount the order's creation recorded in its timeline, None when it recorded none; a paid
    amount that differs from it (raised outside the desk) is not trusted.
    """
    if recorded_paid_fen is not None and recorded_paid_fen != paid_fen:
        return (f"订单实付 ¥{_yuan(paid_fen)} 与时间线创建时记录的 ¥{_yuan(recorded_paid_fen)} 不一致：未发送，请店主核实",
                f"the order's paid amount ¥{_yuan(paid_fen)} is not the ¥{_yuan(recorded_paid_fen)} its timeline "
                "recorded when it was created: not sent; the owner must check")
    if approved is None:
        return ("没有批准记录写明这笔退款：未发送，请店主核实",
                "no approval in the order's timeline names this refund: not sent; the owner must check")
    a_gross, a_net = approved
    if (gross_fen, net_fen) != (a_gross, a_net):
        return (f"退款金额 ¥{_yuan(net_fen)}（扣款 ¥{_yuan(gross_fen)}）与批准时记录的 ¥{_yuan(a_net)}"
                f"（扣款 ¥{_yuan(a_gross)}）不一致：未发送，请店主核实",
                f"the refund's amount ¥{_yuan(net_fen)} (gross ¥{_yuan(gross_fen)}) differs from the "
                f"¥{_yuan(a_net)} (gross ¥{_yuan(a_gross)}) its approval recorded: not sent; the owner must check")
    if order_refunds_gross_fen > paid_fen:
        return (f"该订单的退款合计 ¥{_yuan(order_refunds_gross_fen)} 超过实付 ¥{_yuan(paid_fen)}：未发送，请店主核实",
                f"the order's refunds add up to ¥{_yuan(order_refunds_gross_fen)}, more than the "
                f"¥{_yuan(paid_fen)} paid: not sent; the owner must check")
    return None
