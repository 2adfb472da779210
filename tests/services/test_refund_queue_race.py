"""Two refund queues in two processes on one store (a second ``refunds send``, or the window's
queue beside one) both ask the gateway about the same refund of unknown outcome and both hear
"succeeded": the ledger pays it once, and only the run that settled it counts it as its success.
The other records a late reply and counts it as settled elsewhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from kashop_desktop.domain.order import ReasonCode
from kashop_desktop.services import requests as reqs
from kashop_desktop.services.desk import Desk
from kashop_desktop.store.models import Order, OrderEvent, Refund

from .helpers import fake_gateway, order, send_refunds

#: One queue run in its own process, on its own Desk: prints its report's counters as JSON.
WORKER = """
import asyncio, json, sys
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.refund_queue import RefundQueue

async def run(desk):
    queue = RefundQueue(desk, adapter_kw={"timeout": 60.0})
    try:
        return await queue.send(refund_ids=[int(sys.argv[2])], force=True)
    finally:
        await queue.aclose()

desk = Desk.open(sys.argv[1])
try:
    report = asyncio.run(run(desk))
finally:
    desk.close()
print(json.dumps({name: getattr(report, name, None) for name in (
    "picked", "succeeded", "processing", "failed", "unknown", "requeued", "untouched", "settled_elsewhere",
    "accounted")}))
"""


def hold_replies_until_both_asked(server: Any) -> threading.Barrier:
    """The fake answers its first two gateway calls only once both have arrived, so both
    processes hold the gateway's word before either records it (the race, every time)."""
    barrier = threading.Barrier(2, timeout=60)
    answer = server._dispatch
    held = {"calls": 0}
    lock = threading.Lock()

    def dispatch(req: Any) -> Any:
        if not req.path.startswith("/__fake__/"):
            with lock:
                held["calls"] += 1
                wait = held["calls"] <= 2
            if wait:
                barrier.wait()
        return answer(req)

    server._dispatch = dispatch
    return barrier


def test_two_runs_hearing_one_success_count_it_once(desk: Desk, data_dir: Path) -> None:
    with fake_gateway(desk, "alipay") as (_, server, gid):
        no = order(desk, gateway_id=gid, paid_minutes_ago=30)
        payment = server.add_payment(no, 68_00)
        Order.update(gateway_trade_no=payment.trade_no).where(Order.order_no == no).execute()
        _, rid = reqs.open_request(desk, no, ReasonCode.WRONG_ITEM, note="区服选错")
        reqs.approve(desk, rid)
        ref = Refund.get(Refund.order == Order.get(Order.order_no == no).id)
        server.set_chaos(drop_after_booking_rate=1.0)  # booked at the gateway, the reply lost
        send_refunds(desk, adapter_kw={"timeout": 2.0})
        server.set_chaos(drop_after_booking_rate=0.0)
        assert Refund.get_by_id(ref.id).state == "unknown"
        barrier = hold_replies_until_both_asked(server)

        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
        workers = [subprocess.Popen([sys.executable, "-c", WORKER, str(data_dir), str(ref.id)],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
                   for _ in range(2)]
        outputs = [w.communicate(timeout=120) for w in workers]
        assert [w.returncode for w in workers] == [0, 0], [err[-2000:] for _, err in outputs]
        assert not barrier.broken  # both asked before either was answered
        reports = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]

        assert [r["picked"] for r in reports] == [1, 1]
        assert sorted(r["succeeded"] for r in reports) == [0, 1]  # one run's success, not two
        assert sorted(r["settled_elsewhere"] for r in reports) == [0, 1]
        assert all(r["accounted"] == r["picked"] for r in reports)  # the summary's totals add up
        ref = Refund.get_by_id(ref.id)
        assert ref.state == "succeeded" and not ref.security_warning
        assert len([r for r in server.ledger.refunds if r.out_trade_no == no]) == 1  # paid once
        assert Order.get(Order.order_no == no).refunded_fen == ref.amount_fen
        actions = [e.action for e in OrderEvent.select().where(OrderEvent.order == ref.order_id)]
        assert actions.count("refund_succeeded") == 1 and actions.count("refund_late_reply") == 1
