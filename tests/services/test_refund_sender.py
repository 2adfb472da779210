"""Who sent a refund to its gateway: the operator who asked (立即发送, ``refunds send``), or the
queue by itself; recorded in the order timeline before the call goes out and shown in the queue."""

from __future__ import annotations

import asyncio
import json

from kashop_desktop.domain.order import ReasonCode
from kashop_desktop.domain.roles import OWNER_NAME, Identity, Role
from kashop_desktop.services import operators, requests, views
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.refund_queue import SENT_ACTION, RefundQueue
from kashop_desktop.services.state_check import disagreements
from kashop_desktop.store.models import OrderEvent, Refund

from .helpers import order, sandbox


def _approved_refund(desk: Desk) -> tuple[str, int]:
    no = order(desk, "paid", gateway_id=sandbox(desk), paid_minutes_ago=600)
    _, rid = requests.open_request(desk, no, ReasonCode.WRONG_ITEM)
    requests.approve(desk, rid or 0)
    refund = Refund.get(Refund.request == rid)
    return no, int(refund.id)


def _send(desk: Desk, **kw: object) -> None:
    async def run() -> None:
        queue = RefundQueue(desk)
        try:
            await queue.send(**kw)  # type: ignore[arg-type]
        finally:
            await queue.aclose()

    asyncio.run(run())


def _sent_entries(order_no: str) -> list[tuple[str, str, dict[str, object]]]:
    rows = (OrderEvent.select().join_from(OrderEvent, OrderEvent.order.rel_model)
            .where((OrderEvent.action == SENT_ACTION) & (OrderEvent.order.rel_model.order_no == order_no))
            .order_by(OrderEvent.id))
    return [(e.actor, e.operator, json.loads(e.data)) for e in rows]


def _team(desk: Desk) -> None:
    operators.set_password(desk, OWNER_NAME, "owner-secret")
    operators.add(desk, "小王", Role.CLERK, "clerk-secret")
    operators.add(desk, "阿May", Role.VIEWER, "viewer-secret")


def test_a_send_by_hand_names_the_clerk_who_asked(desk: Desk) -> None:
    by_hand_no, by_hand = _approved_refund(desk)
    _team(desk)
    desk.sign_in(Identity("小王", Role.CLERK))
    _send(desk, refund_ids=[by_hand], by_hand=True)
    entries = _sent_entries(by_hand_no)
    assert [(actor, operator) for actor, operator, _ in entries] == [("owner", "小王")]
    data = entries[0][2]
    refund = Refund.get_by_id(by_hand)
    assert (data["refund_no"], data["by_hand"], data["attempt"]) == (refund.refund_no, True, 1)
    assert refund.state == "succeeded"
    shown = next(r for r in views.list_refunds(desk, None) if r.id == by_hand)
    assert (shown.sent_by, shown.sent_by_hand) == ("小王", True)
    assert views.refund_view(desk, by_hand).sent_by == "小王"
    assert [(r.sent_by, r.sent_by_hand) for r in views.order_detail(desk, by_hand_no).refunds] == [("小王", True)]
    assert disagreements(desk.db.connection()) == []  # the entry is part of the timeline check knows


def test_the_queue_by_itself_is_recorded_as_the_system_beside_whoever_was_signed_in(desk: Desk) -> None:
    auto_no, auto = _approved_refund(desk)
    never_no, never = _approved_refund(desk)
    Refund.update(next_attempt_at=2**40).where(Refund.id == never).execute()  # not due: the run leaves it
    _team(desk)
    desk.sign_in(Identity("阿May", Role.VIEWER))  # a viewer at the desk: the queue still sends what was approved
    _send(desk)
    assert [(actor, operator) for actor, operator, _ in _sent_entries(auto_no)] == [("system", "阿May")]
    assert _sent_entries(never_no) == []
    listed = {r.id: r for r in views.list_refunds(desk, None)}
    assert (listed[auto].sent_by, listed[auto].sent_by_hand) == ("阿May", False)
    assert (listed[never].sent_by, listed[never].sent_by_hand) == ("", None)
