"""Exactly-once delivery: two processes mark the same 1,000 orders paid (补单, the same trade no)
and deliver each, at once. One code per unit, no code twice, one delivery event per order; the
orders the shelf could not serve wait in the backorder queue and are filled oldest-first by the
next import."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from kashop_desktop.domain.order import ProductType
from kashop_desktop.services import code_import, products
from kashop_desktop.services.desk import Desk
from kashop_desktop.store.models import CardCode, Order, OrderEvent

from .helpers import order

pytestmark = pytest.mark.slow

ORDERS = 1_000
WORKER = """
import sys
from kashop_desktop.domain.errors import DomainError
from kashop_desktop.services import orders as ops
from kashop_desktop.services.desk import Desk

desk = Desk.open(sys.argv[1])
outcomes = {"delivered": 0, "refused": 0}
nos = sys.argv[2].split(",")
order = nos if sys.argv[3] == "forward" else list(reversed(nos))
for no in order:
    for step in (lambda: ops.mark_paid(desk, no, "T" + no, confirmed=True),
                 lambda: ops.deliver(desk, no)):
        try:
            changes = step()
            outcomes["delivered"] += int(bool(changes.order_ids))
        except DomainError as exc:
            outcomes["refused"] += 1
desk.close()
print(outcomes)
"""


def test_two_processes_deliver_each_unit_exactly_once(data_dir: Path, clock) -> None:
    desk = Desk.open(data_dir)
    products.add_product(desk, "竞速卡", ProductType.CARD_CODE, 10_00)
    p = products.get_product("竞速卡")
    nos = [order(desk, "pending_payment", prod=p, quantity=1 + (i % 3 == 0)) for i in range(ORDERS)]
    units = sum(Order.get(Order.order_no == no).quantity for no in nos)
    stock = units - 40  # the last paid find the shelf empty
    code_import.import_codes(desk, "竞速卡", [f"RACE-{i:06d}-ABCDEFGH" for i in range(stock)])
    desk.close()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, str(data_dir), ",".join(nos), way],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
               for way in ("forward", "backward")]
    results = [w.communicate(timeout=280) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], [r[1][-2000:] for r in results]

    desk = Desk.open(data_dir)
    try:
        rows = list(CardCode.select().where(CardCode.state == "delivered"))
        per_order = Counter(c.order_id for c in rows)
        tokens = [t for o in Order.select().where(Order.delivered_at.is_null(False)) for t in o.card_code.splitlines()]
        assert len(tokens) == len(set(tokens)) == len(rows)  # no code twice
        delivered = list(Order.select().where(Order.delivered_at.is_null(False)))
        assert all(per_order[o.id] == o.quantity for o in delivered)  # one code per unit
        events = Counter(e.order_id for e in OrderEvent.select().where(OrderEvent.action == "deliver"))
        assert set(events.values()) == {1} and len(events) == len(delivered)
        waiting = products.backorders(desk)
        assert len(rows) + sum(b.quantity for b in waiting) == units and waiting
        assert all(Order.get(Order.order_no == b.order_no).status == "paid" for b in waiting)
        # the next import fills the queue oldest-first
        result = code_import.import_codes(desk, "竞速卡", [f"LATE-{i:04d}-ABCDEFGH" for i in range(60)])
        assert result.delivered_orders == [b.order_no for b in waiting]
        assert products.backorders(desk) == []
    finally:
        desk.close()
