"""Import benchmark: time and peak memory of `orders import` on a large CSV.

    python benchmarks/bench_import.py [--rows 60000] [--rows 1000000] [--keep DIR] [--before DIR]

Writes a CSV shaped like the shop exports of field case 05 (paid card-code orders with
Chinese headers, trade nos and buyer phones), imports it into a fresh store in a child
process (so peak RSS is the import's own), and prints each figure beside the target and the
baseline measured before imports were streamed in chunks. ``--before DIR`` runs the same
file through another checkout's ``kashop_desktop`` too (for example the commit before the
streamed import, from ``git archive``), so both are measured on the same machine at the same
time. CPU seconds are printed beside wall seconds: on a busy machine they move less.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

HEADER = "订单号,下单时间,商品,商品类型,实付金额,状态,支付时间,支付方式,交易号,买家"
TARGET = {1_000_000: (30.0, 400.0)}  # issue 11: seconds, MB peak RSS
# Measured on the 2-core development machine with the whole file read and validated in memory
# and written in one transaction (the implementation before chunked streaming).
BASELINE = {60_000: (36.9, 301.0), 1_000_000: (409.0, 4700.0)}


def write_csv(path: Path, rows: int) -> None:
    """The rows of field case 05 (gen_big.py), for any count."""
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER + "\n")
        for i in range(rows):
            out.write(f"KSBIG{i:07d},2026-11-28 10:00,王者荣耀点券 60点,卡密,6.00,已支付,2026-11-28 10:01,"
                      f"支付宝,20261128220014{i:08d},1380000{i % 10000:04d}\n")


def child(data_dir: Path, csv_path: Path, code: Path | None) -> None:
    if code is not None:
        sys.path.insert(0, str(code))
    from kashop_desktop.services.desk import Desk
    from kashop_desktop.services.imports import import_file

    desk = Desk.open(data_dir)
    start = time.perf_counter()
    report = import_file(desk, csv_path)
    seconds = time.perf_counter() - start
    desk.close()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024,
                      "inserted": report.inserted}))


def measure(rows: int, work: Path, code: Path | None = None) -> dict[str, float]:
    csv_path = work / f"orders_{rows}.csv"
    if not csv_path.exists():
        write_csv(csv_path, rows)
    data_dir = work / f"store_{rows}_{time.time_ns()}"
    extra = ["--code", str(code)] if code else []
    done = subprocess.run([sys.executable, __file__, "--child", str(data_dir), str(csv_path), *extra],
                          check=True, capture_output=True, text=True)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    if result["inserted"] != rows:
        raise SystemExit(f"imported {result['inserted']} of {rows} rows")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append")
    parser.add_argument("--keep", type=Path, help="work folder to keep (default: a temporary one)")
    parser.add_argument("--before", type=Path, help="another checkout's root to measure beside this one")
    parser.add_argument("--child", nargs=2, type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--code", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child, args.code)
        return
    counts = args.rows or [60_000]
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        print(f"{'code':<8} {'rows':>10} {'seconds':>8} {'cpu s':>7} {'rows/s':>8} {'peak MB':>8}   "
              f"{'baseline':<17} target")
        for rows in counts:
            runs = [("before", args.before)] if args.before else []
            for label, code in [*runs, ("this", None)]:
                r = measure(rows, work, code)
                base, target = BASELINE.get(rows), TARGET.get(rows)
                base_text = f"{base[0]:.0f} s, {base[1]:.0f} MB" if base else "-"
                target_text = f"<= {target[0]:.0f} s, <= {target[1]:.0f} MB" if target else "-"
                print(f"{label:<8} {rows:>10,} {r['seconds']:>8.1f} {r['cpu']:>7.1f} {rows / r['seconds']:>8,.0f} "
                      f"{r['peak_mb']:>8.0f}   {base_text:<17} {target_text}")


if __name__ == "__main__":
    main()
