"""Payment sync on a big store: what the window does every 15 s (pick the orders that are due)
and on every selected order (the detail's sync line), beside the naive pick.

    python benchmarks/bench_payment_sync.py [DATA_DIR] [--orders N]

Builds the store once with services.datagen (reused when DATA_DIR already holds the orders) and
points the orders of one channel at an Alipay account, so there are unpaid and recently expired
orders to watch. Only database work is timed (no gateway is asked). The naive pick finds expired
orders by ``cancelled_at`` alone, without the ``created_at`` bound that lets the status index
answer, which is what the bound replaced.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from peewee import JOIN
from terms import ensure_store

from kashop_desktop.domain.clock import to_epoch
from kashop_desktop.services import payment_sync as ps
from kashop_desktop.services.desk import Desk
from kashop_desktop.store.models import GatewayAccount, Order, PaymentWatch


def timed(fn: Callable[[], Any], repeat: int = 20) -> tuple[float, Any]:
    samples, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), result


def line(name: str, value: float, unit: str, target: str) -> None:
    print(f"{name:<52} {value:>10.2f} {unit:<6} {target}", flush=True)


def alipay_account(desk: Desk) -> int:
    found = GatewayAccount.get_or_none(GatewayAccount.name == "bench-alipay")
    if found is None:
        with desk.atomic():
            found = GatewayAccount.create(name="bench-alipay", kind="alipay", config="{}", created_at=0)
    gid = int(found.id)
    with desk.atomic():
        Order.update(gateway=gid).where(Order.channel == "alipay").execute()
    return gid


def naive_due(desk: Desk) -> list[int]:
    now_s = to_epoch(desk.now())
    accounts = ps.syncable_accounts()
    late = ((Order.status == "cancelled") & (Order.cancelled_at >= now_s - ps.LATE_WATCH_SECONDS))
    query = (Order.select(Order.id).join(PaymentWatch, on=(PaymentWatch.order == Order.id), join_type=JOIN.LEFT_OUTER)
             .where(Order.gateway.in_(accounts) & Order.paid_at.is_null()
                    & ((Order.status == "pending_payment") | late)).limit(200))
    return [o.id for o in query]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir", nargs="?")
    parser.add_argument("--orders", type=int, default=200_000)
    args = parser.parse_args()
    data_dir = args.data_dir or tempfile.mkdtemp(prefix="kashop-bench-sync-")
    desk = Desk.open(data_dir)
    ensure_store(desk, args.orders)
    alipay_account(desk)
    sync = ps.PaymentSync(desk)
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}; "
          f"{args.orders:,} orders in {data_dir}")
    due_ms, (jobs, _) = timed(lambda: sync._due(None, 200))
    line(f"pick the due orders (every 15 s; {len(jobs)} due)", due_ms, "ms", "target < 50 ms")
    naive_ms, _ = timed(lambda: naive_due(desk), repeat=5)
    line("  naive pick (expired found by cancelled_at alone)", naive_ms, "ms", "baseline")
    forced_ms, (forced, _) = timed(lambda: sync._due(None, 10_000, True), repeat=5)
    line(f"同步支付: every watched order ({len(forced)})", forced_ms, "ms", "target < 200 ms")
    some = [o.id for o in Order.select(Order.id).where(Order.status == "pending_payment").limit(50)]
    view_ms, _ = timed(lambda: [ps.watch_view(desk, oid) for oid in some], repeat=5)
    line("detail's sync line (per order)", view_ms / max(1, len(some)), "ms", "target < 5 ms")
    desk.close()


if __name__ == "__main__":
    main()
