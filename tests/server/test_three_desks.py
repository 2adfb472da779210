"""Three desks, one shop on PostgreSQL: three processes approve, send, sweep, sync and deliver at once.

The shop: orders paid through an epay v2 account whose gateway is the fake on loopback (real
HTTP, signed as the real one signs), each with a cancel request waiting for approval; paid 卡密
orders waiting to be delivered; unpaid orders the buyers have paid at the gateway (payment sync
finds them and delivers). Three desk processes (``desk_worker.py``, each with its own data
folder, as three PCs) work through it at once for up to ``THREE_DESKS_SECONDS`` (60 s; they stop
sooner when nothing is left). Then: no refund twice at the gateway, no 卡密 delivered twice, every
write a desk was told of is in the store (and none twice), and no traceback; a loaded machine may
leave work undone at the end, but what was done must be exact.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kashop_desktop.domain.order import ProductType, ReasonCode
from kashop_desktop.gateways.fakes.epay import FakeEpayServer
from kashop_desktop.services import code_import, products
from kashop_desktop.services import requests as reqs
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.gateways import save_account
from kashop_desktop.store.models import CancelRequest, CardCode, GatewayAccount, Order, OrderEvent, Refund
from tests.pgserver import PrivateCluster
from tests.services.helpers import order

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SECONDS = float(os.environ.get("THREE_DESKS_SECONDS", "60"))
REQUESTS, TO_DELIVER, TO_SYNC = 60, 60, 30


@pytest.fixture
def gateway() -> Iterator[FakeEpayServer]:
    server = FakeEpayServer().start()
    try:
        yield server
    finally:
        server.stop()


def _shop(desk: Desk, server: FakeEpayServer) -> None:
    """The work the three desks share (see the module docstring)."""
    save_account(desk, "易支付", "epay_v2", server.account_config("epay_v2"))
    gid = GatewayAccount.get(GatewayAccount.name == "易支付").id
    products.add_product(desk, "竞速卡", ProductType.CARD_CODE, 10_00)
    card = products.get_product("竞速卡")
    code_import.import_codes(desk, "竞速卡", [f"RACE-{i:05d}-ABCDEFGH" for i in range(TO_DELIVER + TO_SYNC)])
    for i in range(REQUESTS):
        no = order(desk, paid_minutes_ago=30, gateway_id=gid, buyer=f"1380013{i:04d}")
        trade = server.add_payment(no, 68_00, status="paid").trade_no
        Order.update(gateway_trade_no=trade).where(Order.order_no == no).execute()
        reqs.open_request(desk, no, ReasonCode.WRONG_ITEM, note="区服选错")
    for i in range(TO_DELIVER):
        order(desk, prod=card, paid_fen=10_00, gateway_id=gid, buyer=f"1390013{i:04d}")
    for i in range(TO_SYNC):
        no = order(desk, "pending_payment", prod=card, paid_fen=10_00, gateway_id=gid, paid_minutes_ago=1,
                   buyer=f"1370013{i:04d}")
        server.add_payment(no, 10_00, status="pending")
        server.pay_trade(no)  # the buyer pays; the callback never reaches the shop's PC


def _run_desks(data_dir: Path, url: str) -> list[dict[str, Any]]:
    env = {**os.environ, "KASHOP_DB_URL": url, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    procs = []
    for n in range(3):
        pc = data_dir.parent / f"pc{n}"
        shutil.copytree(data_dir, pc)  # each PC its own folder (key vault, logs); the shop is the server's
        procs.append(subprocess.Popen([sys.executable, str(ROOT / "tests/server/desk_worker.py"), str(pc),
                                       str(SECONDS), str(n)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True, env=env))
    outs = [p.communicate(timeout=SECONDS + 120) for p in procs]
    for p, (_out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0 and "Traceback" not in err, err[-3000:]
    return [json.loads(out.strip().splitlines()[-1]) for out, _err in outs]


def test_three_desks_on_one_server_never_refund_or_deliver_twice(pg_cluster: PrivateCluster, pg_template: str,
                                                                  data_dir: Path, gateway: FakeEpayServer) -> None:
    url = pg_cluster.new_database(template=pg_template)
    desk = Desk.open(data_dir, db_url=url)
    try:
        _shop(desk, gateway)
    finally:
        desk.close()
    told = _run_desks(data_dir, url)

    desk = Desk.open(data_dir, db_url=url)
    try:
        _every_approval_once(told)
        _every_refund_once(told, gateway)
        _every_delivery_once(told)
    finally:
        desk.close()
    assert all(t["rounds"] > 0 for t in told)  # all three desks took part


# What the desks were told against what the store and the gateway hold. A loaded machine may end
# the run with work left (open requests, queued refunds, orders not yet delivered): what was done
# must still be exact.

def _every_approval_once(told: list[dict[str, Any]]) -> None:
    approved = [rid for t in told for rid in t["approved"]]
    assert approved and len(approved) == len(set(approved))  # never two desks told of one approval
    states = Counter(r.state for r in CancelRequest.select())
    assert set(states) <= {"approved", "open"} and sum(states.values()) == REQUESTS, states
    assert set(approved) == {r.id for r in CancelRequest.select().where(CancelRequest.state == "approved")}


def _every_refund_once(told: list[dict[str, Any]], gateway: FakeEpayServer) -> None:
    refunds = list(Refund.select())
    assert len(refunds) == CancelRequest.select().where(CancelRequest.state == "approved").count()
    assert {r.state for r in refunds} <= {"succeeded", "queued"}
    sent = {r.refund_no for r in refunds if r.state == "succeeded"}
    assert sent and sum(t["refunds_succeeded"] for t in told) == len(sent)
    booked = Counter(r.out_refund_no for r in gateway.ledger.refunds)
    assert set(booked.values()) == {1} and set(booked) == sent  # the gateway booked each once, nothing else
    assert gateway.ledger.duplicate_refund_calls == 0
    assert all(sum(r.amount_fen for r in gateway.ledger.refunds_for(p)) <= pay.amount_fen
               for p, pay in gateway.ledger.payments.items())


def _every_delivery_once(told: list[dict[str, Any]]) -> None:
    delivered = [no for t in told for no in t["delivered"] + t["synced"]]
    assert delivered and len(delivered) == len(set(delivered))
    orders = list(Order.select().where(Order.delivered_at.is_null(False)))
    assert {o.order_no for o in orders} == set(delivered)
    rows = list(CardCode.select().where(CardCode.state == "delivered"))
    tokens = [t for o in orders for t in o.card_code.splitlines()]
    assert len(tokens) == len(set(tokens)) == len(rows) == len(delivered)  # one 卡密 each, none twice
    events = Counter(e.order_id for e in OrderEvent.select().where(OrderEvent.action == "deliver"))
    assert set(events.values()) == {1} and set(events) == {o.id for o in orders}
