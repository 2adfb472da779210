"""``store migrate --to``: a shop moved from its SQLite file to a PostgreSQL server, verified,
the file's shop untouched and the file marked as moved (refused from then on, taken back only
on purpose); a target that holds a shop or someone else's tables refused."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from kashop_desktop.cli import main
from kashop_desktop.cli.output import EXIT_OK, EXIT_REFUSED, EXIT_STORE, EXIT_USAGE
from kashop_desktop.domain.errors import StoreUnusable
from kashop_desktop.services import demo
from kashop_desktop.services.desk import Desk
from kashop_desktop.store import server
from kashop_desktop.store.models import Order
from tests.pgserver import PASSWORD, PrivateCluster
from tests.services.helpers import order


@pytest.fixture(scope="module")
def demo_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo shop in a SQLite file (built once for the module)."""
    data_dir = tmp_path_factory.mktemp("demo") / "data"
    desk = Desk.open(data_dir)
    demo.build(desk, 300)
    desk.close()
    return data_dir


@pytest.fixture
def demo_dir(demo_built: Path, tmp_path: Path) -> Path:
    """The test's own copy of the demo shop's folder (a migration marks the file it moved)."""
    return Path(shutil.copytree(demo_built, tmp_path / "data"))


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _shop_rows(path: Path) -> str:
    """A digest of every table's rows in the data file except the settings (where the mark goes)."""
    con = sqlite3.connect(path)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                                            "'sqlite_%' AND name NOT LIKE 'orders_fts%' AND name != 'setting' "
                                            "ORDER BY name")]
        rows = [repr(con.execute(f'SELECT * FROM "{t}" ORDER BY 1').fetchall()) for t in tables]
        settings = con.execute("SELECT key, value FROM setting WHERE key != 'moved_to_server' ORDER BY key").fetchall()
    finally:
        con.close()
    return hashlib.sha256((repr(rows) + repr(settings)).encode()).hexdigest()


def _sums(rows: list[tuple[object, ...]]) -> list[int]:
    return [int(v or 0) for v in rows[0]]  # type: ignore[call-overload]


MONEY = "COUNT(*), SUM(paid_fen), SUM(refunded_fen), SUM(refund_pending_fen), SUM(coupon_fen), SUM(list_fen)"


INDEXES = "SELECT indexname, tablename FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1"


