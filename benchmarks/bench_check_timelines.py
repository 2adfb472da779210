"""The timeline rules of ``check`` on a big store: each order's rows in time order, the 卡密 log's
entries a code's state needs, and the refunded amount against the creating entry.

    python benchmarks/bench_check_timelines.py [DATA_DIR] [--orders 200000]

The store holds ``--orders`` realistic orders with their timelines (``services.datagen``; built
once, reused when DATA_DIR already holds them). Times each rule (one SQL statement each, the
window function reading the timeline in (order_id, id) order through its index) and, as the naive
baseline for the time rule, a Python pass over every row in that order. The target: each rule
within a few seconds per million orders, well under the chains' own verification (every row
hashed). Prints the figures beside the load average (the machine is shared).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_S_PER_MILLION = 5.0


def prepare(data_dir: Path, orders: int) -> object:
    from kashop_desktop.services import datagen
    from kashop_desktop.services.desk import Desk

    desk = Desk.open(data_dir)
    have = desk.db.execute_sql("SELECT COUNT(*) FROM orders").fetchone()[0]
    if have < orders:
        start = time.perf_counter()
        datagen.load(desk, orders - have, events=True)
        print(f"built {orders - have:,} orders in {time.perf_counter() - start:.0f} s")
    return desk


def naive_times(con: object) -> int | None:
    """Every row of every order's timeline through Python, the previous two remembered."""
    from kashop_desktop.domain.audit import CLOCK_SKEW_S

    last = (None, None, None)  # order id, previous at, the one before
    for row_id, order_id, at in con.execute("SELECT id, order_id, at FROM order_event ORDER BY order_id, id"):  # type: ignore[attr-defined]
        if order_id != last[0]:
            last = (order_id, None, None)
        _, b, c = last
        if b is not None and at < b - CLOCK_SKEW_S and (c is None or at < c - CLOCK_SKEW_S):
            return int(row_id)
        last = (order_id, at, b)
    return None


def timed(label: str, fn: object, *args: object) -> float:
    start = time.perf_counter()
    found = fn(*args)  # type: ignore[operator]
    took = time.perf_counter() - start
    print(f"  {label:<44} {took:6.2f} s   found: {found or 'nothing'}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir", nargs="?")
    parser.add_argument("--orders", type=int, default=200_000)
    args = parser.parse_args()
    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="kashop-bench-check-"))
    desk = prepare(data_dir, args.orders)
    from kashop_desktop.services import state_check, timeline_check

    con = desk.db.connection()  # type: ignore[attr-defined]
    (events,) = con.execute("SELECT COUNT(*) FROM order_event").fetchone()
    print(f"{args.orders:,} orders, {events:,} timeline rows; load average {os.getloadavg()[0]:.2f}")
    per_million = 1_000_000 / args.orders
    rules = {
        "times order by order (window function)": (timeline_check.time_disagreements, con),
        "卡密 log entries a code's state needs": (timeline_check.code_log_disagreements, con),
        "paid and refunded vs the creating entry": (state_check._orders_vs_timeline, con),
    }
    for label, (fn, arg) in rules.items():
        took = timed(label, fn, arg)
        print(f"    per million orders {took * per_million:6.2f} s (target {TARGET_S_PER_MILLION:.0f} s)")
    took = timed("naive: times through Python", naive_times, con)
    print(f"    per million orders {took * per_million:6.2f} s (the baseline)")
    timed("all of state_check.disagreements", state_check.disagreements, con)
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
