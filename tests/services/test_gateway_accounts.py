"""Gateway plugins through entry points, accounts, and where their secrets live."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import ClassVar

import pytest

from kashop_desktop.domain.errors import DomainError
from kashop_desktop.gateways import registry
from kashop_desktop.gateways.base import AdapterBase, Capability, ConfigField
from kashop_desktop.services import gateways as gw
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.secrets import VaultStore
from kashop_desktop.store.models import GatewayAccount


class ThirdPartyAdapter(AdapterBase):
    kind: ClassVar[str] = "thirdparty"
    title_zh: ClassVar[str] = "第三方"
    title_en: ClassVar[str] = "Third party"
    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.QUERY_PAYMENT})
    config_fields: ClassVar[tuple[ConfigField, ...]] = (ConfigField("token", "令牌", "Token", secret=True),)


def test_builtins_are_registered_as_entry_points() -> None:
    names = registry.entry_point_names()
    assert {"wallet", "sandbox", "epay_v1", "epay_v2", "alipay", "wechatpay_v3"} <= set(names)


def test_another_package_can_add_a_gateway(monkeypatch: pytest.MonkeyPatch) -> None:
    extra = metadata.EntryPoint("thirdparty", f"{__name__}:ThirdPartyAdapter", registry.GROUP)
    real = metadata.entry_points

    def fake(**kw: str) -> list[metadata.EntryPoint]:
        return [*real(**kw), extra] if kw.get("group") == registry.GROUP else real(**kw)

    monkeypatch.setattr(metadata, "entry_points", fake)  # the registry imports it when it looks
    registry.refresh()
    try:
        assert registry.discover()["thirdparty"] is ThirdPartyAdapter
        assert "thirdparty" in gw.kinds()
    finally:
        monkeypatch.undo()
        registry.refresh()
    assert "thirdparty" not in registry.discover()


def test_the_capabilities_of_a_few_kinds_load_only_those_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bulk approval asks for the kinds its orders were paid through: the other gateways'
    modules (and their HTTP client) stay unloaded; a plugin's entry point still wins."""
    code = ("import json, sys; from kashop_desktop.gateways import registry; "
            "found = registry.classes_for(['sandbox', 'wallet', 'nosuchkind']); "
            "print(json.dumps([sorted(found), [m for m in ('httpx', 'kashop_desktop.gateways.alipay', "
            "'kashop_desktop.gateways.epay') if m in sys.modules]]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(out.stdout) == [["sandbox", "wallet"], []]
    assert registry.classes_for(["sandbox"]) == {"sandbox": registry.discover()["sandbox"]}
    extra = metadata.EntryPoint("sandbox", f"{__name__}:ThirdPartyAdapter", registry.GROUP)
    real = metadata.entry_points
    monkeypatch.setattr(metadata, "entry_points",
                        lambda **kw: [*real(**kw), extra] if kw.get("group") == registry.GROUP else real(**kw))
    registry.refresh()
    try:
        assert registry.classes_for(["sandbox"])["sandbox"] is ThirdPartyAdapter
    finally:
        monkeypatch.undo()
        registry.refresh()


@pytest.mark.sqlite_only(reason="SQLite by nature: reads the data file's bytes")
def test_secrets_never_reach_the_database(desk: Desk, data_dir: Path) -> None:
    view = gw.save_account(desk, "易支付主站", "epay_v1", {"base_url": "http://127.0.0.1:1/", "pid": "1001",
                                                          "key": "super-secret-merchant-key"})
    assert view.config == {"base_url": "http://127.0.0.1:1/", "pid": "1001"} and "key" in view.secret_keys
    raw = (data_dir / "kashop.sqlite3").read_bytes() + (data_dir / "kashop.sqlite3-wal").read_bytes()
    assert b"super-secret-merchant-key" not in raw
    assert b"super-secret-merchant-key" not in (data_dir / "vault.json").read_bytes()
    acct = GatewayAccount.get(GatewayAccount.name == "易支付主站")
    assert gw.account_config(desk, acct)["key"] == "super-secret-merchant-key"


def test_vault_needs_its_passphrase(tmp_path: Path) -> None:
    vault = VaultStore(tmp_path / "vault.json", "right")
    vault.put("a", {"key": "k"})
    with pytest.raises(DomainError, match="口令错误"):
        VaultStore(tmp_path / "vault.json", "wrong")
    locked = VaultStore(tmp_path / "vault.json", passphrase="")
    with pytest.raises(DomainError, match="未解锁"):
        locked.get("a")
    assert VaultStore(tmp_path / "vault.json", "right").get("a") == {"key": "k"}


def test_account_validation(desk: Desk, tmp_path: Path) -> None:
    with pytest.raises(DomainError, match="未知的网关类型"):
        gw.save_account(desk, "x", "paypal", {})
    with pytest.raises(DomainError, match="缺少配置项"):
        gw.save_account(desk, "x", "epay_v1", {"base_url": "http://h/"})
    with pytest.raises(DomainError, match="不认识配置项"):
        gw.save_account(desk, "x", "sandbox", {"colour": "red"})
    pem = tmp_path / "k.pem"
    pem.write_text("-----BEGIN PUBLIC KEY-----\nabc\n-----END PUBLIC KEY-----\n")
    assert gw.read_value(f"@{pem}").startswith("-----BEGIN")
    with pytest.raises(DomainError):
        gw.read_value("@/no/such/file.pem")


def test_sandbox_connection_test_is_recorded(desk: Desk) -> None:
    gw.save_account(desk, "试用", "sandbox", {"scenario": "processing"})
    report = asyncio.run(gw.test_account(desk, "试用"))
    assert report.ok and "processing" in report.message_en
    assert gw.account_view(desk, "试用").last_test_ok is True
