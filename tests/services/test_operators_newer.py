"""Rights on the operations that came after operators: the desk sale, payment sync and trade
closing by hand, the refund queue by hand, exports of orders and reconciliations, 对账 fixes.

A viewer is refused each (recorded in the shop log); a clerk may do them. What the desk does by
itself (the window's periodic payment sync and refund queue) goes on whoever is signed in, and
its rows record that operator. Payments against the Alipay fake over loopback HTTP.
"""

from __future__ import annotations

import asyncio
import csv
from collections.abc import Awaitable, Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from kashop_desktop.domain.roles import Identity, PermissionRefused, Role
from kashop_desktop.gateways.fakes import fake_class
from kashop_desktop.services import exports, reconcile
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.gateways import save_account
from kashop_desktop.services.payment_sync import PaymentSync
from kashop_desktop.services.recon_export import export_report
from kashop_desktop.services.sale import SaleInput, create_order
from kashop_desktop.services.sale_flow import cancel_sale
from kashop_desktop.services.trade_close import close_and_sync, close_now
from kashop_desktop.store.models import AuditEvent, GatewayAccount, Order, OrderEvent
from kashop_desktop.store.queries import OrderFilter

from .helpers import order, product, send_refunds

pytestmark = pytest.mark.sqlite_only(reason="SQLite by nature: its shops are copies of a template data folder")

VIEWER = Identity("阿May", Role.VIEWER)
CLERK = Identity("小王", Role.CLERK, 50_00)


@pytest.fixture
def alipay(desk: Desk) -> Iterator[tuple[Any, int]]:
    server = fake_class("alipay")().start()
    try:
        save_account(desk, "fake-alipay", "alipay", server.account_config("alipay"))
        yield server, GatewayAccount.get(GatewayAccount.name == "fake-alipay").id
    finally:
        server.stop()


def _with_sync(desk: Desk, job: Callable[[PaymentSync], Awaitable[Any]]) -> Any:
    async def go() -> Any:
        sync = PaymentSync(desk, adapter_kw={"timeout": 3.0})
        try:
            return await job(sync)
        finally:
            await sync.aclose()

    return asyncio.run(go())


def _with_queue(desk: Desk, **kw: Any) -> Any:
    return send_refunds(desk, adapter_kw={"timeout": 3.0}, **kw)


def _unpaid_then_paid(desk: Desk, server: Any, gid: int) -> str:
    no = order(desk, "pending_payment", gateway_id=gid, paid_minutes_ago=1)
    server.add_payment(no, 68_00, status="pending")
    resp = httpx.post(f"{server.url}__fake__/pay", json={"out_trade_no": no}, timeout=5)
    assert resp.status_code == 200, resp.text
    return no


def _refused(desk: Desk, who: Identity, call: Callable[[], object]) -> PermissionRefused:
    desk.sign_in(who)
    before = AuditEvent.select().where(AuditEvent.action == "refused").count()
    with pytest.raises(PermissionRefused) as refused:
        call()
    last = AuditEvent.select().where(AuditEvent.action == "refused").order_by(AuditEvent.id.desc()).first()
    assert AuditEvent.select().where(AuditEvent.action == "refused").count() == before + 1
    assert last.operator == who.name and who.name in refused.value.zh and who.name in refused.value.en
    return refused.value


