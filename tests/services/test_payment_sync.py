"""Payment sync (补单) against each gateway's fake over loopback HTTP.

The buyer pays "from outside": through the fake's admin endpoint, as another process would.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from kashop_desktop.domain.clock import to_epoch
from kashop_desktop.gateways.base import InboundHttp
from kashop_desktop.gateways.fakes import fake_class
from kashop_desktop.services import orders as order_ops
from kashop_desktop.services.code_import import import_codes
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.gateways import save_account
from kashop_desktop.services.payment_sync import BACKOFF, OFFLINE_RETRY, PaymentSync, SyncReport
from kashop_desktop.services.payments import flag_of, take_notification
from kashop_desktop.services.products import backorders
from kashop_desktop.store.models import CardCode, GatewayAccount, Order, OrderEvent, PaymentWatch, Refund

from ..conftest import FakeClock
from .helpers import fake_gateway, order, product

KINDS = ["epay_v1", "epay_v2", "alipay", "wechatpay_v3"]


@pytest.fixture(params=KINDS)
def gateway(request: pytest.FixtureRequest, desk: Desk) -> Iterator[tuple[str, Any, int]]:
    with fake_gateway(desk, request.param) as made:
        yield made


def sync(desk: Desk, order_nos: list[str] | None = None) -> SyncReport:
    async def run() -> SyncReport:
        s = PaymentSync(desk, adapter_kw={"timeout": 2.0})
        try:
            return await s.run(order_nos)
        finally:
            await s.aclose()

    return asyncio.run(run())


def pay_from_outside(server: Any, order_no: str, **extra: Any) -> None:
    """The buyer pays: the fake's admin endpoint, over HTTP like a second process."""
    resp = httpx.post(f"{server.url}__fake__/pay", json={"out_trade_no": order_no, **extra}, timeout=5)
    assert resp.status_code == 200, resp.text


def unpaid(desk: Desk, server: Any, gid: int, amount: int = 68_00, **kw: Any) -> str:
    no = order(desk, "pending_payment", gateway_id=gid, paid_fen=amount, paid_minutes_ago=1, **kw)
    server.add_payment(no, amount, status="pending")
    return no


def events(order_no: str, action: str) -> list[OrderEvent]:
    oid = Order.get(Order.order_no == order_no).id
    return list(OrderEvent.select().where((OrderEvent.order == oid) & (OrderEvent.action == action)))


def codes_of(order_no: str) -> int:
    return CardCode.select().where(CardCode.order_id == Order.get(Order.order_no == order_no).id).count()


def test_paid_before_the_first_poll_is_marked_paid_and_delivered(desk: Desk, gateway: tuple[str, Any, int]) -> None:
    _kind, server, gid = gateway
    no = unpaid(desk, server, gid)
    pay_from_outside(server, no)
    report = sync(desk)
    assert [r.code for r in report.results] == ["paid_delivered"], report.results
    got = Order.get(Order.order_no == no)
    assert got.status == "delivered" and got.gateway_trade_no == server.ledger.payments[no].trade_no
    assert codes_of(no) == 1 and len(events(no, "deliver")) == 1 and len(events(no, "payment_found")) == 1


def test_paid_after_one_poll(desk: Desk, gateway: tuple[str, Any, int]) -> None:
    _kind, server, gid = gateway
    no = unpaid(desk, server, gid)
    first = sync(desk)
    assert [r.code for r in first.results] == ["pending"]
    assert Order.get(Order.order_no == no).status == "pending_payment"
    pay_from_outside(server, no)
    second = sync(desk, [no])  # the button: at once, whatever the schedule
    assert [r.code for r in second.results] == ["paid_delivered"]
    assert Order.get(Order.order_no == no).status == "delivered"


def test_paid_after_many_polls_with_back_off(desk: Desk, clock: FakeClock, gateway: tuple[str, Any, int]) -> None:
    _kind, server, gid = gateway
    no = unpaid(desk, server, gid)
    waits = []
    for _ in range(5):
        report = sync(desk)
        assert [r.code for r in report.results] == ["pending"]
        assert sync(desk).results == []  # not due again yet
        watch = PaymentWatch.get(PaymentWatch.order == Order.get(Order.order_no == no).id)
        waits.append(watch.next_check_at - to_epoch(clock()))
        clock.advance(seconds=waits[-1])
    assert waits == list(BACKOFF[1:6])  # each wait longer than the last
    pay_from_outside(server, no)
    assert [r.code for r in sync(desk).results] == ["paid_delivered"]
    assert sync(desk).results == []  # paid: no longer watched


