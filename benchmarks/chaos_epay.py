#!/usr/bin/env python
"""Chaos run of the 易支付 adapters (epay_v1, epay_v2) against the local fake. Not a test.

For each adapter kind: a fresh FakeEpayServer with chaos on (HTTP 5xx before booking, reply lost
after booking, truncated body, bad response signature; latency 0), and a tiny refund queue that
follows the rules:

* the refund key (``refund_no``) is persisted locally *before* the call;
* V2: a refund that came back RETRYABLE(sent=False) is re-sent with the same key; anything whose
  outcome is unknown (lost reply, truncated body, 5xx after sending, bad signature) is *queried*
  (``api/pay/refundquery``) and only re-sent, with the same key, when the query says NOT_FOUND;
* V1: there is no key and no refund query, so an unknown outcome is never retried: the refund is
  left for the owner ("needs owner") and the rest of that order's refunds wait behind it.

Randomised reads (query_payment, list_transactions, test_connection) are mixed in. At the end the
chaos is switched off and every local refund state is compared with the fake's ledger.

    .venv/bin/python benchmarks/chaos_epay.py [--calls 10000] [--seed 7] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kashop_desktop.gateways.base import (
    ErrorKind,
    GatewayError,
    PaymentRef,
    RefundRef,
    RefundRequest,
    RefundState,
    TxQuery,
)
from kashop_desktop.gateways.epay import EpayV1Adapter, EpayV2Adapter
from kashop_desktop.gateways.fakes.epay import FakeEpayServer

Adapter = EpayV1Adapter | EpayV2Adapter
MAX_ROUNDS = 25  # refund/query rounds per V2 refund before it is called "unresolved"


@dataclass
class LocalRefund:
    """What the desk's refund table would hold."""

    refund_no: str
    out_trade_no: str
    amount_fen: int
    total_fen: int
    state: str = "requested"  # requested | succeeded | failed | needs_owner | unresolved | error
    gateway_refund_no: str | None = None
    reason: str = ""


@dataclass
class Run:
    kind: str
    adapter: Adapter
    rng: random.Random
    db: dict[str, LocalRefund] = field(default_factory=dict)
    calls: Counter[str] = field(default_factory=Counter)
    seen: Counter[str] = field(default_factory=Counter)

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    def note_error(self, exc: GatewayError) -> None:
        if exc.code.startswith("http_5"):
            self.seen["5xx"] += 1
        elif exc.code == "bad_body":
            self.seen["truncated body"] += 1
        elif exc.code in ("transport", "timeout"):
            self.seen["reply lost"] += 1
        elif exc.kind is ErrorKind.SECURITY:
            self.seen["bad signature"] += 1
        else:
            self.seen[f"{exc.kind.value}:{exc.code}"] += 1


# ---- the refund loops ----------------------------------------------------------------------------


async def refund_v2(run: Run, local: LocalRefund) -> None:
    adapter = run.adapter
    req = RefundRequest(local.out_trade_no, None, local.refund_no, local.amount_fen, local.total_fen)
    must_query = False
    for _ in range(MAX_ROUNDS):
        if must_query:
            run.calls["query_refund"] += 1
            try:
                found = await adapter.query_refund(
                    RefundRef(local.out_trade_no, None, local.refund_no, amount_fen=local.amount_fen)
                )
            except GatewayError as exc:
                run.note_error(exc)
                continue  # still unknown: ask again
            if found.state is RefundState.SUCCEEDED:
                local.state, local.gateway_refund_no = "succeeded", found.gateway_refund_no
                return
            if found.state is RefundState.PROCESSING:
                continue
            must_query = False  # NOT_FOUND / FAILED: never happened, re-send with the SAME key
        run.calls["refund"] += 1
        try:
            result = await adapter.refund(req)
        except GatewayError as exc:
            run.note_error(exc)
            if exc.kind is ErrorKind.RETRYABLE and not exc.sent:
                continue  # never left this machine
            if exc.kind in (ErrorKind.RETRYABLE, ErrorKind.UNKNOWN_OUTCOME, ErrorKind.SECURITY):
                must_query = True
                continue
            local.state, local.reason = "error", f"{exc.kind.value}:{exc.code}"
            return
        if result.state is RefundState.SUCCEEDED:
            local.state, local.gateway_refund_no = "succeeded", result.gateway_refund_no
        else:
            local.state, local.reason = "failed", result.message_zh
        return
    local.state = "unresolved"


async def refund_v1(run: Run, local: LocalRefund) -> None:
    adapter = run.adapter
    req = RefundRequest(local.out_trade_no, None, local.refund_no, local.amount_fen, local.total_fen)
    for _ in range(MAX_ROUNDS):
        run.calls["refund"] += 1
        try:
            result = await adapter.refund(req)
        except GatewayError as exc:
            run.note_error(exc)
            if exc.kind is ErrorKind.RETRYABLE and not exc.sent:
                continue  # the request never went out: re-sending is safe even on V1
            # Unknown (or unverifiable) outcome and no idempotency key: never auto-retry.
            local.state, local.reason = "needs_owner", f"{exc.kind.value}:{exc.code}"
            return
        if result.state is RefundState.SUCCEEDED:
            local.state, local.gateway_refund_no = "succeeded", result.gateway_refund_no
        else:
            local.state, local.reason = "failed", result.message_zh
        return
    local.state = "unresolved"


