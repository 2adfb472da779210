"""Where secrets live: the owner chooses the OS keyring or the vault, and every secret (gateway
keys, the 卡密 key) moves with the choice; a vault is only unlocked when a secret is needed."""

from __future__ import annotations

from pathlib import Path

import keyring
import keyring.backends.fail
import pytest
from keyring.backend import KeyringBackend

from kashop_desktop.domain.errors import DomainError
from kashop_desktop.domain.order import ProductType
from kashop_desktop.services import code_import, delivery, products
from kashop_desktop.services import gateways as gw
from kashop_desktop.services import orders as ops
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.secrets import VaultStore

from .helpers import order


class MemoryKeyring(KeyringBackend):
    """A working keyring held in memory: the keyring library's own backend interface."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.entries.pop((service, username), None)


@pytest.fixture
def os_keyring(monkeypatch: pytest.MonkeyPatch):
    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    monkeypatch.delenv("KASHOP_SECRETS", raising=False)
    yield ring
    keyring.set_keyring(previous)


def test_the_owner_moves_every_secret_to_the_keyring_and_back(data_dir: Path, clock, os_keyring) -> None:
    desk = Desk.open(data_dir, clock=clock, secrets=VaultStore(data_dir / "vault.json", "vault-passphrase"))
    gw.save_account(desk, "易支付", "epay_v1", {"base_url": "http://127.0.0.1:1/", "pid": "1", "key": "k-secret-1"})
    products.add_product(desk, "卡", ProductType.CARD_CODE, 100)
    code_import.import_codes(desk, "卡", ["MOVINGCODE000001"])
    status = gw.switch_secret_store(desk, "keyring")
    assert status.backend == "keyring" and any("k-secret-1" in v for v in os_keyring.entries.values())
    desk.close()
    desk = Desk.open(data_dir, clock=clock)  # a new start: the choice is remembered, no passphrase
    try:
        assert gw.secret_status(desk).backend == "keyring"
        no = order(desk, prod=products.get_product("卡"))
        ops.deliver(desk, no)
        assert delivery.reveal_code(desk, no)[1] == "MOVINGCODE000001"
        assert gw.account_config(desk, gw.GatewayAccount.get(gw.GatewayAccount.name == "易支付"))["key"] == "k-secret-1"
        gw.switch_secret_store(desk, "vault", passphrase="vault-passphrase")
        assert os_keyring.entries == {} and gw.secret_status(desk).backend == "vault"
        assert delivery.reveal_code(desk, no)[1] == "MOVINGCODE000001"
    finally:
        desk.close()


def test_a_locked_vault_stays_locked_until_a_secret_is_needed(data_dir: Path, clock, monkeypatch) -> None:
    monkeypatch.delenv("KASHOP_VAULT_PASSPHRASE", raising=False)
    desk = Desk.open(data_dir, clock=clock)
    try:
        gw.ensure_builtin_accounts(desk)
        products.add_product(desk, "直充", ProductType.DIRECT_RECHARGE, 100)
        assert not gw.account_needs_secrets(desk, "沙箱") and not gw.secrets_needed_now(desk)
        assert not (data_dir / "vault.json").exists()
        products.add_product(desk, "卡", ProductType.CARD_CODE, 100)
        with pytest.raises(DomainError) as refused:
            code_import.import_codes(desk, "卡", ["NEEDSAKEY0000001"])
        assert refused.value.code == "vault_locked"
        gw.unlock_vault(desk, "now-a-passphrase")
        assert code_import.import_codes(desk, "卡", ["NEEDSAKEY0000001"]).imported == 1
    finally:
        desk.close()


def test_choosing_a_keyring_this_pc_lacks_is_refused(desk: Desk) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())  # what a PC without one has
    try:
        with pytest.raises(DomainError) as refused:
            gw.switch_secret_store(desk, "keyring")
        assert refused.value.code == "keyring_unavailable"
    finally:
        keyring.set_keyring(previous)


_WRITER = """
import sys
from pathlib import Path
from kashop_desktop.services.secrets import VaultStore
vault = VaultStore(Path(sys.argv[1]), "vault-passphrase")
for n in range(int(sys.argv[3])):
    vault.put(f"{sys.argv[2]}-{n}", {"key": f"secret-{sys.argv[2]}-{n}"})
"""


def test_processes_saving_keys_into_one_vault_at_once_lose_none(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "vault.json"
    VaultStore(path, "vault-passphrase")  # made first: the race is over the entries, not the salt
    writers = [subprocess.Popen([sys.executable, "-c", _WRITER, str(path), f"w{i}", "25"]) for i in range(4)]
    assert [w.wait(timeout=120) for w in writers] == [0, 0, 0, 0]
    vault = VaultStore(path, "vault-passphrase")
    for i in range(4):
        for n in range(25):
            assert vault.get(f"w{i}-{n}") == {"key": f"secret-w{i}-{n}"}
    assert not list(tmp_path.glob(".vault.json.*.tmp"))
