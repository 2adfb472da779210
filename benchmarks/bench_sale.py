"""A sale at the desk (新建订单) on a big store: the form's live price, the next order no, a
manual sale from click to delivered code, and a QR sale against a local fake Alipay.

    python benchmarks/bench_sale.py [DATA_DIR] [--orders N]

Builds the store once with services.datagen (reused when DATA_DIR already holds the orders).
The naive order no counts today's order nos with LIKE (case-blind, so SQLite scans the table)
where the desk reads the day's highest through the unique index.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from terms import ensure_store

from kashop_desktop.gateways.fakes import fake_class
from kashop_desktop.services import sale, sale_flow
from kashop_desktop.services.code_import import add_codes
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.gateways import save_account
from kashop_desktop.services.payment_sync import PaymentSync
from kashop_desktop.store.models import GatewayAccount, Order, Product

PRODUCT = "bench 王者荣耀点券 680点"


def timed(fn: Callable[[], Any], repeat: int = 20) -> tuple[float, Any]:
    samples, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), result


def line(name: str, value: float, unit: str, target: str) -> None:
    print(f"{name:<56} {value:>10.2f} {unit:<6} {target}", flush=True)


def bench_product(desk: Desk, codes: int) -> None:
    with desk.atomic():
        product, _ = Product.get_or_create(name=PRODUCT, defaults={"product_type": "card_code", "price_fen": 68_00})
        stamp = int(time.time() * 1000)
        add_codes(desk, product.id, [f"BENCH-{stamp}-{i:06d}-CODE" for i in range(codes)])


def naive_order_no(desk: Desk) -> str:
    prefix = f"KS{desk.now():%Y%m%d}"
    count = Order.select().where(Order.order_no ** f"{prefix}%").count()
    return f"{prefix}{count + 1:07d}"


def qr_sales(desk: Desk, n: int) -> list[float]:
    server = fake_class("alipay")().start()
    try:
        if GatewayAccount.get_or_none(GatewayAccount.name == "bench-alipay") is not None:
            with desk.atomic():
                GatewayAccount.delete().where(GatewayAccount.name == "bench-alipay").execute()
        save_account(desk, "bench-alipay", "alipay", server.account_config("alipay"))

        async def run() -> list[float]:
            sync = PaymentSync(desk)
            samples = []
            try:
                for _ in range(n):
                    start = time.perf_counter()
                    await sale_flow.open_sale(desk, sale.SaleInput(PRODUCT, 1, "13800138000", gateway="bench-alipay"),
                                              sync)
                    samples.append((time.perf_counter() - start) * 1000)
            finally:
                await sync.aclose()
            return samples

        return asyncio.run(run())
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir", nargs="?")
    parser.add_argument("--orders", type=int, default=200_000)
    args = parser.parse_args()
    data_dir = args.data_dir or tempfile.mkdtemp(prefix="kashop-bench-sale-")
    desk = Desk.open(data_dir)
    ensure_store(desk, args.orders)
    bench_product(desk, 200)
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {args.orders:,} orders in {data_dir}")
    quote_ms, _ = timed(lambda: sale.quote(desk, PRODUCT, 2, ""))
    line("the form's live price and stock (every edit)", quote_ms, "ms", "target < 16 ms (one frame)")
    no_ms, _ = timed(lambda: sale.next_order_no(desk.now()))
    line("next order no (the day's highest, unique index)", no_ms, "ms", "target < 5 ms")
    naive_ms, _ = timed(lambda: naive_order_no(desk), repeat=3)
    line("  naive: count today's order nos with LIKE", naive_ms, "ms", "baseline")
    manual_ms, _ = timed(lambda: sale.create_order(
        desk, sale.SaleInput(PRODUCT, 1, "13800138000", manual="cash"), confirmed=True), repeat=30)
    line("manual sale: order, codes, paid, delivered (one click)", manual_ms, "ms", "target < 100 ms")
    samples = qr_sales(desk, 20)
    line("QR sale: order + alipay.trade.precreate on loopback", statistics.median(samples), "ms",
         "target < 300 ms (before the gateway's own time)")
    desk.close()


if __name__ == "__main__":
    main()
