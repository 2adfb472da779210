"""The command line on refund money: what it refuses, what it says, and its exit statuses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kashop_desktop.services import maintenance

from .test_cli import Cli, cli, shop  # noqa: F401  (the fixtures)

pytestmark = pytest.mark.usefixtures("store_kind")  # on both stores: the file and a PostgreSQL server (tests/conftest.py)


def test_resolve_gateway_verified_is_refused_for_a_refund_the_gateway_refused(shop: Cli) -> None:  # noqa: F811
    shop("gateways", "add", "沙箱", "--kind", "sandbox", "--set", "scenario=reject", "--replace")
    shop.json("requests", "open", "P1", "--reason", "mistaken")
    shop.json("refunds", "send")
    refund = shop.json("refunds", "list")[0]
    assert refund["state"] == "failed"
    proc = shop("refunds", "resolve", str(refund["id"]), "--succeeded", "--note", "查了支付宝后台", code=1)
    assert "网关已明确拒绝" in proc.stderr and "refused this refund" in proc.stderr and "Traceback" not in proc.stderr
    assert shop.json("refunds", "list")[0]["state"] == "failed"
    assert shop.json("orders", "show", "P1")["refunded_fen"] == 0
    shop("refunds", "resolve", str(refund["id"]), "--succeeded", "--outside", "cash", "--note", "现金退给买家")
    [resolved] = shop.json("refunds", "list")
    assert (resolved["owner_note"], resolved["last_error"]) == ("现金退给买家", "")
    assert resolved["settled_at"] is not None
    text = shop("orders", "show", "P1").stdout
    assert f"退款单号 {refund['refund_no']}" in text and "退款成功" in text


def test_mark_paid_on_an_account_trade_no_is_refused_for_an_order_without_one(shop: Cli, tmp_path: Path) -> None:  # noqa: F811
    shop("gateways", "add", "其他", "--kind", "sandbox", "--set", "scenario=success")
    proc = shop("orders", "mark-paid", "U1", "--trade-no", "T0001", "--yes", code=1)
    assert "P1" in proc.stderr
    again = shop("orders", "mark-paid", "U2", "--trade-no", "T-NEW", "--yes")
    assert "已补单" in again.stdout
    same = shop("orders", "mark-paid", "U2", "--trade-no", "T-NEW", "--yes")  # the same payment again
    assert "未做任何改动" in same.stdout
    other = shop("orders", "mark-paid", "U2", "--trade-no", "T-OTHER", "--yes", code=1)
    assert "T-NEW" in other.stderr


@pytest.mark.sqlite_only(reason="SQLite by nature: restores a backup of the data file")
def test_restore_names_refunds_sent_since_and_needs_yes(shop: Cli, data_dir: Path) -> None:  # noqa: F811
    backup = Path(shop.json("backup")["path"])
    shop.json("requests", "open", "P1", "--reason", "mistaken")
    shop.json("refunds", "send")
    refund = shop.json("refunds", "list")[0]
    assert refund["state"] == "succeeded"
    proc = shop("restore", str(backup), code=1)
    assert refund["refund_no"] in proc.stderr and "P1" in proc.stderr and "--yes" in proc.stderr
    assert shop.json("refunds", "list")[0]["state"] == "succeeded"  # nothing was restored
    assert not maintenance.list_backups(data_dir) or backup.exists()
    shop("restore", str(backup), "--yes")
    assert shop.json("refunds", "list") == []


def test_a_locked_vault_makes_refunds_send_say_why(shop: Cli) -> None:  # noqa: F811
    shop("gateways", "add", "沙箱", "--kind", "epay_v1", "--set", "base_url=http://127.0.0.1:9/", "--set",
         "pid=1001", "--set", "key=" + "k" * 32, "--replace")
    shop.json("orders", "cancel", "P2", "--reason", "mistaken", "--confirm-no-idempotency")
    [refund] = shop.json("refunds", "list")
    assert refund["state"] == "queued"
    env = {k: v for k, v in os.environ.items() if k != "KASHOP_VAULT_PASSPHRASE"}
    proc = subprocess.run([sys.executable, "-m", "kashop_desktop", "refunds", "send", "--data-dir",
                           str(shop.data_dir)], capture_output=True, text=True,
                          env={**env, "PYTHONIOENCODING": "utf-8"}, timeout=120)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "保险箱" in proc.stderr and "vault" in proc.stderr and f"#{refund['id']}" in proc.stderr
    [after] = shop.json("refunds", "list")
    assert (after["state"], after["attempts"]) == ("queued", 0)
    retried = shop.json("refunds", "send", code=0)  # unlocked: picked at once, no back-off in the way
    assert retried["picked"] == 1 and retried["not_sent"] == []


@pytest.mark.sqlite_only(reason="the command's own words and exit status; the rule runs on both stores in tests/services")
def test_a_refund_made_outside_is_recorded_in_one_step_and_nothing_is_sent(shop: Cli) -> None:  # noqa: F811
    paid = shop.json("orders", "show", "P1")["paid_fen"]
    proc = shop("refunds", "record", "P1", "--amount", "1.50", "--how", "cash", "--note", "店里现金退给买家")
    assert "已登记台外退款" in proc.stdout and "¥1.50" in proc.stdout and "部分退款" in proc.stdout
    [refund] = shop.json("refunds", "list")
    assert (refund["state"], refund["amount_fen"], refund["resolved_how"], refund["owner_note"]) == (
        "succeeded", 1_50, "cash", "店里现金退给买家")
    assert shop.json("refunds", "send")["picked"] == 0
    assert shop.json("orders", "show", "P1")["refunded_fen"] == 1_50
    over = shop("refunds", "record", "P1", "--amount", "99999", "--how", "cash", "--note", "x", code=1)
    assert f"¥{(paid - 1_50) // 100}." in over.stderr and "Traceback" not in over.stderr
    bad = shop("refunds", "record", "P1", "--amount", "1.005", "--how", "cash", "--note", "x", code=2)
    assert "--amount" in bad.stderr
    gateway = shop("refunds", "record", "P1", "--amount", "1", "--how", "gateway", "--note", "x", code=2)
    assert "invalid choice" in gateway.stderr or "无效的选项" in gateway.stderr
    assert len(shop.json("refunds", "list")) == 1


@pytest.mark.sqlite_only(reason="the command's own words and exit status; the rule runs on both stores in tests/services")
def test_mark_paid_takes_the_gateways_payment_time(shop: Cli) -> None:  # noqa: F811
    from datetime import datetime, timedelta

    from kashop_desktop.domain.clock import SHOP_TZ

    bad = shop("orders", "mark-paid", "U2", "--trade-no", "T-U2", "--paid-at", "yesterday", "--yes", code=2)
    assert "--paid-at" in bad.stderr and "Traceback" not in bad.stderr
    early = shop("orders", "mark-paid", "U2", "--trade-no", "T-U2", "--paid-at", "2020-01-01 00:00", "--yes", code=1)
    assert "2020-01-01 00:00:00" in early.stderr
    assert shop.json("orders", "show", "U2")["paid_at"] is None  # nothing recorded
    when = (datetime.now(SHOP_TZ) - timedelta(minutes=20)).replace(second=0, microsecond=0)
    shop("orders", "mark-paid", "U2", "--trade-no", "T-U2", "--paid-at", when.strftime("%Y-%m-%d %H:%M"), "--yes")
    assert datetime.fromisoformat(shop.json("orders", "show", "U2")["paid_at"]) == when


@pytest.mark.sqlite_only(reason="the command's own words and exit status; the rule runs on both stores in tests/services")
def test_an_approval_says_what_became_of_its_refund_and_the_fee_the_shop_keeps(shop: Cli) -> None:  # noqa: F811
    shop("policy", "set", "fee_rate_permyriad=50")
    proc = shop("orders", "cancel", "P1", "--reason", "not_needed")
    assert "扣手续费 ¥0.34" in proc.stdout and "¥67.66" in proc.stdout
    shop.json("refunds", "send")
    text = shop("orders", "show", "P1").stdout
    assert "已退 ¥68.00（含手续费 ¥0.34，买家实收 ¥67.66）" in text
    opened = shop.json("requests", "open", "P2", "--reason", "other", "--amount", "60")
    assert opened["state"] == "open", opened
    approved = shop("requests", "approve", str(opened["id"]))
    assert f"已批准申请 #{opened['id']}；退款 ¥59.70（扣手续费 ¥0.30）已排队" in approved.stdout


@pytest.mark.sqlite_only(reason="the command's own words and exit status; the rule runs on both stores in tests/services")
def test_a_mark_paid_without_a_time_can_have_the_gateways_time_given_after(shop: Cli) -> None:  # noqa: F811
    from datetime import datetime, timedelta

    from kashop_desktop.domain.clock import SHOP_TZ

    shop("orders", "mark-paid", "U2", "--trade-no", "T-U2", "--yes")
    shop("orders", "mark-paid", "U2", "--trade-no", "T-U2", "--paid-at", "2026-11-30", "--yes", code=2)  # no time
    when = (datetime.now(SHOP_TZ) - timedelta(minutes=25)).replace(microsecond=0)
    fixed = shop("orders", "mark-paid", "U2", "--trade-no", "T-U2", "--paid-at", when.strftime("%Y-%m-%d %H:%M:%S"), "--yes")
    assert "付款时间更正为" in fixed.stdout
    shown = shop.json("orders", "show", "U2")
    assert datetime.fromisoformat(shown["paid_at"]) == when
    assert any(e["action"] == "payment_time_corrected" for e in shown["events"])
    again = shop("orders", "mark-paid", "U2", "--trade-no", "T-U2", "--paid-at", when.strftime("%Y-%m-%d %H:%M:%S"), "--yes")
    assert "未做任何改动" in again.stdout
    other = when - timedelta(minutes=1)  # a typo of the owner's is theirs to correct again
    shop("orders", "mark-paid", "U2", "--trade-no", "T-U2", "--paid-at", other.strftime("%Y-%m-%d %H:%M:%S"), "--yes")
    assert datetime.fromisoformat(shop.json("orders", "show", "U2")["paid_at"]) == other
    kept = shop("orders", "mark-paid", "P1", "--trade-no", "T0001", "--paid-at", other.strftime("%Y-%m-%d %H:%M:%S"),
                "--yes", code=1)  # P1's time came with its import
    assert "补单不改它" in kept.stderr
    assert shop("check").returncode == 0


@pytest.mark.sqlite_only(reason="the command's own words; the approval's rules run on both stores in tests/services")
def test_an_approval_of_another_amount_than_the_buyer_asked_says_so(shop: Cli) -> None:  # noqa: F811
    """The owner may approve more or less than the buyer asked (goodwill, a part refund): the line
    names both amounts, so a typed 80 for an asked 30 does not go by unseen."""
    more = shop.json("requests", "open", "P2", "--reason", "wrong_item", "--amount", "30")
    refused = shop("requests", "approve", str(more["id"]), "--amount", "80", code=1)  # a typo? asked first
    assert "多于买家申请的 ¥30.00" in refused.stderr and "--yes" in refused.stderr
    assert shop.json("refunds", "list") == []
    line = shop("requests", "approve", str(more["id"]), "--amount", "80", "--yes").stdout
    assert "批准 ¥80.00，多于买家申请的 ¥30.00" in line
    assert shop.json("refunds", "list")[0]["amount_fen"] == 8000
    less = shop.json("requests", "open", "D1", "--reason", "merchant_fault", "--amount", "19.80")
    line = shop("--lang", "en", "requests", "approve", str(less["id"]), "--amount", "5").stdout
    assert "¥5.00 approved, less than the ¥19.80 the buyer asked for" in line
    same = shop.json("requests", "open", "D2", "--reason", "merchant_fault", "--amount", "10")
    approved = shop.json("requests", "approve", str(same["id"]), "--amount", "10")
    assert "买家申请" not in approved["zh"] and "已批准申请" in approved["zh"]  # the amount asked: nothing to point out
    assert approved["order_nos"] == ["D2"] and approved["en"].startswith("approved request")
    [refund] = approved["refunds"]
    assert (refund["order_no"], refund["gross_fen"], refund["state"]) == ("D2", 10_00, "queued")


@pytest.mark.sqlite_only(reason="the command's own printing; what is stored is the same on both stores")
def test_control_characters_in_a_note_are_shown_not_sent_to_the_terminal(shop: Cli) -> None:  # noqa: F811
    """A note (typed, pasted or from a file) holding ESC sequences, a carriage return or a C1
    control is printed with those characters made visible; --json gives the note back exactly."""
    note = "查过了\x1b[2J\x1b[31m红\rX\x85Y\x7f\n第二行 \u202e321\u202c"
    req = shop.json("requests", "open", "P2", "--reason", "wrong_item", "--amount", "30")
    shop("requests", "reject", str(req["id"]), "--reason", note)
    text = shop("orders", "show", "P2").stdout
    assert not any(c in text for c in "\x1b\r\x85\x7f\u202e\u202c")
    # In a table a line break (CR, LF, NEL) is shown as ⏎, so the row stays one line.
    assert "查过了␛[2J␛[31m红 ⏎ X ⏎ Y␡ ⏎ 第二行 \ufffd321\ufffd" in text
    shown = shop("requests", "list", "--state", "rejected", "--json").stdout
    assert "\x85" not in shown and "\\u0085" in shown and "\\u007f" in shown
    [back] = shop.json("requests", "list", "--state", "rejected")
    assert back["decision_note"] == note  # the stored value, exactly
    refused = shop("orders", "show", "NO\x1b[2JSUCH", code=1)
    assert "\x1b" not in refused.stderr and "NO␛[2JSUCH" in refused.stderr


@pytest.mark.sqlite_only(reason="the command line's own output; the refusals' rules run on both stores in tests/services")
def test_a_refusal_with_json_is_also_json_on_stdout(shop: Cli, tmp_path: Path) -> None:  # noqa: F811
    """A script that asked for --json reads JSON whatever happened: the refusal's code, exit status
    and message (the message is on stderr as always); without --json stdout stays empty."""
    import json

    refused = shop("requests", "approve", "999", "--json", code=1)
    error = json.loads(refused.stdout)["error"]
    assert error["exit"] == 1 and error["code"] and error["zh"] in refused.stderr and error["en"] in refused.stderr
    (tmp_path / "bad.csv").write_text("foo,bar\n1,2\n", encoding="utf-8")
    wrong = shop("orders", "import", str(tmp_path / "bad.csv"), "--json", code=2)
    assert json.loads(wrong.stdout)["error"]["code"] == "import_missing_columns"
    missing = shop("orders", "import", str(tmp_path / "nope.csv"), "--json", code=2)
    assert json.loads(missing.stdout)["error"]["code"] == "import_not_found"
    assert shop("requests", "approve", "999", code=1).stdout == ""
    bad_choice = json.loads(shop("requests", "open", "P1", "--reason", "bogus", "--json", code=2).stdout)["error"]
    assert (bad_choice["code"], bad_choice["exit"]) == ("usage", 2) and "bogus" in bad_choice["en"]
    bad_now = json.loads(shop("--now", "garbage", "requests", "list", "--json", code=2).stdout)["error"]
    assert "无法识别的时间" in bad_now["zh"] and "invalid time" in bad_now["en"] and "\n" not in bad_now["zh"]


@pytest.mark.sqlite_only(reason="the command's own words; requests run on both stores in tests/services")
def test_orders_show_lists_the_requests_with_what_the_buyer_said_and_showed(shop: Cli) -> None:  # noqa: F811
    asked = shop.json("requests", "open", "D1", "--reason", "merchant_fault", "--amount", "5",
                      "--note", "卡密无效", "--evidence", "截图：充值失败页面")
    text = shop("orders", "show", "D1").stdout
    line = next(x for x in text.splitlines() if x.strip().startswith("申请 #"))
    assert f"#{asked['id']}" in line and "申请 ¥5.00" in line
    assert "说明：卡密无效" in line and "证据：截图：充值失败页面" in line
    shop("requests", "reject", str(asked["id"]), "--reason", "卡密已使用")
    english = shop("--lang", "en", "orders", "show", "D1").stdout
    line = next(x for x in english.splitlines() if x.strip().startswith("request #"))
    assert "evidence: 截图：充值失败页面" in line and "decision: 卡密已使用" in line and "asked ¥5.00" in line
    forged = shop.json("requests", "open", "D2", "--reason", "merchant_fault",
                       "--note", "想退\n  退款单号 RFFAKE0001  ¥19.80  退款成功")
    text = shop("orders", "show", "D2").stdout
    assert not any(x.strip().startswith("退款单号 RFFAKE") for x in text.splitlines())  # no line of its own
    assert f"#{forged['id']}" in text and "想退 ⏎ " in text


@pytest.mark.sqlite_only(reason="the command's own words; the approval's rules run on both stores in tests/services")
def test_a_part_refund_of_an_undelivered_order_says_the_order_still_goes_out(shop: Cli) -> None:  # noqa: F811
    asked = shop.json("requests", "open", "P2", "--reason", "not_needed", "--note", "不要了")
    line = shop("requests", "approve", str(asked["id"]), "--amount", "10").stdout
    assert "订单未取消，之后照常发货" in line and "余下的 ¥90.00" in line
    auto = shop("requests", "open", "P1", "--reason", "mistaken", "--amount", "8").stdout  # approved at once
    assert "自动批准" in auto and "订单未取消，之后照常发货" in auto and "余下的 ¥60.00" in auto
    assert shop.json("orders", "show", "P2")["status"] == "paid"
    rest = shop.json("requests", "open", "P2", "--reason", "not_needed", "--note", "剩下的也退")
    line = shop("requests", "approve", str(rest["id"])).stdout  # all that is left: the order is cancelled
    assert "照常发货" not in line and shop.json("orders", "show", "P2")["status"] == "cancelled"


@pytest.mark.sqlite_only(reason="the command's own words; the confirmation's rule runs on both stores in tests/services")
def test_a_refund_through_a_gateway_without_idempotency_names_the_flag_that_confirms_it(
        cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setenv("KASHOP_VAULT_PASSPHRASE", "a-passphrase-for-the-test")
    head = "订单号,下单时间,商品,商品类型,实付金额,状态,支付时间,支付方式,网关,交易号,买家\n"
    first = tmp_path / "first.csv"
    first.write_text(head + "KV0,2026-11-18 09:00,点券,直充,10.00,已支付,2026-11-18 09:01,支付宝,,TV0,13800138000\n",
                     encoding="utf-8")
    now = "--now", "2026-11-18T10:00:00+08:00"
    cli("orders", "import", str(first), *now)
    cli("gateways", "add", "彩虹", "--kind", "epay_v1", "--set", "base_url=http://127.0.0.1:9/", "--set", "pid=1001",
        "--set", "key=abcdefabcdef", *now)
    second = tmp_path / "second.csv"
    second.write_text(head + "KV1,2026-11-18 09:00,点券,直充,10.00,已支付,2026-11-18 09:01,支付宝,彩虹,TV1,13800138001\n",
                      encoding="utf-8")
    cli("orders", "import", str(second), *now)
    refused = cli("orders", "cancel", "KV1", "--reason", "mistaken", *now, code=1)
    assert "加 --confirm-no-idempotency 确认" in refused.stderr and "add --confirm-no-idempotency" in refused.stderr
    asked = cli.json("requests", "open", "KV1", "--reason", "mistaken", *now)
    error = cli.json("requests", "approve", str(asked["id"]), *now, code=1)["error"]
    assert error["code"] == "confirm_non_idempotent" and "--confirm-no-idempotency" in error["zh"]
    cli("requests", "approve", str(asked["id"]), "--confirm-no-idempotency", *now)


@pytest.mark.sqlite_only(reason="the command's own output")
def test_every_command_that_moves_money_or_goods_speaks_json(shop: Cli) -> None:  # noqa: F811
    """restore, deliver, complete, code-used and the refund owner's commands take --json like the
    others: the orders and refunds they touched, and their line in both languages."""
    cancelled = shop.json("orders", "cancel", "P1", "--reason", "mistaken")
    restored = shop.json("orders", "restore", "P1")
    assert restored["order_nos"] == ["P1"] and restored["zh"] and restored["en"]
    error = shop.json("orders", "deliver", "P1", code=1)["error"]  # no codes in stock: refused, as JSON
    assert error["code"] == "out_of_codes" and error["exit"] == 1
    assert shop.json("orders", "code-used", "D1", "no", "--note", "买家未刮开")["order_nos"] == ["D1"]
    assert shop.json("orders", "complete", "D1")["order_nos"] == ["D1"]
    refund_id = cancelled["refund_ids"][0]
    error = shop.json("refunds", "retry", str(refund_id), code=1)["error"]  # withdrawn by the restore: not failed
    assert error["exit"] == 1 and error["zh"] and error["en"]
    queued = shop.json("orders", "cancel", "P2", "--reason", "mistaken")["refund_ids"][0]
    resolved = shop.json("refunds", "resolve", str(queued), "--succeeded", "--outside", "cash", "--note", "现金退了")
    assert resolved["refund_ids"] == [queued] and resolved["order_nos"] == ["P2"]


@pytest.mark.sqlite_only(reason="the command line's reading of a typed time")
def test_paid_at_takes_the_forms_an_import_reads(shop: Cli) -> None:  # noqa: F811
    """A payment time copied from the older system's screen (2026年11月18日 9时05分, 下午 1:00) is
    read as its export's would be; a date alone or nonsense is a usage error."""
    from datetime import datetime, timedelta

    from kashop_desktop.domain.clock import SHOP_TZ

    created = datetime.fromisoformat(shop.json("orders", "show", "U2")["created_at"])
    paid = (created + timedelta(minutes=5)).astimezone(SHOP_TZ).replace(second=0)
    typed = f"{paid.year}年{paid.month}月{paid.day}日 {paid.hour}时{paid.minute:02d}分"
    line = shop("orders", "mark-paid", "U2", "--trade-no", "T-CN-TIME", "--paid-at", typed, "--no-deliver", "--yes").stdout
    assert "未发货（--no-deliver" in line
    assert datetime.fromisoformat(shop.json("orders", "show", "U2")["paid_at"]) == paid
    for bad, said in ((f"{paid:%Y-%m-%d}", "只有日期，没有时刻"), ("昨天下午", "时间格式不对")):
        proc = shop("orders", "mark-paid", "U1", "--trade-no", "T-BAD", "--paid-at", bad, "--yes", code=2)
        assert said in proc.stderr and "Traceback" not in proc.stderr
