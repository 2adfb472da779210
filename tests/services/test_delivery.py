"""Delivery preview, completing, and revealing a delivered 卡密 (with its timeline entry)."""

from __future__ import annotations

import pytest

from kashop_desktop.domain.errors import DomainError
from kashop_desktop.services import delivery, views
from kashop_desktop.services import orders as ops
from kashop_desktop.services.desk import Desk
from kashop_desktop.store.models import CardCode

from .helpers import order, product


def test_the_preview_names_the_codes_delivery_takes_and_the_buyer(desk: Desk) -> None:
    p = product(desk, name="网易点卡 50元", codes=4)
    no = order(desk, prod=p, buyer="qq:12345", quantity=2)
    preview = delivery.deliver_preview(desk, no)
    assert preview.refusal is None and preview.buyer == "qq:12345"
    ops.deliver(desk, no)
    taken = views.order_detail(desk, no).card_code.splitlines()
    assert preview.codes == [views.mask_code(c) for c in taken]
    assert all(c not in "".join(preview.codes) for c in taken)  # masked, never in the clear
    again = delivery.deliver_preview(desk, no)
    assert again.refusal is not None and again.refusal.code == "already_delivered" and again.codes == []


def test_the_preview_refuses_when_codes_ran_out(desk: Desk) -> None:
    p = product(desk, name="空库存卡", codes=1)
    no = order(desk, prod=p, quantity=2)
    assert CardCode.select().where(CardCode.product == p.id).count() == 1
    assert delivery.deliver_preview(desk, no).refusal.code == "out_of_codes"


def test_only_a_delivered_order_completes(desk: Desk) -> None:
    paid = order(desk)
    assert delivery.complete_check(desk, paid).code == "not_completable"
    with pytest.raises(DomainError, match="只有已发货的订单可以"):
        delivery.complete_order(desk, paid)
    delivered = order(desk, "delivered")
    assert delivery.complete_check(desk, delivered) is None
    delivery.complete_order(desk, delivered)
    assert views.order_detail(desk, delivered).status.value == "completed"


def test_revealing_a_code_logs_who_and_when(desk: Desk, clock) -> None:
    no = order(desk, "delivered")
    changes, code = delivery.reveal_code(desk, no)
    detail = views.order_detail(desk, no)
    assert code == "CODE-XYZ-1234567" and detail.id in changes.order_ids
    assert code not in detail.card_code and detail.masked_code.endswith("4567")  # stored sealed, shown masked
    last = detail.events[-1]
    assert (last.action, last.actor, last.at) == ("reveal_code", "owner", clock())
    with pytest.raises(DomainError) as refused:
        delivery.reveal_code(desk, order(desk))  # paid, nothing delivered yet
    assert refused.value.code == "no_code"


def test_copying_a_code_logs_who_and_when_each_time(desk: Desk, clock) -> None:
    no = order(desk, "delivered")
    for minutes in (0, 3):
        clock.advance(minutes=minutes)
        changes, code = delivery.copy_code(desk, no)
        assert code == "CODE-XYZ-1234567"
        detail = views.order_detail(desk, no)
        assert detail.id in changes.order_ids
        last = detail.events[-1]
        assert (last.action, last.actor, last.at) == ("copy_code", "owner", clock())
    assert [e.action for e in views.order_detail(desk, no).events].count("copy_code") == 2
    with pytest.raises(ValueError):
        delivery.reveal_code(desk, no, action="deliver")  # only the two ways of taking a code