# ---- randomised work ------------------------------------------------------------------------------


def refund_plan(total: int, rng: random.Random) -> list[int]:
    roll = rng.random()
    if roll < 0.35 or total < 3:
        return [total]
    if roll < 0.85:
        parts = rng.randint(2, 3)
        cuts = sorted(rng.sample(range(1, total), parts - 1))
        amounts = [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]
        if rng.random() < 0.3:
            amounts.pop()  # leave some of it unrefunded
        return amounts
    half = total // 2 or 1
    return [half, total]  # the second one exceeds what remains: a business refusal


async def read_something(run: Run, out_trade_no: str) -> None:
    adapter = run.adapter
    roll = run.rng.random()
    try:
        if roll < 0.75:
            run.calls["query_payment"] += 1
            await adapter.query_payment(PaymentRef(out_trade_no))
        elif roll < 0.92:
            run.calls["list_transactions"] += 1
            await adapter.list_transactions(TxQuery(offset=run.rng.randint(0, 20), limit=5))
        else:
            run.calls["test_connection"] += 1
            await adapter.test_connection()
    except GatewayError as exc:
        run.note_error(exc)


async def work_order(run: Run, out_trade_no: str, total: int) -> None:
    loop = refund_v2 if run.kind == "epay_v2" else refund_v1
    for seq, amount in enumerate(refund_plan(total, run.rng), start=1):
        if run.rng.random() < 0.5:
            await read_something(run, out_trade_no)
        local = LocalRefund(f"RF-{out_trade_no}-{seq:02d}", out_trade_no, amount, total)
        run.db[local.refund_no] = local  # persisted before the call
        await loop(run, local)
        if local.state not in ("succeeded", "failed"):
            break  # this order waits for the owner / a later sweep
    if run.rng.random() < 0.5:
        await read_something(run, out_trade_no)


# ---- checking against the ledger ----------------------------------------------------------------


def check(run: Run, fake: FakeEpayServer) -> dict[str, int]:
    ledger = fake.ledger
    wrong = 0
    states = Counter(r.state for r in run.db.values())
    by_order: dict[str, list[LocalRefund]] = defaultdict(list)
    for local in run.db.values():
        by_order[local.out_trade_no].append(local)
    booked_for_owner = 0
    duplicates = 0
    if run.kind == "epay_v2":
        booked_keys = Counter(r.out_refund_no for r in ledger.refunds)
        duplicates = sum(n - 1 for n in booked_keys.values() if n > 1)
        for local in run.db.values():
            booked = [r for r in ledger.refunds if r.out_refund_no == local.refund_no]
            if local.state == "succeeded":
                wrong += not (len(booked) == 1 and booked[0].amount_fen == local.amount_fen)
                wrong += booked[0].refund_no != local.gateway_refund_no if booked else 0
            elif local.state == "failed":
                wrong += bool(booked)
            elif booked:
                booked_for_owner += 1
        wrong += sum(1 for r in ledger.refunds if r.out_refund_no not in run.db)  # orphans
    else:
        gateway_nos = {local.gateway_refund_no for local in run.db.values() if local.state == "succeeded"}
        by_no = {r.refund_no: r for r in ledger.refunds}
        for local in run.db.values():
            if local.state == "succeeded":
                match = by_no.get(local.gateway_refund_no or "")
                wrong += match is None or match.amount_fen != local.amount_fen
        for out_trade_no, locals_ in by_order.items():
            orphans = [r for r in ledger.refunds_for(out_trade_no) if r.refund_no not in gateway_nos]
            owner_items = [r for r in locals_ if r.state in ("needs_owner", "unresolved")]
            if len(orphans) > len(owner_items):
                duplicates += len(orphans) - len(owner_items)
                wrong += len(orphans) - len(owner_items)
            booked_for_owner += min(len(orphans), len(owner_items))
    for out_trade_no, locals_ in by_order.items():
        succeeded = sum(r.amount_fen for r in locals_ if r.state == "succeeded")
        booked_total = sum(r.amount_fen for r in ledger.refunds_for(out_trade_no))
        owner = [r for r in locals_ if r.state in ("needs_owner", "unresolved", "requested", "error")]
        if not owner and booked_total != succeeded:
            wrong += 1
        if booked_total != ledger.payments[out_trade_no].refunded_fen:
            wrong += 1
    return {
        "wrong": wrong,
        "duplicates": duplicates,
        "booked_for_owner": booked_for_owner,
        **{f"state_{k}": v for k, v in states.items()},
    }


# ---- driver ----------------------------------------------------------------------------------------


