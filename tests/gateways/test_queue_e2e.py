"""End to end for each real adapter: the refund queue sends through it to its local fake.

Scenarios: success, processing then success, rejection, and unknown outcome (the reply is lost
after the fake booked the refund: afterwards the fake's ledger holds exactly one refund).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kashop_desktop.domain.order import ReasonCode
from kashop_desktop.services import refund_queue as rq
from kashop_desktop.services import requests as reqs
from kashop_desktop.services.desk import Desk
from kashop_desktop.store.models import Order, Refund

from ..services.helpers import fake_gateway, order, send_refunds

KINDS = ["epay_v1", "epay_v2", "alipay", "wechatpay_v3"]


@pytest.fixture(params=KINDS)
def gateway(request: pytest.FixtureRequest, desk: Desk) -> Iterator[tuple[str, Any, int]]:
    with fake_gateway(desk, request.param) as made:
        yield made


def send(desk: Desk, **kw: Any) -> rq.QueueReport:
    return send_refunds(desk, adapter_kw={"timeout": 2.0}, **kw)


def approve_refund(desk: Desk, kind: str, server: Any, gateway_id: int, amount: int = 68_00) -> Refund:
    no = order(desk, gateway_id=gateway_id, paid_fen=amount, paid_minutes_ago=30)
    payment = server.add_payment(no, amount)
    Order.update(gateway_trade_no=payment.trade_no).where(Order.order_no == no).execute()
    _, rid = reqs.open_request(desk, no, ReasonCode.WRONG_ITEM, note="区服选错")
    reqs.approve(desk, rid, confirm_non_idempotent=(kind == "epay_v1"))
    return Refund.get(Refund.order == Order.get(Order.order_no == no).id)


def booked(server: Any, ref: Refund) -> list[Any]:
    return [r for r in server.ledger.refunds if r.out_trade_no == Order.get_by_id(ref.order_id).order_no]


def test_success(desk: Desk, gateway: tuple[str, Any, int]) -> None:
    kind, server, gid = gateway
    ref = approve_refund(desk, kind, server, gid)
    report = send(desk)
    assert report.succeeded == 1, Refund.get_by_id(ref.id).last_error
    assert Refund.get_by_id(ref.id).state == "succeeded"
    assert [r.amount_fen for r in booked(server, ref)] == [68_00]


def test_processing_then_success(desk: Desk, gateway: tuple[str, Any, int]) -> None:
    kind, server, gid = gateway
    if kind.startswith("epay"):
        pytest.skip("易支付 refunds are synchronous: there is no processing state")
    server.set_chaos(processing_first=True)
    ref = approve_refund(desk, kind, server, gid)
    send(desk)
    assert Refund.get_by_id(ref.id).state in ("processing", "unknown")
    for _ in range(4):
        send(desk, refund_ids=[ref.id], force=True)
        if Refund.get_by_id(ref.id).state == "succeeded":
            break
    assert Refund.get_by_id(ref.id).state == "succeeded"
    assert len(booked(server, ref)) == 1


def test_rejection(desk: Desk, gateway: tuple[str, Any, int]) -> None:
    kind, server, gid = gateway
    server.set_chaos(balance_not_enough=True)
    ref = approve_refund(desk, kind, server, gid)
    send(desk)
    ref = Refund.get_by_id(ref.id)
    assert ref.state == "failed" and "余额不足" in ref.last_error, ref.last_error
    assert booked(server, ref) == []


def test_unknown_outcome_then_exactly_one_refund(desk: Desk, gateway: tuple[str, Any, int]) -> None:
    kind, server, gid = gateway
    server.set_chaos(drop_after_booking_rate=1.0)
    ref = approve_refund(desk, kind, server, gid)
    send(desk)
    assert Refund.get_by_id(ref.id).state == "unknown"
    server.set_chaos(drop_after_booking_rate=0.0)
    for _ in range(3):
        send(desk, refund_ids=[ref.id], force=True)
    ref = Refund.get_by_id(ref.id)
    if kind == "epay_v1":
        # No refund key and no refund query: never re-sent, left for the owner to check.
        assert ref.state == "needs_owner" and ref.last_error_kind == "needs_owner"
    else:
        assert ref.state == "succeeded"
    assert len(booked(server, ref)) == 1
