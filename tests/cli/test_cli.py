"""The command line end to end, as subprocesses on a real data dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from kashop_desktop.domain.clock import SHOP_TZ

pytestmark = pytest.mark.usefixtures("store_kind")  # on both stores: the file and a PostgreSQL server (tests/conftest.py)
#: The tests whose words and exit statuses do not depend on the store (their rules run on both
#: stores in tests/services): on the file store only, to keep CI within its time. Searches, two
#: processes and the sandbox's refund outcomes stay on both.
CLI_ONLY = pytest.mark.sqlite_only(reason="the command line's words, exit statuses and files; its rules run on both stores in tests/services, and the PostgreSQL wiring in the tests kept on both")

HEADER = "order_no,created_at,product,product_type,paid_amount,status,paid_at,channel,gateway,gateway_trade_no,buyer"


class Cli:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir

    def __call__(self, *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
        proc = subprocess.run([sys.executable, "-m", "kashop_desktop", *args, "--data-dir", str(self.data_dir)],
                              capture_output=True, text=True, env=env, timeout=120)
        assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
        return proc

    def json(self, *args: str, code: int = 0) -> Any:
        return json.loads(self(*args, "--json", code=code).stdout)


@pytest.fixture
def cli(data_dir: Path) -> Cli:
    return Cli(data_dir)


def stamp(minutes_ago: float) -> str:
    return (datetime.now(SHOP_TZ) - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%d %H:%M:%S")


@pytest.fixture
def shop(cli: Cli, tmp_path: Path) -> Cli:
    rows = [
        f"U1,{stamp(3)},王者荣耀点券 60点,card_code,6.00,pending_payment,,alipay,沙箱,,13800000001",
        f"U2,{stamp(30)},王者荣耀点券 60点,card_code,6.00,pending_payment,,alipay,沙箱,,13800000002",
        f"P1,{stamp(3)},王者荣耀点券 680点,card_code,68.00,paid,{stamp(2)},alipay,沙箱,T0001,13800000003",
        f"P2,{stamp(90)},Steam 钱包充值卡 100元,card_code,100.00,paid,{stamp(80)},wechat,沙箱,T0002,13800000004",
        f"D1,{stamp(300)},爱奇艺会员月卡,card_code,19.80,delivered,{stamp(299)},alipay,沙箱,T0003,13800000005",
        f"D2,{stamp(300)},爱奇艺会员月卡,card_code,19.80,delivered,{stamp(299)},alipay,沙箱,T0004,13800000006",
    ]
    (tmp_path / "o.csv").write_text("\n".join([HEADER + ",delivered_at", *(r + "," + (stamp(298) if r.startswith("D")
                                                                                      else "") for r in rows)]),
                                    encoding="utf-8")
    cli("gateways", "list")  # creates the wallet and sandbox accounts
    cli("orders", "import", str(tmp_path / "o.csv"))
    return cli


@CLI_ONLY
def test_no_args_usage_errors_exit_2(cli: Cli) -> None:
    cli("orders", "cancel", "X", code=2)  # --reason missing
    cli("orders", "list", "--status", "bogus", code=2)
    proc = cli("orders", "show", "NOPE", code=1)
    assert "找不到订单" in proc.stderr and "no such order" in proc.stderr


@CLI_ONLY
def test_rule_a_unpaid_cancels_at_once(shop: Cli) -> None:
    shop.json("orders", "cancel", "U1", "--reason", "mistaken")
    order = shop.json("orders", "show", "U1")
    assert order["status"] == "cancelled" and order["events"][-1]["action"] == "cancel"
    assert order["cancel_reason"] == "mistaken" and order["events"][-1]["reason"] == "mistaken"  # the code
    assert order["events"][0]["reason"] is None  # 下单 has no reason
    assert (order["paid_fen"], order["amount_fen"]) == (0, 600) and order["created_at"].endswith("+08:00")


@CLI_ONLY
def test_a_cancel_says_when_a_refund_is_queued(shop: Cli) -> None:
    """A paid order cancelled in its cooling-off: the line says its money is queued to go back."""
    paid = shop("orders", "cancel", "P1", "--reason", "duplicate").stdout
    assert "已取消 P1" in paid and "退款 ¥68.00 已排队" in paid and "refunds send" in paid
    assert shop.json("refunds", "list")[0]["amount_fen"] == 6800
    unpaid = shop("--lang", "en", "orders", "cancel", "U1", "--reason", "mistaken").stdout
    assert unpaid.strip() == "cancelled U1"  # nothing was paid: no refund named


@CLI_ONLY
def test_rule_b_auto_approve_and_queue_send(shop: Cli) -> None:
    req = shop.json("requests", "open", "P1", "--reason", "duplicate", "--note", "重复下单")
    assert req["state"] == "auto_approved" and req["decision_reasons"][0]["code"] == "in_cooling_off"
    refunds = shop.json("refunds", "list")
    assert refunds[0]["amount_fen"] == 6800 and refunds[0]["state"] == "queued" and refunds[0]["eta"]
    assert shop.json("refunds", "send")["succeeded"] == 1
    assert shop.json("refunds", "list")[0]["state"] == "succeeded"
    order = shop.json("orders", "show", "P1")  # cancelled by the request's approval: its reason
    assert (order["status"], order["cancel_reason"]) == ("cancelled", "duplicate")


@CLI_ONLY
def test_rule_c_review_approve_and_reject(shop: Cli) -> None:
    req = shop.json("requests", "open", "P2", "--reason", "wrong_item", "--amount", "30")
    assert req["state"] == "open" and {"outside_cooling_off"} <= {r["code"] for r in req["decision_reasons"]}
    proc = shop("requests", "approve", str(req["id"]), "--amount", "100.01", code=1)
    assert "不能超过" in proc.stderr or "exceed" in proc.stderr
    shop("requests", "reject", str(req["id"]), "--reason", "", code=1)
    shop.json("requests", "approve", str(req["id"]), "--amount", "30.00")
    order = shop.json("orders", "show", "P2")
    assert (order["status"], order["refunded_fen"], order["refund_pending_fen"]) == ("paid", 0, 3000)
    shop.json("refunds", "send")
    order = shop.json("orders", "show", "P2")
    assert (order["status"], order["refunded_fen"], order["refund_pending_fen"]) == ("partially_refunded", 3000, 0)


@CLI_ONLY
def test_rule_d_dispute_refused_unless_unused_or_merchant_fault(shop: Cli) -> None:
    proc = shop("orders", "cancel", "D1", "--reason", "mistaken", code=1)
    assert "只能发起售后争议" in proc.stderr and "disputed" in proc.stderr
    shop("requests", "open", "D1", "--reason", "not_needed", code=1)
    shop("orders", "code-used", "D1", "no")
    req = shop.json("requests", "open", "D1", "--reason", "wrong_item")
    assert req["state"] == "open" and req["is_dispute"]
    req2 = shop.json("requests", "open", "D2", "--reason", "merchant_fault", "--evidence", "卡密无效")
    shop("requests", "approve", str(req2["id"]))
    assert shop.json("orders", "show", "D2")["status"] == "delivered"
    shop.json("refunds", "send")
    assert shop.json("orders", "show", "D2")["status"] == "refunded"


@CLI_ONLY
def test_rule_e_no_refunds_product(shop: Cli) -> None:
    from kashop_desktop.services.desk import Desk
    from kashop_desktop.store.models import Product

    desk = Desk.open(shop.data_dir)
    Product.update(policy_overrides='{"no_refunds": true}').where(Product.name == "王者荣耀点券 680点").execute()
    desk.close()
    proc = shop("requests", "open", "P1", "--reason", "mistaken", code=1)
    assert "不支持退款" in proc.stderr


@CLI_ONLY
def test_expiry_overdue_and_risk_flag(shop: Cli) -> None:
    later = (datetime.now(SHOP_TZ) + timedelta(days=6)).isoformat()
    req = shop.json("requests", "open", "P2", "--reason", "wrong_item")
    swept = shop.json("sweep", "--now", later)
    assert swept["expired"] == 2 and swept["overdue"] == 1
    assert shop.json("orders", "show", "U2")["status"] == "cancelled"
    listed = shop.json("requests", "list")
    assert listed[0]["id"] == req["id"] and listed[0]["overdue"] is True


@CLI_ONLY
def test_restore_and_mark_paid_twice(shop: Cli) -> None:
    shop("orders", "cancel", "U1", "--reason", "mistaken")
    shop("orders", "restore", "U1")
    assert shop.json("orders", "show", "U1")["status"] == "pending_payment"
    shop("orders", "mark-paid", "U1", "--trade-no", "T9", code=1)  # no --yes
    first = shop.json("orders", "mark-paid", "U1", "--trade-no", "T9", "--yes")
    second = shop.json("orders", "mark-paid", "U1", "--trade-no", "T9", "--yes")
    assert first["already_paid"] is False and second["already_paid"] is True
    events = [e["action"] for e in shop.json("orders", "show", "U1")["events"]]
    assert events.count("mark_paid") == 1
    shop("orders", "restore", "P1", code=1)


@CLI_ONLY
def test_one_trade_no_cannot_pay_for_two_orders(shop: Cli) -> None:
    shop("orders", "mark-paid", "U1", "--trade-no", "T", "--yes")
    proc = shop("orders", "mark-paid", "U2", "--trade-no", "T", "--yes", code=1)
    assert "U1" in proc.stderr and "已属于订单" in proc.stderr and "already belongs to order U1" in proc.stderr
    assert shop.json("orders", "show", "U2")["status"] == "pending_payment"
    again = shop("orders", "mark-paid", "U1", "--trade-no", "T", "--yes")
    assert "未做任何改动" in again.stdout or "nothing changed" in again.stdout


@CLI_ONLY
def test_refund_money_and_owner_resolution_outside_the_desk(shop: Cli) -> None:
    shop("gateways", "add", "沙箱", "--kind", "sandbox", "--set", "scenario=reject", "--replace")
    shop.json("requests", "open", "P1", "--reason", "mistaken")
    order = shop.json("orders", "show", "P1")
    assert (order["refunded_fen"], order["refund_pending_fen"], order["refundable_fen"]) == (0, 6800, 0)
    shop.json("refunds", "send")
    refund = shop.json("refunds", "list")[0]
    assert refund["state"] == "failed"
    assert shop.json("orders", "show", "P1")["refundable_fen"] == 6800
    shop("refunds", "resolve", str(refund["id"]), "--failed", "--outside", "cash", "--note", "x", code=2)
    shop("refunds", "resolve", str(refund["id"]), "--succeeded", "--outside", "cash", "--note", "现金退给买家")
    refund = shop.json("refunds", "list")[0]
    assert (refund["state"], refund["resolved_how"]) == ("succeeded", "cash")
    order = shop.json("orders", "show", "P1")
    assert (order["refunded_fen"], order["refund_pending_fen"], order["refundable_fen"]) == (6800, 0, 0)
    listed = shop("--lang", "zh", "refunds", "list").stdout
    assert "退款成功" in listed


@pytest.mark.parametrize(("scenario", "first", "final"), [
    ("success", "succeeded", "succeeded"), ("processing", "processing", "succeeded"),
    ("reject", "failed", "failed"), ("timeout", "unknown", "succeeded")])
def test_each_sandbox_scenario(shop: Cli, scenario: str, first: str, final: str) -> None:
    shop("gateways", "add", "沙箱", "--kind", "sandbox", "--set", f"scenario={scenario}", "--replace")
    shop.json("requests", "open", "P1", "--reason", "mistaken")
    refund_id = shop.json("refunds", "list")[0]["id"]
    shop.json("refunds", "send")
    assert shop.json("refunds", "list")[0]["state"] == first
    for _ in range(3):  # force past the back-off, as the owner's "query now" does
        shop.json("refunds", "send", "--id", str(refund_id))
    refund = shop.json("refunds", "list")[0]
    assert refund["state"] == final
    if final == "failed":
        assert "商户余额不足" in refund["last_error"]


@CLI_ONLY
def test_gateways_kinds_list_every_builtin(cli: Cli) -> None:
    kinds = {k["kind"] for k in cli.json("gateways", "kinds")["kinds"]}
    assert {"wallet", "sandbox", "epay_v1", "epay_v2", "alipay", "wechatpay_v3"} <= kinds


@pytest.mark.sqlite_only(reason="the demo is built on the data file only (on a server it is refused: tests/server)")
def test_demo_is_idempotent_and_check_passes(cli: Cli) -> None:
    cli("demo", "--no-gui", "--orders", "300")
    total = cli.json("orders", "list", "--limit", "1")["total"]
    cli("demo", "--no-gui", "--orders", "300")
    assert cli.json("orders", "list", "--limit", "1")["total"] == total
    assert cli.json("check")["ok"] is True
    assert Path(cli("backup").stdout.strip()).exists()


@pytest.mark.sqlite_only(reason="the shop moves from its file to a server named by --db: the file store is the subject")
def test_backup_list_on_a_server_desk_says_the_backups_are_of_the_old_file(cli: Cli) -> None:
    cli("demo", "--no-gui", "--orders", "50")
    taken = Path(cli("backup").stdout.strip())
    on_file = cli("backup", "--list")
    assert taken.name in on_file.stdout and on_file.stderr == ""
    server = "postgresql://shop@127.0.0.1:1/kashop"  # never reached: listing opens no store
    listed = cli("backup", "--list", "--db", server)
    assert taken.name in listed.stdout
    assert "127.0.0.1:1/kashop" in listed.stderr and "not of the server's shop" in listed.stderr
    assert "不是服务器上店铺的备份" in listed.stderr and "shop@" not in listed.stderr


@pytest.mark.sqlite_only(reason="the way back from a server to this PC's data file: the file store is the subject")
def test_the_first_command_back_on_the_file_says_what_the_file_lacks_once(cli: Cli) -> None:
    from kashop_desktop.services import store_choice
    from kashop_desktop.services.desk import Desk

    cli("demo", "--no-gui", "--orders", "50")
    desk = Desk.open(cli.data_dir)
    try:
        store_choice.save_server(desk, store_choice.ServerParts("db.example", 5432, "shop", "owner"), None)
        store_choice.use_file(desk)  # as Settings > 数据存储 does, after its warning
    finally:
        desk.close()
    first, again = cli("orders", "list", "--limit", "1"), cli("orders", "list", "--limit", "1")
    assert "db.example:5432/shop" in first.stderr and "does not hold what was done" in first.stderr
    assert "KS" in first.stdout and again.stderr == ""


@pytest.mark.sqlite_only(reason="the demo is built on the data file only (on a server it is refused: tests/server)")
def test_demo_with_fakes_sends_real_signed_refunds(cli: Cli) -> None:
    proc = cli("demo", "--no-gui", "--with-fakes", "--orders", "100")
    assert "refunds sent: succeeded=" in proc.stdout
    # On exit the fakes stop: the owner is told the accounts now point at nothing, and how to restart.
    assert "模拟网关已随演示停止" in proc.stderr and "demo --with-fakes" in proc.stderr
    assert "cannot be reached now" in proc.stderr
    refunds = [r for r in cli.json("refunds", "list") if "本地模拟" in (r["gateway"] or "")]
    assert {r["gateway_kind"] for r in refunds} == {"epay_v1", "epay_v2", "alipay", "wechatpay_v3"}
    assert all(r["state"] == "succeeded" for r in refunds)


def test_case_03_phone_formats_one_buyer_and_search_finds_every_spelling(cli: Cli, tmp_path: Path) -> None:
    lines = ["订单号,下单时间,商品,商品类型,实付金额,状态,支付时间,支付方式,交易号,买家"] + [
        f"KSP00{i},2026-11-18 09:00,王者荣耀点券 60点,卡密,6.00,已支付,2026-11-18 09:01,支付宝,"
        f"20261118220014000101{i:02d},{buyer}"
        for i, buyer in enumerate(["13800138000", "+86 138 0013 8000", "138-0013-8000", "１３８００１３８０００",
                                   "+8613800138000"], start=1)]
    path = tmp_path / "orders.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    now = "--now", "2026-11-18T09:05:00+08:00"
    cli("orders", "import", str(path), *now)
    for i in range(1, 6):
        cli("requests", "open", f"KSP00{i}", "--reason", "not_needed", *now)
    states = [r["state"] for r in cli.json("requests", "list", *now)]
    assert sorted(states) == ["auto_approved"] * 3 + ["open"] * 2
    for typed in ("13800138000", "+86 138 0013 8000", "138-0013-8000", "38000"):
        found = cli.json("orders", "list", "--search", typed, *now)
        assert found["total"] == 5 and len(found["orders"]) == 5, typed


@CLI_ONLY
def test_holidays_load_and_exact_flags_in_json(cli: Cli, tmp_path: Path) -> None:
    eve = "--now", "2026-12-31T10:00:00+08:00"
    path = tmp_path / "eve.csv"
    path.write_text(HEADER + "\nKSH001,2026-12-31 09:50,王者荣耀点券 60点,card_code,6.00,paid,2026-12-31 09:58,alipay,,"
                    "T1,13800138000\n", encoding="utf-8")
    cli("orders", "import", str(path), *eve)
    cli("requests", "open", "KSH001", "--reason", "not_needed", *eve)
    (refund,) = cli.json("refunds", "list", *eve)
    assert refund["eta_earliest"] == "2027-01-04" and refund["exact"] is False
    assert "约 2027-01-06" in cli("refunds", "list", *eve).stdout
    assert cli.json("orders", "show", "KSH001", *eve)["refunds"][0]["exact"] is False
    shown = {y["year"]: y for y in cli.json("holidays", "show", *eve)}
    assert shown[2026]["source"] == "package" and shown[2027]["exact"] is False
    assert "2027-10-01  off  National Day" in cli("holidays", "show", "--lang", "en", *eve).stdout

    bad = tmp_path / "bad.json"
    bad.write_text('{"year": 2027, "holidays": ["2027-02-30"]}', encoding="utf-8")
    err = cli("holidays", "load", str(bad), code=2).stderr
    assert "YYYY-MM-DD" in err and "节假日安排无效" in err and "Traceback" not in err
    good = tmp_path / "2027.csv"
    good.write_text("date,type,name\n2027-01-01,休,元旦\n2027-02-20,班,春节调休\n", encoding="utf-8")
    assert "2027" in cli("holidays", "load", str(good), *eve).stdout
    assert cli.json("refunds", "list", *eve)[0]["exact"] is True
    assert "2027-02-20  班" in cli("holidays", "show", "--year", "2027", *eve).stdout


def test_a_second_send_of_the_same_refund_says_another_process_is_sending_it(shop: Cli) -> None:
    shop("gateways", "add", "沙箱", "--kind", "sandbox", "--set", "scenario=success", "--set", "latency_ms=15000",
         "--replace")
    shop.json("requests", "open", "P1", "--reason", "mistaken")
    refund_id = str(shop.json("refunds", "list")[0]["id"])
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    first = subprocess.Popen([sys.executable, "-m", "kashop_desktop", "refunds", "send", "--id", refund_id, "--json",
                              "--data-dir", str(shop.data_dir)], stdout=subprocess.PIPE, text=True, env=env)
    try:
        # the first process has marked it sending and is waiting on the slow gateway (15 s: room for the
        # checks below on a busy machine)
        while shop.json("refunds", "list")[0]["state"] == "queued":
            assert first.poll() is None, "the first send ended before it was seen sending"
        second = shop("refunds", "send", "--id", refund_id)
        assert "另一个进程" in second.stderr and "another process" in second.stderr
        again = shop.json("refunds", "send", "--id", refund_id)
        assert again["elsewhere"] == [int(refund_id)] and again["picked"] == 0
    finally:
        out, _ = first.communicate(timeout=60)
    assert first.returncode == 0 and json.loads(out)["succeeded"] == 1
    refund = shop.json("refunds", "list")[0]
    assert (refund["state"], refund["attempts"]) == ("succeeded", 1)
    settled = shop("refunds", "send", "--id", refund_id)  # nothing to do now, and it says so
    assert "退款成功" in settled.stderr and "nothing to send" in settled.stderr


def test_orders_list_says_what_a_search_matched(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(HEADER + "\nKS202611290001996,2026-11-18 09:50,王者荣耀点券 60点,card_code,6.00,paid,"
                    "2026-11-18 09:58,alipay,,TX001,13900198000\n", encoding="utf-8")
    now = "--now", "2026-11-18T10:00:00+08:00"
    cli("orders", "import", str(path), *now)
    found = cli.json("orders", "list", "--search", "1996", *now)
    assert found["matched"] == ["order_tail"] and [o["order_no"] for o in found["orders"]] == ["KS202611290001996"]
    assert cli.json("orders", "list", "--search", "tx00", *now)["matched"] == ["trade_no"]
    assert cli.json("orders", "list", *now)["matched"] is None
    proc = cli("orders", "list", "--search", "198000", *now)
    assert "匹配：买家" in proc.stderr and "matched: buyer" in proc.stderr
    proc = cli("orders", "list", "--search", "01996", *now)
    assert "匹配：订单号尾号" in proc.stderr and "matched: order-no tail" in proc.stderr
    proc = cli("orders", "list", "--search", "zq", *now)
    assert "无匹配（买家至少输入 3 个字符，订单号尾号至少 4 位）" in proc.stderr
    assert "a buyer search needs at least 3 characters" in proc.stderr
    proc = cli("orders", "list", "--search", "zqx", *now)
    assert "无匹配（订单号尾号至少 4 位）" in proc.stderr and "买家至少" not in proc.stderr


@CLI_ONLY
def test_an_import_file_missing_a_required_column_is_a_usage_error(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    path.write_text("order_no,created_at,product\nKSH009,2026-11-18 09:50,王者荣耀点券 60点\n", encoding="utf-8")
    out = cli("orders", "import", str(path), code=2)
    assert "缺少必需的列" in out.stderr and "Traceback" not in out.stderr
    cli("orders", "show", "KSH009", code=1)
