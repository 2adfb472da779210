"""The wallet's and sandbox's books on a server store: one PC keeps them, another PC is refused
from sending through the account, so a refund is paid once."""

from __future__ import annotations

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