def test_sync_notification_and_mark_paid_deliver_once(desk: Desk) -> None:
    server = fake_class("alipay")().start()
    try:
        save_account(desk, "ali", "alipay", server.account_config("alipay"))
        gid = GatewayAccount.get(GatewayAccount.name == "ali").id
        no = unpaid(desk, server, gid)
        pay_from_outside(server, no)
        trade_no = server.ledger.payments[no].trade_no
        body = urlencode(server.notify_params(no)).encode()
        http = InboundHttp("POST", "/notify", headers={"content-type": "application/x-www-form-urlencoded"}, body=body)
        first = take_notification(desk, gid, http)
        assert first is not None and first.code == "paid_delivered"
        assert [r.code for r in sync(desk, [no]).results] == ["paid_here"]  # paid: said so, nothing to ask
        again = take_notification(desk, gid, http)  # Alipay sends it again
        assert again is not None and again.code == "already_paid"
        assert "already_paid" in order_ops.mark_paid(desk, no, trade_no, confirmed=True).messages
        assert len(events(no, "deliver")) == 1 and codes_of(no) == 1
    finally:
        server.stop()


def test_sync_after_mark_paid_changes_nothing(desk: Desk, gateway: tuple[str, Any, int]) -> None:
    _kind, server, gid = gateway
    no = unpaid(desk, server, gid)
    sync(desk)  # watched, pending
    pay_from_outside(server, no)
    order_ops.mark_paid(desk, no, server.ledger.payments[no].trade_no, confirmed=True)
    report = sync(desk, [no])
    assert [r.code for r in report.results] == ["paid_here"]
    assert len(events(no, "deliver")) == 1 and codes_of(no) == 1


def test_amount_mismatch_is_flagged_not_delivered(desk: Desk, gateway: tuple[str, Any, int]) -> None:
    _kind, server, gid = gateway
    no = order(desk, "pending_payment", gateway_id=gid, paid_fen=68_00, paid_minutes_ago=1)
    server.add_payment(no, 60_00, status="pending")
    pay_from_outside(server, no)
    report = sync(desk)
    assert [r.code for r in report.results] == ["amount_mismatch"] and report.flagged == 1
    got = Order.get(Order.order_no == no)
    assert got.status == "pending_payment" and got.paid_at is None and codes_of(no) == 0
    flag, facts = flag_of(got.id)
    assert flag == "amount_mismatch" and facts["gateway_fen"] == 60_00 and facts["order_fen"] == 68_00
    sync(desk, [no])  # asked again: the same finding is not written twice
    assert len(events(no, "payment_flagged")) == 1


def test_trade_unknown_to_the_gateway_is_left_alone(desk: Desk, gateway: tuple[str, Any, int]) -> None:
    _kind, _server, gid = gateway
    no = order(desk, "pending_payment", gateway_id=gid, paid_minutes_ago=1)
    report = sync(desk)
    assert [r.code for r in report.results] == ["not_found"]
    assert Order.get(Order.order_no == no).status == "pending_payment"
    assert not events(no, "payment_flagged")


def test_unreachable_gateway_guesses_nothing_and_resumes(desk: Desk, clock: FakeClock,
                                                         gateway: tuple[str, Any, int]) -> None:
    kind, server, gid = gateway
    no = unpaid(desk, server, gid)
    pay_from_outside(server, no)
    config = server.account_config(kind)
    with socket.socket() as probe:  # a port nobody listens on: the gateway is down
        probe.bind(("127.0.0.1", 0))
        down = config["base_url"].replace(f":{server.port}", f":{probe.getsockname()[1]}")
    save_account(desk, f"fake-{kind}", kind, {**config, "base_url": down}, replace=True)
    report = sync(desk)
    assert [r.code for r in report.results] == ["unreachable"] and report.unreachable_gateways == {gid}
    assert Order.get(Order.order_no == no).status == "pending_payment"
    watch = PaymentWatch.get(PaymentWatch.order == Order.get(Order.order_no == no).id)
    assert watch.answer == "unreachable" and watch.next_check_at == to_epoch(clock()) + OFFLINE_RETRY
    save_account(desk, f"fake-{kind}", kind, config, replace=True)  # it answers again
    assert sync(desk).results == []  # not before its time
    clock.advance(seconds=OFFLINE_RETRY)
    assert [r.code for r in sync(desk).results] == ["paid_delivered"]


