"""The refund queue against the sandbox: each scenario, exactly once, and crash safety."""

from __future__ import annotations

from pathlib import Path

from kashop_desktop.domain.order import ReasonCode
from kashop_desktop.gateways.ledgerfile import LedgerFile
from kashop_desktop.services import refund_queue as rq
from kashop_desktop.services import requests as reqs
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.gateways import save_account
from kashop_desktop.store.models import GatewayAccount, Order, OrderEvent, Refund

from .helpers import order, sandbox, send_refunds

send = send_refunds


def approved_refund(desk: Desk, scenario: str, buyer: str = "13800138000") -> Refund:
    no = order(desk, gateway_id=sandbox(desk, scenario), paid_minutes_ago=1, buyer=buyer)
    reqs.open_request(desk, no, ReasonCode.MISTAKEN)
    return Refund.get(Refund.order == Order.get(Order.order_no == no).id)


def ledger(desk: Desk) -> LedgerFile:
    return LedgerFile(Path(desk.data_dir) / "sandbox-ledger.sqlite3")


def test_success(desk: Desk) -> None:
    ref = approved_refund(desk, "success")
    report = send(desk)
    assert report.succeeded == 1
    ref = Refund.get_by_id(ref.id)
    assert ref.state == "succeeded" and ref.settled_at and ref.attempts == 1
    assert send(desk).picked == 0  # nothing left; never sent twice
    assert ledger(desk).calls(ref.refund_no) == 1
    actions = [e.action for e in OrderEvent.select().where(OrderEvent.order == ref.order_id)]
    assert actions[-1] == "refund_succeeded"


def test_processing_then_success(desk: Desk, clock) -> None:
    ref = approved_refund(desk, "processing")
    assert send(desk).processing == 1
    assert Refund.get_by_id(ref.id).state == "processing"
    clock.advance(seconds=10)
    send(desk)  # first query: still processing
    clock.advance(seconds=10)
    send(desk)
    assert Refund.get_by_id(ref.id).state == "succeeded"
    assert ledger(desk).calls(ref.refund_no) == 1  # queried, never re-sent


def test_rejection_is_failed_with_the_code_and_can_be_retried(desk: Desk) -> None:
    ref = approved_refund(desk, "reject")
    assert send(desk).failed == 1
    ref = Refund.get_by_id(ref.id)
    assert ref.state == "failed" and "SELLER_BALANCE_NOT_ENOUGH" in ref.last_error and "商户余额不足" in ref.last_error
    GatewayAccount.update(config='{"scenario": "success"}').where(GatewayAccount.id == ref.gateway_id).execute()
    rq.retry(desk, ref.id)
    send(desk)
    ref = Refund.get_by_id(ref.id)
    assert ref.state == "succeeded" and ref.refund_no == Refund.get_by_id(ref.id).refund_no


def test_timeout_unknown_then_resolved_by_query_with_one_booking(desk: Desk, clock) -> None:
    ref = approved_refund(desk, "timeout")
    report = send(desk)
    assert report.unknown == 1
    assert Refund.get_by_id(ref.id).state == "unknown"
    clock.advance(minutes=5)
    send(desk)
    assert Refund.get_by_id(ref.id).state == "succeeded"
    assert ledger(desk).refunds() == [(ref.refund_no, ref.amount_fen, "succeeded")]
    assert ledger(desk).calls(ref.refund_no) == 1


def test_crash_in_sending_is_resolved_by_query_not_resent(desk: Desk, clock) -> None:
    """The desk died after the gateway booked the refund but before the reply was stored."""
    ref = approved_refund(desk, "success")
    order_no = Order.get_by_id(ref.order_id).order_no
    ledger(desk).book(ref.refund_no, order_no, ref.amount_fen, "succeeded")  # the gateway has it
    Refund.update(state="sending", attempts=1).where(Refund.id == ref.id).execute()  # what the crash left
    send(desk)
    assert Refund.get_by_id(ref.id).state == "succeeded"
    assert ledger(desk).calls(ref.refund_no) == 1  # the one before the crash; nothing blind


def test_crash_before_the_request_left_is_sent_once_with_the_same_key(desk: Desk) -> None:
    ref = approved_refund(desk, "success")
    Refund.update(state="sending", attempts=1).where(Refund.id == ref.id).execute()
    send(desk)  # query says not found -> send with the same refund no
    ref2 = Refund.get_by_id(ref.id)
    assert ref2.state == "succeeded" and ref2.refund_no == ref.refund_no
    assert ledger(desk).calls(ref.refund_no) == 1


def test_unreachable_gateway_keeps_refund_queued(desk: Desk) -> None:
    """Offline: the approval stays recorded and queued; nothing is guessed."""
    from kashop_desktop.gateways.fakes.epay import FakeEpayServer

    server = FakeEpayServer().start()
    config = server.account_config("epay_v2")
    server.stop()  # the gateway is now unreachable
    save_account(desk, "epay-offline", "epay_v2", config)
    gateway_id = GatewayAccount.get(GatewayAccount.name == "epay-offline").id
    no = order(desk, gateway_id=gateway_id, paid_minutes_ago=1)
    reqs.open_request(desk, no, ReasonCode.MISTAKEN)
    report = send(desk)
    ref = Refund.get(Refund.order == Order.get(Order.order_no == no).id)
    assert (ref.state, ref.last_error_kind) == ("queued", "offline")
    assert report.unreachable_gateways == {gateway_id} and report.requeued == 1


def test_many_refunds_are_sent_concurrently(desk: Desk) -> None:
    for i in range(20):
        approved_refund(desk, "success", buyer=f"buyer{i}")
    report = send(desk)
    assert report.succeeded == 20
    assert len(ledger(desk).refunds()) == 20


def test_refund_actions_follow_the_state() -> None:
    from kashop_desktop.services.views import refund_actions

    assert refund_actions("failed", "rejected", True, False, False) == {"retry", "resolve"}
    assert refund_actions("failed", "withdrawn", True, False, False) == frozenset()
    assert refund_actions("unknown", "needs_owner", True, True, True) == {"query", "resolve"}
    assert refund_actions("queued", "", True, True, False) == {"query", "confirm", "resolve"}
    assert refund_actions("queued", "", False, False, False) == {"resolve"}  # no gateway: by hand
    assert refund_actions("succeeded", "", True, False, False) == frozenset()
