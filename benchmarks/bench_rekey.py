"""Schema 4 benchmark: re-keying the buyers of a 1,000,000-order store by canonical contact.

    python benchmarks/bench_rekey.py [DATA_DIR] [--orders N]

Builds (or reuses) a store whose buyers were keyed as written, as schema 2 left them: one phone
number in up to five spellings, QQ numbers with and without their prefix, e-mails in mixed case,
a buyer row per spelling. Then it runs the migration's work (fill ``orders.buyer_key``, merge
buyers, rebuild the search index) in one transaction, rolled back so the run can be repeated,
and prints the figure beside the target and the naive baseline (every contact through
libphonenumber).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kashop_desktop.domain.clock import to_epoch
from kashop_desktop.domain.contacts import FAST_MOBILE_PREFIXES, clean, library_phone_key
from kashop_desktop.services import views
from kashop_desktop.services.bulk import insert_orders
from kashop_desktop.services.desk import Desk
from kashop_desktop.store import rekey

CARRIER_PREFIXES = sorted(FAST_MOBILE_PREFIXES)  # the ranges mobile carriers hand out


def contact(rng: random.Random, i: int) -> tuple[str, str]:
    if i % 4 == 3:
        return "qq", str(10_000 + rng.randrange(10**9))
    if i % 20 == 1:
        return "email", f"alice{rng.randrange(10**6)}@example.com"
    return "phone", f"{rng.choice(CARRIER_PREFIXES)}{rng.randrange(10**8):08d}"


def spelling(rng: random.Random, kind: str, value: str) -> str:
    """One way a shop writes this contact: mostly the plain form, sometimes another."""
    if rng.random() < 0.7:
        return value
    if kind == "qq":
        return rng.choice(["qq:" + value, "QQ " + value])
    if kind == "email":
        return value.capitalize() if rng.random() < 0.5 else value.upper()
    a, b, c = value[:3], value[3:7], value[7:]
    return rng.choice([f"+86 {a} {b} {c}", f"{a}-{b}-{c}", f"86{value}",
                       value.translate(str.maketrans("0123456789", "０１２３４５６７８９"))])


def rows(n: int, now_s: int) -> Iterator[dict[str, Any]]:
    rng = random.Random(4)
    pool = [contact(rng, i) for i in range(n // 3)]  # about three orders a buyer
    for i in range(n):
        buyer = spelling(rng, *pool[rng.randrange(len(pool))])
        yield {"order_no": f"KR{i:010d}", "created_at": now_s - (n - i) * 8, "product_name": "王者荣耀点券",
               "product_type": "card_code", "list_fen": 600, "paid_fen": 600, "status": "completed",
               "buyer": buyer, "buyer_key": buyer}


def build(desk: Desk, n: int) -> None:
    start = time.perf_counter()
    with desk.atomic():
        insert_orders(desk, rows(n, to_epoch(desk.now())), batch=20_000, bulk=True)
        con = desk.db.connection()
        # Buyers as schema 2 kept them: one row per contact as written.
        con.execute("INSERT INTO buyer (contact, flagged, note, orders_count, cancel_count) "
                    "SELECT DISTINCT buyer, 0, '', 0, 0 FROM orders")
        con.execute("UPDATE orders SET buyer_ref_id = (SELECT id FROM buyer WHERE contact = orders.buyer)")
    print(f"built {n} orders in {time.perf_counter() - start:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir", nargs="?")
    parser.add_argument("--orders", type=int, default=1_000_000)
    args = parser.parse_args()
    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="kashop-rekey-"))
    desk = Desk.open(data_dir)
    if views.status_counts(desk)["all"] < args.orders:
        build(desk, args.orders)
    con = desk.db.connection()
    orders = con.execute("SELECT COUNT(*) FROM orders").fetchone()[0]
    buyers = con.execute("SELECT COUNT(*) FROM buyer").fetchone()[0]
    print(f"data dir {data_dir}; {orders} orders, {buyers} buyer rows")
    distinct = [r[0] for r in con.execute("SELECT DISTINCT buyer FROM orders")]

    sample = distinct[:20_000]
    start = time.perf_counter()
    for raw in sample:
        library_phone_key(clean(raw))
    naive = (time.perf_counter() - start) / len(sample) * len(distinct)

    con.execute("BEGIN")
    try:
        start = time.perf_counter()
        phases: dict[str, float] = {}
        counts = rekey.migrate(con, phases)
        elapsed = time.perf_counter() - start
        after = con.execute("SELECT COUNT(*) FROM buyer").fetchone()[0]
    finally:
        con.execute("ROLLBACK")
    print(f"{'re-key ' + str(orders) + ' orders (migration 4)':<44} {elapsed:>10.2f} s      target <= 60 s for 1M")
    print(f"{'  naive: libphonenumber for every contact':<44} {naive:>10.2f} s      (keying alone, extrapolated "
          f"from {len(sample)})")
    for phase, seconds in phases.items():
        print(f"{'  ' + phase:<44} {seconds:>10.2f} s")
    print(f"  {counts['contacts']} distinct contacts keyed; {counts['buyers_merged']} buyer rows merged "
          f"({buyers} -> {after})")
    desk.close()


if __name__ == "__main__":
    main()
