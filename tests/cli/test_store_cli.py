"""The command line against the store's states: damaged, busy, newer, a closed pipe, a bug; restore; the WAL."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from kashop_desktop.services import maintenance
from kashop_desktop.services.desk import Desk
from kashop_desktop.store import health

from .conftest import Build, build_demo, once, raw_sql, write_lock_held
from .test_cli import Cli

pytestmark = pytest.mark.usefixtures("store_kind")  # on both stores: the file and a PostgreSQL server (tests/conftest.py)


@pytest.fixture
def cli(data_dir: Path) -> Cli:
    return Cli(data_dir)


def run_cli(data_dir: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kashop_desktop", *args, "--data-dir", str(data_dir)],
                          capture_output=True, text=True, env={**os.environ, "PYTHONIOENCODING": "utf-8", **env},
                          timeout=120)


def _backup_the_file(folder: Path, url: str | None) -> None:
    if url is None:  # a server shop's backups are the server's (pg_dump)
        desk = Desk.open(folder)
        maintenance.backup(desk)
        desk.close()


@pytest.fixture
def shop(built_shop: Callable[[str, Build], Path]) -> Path:
    """The data file of a 2,000-order demo shop with one backup (on a server: where the file
    would be; the shop itself is in the server database)."""
    return built_shop("demo2000", build_demo(2000, then=_backup_the_file)) / "kashop.sqlite3"


def _on_server() -> bool:
    return "KASHOP_DB_URL" in os.environ


@pytest.mark.sqlite_only(reason="damages the data file itself")
@pytest.mark.parametrize("cut", ["empty", "half", "4k", "garbage"])
def test_a_damaged_store_exits_5_with_the_file_and_backups_named(cli: Cli, shop: Path, cut: str) -> None:
    size = shop.stat().st_size
    if cut == "garbage":
        shop.write_bytes(os.urandom(size))
    else:
        with shop.open("rb+") as f:
            f.truncate({"empty": 0, "half": size // 2, "4k": 4096}[cut])
    for command in (("orders", "list"), ("sweep",), ("check",)):
        proc = cli(*command, code=5)
        assert "Traceback" not in proc.stderr
        assert str(shop) in proc.stderr and "kashop-desktop restore" in proc.stderr
        assert str(maintenance.list_backups(shop.parent)[0].path) in proc.stderr


@pytest.mark.sqlite_only(reason="restores a backup of the data file over the damaged file")
def test_restore_puts_a_checked_backup_back_and_keeps_the_damaged_file(cli: Cli, shop: Path) -> None:
    backup = maintenance.list_backups(shop.parent)[0].path
    total = cli.json("orders", "list")["total"]
    with shop.open("rb+") as f:
        f.truncate(shop.stat().st_size // 10)
    bad = shop.parent / "not-a-backup.sqlite3"
    bad.write_bytes(b"PK\x03\x04 a spreadsheet, not a store")
    refused = cli("restore", str(bad), code=5)
    assert str(bad) in refused.stderr and "Traceback" not in refused.stderr
    proc = cli("restore", str(backup))
    assert "set-aside" in proc.stdout
    assert cli("check").stdout.startswith("OK")
    assert cli.json("orders", "list")["total"] == total > 0
    aside = list((shop.parent / "set-aside").glob("kashop-*.sqlite3"))
    assert len(aside) == 1 and health.inspect(aside[0]).state is health.FileState.TRUNCATED


def _everything(shop: Path) -> object:
    """What a command could have changed: the data file's bytes, or the server shop's log and version."""
    if not _on_server():
        return shop.read_bytes()
    return raw_sql(shop.parent, "SELECT (SELECT version FROM kashop_schema), (SELECT count(*) FROM audit_event), "
                                "(SELECT count(*) FROM order_event), (SELECT count(*) FROM setting)")


def test_a_newer_schema_exits_5_and_touches_nothing(cli: Cli, shop: Path) -> None:
    if _on_server():
        raw_sql(shop.parent, "UPDATE kashop_schema SET version = 99")  # the server's user_version
    else:
        con = sqlite3.connect(shop)
        con.execute("PRAGMA user_version = 99")
        con.close()
    before = _everything(shop)
    proc = cli("orders", "list", code=5)
    assert "newer" in proc.stderr and "Traceback" not in proc.stderr
    assert _everything(shop) == before


def test_a_held_write_lock_exits_4_with_the_busy_message(cli: Cli, shop: Path) -> None:
    with write_lock_held(shop.parent):  # another process in a long write transaction
        proc = run_cli(shop.parent, "policy", "set", "cooling_off_minutes=12", env={"KASHOP_BUSY_TIMEOUT_MS": "100"})
    assert proc.returncode == 4, proc.stderr
    assert "the store is busy" in proc.stderr and "Traceback" not in proc.stderr
    assert "tried 3 times, waiting 0.1 s each (0.3 s in all)" in proc.stderr and "共 0.3 秒" in proc.stderr
    assert cli.json("policy", "show")["cooling_off_minutes"] != 12  # nothing half-written
    cli("policy", "set", "cooling_off_minutes=12")  # its turn now


def test_read_only_commands_run_beside_a_held_write_lock(cli: Cli, shop: Path) -> None:
    """Reads neither wait for nor fail on another process's write transaction (WAL readers; a
    server's readers never wait on writers)."""
    order_no = cli.json("orders", "list", "--limit", "1")["orders"][0]["order_no"]
    backups_before = sorted(p.name for p in (shop.parent / "backups").glob("*"))
    with write_lock_held(shop.parent):  # an import in its one long transaction
        for command in (("orders", "list", "--limit", "1"), ("orders", "show", order_no), ("check",),
                        ("requests", "list"), ("refunds", "list"), ("policy", "show"), ("backup", "--list"),
                        ("gateways", "list"), ("holidays", "show")):
            proc = run_cli(shop.parent, *command, env={"KASHOP_BUSY_TIMEOUT_MS": "100"})
            assert proc.returncode == 0, (command, proc.stderr)
            assert "busy" not in proc.stderr
    assert sorted(p.name for p in (shop.parent / "backups").glob("*")) == backups_before


