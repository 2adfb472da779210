"""Server problems read for what they are: a held table lock is the store being busy (exit 4),
not a dead server; a login without rights is told so, its name shown as written; a damaged or
foreign shop schema, or one the login may not create, is refused with exit 5 and no traceback."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from kashop_desktop.cli import main
from kashop_desktop.cli.output import EXIT_BUSY, EXIT_STORE
from kashop_desktop.domain.errors import StoreUnusable
from kashop_desktop.services.desk import Desk
from kashop_desktop.store import db as store_db
from kashop_desktop.store import server
from tests.pgserver import PASSWORD, PrivateCluster
from tests.services.helpers import order


@pytest.fixture
def shop(pg_cluster: PrivateCluster, pg_template: str, data_dir: Path, clock: object) -> tuple[str, str]:
    """A shop on the server with one paid order: its URL and the order's number."""
    url = pg_cluster.new_database(template=pg_template)
    desk = Desk.open(data_dir, clock=clock, db_url=url)  # type: ignore[arg-type]
    no = order(desk, paid_minutes_ago=30)
    desk.close()
    return url, no


@pytest.mark.parametrize("command", [["orders", "cancel", "{no}", "--reason", "mistaken"], ["orders", "list"]])
def test_a_table_lock_held_elsewhere_is_busy_not_a_dead_server(shop: tuple[str, str], data_dir: Path,
                                                               command: list[str],
                                                               monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    shop_url, no = shop
    monkeypatch.setattr(store_db, "BUSY_TIMEOUT_MS", 200)
    monkeypatch.setattr(store_db, "BUSY_ATTEMPTS", 1)
    with psycopg.connect(shop_url) as holder:  # a transaction: the lock holds until it ends
        holder.execute("LOCK TABLE orders IN ACCESS EXCLUSIVE MODE")
        status = main([*(word.format(no=no) for word in command), "--data-dir", str(data_dir), "--db", shop_url])
        holder.rollback()
    err = capsys.readouterr().err
    assert status == EXIT_BUSY, err
    assert "连接不上" not in err and "cannot be reached" not in err and "Traceback" not in err
    assert "waited 0.2 s" in err and "locked by hand" in err  # one wait of the busy timeout, said as such


def test_a_login_without_rights_on_the_shops_tables_is_told_so_by_its_name(shop: tuple[str, str],
                                                                           pg_cluster: PrivateCluster) -> None:
    shop_url = shop[0]
    pg_cluster.execute(f"CREATE ROLE \"店员\" LOGIN PASSWORD '{PASSWORD}'")
    name = shop_url.rsplit("/", 1)[1]
    pg_cluster.execute(f"GRANT CONNECT ON DATABASE {name} TO \"店员\"")
    url = shop_url.replace("://kashop:", "://%E5%BA%97%E5%91%98:")
    assert "%E5%BA%97" in url
    with pytest.raises(StoreUnusable) as caught:
        server.open_server_store(url)
    assert caught.value.code == "store_no_rights", caught.value.en
    assert "店员" in caught.value.zh and "店员" in caught.value.en and "%E5" not in caught.value.zh
    assert "permission denied" in caught.value.en and PASSWORD not in caught.value.en


def test_the_server_lost_during_store_migrate_is_a_store_problem_naming_the_server(
        pg_cluster: PrivateCluster, data_dir: Path, clock: object) -> None:
    from kashop_desktop.services import store_move

    desk = Desk.open(data_dir, clock=clock)  # type: ignore[arg-type]
    for _ in range(3):
        order(desk, paid_minutes_ago=30)
    desk.close()
    url = pg_cluster.new_database()
    name = url.rsplit("/", 1)[1]

    def lose_the_server(table: str, copied: int) -> None:  # the copy's connection ends, as in a restart
        with psycopg.connect(pg_cluster.url(), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                          "AND pid <> pg_backend_pid()", (name,))

    with pytest.raises(StoreUnusable) as caught:
        store_move.migrate_to_server(data_dir, url, progress=lose_the_server)
    assert caught.value.code == "store_unreachable", caught.value.en
    assert "terminat" in caught.value.en or "closed" in caught.value.en  # the server's own words
    with psycopg.connect(url) as con:  # nothing kept
        assert con.execute("SELECT count(*) FROM orders").fetchone() == (0,)


def _damaged_only_version_table(cluster: PrivateCluster) -> str:
    url = cluster.new_database()
    with psycopg.connect(url, autocommit=True) as con:
        con.execute("CREATE TABLE kashop_schema (version int)")
        con.execute("INSERT INTO kashop_schema VALUES (%s)", (store_db.LATEST,))
    return url


def _damaged_version_text(cluster: PrivateCluster) -> str:
    url = cluster.new_database()
    with psycopg.connect(url, autocommit=True) as con:
        con.execute("CREATE TABLE kashop_schema (version text)")
        con.execute("INSERT INTO kashop_schema VALUES ('v2')")
    return url


def _no_create_rights(cluster: PrivateCluster) -> str:
    """The cluster's ``postgres`` database as a login without CREATE on schema public (the
    PostgreSQL 15 default for every user but the owner)."""
    cluster.execute(f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'clerk') THEN "
                    f"CREATE ROLE clerk LOGIN PASSWORD '{PASSWORD}'; END IF; END $$")
    return cluster.url().replace(f"://kashop:{PASSWORD}@", f"://clerk:{PASSWORD}@")


@pytest.mark.parametrize(("make", "code"), [(_damaged_only_version_table, "schema_damaged"),
                                            (_damaged_version_text, "schema_damaged"),
                                            (_no_create_rights, "store_no_create_rights")])
