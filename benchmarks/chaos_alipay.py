"""Chaos run of the Alipay adapter against its fake (a script, not a test).

    .venv/bin/python benchmarks/chaos_alipay.py [--trades 2300] [--batch 4] [--seed 7]

Creates paid trades on a FakeAlipayServer, then drives refunds through AlipayAdapter with chaos
on (5xx before booking, reply dropped after booking, truncated replies, replies signed with the
wrong key, 20000 / ACQ.SYSTEM_ERROR after booking, refunds missing from their first query as
Alipay warns can happen, "processing first" and "balance not enough" in some batches) plus
random payment queries. The refund loop follows the refund-queue rules:

  * the refund key is "persisted" (recorded locally) before the first call;
  * SUCCEEDED / FAILED are final; PROCESSING -> query later;
  * UNKNOWN_OUTCOME or SECURITY -> query before anything else; only NOT_FOUND allows a re-send,
    and only with the same out_request_no and amount; RETRYABLE with sent=False -> re-send.

At the end (chaos off) every local refund state is compared with the fake's ledger, every trade
is queried once more, and the script prints the calls made, final states that disagree with the
ledger (goal 0), refunds whose money moved twice (goal 0) and the elapsed time.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kashop_desktop.gateways.alipay import AlipayAdapter
from kashop_desktop.gateways.base import (
    ErrorKind,
    GatewayError,
    PaymentRef,
    PaymentState,
    RefundRef,
    RefundRequest,
    RefundState,
)
from kashop_desktop.gateways.fakes.alipay import FakeAlipayServer

MAX_STEPS = 80


@dataclass
class LocalRefund:
    """What the shop's database would hold for one refund."""

    out_trade_no: str
    refund_no: str
    amount_fen: int
    total_fen: int
    state: str = "requested"  # requested -> sending/unknown/processing -> succeeded | failed
    steps: int = 0
    history: list[str] = field(default_factory=list)


@dataclass
class Stats:
    calls: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)


async def drive(adapter: AlipayAdapter, rec: LocalRefund, stats: Stats) -> None:
    req = RefundRequest(rec.out_trade_no, None, rec.refund_no, rec.amount_fen, rec.total_fen)
    ref = RefundRef(rec.out_trade_no, None, rec.refund_no, amount_fen=rec.amount_fen)
    action = "send"
    while rec.steps < MAX_STEPS:
        rec.steps += 1
        stats.calls += 1
        if action == "send":
            rec.state = "sending"
            try:
                result = await adapter.refund(req)
            except GatewayError as exc:
                stats.outcomes[f"refund:{exc.kind.value}"] += 1
                rec.history.append(f"refund:{exc.kind.value}:{exc.code}")
                if exc.kind is ErrorKind.RETRYABLE and not exc.sent:
                    continue  # never reached the gateway: same request again
                if exc.kind is ErrorKind.MISCONFIGURED:
                    rec.state = "failed"
                    return
                rec.state, action = "unknown", "query"
                continue
            stats.outcomes[f"refund:{result.state.value}"] += 1
            rec.history.append(f"refund:{result.state.value}:{result.code}")
        else:
            try:
                result = await adapter.query_refund(ref)
            except GatewayError as exc:
                stats.outcomes[f"query_refund:{exc.kind.value}"] += 1
                rec.history.append(f"query:{exc.kind.value}:{exc.code}")
                continue  # still unknown: ask again
            stats.outcomes[f"query_refund:{result.state.value}"] += 1
            rec.history.append(f"query:{result.state.value}")
        if result.state is RefundState.SUCCEEDED:
            rec.state = "succeeded"
            return
        if result.state is RefundState.FAILED:
            rec.state = "failed"
            return
        if result.state is RefundState.PROCESSING:
            rec.state, action = "processing", "query"
        elif result.state is RefundState.NOT_FOUND:
            rec.state, action = "unknown", "send"  # it never happened: same key, same amount
    rec.history.append("gave up")


async def trade_flow(
    adapter: AlipayAdapter,
    no: str,
    total: int,
    plan: list[int],
    stats: Stats,
    out: list[LocalRefund],
    rng: random.Random,
) -> None:
    for i, amount in enumerate(plan):
        rec = LocalRefund(no, f"{no}-R{i + 1}", amount, total)
        out.append(rec)  # persisted before the first call
        await drive(adapter, rec, stats)
        if rng.random() < 0.5:
            stats.calls += 1
            try:
                snap = await adapter.query_payment(PaymentRef(no))
                stats.outcomes[f"query_payment:{snap.state.value}"] += 1
            except GatewayError as exc:
                stats.outcomes[f"query_payment:{exc.kind.value}"] += 1


