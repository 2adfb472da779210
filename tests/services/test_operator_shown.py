"""Who did what is shown wherever an action is: the timeline's operator and the refund's approver."""

from __future__ import annotations

from kashop_desktop.domain.order import ReasonCode
from kashop_desktop.domain.roles import OWNER_NAME, Identity, Role
from kashop_desktop.services import operators, requests, views
from kashop_desktop.services.desk import Desk

from .helpers import order, sandbox


def test_the_clerks_approval_shows_the_clerk(desk: Desk) -> None:
    operators.set_password(desk, OWNER_NAME, "owner-secret")
    operators.add(desk, "小王", Role.CLERK, "clerk-secret")
    no = order(desk, "paid", gateway_id=sandbox(desk), paid_minutes_ago=600)
    _, rid = requests.open_request(desk, no, ReasonCode.WRONG_ITEM)
    desk.sign_in(Identity("小王", Role.CLERK))
    requests.approve(desk, rid or 0)
    detail = views.order_detail(desk, no)
    approved = [e for e in detail.events if e.action == "approved"]
    assert [(e.actor, e.operator) for e in approved] == [("owner", "小王")]
    assert [r.operator for r in detail.refunds] == ["小王"]
    assert [r.operator for r in views.list_refunds(desk, None)] == ["小王"]


def test_a_second_approval_names_the_state_in_words(desk: Desk) -> None:
    import pytest

    from kashop_desktop.domain.errors import DomainError

    no = order(desk, "paid", gateway_id=sandbox(desk), paid_minutes_ago=600)
    _, rid = requests.open_request(desk, no, ReasonCode.WRONG_ITEM)
    requests.approve(desk, rid or 0)
    with pytest.raises(DomainError) as again:
        requests.approve(desk, rid or 0)
    assert again.value.code == "request_not_open"
    assert "（已批准）" in again.value.zh and "(approved)" in again.value.en
    assert [s.en for s in requests.bulk_approve(desk, [rid or 0]).skipped] == [f"request {rid} was already decided (approved)"]
