"""The gateway fakes' chaos knobs drive the real adapters and the refund queue over loopback HTTP.

* Case 04: an Alipay refund answered fund_change=N whose every fastpay.refund.query says code
  10000 without refund_status must not stay "sending" for ever; it waits for the owner, who can
  resolve it through the CLI.
* Two data folders on one merchant (one fake, one ledger) refund 1,000 orders each: no refund no
  in common, each refund booked once, none settled as the other folder's.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from peewee import fn

from kashop_desktop.domain.clock import SHOP_TZ
from kashop_desktop.domain.order import ReasonCode
from kashop_desktop.domain.refund_states import MAX_DAYS
from kashop_desktop.gateways.fakes import fake_class
from kashop_desktop.services import refund_queue as rq
from kashop_desktop.services import requests as reqs
from kashop_desktop.services import views
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.gateways import save_account
from kashop_desktop.services.imports import import_file
from kashop_desktop.store.models import Order, OrderEvent, Refund

from ..conftest import FakeClock

CASE_04 = Path(__file__).parent / "data" / "case04_order.csv"  # field case 04_alipay_no_refund_status


def send(desk: Desk, **kw: Any) -> rq.QueueReport:
    async def run() -> rq.QueueReport:
        queue = rq.RefundQueue(desk, adapter_kw={"timeout": 5.0})
        try:
            return await queue.send(**kw)
        finally:
            await queue.aclose()

    return asyncio.run(run())


def cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "kashop_desktop", *args, "--data-dir", str(data_dir)],
                          capture_output=True, text=True, env=env, timeout=120)


# ---- case 04: a refund that never settles ----------------------------------------------------------

def test_case_04_alipay_refund_without_refund_status_ends_with_the_owner(tmp_path: Path) -> None:
    server = fake_class("alipay")().start()
    data_dir = tmp_path / "shop"
    clock = FakeClock(datetime(2026, 11, 29, 16, 30, tzinfo=SHOP_TZ))
    try:
        server.set_chaos(refund_never_settles=True)
        payment = server.add_payment("KSA001", 68_00)
        payment.trade_no = "2026112909274400001"  # the trade no in the case's order.csv
        desk = Desk.open(data_dir, clock=clock)
        try:
            save_account(desk, "ali", "alipay", server.account_config("alipay"))
            shutil.copy(CASE_04, tmp_path / "order.csv")
            report = import_file(desk, tmp_path / "order.csv")
            assert report.inserted == 1, report.problems
            _, rid = reqs.open_request(desk, "KSA001", ReasonCode.WRONG_ITEM, note="区服选错")
            assert rid is not None
            reqs.approve(desk, rid)
            ref = Refund.get(Refund.order == Order.get(Order.order_no == "KSA001").id)
            start = clock.moment
            states = []
            for _ in range(4 * 24 * (MAX_DAYS + 2)):  # every 15 minutes, for longer than the bound
                send(desk)
                states.append(Refund.get_by_id(ref.id).state)
                if states[-1] == "needs_owner":
                    break
                clock.advance(minutes=15)
            ref = Refund.get_by_id(ref.id)
            assert ref.state == "needs_owner", (states[-5:], ref.last_error)
            assert clock.moment - start <= timedelta(days=MAX_DAYS)
            assert "succeeded" not in states
            assert views.refund_view(desk, ref.id).state_zh == "待人工处理"
            order = Order.get(Order.order_no == "KSA001")
            assert (order.refunded_fen, order.refund_pending_fen) == (0, 68_00)
            moment = clock.moment
        finally:
            desk.close()
        # The gateway booked one refund for the order, whatever was re-sent with the same out_request_no.
        assert [(r.out_trade_no, r.amount_fen) for r in server.ledger.refunds] == [("KSA001", 68_00)]
        now = (moment + timedelta(minutes=5)).isoformat()
        listed = cli(data_dir, "refunds", "list", "--state", "needs_owner", "--now", now)
        assert listed.returncode == 0 and ref.refund_no in listed.stdout, listed.stderr
        unchecked = cli(data_dir, "refunds", "resolve", str(ref.id), "--failed", "--note", "以为没退", "--now", now)
        assert unchecked.returncode == 1 and "--yes" in unchecked.stderr and "refunds send" in unchecked.stderr
        resolved = cli(data_dir, "refunds", "resolve", str(ref.id), "--failed", "--note", "支付宝后台查无此退款",
                       "--yes", "--now", now)
        assert resolved.returncode == 0, (resolved.stdout, resolved.stderr)
        again = cli(data_dir, "refunds", "resolve", str(ref.id), "--failed", "--note", "again", "--now", now)
        assert again.returncode == 1 and "Traceback" not in again.stderr, again.stderr
    finally:
        server.stop()
    desk = Desk.open(data_dir, clock=clock)
    try:
        ref = Refund.get_by_id(ref.id)
        order = Order.get(Order.order_no == "KSA001")
        resolved_event = (OrderEvent.select().where((OrderEvent.order == order.id)
                                                    & (OrderEvent.action == "refund_resolved")).get())
        assert ref.state == "failed" and "支付宝后台查无此退款" in resolved_event.note
        assert (order.refunded_fen, order.refund_pending_fen) == (0, 0)
    finally:
        desk.close()


# ---- two data folders on one merchant ---------------------------------------------------------------

HEADER = "order_no,created_at,product,product_type,paid_amount,status,paid_at,channel,gateway,gateway_trade_no,buyer"
ORDERS_PER_FOLDER = 1000


def _folder_refunds_everything(root: Path, prefix: str, server: Any, clock: FakeClock) -> dict[str, tuple[str, str]]:
    """One data folder: its paid orders are created on the shared fake merchant, imported, approved
    and sent. Returns refund no -> (order no, gateway refund id) as the desk recorded it."""
    paid_at = clock.moment - timedelta(minutes=30)
    rows = [HEADER]
    for n in range(1, ORDERS_PER_FOLDER + 1):
        no = f"{prefix}{n:05d}"
        amount = 100 + n  # fen
        payment = server.add_payment(no, amount)
        stamp = paid_at.strftime("%Y-%m-%d %H:%M:%S")
        rows.append(f"{no},{stamp},点券,card_code,{amount // 100}.{amount % 100:02d},paid,{stamp},wechat,wx,"
                    f"{payment.trade_no},1380000{n:04d}")
    (root / f"{prefix}.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    desk = Desk.open(root / prefix, clock=clock)
    try:
        save_account(desk, "wx", "wechatpay_v3", server.account_config("wechatpay_v3"))
        report = import_file(desk, root / f"{prefix}.csv")
        assert report.inserted == ORDERS_PER_FOLDER, report.problems[:3]
        for order in Order.select(Order.order_no).order_by(Order.id):
            _, rid = reqs.open_request(desk, order.order_no, ReasonCode.WRONG_ITEM)
            assert rid is not None
            reqs.approve(desk, rid)
        sent = send(desk)
        assert (sent.picked, sent.succeeded, sent.security_warnings) == (ORDERS_PER_FOLDER, ORDERS_PER_FOLDER, 0)
        refunds = list(Refund.select(Refund, Order).join(Order))
        assert {r.state for r in refunds} == {"succeeded"}
        assert sum(o.refunded_fen for o in Order.select()) == sum(100 + n for n in range(1, ORDERS_PER_FOLDER + 1))
        return {r.refund_no: (r.order.order_no, r.gateway_refund_no or "") for r in refunds}
    finally:
        desk.close()


@pytest.mark.slow  # about a minute: 2,000 imports, approvals and signed refunds over loopback
def test_two_data_folders_on_one_wechat_merchant_refund_1000_orders_each(tmp_path: Path) -> None:
    server = fake_class("wechatpay_v3")().start()
    clock = FakeClock(datetime(2026, 11, 18, 10, 0, tzinfo=SHOP_TZ))
    try:
        a = _folder_refunds_everything(tmp_path, "KSA", server, clock)
        b = _folder_refunds_everything(tmp_path, "KSB", server, clock)
        ledger = {r.out_refund_no: r for r in server.ledger.refunds}
        calls, duplicates = server.ledger.refund_calls, server.ledger.duplicate_refund_calls
    finally:
        server.stop()
    assert len(a) == len(b) == ORDERS_PER_FOLDER
    assert not set(a) & set(b)  # each folder's orders have local ids 1..1000, yet no refund no in common
    # Every refund booked exactly once at the merchant, on the order that asked for it, and each
    # folder recorded the gateway's own refund id of its own refund (none settled as the other's).
    assert len(server.ledger.refunds) == len(ledger) == 2 * ORDERS_PER_FOLDER
    assert (calls, duplicates) == (2 * ORDERS_PER_FOLDER, 0)
    for ours in (a, b):
        for refund_no, (order_no, refund_id) in ours.items():
            booked = ledger[refund_no]
            assert (booked.out_trade_no, booked.refund_no, booked.status) == (order_no, refund_id, "succeeded")


def test_a_query_that_finds_the_other_desks_refund_does_not_settle_ours(tmp_path: Path) -> None:
    """WeChat Pay answers a query by out_refund_no with whatever refund holds that number on the
    merchant. A refund no shared with another desk (an old-format number, RF + date + local id) must
    leave our refund unknown with a security warning, never succeeded."""
    server = fake_class("wechatpay_v3")().start()
    clock = FakeClock(datetime(2026, 11, 18, 10, 0, tzinfo=SHOP_TZ))
    shared_no = "RF2026112900000000101"
    try:
        refunds = []
        for prefix in ("KSA", "KSB"):
            desk = Desk.open(tmp_path / prefix, clock=clock)
            try:
                save_account(desk, "wx", "wechatpay_v3", server.account_config("wechatpay_v3"))
                no = f"{prefix}00001"
                payment = server.add_payment(no, 68_00)
                _import_one(desk, tmp_path, no, payment.trade_no, clock)
                _, rid = reqs.open_request(desk, no, ReasonCode.WRONG_ITEM)
                assert rid is not None
                reqs.approve(desk, rid)
                ref = Refund.get(Refund.order == Order.get(Order.order_no == no).id)
                # Desk B's reply was lost: it asks the gateway what became of "its" refund.
                Refund.update(refund_no=shared_no, state="queued" if prefix == "KSA" else "unknown").where(
                    Refund.id == ref.id).execute()
                # an old-format refund's approval named it by that number too
                OrderEvent.update(data=fn.REPLACE(OrderEvent.data, ref.refund_no, shared_no)).where(
                    OrderEvent.order == ref.order_id).execute()
                send(desk, refund_ids=[ref.id], force=True)
                refunds.append(Refund.get_by_id(ref.id))
                if prefix == "KSB":
                    assert Order.get(Order.order_no == no).refunded_fen == 0
            finally:
                desk.close()
    finally:
        server.stop()
    a, b = refunds
    assert a.state == "succeeded"
    assert (b.state, b.security_warning) == ("unknown", True), b.last_error
    assert "(KSA00001) differs from this refund's (KSB00001)" in b.last_error
    assert [r.out_trade_no for r in server.ledger.refunds] == ["KSA00001"]


def _import_one(desk: Desk, root: Path, order_no: str, trade_no: str, clock: FakeClock) -> None:
    stamp = (clock.moment - timedelta(minutes=30)).strftime("%Y-%m-%d %H:%M:%S")
    path = root / f"{order_no}.csv"
    path.write_text(f"{HEADER}\n{order_no},{stamp},点券,card_code,68.00,paid,{stamp},wechat,wx,{trade_no},13800000001\n",
                    encoding="utf-8")
    assert import_file(desk, path).inserted == 1
