"""One desk of the three-desk run (``test_three_desks.py``, ``benchmarks/bench_three_desks.py``).

    python tests/server/desk_worker.py DATA_DIR SECONDS SEED

Against the server store named by KASHOP_DB_URL, for up to SECONDS (or until nothing is left to
do), in a random order each round: approve an open cancel request, send the refund queue through
the gateway (real HTTP to the fake on loopback), run the sweep, run payment sync (补单), deliver a
paid order. Prints one JSON line: what this desk was told it did (request ids approved, order nos
delivered, refunds that succeeded) and how often another desk was first. A traceback is the
caller's failure: nothing here catches more than the rule's refusals and a busy store.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

from kashop_desktop.domain.errors import DomainError, StoreBusy
from kashop_desktop.services import orders as ops
from kashop_desktop.services import requests as reqs
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.payment_sync import PaymentSync
from kashop_desktop.services.refund_queue import RefundQueue
from kashop_desktop.store.models import CancelRequest, Order, Refund


class DeskRun:
    """What one desk did and was refused."""

    def __init__(self, desk: Desk, rng: random.Random) -> None:
        self.desk = desk
        self.rng = rng
        self.told: dict[str, Any] = {"approved": [], "delivered": [], "synced": [], "refunds_succeeded": 0,
                                     "refused": 0, "busy": 0, "rounds": 0}

    def approve(self) -> None:
        open_ids = [r.id for r in CancelRequest.select(CancelRequest.id).where(CancelRequest.state == "open")]
        if open_ids:
            rid = self.rng.choice(open_ids[:20])  # the top of the list, as three people at one queue
            reqs.approve(self.desk, rid)
            self.told["approved"].append(rid)

    def deliver(self) -> None:
        asked = CancelRequest.select(CancelRequest.order)  # those wait for the owner's answer
        paid = [o.order_no for o in Order.select(Order.order_no).where(
            (Order.status == "paid") & Order.delivered_at.is_null() & Order.id.not_in(asked)).order_by(Order.id).limit(20)]
        if paid:
            no = self.rng.choice(paid)
            if ops.deliver(self.desk, no).order_ids:
                self.told["delivered"].append(no)

    def send(self) -> None:
        async def run() -> int:
            queue = RefundQueue(self.desk)
            try:
                return (await queue.send()).succeeded
            finally:
                await queue.aclose()

        self.told["refunds_succeeded"] += asyncio.run(run())

    def sync(self) -> None:
        async def run() -> list[str]:
            sync = PaymentSync(self.desk, adapter_kw={"timeout": 5.0})
            try:
                report = await sync.run(None)
            finally:
                await sync.aclose()
            return [r.order_no for r in report.results if r.code == "paid_delivered"]

        self.told["synced"].extend(asyncio.run(run()))

    def sweep(self) -> None:
        reqs.sweep(self.desk)

    def work_left(self) -> bool:
        return (CancelRequest.select().where(CancelRequest.state == "open").exists()
                or Refund.select().where(Refund.state.in_(("queued", "sending", "processing"))).exists()
                or Order.select().where((Order.status.in_(("paid", "pending_payment")))
                                        & Order.delivered_at.is_null()).exists())

    def round(self) -> None:
        steps = [self.approve, self.deliver, self.send, self.sync, self.sweep]
        self.rng.shuffle(steps)
        for step in steps:
            try:
                step()
            except StoreBusy:
                self.told["busy"] += 1
            except DomainError:
                self.told["refused"] += 1  # another desk was first: already decided, delivered...
        self.told["rounds"] += 1


def main(argv: list[str]) -> int:
    data_dir, seconds, seed = Path(argv[1]), float(argv[2]), int(argv[3])
    desk = Desk.open(data_dir)
    run = DeskRun(desk, random.Random(seed))
    started = time.monotonic()
    try:
        while time.monotonic() - started < seconds and run.work_left():
            run.round()
    finally:
        desk.close()
    run.told["seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(run.told))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
