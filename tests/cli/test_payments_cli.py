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

pytestmark = [pytest.mark.usefixtures("store_kind"),
              pytest.mark.sqlite_only(reason="the command line's words, exit statuses and files; its rules run on both stores in tests/services, and the PostgreSQL wiring in the tests kept on both")]


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
    already = cli("payments", "sync", "--order", paid)  # paid: said so, not a failure
    assert "已支付，无需同步" in already.stdout and server.ledger.payments[paid].trade_no in already.stdout
    missing = cli("payments", "sync", "--order", "NOPE", code=1)
    assert "找不到订单" in missing.stderr and "Traceback" not in missing.stderr


def test_reconcile_lists_fixes_and_exports(desk: Desk, data_dir: Path, alipay: tuple[Any, int],
                                           tmp_path: Path) -> None:
    from datetime import datetime, timedelta

    from kashop_desktop.domain.clock import SHOP_TZ

    server, gid = alipay
    # Two days back: yesterday's bill is ready only from 09:00 the next morning (Beijing).
    yesterday = (datetime.now(SHOP_TZ) - timedelta(days=2)).replace(hour=12, minute=0, second=0, microsecond=0)
    missing = order(desk, "pending_payment", gateway_id=gid)
    payment = server.add_payment(missing, 68_00, status="pending")
    payment.created_at = yesterday.timestamp() - 60
    server.pay_trade(missing, paid_at=yesterday.timestamp())
    cli = Cli(data_dir)
    day = yesterday.date().isoformat()
    out = cli.json("reconcile", "--gateway", "支付宝", "--date", day, code=1)
    assert [(d["kind"], d["order_no"]) for d in out["differences"]] == [("paid_there_unpaid_here", missing)]
    key = out["differences"][0]["key"]
    refused = cli("reconcile", "--gateway", "支付宝", "--date", day, "--fix", key, code=1)
    assert "--yes" in refused.stderr
    export = tmp_path / "r.xlsx"
    fixed = cli.json("reconcile", "--gateway", "支付宝", "--date", day, "--fix", key, "--yes", "--export", str(export))
    assert fixed["differences"][0]["mark"] == "fixed" and export.stat().st_size > 0
    assert Order.get(Order.order_no == missing).status == "delivered"
    pdf = cli("reconcile", "--gateway", "支付宝", "--date", day, "--export", str(tmp_path / "r.pdf"), code=2)
    assert "--export" in pdf.stderr and ".xlsx" in pdf.stderr and not (tmp_path / "r.pdf").exists()
    bad = cli("reconcile", "--gateway", "支付宝", "--date", "2026-13-01", code=2)
    assert "YYYY-MM-DD" in bad.stderr
    nobody = cli("reconcile", "--gateway", "nobody", "--date", day, code=1)
    assert "找不到网关账户" in nobody.stderr


def test_cancel_closes_the_trade_and_sync_closes_what_is_due(desk: Desk, data_dir: Path,
                                                             alipay: tuple[Any, int]) -> None:
    server, gid = alipay
    first = order(desk, "pending_payment", gateway_id=gid)
    server.add_payment(first, 68_00, status="pending")
    cli = Cli(data_dir)
    out = cli.json("orders", "cancel", first, "--reason", "mistaken")
    assert out["trade_close"] == "closed" and server.ledger.payments[first].status == "closed"
    second = order(desk, "pending_payment", gateway_id=gid)
    server.add_payment(second, 68_00, status="pending")
    from kashop_desktop.domain.order import ReasonCode
    from kashop_desktop.services import orders as order_ops

    desk.set_clock(None)  # the command line runs on the real clock
    order_ops.cancel_unpaid(desk, second, ReasonCode.MISTAKEN)  # the window, say, with the gateway down
    synced = cli.json("payments", "sync")
    assert [(c["order_no"], c["code"]) for c in synced["closes"]] == [(second, "closed")]
    assert server.ledger.payments[second].status == "closed"


def test_a_refused_reconcile_fix_stays_open_says_why_and_exits_1(desk: Desk, data_dir: Path,
                                                                 alipay: tuple[Any, int]) -> None:
    from datetime import datetime, timedelta

    from kashop_desktop.domain.clock import SHOP_TZ
    from kashop_desktop.store.models import ReconMark

    server, gid = alipay
    # Two days back: yesterday's bill is ready only from 09:00 the next morning (Beijing).
    yesterday = (datetime.now(SHOP_TZ) - timedelta(days=2)).replace(hour=12, minute=0, second=0, microsecond=0)
    missing = order(desk, "pending_payment", gateway_id=gid)
    payment = server.add_payment(missing, 68_00, status="pending")
    payment.created_at = yesterday.timestamp() - 60
    server.pay_trade(missing, paid_at=yesterday.timestamp())
    # An unpaid order imported with that very trade no: the payment cannot be taken twice.
    holder = order(desk, "pending_payment", gateway_id=gid, gateway_trade_no=payment.trade_no)
    cli = Cli(data_dir)
    day = yesterday.date().isoformat()
    out = cli.json("reconcile", "--gateway", "支付宝", "--date", day, code=1)
    key = next(d["key"] for d in out["differences"] if d["order_no"] == missing)
    refused = cli("reconcile", "--gateway", "支付宝", "--date", day, "--fix", key, "--yes", code=1)
    assert "未修正" in refused.stderr and holder in refused.stderr and "已修正" not in refused.stderr + refused.stdout
    assert "Traceback" not in refused.stderr
    assert Order.get(Order.order_no == missing).paid_at is None
    assert not ReconMark.select().where(ReconMark.key == key).exists()
    again = cli.json("reconcile", "--gateway", "支付宝", "--date", day, code=1)
    assert next(d for d in again["differences"] if d["key"] == key)["mark"] == ""
