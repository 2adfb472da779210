"""Demo benchmark: `kashop-desktop demo --orders N --no-gui` into a fresh folder, as a user runs it.

    python benchmarks/bench_demo.py [--orders 1000000] [--naive-orders 1000000] [--naive-rev REV]

Prints wall time, CPU time (its row-making child process included) and peak RSS of the whole
command (a child process, measured with ``wait4``; and the RSS of the command and its row maker
summed, sampled every 100 ms) beside the target, and the same command with the code of ``--naive-rev`` (taken from
git: the demo before this work) on ``--naive-orders`` orders, scaled, as the naive baseline.
The load average is printed beside the figures: the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_import import load, naive_code  # noqa: E402

#: The revision before the demo build was cut down to the figures printed (issue 11, its demo part).
NAIVE_REV = "65b0fea"


def tree_rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and its child processes (the demo's row maker), in MB."""
    total = 0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            with open(f"/proc/{current}/statm") as statm:
                total += int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    pids += [int(c) for c in children.read().split()]
        except (OSError, ValueError):
            continue  # gone meanwhile
    return total / 2**20


def run_demo(orders: int, data_dir: Path, code: Path | None) -> dict[str, float]:
    """Run the demo command; wall and CPU seconds (its children's included), the peak RSS of
    its largest process (``wait4``) and the peak of the RSS summed over it and its children
    (sampled every 100 ms)."""
    env = {**os.environ, "PYTHONPATH": str(code or ROOT), "QT_QPA_PLATFORM": "offscreen"}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "kashop_desktop", "demo", "--orders", str(orders), "--no-gui",
                             "--data-dir", str(data_dir)], env=env, cwd=str(code or ROOT),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    tree_peak = 0.0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        tree_peak = max(tree_peak, tree_rss_mb(proc.pid))
        time.sleep(0.1)
    seconds = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"demo failed ({status}): {proc.stderr.read().decode()[-400:] if proc.stderr else ''}")
    return {"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024,
            "tree_mb": tree_peak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--naive-orders", type=int, default=1_000_000,
                        help="0: no naive baseline; fewer are scaled up (an underestimate: it grows faster than linearly)")
    parser.add_argument("--naive-rev", default=NAIVE_REV)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
        work = Path(tmp)
        print(load(), flush=True)
        r = run_demo(args.orders, work / "this", None)
        naive = None
        if args.naive_orders:
            code = naive_code(args.naive_rev, work)
            if code is not None:
                naive = run_demo(args.naive_orders, work / "naive", code)
        scale = args.orders / args.naive_orders if naive else 0
        label = f"(rev {args.naive_rev}, {args.naive_orders:,} orders x {scale:g})"
        print(f"{'figure':<36} {'measured':>10} {'target':>10}   naive baseline")
        print(f"{f'demo --orders {args.orders:,}: wall':<36} {r['seconds']:>8.1f} s {'<= 45 s':>10}   "
              + (f"{naive['seconds'] * scale:.0f} s {label}" if naive else "-"))
        print(f"{'  CPU time':<36} {r['cpu']:>8.1f} s {'':>10}   " + (f"{naive['cpu'] * scale:.0f} s" if naive else "-"))
        print(f"{'  peak RSS, largest process':<36} {r['peak_mb']:>7.0f} MB {'<= 400 MB':>10}   "
              + (f"{naive['peak_mb']:.0f} MB at {args.naive_orders:,} orders (not scaled)" if naive else "-"))
        print(f"{'  peak RSS, demo + row maker summed':<36} {r['tree_mb']:>7.0f} MB {'<= 400 MB':>10}   "
              + (f"{naive['tree_mb']:.0f} MB (one process)" if naive else "-"))
        print(load())


if __name__ == "__main__":
    main()