def test_late_payment_reopens_and_delivers(desk: Desk, clock: FakeClock, gateway: tuple[str, Any, int]) -> None:
    _kind, server, gid = gateway
    no = unpaid(desk, server, gid)
    clock.advance(minutes=30)
    order_ops.expire_unpaid(desk)
    assert Order.get(Order.order_no == no).status == "cancelled"
    pay_from_outside(server, no)
    report = sync(desk)
    assert [r.code for r in report.results] == ["late_reopened"]
    got = Order.get(Order.order_no == no)
    assert got.status == "delivered" and got.cancelled_at is None and codes_of(no) == 1
    assert len(events(no, "late_payment")) == 1


def test_late_payment_without_stock_is_a_backorder(desk: Desk, clock: FakeClock,
                                                   gateway: tuple[str, Any, int]) -> None:
    _kind, server, gid = gateway
    prod = product(desk, name="限量卡", stock=1, codes=1)
    no = unpaid(desk, server, gid, prod=prod)
    clock.advance(minutes=30)
    order_ops.expire_unpaid(desk)
    order(desk, "paid", prod=prod)
    order_ops.deliver(desk, Order.select().where(Order.product == prod.id, Order.status == "paid").get().order_no)
    assert not CardCode.select().where(CardCode.product == prod.id, CardCode.state == "available").exists()
    pay_from_outside(server, no)
    report = sync(desk)
    assert [r.code for r in report.results] == ["late_backorder"] and report.flagged == 1
    got = Order.get(Order.order_no == no)
    assert got.status == "paid" and got.paid_at is not None and got.delivered_at is None
    assert flag_of(got.id)[0] == "backorder"
    late = events(no, "late_payment")
    assert len(late) == 1 and json.loads(late[0].data)["refund_offered"] is True
    assert [b.order_no for b in backorders(desk)] == [no]  # in the queue a code import fills
    import_codes(desk, prod.name, ["LATE-PAYER-CODE-0001"])
    got = Order.get(Order.order_no == no)
    assert got.status == "delivered" and codes_of(no) == 1 and got.backorder_at is None


def test_one_trade_no_never_pays_two_orders(desk: Desk) -> None:
    server = fake_class("wechatpay_v3")().start()
    try:
        save_account(desk, "wx", "wechatpay_v3", server.account_config("wechatpay_v3"))
        gid = GatewayAccount.get(GatewayAccount.name == "wx").id
        no = unpaid(desk, server, gid)
        pay_from_outside(server, no)
        trade_no = server.ledger.payments[no].trade_no
        other = order(desk, "paid", gateway_id=gid, gateway_trade_no=trade_no)  # typed in by hand earlier
        report = sync(desk)
        assert [r.code for r in report.results] == ["trade_no_taken"]
        assert Order.get(Order.order_no == no).paid_at is None
        assert Order.get(Order.order_no == other).gateway_trade_no == trade_no
    finally:
        server.stop()


def test_the_fake_takes_a_wrong_amount_and_refuses_to_pay_a_closed_trade(desk: Desk,
                                                                        gateway: tuple[str, Any, int]) -> None:
    kind, server, gid = gateway
    no = unpaid(desk, server, gid)
    pay_from_outside(server, no, amount_fen=60_00)  # the buyer's app took another amount
    assert [r.code for r in sync(desk).results] == ["amount_mismatch"]
    assert flag_of(Order.get(Order.order_no == no).id)[1]["gateway_fen"] == 60_00
    bad = httpx.post(f"{server.url}__fake__/pay", json={"out_trade_no": no, "amount_fen": "lots"}, timeout=5)
    assert bad.status_code == 400
    if kind in ("alipay", "wechatpay_v3"):
        closed = unpaid(desk, server, gid)
        server.ledger.payments[closed].status = "closed"  # closed at the gateway (alipay.trade.close / 关闭订单)
        refused = httpx.post(f"{server.url}__fake__/pay", json={"out_trade_no": closed}, timeout=5)
        assert refused.status_code == 409 and server.ledger.payments[closed].status == "closed"


