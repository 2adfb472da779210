"""Chaos run of the WeChat Pay adapter against its fake: is money ever moved twice, is any final
state wrong?

Not a test: run ``.venv/bin/python benchmarks/chaos_wechatpay.py [--calls 10000] [--seed 1]``.

It drives a small refund loop that follows the queue's rules (the protocol notes §5.3):
  * the refund number is written to the local "database" before the first call;
  * on UNKNOWN_OUTCOME, SECURITY or RETRYABLE-after-send: query first, never re-send blind;
  * a re-send uses the same out_refund_no and the same amount;
  * PROCESSING is queried again later; FAILED and SUCCEEDED are final.
while the fake injects 5xx, replies lost after booking, truncated bodies, bad signatures, and
(in some batches) PROCESSING-first refunds and insufficient balance. At the end every local
final state is compared with the fake's ledger.

The fake runs in a child process (it is a real HTTP server; in-process its threads would fight
the event loop for the GIL) and is driven through the harness's ``/__fake__/`` admin endpoints.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kashop_desktop.gateways.base import (
    ErrorKind,
    GatewayError,
    PaymentRef,
    PaymentState,
    RefundRef,
    RefundRequest,
    RefundResult,
    RefundState,
)
from kashop_desktop.gateways.fakes.wechatpay import FakeWechatPayServer
from kashop_desktop.gateways.wechatpay import WechatPayV3Adapter

MAX_STEPS = 200  # per refund; reaching it means the loop could not settle (reported)


@dataclass
class Intent:
    """One row of the local refund table: persisted before the first call."""

    out_trade_no: str
    refund_no: str
    amount_fen: int
    total_fen: int
    state: str = "REQUESTED"  # REQUESTED | SUCCEEDED | FAILED | UNSETTLED
    sends: int = 0
    history: list[str] = field(default_factory=list)


@dataclass
class Stats:
    calls: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    wrong_payment_views: int = 0

    @property
    def total(self) -> int:
        return sum(self.calls.values())


async def settle(a: WechatPayV3Adapter, it: Intent, stats: Stats, rng: random.Random) -> None:
    must_query = False
    processing = False
    req = RefundRequest(it.out_trade_no, None, it.refund_no, it.amount_fen, it.total_fen, "chaos")
    ref = RefundRef(it.out_trade_no, None, it.refund_no, amount_fen=it.amount_fen)
    for _ in range(MAX_STEPS):
        if rng.random() < 0.15:
            await peek_payment(a, it, stats)
        result: RefundResult
        try:
            if must_query or processing:
                stats.calls["query_refund"] += 1
                result = await a.query_refund(ref)
            else:
                stats.calls["refund"] += 1
                it.sends += 1
                result = await a.refund(req)
        except GatewayError as exc:
            stats.errors[exc.kind.value] += 1
            it.history.append(exc.kind.value)
            if exc.kind is ErrorKind.MISCONFIGURED:
                it.state = "UNSETTLED"
                return
            if not (exc.kind is ErrorKind.RETRYABLE and not exc.sent):
                must_query = True  # the request may have been executed: find out first
            continue
        it.history.append(result.state.value)
        if result.state is RefundState.NOT_FOUND:
            must_query = processing = False  # never booked: re-send, same number, same amount
        elif result.state is RefundState.PROCESSING:
            processing, must_query = True, False
            await asyncio.sleep(0)  # "query later"
        else:
            it.state = "SUCCEEDED" if result.state is RefundState.SUCCEEDED else "FAILED"
            return
    it.state = "UNSETTLED"


async def peek_payment(a: WechatPayV3Adapter, it: Intent, stats: Stats) -> None:
    stats.calls["query_payment"] += 1
    try:
        snap = await a.query_payment(PaymentRef(it.out_trade_no))
    except GatewayError as exc:
        stats.errors[exc.kind.value] += 1
        return
    if snap.total_fen != it.total_fen or snap.state not in (PaymentState.PAID, PaymentState.PARTIALLY_REFUNDED):
        stats.wrong_payment_views += 1


def serve_fake(conn: Connection) -> None:
    """Child process: the fake WeChat Pay server until the parent says stop."""
    fake = FakeWechatPayServer()
    fake.start()
    conn.send(fake.account_config())
    conn.recv()
    fake.stop()


class FakeAdmin:
    """The harness's admin endpoints: add payments, set chaos, read the ledger."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.AsyncClient(base_url=base_url + "/__fake__/", timeout=30)

    async def call(self, name: str, payload: dict[str, Any] | None = None) -> Any:
        resp = await (self.http.get(name) if payload is None else self.http.post(name, json=payload))
        resp.raise_for_status()
        return resp.json()


