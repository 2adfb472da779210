"""Import benchmark: time and peak memory of `orders import` on a realistic shop export.

    python benchmarks/bench_import.py [--rows 1000000] [--naive-rows 100000] [--naive-rev REV] [--keep DIR]

Writes a CSV export of ``--rows`` realistic orders (``services.datagen.write_export``: years of
history, heavy-tailed buyers written the ways owners type them, every status, Chinese headers
and values), imports it into a fresh store in a child process (so the peak RSS is the import's
own) and prints wall time, CPU time and peak memory beside the target. A file this big is read
and checked in a worker process beside the importing one (``services.imports.pipeline``): CPU
time and peak RSS are printed for each process and added up (the sum of the two peaks bounds the
memory both hold at once). In the same run it imports the first ``--naive-rows`` rows with the
code of ``--naive-rev`` (the import as it was before this work: every row read, checked and
written by the one process), taken from git, and prints that figure scaled to ``--rows`` as the
naive baseline, clearly labelled as scaled. The load average is printed beside the figures: the
machine is shared, so CPU seconds say more than wall seconds when it is busy.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_SECONDS, TARGET_MB = 30.0, 400.0  # issue 11, for 1,000,000 rows
#: The last revision that checked and wrote every row in the one process (before the checking worker).
NAIVE_REV = "915285b"
NOW = "2026-11-28T12:00:00+08:00"


def write_export(path: Path, rows: int) -> None:
    from kashop_desktop.services import datagen

    datagen.write_export(path, rows, now=datetime.fromisoformat(NOW))


def child(data_dir: Path, csv_path: Path, code: Path | None) -> None:
    if code is not None:
        sys.path.insert(0, str(code))
    from kashop_desktop.services.desk import Desk
    from kashop_desktop.services.imports import import_file

    desk = Desk.open(data_dir)
    start, cpu = time.perf_counter(), time.process_time()
    report = import_file(desk, csv_path)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    desk.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker = resource.getrusage(resource.RUSAGE_CHILDREN)  # the checking worker, once it has ended
    print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_mb": peak, "inserted": report.inserted,
                      "rows": report.rows, "worker_cpu": worker.ru_utime + worker.ru_stime,
                      "worker_mb": worker.ru_maxrss / 1024}))


def tree_rss_mb(pid: int) -> float:
    """RSS of process ``pid`` and its children now (Linux /proc; 0 where it cannot be read)."""
    total = 0.0
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            total += next((int(line.split()[1]) for line in status if line.startswith("VmRSS:")), 0) / 1024
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as children:
            total += sum(tree_rss_mb(int(child)) for child in children.read().split())
    except (OSError, ValueError):
        pass
    return total


def measure(csv_path: Path, work: Path, code: Path | None = None) -> dict[str, float]:
    """Import ``csv_path`` in a child process; its figures, with ``together_mb``: the largest RSS
    the child and its worker held at once (sampled every 50 ms; 0 without Linux's /proc)."""
    data_dir = work / f"store_{time.time_ns()}"
    extra = ["--code", str(code)] if code else []
    child = subprocess.Popen([sys.executable, __file__, "--child", str(data_dir), str(csv_path), *extra],
                             stdout=subprocess.PIPE, text=True)
    together = 0.0
    while child.poll() is None:
        together = max(together, tree_rss_mb(child.pid))
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(0.05)
    if child.returncode:
        raise SystemExit(f"the import failed (exit status {child.returncode})")
    assert child.stdout is not None
    result: dict[str, float] = json.loads(child.stdout.read().strip().splitlines()[-1])
    result["together_mb"] = together
    if result["inserted"] != result["rows"]:
        raise SystemExit(f"imported {result['inserted']} of {result['rows']} rows")
    return result


def naive_code(rev: str, work: Path) -> Path | None:
    """The tree of ``rev`` (``git archive``) under ``work``, or None without git."""
    target = work / f"naive-{rev}"
    if (target / "kashop_desktop").exists():
        return target
    target.mkdir(parents=True, exist_ok=True)
    try:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "kashop_desktop"], check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"(no naive baseline: {exc})")
        return None
    return target


def head_of(source: Path, target: Path, rows: int) -> Path:
    if not target.exists():
        with source.open("rb") as src, target.open("wb") as out:
            for _ in range(rows + 1):
                out.write(src.readline())
    return target


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--naive-rows", type=int, default=100_000, help="0: no naive baseline")
    parser.add_argument("--naive-rev", default=NAIVE_REV)
    parser.add_argument("--keep", type=Path, help="work folder to keep (default: a temporary one)")
    parser.add_argument("--child", nargs=2, type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--code", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child, args.code)
        return
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        csv_path = work / f"export_{args.rows}.csv"
        if not csv_path.exists():
            write_export(csv_path, args.rows)
        print(f"{args.rows:,} realistic rows, {csv_path.stat().st_size / 1e6:.0f} MB of CSV; {load()}", flush=True)
        r = measure(csv_path, work)
        print(f"{'figure':<34} {'measured':>12} {'target':>10}   naive baseline", flush=True)
        naive = None
        if args.naive_rows:
            code = naive_code(args.naive_rev, work)
            if code is not None:
                small = head_of(csv_path, work / f"export_{args.naive_rows}.csv", args.naive_rows)
                naive = measure(small, work, code)
        scale = args.rows / args.naive_rows if naive else 0
        label = f"rev {args.naive_rev}, {args.naive_rows:,} rows x {scale:g}" if naive else "-"
        naive_s = f"{naive['seconds'] * scale:7.0f} s ({label})" if naive else "-"
        naive_cpu = f"{naive['cpu'] * scale:7.0f} s" if naive else "-"
        naive_mb = f"{naive['peak_mb']:7.0f} MB at {args.naive_rows:,} rows (not scaled)" if naive else "-"
        cpu, peak = r["cpu"] + r.get("worker_cpu", 0), r["peak_mb"] + r.get("worker_mb", 0)  # peak: an upper bound
        print(f"{'import: wall time':<34} {r['seconds']:>10.1f} s {'<= 30 s':>10}   {naive_s}")
        print(f"{'import: CPU time, both processes':<34} {cpu:>10.1f} s {'':>10}   {naive_cpu}")
        print(f"{'  importing / checking worker':<34} {r['cpu']:>5.1f} / {r.get('worker_cpu', 0):.1f} s")
        print(f"{'import: rows per second (wall)':<34} {args.rows / r['seconds']:>12,.0f} {'>= 33,334':>10}   "
              + (f"{args.naive_rows / naive['seconds']:7,.0f}" if naive else "-"))
        together = r["together_mb"] or peak
        print(f"{'import: peak RSS, both processes':<34} {together:>9.0f} MB {'<= 400 MB':>10}   {naive_mb}")
        print(f"{'  importing / checking worker peaks':<34} {r['peak_mb']:>5.0f} / {r.get('worker_mb', 0):.0f} MB "
              "(not at the same moment: the worker ends before the indexes are built)")
        print(load())


if __name__ == "__main__":
    main()
