"""Closing the gateway trade of an order cancelled or expired unpaid, against the fakes on loopback."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from kashop_desktop.domain.order import ReasonCode
from kashop_desktop.gateways.fakes import fake_class
from kashop_desktop.services import orders as order_ops
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.gateways import save_account
from kashop_desktop.services.payment_sync import OFFLINE_RETRY, PaymentSync
from kashop_desktop.services.trade_close import CloseJob, CloseReport, TradeCloser, close_now
from kashop_desktop.store.models import GatewayAccount, Order, PaymentWatch

from ..conftest import FakeClock
from .helpers import fake_gateway
from .test_payment_sync import codes_of, events, sync, unpaid


def closing(desk: Desk, order_nos: list[str] | None = None) -> CloseReport:
    return asyncio.run(close_now(desk, order_nos, adapter_kw={"timeout": 2.0}))


@pytest.fixture(params=["alipay", "wechatpay_v3"])
def closable(request: pytest.FixtureRequest, desk: Desk) -> Iterator[tuple[str, Any, int]]:
    with fake_gateway(desk, request.param) as made:
        yield made


def watch(order_no: str) -> PaymentWatch:
    return PaymentWatch.get(PaymentWatch.order == Order.get(Order.order_no == order_no).id)


def test_cancel_closes_the_trade_and_sync_stops_watching(desk: Desk, closable: tuple[str, Any, int]) -> None:
    _kind, server, gid = closable
    no = unpaid(desk, server, gid)
    if _kind == "alipay":
        server.scan(no)  # the buyer scanned: the trade exists at Alipay
    order_ops.cancel_unpaid(desk, no, ReasonCode.MISTAKEN)
    report = closing(desk)
    assert [(r.order_no, r.code) for r in report.results] == [(no, "closed")]
    assert server.ledger.payments[no].status == "closed" and watch(no).close_state == "closed"
    assert len(events(no, "trade_closed")) == 1
    assert closing(desk).results == []  # closed once
    assert sync(desk).results == []  # a closed trade cannot be paid: not watched


def test_a_close_racing_a_payment_hands_over_to_the_payment_path(desk: Desk, clock: FakeClock,
                                                                 closable: tuple[str, Any, int]) -> None:
    _kind, server, gid = closable
    no = unpaid(desk, server, gid)
    clock.advance(minutes=30)
    order_ops.expire_unpaid(desk)  # the desk expires the order ...
    server.pay_trade(no)  # ... while the buyer pays at the gateway
    report = closing(desk)
    assert [r.code for r in report.results] == ["paid"]
    assert report.handed_over is not None
    assert [r.code for r in report.handed_over.results] == ["late_reopened"]
    got = Order.get(Order.order_no == no)
    assert got.status == "delivered" and codes_of(no) == 1 and server.ledger.payments[no].status == "paid"
    assert sync(desk, [no]).results[0].code == "paid_here" and len(events(no, "deliver")) == 1


def test_gateway_down_or_a_kill_loses_no_close(desk: Desk, clock: FakeClock, closable: tuple[str, Any, int]) -> None:
    kind, server, gid = closable
    no = unpaid(desk, server, gid)
    if kind == "alipay":
        server.scan(no)
    order_ops.cancel_unpaid(desk, no, ReasonCode.MISTAKEN)
    config = server.account_config(kind)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        down = config["base_url"].replace(f":{server.port}", f":{probe.getsockname()[1]}")
    save_account(desk, f"fake-{kind}", kind, {**config, "base_url": down}, replace=True)
    report = closing(desk)
    assert [r.code for r in report.results] == ["offline"] and report.unreachable_gateways == {gid}
    assert watch(no).close_state == "closing" and server.ledger.payments[no].status == "pending"
    save_account(desk, f"fake-{kind}", kind, config, replace=True)
    # A desk killed right after it committed 'closing' for a second attempt: the next run asks again.
    clock.advance(seconds=OFFLINE_RETRY)
    TradeCloser(PaymentSync(desk))._mark_closing(CloseJob(Order.get(Order.order_no == no).id, no, gid, None))
    assert closing(desk).results == []  # not before its back-off
    clock.advance(seconds=3600)
    assert [r.code for r in closing(desk).results] == ["closed"]
    assert server.ledger.payments[no].status == "closed"


def test_epay_cannot_close_and_says_so_once(desk: Desk) -> None:
    server = fake_class("epay_v2")().start()
    try:
        save_account(desk, "易支付", "epay_v2", server.account_config("epay_v2"))
        gid = GatewayAccount.get(GatewayAccount.name == "易支付").id
        no = unpaid(desk, server, gid)
        order_ops.cancel_unpaid(desk, no, ReasonCode.MISTAKEN)
        assert [r.code for r in closing(desk).results] == ["unsupported"]
        assert closing(desk).results == [] and len(events(no, "trade_close_unsupported")) == 1
        server.pay_trade(no)  # the buyer pays anyway: sync still watches and takes it
        assert [r.code for r in sync(desk).results] == ["late_reopened"]
    finally:
        server.stop()


def test_alipay_qr_never_scanned_is_left_to_sync(desk: Desk) -> None:
    server = fake_class("alipay")().start()
    try:
        save_account(desk, "支付宝", "alipay", server.account_config("alipay"))
        gid = GatewayAccount.get(GatewayAccount.name == "支付宝").id
        no = unpaid(desk, server, gid)
        server.unscanned.add(no)  # precreated, nobody scanned the QR
        order_ops.cancel_unpaid(desk, no, ReasonCode.MISTAKEN)
        assert [r.code for r in closing(desk).results] == ["not_found"]
        assert watch(no).close_state == "not_found"
        server.pay_trade(no)  # scanned and paid later
        assert [r.code for r in sync(desk).results] == ["late_reopened"]
    finally:
        server.stop()
