"""Bulk approval benchmark: 10,000 open requests approved at once, every rule applied.

    python benchmarks/bench_approve.py [DATA_DIR] [--orders 1000000] [--requests 10000] [--naive-rev REV]

The store holds ``--orders`` realistic orders (``services.datagen``; built once, reused when
DATA_DIR already holds them); each run adds ``--requests`` paid, undelivered orders from the last
hours (a supplier ran out: the owner refunds them all), of 2,000 buyers some of whom cancelled
before, paid by Alipay, WeChat Pay and the wallet, each with an open request, and approves
them all in a fresh process, in the approval's own transaction as in the window or the CLI; each
run (and each naive one) approves a fresh set, opened before the clock starts. The naive
baseline is the same approval with the code of ``--naive-rev`` (taken from git), the figure
before this work. Prints the median of ``--repeat`` runs beside the target and the load average
(the machine is shared).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_import import load, naive_code  # noqa: E402

TARGET_S = 1.5
#: The revision before the approval's last cut (5809727, the first baseline, cannot open the
#: store's newer schema).
NAIVE_REV = "65b0fea"
NOTE = "bench: supplier out of stock"


def prepare(data_dir: Path, orders: int) -> None:
    """``orders`` realistic orders in the store (built once; reused when it holds them)."""
    from kashop_desktop.services import datagen
    from kashop_desktop.services.desk import Desk

    desk = Desk.open(data_dir)
    have = desk.db.execute_sql("SELECT COUNT(*) FROM orders WHERE order_no NOT LIKE 'BENCH%'").fetchone()[0]
    if have < orders:
        start = time.perf_counter()
        datagen.load(desk, orders - have, events=False)
        print(f"built {orders - have:,} realistic orders in {time.perf_counter() - start:.0f} s (not a figure)")
    desk.close()


def open_requests(desk: object, requests: int, tag: str) -> list[int]:
    """``requests`` paid, undelivered orders of the last hours, each with an open request (not timed)."""
    from kashop_desktop.domain.clock import to_epoch
    from kashop_desktop.services.bulk import insert_orders
    from kashop_desktop.services.gateways import ensure_builtin_accounts

    ensure_builtin_accounts(desk)
    db = desk.db  # type: ignore[attr-defined]
    accounts = {kind: i for i, kind in db.execute_sql("SELECT id, kind FROM gateway_account")}
    now = to_epoch(desk.now())  # type: ignore[attr-defined]
    with db.atomic():
        con = db.connection()
        con.executemany("INSERT OR IGNORE INTO buyer (contact, flagged, note, orders_count, cancel_count) "
                        "VALUES (?, 0, '', 0, 0)", [(f"139{n:08d}",) for n in range(2000)])
        buyers = dict(con.execute("SELECT contact, id FROM buyer WHERE contact LIKE '139%'").fetchall())
        # One buyer in ten cancelled once this week: the frequent-cancel rule has something to count.
        con.executemany("INSERT INTO buyer_cancellation (buyer_id, order_id, at) VALUES (?, 0, ?)",
                        [(buyers[f"139{n:08d}"], now - 86400) for n in range(0, 2000, 10)])
        first = con.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM orders").fetchone()[0]
        insert_orders(desk, [_paid_order(n, tag, now, accounts, buyers) for n in range(requests)])
        con.executemany(
            "INSERT INTO cancel_request (order_id, is_dispute, reason, note, evidence, state, requested_at, due_at, "
            "overdue, outcome, decision_reasons, decision_note) VALUES (?, 0, 'wrong_item', ?, '', 'open', ?, ?, 0, "
            "'needs_review', '[]', '')",
            [(order_id, NOTE, now, now + 2 * 86400) for (order_id,) in
             con.execute("SELECT id FROM orders WHERE id >= ?", (first,)).fetchall()])
        return [rid for (rid,) in con.execute("SELECT id FROM cancel_request WHERE order_id >= ? ORDER BY id",
                                              (first,))]


def _paid_order(n: int, tag: str, now: int, accounts: dict[str, int], buyers: dict[str, int]) -> dict[str, object]:
    channel, gateway = (("alipay", "sandbox"), ("wechat", "sandbox"), ("wallet", "wallet"))[n % 3]
    contact = f"139{n % 2000:08d}"
    paid_at = now - 60 * (1 + n % 600)
    coupon, points = (3_00 if n % 4 == 0 else 0), (100 if n % 5 == 0 else 0)
    return {"order_no": f"BENCH{tag}{n:07d}", "created_at": paid_at - 60, "product_name": "王者荣耀点券 680点",
            "product_type": "card_code", "list_fen": 68_00, "coupon_fen": coupon, "points": points,
            "paid_fen": 68_00 - coupon - points, "status": "paid", "paid_at": paid_at, "channel": channel,
            "gateway_id": accounts.get(gateway),
            "gateway_trade_no": None if channel == "wallet" else f"BENCH{tag}{n:012d}",
            "buyer": contact, "buyer_ref_id": buyers[contact], "stock_reserved": 1, "updated_at": paid_at}


def child(data_dir: Path, requests: int, code: Path | None) -> None:
    if code is not None:
        sys.path.insert(0, str(code))
    from kashop_desktop.services import requests as reqs
    from kashop_desktop.services.desk import Desk

    desk = Desk.open(data_dir)
    ids = open_requests(desk, requests, str(time.time_ns()))
    start, cpu = time.perf_counter(), time.process_time()
    changes = reqs.bulk_approve(desk, ids)  # its own transaction, as from the window or the CLI
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    desk.close()
    print(json.dumps({"seconds": seconds, "cpu": cpu, "approved": len(changes.request_ids), "skipped": len(changes.skipped),
                      "refunds": len(changes.refund_ids)}))


def run(data_dir: Path, requests: int, code: Path | None) -> dict[str, float]:
    extra = ["--code", str(code)] if code else []
    done = subprocess.run([sys.executable, __file__, str(data_dir), "--child", "--requests", str(requests), *extra],
                          check=True, capture_output=True, text=True)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", type=Path)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--naive-rev", default=NAIVE_REV)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--code", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="bench-approve-"))
    if args.child:
        child(data_dir, args.requests, args.code)
        return
    prepare(data_dir, args.orders)
    print(load(), flush=True)
    this = [run(data_dir, args.requests, None) for _ in range(args.repeat)]
    with tempfile.TemporaryDirectory(prefix="bench-approve-naive-") as tmp:
        code = naive_code(args.naive_rev, Path(tmp))
        try:
            naive = [run(data_dir, args.requests, code) for _ in range(args.repeat)] if code else []
        except subprocess.CalledProcessError as exc:  # the old code may refuse the store's newer schema
            print(f"(no naive baseline: rev {args.naive_rev} failed: {(exc.stderr or '').strip()[-300:]})")
            naive = []
    approved = this[0]["approved"]
    print(f"{'figure':<44} {'measured':>9} {'target':>9}   naive (rev {args.naive_rev})")
    naive_text = f"{statistics.median(r['seconds'] for r in naive):.2f} s" if naive else "-"
    print(f"{f'bulk approve {approved:,} requests (median of {args.repeat})':<44} "
          f"{statistics.median(r['seconds'] for r in this):>7.2f} s {'<= 1.5 s':>9}   {naive_text}")
    naive_cpu = f"{statistics.median(r['cpu'] for r in naive):.2f} s" if naive else "-"
    print(f"{'  CPU time (median)':<44} {statistics.median(r['cpu'] for r in this):>7.2f} s {'':>9}   {naive_cpu}")
    runs = ", ".join(f"{r['seconds']:.2f}" for r in this)
    print(f"  each run: {runs} s; skipped {this[0]['skipped']}, "
          f"refunds queued {this[0]['refunds']:,}" + (f"; naive approved {naive[0]['approved']:,}" if naive else ""))
    print(load())


if __name__ == "__main__":
    main()
