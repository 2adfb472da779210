"""``store migrate --to`` benchmark: a demo shop's SQLite file copied to PostgreSQL and verified.

    python benchmarks/bench_migrate.py [--orders 1000000] [--keep DIR] [--naive-rows 20000]

Builds the demo shop of ``--orders`` orders (or reuses the one in ``--keep DIR``), starts a
private PostgreSQL cluster (tests/pgserver.py, Debian's binaries), and runs the copy in a child
process so its peak RSS is the copy's own: wall time, rows per second, every table's rows and
money sums as verified. The naive baseline copies the first ``--naive-rows`` orders the obvious
way (``executemany`` INSERTs of every row, triggers on) and is printed scaled to the shop's
orders, clearly labelled as scaled. The load average is printed beside the figures: the
machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: A million-order shop (with its ~4 M timeline rows) moved within 10 minutes in under 300 MB.
TARGET_SECONDS, TARGET_MB = 600.0, 300.0


def build(data_dir: Path, orders: int) -> None:
    if (data_dir / "kashop.sqlite3").exists():
        return
    env = {**os.environ, "KASHOP_SECRETS": "vault", "KASHOP_VAULT_PASSPHRASE": "bench", "QT_QPA_PLATFORM": "offscreen"}
    subprocess.run([sys.executable, "-m", "kashop_desktop", "demo", "--orders", str(orders), "--no-gui",
                    "--data-dir", str(data_dir)], check=True, env=env)


def child(data_dir: Path, url: str) -> None:
    from kashop_desktop.services.store_move import migrate_to_server

    report = migrate_to_server(data_dir, url)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": report.seconds, "peak_mb": peak, "rows": report.rows,
                      "tables": [[t.table, t.rows, t.sums, t.seconds] for t in report.tables]}))


def naive(data_dir: Path, url: str, rows: int) -> float:
    """Seconds for the first ``rows`` orders copied row by row with INSERTs (triggers on)."""
    import psycopg

    from kashop_desktop.store import server

    server.open_server_store(url).close()
    lite = sqlite3.connect(data_dir / "kashop.sqlite3")
    columns = [r[1] for r in lite.execute("PRAGMA table_info(orders)")]
    batch = lite.execute(f"SELECT {', '.join(columns)} FROM orders ORDER BY id LIMIT {rows}").fetchall()
    start = time.perf_counter()
    with psycopg.connect(url) as con, con.cursor() as cur:
        cur.execute("ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_buyer_ref_id_fkey")
        cur.execute("ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_product_id_fkey")
        cur.execute("ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_gateway_id_fkey")
        cur.executemany(f"INSERT INTO orders ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})",
                        batch)
    lite.close()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the demo shop here")
    parser.add_argument("--naive-rows", type=int, default=20_000)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), args.child[1])
        return
    from tests.pgserver import PrivateCluster

    data_dir = args.keep or Path(tempfile.mkdtemp(prefix="kashop-bench-migrate-")) / "data"
    started = time.perf_counter()
    build(data_dir, args.orders)
    print(f"demo shop of {args.orders:,} orders ready in {time.perf_counter() - started:.0f} s ({data_dir})")
    cluster = PrivateCluster().start()
    try:
        url = cluster.new_database()
        out = subprocess.run([sys.executable, __file__, "--child", str(data_dir), url], check=True,
                             capture_output=True, text=True).stdout
        result = json.loads(out.strip().splitlines()[-1])
        naive_s = naive(data_dir, cluster.new_database(), args.naive_rows)
    finally:
        cluster.stop()
    load = os.getloadavg()
    print(f"{'table':<20} {'rows':>12} {'seconds':>8}  money sums (fen, equal on both sides)")
    for table, rows, sums, seconds in result["tables"]:
        shown = "  ".join(f"{k}={v}" for k, v in sums.items())
        print(f"{table:<20} {rows:>12,} {seconds:>8.1f}  {shown}")
    orders = next(r for t, r, _, _ in result["tables"] if t == "orders")
    rate = result["rows"] / result["seconds"]
    print(f"\nstore migrate: {result['rows']:,} rows ({orders:,} orders) in {result['seconds']:.1f} s "
          f"({rate:,.0f} rows/s), verified; peak {result['peak_mb']:.0f} MB"
          f"   target: {TARGET_SECONDS:.0f} s, {TARGET_MB:.0f} MB")
    print(f"naive baseline: {args.naive_rows:,} orders by row-by-row INSERT in {naive_s:.1f} s -> "
          f"{naive_s * orders / args.naive_rows:.0f} s for {orders:,} orders (scaled; orders only, no timeline)")
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
