"""Export benchmark: ``orders export`` of a big store's order list to CSV and XLSX, wall time,
CPU time (every thread of the process) and peak memory of each export (a child process each),
beside the target and the ways it replaced, with the load average:

* naive CSV: every row read into memory at once, formatted through datetime/Decimal per cell
  and written with csv.DictWriter;
* naive XLSX: an ordinary openpyxl workbook saved at the end;
* XlsxWriter cell by cell: the export before ``xlsx_stream`` (constant memory, ``write_string``
  / ``write_number`` per cell; 302 s for 1,000,000 rows at load 4.8).

    python benchmarks/bench_export.py DIR [--naive-rows N] [--only csv|xlsx]

DIR holds a store made by ``kashop-desktop demo --orders 1000000 --no-gui --data-dir DIR``.
The naive XLSX and the cell-by-cell XLSX run on the first N rows (default 100,000) and are
scaled up (the naive one holds every cell in memory and grows faster than linearly, so its true
figure is worse).
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
TARGET_MB = 400


def child(data_dir: str, fmt: str, status: str | None, search: str, naive: int) -> None:
    from kashop_desktop.services import exports
    from kashop_desktop.services.desk import Desk
    from kashop_desktop.store.queries import OrderFilter

    desk = Desk.open(data_dir)
    flt = OrderFilter(status=status, search=search)
    out = Path(tempfile.mkdtemp()) / f"orders.{fmt}"
    started = time.perf_counter()
    cpu = time.process_time()
    if fmt == "cells":
        rows = _cell_by_cell(desk, flt, out, naive)
    else:
        rows = _naive(desk, flt, out, fmt, naive) if naive else exports.export_orders(desk, flt, out, fmt).rows
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    size = out.stat().st_size
    out.unlink()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows": rows, "seconds": seconds, "cpu": cpu, "peak_mb": peak_mb, "size_mb": size / 1e6}))


def _cell_by_cell(desk: object, flt: object, out: Path, limit: int) -> int:
    """The export before: XlsxWriter in constant-memory mode, a call per cell."""
    import xlsxwriter

    from kashop_desktop.services.exports.cells import COLUMNS, headers, labels, row_maker
    from kashop_desktop.store import export_rows

    db = desk.db  # type: ignore[attr-defined]
    make = row_maker("xlsx", labels("zh", export_rows.gateway_names(db)))
    book = xlsxwriter.Workbook(str(out), {"constant_memory": True, "strings_to_numbers": False,
                                          "strings_to_formulas": False, "strings_to_urls": False})
    bold, money = book.add_format({"bold": True}), book.add_format({"num_format": "0.00"})
    sheet = book.add_worksheet("订单")
    for col, title in enumerate(headers("zh")):
        sheet.write_string(0, col, title, bold)
    kinds = [c.kind for c in COLUMNS]
    done = 0
    for chunk in export_rows.export_chunks(db, flt):  # type: ignore[arg-type]
        for row in chunk[:limit - done]:
            done += 1
            for col, (kind, value) in enumerate(zip(kinds, make(row), strict=True)):
                if value is None or value == "":
                    continue
                if isinstance(value, str):
                    sheet.write_string(done, col, value)
                else:
                    sheet.write_number(done, col, value, money if kind == "money" else None)
        if done >= limit:
            break
    book.close()
    return done


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
    parser.add_argument("--only", choices=("csv", "xlsx"))
    args = parser.parse_args()
    if args.child:
        child(args.data_dir, args.child, args.status or None, args.search, args.naive)
        return
    print(f"{'export':<46} {'rows':>9} {'wall s':>7} {'CPU s':>6} {'peak MB':>7} {'MB':>5} {'load':>5}  target")
    cases = [("all orders, CSV", "csv", None, ""), ("all orders, XLSX", "xlsx", None, ""),
             ("已完成 tab, CSV", "csv", "completed", ""), ("已完成 tab, XLSX", "xlsx", "completed", ""),
             ("search KS2026, XLSX", "xlsx", None, "KS2026")]
    total = 0
    for name, fmt, status, search in cases:
        if args.only and fmt != args.only:
            continue
        r = run(args.data_dir, fmt, status, search)
        total = max(total, int(r["rows"]))
        print(f"{name:<46} {int(r['rows']):>9,} {r['seconds']:>7.1f} {r['cpu']:>6.1f} {r['peak_mb']:>7.0f} "
              f"{r['size_mb']:>5.0f} {r['load']:>5.1f}  <= {TARGET_S:.0f} s, <= {TARGET_MB} MB for 1,000,000 rows")
    baselines = [("naive CSV (all in memory)", "csv", 0), ("naive XLSX (openpyxl, all in memory)", "xlsx", args.naive_rows),
                 ("XlsxWriter cell by cell (the export before)", "cells", args.naive_rows)]
    for name, fmt, limit in baselines:
        if args.only and fmt != args.only and not (args.only == "xlsx" and fmt == "cells"):
            continue
        r = run(args.data_dir, fmt, naive=limit or 10**9)
        scale = total / r["rows"] if limit else 1.0
        note = f" x{scale:.0f}" if limit else ""
        memory = r["peak_mb"] * (scale if limit and fmt == "xlsx" else 1)
        print(f"{name + note:<46} {int(r['rows'] * scale):>9,} {r['seconds'] * scale:>7.1f} {r['cpu'] * scale:>6.1f} "
              f"{memory:>7.0f} {r['size_mb'] * scale:>5.0f} {r['load']:>5.1f}")


if __name__ == "__main__":
    main()