def test_payments_keep_coming_in_under_a_viewer_but_a_sync_by_hand_is_refused(desk: Desk,
                                                                             alipay: tuple[Any, int]) -> None:
    server, gid = alipay
    product(desk)
    by_name = _unpaid_then_paid(desk, server, gid)
    _refused(desk, VIEWER, lambda: _with_sync(desk, lambda s: s.run([by_name])))
    _refused(desk, VIEWER, lambda: _with_sync(desk, lambda s: s.run(force=True)))  # 同步支付
    _refused(desk, VIEWER, lambda: asyncio.run(close_and_sync(desk, None)))  # payments sync
    _refused(desk, VIEWER, lambda: asyncio.run(close_now(desk, [by_name])))
    assert Order.get(Order.order_no == by_name).status == "pending_payment"
    # The window's periodic run is the desk's own work: the payment is taken, the viewer recorded.
    report = _with_sync(desk, lambda s: s.run())
    assert [r.code for r in report.results] == ["paid_delivered"]
    found = OrderEvent.get((OrderEvent.action == "payment_found")
                           & (OrderEvent.order == Order.get(Order.order_no == by_name).id))
    assert (found.actor, found.operator) == ("gateway", "阿May")
    # A clerk syncs by hand.
    clerk_no = _unpaid_then_paid(desk, server, gid)
    desk.sign_in(CLERK)
    _closes, synced = asyncio.run(close_and_sync(desk, [clerk_no], adapter_kw={"timeout": 3.0}))
    assert [r.code for r in synced.results] == ["paid_delivered"]
    assert OrderEvent.get((OrderEvent.action == "deliver")
                          & (OrderEvent.order == Order.get(Order.order_no == clerk_no).id)).operator == "小王"


def test_the_refund_queue_by_hand_needs_the_refunds_right(desk: Desk) -> None:
    _refused(desk, VIEWER, lambda: _with_queue(desk, force=True))
    _refused(desk, VIEWER, lambda: _with_queue(desk, by_hand=True))  # refunds send
    assert _with_queue(desk).picked == 0  # the window's periodic send runs for anyone
    desk.sign_in(CLERK)
    assert _with_queue(desk, by_hand=True).picked == 0


def test_a_desk_sale_and_its_cancel_need_the_orders_right(desk: Desk, alipay: tuple[Any, int]) -> None:
    made = product(desk)
    sale = SaleInput(made.name, 1, "13800138000", manual="cash")
    _refused(desk, VIEWER, lambda: create_order(desk, sale, confirmed=True))
    desk.sign_in(CLERK)
    created = create_order(desk, SaleInput(made.name, 1, "13800138000", gateway="fake-alipay"))
    _refused(desk, VIEWER, lambda: _with_sync(desk, lambda s: cancel_sale(desk, s, created.order_no)))
    assert Order.get(Order.order_no == created.order_no).status == "pending_payment"
    desk.sign_in(CLERK)
    _with_sync(desk, lambda s: cancel_sale(desk, s, created.order_no))
    cancelled = Order.get(Order.order_no == created.order_no)
    assert cancelled.status == "cancelled"
    assert OrderEvent.get((OrderEvent.order == cancelled.id) & (OrderEvent.action == "created")).operator == "小王"


def test_exports_of_orders_and_reconciliations_are_the_clerks_not_the_viewers(desk: Desk, tmp_path: Path) -> None:
    product(desk)
    nos = {order(desk, "paid") for _ in range(3)}
    out = tmp_path / "orders.csv"
    _refused(desk, VIEWER, lambda: exports.export_orders(desk, OrderFilter(), out, "csv"))
    assert not out.exists()
    report = reconcile.ReconReport(1, "沙箱", "sandbox", date(2026, 11, 17))
    recon = tmp_path / "recon.csv"
    _refused(desk, VIEWER, lambda: export_report(desk, report, recon))
    assert not recon.exists()
    desk.sign_in(CLERK)
    assert exports.export_orders(desk, OrderFilter(), out, "csv").rows == 3
    with out.open(encoding="utf-8-sig", newline="") as f:
        assert {row[0].strip('="') for row in list(csv.reader(f))[1:]} == nos
    assert export_report(desk, report, recon).exists()


def test_reconciliation_fixes_and_explanations_are_refused_to_a_viewer(desk: Desk) -> None:
    report = reconcile.ReconReport(1, "沙箱", "sandbox", date(2026, 11, 17))
    _refused(desk, VIEWER, lambda: reconcile.fix_difference(desk, report, "missing:KS1", confirmed=True))
    _refused(desk, VIEWER, lambda: reconcile.explain_difference(desk, report, "missing:KS1", "paid in cash"))
    desk.sign_in(CLERK)  # a clerk may: the difference named is not there, which is the next refusal
    with pytest.raises(Exception) as other:
        reconcile.explain_difference(desk, report, "missing:KS1", "paid in cash")
    assert not isinstance(other.value, PermissionRefused)
