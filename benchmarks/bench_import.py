"""Import benchmark: time and peak memory of `orders import` on a large CSV.

    python benchmarks/bench_import.py [--rows 60000] [--rows 1000000] [--keep DIR]

Writes a CSV shaped like the shop exports of field case 05 (paid card-code orders with
Chinese headers, trade nos and buyer phones), imports it into a fresh store in a child
process (so peak RSS is the import's own), and prints each figure beside the target and the
baseline measured before imports were streamed in chunks.
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


def child(data_dir: Path, csv_path: Path) -> None:
    from kashop_desktop.services.desk import Desk
    from kashop_desktop.services.imports import import_file

    desk = Desk.open(data_dir)
    start = time.perf_counter()
    report = import_file(desk, csv_path)
    seconds = time.perf_counter() - start
    desk.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "inserted": report.inserted}))


def measure(rows: int, work: Path) -> dict[str, float]:
    csv_path = work / f"orders_{rows}.csv"
    if not csv_path.exists():
        write_csv(csv_path, rows)
    data_dir = work / f"store_{rows}_{time.time_ns()}"
    done = subprocess.run([sys.executable, __file__, "--child", str(data_dir), str(csv_path)],
                          check=True, capture_output=True, text=True)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    if result["inserted"] != rows:
        raise SystemExit(f"imported {result['inserted']} of {rows} rows")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append")
    parser.add_argument("--keep", type=Path, help="work folder to keep (default: a temporary one)")
    parser.add_argument("--child", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    counts = args.rows or [60_000]
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        print(f"{'rows':>10} {'seconds':>9} {'rows/s':>9} {'peak MB':>8}   baseline          target")
        for rows in counts:
            r = measure(rows, work)
            base = BASELINE.get(rows)
            target = TARGET.get(rows)
            base_text = f"{base[0]:.0f} s, {base[1]:.0f} MB" if base else "-"
            target_text = f"<= {target[0]:.0f} s, <= {target[1]:.0f} MB" if target else "-"
            print(f"{rows:>10,} {r['seconds']:>9.1f} {rows / r['seconds']:>9,.0f} {r['peak_mb']:>8.0f}   "
                  f"{base_text:<17} {target_text}")


if __name__ == "__main__":
    main()
