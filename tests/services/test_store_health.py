"""A damaged store, a newer schema still in the WAL, backups and restore, immediate transactions."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from kashop_desktop.domain.errors import StoreBusy, StoreUnusable
from kashop_desktop.services import demo, maintenance
from kashop_desktop.services.desk import Desk
from kashop_desktop.store import backups as store_backups
from kashop_desktop.store import db as store_db
from kashop_desktop.store import health

pytestmark = pytest.mark.sqlite_only(reason="SQLite by nature: the data file itself: damage, WAL, file locks, file backups")


def _files(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir()) if p.is_file()}


@pytest.fixture
def shop(data_dir: Path) -> Path:
    """A closed demo store with a backup; returns the data file."""
    desk = Desk.open(data_dir)
    demo.build(desk, 300)
    maintenance.backup(desk)
    desk.close()
    store_db.close_store()
    path = data_dir / "kashop.sqlite3"
    assert not health.wal_path(path).exists()  # closed cleanly: the log was merged and removed
    return path


def _cut(path: Path, size: int) -> None:
    with path.open("rb+") as f:
        f.truncate(size)


@pytest.mark.parametrize("state", ["empty", "half", "tenth", "4k", "garbage", "text", "pages_garbage"])
def test_a_damaged_store_is_refused_naming_it_and_the_backups(shop: Path, state: str) -> None:
    size = shop.stat().st_size
    if state == "empty":
        _cut(shop, 0)
    elif state in ("half", "tenth", "4k"):
        _cut(shop, {"half": size // 2, "tenth": size // 10, "4k": 4096}[state])
    elif state == "garbage":
        shop.write_bytes(os.urandom(size))
    elif state == "text":
        shop.write_text("订单号,下单时间\nKS1,2026-11-18\n", encoding="utf-8")
    else:  # a valid header over pages of noise
        data = bytearray(shop.read_bytes())
        data[4096:] = os.urandom(len(data) - 4096)
        shop.write_bytes(bytes(data))
    before = _files(shop.parent)
    with pytest.raises(StoreUnusable) as caught:
        Desk.open(shop.parent)
    err = caught.value
    assert err.code == ("store_empty" if state == "empty" else "store_damaged")
    assert str(shop) in err.zh and str(shop) in err.en
    newest = maintenance.list_backups(shop.parent)[0].path
    assert str(newest) in err.zh and "kashop-desktop restore" in err.en
    # Typed as printed, the restore reaches this shop's folder, not the default one.
    assert f"--data-dir {shop.parent}" in err.zh and f"--data-dir {shop.parent}" in err.en
    assert _files(shop.parent) == before  # refused without writing a byte


def test_only_a_missing_file_is_a_new_shop(data_dir: Path) -> None:
    desk = Desk.open(data_dir)
    assert desk.db.execute_sql("SELECT count(*) FROM orders").fetchone()[0] == 0
    desk.close()
    assert not list(data_dir.glob(".kashop.sqlite3.new-*"))  # the scratch file was linked and removed


def test_a_file_gone_with_its_wal_left_is_refused(shop: Path) -> None:
    health.wal_path(shop).write_bytes(b"\x37\x7f\x06\x82" + bytes(4092))
    shop.unlink()
    with pytest.raises(StoreUnusable, match="-wal"):
        Desk.open(shop.parent)
    assert not shop.exists()


def _newer_schema_in_wal(path: Path) -> dict[str, str]:
    """A store whose schema bump to 99 sits in the WAL (a newer desk still running or killed)."""
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA wal_autocheckpoint=0")
    con.execute("PRAGMA user_version = 99")
    frozen = path.parent / "frozen"
    frozen.mkdir()
    for part in (path, health.wal_path(path), health.shm_path(path)):
        shutil.copy2(part, frozen / part.name)  # the files as the newer desk left them
    con.close()
    for part in frozen.iterdir():
        shutil.copy2(part, path.parent / part.name)
    shutil.rmtree(frozen)
    return _files(path.parent)


def test_a_newer_schema_still_in_the_wal_leaves_every_file_byte_identical(shop: Path) -> None:
    before = _newer_schema_in_wal(shop)
    assert health.wal_path(shop).stat().st_size > 0
    assert int.from_bytes(shop.read_bytes()[60:64], "big") == store_db.LATEST  # the file itself is older
    with pytest.raises(StoreUnusable, match="newer") as caught:
        Desk.open(shop.parent)
    assert caught.value.code == "schema_too_new"
    assert _files(shop.parent) == before  # db, -wal and -shm untouched


def test_cheap_open_on_a_healthy_store_reads_no_full_check(shop: Path) -> None:
    report = health.inspect(shop)
    assert report.state is health.FileState.OK and report.expected_size == shop.stat().st_size


def test_restore_checks_the_backup_sets_the_damaged_file_aside_and_restores(shop: Path) -> None:
    data_dir = shop.parent
    backup = maintenance.list_backups(data_dir)[0].path
    damaged = shop.read_bytes()[: shop.stat().st_size // 2]
    shop.write_bytes(damaged)
    report = maintenance.restore(data_dir, backup)
    assert report.set_aside is not None and report.set_aside.read_bytes() == damaged
    assert report.set_aside.parent == data_dir / "set-aside"
    desk = Desk.open(data_dir)
    try:
        assert maintenance.check(desk).ok
        assert maintenance.check(desk).orders > 0
    finally:
        desk.close()


def test_restore_refuses_a_bad_backup_and_moves_nothing(shop: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(shop.read_bytes()[:8192])
    before = _files(shop.parent)
    with pytest.raises(StoreUnusable) as caught:
        maintenance.restore(shop.parent, bad)
    assert caught.value.code == "backup_unusable" and str(bad) in caught.value.en
    assert _files(shop.parent) == before


def test_restore_refuses_while_another_connection_has_the_store_open(shop: Path) -> None:
    backup = maintenance.list_backups(shop.parent)[0].path
    other = sqlite3.connect(shop)  # the window, say
    other.execute("SELECT count(*) FROM orders").fetchone()
    try:
        with pytest.raises(StoreBusy, match="close"):
            maintenance.restore(shop.parent, backup)
    finally:
        other.close()
    assert not (shop.parent / "set-aside").exists()


def test_automatic_backups_are_daily_and_rotated(data_dir: Path) -> None:
    desk = Desk.open(data_dir)
    try:
        maintenance.set_backup_settings(desk, maintenance.BackupSettings(auto=True, keep=3))
        manual = maintenance.backup(desk)
        first = maintenance.auto_backup(desk)
        assert first is not None and first.name.startswith("kashop-auto-")
        assert maintenance.auto_backup(desk) is None  # not due again the same day
        day = maintenance.AUTO_INTERVAL_S
        made = [first]
        for _ in range(5):  # five more days: every backup taken so far becomes a day older
            for b in maintenance.list_backups(data_dir):
                os.utime(b.path, (b.taken_at - day, b.taken_at - day))
            assert maintenance.auto_backup_due(desk)
            new = maintenance.auto_backup(desk)
            assert new is not None
            made.append(new)
        autos = [b for b in maintenance.list_backups(data_dir) if b.kind == "auto"]
        assert len(autos) == 3 and autos[0].path == made[-1]  # the newest N are kept
        assert all(b.taken_at > time.time() - 3 * day for b in autos)  # ... not the older days
        assert manual.exists()  # a backup taken by hand is never rotated away
        maintenance.set_backup_settings(desk, maintenance.BackupSettings(auto=False, keep=3))
        for b in maintenance.list_backups(data_dir):
            os.utime(b.path, (b.taken_at - day, b.taken_at - day))
        assert not maintenance.auto_backup_due(desk)
    finally:
        desk.close()


def test_backup_is_self_contained(desk: Desk) -> None:
    path = maintenance.backup(desk)
    assert not health.wal_path(path).exists()
    assert store_backups.check_backup(path, store_db.LATEST) == store_db.LATEST
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    finally:
        con.close()


def test_a_read_that_later_writes_waits_its_turn_instead_of_failing(desk: Desk) -> None:
    """The 38% of approvals: a deferred BEGIN that read, then met another process's commit."""
    other = sqlite3.connect(desk.db_path, isolation_level=None, timeout=5)
    try:
        with desk.atomic():
            desk.db.execute_sql("SELECT count(*) FROM orders").fetchone()
            # the other writer cannot get in while this transaction holds the write lock ...
            other.execute("PRAGMA busy_timeout = 0")
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            desk.set_setting("x", 1)  # ... so the write here can never be refused half-way
        other.execute("BEGIN IMMEDIATE")
        other.execute("COMMIT")
    finally:
        other.close()
    assert desk.setting("x") == 1


