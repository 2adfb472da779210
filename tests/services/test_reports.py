"""Reports: the summary tables (schema 11) stay equal to a plain recomputation from the orders,
timeline and requests after a random mix of operations (and a bulk load, and a migration of
an older store); each report's numbers equal a naive GROUP BY over the orders."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from kashop_desktop.domain.clock import SHOP_TZ, from_epoch
from kashop_desktop.domain.errors import DomainError
from kashop_desktop.domain.order import OUTSIDE_CHANNELS, ReasonCode
from kashop_desktop.services import datagen, refund_owner, reports
from kashop_desktop.services import orders as ops
from kashop_desktop.services import requests as reqs
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.imports import import_file
from kashop_desktop.store import report_tables
from kashop_desktop.store.models import Refund

from .helpers import order, product, sandbox

pytestmark = pytest.mark.sqlite_only(reason="not ported to PostgreSQL yet: its shops come from the demo's data generator, whose bulk SQL is SQLite's")

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=SHOP_TZ)


def beijing_day(epoch: int) -> int:
    return (epoch + 8 * 3600) // 86400


def recomputed(desk: Desk) -> dict[str, Counter]:
    """The summary tables' sums computed in Python from the raw rows, keyed as the tables are."""
    db = desk.db
    # Money paid to the shop directly counts under no gateway account, whatever the order was begun with.
    orders = {oid: (pid or 0, ch or "", 0 if ch in OUTSIDE_CHANNELS else gw or 0) for oid, pid, ch, gw in db.execute_sql(
        "SELECT id, product_id, channel, gateway_id FROM orders")}
    created = dict(db.execute_sql("SELECT id, created_at FROM orders").fetchall())
    sales: Counter = Counter()
    for oid, paid_at, paid, refunded in db.execute_sql(
            "SELECT id, paid_at, paid_fen, refunded_fen FROM orders WHERE paid_at IS NOT NULL"):
        key = (beijing_day(paid_at), *orders[oid])
        sales[(*key, "orders")] += 1
        sales[(*key, "paid")] += paid
        sales[(*key, "refunded_orders")] += refunded > 0
        sales[(*key, "refunded")] += refunded
    reasons = {rid: reason for rid, reason in db.execute_sql("SELECT id, reason FROM cancel_request")}
    cancels: Counter = Counter()
    import json

    standing: dict[int, tuple[Any, ...]] = {}  # per order, its cancellation not undone yet
    for oid, at, action, before, after, data in db.execute_sql(
            "SELECT order_id, at, action, before_status, after_status, data FROM order_event ORDER BY id"):
        if before == "cancelled" and after != "cancelled":  # restored, or paid late: undone
            undone = standing.pop(oid, None)
            if undone is not None:
                cancels[undone] -= 1
            continue
        if after != "cancelled" or before == "cancelled":
            continue
        info = json.loads(data)
        reason = "expired" if action == "expire" else info.get("reason") or reasons.get(info.get("request_id"),
                                                                                      "unknown")
        if action in ("imported", "imported_update"):
            at = created[oid]  # the old system's day
        elif action == "expire":
            at = info.get("expired_at", at)  # the day it expired, not the day the sweep recorded it
        day = beijing_day(at)
        key = (day, reason, int((before or "") != "pending_payment"), *orders[oid])
        cancels[key] += 1
        standing[oid] = key
    answers: Counter = Counter()
    for oid, state, requested, decided in db.execute_sql(
            "SELECT order_id, state, requested_at, decided_at FROM cancel_request WHERE decided_at IS NOT NULL"):
        if state == "approved" and decided - requested <= 1:
            continue  # the owner's own cancel (opened and approved at once): no answer to a buyer
        key = (beijing_day(decided), int(state == "auto_approved"), *orders[oid])
        answers[(*key, "answered")] += 1
        answers[(*key, "seconds")] += max(0, decided - requested)
    return {"sales": +sales, "cancels": +cancels, "answers": +answers}


