"""The tamper-evident log on a big store: schema 14 chaining the events already there, and
``check`` verifying the chains.

    python benchmarks/bench_chain.py [DATA_DIR] [--orders 1000000]

The store holds ``--orders`` realistic orders with their timelines (``services.datagen``, about
three events an order; built once, reused when DATA_DIR already holds them). Each run puts the
events back as schema 13 left them (no hash, no head, ``user_version`` 13) and times the store's
open (the migration: every event hashed in id order, written back in batches), then the chains'
verification alone. The naive baseline chains the same rows one UPDATE statement at a time.
Prints the figures beside the load average (the machine is shared).
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_import import load  # noqa: E402

STORE = "kashop.sqlite3"


def prepare(data_dir: Path, orders: int) -> int:
    from kashop_desktop.services import datagen
    from kashop_desktop.services.desk import Desk

    desk = Desk.open(data_dir)
    have = desk.db.execute_sql("SELECT COUNT(*) FROM orders").fetchone()[0]
    if have < orders:
        start = time.perf_counter()
        datagen.load(desk, orders - have, events=True)
        print(f"built {orders - have:,} realistic orders with their timelines in {time.perf_counter() - start:.0f} s "
              "(not a figure)")
    events = int(desk.db.execute_sql("SELECT COUNT(*) FROM order_event").fetchone()[0])
    desk.close()
    return events


def unchain(data_dir: Path) -> None:
    """The events as schema 13 left them: no hash, no predecessor, no head; version 13."""
    con = sqlite3.connect(data_dir / STORE)
    con.execute("UPDATE order_event SET hash = NULL, prev_id = NULL")
    con.execute("UPDATE code_event SET hash = NULL, prev_id = NULL")
    con.execute("DELETE FROM chain_head")
    con.execute("PRAGMA user_version = 13")
    con.commit()
    con.close()


def naive_chain(data_dir: Path) -> float:
    """The same chaining with one UPDATE per row (what a row-by-row migration would do)."""
    from kashop_desktop.domain.audit import GENESIS, ORDER_EVENT_FIELDS, link

    con = sqlite3.connect(data_dir / STORE)
    start = time.perf_counter()
    prev_id, prev = 0, GENESIS
    rows = con.execute(f"SELECT {', '.join(ORDER_EVENT_FIELDS[2:])}, id FROM order_event ORDER BY id").fetchall()
    for *fields, row_id in rows:
        prev = link(prev, (row_id, prev_id, *fields))
        con.execute("UPDATE order_event SET prev_id = ?, hash = ? WHERE id = ?", (prev_id, prev, row_id))
        prev_id = row_id
    con.commit()
    seconds = time.perf_counter() - start
    con.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", type=Path)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--naive", action="store_true", help="also time the row-by-row chaining")
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="bench-chain-"))
    events = prepare(data_dir, args.orders)
    from kashop_desktop.services import maintenance
    from kashop_desktop.services.desk import Desk

    print(load(), flush=True)
    unchain(data_dir)
    start, cpu = time.perf_counter(), time.process_time()
    desk = Desk.open(data_dir)  # runs migration 14: chains every event
    migrate, migrate_cpu = time.perf_counter() - start, time.process_time() - cpu
    start, cpu = time.perf_counter(), time.process_time()
    rows, breaks = maintenance.verify_log(desk)
    verify, verify_cpu = time.perf_counter() - start, time.process_time() - cpu
    desk.close()
    assert not breaks, breaks
    naive = "-"
    if args.naive:
        unchain(data_dir)
        naive = f"{naive_chain(data_dir):.1f} s"
        unchain(data_dir)
        Desk.open(data_dir).close()
    print(f"{events:,} timeline events, {rows:,} chained rows in all")
    print(f"{'figure':<52} {'wall':>8} {'CPU':>8}   naive")
    print(f"{'schema 14: chain every event already in the store':<52} {migrate:>6.1f} s {migrate_cpu:>6.1f} s   {naive}")
    print(f"{'check: verify the chains':<52} {verify:>6.1f} s {verify_cpu:>6.1f} s")
    print(load())


if __name__ == "__main__":
    main()
