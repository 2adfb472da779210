"""Recording a held refund as paid back by hand asks the send's guard: a refund row raised outside
the desk is not counted as refunded at its raised amount."""

from __future__ import annotations

import pytest

from kashop_desktop.domain.errors import DomainError
from kashop_desktop.domain.refund_states import OutsideMethod
from kashop_desktop.services import refund_owner
from kashop_desktop.services.desk import Desk
from kashop_desktop.store.models import Order, Refund

from .test_refund_guard import _sql
from .test_refund_queue import approved_refund, send


def test_a_raised_refund_held_by_the_send_is_not_recorded_as_paid_outside(desk: Desk) -> None:
    ref = approved_refund(desk, "success")
    _sql(desk, "UPDATE refund SET amount_fen = 6000, gross_fen = 6000 WHERE id = ?", ref.id)
    send(desk)
    assert Refund.get_by_id(ref.id).state == "needs_owner"  # held by the send
    with pytest.raises(DomainError) as refused:
        refund_owner.resolve_manually(desk, ref.id, True, "paid in cash", how=OutsideMethod.CASH)
    assert refused.value.code == "refund_disagrees" and "its approval recorded" in refused.value.en
    assert "不能记为已退款" in refused.value.zh
    assert Refund.get_by_id(ref.id).state == "needs_owner" and Order.get_by_id(ref.order_id).refunded_fen == 0
    refund_owner.resolve_manually(desk, ref.id, False, "checked: never paid")  # failing it is always allowed
    assert Refund.get_by_id(ref.id).state == "failed"