def _close_and_sync(desk: Desk, order_nos: list[str] | None = None) -> Any:
    from kashop_desktop.services.trade_close import close_and_sync

    return asyncio.run(close_and_sync(desk, order_nos, adapter_kw={"timeout": 2.0}))


@pytest.mark.parametrize("kind", ["alipay", "wechatpay_v3"])
def test_paid_another_way_closes_the_qr_trade(desk: Desk, kind: str) -> None:
    with fake_gateway(desk, kind, "qr") as (_, server, gid):
        no = unpaid(desk, server, gid)
        assert [r.code for r in sync(desk).results] == ["pending"]  # watched: its QR trade is open
        order_ops.mark_paid(desk, no, "BANK-20261118-0001", confirmed=True)  # a transfer
        closes, _report = _close_and_sync(desk)
        assert [(c.order_no, c.code) for c in closes.results] == [(no, "closed")]
        assert server.ledger.payments[no].status == "closed"
        refused = httpx.post(f"{server.url}__fake__/pay", json={"out_trade_no": no}, timeout=5)
        assert refused.status_code == 409  # the buyer can no longer pay it
        closes, _report = _close_and_sync(desk)
        assert closes.results == []  # closed: not asked again


@pytest.mark.parametrize("kind", ["alipay", "wechatpay_v3"])
def test_a_second_payment_of_an_order_paid_another_way_is_flagged(desk: Desk, kind: str) -> None:
    with fake_gateway(desk, kind, "qr") as (_, server, gid):
        no = unpaid(desk, server, gid)
        sync(desk)
        order_ops.mark_paid(desk, no, "BANK-20261118-0002", confirmed=True)
        pay_from_outside(server, no)  # the buyer pays the QR as well
        closes, _report = _close_and_sync(desk, [no])
        assert [c.code for c in closes.results] == ["paid_twice"]
        flag, facts = flag_of(Order.get(Order.order_no == no).id)
        assert flag == "other_trade" and facts["trade_no"] == server.ledger.payments[no].trade_no
        assert facts["recorded_trade_no"] == "BANK-20261118-0002"
        assert Order.get(Order.order_no == no).gateway_trade_no == "BANK-20261118-0002"
        assert len(events(no, "deliver")) == 1  # delivered once, by the transfer


@pytest.mark.parametrize("kind", ["epay_v1", "epay_v2"])
def test_a_second_payment_through_a_gateway_that_cannot_close_is_flagged(desk: Desk, clock: Any, kind: str) -> None:
    """易支付 cannot close a trade: an order paid another way (a transfer) while its QR was open
    has that trade asked about on the close's back-off, and the QR paid as well is flagged as a
    second payment (付了两次), delivered once; an unpaid QR is asked again later, not flagged."""
    with fake_gateway(desk, kind, "qr") as (_, server, gid):
        no = unpaid(desk, server, gid)
        sync(desk)
        order_ops.mark_paid(desk, no, "BANK-20261118-0003", confirmed=True)  # a transfer
        closes, _report = _close_and_sync(desk)
        assert closes.results == [] and flag_of(Order.get(Order.order_no == no).id)[0] == ""  # not paid there
        pay_from_outside(server, no)  # the buyer pays the QR as well
        closes, _report = _close_and_sync(desk)
        assert closes.results == []  # asked again only after the back-off
        clock.advance(hours=2)
        closes, _report = _close_and_sync(desk)
        assert [(c.order_no, c.code) for c in closes.results] == [(no, "paid_twice")]
        flag, facts = flag_of(Order.get(Order.order_no == no).id)
        assert flag == "other_trade" and facts["trade_no"] == server.ledger.payments[no].trade_no
        assert Order.get(Order.order_no == no).gateway_trade_no == "BANK-20261118-0003"
        assert len(events(no, "deliver")) == 1  # delivered once, by the transfer
        clock.advance(hours=2)
        closes, _report = _close_and_sync(desk)
        assert closes.results == []  # found: no longer asked


