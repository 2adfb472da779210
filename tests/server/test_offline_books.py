"""The wallet's and sandbox's books on a server store: one PC keeps them, another PC is refused
from sending through the account, so a refund is paid once."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from kashop_desktop.domain.order import ReasonCode as R
from kashop_desktop.gateways.ledgerfile import LedgerFile
from kashop_desktop.services import requests as reqs
from kashop_desktop.services.desk import Desk
from kashop_desktop.store.models import Order, Refund
from tests.pgserver import PrivateCluster
from tests.services.helpers import order, sandbox, send_refunds


@pytest.fixture
def server_desk(pg_cluster: PrivateCluster, pg_template: str, data_dir: Path, clock: object) -> Iterator[Desk]:
    url = pg_cluster.new_database(template=pg_template)
    desk = Desk.open(data_dir, clock=clock, db_url=url)  # type: ignore[arg-type]
    yield desk
    desk.close()


def test_a_second_pc_is_refused_the_sandboxs_books_so_a_refund_is_paid_once(server_desk: Desk,
                                                                             tmp_path: Path) -> None:
    def due_refund(desk: Desk) -> Refund:
        no = order(desk, gateway_id=sandbox(desk, "success"), paid_minutes_ago=1)
        reqs.open_request(desk, no, R.MISTAKEN)  # approved at once: a refund due
        return Refund.get(Refund.order == Order.get(Order.order_no == no).id)

    first = server_desk
    books = LedgerFile(first.data_dir / "sandbox-ledger.sqlite3")
    one = due_refund(first)
    assert send_refunds(first).succeeded == 1 and books.calls(one.refund_no) == 1  # the first PC keeps the books
    two = due_refund(first)
    second = Desk.open(tmp_path / "pc2", db_url=first.db_url)  # another PC: its own data folder
    try:
        report = send_refunds(second)  # it would ask its own empty books and pay again: refused, nothing sent
        assert report.succeeded == 0 and report.untouched == 1
        ((zh, en),) = report.not_sent.keys()
        assert "另一台电脑" in zh and "another PC" in en and str(first.data_dir) in en
        assert not (tmp_path / "pc2" / "sandbox-ledger.sqlite3").exists()
        assert Refund.get_by_id(two.id).state == two.state and not books.calls(two.refund_no)
    finally:
        second.close()
    assert send_refunds(first).succeeded == 1  # due at once on the PC that keeps the books
    assert books.calls(two.refund_no) == 1 and Refund.get_by_id(two.id).state == "succeeded"


def test_a_query_claims_no_books_and_another_pcs_query_is_told_whose_they_are(server_desk: Desk,
                                                                             tmp_path: Path) -> None:
    from kashop_desktop.domain.errors import DomainError
    from kashop_desktop.services import gateways
    from kashop_desktop.store.models import GatewayAccount, Setting

    def probe(desk: Desk) -> object:
        return asyncio.run(gateways.probe_account(desk, "沙箱"))

    first = server_desk
    sandbox(first, "success")
    acct = GatewayAccount.get(GatewayAccount.name == "沙箱")
    second = Desk.open(tmp_path / "pc2", db_url=first.db_url)  # another PC: its own data folder
    try:
        assert getattr(probe(second), "ok", False)  # 测试连接 from the second PC first: read, not claimed
        assert Setting.get_or_none(Setting.key == f"ledger_desk_{acct.id}") is None
        no = order(first, gateway_id=acct.id, paid_minutes_ago=1)
        reqs.open_request(first, no, R.MISTAKEN)

        assert send_refunds(first).succeeded == 1  # the first refund books money: the first PC's books
        assert getattr(probe(first), "ok", False)
        with pytest.raises(DomainError) as refused:
            gateways.make_adapter(second, acct.id, books=False)  # a read from the second PC
        assert refused.value.code == "ledger_elsewhere" and str(first.data_dir) in refused.value.en
        assert "query on that PC" in refused.value.en and "查询" in refused.value.zh
        # The PC in words (its name, its folder), and sales with the account belong there too.
        assert f"电脑“{socket.gethostname()}”" in refused.value.zh and "收款开单" in refused.value.zh
        assert "Make sales" in refused.value.en
        with pytest.raises(DomainError) as tested:  # the gateways page's 测试连接 shows this refusal
            probe(second)
        assert tested.value.code == "ledger_elsewhere"
    finally:
        second.close()


def test_store_migrate_claims_the_books_of_the_pc_that_moved_the_shop(pg_cluster: PrivateCluster, data_dir: Path,
                                                                       tmp_path: Path, clock: object) -> None:
    from kashop_desktop.services import store_move
    from kashop_desktop.services.local_ledger import desk_id
    from kashop_desktop.store.models import GatewayAccount, Setting

    on_file = Desk.open(data_dir, clock=clock)  # type: ignore[arg-type]
    try:
        gateway_id = sandbox(on_file, "success")
        no = order(on_file, gateway_id=gateway_id, paid_minutes_ago=1)
        reqs.open_request(on_file, no, R.MISTAKEN)

        assert send_refunds(on_file).succeeded == 1  # paid from this PC's sandbox books, on the file
    finally:
        on_file.close()
    url = pg_cluster.new_database()
    store_move.migrate_to_server(data_dir, url)
    server = Desk.open(data_dir, db_url=url)
    try:
        acct = GatewayAccount.get_by_id(gateway_id)
        row = Setting.get_or_none(Setting.key == f"ledger_desk_{acct.id}")
        assert row is not None and desk_id(data_dir) in row.value  # the books stayed here: claimed for this PC
        wallet = GatewayAccount.get(GatewayAccount.kind == "wallet")
        assert Setting.get_or_none(Setting.key == f"ledger_desk_{wallet.id}") is None  # never used: open to any PC
    finally:
        server.close()
