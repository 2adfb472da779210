"""``store-choice.json`` edited by hand: what cannot be read is refused in plain words (exit 5,
never Python's internals), a BOM from Windows Notepad is fine, a password written into it is
refused saying why; a wrong vault passphrase says the saved server's password needs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kashop_desktop.cli import main
from kashop_desktop.cli.output import EXIT_REFUSED, EXIT_STORE
from kashop_desktop.domain.errors import DomainError, StoreUnusable
from kashop_desktop.services import store_choice
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.store_choice import ServerParts
from tests.pgserver import PASSWORD, USER, PrivateCluster

GOOD_URL = "postgresql://kashop@db.shop.lan:5432/shop"


@pytest.mark.parametrize(("content", "said"), [
    ("{not json", "JSON"),
    ('[1, 2]', "postgresql://"),
    ('{"url": 5}', "postgresql://"),
    ('{"url": "mysql://x/y"}', "mysql://x/y"),
    ('{"url": "' + GOOD_URL + '", "password_in": "drawer"}', "drawer"),
    ('{"url": "postgresql://kashop:hunter2@db/shop"}', "PGPASSWORD"),
    ('{"url": "' + GOOD_URL + '", "password": "hunter2"}', "PGPASSWORD"),
])
def test_a_choice_file_that_cannot_be_used_is_refused_in_plain_words(
        data_dir: Path, content: str, said: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = data_dir / store_choice.CHOICE_FILE
    path.write_text(content, encoding="utf-8")
    with pytest.raises(StoreUnusable) as refused:
        store_choice.saved(data_dir)
    assert refused.value.code == "store_choice_unreadable"
    assert main(["orders", "list", "--data-dir", str(data_dir)]) == EXIT_STORE
    err = capsys.readouterr().err
    assert str(path) in err and said in err and "hunter2" not in err
    for internal in ("Traceback", "list indices", "Error:", "KeyError", "TypeError"):
        assert internal not in err


def test_a_choice_file_saved_by_notepad_with_a_bom_is_read(data_dir: Path) -> None:
    (data_dir / store_choice.CHOICE_FILE).write_text(json.dumps({"url": GOOD_URL, "password_in": None}),
                                                     encoding="utf-8-sig")
    choice = store_choice.saved(data_dir)
    assert choice is not None and choice.parts.host == "db.shop.lan" and choice.password_in is None


def test_a_wrong_vault_passphrase_says_the_saved_servers_password_needs_it(
        pg_cluster: PrivateCluster, data_dir: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    desk = Desk.open(data_dir)
    try:
        store_choice.save_server(desk, ServerParts("127.0.0.1", pg_cluster.port, "postgres", USER), PASSWORD)
    finally:
        desk.close()
    assert store_choice.saved(data_dir).password_in == "vault"  # type: ignore[union-attr]
    monkeypatch.setenv("KASHOP_VAULT_PASSPHRASE", "not-the-passphrase")
    with pytest.raises(DomainError) as wrong:
        Desk.open(data_dir)
    assert wrong.value.code == "vault_wrong_passphrase"
    assert f"127.0.0.1:{pg_cluster.port}/postgres" in wrong.value.zh and "KASHOP_VAULT_PASSPHRASE" in wrong.value.en
    capsys.readouterr()
    assert main(["orders", "list", "--data-dir", str(data_dir)]) == EXIT_REFUSED
    assert "服务器" in capsys.readouterr().err
