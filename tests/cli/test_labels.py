"""The Chinese (and English) command line prints labels, never raw codes; --json keeps the codes."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kashop_desktop.cli.main import main
from kashop_desktop.domain.order import ReasonCode

from .conftest import Build, build_demo

pytestmark = [pytest.mark.usefixtures("store_kind"),
              pytest.mark.sqlite_only(reason="the command line's words, exit statuses and files; its rules run on both stores in tests/services, and the PostgreSQL wiring in the tests kept on both")]

RAW_CODES = re.compile(r"\b(open|approved|auto_approved|payment_issue|not_needed|outside_cooling_off|owner|buyer|"
                       r"created|request_opened|pending_payment|queued|succeeded|failed|unknown|expired)\b")


@pytest.fixture
def shop(built_shop: Callable[[str, Build], Path]) -> Path:
    return built_shop("demo80", build_demo(80))


def run(capsys: Any, *argv: str) -> str:
    assert main(list(argv)) == 0
    return str(capsys.readouterr().out)


def test_chinese_output_has_labels_not_codes(shop: Path, capsys: Any) -> None:
    d = str(shop)
    listed = run(capsys, "requests", "list", "--data-dir", d)
    assert "待审核" in listed and "支付方式错误" in listed and "需人工审核" in listed
    shown = run(capsys, "orders", "show", _first_scenario(capsys, d), "--data-dir", d)
    assert "下单" in shown and "买家" in shown and "支付成功" in shown
    for text in (listed, shown, run(capsys, "refunds", "list", "--data-dir", d), run(capsys, "sweep", "--data-dir", d)):
        assert not RAW_CODES.search(text.replace("KSD", "").replace("KS", "")), text
    assert "超时关闭" in run(capsys, "sweep", "--data-dir", d)


def test_english_output_has_english_labels_and_json_keeps_codes(shop: Path, capsys: Any) -> None:
    d = str(shop)
    listed = run(capsys, "requests", "list", "--data-dir", d, "--lang", "en")
    assert "waiting for review" in listed and ReasonCode.PAYMENT_ISSUE.en in listed
    assert "待审核" not in listed
    codes = json.loads(run(capsys, "requests", "list", "--data-dir", d, "--json"))
    assert {r["state"] for r in codes} >= {"open"} and "payment_issue" in {r["reason"] for r in codes}


def test_the_sandbox_test_names_its_scenario_in_words(shop: Path, capsys: Any) -> None:
    out = run(capsys, "gateways", "test", "沙箱", "--data-dir", str(shop))
    assert "退款立即成功" in out and "refunds succeed at once" in out and "success" not in out.replace("succeed", "")


def _first_scenario(capsys: Any, d: str) -> str:
    rows = json.loads(run(capsys, "requests", "list", "--data-dir", d, "--json"))
    return str(rows[0]["order_no"])


def test_codes_reveal_prints_the_code_and_logs_it(shop: Path, capsys: Any) -> None:
    d = str(shop)
    delivered = json.loads(run(capsys, "orders", "list", "--status", "delivered", "--data-dir", d, "--json"))
    order_no = next(o["order_no"] for o in delivered["orders"] if o["product_type"] == "card_code")
    assert main(["codes", "reveal", order_no, "--data-dir", d]) == 0
    out = capsys.readouterr()
    assert out.out.strip() and "*" not in out.out and "查看卡密" in out.err
    shown = json.loads(run(capsys, "orders", "show", order_no, "--data-dir", d, "--json"))
    assert shown["events"][-1]["action"] == "reveal_code" and shown["events"][-1]["actor"] == "owner"
    code = out.out.strip().splitlines()[0]
    assert shown["card_code_masked"].splitlines()[0].endswith(code[-4:]) and code not in shown["card_code_masked"]
    assert main(["codes", "reveal", "NO-SUCH-ORDER", "--data-dir", d]) == 1
