"""The window while it sends 1,000 refunds: the event-loop lag on the GUI thread (a 10 ms
timer's lateness) from 立即发送 until the refund queue's report is in and every screen has
refreshed from its Changes, with the load average; ``--where`` also names what the GUI thread
was doing whenever a tick was late (a watchdog thread samples its stack).

    python benchmarks/bench_refund_lag.py DIR [--refunds N] [--where]

DIR holds a store made by ``kashop-desktop demo --orders 1000000 --no-gui --data-dir DIR``; each
run adds N paid orders on the sandbox gateway (50 ms a call) with a request each, approved in
bulk, so each run sends N fresh refunds. The same figure is part of ``gui_bench.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import os
import statistics
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("KASHOP_SECRETS", "vault")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import gui_bench
from looplag import LoopLagProbe

from kashop_desktop.services import views
from kashop_desktop.services.desk import Desk

TARGET_MS = 50.0


class Watchdog:
    """Samples the GUI thread's stack every 5 ms while its loop is late (no tick for 25 ms)."""

    def __init__(self, gui: threading.Thread) -> None:
        self.gui_id = gui.ident
        self.last_tick = time.perf_counter()
        self.stacks: collections.Counter[str] = collections.Counter()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.wait(0.005):
            if time.perf_counter() - self.last_tick > 0.025:
                frame = sys._current_frames().get(self.gui_id or 0)
                if frame is not None:
                    lines = traceback.format_stack(frame, limit=12)
                    self.stacks["".join(line for line in lines if "asyncio" not in line)[-1500:]] += 1


async def send(ctx: Any, refund_ids: list[int], watchdog: Watchdog | None) -> tuple[list[float], float]:
    def fed(now: float) -> None:
        if watchdog is not None:
            watchdog.last_tick = now

    probe = LoopLagProbe(on_tick=fed, clamp=False)
    probe.start()
    await asyncio.sleep(0.05)
    probe.reset()
    if watchdog is not None:
        watchdog.thread.start()
    start = time.perf_counter()
    await ctx.send_refunds(refund_ids=refund_ids)
    elapsed = time.perf_counter() - start
    await asyncio.sleep(1.0)  # the screens' refreshes from the report's Changes
    probe.stop()
    return probe.lags, elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--refunds", type=int, default=1000)
    parser.add_argument("--where", action="store_true")
    args = parser.parse_args()
    gui_bench.REFUNDS = args.refunds
    desk = Desk.open(args.data_dir)
    print(f"queued {gui_bench.queue_refunds(desk)} refunds (sandbox, {gui_bench.LATENCY_MS} ms a call)")
    desk.close()

    from kashop_desktop.gui.app import load_cjk_font, make_app, open_desk
    from kashop_desktop.gui.context import DeskContext
    from kashop_desktop.gui.main_window import MainWindow
    from kashop_desktop.gui.qt import QSettings, qasync

    app = make_app([])
    load_cjk_font(app)
    desk, _ = open_desk(args.data_dir, False)
    refund_ids = [r.id for r in views.list_refunds(desk, "queued", limit=args.refunds)]
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    ctx = DeskContext(desk)
    window = MainWindow(ctx, QSettings(str(Path(tempfile.mkdtemp()) / "ui.ini"), QSettings.Format.IniFormat))
    window.persist_layout = False
    window.resize(1400, 860)
    watchdog = Watchdog(threading.current_thread()) if args.where else None

    async def session() -> tuple[list[float], float]:
        window.show()
        await asyncio.sleep(3)  # the first paint, the tabs' counts and the id list read
        gc.freeze()  # as the app does two seconds after start
        return await send(ctx, refund_ids, watchdog)

    with loop:
        gaps, elapsed = loop.run_until_complete(session())
        loop.run_until_complete(ctx.aclose())
    window.close()
    if watchdog is not None:
        watchdog.stop.set()
    gaps.sort()
    load = os.getloadavg()
    print(f"sent {len(refund_ids)} refunds in {elapsed:.1f} s")
    print(f"event-loop lag while sending (max)   {gaps[-1]:7.1f} ms   target <= {TARGET_MS:.0f} ms  "
          f"{'ok' if gaps[-1] <= TARGET_MS else 'OVER'}   (load {load[0]:.1f} {load[1]:.1f})")
    print(f"  p99 / median                       {gaps[int(len(gaps) * 0.99)]:7.1f} / {statistics.median(gaps):.1f} ms;"
          f" ticks over 30 ms: {sum(g > 30 for g in gaps)}")
    if watchdog is not None:
        for stack, samples in watchdog.stacks.most_common(6):
            print(f"--- {samples} samples (x5 ms) with the loop late:\n{stack}")
    return 0 if gaps[-1] <= TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
