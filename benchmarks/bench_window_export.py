"""The window while it exports: the event-loop lag on the GUI thread (a 10 ms timer's lateness)
while File > 导出订单 writes a big store's whole order list, beside the same export run on
the GUI thread (the naive way: the window is frozen throughout), with the load average.

    python benchmarks/bench_window_export.py DIR [--format csv|xlsx] [--rows N]

DIR holds a store made by ``kashop-desktop demo --orders 1000000 --no-gui --data-dir DIR``.
``--rows N`` exports a date range holding about N orders instead of all of them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from looplag import LoopLagProbe

from kashop_desktop.gui.app import make_app
from kashop_desktop.gui.context import DeskContext
from kashop_desktop.gui.dialogs.export_orders import ExportDialog, describe_list
from kashop_desktop.gui.qt import qasync
from kashop_desktop.services import exports
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.views import OrderFilter

TARGET_MS = 50.0


def report(name: str, lags: list[float], seconds: float) -> None:
    p99 = statistics.quantiles(lags, n=100)[98] if len(lags) > 100 else max(lags, default=0.0)
    print(f"{name:<44} {seconds:>7.1f} s  max {max(lags, default=0.0):>7.0f} ms  p99 {p99:>5.0f} ms  "
          f"load {os.getloadavg()[0]:>4.1f}  (target <= {TARGET_MS:.0f} ms)")


async def run(data_dir: str, fmt: str, flt: OrderFilter) -> None:
    desk = Desk.open(data_dir)
    ctx = DeskContext(desk)
    probe = LoopLagProbe()
    out = Path(tempfile.mkdtemp())
    try:
        dialog = ExportDialog(None, ctx, flt, describe_list(flt))
        while dialog.total is None:
            await asyncio.sleep(0.05)
        dialog.path_edit.setText(str(out / f"window.{fmt}"))
        if fmt == "xlsx":
            dialog.xlsx_radio.setChecked(True)
            dialog.path_edit.setText(str(out / f"window.{fmt}"))
        probe.start()
        started = time.perf_counter()
        await dialog.submit()
        probe.stop()
        report(f"export on its own thread ({dialog.total:,} rows, {fmt})", probe.lags, time.perf_counter() - started)
        probe.start()
        await asyncio.sleep(0)
        started = time.perf_counter()
        exports.export_orders(desk, flt, out / f"naive.{fmt}", fmt)  # on the GUI thread: nothing else runs
        probe.stop()
        await asyncio.sleep(0.05)
        report("naive: the same export on the GUI thread", probe.lags or [(time.perf_counter() - started) * 1000],
               time.perf_counter() - started)
    finally:
        await ctx.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir")
    parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    parser.add_argument("--rows", type=int, default=0)
    args = parser.parse_args()
    flt = OrderFilter()
    if args.rows:
        desk = Desk.open(args.data_dir)
        newest = desk.db.execute_sql("SELECT created_at FROM orders ORDER BY created_at DESC LIMIT 1 OFFSET ?",
                                     (args.rows,)).fetchone()
        desk.close()
        flt = OrderFilter(date_from=newest[0] if newest else None)
    app = make_app([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        loop.run_until_complete(run(args.data_dir, args.format, flt))
    sys.exit(0)


if __name__ == "__main__":
    main()
