"""Only the allowed transitions exist; anything else is a bilingual error."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kashop_desktop.domain.errors import TransitionError
from kashop_desktop.domain.states import (
    TRANSITIONS,
    OrderStatus,
    can_transition,
    check_transition,
    parse_status,
)

S = OrderStatus


@pytest.mark.parametrize(
    ("a", "b"),
    [(S.PENDING_PAYMENT, S.PAID), (S.PENDING_PAYMENT, S.CANCELLED), (S.PAID, S.DELIVERED), (S.PAID, S.CANCELLED),
     (S.DELIVERED, S.COMPLETED), (S.DELIVERED, S.REFUNDED), (S.CANCELLED, S.PENDING_PAYMENT)],
)
def test_allowed(a: OrderStatus, b: OrderStatus) -> None:
    assert can_transition(a, b)
    check_transition(a, b)  # raises if the table disagreed


@pytest.mark.parametrize(
    ("a", "b"),
    [(S.DELIVERED, S.CANCELLED), (S.COMPLETED, S.CANCELLED), (S.REFUNDED, S.PAID), (S.COMPLETED, S.DELIVERED),
     (S.PAID, S.PENDING_PAYMENT), (S.REFUNDED, S.CANCELLED), (S.PENDING_PAYMENT, S.DELIVERED)],
)
def test_refused_with_chinese_and_english(a: OrderStatus, b: OrderStatus) -> None:
    with pytest.raises(TransitionError) as info:
        check_transition(a, b)
    assert a.zh in info.value.zh and b.zh in info.value.zh
    assert a.en in info.value.en


def test_delivered_partial_refund_cannot_become_cancelled() -> None:
    assert can_transition(S.PARTIALLY_REFUNDED, S.CANCELLED)
    assert not can_transition(S.PARTIALLY_REFUNDED, S.CANCELLED, delivered=True)
    assert not can_transition(S.PARTIALLY_REFUNDED, S.DELIVERED, delivered=True)


@given(st.sampled_from(list(S)), st.sampled_from(list(S)))
def test_transition_table_is_the_only_truth(a: OrderStatus, b: OrderStatus) -> None:
    assert can_transition(a, b) == ((a, b) in TRANSITIONS)
    if not can_transition(a, b):
        with pytest.raises(TransitionError):
            check_transition(a, b)


@given(st.lists(st.sampled_from(list(S)), min_size=1, max_size=12))
def test_refunded_is_terminal_and_delivered_never_cancels(path: list[OrderStatus]) -> None:
    current = S.PENDING_PAYMENT
    delivered = False
    for target in path:
        if can_transition(current, target, delivered=delivered):
            current = target
            delivered = delivered or current in (S.DELIVERED, S.COMPLETED)
            assert not (delivered and current is S.CANCELLED)
    assert not any(can_transition(S.REFUNDED, t) for t in S)


def test_parse_status_accepts_codes_and_chinese() -> None:
    assert parse_status("paid") is S.PAID
    assert parse_status("待发货") is S.PAID
    assert parse_status("已发货") is S.DELIVERED
    assert parse_status("已退款") is S.REFUNDED
    with pytest.raises(TransitionError):
        parse_status("发货中")


def test_a_refund_recorded_as_made_outside_moves_the_order_as_an_approval_then_its_confirmation() -> None:
    from kashop_desktop.domain.refund_states import status_after_recorded

    def after(status: OrderStatus, delivered: bool, refunded: int, refundable: int, gross: int) -> OrderStatus:
        return status_after_recorded(status, delivered=delivered, paid_fen=50_00, refunded_fen=refunded,
                                     refundable_fen=refundable, gross_fen=gross)

    assert after(OrderStatus.PAID, False, 0, 50_00, 50_00) is OrderStatus.CANCELLED  # all back before delivery
    assert after(OrderStatus.PAID, False, 0, 50_00, 10_00) is OrderStatus.PARTIALLY_REFUNDED
    assert after(OrderStatus.DELIVERED, True, 0, 50_00, 50_00) is OrderStatus.REFUNDED
    assert after(OrderStatus.COMPLETED, True, 20_00, 30_00, 10_00) is OrderStatus.PARTIALLY_REFUNDED
    assert after(OrderStatus.CANCELLED, False, 20_00, 30_00, 30_00) is OrderStatus.CANCELLED  # stays cancelled