def refund_plan(rng: random.Random, total: int) -> list[int]:
    kind = rng.random()
    if kind < 0.35:
        return [total]
    if kind < 0.85:
        parts = rng.randint(2, 3)
        cuts = sorted(rng.sample(range(1, total), parts - 1))
        amounts = [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]
        if rng.random() < 0.5:
            amounts.pop()  # leave part of the trade unrefunded
        return amounts
    # Over-refund attempt: the second one must fail and move nothing.
    return [total * 2 // 3, total * 2 // 3]


async def main(args: argparse.Namespace) -> int:
    rng = random.Random(args.seed)
    fake = FakeAlipayServer()
    fake.start()
    started = time.perf_counter()
    stats = Stats()
    records: list[LocalRefund] = []
    totals: dict[str, int] = {}
    try:
        limits = httpx.Limits(max_connections=args.batch, max_keepalive_connections=args.batch)
        async with httpx.AsyncClient(limits=limits, trust_env=False) as http:
            adapter = AlipayAdapter(fake.account_config(), http=http, timeout=10.0)
            for first in range(0, args.trades, args.batch):
                batch = range(first, min(first + args.batch, args.trades))
                fake.set_chaos(
                    fail_5xx_rate=0.04,
                    drop_after_booking_rate=0.04,
                    truncate_rate=0.04,
                    bad_signature_rate=0.04,
                    processing_first=rng.random() < 0.3,
                    balance_not_enough=rng.random() < 0.05,
                    seed=rng.randrange(1 << 30),
                )
                fake.error_after_booking_rate = 0.03
                fake.refund_query_lag_rate = 0.3
                jobs = []
                for n in batch:
                    no = f"B{args.seed}T{n:06d}"
                    total = rng.randint(300, 200_000)
                    totals[no] = total
                    fake.add_payment(no, total)
                    jobs.append(trade_flow(adapter, no, total, refund_plan(rng, total), stats, records, rng))
                await asyncio.gather(*jobs)
            # Final check, chaos off.
            fake.set_chaos(
                fail_5xx_rate=0.0,
                drop_after_booking_rate=0.0,
                truncate_rate=0.0,
                bad_signature_rate=0.0,
                processing_first=False,
                balance_not_enough=False,
            )
            fake.error_after_booking_rate = 0.0
            fake.refund_query_lag_rate = 0.0
            wrong: list[str] = []
            sem = asyncio.Semaphore(args.batch)

            async def final_query(no: str) -> None:
                async with sem:
                    stats.calls += 1
                    snap = await adapter.query_payment(PaymentRef(no))
                    payment = fake.ledger.payments[no]
                    want = (
                        PaymentState.CLOSED
                        if payment.refunded_fen >= payment.amount_fen
                        else PaymentState.PAID
                    )
                    if snap.state is not want or snap.total_fen != payment.amount_fen:
                        wrong.append(f"{no}: query says {snap.state} / ledger {payment.status}")

            await asyncio.gather(*(final_query(no) for no in totals))
            await adapter.aclose()
    finally:
        fake.stop()
    elapsed = time.perf_counter() - started

    booked: Counter[tuple[str, str]] = Counter((r.out_trade_no, r.out_refund_no) for r in fake.ledger.refunds)
    money_twice = sum(n - 1 for n in booked.values() if n > 1)
    local_keys = {(r.out_trade_no, r.refund_no) for r in records}
    money_twice += sum(1 for key in booked if key not in local_keys)  # booked but never asked for
    for no, payment in fake.ledger.payments.items():
        ledger_sum = sum(r.amount_fen for r in fake.ledger.refunds_for(no))
        if ledger_sum != payment.refunded_fen or ledger_sum > payment.amount_fen:
            wrong.append(
                f"{no}: ledger refunded {ledger_sum} vs payment {payment.refunded_fen}/{payment.amount_fen}"
            )
    unresolved = 0
    for rec in records:
        entry = fake.find_refund(rec.out_trade_no, rec.refund_no)
        if rec.state == "succeeded":
            ok = entry is not None and entry.status == "succeeded" and entry.amount_fen == rec.amount_fen
        elif rec.state == "failed":
            ok = entry is None
        else:
            unresolved += 1
            ok = False
        if not ok:
            wrong.append(
                f"{rec.refund_no}: local {rec.state}, ledger {entry and (entry.status, entry.amount_fen)}"
            )

    local_states = Counter(r.state for r in records)
    print("Alipay chaos run")
    print(f"  trades: {len(totals)}, refunds attempted: {len(records)} {dict(local_states)}")
    print(f"  adapter calls made: {stats.calls} (HTTP requests seen by the fake: {fake.requests_seen})")
    print(f"  outcomes: {dict(sorted(stats.outcomes.items()))}")
    print(
        f"  ledger: refunds {len(fake.ledger.refunds)}, refund calls {fake.ledger.refund_calls}, "
        f"repeated out_request_no absorbed idempotently {fake.ledger.duplicate_refund_calls}"
    )
    print(
        f"  final states wrong vs the fake's ledger: {len(wrong)} (unresolved after {MAX_STEPS} steps: {unresolved})"
    )
    for line in wrong[:10]:
        print("    ", line)
    print(f"  duplicate refunds (money moved twice): {money_twice}")
    print(f"  elapsed: {elapsed:.1f} s")
    return 0 if not wrong and not money_twice and stats.calls >= 10_000 else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trades", type=int, default=2300)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--seed", type=int, default=7)
    sys.exit(asyncio.run(main(parser.parse_args())))