def test_the_demo_shop_moves_whole_and_the_files_shop_is_left_as_it_was(pg_cluster: PrivateCluster, demo_dir: Path,
                                                                  pg_template: str,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    shop = demo_dir / "kashop.sqlite3"
    before = _shop_rows(shop)
    url = pg_cluster.new_database()
    assert main(["store", "migrate", "--to", url, "--data-dir", str(demo_dir), "--json"]) == EXIT_OK
    out = json.loads(capsys.readouterr().out)
    assert PASSWORD not in json.dumps(out) and out["to"].count("***") == 1
    assert _shop_rows(shop) == before
    lite = sqlite3.connect(shop)
    tables = {t["table"]: t for t in out["tables"]}
    with psycopg.connect(url) as con:
        for table in ("orders", "refund", "cancel_request", "order_event", "card_code", "buyer", "setting",
                      "status_count", "report_sales", "report_cancels", "report_answers"):
            (n,) = lite.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
            n -= table == "setting"  # the file's moved mark, written after the server committed
            # and on the server, after the copy: the wallet's and sandbox's books claimed for this PC
            mine = " WHERE key NOT LIKE 'ledger_desk_%%'" if table == "setting" else ""
            assert con.execute(f"SELECT COUNT(*) FROM {table}{mine}").fetchone() == (n,) and tables[table]["rows"] == n
        assert _sums(con.execute(f"SELECT {MONEY} FROM orders").fetchall()) == _sums(
            lite.execute(f"SELECT {MONEY} FROM orders").fetchall())
        assert tables["orders"]["sums_fen"]["paid_fen"] == lite.execute("SELECT SUM(paid_fen) FROM orders").fetchone()[0]
        assert dict(con.execute("SELECT status, n FROM status_count").fetchall()) == dict(
            lite.execute("SELECT status, n FROM status_count").fetchall())
        assert con.execute("SELECT value FROM setting WHERE key = 'store_id'").fetchone() == lite.execute(
            "SELECT value FROM setting WHERE key = 'store_id'").fetchone()
        indexes = con.execute(INDEXES).fetchall()  # dropped for the copy, every one built again
        assert con.execute("SELECT 1 FROM setting WHERE key = 'moved_to_server'").fetchone() is None
    mark = json.loads(lite.execute("SELECT value FROM setting WHERE key = 'moved_to_server'").fetchone()[0])
    assert mark["to"] == out["to"]
    with psycopg.connect(pg_cluster.url(pg_template)) as fresh:
        assert indexes == fresh.execute(INDEXES).fetchall()
    (last_id,) = lite.execute("SELECT MAX(id) FROM orders").fetchone()
    lite.close()
    # The desk opens the moved shop and goes on numbering after the last order copied.
    desk = Desk.open(demo_dir, db_url=url)
    try:
        no = order(desk, paid_minutes_ago=5)
        assert Order.get(Order.order_no == no).id == last_id + 1
    finally:
        desk.close()


def test_a_target_that_already_holds_a_shop_is_refused_and_kept(pg_cluster: PrivateCluster, demo_dir: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    url = pg_cluster.new_database()
    assert main(["store", "migrate", "--to", url, "--data-dir", str(demo_dir)]) == EXIT_OK
    capsys.readouterr()
    with psycopg.connect(url) as con:
        (orders,) = con.execute("SELECT COUNT(*) FROM orders").fetchone()
    assert main(["store", "unmark-moved", "--data-dir", str(demo_dir)]) == EXIT_OK  # the file a shop again
    assert main(["store", "migrate", "--to", url, "--data-dir", str(demo_dir)]) == EXIT_STORE
    err = capsys.readouterr().err
    assert "已经有一个店铺" in err and "already holds a shop" in err and "Traceback" not in err
    with psycopg.connect(url) as con:
        assert con.execute("SELECT COUNT(*) FROM orders").fetchone() == (orders,)


def test_an_empty_shop_made_by_the_desk_is_a_fine_target(pg_cluster: PrivateCluster, demo_dir: Path,
                                                         pg_template: str) -> None:
    url = pg_cluster.new_database(template=pg_template)
    assert main(["store", "migrate", "--to", url, "--data-dir", str(demo_dir)]) == EXIT_OK


def test_a_database_with_other_tables_or_a_bad_url_is_refused(pg_cluster: PrivateCluster, demo_dir: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    url = pg_cluster.new_database()
    with psycopg.connect(url, autocommit=True) as con:
        con.execute("CREATE TABLE ledger (id integer)")
    assert main(["store", "migrate", "--to", url, "--data-dir", str(demo_dir)]) == EXIT_STORE
    assert "other tables" in capsys.readouterr().err
    assert main(["store", "migrate", "--to", "sqlite:///x", "--data-dir", str(demo_dir)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "postgresql://" in err and "Traceback" not in err


def test_a_moved_file_is_refused_naming_the_server_until_taken_back(pg_cluster: PrivateCluster, demo_dir: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    shop = demo_dir / "kashop.sqlite3"
    assert main(["backup", "--data-dir", str(demo_dir)]) == EXIT_OK  # a backup from before the move
    open_before = Desk.open(demo_dir)  # a window left open on the file while the shop moves
    url = pg_cluster.new_database()
    try:
        assert main(["store", "migrate", "--to", url, "--data-dir", str(demo_dir)]) == EXIT_OK
        capsys.readouterr()
        with pytest.raises(StoreUnusable) as refused:
            order(open_before)  # its next write: the server sells these codes and order nos now
        assert refused.value.code == "store_moved"
    finally:
        open_before.close()
    (orders,) = sqlite3.connect(shop).execute("SELECT COUNT(*) FROM orders").fetchone()
    with pytest.raises(StoreUnusable) as refused:
        Desk.open(demo_dir)
    assert refused.value.code == "store_moved"
    for argv in (["orders", "list"], ["products", "list"], ["store", "migrate", "--to", pg_cluster.new_database()]):
        assert main([*argv, "--data-dir", str(demo_dir)]) == EXIT_STORE
        err = capsys.readouterr().err
        assert "PostgreSQL" in err and url.split("@")[-1] in err and PASSWORD not in err
        assert "KASHOP_DB_URL" in err and "--db" in err and "store unmark-moved" in err and "Traceback" not in err
    assert sqlite3.connect(shop).execute("SELECT COUNT(*) FROM orders").fetchone() == (orders,)
    # Nor does a backup put back over the moved file make the old shop live again.
    backup = next((demo_dir / "backups").glob("*.sqlite3"))
    assert main(["restore", str(backup), "--yes", "--data-dir", str(demo_dir)]) == EXIT_REFUSED
    assert "store unmark-moved" in capsys.readouterr().err and not (demo_dir / "set-aside").exists()
    # The owner takes the file back on purpose: it is a shop again.
    assert main(["store", "unmark-moved", "--data-dir", str(demo_dir)]) == EXIT_OK
    assert url.split("@")[-1] in capsys.readouterr().out
    desk = Desk.open(demo_dir)
    try:
        order(desk, paid_minutes_ago=5)
    finally:
        desk.close()
    assert sqlite3.connect(shop).execute("SELECT COUNT(*) FROM orders").fetchone() == (orders + 1,)


def test_migrate_and_restore_on_a_desk_that_is_on_a_server_are_refused(
        pg_cluster: PrivateCluster, demo_dir: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    url = pg_cluster.new_database()
    assert main(["store", "migrate", "--to", url, "--data-dir", str(demo_dir)]) == EXIT_OK
    capsys.readouterr()
    target = pg_cluster.new_database()
    backup = next((demo_dir / "backups").glob("*.sqlite3"), None) or demo_dir / "kashop.sqlite3"
    fresh = demo_dir.parent / "deskD"
    for argv in (["store", "migrate", "--to", target], ["restore", str(backup), "--yes"]):
        assert main([*argv, "--data-dir", str(fresh), "--db", url]) == EXIT_REFUSED
        err = capsys.readouterr().err
        assert url.split("@")[-1] in err and PASSWORD not in err and "Traceback" not in err
        assert "pg_dump" in err or "pg_restore" in err
        monkeypatch.setenv("KASHOP_DB_URL", url)
        assert main([*argv, "--data-dir", str(fresh)]) == EXIT_REFUSED
        assert "pg_" in capsys.readouterr().err
        monkeypatch.delenv("KASHOP_DB_URL")
    assert not (fresh / "kashop.sqlite3").exists() and not (fresh / "set-aside").exists()  # nothing restored here
    with psycopg.connect(target) as con:
        assert con.execute("SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'").fetchone() == (0,)


def test_two_migrates_into_one_empty_database_one_copies_the_other_is_refused(
        pg_cluster: PrivateCluster, demo_built: Path, tmp_path: Path) -> None:
    url = pg_cluster.new_database()
    server.open_server_store(url).close()  # the empty shop both will find
    folders = [Path(shutil.copytree(demo_built, tmp_path / f"pc{i}")) for i in (1, 2)]
    env = {**os.environ, "KASHOP_BUSY_TIMEOUT_MS": "60000", "QT_QPA_PLATFORM": "offscreen"}
    with psycopg.connect(url) as holder:  # hold the shop's write lock until both are waiting for it
        holder.execute("SELECT pg_advisory_xact_lock(%s)", (server.WRITE_LOCK_KEY,))
        procs = [subprocess.Popen([sys.executable, "-m", "kashop_desktop", "store", "migrate", "--to", url,
                                   "--data-dir", str(f)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for f in folders]
        with psycopg.connect(url, autocommit=True) as watch:
            deadline = time.monotonic() + 60
            while watch.execute("SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                                ).fetchone() != (2,):
                assert time.monotonic() < deadline and all(p.poll() is None for p in procs)
                watch.execute("SELECT pg_sleep(0.05)")  # the server's wait, not the test's
        holder.rollback()
    results = sorted((p.wait(120), *p.communicate()) for p in procs)
    assert [r[0] for r in results] == [EXIT_OK, EXIT_STORE]
    assert "已经有一个店铺" in results[1][2] and "Traceback" not in results[1][2]
    with psycopg.connect(url) as con:
        (n,) = sqlite3.connect(folders[0] / "kashop.sqlite3").execute("SELECT COUNT(*) FROM orders").fetchone()
        assert con.execute("SELECT COUNT(*) FROM orders").fetchone() == (n,)


def test_a_data_file_damaged_part_way_or_a_foreign_kashop_schema_is_exit_5(
        pg_cluster: PrivateCluster, demo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = pg_cluster.new_database()
    with psycopg.connect(url, autocommit=True) as con:
        con.execute("CREATE TABLE kashop_schema (note text)")  # a table of that name that is not ours
    with pytest.raises(StoreUnusable):
        server.open_server_store(url)
    assert main(["store", "migrate", "--to", url, "--data-dir", str(demo_dir)]) == EXIT_STORE
    assert "other tables" in capsys.readouterr().err
    shop = demo_dir / "kashop.sqlite3"
    size = shop.stat().st_size
    with shop.open("r+b") as f:  # the second half of the file overwritten: the table pages read by the copy
        f.seek(size // 2)
        f.write(bytes(range(256)) * ((size - size // 2) // 256))
    target = pg_cluster.new_database()
    assert main(["store", "migrate", "--to", target, "--data-dir", str(demo_dir)]) == EXIT_STORE
    err = capsys.readouterr().err
    assert "内部错误" not in err and "Traceback" not in err and "damaged" in err
    with psycopg.connect(target) as con:
        assert con.execute("SELECT COUNT(*) FROM pg_tables WHERE tablename = 'orders'").fetchone() in ((0,), (1,))
        if con.execute("SELECT to_regclass('orders')").fetchone() != (None,):
            assert con.execute("SELECT COUNT(*) FROM orders").fetchone() == (0,)
