"""``store migrate --to``: a shop moved from its SQLite file to a PostgreSQL server, verified,
the file untouched; a target that holds a shop or someone else's tables refused."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import psycopg
import pytest

from kashop_desktop.cli import main
from kashop_desktop.cli.output import EXIT_OK, EXIT_STORE, EXIT_USAGE
from kashop_desktop.services import demo
from kashop_desktop.services.desk import Desk
from kashop_desktop.store.models import Order
from tests.pgserver import PASSWORD, PrivateCluster
from tests.services.helpers import order


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo shop in a SQLite file (built once for the module; each test only reads it)."""
    data_dir = tmp_path_factory.mktemp("demo") / "data"
    desk = Desk.open(data_dir)
    demo.build(desk, 300)
    desk.close()
    return data_dir


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sums(rows: list[tuple[object, ...]]) -> list[int]:
    return [int(v or 0) for v in rows[0]]  # type: ignore[call-overload]


MONEY = "COUNT(*), SUM(paid_fen), SUM(refunded_fen), SUM(refund_pending_fen), SUM(coupon_fen), SUM(list_fen)"


INDEXES = "SELECT indexname, tablename FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1"


def test_the_demo_shop_moves_whole_and_the_file_is_left_as_it_was(pg_cluster: PrivateCluster, demo_dir: Path,
                                                                  pg_template: str,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    shop = demo_dir / "kashop.sqlite3"
    before = _digest(shop)
    url = pg_cluster.new_database()
    assert main(["store", "migrate", "--to", url, "--data-dir", str(demo_dir), "--json"]) == EXIT_OK
    out = json.loads(capsys.readouterr().out)
    assert PASSWORD not in json.dumps(out) and out["to"].count("***") == 1
    assert _digest(shop) == before
    lite = sqlite3.connect(shop)
    tables = {t["table"]: t for t in out["tables"]}
    with psycopg.connect(url) as con:
        for table in ("orders", "refund", "cancel_request", "order_event", "card_code", "buyer", "setting",
                      "status_count", "report_sales", "report_cancels", "report_answers"):
            (n,) = lite.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
            assert con.execute(f"SELECT COUNT(*) FROM {table}").fetchone() == (n,) and tables[table]["rows"] == n
        assert _sums(con.execute(f"SELECT {MONEY} FROM orders").fetchall()) == _sums(
            lite.execute(f"SELECT {MONEY} FROM orders").fetchall())
        assert tables["orders"]["sums_fen"]["paid_fen"] == lite.execute("SELECT SUM(paid_fen) FROM orders").fetchone()[0]
        assert dict(con.execute("SELECT status, n FROM status_count").fetchall()) == dict(
            lite.execute("SELECT status, n FROM status_count").fetchall())
        assert con.execute("SELECT value FROM setting WHERE key = 'store_id'").fetchone() == lite.execute(
            "SELECT value FROM setting WHERE key = 'store_id'").fetchone()
        indexes = con.execute(INDEXES).fetchall()  # dropped for the copy, every one built again
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
