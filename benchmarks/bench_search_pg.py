"""The window's search on PostgreSQL beside SQLite: the same store, the same fixed terms, the same figures.

    python benchmarks/bench_search_pg.py [DATA_DIR] [--orders N] [--url URL | --keep DIR]

The SQLite store in DATA_DIR is built as ``bench_store.py`` builds it (realistic orders from
services.datagen; reused when it holds them already), then moved to a private PostgreSQL 15
cluster with ``store migrate`` (or into the empty database at --url) and ANALYZEd there; with
--keep DIR the cluster lives in DIR and is kept: the next run starts it again and reuses the
shop it holds (the move takes minutes at a million orders). Every
term of ``terms.fixed_terms`` (four selectivity classes) is searched in every status tab and
three date ranges on both stores, as the window's database worker does it
(``views.first_look``: the first page of 200 rows, the count when cheap, what matched), and the
p95 of each class is printed for both side by side, beside the target (50 ms) and the load
average. Status counts and the first page of a status tab are timed likewise.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_store import PAGE, date_ranges, timed
from terms import CLASSES, STATUS_TABS, ensure_store, fixed_terms, load_average, p95

from kashop_desktop.services import views
from kashop_desktop.services.desk import Desk
from kashop_desktop.store import search

TARGET_MS = 50.0


def searches(desk: Desk, picked: dict[str, list[tuple[str, int]]],
             ranges: dict[str, tuple[int | None, int | None]]) -> dict[tuple[str, str], list[float]]:
    """Milliseconds of each search, by (class, date range)."""
    never = lambda: False  # noqa: E731
    by_class: dict[tuple[str, str], list[float]] = {}
    for name, found in picked.items():
        for term, _ in found:
            for label, (date_from, date_to) in ranges.items():
                for status in STATUS_TABS:
                    flt = views.OrderFilter(status=status, search=term, date_from=date_from, date_to=date_to)
                    search.forget()  # every figure includes resolving the search
                    start = time.perf_counter()
                    views.first_look(desk, flt, PAGE, never)
                    by_class.setdefault((name, label), []).append((time.perf_counter() - start) * 1000)
    return by_class


def lists(desk: Desk) -> list[float]:
    counts, _ = timed(lambda: views.status_counts(desk))
    page, _ = timed(lambda: views.order_page(desk, views.OrderFilter(status="paid"), 50))
    return [counts, page]


def to_server(data_dir: Path, url: str | None, keep: Path | None) -> tuple[str, Any]:
    """The shop moved to ``url``, to the cluster kept in ``keep`` (moved there once), or to a
    private cluster started here (returned to be stopped)."""
    from kashop_desktop.services.store_move import migrate_to_server, unmark_moved

    cluster = None
    if keep is not None:
        url = kept_cluster(keep)
        if shop_orders(url) > 0:
            print(f"reusing the shop in the cluster kept in {keep}")
            return url, None
    elif url is None:
        from tests.pgserver import PrivateCluster

        cluster = PrivateCluster().start()
        url = cluster.new_database()
    start = time.perf_counter()
    report = migrate_to_server(data_dir, url)
    unmark_moved(data_dir)  # the file stays a shop: the SQLite figures are read from it
    print(f"store migrate: {report.rows:,} rows in {time.perf_counter() - start:.0f} s, verified")
    desk = Desk.open(data_dir, db_url=url)
    desk.db.execute_sql("ANALYZE")
    desk.close()
    return url, cluster


def kept_cluster(folder: Path) -> str:
    """The URL of database ``shop`` in the cluster kept in ``folder`` (made on first use, started
    when it is not running; it keeps running after the benchmark)."""
    import subprocess

    from tests.pgserver import PrivateCluster

    cluster = PrivateCluster()
    shutil.rmtree(cluster.root, ignore_errors=True)
    cluster.root, cluster.data = folder, folder / "data"
    port_file = folder / "port"
    if port_file.exists():
        cluster.port = int(port_file.read_text())
    if not cluster.data.exists():
        folder.mkdir(parents=True, exist_ok=True)
        cluster.start()
        port_file.write_text(str(cluster.port))
        cluster.execute("CREATE DATABASE shop")
    elif subprocess.run([str(cluster.bin / "pg_ctl"), "-D", str(cluster.data), "status"],  # type: ignore[operator]
                        capture_output=True, user="postgres" if cluster.as_root else None).returncode != 0:
        cluster.start_server()
    return cluster.url("shop")


def shop_orders(url: str) -> int:
    """Orders in the shop at ``url`` (0 for an empty database)."""
    import psycopg

    with psycopg.connect(url) as con:
        if con.execute("SELECT to_regclass('status_count')").fetchone()[0] is None:
            return 0
        return int(con.execute("SELECT COALESCE(SUM(n), 0) FROM status_count").fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_dir", nargs="?")
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--url", help="an empty PostgreSQL database to move the shop into (default: a private cluster)")
    parser.add_argument("--keep", type=Path, help="a folder to keep the private cluster in, reused by the next run")
    args = parser.parse_args()
    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="kashop-bench-"))
    lite = Desk.open(data_dir, file_only=True)
    ensure_store(lite, args.orders)
    picked = fixed_terms(lite)
    ranges = date_ranges(lite)
    lite.close()
    url, cluster = to_server(data_dir, args.url, args.keep)
    figures = {}
    try:
        for kind, db_url in (("SQLite", None), ("PostgreSQL", url)):
            desk = Desk.open(data_dir, db_url=db_url) if db_url else Desk.open(data_dir, file_only=True)
            searches(desk, picked, {"any time": ranges["any time"]})  # warm both caches alike
            figures[kind] = (lists(desk), searches(desk, picked, ranges), load_average())
            desk.close()
    finally:
        if cluster is not None:
            cluster.stop()
    report(figures, picked, ranges)


def report(figures: dict[str, Any], picked: dict[str, list[tuple[str, int]]],
           ranges: dict[str, tuple[int | None, int | None]]) -> None:
    total = sum(map(len, picked.values())) * len(STATUS_TABS) * len(ranges)
    print(f"\nsearch, first page of {PAGE}: {sum(map(len, picked.values()))} terms x {len(STATUS_TABS)} tabs x "
          f"{len(ranges)} date ranges = {total} searches per store")
    for kind, (_, _, load) in figures.items():
        print(f"  {kind}: {load}")
    print(f"{'':<34} {'SQLite p95':>11} {'PostgreSQL p95':>15} {'median SQLite / PG':>20}   target")
    for name in CLASSES:
        for label in ranges:
            lite, pg = (figures[k][1].get((name, label), []) for k in ("SQLite", "PostgreSQL"))
            if lite and pg:
                print(f"  {name:>9} matches, {label:<13} {p95(lite):>9.1f} ms {p95(pg):>12.1f} ms "
                      f"{statistics.median(lite):>9.1f} / {statistics.median(pg):<8.1f}  <= {TARGET_MS:.0f} ms")
    every = {k: [ms for samples in figures[k][1].values() for ms in samples] for k in figures}
    print(f"  {'every search':<32} {p95(every['SQLite']):>9.1f} ms {p95(every['PostgreSQL']):>12.1f} ms"
          f"{'':>22}<= {TARGET_MS:.0f} ms")
    for i, what in enumerate(("status counts (median)", "first page of 待发货, 50 rows (median)")):
        print(f"  {what:<32} {figures['SQLite'][0][i]:>9.2f} ms {figures['PostgreSQL'][0][i]:>12.2f} ms"
              f"{'':>22}<= 5 ms")


if __name__ == "__main__":
    main()
