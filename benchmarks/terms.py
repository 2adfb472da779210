"""Shared by the benchmarks: the realistic store, the fixed search terms in four selectivity
classes, and the naive query plan the planner replaced (for the baseline figures).

The terms are drawn from the store itself (so they fit whatever it holds) and counted in the
全部 tab; class targets scale with the store's size (at 1,000,000 orders: 1, ~100, ~10,000,
~300,000 matches; a term belongs to a class within a factor of three of its target).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kashop_desktop.domain.contacts import clean
from kashop_desktop.services import datagen, views
from kashop_desktop.services.desk import Desk
from kashop_desktop.store import queries
from kashop_desktop.store.search import _buyer_match

CLASSES = {"1": 1, "~100": 100, "~10,000": 10_000, "~300,000": 300_000}
#: Every tab of the orders page, 全部 first.
STATUS_TABS = [None, "pending_payment", "paid", "delivered", "completed", "cancelled", queries.REFUNDING, "refunded",
               "partially_refunded"]
PER_CLASS = {"1": 40, "~100": 30, "~10,000": 25, "~300,000": 15}
PRODUCT_WORDS = ["元", "卡", "点", "王者荣耀", "点券", "话费", "中国移动", "会员", "Steam", "爱奇艺", "腾讯视频",
                 "VIP", "网易云", "京东", "月卡", "季卡", "100", "680"]


def ensure_store(desk: Desk, n: int, seed: int = 7) -> None:
    """``n`` realistic orders in ``desk`` (built once; reused when it holds them already)."""
    have = views.status_counts(desk)["all"]
    if have >= n:
        print(f"reusing {have:,} orders in {desk.data_dir}")
        return
    # A throwaway fixture: durability is not the point, and a big cache keeps the indexes in memory.
    desk.db.execute_sql("PRAGMA synchronous = OFF")
    desk.db.execute_sql("PRAGMA cache_size = -1000000")
    start = time.perf_counter()
    datagen.load(desk, n - have, seed=seed, events=False)
    desk.db.execute_sql("ANALYZE")
    desk.db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    desk.db.execute_sql("PRAGMA synchronous = NORMAL")
    desk.db.execute_sql("PRAGMA cache_size = -16000")
    print(f"built {n - have:,} realistic orders in {time.perf_counter() - start:.1f} s "
          f"({datagen.distinct_buyers(desk):,} distinct buyer strings; not part of any figure)")


def _digits(buyer: str) -> str:
    return re.sub(r"\D", "", buyer.translate(str.maketrans("０１２３４５６７８９", "0123456789")))


def _candidates(desk: Desk, total: int) -> Iterator[str]:
    db = desk.db
    step = max(1, total // 60)
    for oid, no, trade in db.execute_sql(
            "SELECT id, order_no, gateway_trade_no FROM orders WHERE id % ? = 7 LIMIT 60", (step,)):
        yield no
        yield no[-7:] if oid % 2 else no[:-1]
        if trade:
            yield trade
    for (buyer,) in db.execute_sql("SELECT buyer FROM orders GROUP BY buyer HAVING COUNT(*) = 1 LIMIT 30"):
        yield buyer.strip()
    low, high = max(2, total // 30_000), max(4, total // 3_000)
    for (buyer,) in db.execute_sql("SELECT buyer FROM orders GROUP BY buyer HAVING COUNT(*) BETWEEN ? AND ? "
                                   "LIMIT 60", (low, high)):
        yield buyer.strip()
        if len(_digits(buyer)) >= 7:
            yield _digits(buyer)[-11:]
    for (buyer,) in db.execute_sql("SELECT buyer FROM orders GROUP BY buyer ORDER BY COUNT(*) DESC LIMIT 8"):
        yield buyer.strip()
    for (month,) in db.execute_sql("SELECT DISTINCT substr(order_no, 1, 8) FROM orders WHERE order_no GLOB 'KS2*'"):
        yield month
    for (year,) in db.execute_sql("SELECT DISTINCT substr(order_no, 1, 6) FROM orders WHERE order_no GLOB 'KS2*'"):
        yield year
    yield from ["@sina.com", "@gmail.com", "@126.com", "@outlook.com", "@foxmail.com", "@163.com", "@qq.com",
                "com", "qq:", "QQ "]
    yield from PRODUCT_WORDS


def pick_terms(desk: Desk) -> dict[str, list[tuple[str, int]]]:
    """Terms per class, each with its match count in the 全部 tab."""
    total = views.status_counts(desk)["all"]
    scale = total / 1_000_000
    picked: dict[str, list[tuple[str, int]]] = {name: [] for name in CLASSES}
    seen: set[str] = set()
    start = time.perf_counter()
    for term in _candidates(desk, total):
        if term in seen or not term:
            continue
        seen.add(term)
        n = views.count_orders(desk, views.OrderFilter(search=term))
        for name, target in CLASSES.items():
            wanted = max(1.0, target * scale)
            fits = n == 1 if target == 1 else wanted / 3 <= n <= wanted * 3
            if fits and len(picked[name]) < PER_CLASS[name]:
                picked[name].append((term, n))
    print(f"picked {sum(map(len, picked.values()))} terms from {len(seen)} candidates in "
          f"{time.perf_counter() - start:.1f} s: " + ", ".join(f"{k} x{len(v)}" for k, v in picked.items()))
    return picked


TERMS_FILE = "bench_terms.json"


def fixed_terms(desk: Desk) -> dict[str, list[tuple[str, int]]]:
    """``pick_terms``, picked once per store and kept beside it: every run, and both
    benchmarks, search the same fixed set."""
    path = Path(desk.data_dir) / TERMS_FILE
    if path.exists():
        return {name: [(term, n) for term, n in found] for name, found in json.loads(path.read_text("utf-8")).items()}
    picked = pick_terms(desk)
    path.write_text(json.dumps(picked, ensure_ascii=False), encoding="utf-8")
    return picked


# ---- the naive plan (before the planner): one OR over every field, the planner left to choose ----

def naive_source(db: Any, flt: queries.OrderFilter) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if flt.status == queries.REFUNDING:
        clauses.append("o.id IN (SELECT order_id FROM refund WHERE state IN ('queued','sending','unknown','failed'))")
    elif flt.status:
        clauses.append("o.status = ?")
        params.append(flt.status)
    if flt.date_from is not None:
        clauses.append("o.created_at >= ?")
        params.append(flt.date_from)
    if flt.date_to is not None:
        clauses.append("o.created_at < ?")
        params.append(flt.date_to)
    q = clean(flt.search)
    if q:
        kind = queries.classify_search(q)
        terms = ["(o.order_no >= ? AND o.order_no < ?)"]
        params += [q.upper(), q.upper() + "\uffff"]
        if kind in ("trade_no", "order_no", "qq", "text"):
            terms.append("o.gateway_trade_no = ?")
            params.append(q)
        match = _buyer_match(q) if kind in ("phone", "qq", "email", "text", "order_no") else None
        if match:
            terms.append("o.id IN (SELECT rowid FROM orders_fts WHERE orders_fts MATCH ?)")
            params.append(match)
        if kind == "text":
            ids = [r[0] for r in db.execute_sql("SELECT id FROM product WHERE instr(name, ?) > 0", (q,)).fetchall()]
            if ids:
                terms.append(f"o.product_id IN ({','.join('?' * len(ids))})")
                params += ids
        clauses.append("(" + " OR ".join(terms) + ")")
    return f" FROM orders o WHERE {' AND '.join(clauses or ['1'])}", params


@contextmanager
def naive_plan() -> Iterator[None]:
    """Every list query planned the old way while inside."""
    planned, listed = queries._source, queries._listed
    queries._source = naive_source  # type: ignore[assignment]
    queries._listed = lambda db, flt: None  # type: ignore[assignment]
    try:
        yield
    finally:
        queries._source, queries._listed = planned, listed  # type: ignore[assignment]


def load_average() -> str:
    """The machine's load average (1, 5, 15 minutes), printed beside every figure."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} on {os.cpu_count()} cores"


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