async def drive(kind: str, fake: FakeEpayServer, target: int, seed: int, concurrency: int, rates: float) -> Run:
    config = fake.account_config(kind)
    adapter: Adapter = EpayV2Adapter(config, timeout=5.0) if kind == "epay_v2" else EpayV1Adapter(config, timeout=5.0)
    run = Run(kind, adapter, random.Random(seed))
    chaos = {
        "fail_5xx_rate": rates,
        "drop_after_booking_rate": rates,
        "truncate_rate": rates,
        "bad_signature_rate": rates,
        "latency_ms": 0,
        "seed": seed,
    }
    fake.set_chaos(**chaos)
    order_seq = 0
    try:
        while run.total_calls < target:
            # Now and then the merchant's epay balance runs dry for a whole batch. (Set directly:
            # set_chaos() would re-seed the chaos RNG and replay the same pattern every batch.)
            with fake.lock:
                fake.chaos.balance_not_enough = run.rng.random() < 0.05
            batch = []
            for _ in range(concurrency):
                order_seq += 1
                total = run.rng.choice([1, 99, 100, 990, 1000, 2500, 9900, run.rng.randint(2, 50_000)])
                out_trade_no = f"K{order_seq:06d}"
                fake.add_payment(out_trade_no, total)
                batch.append(work_order(run, out_trade_no, total))
            await asyncio.gather(*batch)
    finally:
        fake.set_chaos(fail_5xx_rate=0.0, drop_after_booking_rate=0.0, truncate_rate=0.0, bad_signature_rate=0.0)
        fake.set_chaos(balance_not_enough=False)
        await adapter.aclose()
    return run


def report(run: Run, result: dict[str, int], idempotent_resends: int, elapsed: float) -> str:
    states = {k[6:]: v for k, v in result.items() if k.startswith("state_")}
    lines = [
        f"== {run.kind} ==",
        f"  calls made                 {run.total_calls:>7}   " + ", ".join(f"{k} {v}" for k, v in run.calls.most_common()),
        "  chaos seen by the adapter  " + ", ".join(f"{k} {v}" for k, v in sorted(run.seen.items())),
        f"  refunds intended           {len(run.db):>7}   " + ", ".join(f"{k} {v}" for k, v in sorted(states.items())),
        f"  final states wrong vs the fake's ledger      {result['wrong']}   (goal 0)",
        f"  duplicate refunds booked (same refund twice) {result['duplicates']}   (goal 0)",
    ]
    if run.kind == "epay_v2":
        lines.append(f"  unresolved after {MAX_ROUNDS} rounds                  {states.get('unresolved', 0)}   (goal 0)")
        lines.append(f"  idempotent re-sends answered from the first booking (ledger.duplicate_refund_calls) {idempotent_resends}")
    else:
        owner = states.get("needs_owner", 0) + states.get("unresolved", 0)
        booked = result["booked_for_owner"]
        lines.append(
            f"  unknowns left for the owner                  {owner}   "
            f"(really booked at the gateway: {booked}, not booked: {owner - booked})"
        )
    lines.append(f"  elapsed                    {elapsed:>7.1f} s")
    return "\n".join(lines)


def bench_kind(kind: str, calls: int, seed: int, concurrency: int, rate: float) -> tuple[str, bool]:
    """One adapter kind against its own fake (run in a worker process)."""
    fake = FakeEpayServer()
    fake.start()
    try:
        t0 = time.perf_counter()
        run = asyncio.run(drive(kind, fake, calls, seed, concurrency, rate))
        elapsed = time.perf_counter() - t0
        with fake.lock:
            result = check(run, fake)
            resends = fake.ledger.duplicate_refund_calls
    finally:
        fake.stop()
    failed = result["wrong"] > 0 or result["duplicates"] > 0
    failed |= kind == "epay_v2" and result.get("state_unresolved", 0) > 0
    return report(run, result, resends, elapsed), failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=10_000, help="adapter calls per adapter (at least)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--concurrency", type=int, default=4, help="orders worked at once (asyncio.gather batch)")
    parser.add_argument("--rate", type=float, default=0.05, help="rate of each chaos knob")
    parser.add_argument("--kinds", default="epay_v1,epay_v2")
    parser.add_argument("--serial", action="store_true", help="run the kinds one after the other")
    args = parser.parse_args()
    kinds = args.kinds.split(",")
    started = time.perf_counter()
    # Client and fake share one process (and its GIL); the kinds are independent, so they run in
    # parallel worker processes.
    job = (args.calls, args.seed, args.concurrency, args.rate)
    if args.serial or len(kinds) == 1:
        outcomes = [bench_kind(kind, *job) for kind in kinds]
    else:
        with ProcessPoolExecutor(max_workers=len(kinds)) as pool:
            outcomes = list(pool.map(bench_kind, kinds, *([value] * len(kinds) for value in job)))
    for text, _ in outcomes:
        print(text)
    print(f"total elapsed {time.perf_counter() - started:.1f} s")
    return 1 if any(failed for _, failed in outcomes) else 0


if __name__ == "__main__":
    raise SystemExit(main())