@pytest.mark.sqlite_only(reason="a usage error found before any store is opened: the same on either store")
@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "999999999"])
def test_an_invalid_busy_timeout_is_a_usage_error(shop: Path, value: str) -> None:
    proc = run_cli(shop.parent, "orders", "list", env={"KASHOP_BUSY_TIMEOUT_MS": value})
    assert proc.returncode == 2, proc.stderr
    assert "KASHOP_BUSY_TIMEOUT_MS" in proc.stderr and "whole number of milliseconds" in proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr


def test_orders_list_into_head_ends_quietly(cli: Cli, shop: Path) -> None:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    command = (f"{sys.executable} -m kashop_desktop orders list --limit 2000 --data-dir {shop.parent} | head -3; "
               "echo status=${PIPESTATUS[0]} >&2")
    proc = subprocess.run(["bash", "-c", command], capture_output=True, text=True, env=env, timeout=120)
    assert len(proc.stdout.splitlines()) == 3
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr
    assert "status=0" in proc.stderr


@once("the exit status through a closed pipe (imports into a server: test_import_cli)")
def test_a_write_command_into_a_closed_pipe_keeps_its_real_exit_status(cli: Cli, shop: Path, tmp_path: Path) -> None:
    header = "order_no,created_at,product,product_type,paid_amount,status,paid_at,channel,gateway_trade_no,buyer"
    good = "PIPE1,2026-11-18 09:00,点券,card_code,6.00,paid,2026-11-18 09:01,alipay,TPIPE1,13800138001"
    bad = "PIPE2,2026-11-18 09:00,点券,card_code,abc,paid,2026-11-18 09:01,alipay,TPIPE2,13800138002"
    rows = [good, bad] + [f"PIPE{n},2026-11-18 09:00,点券,card_code,6.00,paid,2026-11-18 09:01,alipay,TPIPE{n},"
                          f"138001{n:05d}" for n in range(3, 3000)]
    path = tmp_path / "partly.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    for flags, status in (("", 3), ("--all-or-nothing --json", 1)):
        # `true` reads nothing and is gone long before the import prints its report.
        command = (f"{sys.executable} -m kashop_desktop orders import {flags} {path} --data-dir {shop.parent} | true; "
                   "echo status=${PIPESTATUS[0]} >&2")
        proc = subprocess.run(["bash", "-c", command], capture_output=True, text=True, env=env, timeout=120)
        assert f"status={status}" in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr
    assert cli.json("orders", "show", "PIPE1")["paid_fen"] == 600


def test_an_unexpected_error_is_logged_and_exits_70_without_a_traceback(cli: Cli, shop: Path) -> None:
    # Something the desk cannot foresee: its search index dropped behind its back (on a server,
    # the column its buyer search reads renamed).
    lost = "buyer_key" if _on_server() else "orders_fts"
    raw_sql(shop.parent, "ALTER TABLE orders RENAME COLUMN buyer_key TO buyer_key_lost" if _on_server()
            else "DROP TABLE orders_fts")
    proc = cli("orders", "list", "--search", "13800", code=70)
    assert "Traceback" not in proc.stderr
    assert "internal error" in proc.stderr and "内部错误" in proc.stderr
    log = (shop.parent / "logs" / "kashop-desktop.log").read_text(encoding="utf-8")
    assert "Traceback" in log and lost in log


@pytest.mark.sqlite_only(reason="the data file's write-ahead log (-wal) and its checkpoints")
def test_every_command_closes_the_store_and_the_wal_stays_bounded(cli: Cli, shop: Path) -> None:
    """A scheduled job beside an open window: the log is checkpointed, not left to grow."""
    wal = health.wal_path(shop)
    cli("sweep")
    assert not wal.exists()  # alone, a command leaves no log behind: it closed cleanly
    window = Desk.open(shop.parent)  # the window, holding its connection, reading between jobs
    sizes = []
    try:
        for n in range(25):
            cli("policy", "set", f"unpaid_expiry_minutes={15 + n % 5}")
            window.db.execute_sql("SELECT count(*) FROM orders").fetchone()
            sizes.append(wal.stat().st_size)
    finally:
        window.close()
    assert max(sizes) < 1_000_000, sizes
    # Not growing with every run: each run writes the same pages, bar a page now and then as the
    # shop log (every setting change is recorded in it) grows.
    assert max(sizes[-5:]) < 2 * max(sizes[:5]), sizes
    assert not wal.exists()  # the last connection closed: merged and removed
