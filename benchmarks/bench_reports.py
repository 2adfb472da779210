"""Reports benchmark: each report (sales, refunds, reasons; per day, week, month; in total and
per product, channel, gateway) over the last year and the last three years of a big store,
read from the summary tables, beside the naive GROUP BY over the orders (and timeline and
requests) computing the same numbers, with the load average.

    python benchmarks/bench_reports.py DIR [--runs N]

DIR holds a store made by ``kashop-desktop demo --orders 1000000 --no-gui --data-dir DIR``.
Each figure is the median of N runs (default 5) on a warm cache, as a page reading it again.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import timedelta

from kashop_desktop.services import reports
from kashop_desktop.services.desk import Desk
from kashop_desktop.store.report_tables import day_of, is_cancel, reason_of

TARGET_MS = 300.0
_DIMS = {None: "''", "product": "o.product_id", "channel": "o.channel", "gateway": "o.gateway_id"}


def naive(desk: Desk, kind: str, low: int, high: int, split: str | None) -> list[tuple]:
    """The same sums straight from the orders (and timeline, requests): a GROUP BY per report."""
    column = _DIMS[split]
    db = desk.db
    if kind in ("sales", "refunds"):
        rows = db.execute_sql(
            f"SELECT {day_of('o.paid_at')} AS day, {column}, COUNT(*), SUM(o.paid_fen), SUM(o.refunded_fen > 0), "
            f"SUM(o.refunded_fen) FROM orders o WHERE o.paid_at IS NOT NULL AND {day_of('o.paid_at')} BETWEEN ? AND ? "
            "GROUP BY 1, 2", (low, high)).fetchall()
        if kind == "refunds":
            rows += db.execute_sql(
                f"SELECT {day_of('r.decided_at')}, {column}, COUNT(*), "
                "SUM(r.decided_at - r.requested_at) FROM cancel_request r JOIN orders o ON o.id = r.order_id "
                f"WHERE r.decided_at IS NOT NULL AND {day_of('r.decided_at')} BETWEEN ? AND ? GROUP BY 1, 2",
                (low, high)).fetchall()
        return rows
    return db.execute_sql(
        f"SELECT {day_of('e.at')}, {column}, {reason_of('e')}, COUNT(*) FROM order_event e JOIN orders o ON o.id = e.order_id "
        f"WHERE {is_cancel('e')} AND {day_of('e.at')} BETWEEN ? AND ? GROUP BY 1, 2, 3", (low, high)).fetchall()


def timed(fn, runs: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    desk = Desk.open(args.data_dir)
    today = desk.now().date()
    orders = desk.db.execute_sql("SELECT COUNT(*) FROM orders").fetchone()[0]
    print(f"{orders:,} orders; median of {args.runs} runs; target <= {TARGET_MS:.0f} ms per report")
    print(f"{'report':<34} {'range':>6} {'ms':>8} {'naive ms':>9} {'load':>5}")
    worst = 0.0
    for years in (1, 3):
        start = today - timedelta(days=365 * years - 1)
        low, high = reports.day_number(start), reports.day_number(today)
        for kind in reports.KINDS:
            for split in (None, *reports.SPLITS):
                for by in reports.PERIODS:
                    ms = timed(lambda: reports.report(desk, kind, start, today, by, split), args.runs)  # noqa: B023
                    worst = max(worst, ms)
                    naive_ms = timed(lambda: naive(desk, kind, low, high, split), 1) if by == "day" else None  # noqa: B023
                    name = f"{kind} per {by}" + (f", per {split}" if split else "")
                    naive_text = f"{naive_ms:>9.0f}" if naive_ms is not None else f"{'':>9}"
                    print(f"{name:<34} {years:>5}y {ms:>8.1f} {naive_text} {os.getloadavg()[0]:>5.1f}")
    print(f"worst report: {worst:.1f} ms (target <= {TARGET_MS:.0f} ms)")
    desk.close()


if __name__ == "__main__":
    main()
