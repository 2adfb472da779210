"""The timeline rules of ``check`` on a big store: each order's rows in time order, the 卡密 log's
entries a code's state needs, and the refunded amount against the creating entry.

    python benchmarks/bench_check_timelines.py [DATA_DIR] [--orders 200000]

The store holds ``--orders`` realistic orders with their timelines (``services.datagen``; built
once, reused when DATA_DIR already holds them). Times each rule as check runs it on the data
file: the time rule one pass over the timeline in (order_id, id) order through its index (the
server store's window query is timed too, on this file, as the naive baseline: one SQL statement,
slower in SQLite); the refunded rule reads only the orders whose refunded amount is not their
refunds' (the naive baseline joins every creating entry). The target: each rule within a few
seconds per million orders. Prints the figures beside the load average (the machine is shared).
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


def window_times(con: object) -> object:
    """The time rule as one window query (what a server store runs)."""
    from kashop_desktop.services.timeline_check import _BACKWARDS

    return con.execute(_BACKWARDS.format(key="order_id", table="order_event", where="")).fetchone()  # type: ignore[attr-defined]


def naive_refunded(con: object) -> object:
    """The refunded rule over every creating entry, joined with the refunds, parsed in Python."""
    import json

    sql = ("SELECT o.refunded_fen, COALESCE(x.done, 0), e.action, e.data FROM order_event e JOIN orders o "
           "ON o.id = e.order_id LEFT JOIN (SELECT order_id, SUM(gross_fen) AS done FROM refund WHERE state = "
           "'succeeded' GROUP BY order_id) x ON x.order_id = o.id WHERE e.action IN ('created', 'imported')")
    for refunded, done, action, data in con.execute(sql):  # type: ignore[attr-defined]
        start = 0 if action == "created" else json.loads(data).get("refunded_fen")
        if isinstance(start, int) and refunded != done + start:
            return refunded
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
        "times order by order (one pass, the index)": (timeline_check.time_disagreements, window_times),
        "refunded vs the creating entry": (state_check._refunded_vs_timeline, naive_refunded),
        "卡密 log entries a code's state needs": (timeline_check.code_log_disagreements, None),
    }
    for label, (fn, naive) in rules.items():
        took = timed(label, fn, con)
        print(f"    per million orders {took * per_million:6.2f} s (target {TARGET_S_PER_MILLION:.0f} s)")
        if naive is not None:
            took = timed("  naive baseline", naive, con)
            print(f"    per million orders {took * per_million:6.2f} s")
    timed("all of state_check.disagreements", state_check.disagreements, con)
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
