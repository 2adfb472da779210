"""Opening a big store: the damage checks at every start against a full check, and a backup.

    python benchmarks/bench_open.py [DATA_DIR] [--orders N]

Builds (or reuses) DATA_DIR with N orders (default 1,000,000) the way bench_store.py does, then
prints each figure beside its target and the naive baseline: the checks ``open_store`` makes
at every start (header, size, a few pages), against ``PRAGMA quick_check`` and
``PRAGMA integrity_check`` that a naive start would run; and the daily automatic backup.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_store import rows
from kashop_desktop.domain.clock import to_epoch
from kashop_desktop.services import maintenance, views
from kashop_desktop.services.bulk import insert_orders
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.gateways import ensure_builtin_accounts
from kashop_desktop.store import db as store_db
from kashop_desktop.store.models import GatewayAccount, Product


def timed(fn: Callable[[], Any], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def build(data_dir: Path, orders: int) -> Path:
    desk = Desk.open(data_dir)
    ensure_builtin_accounts(desk)
    if views.status_counts(desk)["all"] < orders:
        with desk.atomic():
            products = [Product.get_or_create(name=f"商品{i}", defaults={"product_type": "card_code", "stock": 10**6})[0]
                        for i in range(20)]
        gateway = GatewayAccount.get(GatewayAccount.kind == "sandbox").id
        with desk.atomic():
            insert_orders(desk, rows(orders, products, gateway, to_epoch(desk.now())), batch=20000, bulk=True)
    desk.close()
    return desk.db_path


def open_and_close(path: Path) -> None:
    store_db.release(store_db.open_store(path))


def pragma(path: Path, name: str) -> None:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        assert con.execute(f"PRAGMA {name}").fetchone()[0] == "ok"
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir", nargs="?")
    parser.add_argument("--orders", type=int, default=1_000_000)
    args = parser.parse_args()
    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="kashop-bench-open-"))
    path = build(data_dir, args.orders)
    print(f"{path}: {path.stat().st_size / 1_048_576:.0f} MB, {args.orders} orders")
    print(f"{'open + checks + close (every start)':<44} {timed(lambda: open_and_close(path), 20):>10.1f} ms"
          "   target <= 50 ms")
    print(f"{'  naive: PRAGMA quick_check':<44} {timed(lambda: pragma(path, 'quick_check'), 1):>10.1f} ms")
    print(f"{'  naive: PRAGMA integrity_check':<44} {timed(lambda: pragma(path, 'integrity_check'), 1):>10.1f} ms")
    desk = Desk.open(data_dir)
    (data_dir / "bench-backups").mkdir(exist_ok=True)
    try:
        ms = timed(lambda: maintenance.backup(desk, data_dir / "bench-backups"), 1)
    finally:
        desk.close()
    print(f"{'daily backup (on the worker, not at start)':<44} {ms:>10.1f} ms   (window start does not wait for it)")


if __name__ == "__main__":
    main()
