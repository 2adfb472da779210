"""Store benchmark: builds 1,000,000 orders and prints the figures of the core issue.

    python benchmarks/bench_store.py [DATA_DIR] [--orders N]

Prints each figure beside its target. Reuses DATA_DIR if it already holds the orders.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kashop_desktop.domain.clock import to_epoch
from kashop_desktop.services import requests as reqs
from kashop_desktop.services import views
from kashop_desktop.services.bulk import insert_orders
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.gateways import ensure_builtin_accounts
from kashop_desktop.store.models import GatewayAccount, Product

STATUSES = ["completed"] * 45 + ["delivered"] * 20 + ["paid"] * 8 + ["pending_payment"] * 5 + ["cancelled"] * 14 + [
    "refunded"] * 5 + ["partially_refunded"] * 3


def rows(n: int, products: list[Any], gateway: int, now_s: int) -> Iterator[dict[str, Any]]:
    rng = random.Random(1)
    for i in range(n):
        p = products[i % len(products)]
        status = STATUSES[rng.randrange(len(STATUSES))]
        created = now_s - (n - i) * 8
        paid = status not in ("pending_payment", "cancelled")
        yield {
            "order_no": f"KS{i:010d}", "created_at": created, "product_id": p.id, "product_name": p.name,
            "product_type": p.product_type, "list_fen": 6800, "paid_fen": 100 + rng.randrange(20000),
            "status": status, "channel": "alipay", "gateway_id": gateway,
            "buyer": f"1{rng.randrange(3, 9)}{rng.randrange(10**9):09d}" if i % 3 else f"qq:{rng.randrange(10**9)}",
            "paid_at": created + 30 if paid else None,
            "gateway_trade_no": f"2026{i:016d}" if paid else None,
            "delivered_at": created + 60 if status in ("delivered", "completed", "refunded") else None,
        }


def timed(fn: Callable[[], Any], repeat: int = 20) -> tuple[float, Any]:
    samples, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), result


def line(name: str, value: float, unit: str, target: str) -> None:
    print(f"{name:<44} {value:>10.2f} {unit:<6} target {target}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir", nargs="?")
    parser.add_argument("--orders", type=int, default=1_000_000)
    args = parser.parse_args()
    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="kashop-bench-"))
    desk = Desk.open(data_dir)
    ensure_builtin_accounts(desk)
    have = views.status_counts(desk)["all"]
    print(f"data dir {data_dir}; {have} orders already there")
    if have < args.orders:
        with desk.atomic():
            products = [Product.get_or_create(name=f"商品{i}", defaults={"product_type": "card_code", "stock": 10**6})[0]
                        for i in range(20)]
        gateway = GatewayAccount.get(GatewayAccount.kind == "sandbox").id
        start = time.perf_counter()
        with desk.atomic():
            n = insert_orders(desk, rows(args.orders, products, gateway, to_epoch(desk.now())), batch=20000, bulk=True)
        elapsed = time.perf_counter() - start
        line("generate + load orders (s)", elapsed, "s", "<= 60 s for 1M")
        print(f"{'  import rate':<44} {n / elapsed:>10.0f} rows/s")
    desk.db.execute_sql("ANALYZE")

    ms, counts = timed(lambda: views.status_counts(desk))
    line("status counts", ms, "ms", "<= 5 ms")
    flt = views.OrderFilter(status="paid")
    ms, first = timed(lambda: views.order_page(desk, flt, 50))
    line("first filtered page (status=paid, 50 rows)", ms, "ms", "<= 5 ms")
    after = views.keyset_of(first[-1], flt)
    ms, _ = timed(lambda: views.order_page(desk, flt, 50, after=after))
    line("keyset next page", ms, "ms", "(no target; vs OFFSET below)")
    ms, _ = timed(lambda: views.order_page(desk, views.OrderFilter(), 50, offset=500_000), repeat=5)
    line("  for comparison: OFFSET 500,000", ms, "ms", "-")
    prefix = views.OrderFilter(search="KS000012345")
    ms, found = timed(lambda: views.order_page(desk, prefix, 50))
    line(f"order-no prefix search ({len(found)} rows)", ms, "ms", "<= 5 ms")
    buyer = first[0].buyer[3:9]
    sub = views.OrderFilter(search=buyer)
    ms, found = timed(lambda: views.order_page(desk, sub, 50))
    line(f"buyer substring search '{buyer}' ({len(found)} rows)", ms, "ms", "<= 20 ms")
    ms, total = timed(lambda: views.count_orders(desk, sub), repeat=5)
    line(f"  count of that search ({total})", ms, "ms", "-")
    ms, _ = timed(lambda: views.order_page(desk, views.OrderFilter(search="2026000000000123456"), 50))
    line("gateway trade-no search", ms, "ms", "-")

    # Bulk approve of 10,000 open requests (one transaction, events and refunds written).
    paid = [r[0] for r in desk.db.execute_sql(
        "SELECT id FROM orders WHERE status = 'paid' AND id NOT IN (SELECT order_id FROM cancel_request) LIMIT 10000")]
    now_s = to_epoch(desk.now())
    due = to_epoch(desk.now() + timedelta(days=2))
    with desk.atomic():
        desk.db.connection().executemany(
            "INSERT INTO cancel_request (order_id, is_dispute, reason, note, evidence, state, requested_at, due_at, "
            "overdue, outcome, decision_reasons, decision_note) VALUES (?, 0, 'wrong_item', '', '', 'open', ?, ?, 0, "
            "'needs_review', '[]', '')", [(oid, now_s, due) for oid in paid])
    ids = [r[0] for r in desk.db.execute_sql("SELECT id FROM cancel_request WHERE state = 'open' ORDER BY id DESC "
                                             "LIMIT 10000")]
    start = time.perf_counter()
    changes = reqs.bulk_approve(desk, ids)
    elapsed = time.perf_counter() - start
    line(f"bulk approve {len(changes.request_ids)} with events", elapsed, "s", "<= 1.5 s for 10k")
    print(f"  skipped {len(changes.skipped)}; refunds queued {len(changes.refund_ids)}; counts now {counts['all']}")
    desk.close()


if __name__ == "__main__":
    main()
