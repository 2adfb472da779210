"""Choosing the shop's server for this PC (Settings > 数据存储): 测试连接 names each way a server
fails, the choice is saved and read back with its password in the secret store only, and the
start takes --db, then KASHOP_DB_URL, then the saved choice, then the data file."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from kashop_desktop.applog import setup_logging
from kashop_desktop.cli import main
from kashop_desktop.cli.output import EXIT_STORE
from kashop_desktop.domain.errors import StoreUnusable
from kashop_desktop.domain.roles import OWNER_NAME, PermissionRefused, Role
from kashop_desktop.services import operators, store_choice
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.server_probe import probe
from kashop_desktop.services.store_choice import ServerParts
from kashop_desktop.store.db import LATEST
from tests.pgserver import PASSWORD, USER, PrivateCluster
from tests.services.helpers import order


def parts_of(cluster: PrivateCluster, url: str, sslmode: str = "prefer") -> ServerParts:
    return ServerParts("127.0.0.1", cluster.port, url.rsplit("/", 1)[1], USER, sslmode)


def execute_in(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        con.execute(sql)


def closed_port() -> int:
    with socket.socket() as s:  # bound, never listening: a connection is refused at once
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def file_desk(data_dir: Path) -> Iterator[Desk]:
    desk = Desk.open(data_dir)
    yield desk
    desk.close()


def no_password_under(folder: Path) -> list[Path]:
    """Every file under ``folder`` that holds the test password (plain or percent-encoded)."""
    return [p for p in folder.rglob("*") if p.is_file() and PASSWORD.encode() in p.read_bytes()]


def test_probe_names_each_way_a_server_fails(pg_cluster: PrivateCluster, pg_template: str,
                                             file_desk: Desk) -> None:
    shop = pg_cluster.new_database(template=pg_template)
    empty = pg_cluster.new_database()
    newer = pg_cluster.new_database()
    execute_in(newer, "CREATE TABLE kashop_schema (version INTEGER NOT NULL); "
                                 f"INSERT INTO kashop_schema VALUES ({LATEST + 5})")
    foreign = pg_cluster.new_database()
    execute_in(foreign, "CREATE TABLE invoices (id INTEGER)")
    cases = {
        "ok": (parts_of(pg_cluster, shop), PASSWORD),
        "empty": (parts_of(pg_cluster, empty), PASSWORD),
        "store_login_failed": (parts_of(pg_cluster, shop), "not-the-password"),
        "store_missing": (parts_of(pg_cluster, shop.rsplit("/", 1)[0] + "/no_such_shop"), PASSWORD),
        "store_no_tls": (parts_of(pg_cluster, shop, "require"), PASSWORD),
        "schema_too_new": (parts_of(pg_cluster, newer), PASSWORD),
        "foreign_tables": (parts_of(pg_cluster, foreign), PASSWORD),
        "store_unreachable": (ServerParts("127.0.0.1", closed_port(), "shop", USER), PASSWORD),
    }
    words = {"ok": ("店铺", "holds a kashop-desktop shop"), "empty": ("store migrate", "store migrate"),
             "store_login_failed": ("密码", "password"), "store_missing": ("createdb", "no such database"),
             "store_no_tls": ("TLS", "TLS"), "schema_too_new": ("升级", "upgrade"),
             "foreign_tables": ("别的表", "other tables"), "store_unreachable": ("连接不上", "cannot be reached")}
    for code, (parts, password) in cases.items():
        found = store_choice.try_server(file_desk, parts, password)
        assert found.code == code, (code, found.en)
        assert words[code][0] in found.zh and words[code][1] in found.en, found.en
        assert password not in found.zh + found.en and PASSWORD not in found.zh + found.en
        assert found.usable == (code in ("ok", "empty"))
    assert store_choice.try_server(file_desk, cases["ok"][0], PASSWORD).schema == LATEST
    assert probe("mysql://kashop@127.0.0.1/shop").code == "store_url"


def test_the_saved_server_is_read_back_and_its_password_is_only_in_the_secret_store(
        pg_cluster: PrivateCluster, pg_template: str, data_dir: Path, file_desk: Desk) -> None:
    log_file = setup_logging(data_dir)
    url = pg_cluster.new_database(template=pg_template)
    parts = parts_of(pg_cluster, url)
    store_choice.save_server(file_desk, parts, PASSWORD)
    saved = store_choice.saved(data_dir)
    assert saved is not None and saved.parts == parts and saved.password_in == "vault"
    assert PASSWORD not in (data_dir / store_choice.CHOICE_FILE).read_text(encoding="utf-8")
    assert store_choice.restart_changes_store(file_desk)
    server = Desk.open(data_dir)
    try:
        assert server.db_url is not None and server.store_source == "saved"
        assert store_choice.in_use(server).server == ServerParts(
            "127.0.0.1", pg_cluster.port, parts.dbname, USER, "prefer", has_password=True)
        assert not store_choice.restart_changes_store(server)
        store_choice.save_server(server, parts, None, keep_password=True)  # the password field left empty
        assert store_choice.saved_url(data_dir) == server.db_url
    finally:
        server.close()
    assert log_file.is_file() and no_password_under(data_dir) == []
    assert PASSWORD.encode() not in (data_dir / "vault.json").read_bytes()  # sealed, not written out
    store_choice.use_file(file_desk)
    assert store_choice.saved(data_dir) is None and store_choice.source(data_dir) == "file"
    assert "store_server" not in (data_dir / "vault.json").read_text(encoding="utf-8")
    assert Desk.open(data_dir).db_url is None


def test_the_start_takes_db_then_the_environment_then_the_saved_choice_then_the_file(
        pg_cluster: PrivateCluster, pg_template: str, data_dir: Path, file_desk: Desk,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    given, env, saved = (pg_cluster.new_database(template=pg_template) for _ in range(3))
    store_choice.save_server(file_desk, parts_of(pg_cluster, saved), PASSWORD)
    monkeypatch.setenv("KASHOP_DB_URL", env)
    opened = [Desk.open(data_dir, db_url=given), Desk.open(data_dir)]
    monkeypatch.delenv("KASHOP_DB_URL")
    opened.append(Desk.open(data_dir))
    try:
        assert [(d.db_url, d.store_source) for d in opened] == [
            (given, "argument"), (env, "environment"), (saved, "saved")]
        order(opened[2], status="paid")  # an order on the saved server only
    finally:
        for desk in opened:
            desk.close()
    file_desk.close()
    (data_dir / "kashop.sqlite3").rename(data_dir / "elsewhere.sqlite3")
    capsys.readouterr()
    assert main(["orders", "list", "--data-dir", str(data_dir)]) == 0  # the command line reads the choice too
    assert "KST" in capsys.readouterr().out and not (data_dir / "kashop.sqlite3").exists()
    store_choice.forget(data_dir)  # the choice gone, the folder holds this PC's vault and no shop file
    assert (data_dir / "vault.json").exists()
    assert main(["orders", "list", "--data-dir", str(data_dir)]) == EXIT_STORE  # refused, never an empty shop
    err = capsys.readouterr().err
    assert "没有店铺的数据文件" in err and "KASHOP_DB_URL" in err and "No empty shop was made" in err
    assert not (data_dir / "kashop.sqlite3").exists()


def test_a_saved_server_that_cannot_be_reached_refuses_the_start_naming_it(data_dir: Path, file_desk: Desk) -> None:
    store_choice.save_server(file_desk, ServerParts("127.0.0.1", closed_port(), "shop", USER), PASSWORD)
    with pytest.raises(StoreUnusable) as refused:
        Desk.open(data_dir)
    assert refused.value.code == "store_unreachable" and "127.0.0.1" in refused.value.en
    assert PASSWORD not in refused.value.zh + refused.value.en
    (data_dir / store_choice.CHOICE_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(Exception) as unreadable:  # never quietly the file instead of the shop's server
        Desk.open(data_dir)
    assert getattr(unreadable.value, "code", "") == "store_choice_unreadable"
    fixed = ServerParts("127.0.0.1", 5432, "shop", USER)
    store_choice.save_server(file_desk, fixed, None)  # Settings replaces a file it cannot read
    assert store_choice.saved(data_dir) == store_choice.SavedChoice(fixed, None)


def test_only_the_owner_chooses_the_store(pg_cluster: PrivateCluster, file_desk: Desk, data_dir: Path) -> None:
    operators.set_password(file_desk, OWNER_NAME, "owner-secret")
    operators.add(file_desk, "小王", Role.CLERK, "clerk-secret")
    operators.sign_in(file_desk, "小王", "clerk-secret")
    with pytest.raises(PermissionRefused):
        store_choice.save_server(file_desk, ServerParts("127.0.0.1", pg_cluster.port, "shop", USER), PASSWORD)
    with pytest.raises(PermissionRefused):
        store_choice.use_file(file_desk)
    assert store_choice.saved(data_dir) is None


def test_a_saved_password_in_a_locked_vault_is_asked_for_never_guessed(
        pg_cluster: PrivateCluster, pg_template: str, data_dir: Path, file_desk: Desk,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from kashop_desktop.domain.errors import DomainError
    from kashop_desktop.services.secrets import VaultStore

    url = pg_cluster.new_database(template=pg_template)
    store_choice.save_server(file_desk, parts_of(pg_cluster, url), PASSWORD)
    file_desk.close()
    monkeypatch.delenv("KASHOP_VAULT_PASSPHRASE")
    with pytest.raises(DomainError) as locked:
        Desk.open(data_dir)
    assert locked.value.code == "vault_locked" and parts_of(pg_cluster, url).dbname in locked.value.en
    capsys.readouterr()
    assert main(["orders", "list", "--data-dir", str(data_dir)]) != 0  # the command line names the variable
    err = capsys.readouterr().err
    assert "KASHOP_VAULT_PASSPHRASE" in err and "Traceback" not in err
    desk = Desk.open(data_dir, secrets=VaultStore(data_dir / "vault.json", "test-passphrase"))  # the window's way
    try:
        assert desk.db_url is not None and desk.store_source == "saved"
    finally:
        desk.close()


def test_a_server_is_chosen_at_start_only_for_a_folder_without_its_shop_file(data_dir: Path, file_desk: Desk) -> None:
    from kashop_desktop.domain.errors import DomainError

    parts = ServerParts("127.0.0.1", 5432, "shop", USER)
    with pytest.raises(DomainError) as refused:  # a shop file here: Settings > 数据存储 chooses, as the owner
        store_choice.save_server_for_missing_shop(data_dir, parts, PASSWORD)
    assert refused.value.code == "store_present" and store_choice.saved(data_dir) is None
    file_desk.close()
    (data_dir / "kashop.sqlite3").rename(data_dir / "moved-away.sqlite3")
    (data_dir / "desk-id").write_text("pc-2", encoding="utf-8")
    saved = store_choice.save_server_for_missing_shop(data_dir, parts, PASSWORD)
    assert saved.password_in == "vault" and store_choice.saved(data_dir) == saved
    assert PASSWORD not in (data_dir / store_choice.CHOICE_FILE).read_text(encoding="utf-8")
