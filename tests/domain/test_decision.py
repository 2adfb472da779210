"""One table test per seed rule (a-e), plus the risk flag and the cooling-off edges."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from kashop_desktop.domain.clock import SHOP_TZ
from kashop_desktop.domain.decision import Outcome, decide
from kashop_desktop.domain.order import (
    BuyerHistory,
    Channel,
    CodeUsed,
    OrderFacts,
    ProductType,
    ReasonCode,
    RequestFacts,
)
from kashop_desktop.domain.policy import CancelPolicy
from kashop_desktop.domain.states import OrderStatus

S = OrderStatus
T0 = datetime(2026, 11, 18, 10, 0, tzinfo=SHOP_TZ)
POLICY = CancelPolicy()
CLEAN = BuyerHistory(0)


def order(status: S = S.PAID, *, paid: int = 68_00, ptype: ProductType = ProductType.CARD_CODE,
          delivered: bool = False, used: CodeUsed = CodeUsed.UNKNOWN, refunded: int = 0) -> OrderFacts:
    return OrderFacts(
        "KS1", status, 1, ptype, 1, paid, 0, 0, paid, refunded, T0 - timedelta(minutes=1),
        None if status is S.PENDING_PAYMENT else T0, T0 + timedelta(minutes=1) if delivered else None,
        Channel.ALIPAY, used, "13800138000",
    )


def ask(minutes_after_payment: float, reason: ReasonCode = ReasonCode.MISTAKEN, amount: int | None = None,
        note: str = "") -> RequestFacts:
    return RequestFacts(reason, T0 + timedelta(minutes=minutes_after_payment), amount, note)


CASES = [
    # (rule, order, request, policy, history, outcome, reason codes that must be present)
    ("a unpaid cancels at once", order(S.PENDING_PAYMENT), ask(0), POLICY, CLEAN, Outcome.CANCEL_NOW, {"unpaid"}),
    ("b in window, under ceiling", order(), ask(5), POLICY, CLEAN, Outcome.AUTO_APPROVE, {"in_cooling_off"}),
    ("b window edge is inclusive", order(), ask(10), POLICY, CLEAN, Outcome.AUTO_APPROVE, {"in_cooling_off"}),
    ("c after the window", order(), ask(10.1), POLICY, CLEAN, Outcome.NEEDS_REVIEW, {"outside_cooling_off"}),
    ("c above the ceiling", order(paid=100_01), ask(1), POLICY, CLEAN, Outcome.NEEDS_REVIEW, {"above_ceiling"}),
    ("c ceiling itself passes", order(paid=100_00), ask(1), POLICY, CLEAN, Outcome.AUTO_APPROVE, set()),
    ("c flagged buyer never auto", order(), ask(1), POLICY, BuyerHistory(3), Outcome.NEEDS_REVIEW,
     {"buyer_flagged"}),
    ("c flagged by hand", order(), ask(1), POLICY, BuyerHistory(0, manually_flagged=True), Outcome.NEEDS_REVIEW,
     {"buyer_flagged"}),
    ("c vague reason", order(), ask(1, ReasonCode.OTHER), POLICY, CLEAN, Outcome.NEEDS_REVIEW, {"vague_reason"}),
    ("d delivered, code unused", order(S.DELIVERED, delivered=True, used=CodeUsed.NO), ask(60), POLICY, CLEAN,
     Outcome.NEEDS_REVIEW, {"dispute", "code_unused"}),
    ("d delivered, merchant fault", order(S.COMPLETED, delivered=True, used=CodeUsed.YES),
     ask(60, ReasonCode.MERCHANT_FAULT), POLICY, CLEAN, Outcome.NEEDS_REVIEW, {"dispute", "merchant_fault"}),
    ("d delivered, used code refused", order(S.DELIVERED, delivered=True, used=CodeUsed.YES), ask(60), POLICY,
     CLEAN, Outcome.REFUSE, {"dispute", "code_used_or_unknown"}),
    ("d delivered, unknown refused", order(S.DELIVERED, delivered=True), ask(2), POLICY, CLEAN, Outcome.REFUSE,
     {"code_used_or_unknown"}),
    ("d physical: return and refund", order(S.DELIVERED, ptype=ProductType.PHYSICAL, delivered=True), ask(60),
     POLICY, CLEAN, Outcome.NEEDS_REVIEW, {"return_and_refund"}),
    ("e no refunds after payment", order(), ask(1), replace(POLICY, no_refunds=True), CLEAN, Outcome.REFUSE,
     {"no_refunds"}),
    ("e no refunds, delivered too", order(S.DELIVERED, delivered=True, used=CodeUsed.NO),
     ask(1, ReasonCode.MERCHANT_FAULT), replace(POLICY, no_refunds=True), CLEAN, Outcome.REFUSE, {"no_refunds"}),
    ("cancelled, its money back, is final", order(S.CANCELLED, refunded=68_00), ask(1), POLICY, CLEAN,
     Outcome.REFUSE, {"already_cancelled"}),
    ("cancelled, its money kept: review", order(S.CANCELLED), ask(1), POLICY, CLEAN, Outcome.NEEDS_REVIEW,
     {"cancelled_not_refunded"}),
    ("cancelled, part kept: review", order(S.CANCELLED, refunded=30_00), ask(1, amount=38_00), POLICY, CLEAN,
     Outcome.NEEDS_REVIEW, {"cancelled_not_refunded"}),
    ("cancelled, more than kept asked", order(S.CANCELLED, refunded=30_00), ask(1, amount=38_01), POLICY, CLEAN,
     Outcome.REFUSE, {"amount_out_of_bounds"}),
    ("cancelled, money kept, no-refunds product", order(S.CANCELLED), ask(1), replace(POLICY, no_refunds=True),
     CLEAN, Outcome.NEEDS_REVIEW, {"cancelled_not_refunded"}),
    ("cancelled, money kept, never auto", order(S.CANCELLED, paid=1_00), ask(0), POLICY, CLEAN,
     Outcome.NEEDS_REVIEW, {"cancelled_not_refunded"}),
    ("cancelled after delivery, money kept: a dispute", order(S.CANCELLED, delivered=True), ask(60), POLICY, CLEAN,
     Outcome.REFUSE, {"dispute", "code_used_or_unknown"}),
    ("cancelled after delivery, unused code", order(S.CANCELLED, delivered=True, used=CodeUsed.NO), ask(60), POLICY,
     CLEAN, Outcome.NEEDS_REVIEW, {"dispute", "code_unused"}),
    ("refunded is final", order(S.REFUNDED, delivered=True, refunded=68_00), ask(1), POLICY, CLEAN, Outcome.REFUSE,
     {"already_refunded"}),
    ("amount above refundable", order(), ask(1, amount=68_01), POLICY, CLEAN, Outcome.REFUSE,
     {"amount_out_of_bounds"}),
]


@pytest.mark.parametrize(("rule", "facts", "req", "policy", "history", "outcome", "codes"), CASES,
                         ids=[c[0] for c in CASES])
def test_rule(rule: str, facts: OrderFacts, req: RequestFacts, policy: CancelPolicy, history: BuyerHistory,
              outcome: Outcome, codes: set[str]) -> None:
    decision = decide(facts, req, T0 + timedelta(minutes=30), policy, history)
    assert decision.outcome is outcome, decision.reasons
    assert codes <= set(decision.codes)
    assert all(r.zh and r.en for r in decision.reasons)


def test_a_cancelled_order_whose_money_is_being_refunded_says_so() -> None:
    facts = replace(order(S.CANCELLED), refund_pending_fen=68_00)
    decision = decide(facts, ask(1), T0, POLICY, CLEAN)
    assert decision.outcome is Outcome.REFUSE and "已在退款中" in decision.reasons[0].zh
    assert decide(order(S.CANCELLED, refunded=68_00), ask(1), T0, POLICY, CLEAN).reasons[0].zh == "订单已取消"


def test_risk_threshold_follows_the_policy() -> None:
    strict = replace(POLICY, risk_cancel_count=2)
    assert decide(order(), ask(1), T0, strict, BuyerHistory(2)).outcome is Outcome.NEEDS_REVIEW
    assert decide(order(), ask(1), T0, strict, BuyerHistory(1)).outcome is Outcome.AUTO_APPROVE


def test_request_in_window_stays_auto_even_if_decided_later() -> None:
    """The sweep may run after the window closed; what counts is when the buyer asked."""
    late_now = T0 + timedelta(hours=3)
    assert decide(order(), ask(2), late_now, POLICY, CLEAN).outcome is Outcome.AUTO_APPROVE