def test_a_database_the_desk_cannot_open_is_refused_alike_by_test_connection_and_every_start(
        pg_cluster: PrivateCluster, tmp_path: Path, make: object, code: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    from kashop_desktop.services.server_probe import probe

    url = make(pg_cluster)  # type: ignore[operator]
    found = probe(url)
    assert (found.code, found.usable) == (code, False), found.en
    with pytest.raises(StoreUnusable) as caught:
        server.open_server_store(url)
    assert caught.value.code == code and PASSWORD not in caught.value.en
    assert main(["orders", "list", "--data-dir", str(tmp_path / "d"), "--db", url]) == EXIT_STORE
    err = capsys.readouterr().err
    assert found.zh in err and "Traceback" not in err and "内部错误" not in err
    with psycopg.connect(pg_cluster.url(url.rsplit("/", 1)[1])) as con:  # left as it was
        tables = {r[0] for r in con.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert tables <= {"kashop_schema"}


def test_the_server_lost_during_refunds_send_never_says_nothing_was_changed(
        pg_cluster: PrivateCluster, pg_template: str, data_dir: Path, clock: object) -> None:
    import asyncio

    from kashop_desktop.domain.order import ReasonCode
    from kashop_desktop.gateways.fakes.base import FakeRequest, FakeResponse
    from kashop_desktop.gateways.fakes.epay import FakeEpayServer
    from kashop_desktop.services import refund_queue as rq
    from kashop_desktop.services import requests as reqs
    from kashop_desktop.services.gateways import save_account
    from kashop_desktop.store.models import GatewayAccount, Order, Refund

    url = pg_cluster.new_database(template=pg_template)

    class LosesTheStore(FakeEpayServer):
        """Books the first refund; meanwhile the shop's server went away."""
        lost = False

        def handle(self, req: FakeRequest) -> FakeResponse:
            resp = super().handle(req)
            if resp.booked and not self.lost:
                self.lost = True
                pg_cluster.stop_server()
            return resp

    def send(desk: Desk) -> rq.QueueReport:
        async def run() -> rq.QueueReport:
            queue = rq.RefundQueue(desk, concurrency=1)
            try:
                return await queue.send(by_hand=False)
            finally:
                await queue.aclose()

        return asyncio.run(run())

    gateway = LosesTheStore().start()
    desk = Desk.open(data_dir, clock=clock, db_url=url)  # type: ignore[arg-type]
    try:
        save_account(desk, "epay", "epay_v2", gateway.account_config("epay_v2"))
        gateway_id = GatewayAccount.get(GatewayAccount.name == "epay").id
        for i in range(3):
            no = order(desk, gateway_id=gateway_id, paid_minutes_ago=1, buyer=f"1380013800{i}")
            paid = gateway.add_payment(no, 68_00)
            Order.update(gateway_trade_no=paid.trade_no).where(Order.order_no == no).execute()
            reqs.open_request(desk, no, ReasonCode.MISTAKEN)
        try:
            with pytest.raises(StoreUnusable) as caught:
                send(desk)
        finally:
            if gateway.lost:
                pg_cluster.start_server()
        assert "什么都没有改动" not in caught.value.zh and "othing was changed" not in caught.value.en
        assert "发送中" in caught.value.zh and "send again" in caught.value.en
        assert caught.value.code == "store_unreachable"
        clock.advance(seconds=rq.SENDING_LEASE_S + 1)  # type: ignore[attr-defined]  # the lease on 发送中 ran out
        send(desk)  # the server answers again: the one sent is settled by asking, the rest sent once
        assert sorted(r.state for r in Refund.select()) == ["succeeded"] * 3
        assert gateway.ledger.duplicate_refund_calls == 0 and len(gateway.ledger.refunds) == 3
    finally:
        desk.close()
        gateway.stop()


def test_the_servers_return_moves_the_outside_count_once_and_says_it_resumed(
        pg_cluster: PrivateCluster, pg_template: str, data_dir: Path, clock: object) -> None:
    from kashop_desktop.services import outside

    url = pg_cluster.new_database(template=pg_template)
    desk = Desk.open(data_dir, clock=clock, db_url=url)  # type: ignore[arg-type]
    try:
        first = outside.data_version(desk)
        assert outside.times_resumed(desk) == 0
        pg_cluster.stop_server()
        pg_cluster.start_server()
        try:  # the window's watch: a look that meets the dropped connection fails once, then resumes
            outside.data_version(desk)
        except Exception as exc:
            assert getattr(desk.explain(exc), "code", "") == "store_unreachable"
        after = outside.data_version(desk)
        assert (after, outside.times_resumed(desk)) == (first + 1, 1)  # read again, and why
        assert outside.data_version(desk) == after  # nothing else moves it
    finally:
        desk.close()


def test_a_login_that_reads_the_version_but_not_the_shop_is_refused_at_open_not_a_traceback(
        shop: tuple[str, str], pg_cluster: PrivateCluster, data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shop_url = shop[0]
    name = shop_url.rsplit("/", 1)[1]
    pg_cluster.execute(f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'reader') THEN "
                       f"CREATE ROLE reader LOGIN PASSWORD '{PASSWORD}'; END IF; END $$")
    with psycopg.connect(shop_url, autocommit=True) as con:
        con.execute(f"GRANT CONNECT ON DATABASE {name} TO reader")
        con.execute("GRANT SELECT ON kashop_schema TO reader")
    url = shop_url.replace("://kashop:", "://reader:")
    with pytest.raises(StoreUnusable) as caught:
        Desk.open(data_dir, db_url=url)
    assert caught.value.code == "store_no_rights" and "reader" in caught.value.zh
    assert main(["orders", "list", "--data-dir", str(data_dir), "--db", url]) == EXIT_STORE
    err = capsys.readouterr().err
    assert "permission denied" in err and "Traceback" not in err and "内部错误" not in err
