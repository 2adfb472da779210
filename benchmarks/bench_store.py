"""Store benchmark on realistic data (services.datagen): prints each figure beside its target
and, where it replaced something, beside the naive figure measured in the same run.

    python benchmarks/bench_store.py [DATA_DIR] [--orders N] [--naive-terms K]

Builds the store once (reused when DATA_DIR already holds the orders). The search figures are
what the window's database worker does for a filter (``views.first_look``: the first page of
200 rows, the count when it is cheap, what the search matched), over a fixed set of terms in
four selectivity classes (``terms.py``) in every status tab. The naive baseline is the plan the
planner replaced (one OR over every field, the planner left to choose) with the count first, as
the window used to read a filter; it is timed on the first K terms of each class.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from terms import CLASSES, STATUS_TABS, ensure_store, fixed_terms, load_average, naive_plan, p95

from kashop_desktop.domain.clock import SHOP_TZ, to_epoch
from kashop_desktop.services import requests as reqs
from kashop_desktop.services import views
from kashop_desktop.services.desk import Desk
from kashop_desktop.store import search

PAGE = 200


def timed(fn: Callable[[], Any], repeat: int = 20) -> tuple[float, Any]:
    samples, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), result


def line(name: str, value: float, unit: str, target: str) -> None:
    print(f"{name:<52} {value:>10.2f} {unit:<6} target {target}", flush=True)


def list_figures(desk: Desk) -> None:
    ms, _ = timed(lambda: views.status_counts(desk))
    line("status counts", ms, "ms", "<= 5 ms")
    flt = views.OrderFilter(status="paid")
    ms, first = timed(lambda: views.order_page(desk, flt, 50))
    line("first filtered page (status=paid, 50 rows)", ms, "ms", "<= 5 ms")
    after = views.keyset_of(first[-1], flt)
    ms, _ = timed(lambda: views.order_page(desk, flt, 50, after=after))
    line("keyset next page", ms, "ms", "(no target; vs OFFSET below)")
    ms, _ = timed(lambda: views.order_page(desk, views.OrderFilter(), 50, offset=500_000), repeat=5)
    line("  for comparison: OFFSET 500,000", ms, "ms", "-")


def date_ranges(desk: Desk) -> dict[str, tuple[int | None, int | None]]:
    """The date ranges every term is searched in: none, the last 30 days, the oldest full year."""
    now = to_epoch(desk.now())
    first = desk.db.execute_sql("SELECT MIN(created_at) FROM orders").fetchone()[0]
    year = datetime.fromtimestamp(first, SHOP_TZ).year + 1
    start, end = (to_epoch(datetime(y, 1, 1, tzinfo=SHOP_TZ)) for y in (year, year + 1))
    return {"any time": (None, None), "last 30 days": (now - 30 * 86400, now), f"all of {year}": (start, end)}


def search_figures(desk: Desk, naive_terms: int) -> None:
    picked = fixed_terms(desk)
    ranges = date_ranges(desk)
    never = lambda: False  # noqa: E731
    by_class: dict[tuple[str, str], list[float]] = {}
    naive: dict[str, list[float]] = {name: [] for name in CLASSES}
    timed_all: list[tuple[float, str, Any, str]] = []
    for name, found in picked.items():
        for i, (term, _) in enumerate(found):
            for label, (date_from, date_to) in ranges.items():
                for status in STATUS_TABS:
                    flt = views.OrderFilter(status=status, search=term, date_from=date_from, date_to=date_to)
                    search.forget()  # every figure includes resolving the search
                    start = time.perf_counter()
                    views.first_look(desk, flt, PAGE, never)
                    ms = (time.perf_counter() - start) * 1000
                    by_class.setdefault((name, label), []).append(ms)
                    timed_all.append((ms, term, status, label))
                    if i < naive_terms and date_from is None:
                        with naive_plan():
                            start = time.perf_counter()
                            views.count_orders(desk, flt)
                            views.order_page(desk, flt, PAGE)
                            naive[name].append((time.perf_counter() - start) * 1000)
    terms = sum(map(len, picked.values()))
    print(f"search, first page of {PAGE} (+ cheap count, + what matched), {terms} terms x {len(STATUS_TABS)} tabs "
          f"x {len(ranges)} date ranges = {len(timed_all)} searches ({load_average()}):")
    for name in CLASSES:
        for label in ranges:
            samples = by_class.get((name, label), [])
            old = naive[name] if label == "any time" else []
            if samples:
                extra = f"   naive p95 {p95(old):8.1f} ms over {len(old)}" if old else ""
                print(f"  {name:>9} matches, {label:<13}: p95 {p95(samples):7.1f} ms, "
                      f"median {statistics.median(samples):6.1f} ms over {len(samples):>4}{extra}")
    line("search first page, p95 over every term, tab and range", p95([t[0] for t in timed_all]), "ms",
         "<= 50 ms (window: + paint)")
    no_range = [ms for (name, label), samples in by_class.items() if label == "any time" for ms in samples]
    line("  the same without a date range", p95(no_range), "ms", "<= 50 ms")
    olds = [ms for samples in naive.values() for ms in samples]
    if olds:
        line("  naive plan (count, then page), p95", p95(olds), "ms", "- (the plan replaced)")
    timed_all.sort(key=lambda t: t[0], reverse=True)
    over = [t for t in timed_all if t[0] > 50]
    print(f"  over 50 ms: {len(over)} of {len(timed_all)}; slowest: "
          + "; ".join(f"{ms:.0f} ms {term!r} in {status or 'all'}, {label}" for ms, term, status, label in timed_all[:5]))


def bulk_approve(desk: Desk) -> None:
    """Bulk approve of 10,000 open requests (one transaction, events and refunds written)."""
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
    print(f"  skipped {len(changes.skipped)}; refunds queued {len(changes.refund_ids)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir", nargs="?")
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--naive-terms", type=int, default=2, help="terms per class also timed the naive way")
    parser.add_argument("--no-approve", action="store_true", help="skip the bulk-approval figure")
    args = parser.parse_args()
    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="kashop-bench-"))
    desk = Desk.open(data_dir)
    ensure_store(desk, args.orders)
    print(load_average())
    list_figures(desk)
    search_figures(desk, args.naive_terms)
    if not args.no_approve:
        bulk_approve(desk)
    desk.close()


if __name__ == "__main__":
    main()
