"""``buyers`` and ``orders release`` end to end, as subprocesses on a real data dir."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import PARSING_ONLY, once
from tests.cli.test_cli import HEADER, Cli, stamp

pytestmark = pytest.mark.usefixtures("store_kind")  # on both stores: the file and a PostgreSQL server (tests/conftest.py)

#: A block's wording, once the first test has blocked, held and released on both stores.
SAME_BLOCK = once("what a block says (blocking, holding and releasing on a server: the first test)")


@pytest.fixture
def cli(data_dir: Path) -> Cli:
    return Cli(data_dir)


def shop(cli: Cli, tmp_path: Path) -> Cli:
    rows = [f"P1,{stamp(3)},点券,direct_recharge,6.00,paid,{stamp(2)},alipay,沙箱,T1,138-0013-8000",
            f"P2,{stamp(3)},点券,direct_recharge,6.00,paid,{stamp(2)},alipay,沙箱,T2,13900000000",
            f"U1,{stamp(3)},点券,direct_recharge,6.00,pending_payment,,alipay,沙箱,,+86 138 0013 8000"]
    (tmp_path / "o.csv").write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    cli("orders", "import", str(tmp_path / "o.csv"))
    return cli


def test_note_block_list_unblock_and_release(cli: Cli, tmp_path: Path) -> None:
    shop(cli, tmp_path)
    cli("buyers", "note", "138 0013 8000", "老客户")
    assert "买家备注：老客户" in cli("orders", "show", "P1").stdout
    blocked = cli.json("buyers", "block", "13800138000", "--reason", "盗刷的支付账户")
    assert blocked["held"] == 2 and blocked["buyer"] == "13800138000"
    held = cli.json("orders", "list", "--status", "held")
    assert held["total"] == 2 and {o["order_no"] for o in held["orders"]} == {"P1", "U1"}
    assert all(o["held"] for o in held["orders"])
    refused = cli("orders", "deliver", "P1", code=1)
    assert "扣留待审" in refused.stderr and "held for review" in refused.stderr
    shown = cli.json("orders", "show", "P1")
    assert shown["held_reason"] == "盗刷的支付账户" and shown["buyer_blocked"] and shown["buyer_note"] == "老客户"
    assert [e["action"] for e in shown["events"]][-1] == "held"
    listed = cli.json("buyers", "list", "--blocked")
    assert [(b["buyer"], b["blocked_reason"], b["held"]) for b in listed] == [("13800138000", "盗刷的支付账户", 2)]
    assert "13800138000" in cli("--lang", "en", "buyers", "list").stdout
    unblocked = cli("buyers", "unblock", "+86 138-0013-8000")
    assert "仍有 2 个订单扣留待审" in unblocked.stdout
    assert cli.json("orders", "list", "--status", "held")["total"] == 2  # nothing released silently
    cli("buyers", "unblock", "13800138000", code=1)
    # Unblocked but still held: the refusal names the hold's reason and the way out, not "在黑名单：—".
    refused = cli("orders", "deliver", "P1", code=1)
    assert "盗刷的支付账户" in refused.stderr and "已解除拉黑" in refused.stderr and "—" not in refused.stderr
    assert "orders release" in refused.stderr
    assert cli.json("orders", "release", "P1", "--note", "核实过")["order_ids"]
    again = cli("orders", "release", "P1", code=1)
    assert "没有被扣留" in again.stderr
    cli("orders", "deliver", "P1")
    assert cli.json("buyers", "release", "13800138000")["released"] == 1
    assert cli.json("orders", "list", "--status", "held")["total"] == 0


@PARSING_ONLY
def test_buyers_usage_errors(cli: Cli, tmp_path: Path) -> None:
    shop(cli, tmp_path)
    missing = cli("buyers", "block", "13800138000", code=2)
    assert "--reason" in missing.stderr
    for contact in (" ", ""):  # an empty contact is a usage error, like a missing argument
        blank = cli("buyers", "block", contact, "--reason", "x", code=2)
        assert "联系方式" in blank.stderr and "contact" in blank.stderr and "buyers block" in blank.stderr
    assert cli("buyers", "unblock", "13700000000", code=1).stderr


@SAME_BLOCK
def test_blocking_again_says_the_reason_changed_and_keeps_the_old_one(cli: Cli, tmp_path: Path) -> None:
    shop(cli, tmp_path)
    cli("buyers", "block", "13800138000", "--reason", "刷单")
    again = cli("buyers", "block", "13800138000", "--reason", "恶意退款")
    assert "已在黑名单上" in again.stdout and "刷单" in again.stdout and "恶意退款" in again.stdout
    listed = cli.json("buyers", "list", "--blocked")
    assert listed[0]["blocked_reason"] == "恶意退款" and "刷单" in listed[0]["note"]
    assert cli.json("buyers", "block", "13800138000", "--reason", "恶意退款").get("previous_reason") is None


@SAME_BLOCK
def test_blocking_a_contact_without_orders_says_future_orders_will_be_held(cli: Cli, tmp_path: Path) -> None:
    shop(cli, tmp_path)
    out = cli("buyers", "block", "13711112222", "--reason", "同行")
    assert "还没有订单" in out.stdout and "之后的订单会自动扣留" in out.stdout
    english = cli("--lang", "en", "buyers", "block", "13711112223", "--reason", "x")
    assert "no orders yet" in english.stdout


@once("how orders show heads its timeline (the timeline on a server: test_cli)")
def test_orders_show_names_the_source_beside_the_operator(cli: Cli, tmp_path: Path) -> None:
    shop(cli, tmp_path)
    cli("buyers", "note", "138 0013 8000", "老客户")
    header = next(line for line in cli("orders", "show", "P1").stdout.splitlines() if "操作员" in line)
    assert header.split()[:3] == ["时间", "来源", "操作员"] and "操作人" not in header
    english = next(line for line in cli("--lang", "en", "orders", "show", "P1").stdout.splitlines()
                   if "operator" in line)
    assert english.split()[:3] == ["time", "source", "operator"]