@pytest.mark.parametrize("kind", ["alipay", "wechatpay_v3", "epay_v1", "epay_v2"])
def test_mark_paid_with_the_gateways_own_trade_no_is_one_payment_not_two(desk: Desk, clock: Any, kind: str) -> None:
    """The buyer paid the QR and the owner's 补单 typed the gateway's own trade no (from its back
    office) before sync saw it: the close finds that payment, the same one, and flags nothing
    (it said 付了两次 and told the owner to refund the only payment)."""
    with fake_gateway(desk, kind, "qr") as (_, server, gid):
        no = unpaid(desk, server, gid)
        sync(desk)
        pay_from_outside(server, no)
        order_ops.mark_paid(desk, no, server.ledger.payments[no].trade_no, confirmed=True)
        clock.advance(hours=2)  # past 易支付's back-off: its trade is asked about too
        closes, report = _close_and_sync(desk)
        assert [(c.order_no, c.code) for c in closes.results] == [(no, "same_payment")]
        assert flag_of(Order.get(Order.order_no == no).id)[0] == "" and report.flagged == 0
        assert len(events(no, "deliver")) == 1
        clock.advance(hours=2)
        closes, _report = _close_and_sync(desk)
        assert closes.results == []  # settled: not asked again


def test_mark_paid_refuses_a_trade_the_gateway_reported_with_another_amount(desk: Desk,
                                                                            gateway: tuple[str, Any, int]) -> None:
    """Sync flagged the buyer's ¥49.99 for a ¥68.00 order (not marked paid): the owner's 补单 with
    that trade no is refused naming both amounts; it recorded ¥68.00 taken and delivered."""
    from kashop_desktop.domain.errors import DomainError

    _kind, server, gid = gateway
    no = unpaid(desk, server, gid)
    pay_from_outside(server, no, amount_fen=67_99)
    assert [r.code for r in sync(desk).results] == ["amount_mismatch"]
    trade_no = server.ledger.payments[no].trade_no
    with pytest.raises(DomainError) as refused:
        order_ops.mark_paid(desk, no, trade_no, confirmed=True)
    assert refused.value.code == "amount_differs_at_gateway"
    assert "¥67.99" in refused.value.zh and "¥68.00" in refused.value.en
    assert Order.get(Order.order_no == no).paid_at is None and not events(no, "deliver")
    order_ops.mark_paid(desk, no, "BANK-20261118-0042", confirmed=True)  # another payment (a transfer): taken
    assert Order.get(Order.order_no == no).paid_at is not None


@pytest.mark.parametrize("kind", ["alipay", "wechatpay_v3"])
def test_the_gateways_own_payment_marked_as_a_transfer_takes_the_gateway_route_back(desk: Desk, clock: Any,
                                                                                   kind: str) -> None:
    """补单 of the gateway's own trade no as money paid to the shop directly (bank_transfer): the
    close finds that very payment at the gateway, so the order's channel goes back to the
    gateway's and a refund goes back through the gateway, not by hand."""
    from kashop_desktop.domain.order import ReasonCode
    from kashop_desktop.services import requests as reqs

    with fake_gateway(desk, kind, "qr") as (_, server, gid):
        no = unpaid(desk, server, gid, channel="alipay" if kind == "alipay" else "wechat")
        sync(desk)
        pay_from_outside(server, no)
        order_ops.mark_paid(desk, no, server.ledger.payments[no].trade_no, confirmed=True, channel="bank_transfer",
                            deliver=False)
        assert Order.get(Order.order_no == no).channel == "bank_transfer"
        closes, _report = _close_and_sync(desk, [no])
        assert [c.code for c in closes.results] == ["same_payment"]
        assert Order.get(Order.order_no == no).channel == ("alipay" if kind == "alipay" else "wechat")
        assert len(events(no, "channel_corrected")) == 1
        reqs.open_request(desk, no, ReasonCode.MISTAKEN, note="不要了")
        refund = Refund.get(Refund.order == Order.get(Order.order_no == no).id)
        assert refund.gateway_id == gid and refund.state == "queued"
