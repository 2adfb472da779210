"""The store on a PostgreSQL server: its schema beside the SQLite file's, refusals that write
nothing, the password kept out of messages, and two desks taking turns on one shop."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import psycopg
import pytest

from kashop_desktop.domain.errors import DomainError, StoreBusy, StoreUnusable
from kashop_desktop.domain.order import ReasonCode as R
from kashop_desktop.services import requests as reqs
from kashop_desktop.services.desk import Desk
from kashop_desktop.store import db as store_db
from kashop_desktop.store import pg_schema, server
from kashop_desktop.store.models import CancelRequest, Order, Refund
from tests.pgserver import PASSWORD, PrivateCluster
from tests.services.helpers import order

#: SQLite objects that have a different form on the server (FTS5 table: a trigram GIN index).
SQLITE_ONLY_TABLES = {"orders_fts", "orders_fts_config", "orders_fts_data", "orders_fts_docsize", "orders_fts_idx"}
#: Search indexes the server does not have (none: each has its form there, store.pg_search).
SQLITE_ONLY_INDEXES: set[str] = set()


def _names(con: psycopg.Connection, sql: str) -> set[str]:
    return {row[0] for row in con.execute(sql).fetchall()}


def test_a_new_server_shop_has_the_sqlite_files_tables_indexes_and_triggers(pg_cluster: PrivateCluster,
                                                                            tmp_path: Path) -> None:
    url = pg_cluster.new_database()
    server.open_server_store(url).close()
    sqlite_db = store_db.open_store(tmp_path / "shop.sqlite3")
    lite = sqlite3.connect(tmp_path / "shop.sqlite3")
    lite_tables = {r[0] for r in lite.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    lite_indexes = {r[0] for r in lite.execute("SELECT name FROM sqlite_master WHERE type = 'index' "
                                               "AND name NOT LIKE 'sqlite_autoindex%'")}
    lite_triggers = {r[0] for r in lite.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    lite.close()
    sqlite_db.close()
    with psycopg.connect(url) as con:
        tables = _names(con, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        indexes = _names(con, "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")
        triggers = _names(con, "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        version = con.execute("SELECT version FROM kashop_schema").fetchone()
        trgm = con.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'orders_buyer_trgm'").fetchone()
    assert tables == (lite_tables - SQLITE_ONLY_TABLES) | {"kashop_schema"}
    assert lite_indexes - SQLITE_ONLY_INDEXES <= indexes
    announced = {f"{t}_changed" for t in (*pg_schema.ANNOUNCED_TABLES, *pg_schema.ANNOUNCED_14)}  # NOTIFY
    assert {t for t in lite_triggers if not t.startswith("orders_fts")} == triggers - announced
    assert announced <= triggers
    assert version == (store_db.LATEST,)
    assert trgm is not None and "gin" in trgm[0] and "gin_trgm_ops" in trgm[0] and "buyer_key" in trgm[0]


def test_opening_again_runs_nothing_and_a_newer_schema_is_refused_untouched(pg_cluster: PrivateCluster) -> None:
    url = pg_cluster.new_database()
    server.open_server_store(url).close()
    server.open_server_store(url).close()
    with psycopg.connect(url, autocommit=True) as con:
        con.execute("UPDATE kashop_schema SET version = %s", (store_db.LATEST + 1,))
    with pytest.raises(StoreUnusable) as caught:
        server.open_server_store(url)
    assert caught.value.code == "schema_too_new" and str(store_db.LATEST + 1) in caught.value.en
    assert PASSWORD not in caught.value.zh + caught.value.en
    with psycopg.connect(url) as con:
        assert con.execute("SELECT version FROM kashop_schema").fetchone() == (store_db.LATEST + 1,)


def test_a_database_holding_someone_elses_tables_is_refused_and_left_alone(pg_cluster: PrivateCluster) -> None:
    url = pg_cluster.new_database()
    with psycopg.connect(url, autocommit=True) as con:
        con.execute("CREATE TABLE invoices (id integer)")
    with pytest.raises(StoreUnusable) as caught:
        server.open_server_store(url)
    assert caught.value.code == "store_damaged" and "other tables" in caught.value.en
    with psycopg.connect(url) as con:
        assert _names(con, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'") == {"invoices"}


@pytest.mark.parametrize(("make_url", "code"), [
    (lambda c: f"postgresql://kashop:wrong-pw@127.0.0.1:{c.port}/postgres", "store_login_failed"),
    (lambda c: c.url("no_such_shop"), "store_missing"),
    (lambda c: "postgresql://kashop:wrong-pw@127.0.0.1:1/shop", "store_unreachable"),
])
def test_a_server_that_cannot_be_used_is_named_without_its_password(pg_cluster: PrivateCluster, make_url: object,
                                                                    code: str) -> None:
    url = make_url(pg_cluster)  # type: ignore[operator]
    with pytest.raises(StoreUnusable) as caught:
        Desk.open(None, db_url=url)
    err = caught.value
    assert err.code == code
    assert "wrong-pw" not in err.zh + err.en and PASSWORD not in err.zh + err.en
    assert "***" in err.en or "kashop@" in err.en
    assert "数据库服务器" in err.zh and "Nothing was changed" in err.en


def test_the_password_comes_from_pgpassword_when_the_url_has_none(pg_cluster: PrivateCluster,
                                                                  monkeypatch: pytest.MonkeyPatch,
                                                                  tmp_path: Path) -> None:
    name = pg_cluster.new_database().rsplit("/", 1)[1]
    bare = pg_cluster.url(name, password=False)
    monkeypatch.setenv("PGPASSWORD", "not-it")
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))
    with pytest.raises(StoreUnusable) as caught:
        Desk.open(tmp_path / "data", db_url=bare)
    assert caught.value.code == "store_login_failed"
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    desk = Desk.open(tmp_path / "data", db_url=bare)
    try:
        assert desk.db_url == bare and desk.setting("store_id")
    finally:
        desk.close()


def test_redact_hides_the_password_wherever_the_url_carries_it() -> None:
    assert server.redact("postgresql://kashop:s3cret@db.local:5432/shop?sslmode=require") == (
        "postgresql://kashop:***@db.local:5432/shop?sslmode=require")
    assert "s3cret" not in server.redact("postgresql://db.local/shop?user=k&password=s3cret")
    assert server.url_problem("mysql://x/y") is not None
    assert server.url_problem("postgresql://host/") is not None
    assert server.url_problem("postgresql://host/shop") is None


@pytest.fixture
def server_desk(pg_cluster: PrivateCluster, pg_template: str, data_dir: Path, clock: object) -> Desk:
    url = pg_cluster.new_database(template=pg_template)
    desk = Desk.open(data_dir, clock=clock, db_url=url)  # type: ignore[arg-type]
    yield desk  # type: ignore[misc]
    desk.close()


def test_two_desks_approving_one_request_exactly_one_wins(server_desk: Desk) -> None:
    desk = server_desk
    no = order(desk, paid_minutes_ago=30)
    _, rid = reqs.open_request(desk, no, R.WRONG_ITEM, note="区服选错")
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def approve_at_a_desk() -> None:
        start.wait()
        try:
            reqs.approve(desk, rid)  # each thread is its own connection, as a second PC is
            outcomes.append("approved")
        except DomainError as exc:
            outcomes.append(exc.code)
        finally:
            desk.close()

    desks = [threading.Thread(target=approve_at_a_desk) for _ in range(2)]
    for t in desks:
        t.start()
    for t in desks:
        t.join()
    assert sorted(outcomes)[0] == "approved" and len(outcomes) == 2 and outcomes.count("approved") == 1
    assert CancelRequest.get_by_id(rid).state == "approved"
    order_id = Order.get(Order.order_no == no).id
    assert [r.gross_fen for r in Refund.select().where(Refund.order == order_id)] == [68_00]


def test_a_desk_waiting_too_long_for_the_write_lock_gets_store_busy(server_desk: Desk,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    desk = server_desk
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with desk.atomic():
            holding.set()
            release.wait(10)
        desk.close()

    other = threading.Thread(target=hold)
    other.start()
    holding.wait(10)
    monkeypatch.setattr(desk.db, "busy_timeout_ms", 100)
    try:
        with pytest.raises(StoreBusy) as caught, desk.atomic():
            pass
        assert "tried 3 times" in caught.value.en
        # It names the shop on the server (without the password), not a data file.
        assert "数据文件" not in caught.value.zh and "database server" in caught.value.en
        assert desk.store_label in caught.value.zh and PASSWORD not in caught.value.zh
    finally:
        release.set()
        other.join()
    with desk.atomic():  # the lock is free again
        pass


def test_another_desks_commit_is_heard_and_this_desks_own_is_not(server_desk: Desk) -> None:
    from kashop_desktop.services import outside

    desk = server_desk
    first = outside.data_version(desk)
    order(desk, paid_minutes_ago=5)  # this desk's own write: no reload for it
    assert desk.db.changes_seen(wait=0.3) == first  # type: ignore[attr-defined]

    def other_desk() -> None:
        order(desk, paid_minutes_ago=4)  # another thread: another connection, as a second PC
        desk.close()

    t = threading.Thread(target=other_desk)
    t.start()
    t.join()
    heard = desk.db.changes_seen(wait=5)  # type: ignore[attr-defined]
    assert heard > first  # one per commit of the other desk (the helper commits a few times)
    assert outside.data_version(desk) == heard


def test_two_desks_writing_at_once_never_chain_to_the_same_row(server_desk: Desk) -> None:
    from kashop_desktop.services.maintenance import verify_log

    desk = server_desk
    orders = [order(desk, paid_minutes_ago=30) for _ in range(24)]
    (before,) = desk.db.execute_sql("SELECT COUNT(*) FROM order_event").fetchone()
    start = threading.Barrier(3)
    opened: list[int] = []

    def a_desk(mine: list[str]) -> None:
        start.wait()
        try:
            for no in mine:  # each request writes timeline rows, chained to the head
                opened.append(reqs.open_request(desk, no, R.WRONG_ITEM, note="区服选错")[1])
        finally:
            desk.close()

    desks = [threading.Thread(target=a_desk, args=(orders[i::3],)) for i in range(3)]
    for t in desks:
        t.start()
    for t in desks:
        t.join()
    assert len(opened) == 24
    good, breaks, _anchors = verify_log(desk)
    assert breaks == []
    (prev_ids, rows) = desk.db.execute_sql("SELECT COUNT(DISTINCT prev_id), COUNT(*) FROM order_event").fetchone()
    assert rows > before and good >= rows
    assert prev_ids == rows  # every row chained to a row of its own, none to the same one


def test_the_file_backup_is_refused_on_a_server_store_naming_pg_dump(server_desk: Desk) -> None:
    from kashop_desktop.services.maintenance import auto_backup_due, backup

    with pytest.raises(DomainError) as caught:
        backup(server_desk)
    assert caught.value.code == "server_backup" and "pg_dump" in caught.value.en and "pg_dump" in caught.value.zh
    assert PASSWORD not in caught.value.zh + caught.value.en
    assert not auto_backup_due(server_desk)


def test_a_desk_resumes_by_itself_when_the_server_comes_back(server_desk: Desk, pg_cluster: PrivateCluster) -> None:
    from kashop_desktop.services import views

    desk = server_desk
    before = views.status_counts(desk)["all"]
    pg_cluster.stop_server()
    try:
        with pytest.raises(Exception) as caught:
            order(desk, paid_minutes_ago=5)
        known = desk.explain(caught.value)
        assert known is not None and known.code == "store_unreachable" and PASSWORD not in known.en
    finally:
        pg_cluster.start_server()
    assert views.status_counts(desk)["all"] == before  # nothing was written half
    order(desk, paid_minutes_ago=5)
    assert views.status_counts(desk)["all"] == before + 1


def test_the_report_triggers_keep_the_sums_through_cancels_restores_and_answers(server_desk: Desk) -> None:
    from kashop_desktop.services import orders as ops
    from kashop_desktop.services.maintenance import check, rebuild_reports
    from kashop_desktop.store import pg_reports

    desk = server_desk
    nos = [order(desk, paid_minutes_ago=m) for m in (1, 3, 30, 40)]
    reqs.cancel_order(desk, nos[0], R.MISTAKEN)  # the owner's own cancel: no answer
    ops.restore(desk, nos[0])  # undone: counts no more
    reqs.cancel_order(desk, nos[0], R.MISTAKEN)  # cancelled again: counts once
    _, rid = reqs.open_request(desk, nos[2], R.WRONG_ITEM, note="区服选错")
    reqs.approve(desk, rid)
    order(desk, "pending_payment")
    assert pg_reports.differences(desk.db) == []
    (cancels,) = desk.db.execute_sql("SELECT SUM(n) FROM report_cancels").fetchone()
    (paid,) = desk.db.execute_sql("SELECT SUM(paid_fen) FROM report_sales").fetchone()
    assert cancels == 2 and isinstance(paid, int)  # cancelled, restored, cancelled again: once
    assert paid == desk.db.execute_sql("SELECT SUM(paid_fen) FROM orders WHERE paid_at IS NOT NULL").fetchone()[0]
    desk.db.execute_sql("UPDATE report_sales SET orders = orders + 5")
    assert check(desk).report_tables_wrong == ["report_sales"]
    assert rebuild_reports(desk) == ["report_sales"]
    assert check(desk).report_tables_wrong == []


def test_the_demo_on_a_server_store_is_refused_saying_what_to_do(pg_cluster: PrivateCluster, pg_template: str,
                                                                 tmp_path: Path) -> None:
    """The demo's generator writes through SQLite's bulk path: on a server it is refused with the
    way there (build it on the file, then store migrate), exit 1, and nothing is written."""
    url = pg_cluster.new_database(template=pg_template)
    out = subprocess.run([sys.executable, "-m", "kashop_desktop", "demo", "--no-gui", "--orders", "50",
                          "--data-dir", str(tmp_path / "pc"), "--db", url], capture_output=True, text=True,
                         timeout=120, env={**os.environ, "KASHOP_SECRETS": "vault"}, check=False)
    assert out.returncode == 1, out.stderr
    assert "store migrate --to" in out.stderr and "Traceback" not in out.stderr + out.stdout
    with psycopg.connect(url) as con:
        assert con.execute("SELECT COUNT(*) FROM orders").fetchone()[0] == 0
        assert con.execute("SELECT COUNT(*) FROM product").fetchone()[0] == 0