def test_a_writer_held_too_long_gives_store_busy(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    other = sqlite3.connect(desk.db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    desk.db.execute_sql("PRAGMA busy_timeout = 50")
    try:
        with pytest.raises(StoreBusy) as caught:
            desk.set_setting("y", 1)
        assert caught.value.code == "store_busy" and "try again" in caught.value.en
    finally:
        other.execute("ROLLBACK")
        other.close()
    desk.set_setting("y", 2)  # and once it is free, the same call goes through
    assert desk.setting("y") == 2


def test_a_busy_store_for_one_refund_lets_the_others_in_flight_finish(desk: Desk, clock: Any) -> None:
    import asyncio

    from kashop_desktop.domain.order import ReasonCode
    from kashop_desktop.services import refund_queue as rq
    from kashop_desktop.services.gateways import save_account
    from kashop_desktop.services.requests import open_request
    from kashop_desktop.store.models import Order, Refund

    from .helpers import order
    from .test_refund_queue import ledger, send

    save_account(desk, "slow", "sandbox", {"scenario": "success", "latency_ms": "300"})
    gateway = int(desk.db.execute_sql("SELECT id FROM gateway_account WHERE name = 'slow'").fetchone()[0])
    refs = []
    for i in range(3):
        no = order(desk, gateway_id=gateway, paid_minutes_ago=1, buyer=f"1380013800{i}")
        open_request(desk, no, ReasonCode.MISTAKEN)
        refs.append(Refund.get(Refund.order == Order.get(Order.order_no == no).id))
    victim = refs[1]

    sent: list[int] = []
    others_at_gateway: list[asyncio.Event] = []

    async def run_db(fn: Any, *args: Any, **kw: Any) -> Any:  # the window's worker, with one busy moment
        marking = getattr(fn, "__name__", "") == "_mark_sending"
        if marking and args[0].id == victim.id:
            await others_at_gateway[0].wait()  # the other two are in their gateway call now
            raise store_db.busy_error()
        result = fn(*args, **kw)
        if marking:
            sent.append(args[0].id)
            if len(sent) == 2:
                others_at_gateway[0].set()
        return result

    async def run() -> rq.QueueReport:
        others_at_gateway.append(asyncio.Event())
        queue = rq.RefundQueue(desk, run_db=run_db)
        try:
            return await queue.send()
        finally:
            await queue.aclose()

    with pytest.raises(StoreBusy):
        asyncio.run(run())
    states = {r.id: Refund.get_by_id(r.id).state for r in refs}
    # the two in flight were settled, not cut off mid-call; the busy one was never sent
    assert states == {refs[0].id: "succeeded", victim.id: "queued", refs[2].id: "succeeded"}
    clock.advance(minutes=5)
    send(desk)
    assert Refund.get_by_id(victim.id).state == "succeeded"
    assert ledger(desk).calls(victim.refund_no) == 1


def test_a_restore_is_written_to_the_restored_stores_log(shop: Path) -> None:
    data_dir = shop.parent
    backup = maintenance.list_backups(data_dir)[0].path
    maintenance.restore(data_dir, backup, confirmed=True, operator="店主")
    desk = Desk.open(data_dir)
    try:
        last = desk.db.execute_sql("SELECT operator, action, subject, data FROM audit_event ORDER BY id DESC LIMIT 1"
                                   ).fetchone()
        assert last[:3] == ("店主", "restored", backup.name) and str(backup) in last[3]
        assert maintenance.check(desk).ok  # the row is chained like every other
    finally:
        desk.close()


SPILL = """
import sqlite3, sys
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("PRAGMA cache_size = 20")  # a small cache: the transaction's pages spill into the log
con.execute("BEGIN IMMEDIATE")
con.executemany("INSERT INTO setting (key, value) VALUES (?, ?)",
                ((f"spill-{n}", "x" * 400) for n in range(20_000)))
print("spilled", flush=True)
sys.stdin.readline()  # held open until told; killed before it commits
"""


def test_a_big_transaction_running_or_killed_part_way_is_not_taken_for_damage(shop: Path) -> None:
    """Another process's big write transaction (an all-or-nothing import) spills pages it has not
    committed into the log: opening the store meanwhile, or after that process was killed, reads
    the store as it was, never as damaged (the log holds no committed page then)."""
    import subprocess
    import sys

    desk = Desk.open(shop.parent)
    orders = desk.db.execute_sql("SELECT COUNT(*) FROM orders").fetchone()[0]
    desk.db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")  # the log empty: only the writer's pages follow
    with subprocess.Popen([sys.executable, "-c", SPILL, str(shop)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          text=True) as writer:
        try:
            _open_beside_a_spilled_transaction(shop, writer, orders)
        finally:
            if writer.poll() is None:
                writer.kill()
                writer.wait(10)
            desk.close()


def _open_beside_a_spilled_transaction(shop: Path, writer: Any, orders: int) -> None:
    assert writer.stdout is not None and writer.stdout.readline().strip() == "spilled"
    assert health.wal_path(shop).stat().st_size > 100_000  # uncommitted pages in the log
    assert health.read_version(shop) == store_db.LATEST
    beside = Desk.open(shop.parent)
    assert beside.db.execute_sql("SELECT COUNT(*) FROM orders").fetchone()[0] == orders
    beside.close()
    writer.kill()  # as kill -9: the transaction never commits
    writer.wait(10)
    assert health.read_version(shop) == store_db.LATEST
    after = Desk.open(shop.parent)
    assert after.db.execute_sql("SELECT COUNT(*) FROM setting WHERE key LIKE 'spill-%'").fetchone()[0] == 0
    assert after.db.execute_sql("SELECT COUNT(*) FROM orders").fetchone()[0] == orders
    after.close()


def test_an_empty_backup_is_named_as_such_and_not_restored_over_a_damaged_shop_unasked(data_dir: Path) -> None:
    """The automatic backup of a new shop holds no order: the damaged store's advice lists each
    backup with its orders, and restoring the empty one over the damaged file asks first."""
    from kashop_desktop.domain.errors import DomainError

    desk = Desk.open(data_dir)
    empty = maintenance.backup(desk)  # before any order, as a new shop's automatic backup
    demo.build(desk, 50)
    full = maintenance.backup(desk)
    desk.close()
    store_db.close_store()
    path = data_dir / "kashop.sqlite3"
    _cut(path, 8192)
    with pytest.raises(StoreUnusable) as caught:
        Desk.open(data_dir)
    assert f"{empty}" in caught.value.zh and "0 个订单" in caught.value.zh and "0 orders" in caught.value.en
    assert f"{full}" in caught.value.zh and "0 个订单" not in caught.value.zh.split(str(full))[1].split("\n")[0]
    with pytest.raises(DomainError) as asked:
        maintenance.restore(data_dir, empty)
    assert asked.value.code == "restore_rolls_back" and "没有订单" in asked.value.zh and "holds no order" in asked.value.en
    assert not (data_dir / "set-aside").exists() or not any((data_dir / "set-aside").iterdir())  # nothing moved
    maintenance.restore(data_dir, full)  # a backup with orders: no question
