"""``payments sync`` as a subprocess beside a fake gateway on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kashop_desktop.gateways.fakes import fake_class
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.gateways import save_account
from kashop_desktop.store.models import GatewayAccount, Order

from ..services.helpers import order
from .test_cli import Cli


@pytest.fixture
def alipay(desk: Desk) -> Iterator[tuple[Any, int]]:
    server = fake_class("alipay")().start()
    try:
        save_account(desk, "支付宝", "alipay", server.account_config("alipay"))
        yield server, GatewayAccount.get(GatewayAccount.name == "支付宝").id
    finally:
        server.stop()


def test_payments_sync_marks_paid_and_says_so(desk: Desk, data_dir: Path, alipay: tuple[Any, int]) -> None:
    server, gid = alipay
    waiting = order(desk, "pending_payment", gateway_id=gid)
    server.add_payment(waiting, 68_00, status="pending")
    paid = order(desk, "pending_payment", gateway_id=gid)
    server.add_payment(paid, 68_00, status="pending")
    httpx.post(f"{server.url}__fake__/pay", json={"out_trade_no": paid}, timeout=5).raise_for_status()
    cli = Cli(data_dir)
    out = cli.json("payments", "sync")
    assert {r["order_no"]: r["code"] for r in out["results"]} == {waiting: "pending", paid: "paid_delivered"}
    assert out["paid"] == 1 and out["delivered"] == 1
    assert Order.get(Order.order_no == paid).status == "delivered"
    text = cli("payments", "sync", "--order", waiting, "--lang", "en").stdout
    assert "waiting for the buyer to pay" in text and "asked 1" in text
    refused = cli("payments", "sync", "--order", paid, code=1)  # paid: nothing to ask
    assert "不需要同步" in refused.stdout
    missing = cli("payments", "sync", "--order", "NOPE", code=1)
    assert "找不到订单" in missing.stderr and "Traceback" not in missing.stderr
