"""``refunds send`` names who sent each refund (发送人 / sent by), and a viewer's ``gateways test``
says its result was not recorded: end to end, as subprocesses on a real data dir."""

from __future__ import annotations

import pytest

from .test_cli import Cli, cli, shop  # noqa: F401 - the shared fixtures

pytestmark = pytest.mark.usefixtures("store_kind")


def test_refunds_list_names_the_operator_who_sent_each_refund(shop: Cli) -> None:  # noqa: F811
    shop.json("requests", "open", "P1", "--reason", "duplicate")  # approved by the rules at once
    before = shop.json("refunds", "list")[0]
    assert (before["sent_by"], before["sent_by_hand"]) == (None, None)
    shop.json("refunds", "send")
    after = shop.json("refunds", "list")[0]
    assert (after["state"], after["sent_by"], after["sent_by_hand"]) == ("succeeded", "店主", True)
    listed = shop("--lang", "zh", "refunds", "list").stdout
    assert "发送人" in listed.splitlines()[0]
    events = shop.json("orders", "show", "P1")["events"]
    sent = [e for e in events if e["action"] == "refund_sent"]
    assert [(e["actor"], e["operator"]) for e in sent] == [("owner", "店主")]


def test_a_viewers_gateway_test_is_not_recorded(shop: Cli, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setenv("KASHOP_NEW_PASSWORD", "owner-secret")
    shop("operators", "passwd", "店主")
    monkeypatch.setenv("KASHOP_NEW_PASSWORD", "viewer-secret")
    monkeypatch.setenv("KASHOP_OPERATOR_PASSWORD", "owner-secret")
    shop("operators", "add", "阿May", "--role", "viewer", "--operator", "店主")
    monkeypatch.setenv("KASHOP_OPERATOR_PASSWORD", "viewer-secret")
    done = shop("gateways", "test", "沙箱", "--operator", "阿May")
    assert done.stdout.startswith("OK") and "not recorded" in done.stderr
    listed = shop.json("gateways", "list", "--operator", "阿May")
    assert next(a for a in listed if a["name"] == "沙箱")["last_test_ok"] is None
    monkeypatch.setenv("KASHOP_OPERATOR_PASSWORD", "owner-secret")
    assert shop("gateways", "test", "沙箱", "--operator", "店主").stderr == ""  # the owner's test is recorded
    listed = shop.json("gateways", "list", "--operator", "店主")
    assert next(a for a in listed if a["name"] == "沙箱")["last_test_ok"] is True


@pytest.mark.sqlite_only(reason="the command's own words and exit status, the same on either store")
def test_a_refund_or_sandbox_scenario_that_is_not_there_is_named(cli: Cli) -> None:  # noqa: F811
    missing = cli("refunds", "send", "--id", "999", code=1)
    assert "no refund #999" in missing.stderr
    added = cli("gateways", "add", "试验", "--kind", "sandbox", "--set", "scenario=xyz", code=1)  # refused when saved
    assert "xyz" in added.stderr and "success" in added.stderr and "reject" in added.stderr