def kept(desk: Desk) -> dict[str, Counter]:
    db = desk.db
    sales: Counter = Counter()
    for day, pid, ch, gw, n, paid, r_orders, refunded in db.execute_sql("SELECT * FROM report_sales"):
        for name, value in (("orders", n), ("paid", paid), ("refunded_orders", r_orders), ("refunded", refunded)):
            sales[(day, pid, ch, gw, name)] += value
    cancels = Counter({(day, reason, paid, pid, ch, gw): n for day, reason, paid, pid, ch, gw, n in db.execute_sql(
        "SELECT day, reason, paid, product_id, channel, gateway_id, n FROM report_cancels")})
    answers: Counter = Counter()
    for day, auto, pid, ch, gw, answered, seconds in db.execute_sql("SELECT * FROM report_answers"):
        answers[(day, auto, pid, ch, gw, "answered")] += answered
        answers[(day, auto, pid, ch, gw, "seconds")] += seconds
    return {"sales": +sales, "cancels": +cancels, "answers": +answers}


def random_operations(desk: Desk, clock, rng: random.Random, steps: int) -> None:
    """Orders made, paid, delivered, completed, cancelled, expired, restored, requests opened,
    approved and rejected, refunds resolved, in a random order over several days."""
    cheap = product(desk, "腾讯视频月卡", stock=500, codes=200)
    dear = product(desk, "Steam 充值卡 100", stock=500, codes=200)
    gateway = sandbox(desk)
    made: list[str] = []
    for step in range(steps):
        clock.advance(minutes=rng.choice([1, 7, 45, 600]))
        action = rng.random()
        try:
            if action < 0.3 or not made:
                status = rng.choice(["pending_payment", "paid", "delivered", "completed"])
                made.append(order(desk, status, prod=rng.choice([cheap, dear]), paid_fen=rng.randint(1, 50_000),
                                  channel=rng.choice(["alipay", "wechat", "wallet", "bank_transfer"]),
                                  gateway_id=gateway,
                                  paid_minutes_ago=rng.choice([1, 30, 3000]), buyer=f"1380013{rng.randint(0, 9999):04d}"))
            elif action < 0.4:
                ops.mark_paid(desk, rng.choice(made), f"TX{step:08d}", confirmed=True)
            elif action < 0.5:
                ops.cancel_unpaid(desk, rng.choice(made), rng.choice(list(ReasonCode)))
            elif action < 0.62:
                reqs.open_request(desk, rng.choice(made), rng.choice(list(ReasonCode)),
                                  amount_fen=rng.choice([None, 100]))
            elif action < 0.72:
                open_ids = [r[0] for r in desk.db.execute_sql("SELECT id FROM cancel_request WHERE state = 'open'")]
                if open_ids:
                    if rng.random() < 0.7:
                        reqs.approve(desk, rng.choice(open_ids))
                    else:
                        reqs.reject(desk, rng.choice(open_ids), "不符合退款条件")
            elif action < 0.8:
                refunds = [r.id for r in Refund.select().where(Refund.state.in_(["queued", "needs_owner"]))]
                if refunds:
                    refund_owner.resolve_manually(desk, rng.choice(refunds), rng.random() < 0.8, "后台已核实")
            elif action < 0.86:
                ops.expire_unpaid(desk)
            elif action < 0.92:
                ops.restore(desk, rng.choice(made))
            elif action < 0.96:
                ops.deliver(desk, rng.choice(made))
            else:
                reqs.cancel_order(desk, rng.choice(made), rng.choice(list(ReasonCode)))
        except DomainError:
            pass  # the rules refused this one: nothing changed


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_summary_tables_equal_a_plain_recomputation_after_random_operations(desk: Desk, clock, seed: int) -> None:
    random_operations(desk, clock, random.Random(seed), 250)
    expected = recomputed(desk)
    assert expected["sales"] and expected["cancels"]  # the mix did reach every table
    assert kept(desk) == expected


