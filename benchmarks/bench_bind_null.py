"""Binding None: CPU time of inserting a million order rows with and without the store's adapter.

    python benchmarks/bench_bind_null.py [--rows 200000]

Inserts ``--rows`` copies of an imported order's bound values (24 of them, 3 None: no gateway
account, not cancelled, no 卡密 use, as most imported orders have) into a table of an in-memory
SQLite database, first as Python's sqlite3 binds None by itself (the naive baseline: the adapter
registry, then both adaptation hooks, for every None) and then with the adapter ``store.db``
registers for None, and prints both per million rows, best of five.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from pathlib import Path

ROW = ("KS202311290000000", 1_700_000_000, "王者荣耀点券 60点", "卡密", 1, 600, 0, 0, 600, 0, "completed",
       1_700_000_040, 1_700_000_050, 1_700_000_050, None, "wechat", None, "4200998853093320231129895479",
       "CARDSHOP88559@QQ.COM", "cardshop88559@qq.com", None, 1_700_000_050, 3, 42)


def per_million(rows: int) -> float:
    """Best of five: CPU seconds to insert a million rows like ``ROW``, one statement per row."""
    con = sqlite3.connect(":memory:")
    con.execute(f"CREATE TABLE t ({', '.join(f'c{i}' for i in range(len(ROW)))})")
    sql = f"INSERT INTO t VALUES ({', '.join('?' * len(ROW))})"
    best = float("inf")
    for _ in range(5):
        batch = [ROW] * rows
        start = time.process_time()
        con.executemany(sql, batch)
        best = min(best, time.process_time() - start)
        assert con.execute("SELECT count(*) FROM t WHERE c14 IS NULL").fetchone()[0] == rows
        con.execute("DELETE FROM t")
    con.close()
    return best * 1_000_000 / rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    rows = parser.parse_args().rows
    key = (type(None), sqlite3.PrepareProtocol)
    sqlite3.adapters.pop(key, None)
    naive = per_million(rows)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import kashop_desktop.store.db  # noqa: F401  (registers the adapter)

    assert key in sqlite3.adapters
    ours = per_million(rows)
    print(f"binding {len(ROW)} values, {sum(v is None for v in ROW)} of them None, per 1,000,000 rows (CPU, best of 5)")
    print(f"{'figure':<32} {'measured':>9} {'naive baseline':>15}")
    print(f"{'executemany INSERT':<32} {ours:>7.2f} s {naive:>13.2f} s")


if __name__ == "__main__":
    main()
