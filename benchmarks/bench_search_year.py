"""Dated searches on a big store: a year-like digit string (``2024``: Alipay's and 易支付's trade
nos start with their day, and a few buyers' e-mails hold the year too) and other dated terms,
the first page of 200 in every tab, timed from an empty cache as the window's database worker
reads it (``queries.first_page``): p95 and worst beside the 50 ms target, and beside the plan
before (the window widened to the newest order another field matched, so the walk went through
every newer order), with the load average.

    python benchmarks/bench_search_year.py DIR [--runs N] [--terms T ...]

DIR holds a store made by ``kashop-desktop demo --orders 1000000 --no-gui --data-dir DIR``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kashop_desktop.services.desk import Desk
from kashop_desktop.store import queries, search
from kashop_desktop.store.queries import HELD, REFUNDING, OrderFilter

TARGET_MS = 50.0
TABS = [None, "pending_payment", "paid", "delivered", "completed", "cancelled", "refunded", "partially_refunded",
        REFUNDING, HELD]


def widened(db: Any, resolution: search.Resolution) -> search.Resolution:
    """The plan before: the window stretched over the matches outside it, none listed beside."""
    if not resolution.outside or resolution.window is None:
        return resolution
    low, high = db.execute_sql("SELECT MIN(created_at), MAX(created_at) FROM orders WHERE id IN "
                               "(SELECT value FROM json_each(?))", (json.dumps(resolution.outside),)).fetchone()
    start, end = resolution.window
    return dataclasses.replace(resolution, window=(min(start, low), max(end, high + 1)), outside=[])


def time_pages(desk: Desk, term: str, runs: int, naive: bool) -> list[float]:
    real = search.resolve
    if naive:
        search.resolve = lambda db, text: (lambda r: widened(db, r) if r is not None else None)(real(db, text))
    try:
        found: list[float] = []
        for _ in range(runs):
            for status in TABS:
                search.forget()
                started = time.perf_counter()
                queries.first_page(desk.db, OrderFilter(status=status, search=term), 200)
                found.append((time.perf_counter() - started) * 1000)
        return found
    finally:
        search.resolve = real


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--terms", nargs="*", default=["2024", "2025", "KS2024", "KS202410", "20240127", "4200"])
    args = parser.parse_args()
    desk = Desk.open(args.data_dir)
    print(f"{'term':<10} {'plan':<13} {'outside':>7} {'p95 ms':>8} {'worst':>8} {'median':>8} {'naive p95':>10} "
          f"{'worst':>8} {'load':>5}  target p95 <= {TARGET_MS:.0f} ms over {len(TABS)} tabs x {args.runs}")
    every: list[float] = []
    for term in args.terms:
        search.forget()
        resolution = search.resolve(desk.db, term)
        assert resolution is not None
        kind = "selective" if resolution.selective else ("dated" if resolution.window else "walk")
        load = os.getloadavg()[0]
        ours = sorted(time_pages(desk, term, args.runs, naive=False))
        before = sorted(time_pages(desk, term, max(1, args.runs // 5), naive=True))
        every += ours
        print(f"{term:<10} {kind:<13} {len(resolution.outside):>7} {ours[int(len(ours) * 0.95)]:>8.1f} {ours[-1]:>8.1f} "
              f"{statistics.median(ours):>8.1f} {before[int(len(before) * 0.95)]:>10.1f} {before[-1]:>8.1f} {load:>5.1f}")
    every.sort()
    print(f"{'all':<10} {'':<13} {'':>7} {every[int(len(every) * 0.95)]:>8.1f} {every[-1]:>8.1f} "
          f"{statistics.median(every):>8.1f}")
    desk.close()


if __name__ == "__main__":
    main()
