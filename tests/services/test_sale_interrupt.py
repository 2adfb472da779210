"""A desk sale whose QR payment is never made: interrupted while the gateway is asked, or a
gateway that cannot be reached. Real sockets on loopback, the Alipay fake's keys."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from kashop_desktop.domain.errors import DomainError
from kashop_desktop.gateways.fakes import fake_class
from kashop_desktop.services.gateways import save_account
from kashop_desktop.services.payment_sync import PaymentSync
from kashop_desktop.services.sale import SaleInput, quote
from kashop_desktop.services.sale_flow import SaleInterrupted, open_sale
from kashop_desktop.services.trade_close import close_and_sync
from kashop_desktop.store.models import CardCode, Order, OrderEvent

from .helpers import product

NAME = "王者荣耀点券 680点"


@pytest.fixture
def silent_gateway(desk: Any) -> Iterator[threading.Event]:
    """An Alipay account whose gateway takes the connection and never answers."""
    server = fake_class("alipay")().start()
    config = server.account_config("alipay")
    server.stop()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    accepted = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        try:
            while True:
                conn, _ = listener.accept()
                held.append(conn)
                accepted.set()
        except OSError:
            return

    threading.Thread(target=serve, daemon=True).start()
    port = listener.getsockname()[1]
    save_account(desk, "silent", "alipay", {**config, "base_url": f"http://127.0.0.1:{port}/gateway.do"})
    try:
        yield accepted
    finally:
        listener.close()
        for conn in held:
            conn.close()


def events(order_no: str, action: str) -> int:
    oid = Order.get(Order.order_no == order_no).id
    return OrderEvent.select().where((OrderEvent.order == oid) & (OrderEvent.action == action)).count()


def test_an_interrupted_qr_creation_voids_the_order_and_names_it(desk: Any, silent_gateway: threading.Event) -> None:
    product(desk, codes=1)

    async def go() -> None:
        sync = PaymentSync(desk, adapter_kw={"timeout": 30.0})
        try:
            task = asyncio.ensure_future(open_sale(desk, SaleInput(NAME, 1, "13800138000", gateway="silent"), sync))
            await asyncio.get_running_loop().run_in_executor(None, silent_gateway.wait, 10)
            assert silent_gateway.is_set()
            task.cancel()  # what Ctrl+C does to asyncio.run's task
            with pytest.raises(SaleInterrupted) as caught:
                await task
            order = Order.get()
            assert caught.value.order_no == order.order_no and order.order_no in caught.value.zh
            assert "payments sync --order" in caught.value.en
        finally:
            await sync.aclose()

    asyncio.run(go())
    order = Order.get()
    assert order.status == "cancelled" and events(order.order_no, "sale_failed") == 1
    assert not CardCode.select().where(CardCode.state == "reserved").exists()
    assert quote(desk, NAME, 1).available == 1


def test_a_trade_never_created_is_not_closed_again_and_again(desk: Any) -> None:
    product(desk, codes=1)
    server = fake_class("alipay")().start()
    config = server.account_config("alipay")
    server.stop()
    with socket.socket() as probe:  # a port nobody listens on: the gateway is down
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    save_account(desk, "down", "alipay", {**config, "base_url": f"http://127.0.0.1:{dead}/gateway.do"})

    async def sell() -> None:
        sync = PaymentSync(desk, adapter_kw={"timeout": 2.0})
        try:
            await open_sale(desk, SaleInput(NAME, 1, "13800138000", gateway="down"), sync)
        finally:
            await sync.aclose()

    with pytest.raises(DomainError) as caught:
        asyncio.run(sell())
    order = Order.get()
    assert caught.value.code == "qr_failed" and order.order_no in caught.value.zh
    assert "优惠券" not in caught.value.zh  # no coupon was used
    assert "没有网关在运行" in caught.value.zh and "No gateway is running" in caught.value.en
    assert f"127.0.0.1:{dead}" in caught.value.zh
    for _ in range(3):
        closes, report = asyncio.run(close_and_sync(desk, adapter_kw={"timeout": 2.0}))
        assert order.order_no not in {c.order_no for c in closes.results}
        assert order.order_no not in {r.order_no for r in report.results}
    assert events(order.order_no, "trade_close") == 0 and events(order.order_no, "trade_closed") == 0
