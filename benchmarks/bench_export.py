"""Export benchmark: ``orders export`` of a big store's order list to CSV and XLSX, wall time
and peak memory of each export (a child process each), beside the target and the naive way
(every row read into memory at once, formatted through datetime/Decimal per cell and written
with csv.DictWriter, or an ordinary openpyxl workbook saved at the end), with the load average.

    python benchmarks/bench_export.py DIR [--naive-rows N]

DIR holds a store made by ``kashop-desktop demo --orders 1000000 --no-gui --data-dir DIR``.
The naive XLSX runs on the first N rows (default 100,000) and is scaled up: it holds every
cell in memory and grows faster than linearly, so the true figure is worse.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 30.0


def child(data_dir: str, fmt: str, status: str | None, search: str, naive: int) -> None:
    from kashop_desktop.services import exports
    from kashop_desktop.services.desk import Desk
    from kashop_desktop.store.queries import OrderFilter

    desk = Desk.open(data_dir)
    flt = OrderFilter(status=status, search=search)
    out = Path(tempfile.mkdtemp()) / f"orders.{fmt}"
    started = time.perf_counter()
    rows = _naive(desk, flt, out, fmt, naive) if naive else exports.export_orders(desk, flt, out, fmt).rows
    seconds = time.perf_counter() - started
    size = out.stat().st_size
    out.unlink()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows": rows, "seconds": seconds, "peak_mb": peak_mb, "size_mb": size / 1e6}))


def _naive(desk: object, flt: object, out: Path, fmt: str, limit: int) -> int:
    """Everything in memory first, then written: what a first version would do."""
    import csv
    from datetime import datetime
    from decimal import Decimal

    from kashop_desktop.domain.clock import SHOP_TZ
    from kashop_desktop.store import export_rows, queries

    db = desk.db  # type: ignore[attr-defined]
    source, params = queries._source(db, flt)  # type: ignore[arg-type]
    cursor = db.execute_sql(f"SELECT {export_rows._SELECT}{source} ORDER BY o.created_at DESC, o.id DESC "
                            f"LIMIT {limit}", params)
    names = export_rows.EXPORT_COLUMNS
    rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    for r in rows:
        for key in ("created_at", "paid_at", "delivered_at"):
            r[key] = datetime.fromtimestamp(r[key], SHOP_TZ).strftime("%Y-%m-%d %H:%M:%S") if r[key] else ""
        for key in ("list_fen", "coupon_fen", "paid_fen", "refunded_fen", "refund_pending_fen", "received_fen"):
            r[key] = str(Decimal(r[key] or 0) / 100)
    if fmt == "csv":
        with out.open("w", encoding="utf-8-sig", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=names)
            writer.writeheader()
            writer.writerows(rows)
    else:
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.append(list(names))
        for r in rows:
            sheet.append([r[n] for n in names])
        book.save(out)
    return len(rows)


def run(data_dir: str, fmt: str, status: str | None = None, search: str = "", naive: int = 0) -> dict[str, float]:
    cmd = [sys.executable, __file__, data_dir, "--child", fmt, "--status", status or "", "--search", search,
           "--naive", str(naive)]
    load = os.getloadavg()[0]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    found: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    found["load"] = load
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir")
    parser.add_argument("--naive-rows", type=int, default=100_000)
    parser.add_argument("--child")
    parser.add_argument("--status", default="")
    parser.add_argument("--search", default="")
    parser.add_argument("--naive", type=int, default=0)
    args = parser.parse_args()
    if args.child:
        child(args.data_dir, args.child, args.status or None, args.search, args.naive)
        return
    print(f"{'export':<44} {'rows':>9} {'wall s':>8} {'peak MB':>8} {'MB':>7} {'load':>5}  target")
    cases = [("all orders, CSV", "csv", None, ""), ("all orders, XLSX", "xlsx", None, ""),
             ("已完成 tab, CSV", "csv", "completed", ""), ("search KS2026, XLSX", "xlsx", None, "KS2026")]
    total = 0
    for name, fmt, status, search in cases:
        r = run(args.data_dir, fmt, status, search)
        total = max(total, int(r["rows"]))
        print(f"{name:<44} {int(r['rows']):>9,} {r['seconds']:>8.1f} {r['peak_mb']:>8.0f} {r['size_mb']:>7.0f} "
              f"{r['load']:>5.1f}  <= {TARGET_S:.0f} s for 1,000,000 rows")
    for fmt, limit in (("csv", 0), ("xlsx", args.naive_rows)):
        r = run(args.data_dir, fmt, naive=limit or 10**9)
        scale = total / r["rows"] if limit else 1.0
        note = f"(x{scale:.0f} of {int(r['rows']):,} rows)" if limit else ""
        print(f"{'naive ' + fmt.upper() + ' (all in memory) ' + note:<44} {int(r['rows'] * scale):>9,} "
              f"{r['seconds'] * scale:>8.1f} {r['peak_mb'] * (scale if limit else 1):>8.0f} "
              f"{r['size_mb'] * scale:>7.0f} {r['load']:>5.1f}")


if __name__ == "__main__":
    main()
