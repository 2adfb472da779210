"""close_payment against the Alipay and WeChat Pay fakes: closed, paid meanwhile, never scanned;
易支付 cannot close a trade and says so."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from kashop_desktop.gateways.base import Capability, ErrorKind, GatewayError, PaymentRef, PaymentState
from kashop_desktop.gateways.fakes import fake_class
from kashop_desktop.gateways.registry import discover


def close(kind: str, server: Any, out_trade_no: str) -> PaymentState:
    async def run() -> PaymentState:
        adapter = discover()[kind](server.account_config(kind), timeout=2.0)
        try:
            result: PaymentState = await adapter.close_payment(PaymentRef(out_trade_no))
            return result
        finally:
            await adapter.aclose()

    return asyncio.run(run())


@pytest.mark.parametrize("kind", ["alipay", "wechatpay_v3"])
def test_close_a_waiting_trade_then_a_paid_one(kind: str) -> None:
    with fake_class(kind)() as server:
        server.add_payment("C1", 10_00, status="pending")
        assert close(kind, server, "C1") is PaymentState.CLOSED
        assert server.ledger.payments["C1"].status == "closed"
        assert close(kind, server, "C1") is PaymentState.CLOSED  # again: still closed, no error
        server.add_payment("C2", 10_00, status="pending")
        server.pay_trade("C2")
        assert close(kind, server, "C2") is PaymentState.PAID  # paid meanwhile: the payment path takes over
        assert server.ledger.payments["C2"].status == "paid"
        assert close(kind, server, "NOPE") is PaymentState.NOT_FOUND


def test_alipay_qr_never_scanned_is_not_found() -> None:
    with fake_class("alipay")() as server:
        server.add_payment("Q1", 10_00, status="pending")
        server.unscanned.add("Q1")
        assert close("alipay", server, "Q1") is PaymentState.NOT_FOUND


@pytest.mark.parametrize("kind", ["epay_v1", "epay_v2"])
def test_epay_cannot_close(kind: str) -> None:
    assert Capability.CLOSE not in discover()[kind].capabilities
    with fake_class(kind)() as server:
        server.add_payment("E1", 10_00, status="pending")
        with pytest.raises(GatewayError) as err:
            close(kind, server, "E1")
        assert err.value.kind is ErrorKind.MISCONFIGURED and err.value.code == "unsupported"