def test_a_bulk_load_and_an_import_keep_the_sums(desk: Desk, tmp_path: Path) -> None:
    datagen.load(desk, 2500, seed=4, now=NOW, years=0.5)
    assert kept(desk) == recomputed(desk)
    export = tmp_path / "shop.csv"
    datagen.write_export(export, 800, seed=9, now=NOW, years=0.3)
    import_file(desk, export, bulk=False)
    assert kept(desk) == recomputed(desk)


def test_migration_11_fills_the_tables_of_an_older_store(desk: Desk) -> None:
    datagen.load(desk, 1500, seed=6, now=NOW, years=0.5)
    con = desk.db.connection()
    for table in ("report_sales", "report_cancels", "report_answers"):
        con.execute(f"DELETE FROM {table}")
    with desk.atomic():
        report_tables.migrate(desk.db)
    assert kept(desk) == recomputed(desk) and kept(desk)["sales"]


def test_summary_triggers_dropped_by_a_table_rebuild_come_back_at_the_next_open(desk: Desk, data_dir: Path) -> None:
    datagen.load(desk, 800, seed=2, now=NOW, years=0.3)
    con = desk.db.connection()
    for name in report_tables.TRIGGER_NAMES:
        con.execute(f"DROP TRIGGER {name}")
    con.execute("DELETE FROM report_sales")
    desk.close()
    again = Desk.open(data_dir)
    try:
        names = {r[0] for r in again.db.execute_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        assert set(report_tables.TRIGGER_NAMES) <= names
        assert kept(again) == recomputed(again) and kept(again)["sales"]
    finally:
        again.close()


def naive_sales(desk: Desk, start: date, end: date, by: str, split: str | None) -> dict[tuple[str, str], list[int]]:
    """The naive report: every paid order read and summed in Python."""
    out: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    column = {"product": "product_id", "channel": "channel",
              "gateway": "CASE WHEN channel IN ('bank_transfer', 'cash') THEN 0 ELSE gateway_id END"}.get(split or "", "''")
    for paid_at, paid, refunded, key in desk.db.execute_sql(
            f"SELECT paid_at, paid_fen, refunded_fen, {column} FROM orders WHERE paid_at IS NOT NULL"):
        day = from_epoch(paid_at).date()  # type: ignore[union-attr]
        if start <= day <= end:
            cell = out[(reports.period_label(reports.period_start(day, by), by), str(key if key is not None else
                                                                                      ("" if split == "channel" else 0)))]
            cell[0] += 1
            cell[1] += paid
            cell[2] += refunded > 0
            cell[3] += refunded
    return dict(out)


@pytest.mark.parametrize("by", reports.PERIODS)
@pytest.mark.parametrize("split", [None, *reports.SPLITS])
def test_a_report_equals_the_naive_sums_over_the_orders(desk: Desk, by: str, split: str | None) -> None:
    datagen.load(desk, 2000, seed=8, now=NOW, years=1.0)
    start, end = date(2026, 2, 11), date(2026, 10, 3)
    result = reports.report(desk, "refunds", start, end, by, split)
    assert result.periods[0] <= start and result.periods[-1] <= end < result.periods[-1] + timedelta(days=32)
    got: dict[tuple[str, str], list[int]] = {}
    if split is None:
        for label, n in zip(result.labels, result.totals, strict=True):
            if n.orders:
                got[(label, "")] = [n.orders, n.paid_fen, n.refunded_orders, n.refunded_fen]
    else:
        for s in result.splits:
            for label, n in zip(result.labels, result.by_split[s.key], strict=True):
                if n.orders:
                    got[(label, s.key)] = [n.orders, n.paid_fen, n.refunded_orders, n.refunded_fen]
    assert got == naive_sales(desk, start, end, by, split)
    assert result.total.paid_fen == sum(v[1] for v in got.values()) > 0


def test_cancellations_by_reason_and_answer_times(desk: Desk, clock) -> None:
    p = product(desk, stock=20)
    unpaid = order(desk, "pending_payment", prod=p)
    ops.cancel_unpaid(desk, unpaid, ReasonCode.DUPLICATE)
    order(desk, "pending_payment", prod=p)
    clock.advance(hours=2)
    ops.expire_unpaid(desk)
    paid = order(desk, "paid", prod=p, paid_minutes_ago=60)
    reqs.open_request(desk, paid, ReasonCode.WRONG_ITEM)
    clock.advance(minutes=90)
    request_id = desk.db.execute_sql("SELECT id FROM cancel_request").fetchone()[0]
    reqs.approve(desk, request_id)
    today = clock().date()
    reasons = reports.report(desk, "reasons", today - timedelta(days=1), today)
    assert reasons.total.cancels == {"duplicate": 1, "expired": 1, "wrong_item": 1}
    refunds = reports.report(desk, "refunds", today, today)
    assert refunds.total.answered == 1 and refunds.total.average_answer_seconds == 90 * 60
    assert reports.reason_label("expired") == ("超时未支付", "Unpaid, expired")


def test_an_undone_cancellation_no_longer_counts_and_an_import_counts_on_its_own_day(desk: Desk, clock,
                                                                                  tmp_path: Path) -> None:
    p = product(desk, stock=20)
    unpaid = order(desk, "pending_payment", prod=p)
    ops.cancel_unpaid(desk, unpaid, ReasonCode.MISTAKEN)
    today = clock().date()

    def cancels() -> dict[str, int]:
        return reports.report(desk, "reasons", today - timedelta(days=400), today).total.cancels

    assert cancels() == {"mistaken": 1}
    ops.restore(desk, unpaid)
    assert cancels() == {}  # restored: not a cancelled order any more
    ops.cancel_unpaid(desk, unpaid, ReasonCode.MISTAKEN)
    assert cancels() == {"mistaken": 1}  # cancelled again: once, not twice
    old = tmp_path / "old.csv"
    old.write_text("订单号,下单时间,商品,商品类型,实付金额,状态\r\nOLD-1,2026-03-02 10:00,旧商品,卡密,12.00,已取消\r\n",
                   encoding="utf-8")
    assert import_file(desk, old).inserted == 1
    on_the_day = reports.report(desk, "reasons", date(2026, 3, 2), date(2026, 3, 2)).total.cancels
    assert on_the_day == {"unknown": 1} and cancels() == {"mistaken": 1, "unknown": 1}
    assert reports.report(desk, "reasons", today, today).total.cancels == {"mistaken": 1}  # not the import day
    assert kept(desk) == recomputed(desk)


def test_the_owners_own_cancel_is_no_answer_to_a_buyer(desk: Desk, clock) -> None:
    p = product(desk, stock=20)
    paid = order(desk, "paid", prod=p, paid_minutes_ago=60)
    reqs.cancel_order(desk, paid, ReasonCode.NOT_NEEDED)  # opened and approved by the owner at once
    asked = order(desk, "paid", prod=p, paid_minutes_ago=60)
    reqs.open_request(desk, asked, ReasonCode.WRONG_ITEM)
    clock.advance(minutes=30)
    reqs.approve(desk, desk.db.execute_sql("SELECT MAX(id) FROM cancel_request").fetchone()[0])
    today = clock().date()
    refunds = reports.report(desk, "refunds", today, today)
    assert refunds.total.answered == 1 and refunds.total.average_answer_seconds == 30 * 60
    assert reports.report(desk, "reasons", today, today).total.cancels == {"not_needed": 1, "wrong_item": 1}
    assert kept(desk) == recomputed(desk)


def test_check_finds_summary_tables_that_disagree_and_a_rebuild_mends_them(desk: Desk) -> None:
    datagen.load(desk, 600, seed=8, now=NOW, years=0.3)
    con = desk.db.connection()
    assert report_tables.differences(con) == []
    con.execute("DELETE FROM report_sales WHERE day = (SELECT MAX(day) FROM report_sales)")
    con.execute("UPDATE report_cancels SET n = n + 1 WHERE day = (SELECT MIN(day) FROM report_cancels)")
    assert report_tables.differences(con) == ["report_sales", "report_cancels"]
    with desk.atomic():
        report_tables.rebuild(con)
    assert report_tables.differences(con) == [] and kept(desk) == recomputed(desk)


def test_migration_15_recounts_a_store_kept_by_the_older_triggers(desk: Desk) -> None:
    datagen.load(desk, 1200, seed=3, now=NOW, years=0.5)
    con = desk.db.connection()
    con.execute("DROP TRIGGER report_cancels_undo")
    con.execute("UPDATE report_cancels SET n = n + 2")  # what the older triggers had left
    with desk.atomic():
        report_tables.migrate_15(desk.db)
    assert "report_cancels_undo" in {n for (n,) in con.execute("SELECT name FROM sqlite_master WHERE type='trigger'")}
    assert kept(desk) == recomputed(desk)


def test_rates_and_averages_round_half_up_from_integers() -> None:
    n = reports.Numbers(paid_fen=3, refunded_fen=1)
    assert n.refund_rate_bp == 3333
    assert reports.Numbers(paid_fen=8, refunded_fen=1).refund_rate_bp == 1250
    assert reports.Numbers(paid_fen=0).refund_rate_bp is None
    assert reports.Numbers(answered=2, answer_seconds=3).average_answer_seconds == 2
    assert [p.isoformat() for p in reports.periods(date(2026, 1, 30), date(2026, 3, 2), "month")] == [
        "2026-01-01", "2026-02-01", "2026-03-01"]
    assert reports.period_label(date(2026, 11, 16), "week") == "2026-W47"


def test_a_report_says_when_a_bulk_import_leaves_orders_out(desk: Desk, clock) -> None:
    from kashop_desktop.store import bulkload

    p = product(desk, stock=5)
    order(desk, "paid", prod=p, paid_minutes_ago=10)
    today = clock().date()
    assert not reports.report(desk, "sales", today, today).incomplete
    lock = bulkload.BulkLoadLock(desk.db_path)  # what an import in another process holds while it loads
    assert lock.acquire(wait=False)
    desk.db.execute_sql("INSERT INTO setting (key, value) VALUES (?, '{}')", (bulkload.SETTING,))
    try:
        assert reports.report(desk, "sales", today, today).incomplete
    finally:
        desk.db.execute_sql("DELETE FROM setting WHERE key = ?", (bulkload.SETTING,))
        lock.release()
    assert not reports.report(desk, "sales", today, today).incomplete


def test_money_paid_to_the_shop_directly_counts_under_no_gateway(desk: Desk) -> None:
    """An order begun with an account and paid by a bank transfer (补单 --channel bank_transfer):
    per gateway its money is no account's ((无)), as its refund is the owner's by hand."""
    gateway = sandbox(desk)
    product(desk)
    no = order(desk, "pending_payment", gateway_id=gateway, channel="alipay", paid_fen=30_00)
    ops.mark_paid(desk, no, "ICBC2026111800042", confirmed=True, channel="bank_transfer", deliver=False)
    through = order(desk, "paid", gateway_id=gateway, channel="alipay", paid_fen=20_00)
    assert through
    today = NOW.date()
    result = reports.report(desk, "sales", today, today, "day", "gateway")
    by_key = {s.key: sum(n.paid_fen for n in result.by_split[s.key]) for s in result.splits}
    assert by_key.get("0") == 30_00 and by_key.get(str(gateway)) == 20_00
    assert kept(desk) == recomputed(desk)