async def plan_orders(admin: FakeAdmin, rng: random.Random, batch: int, n_orders: int) -> list[Intent]:
    intents: list[Intent] = []
    for i in range(n_orders):
        otn = f"B{batch}O{i}"
        total = rng.randint(1, 50_000)
        await admin.call("payment", {"out_trade_no": otn, "amount_fen": total})
        left = total
        for j in range(rng.choice((1, 1, 2, 3))):
            if left <= 0:
                break
            amount = left if rng.random() < 0.4 else rng.randint(1, left)
            left -= amount
            intents.append(Intent(otn, f"{otn}R{j}", amount, total))
    return intents


def check(ledger: dict[str, Any], intents: list[Intent]) -> tuple[int, int, int, list[str]]:
    """(wrong final states, refunds that moved money twice, unsettled, examples)."""
    by_key: dict[str, list[str]] = {}
    amounts: dict[str, int] = {}
    for r in ledger["refunds"]:
        by_key.setdefault(r["out_refund_no"], []).append(r["status"])
        amounts[r["out_refund_no"]] = r["amount_fen"]
    ours = {it.refund_no for it in intents}
    duplicates = sum(len(v) - 1 for v in by_key.values()) + sum(1 for k in by_key if k not in ours)
    duplicates += sum(1 for p in ledger["payments"] if p["refunded_fen"] > p["amount_fen"])
    refunded: Counter[str] = Counter()
    for r in ledger["refunds"]:
        refunded[r["out_trade_no"]] += r["amount_fen"] if r["status"] != "failed" else 0
    duplicates += sum(1 for p in ledger["payments"] if refunded[p["out_trade_no"]] != p["refunded_fen"])
    wrong, unsettled, examples = 0, 0, list[str]()
    for it in intents:
        booked = by_key.get(it.refund_no, [])
        truth = "SUCCEEDED" if booked == ["succeeded"] and amounts[it.refund_no] == it.amount_fen else (
            "FAILED" if not booked or booked == ["failed"] else "OTHER")
        if it.state == "UNSETTLED":
            unsettled += 1
        elif it.state != truth:
            wrong += 1
            if len(examples) < 5:
                examples.append(f"{it.refund_no}: ours={it.state} ledger={booked} history={it.history}")
    return wrong, duplicates, unsettled, examples


async def run(config: dict[str, str], target_calls: int, seed: int, batch_size: int) -> int:
    rng = random.Random(seed)
    stats, intents = Stats(), []
    admin = FakeAdmin(config["base_url"])
    a = WechatPayV3Adapter(config, timeout=5.0)
    started = time.perf_counter()
    try:
        report = await a.test_connection()
        assert report.ok, report
        batch = 0
        while stats.total < target_calls:
            batch += 1
            await admin.call("chaos", {
                "fail_5xx_rate": 0.06, "drop_after_booking_rate": 0.06, "truncate_rate": 0.05,
                "bad_signature_rate": 0.05, "processing_first": rng.random() < 0.35,
                "balance_not_enough": rng.random() < 0.1, "seed": rng.randrange(2**31),
            })
            todo = await plan_orders(admin, rng, batch, batch_size)
            intents.extend(todo)
            await asyncio.gather(*(settle(a, it, stats, random.Random(rng.random())) for it in todo))
        elapsed = time.perf_counter() - started
        ledger = await admin.call("ledger")
    finally:
        await a.aclose()
        await admin.http.aclose()
    wrong, duplicates, unsettled, examples = check(ledger, intents)
    finals = Counter(it.state for it in intents)
    print(f"calls made:                 {stats.total}  ({dict(stats.calls)})")
    print(f"errors raised (handled):    {dict(stats.errors)}")
    print(f"refund intents:             {len(intents)}  final {dict(finals)}")
    print(f"re-sends with the same key: {sum(max(0, it.sends - 1) for it in intents)}  "
          f"(fake saw {ledger['duplicate_refund_calls']} repeats of a booked out_refund_no, "
          f"{ledger['refund_calls']} refund calls past authentication)")
    print(f"final states wrong vs ledger: {wrong}")
    print(f"duplicate refunds (money moved twice): {duplicates}")
    print(f"unsettled after {MAX_STEPS} steps: {unsettled}")
    print(f"wrong payment views:        {stats.wrong_payment_views}")
    print(f"elapsed:                    {elapsed:.1f} s  ({stats.total / elapsed:.0f} calls/s)")
    for line in examples:
        print("  e.g.", line)
    return 1 if wrong or duplicates or unsettled or stats.wrong_payment_views else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch", type=int, default=40, help="orders per asyncio.gather batch")
    args = parser.parse_args()
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    server = ctx.Process(target=serve_fake, args=(child,), daemon=True)
    server.start()
    try:
        config = parent.recv()
        return asyncio.run(run(config, args.calls, args.seed, args.batch))
    finally:
        parent.send("stop")
        server.join(10)


if __name__ == "__main__":
    raise SystemExit(main())
