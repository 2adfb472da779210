"""``orders new`` as a subprocess beside a fake gateway on loopback."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import segno

from kashop_desktop.gateways.fakes import fake_class
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.gateways import save_account
from kashop_desktop.store.models import CardCode, Order

from ..services.helpers import product
from .test_cli import Cli

pytestmark = pytest.mark.usefixtures("store_kind")  # on both stores: the file and a PostgreSQL server (tests/conftest.py)

PRODUCT = "王者荣耀点券 680点"


@pytest.fixture
def alipay(desk: Desk) -> Iterator[Any]:
    server = fake_class("alipay")().start()
    try:
        save_account(desk, "支付宝", "alipay", server.account_config("alipay"))
        product(desk, codes=3)
        yield server
    finally:
        server.stop()


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def test_gateway_sale_prints_the_qr_and_saves_it(desk: Desk, data_dir: Path, alipay: Any, tmp_path: Path) -> None:
    cli = Cli(data_dir)
    png = tmp_path / "qr.png"
    out = cli.json("orders", "new", "--product", PRODUCT, "--qty", "2", "--buyer", "+86 138-0013-8000",
                   "--gateway", "支付宝", "--qr-png", str(png))
    no = out["order_no"]
    assert out["amount_fen"] == 2 * 68_00 and out["status"] == "pending_payment"
    assert out["qr"] and alipay.ledger.payments[no].amount_fen == 2 * 68_00
    size = segno.make(out["qr"], error="m", micro=False).symbol_size(scale=8, border=4)
    assert png_size(png) == size and size[0] >= 240  # square, quiet zone included
    assert Order.get(Order.order_no == no).buyer_key == "13800138000"
    assert f"QR payload {out['qr']}" in cli("orders", "show", no, "--lang", "en").stdout  # to send it again
    httpx.post(f"{alipay.url}__fake__/pay", json={"out_trade_no": no}, timeout=5).raise_for_status()
    cli("payments", "sync", "--order", no)
    assert Order.get(Order.order_no == no).status == "delivered"
    text = cli("orders", "new", "--product", PRODUCT, "--buyer", "qq 12345678", "--gateway", "支付宝", "--lang", "en")
    assert "QR payload" in text.stdout and "payments sync --order" in text.stderr


def test_manual_sale_delivers_and_shows_codes_only_when_asked(desk: Desk, data_dir: Path) -> None:
    product(desk, codes=2)
    cli = Cli(data_dir)
    out = cli.json("orders", "new", "--product", PRODUCT, "--buyer", "13800138000", "--manual", "cash",
                   "--show-codes")
    assert out["status"] == "delivered" and out["delivered"] and len(out["codes"]) == 1
    assert out["codes"][0].startswith("CODE-") and out["trade_no"] == f"CASH-{out['order_no']}"
    quiet = cli("orders", "new", "--product", PRODUCT, "--buyer", "13800138000", "--manual", "bank_transfer",
                "--reference", "TR-1")
    assert "CODE-" not in quiet.stdout and "codes reveal" in quiet.stderr and "已发货" in quiet.stdout


def test_a_manual_sale_that_cannot_show_its_code_is_refused_before_it_is_made(desk: Desk, data_dir: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """--show-codes with the vault locked: refused before anything is written (it sold and
    delivered, then failed, and a retry sold and delivered a second time)."""
    product(desk, codes=2)
    cli = Cli(data_dir)
    monkeypatch.delenv("KASHOP_VAULT_PASSPHRASE")
    for attempt in range(2):
        refused = cli("orders", "new", "--product", PRODUCT, "--buyer", "13900000013", "--manual", "cash",
                      "--show-codes", code=1)
        assert "保险箱" in refused.stderr and "Traceback" not in refused.stderr, attempt
    assert Order.select().count() == 0 and CardCode.select().where(CardCode.state == "delivered").count() == 0


def test_refusals_say_why_and_write_nothing(desk: Desk, data_dir: Path, alipay: Any, tmp_path: Path) -> None:
    cli = Cli(data_dir)
    short = cli("orders", "new", "--product", PRODUCT, "--qty", "4", "--buyer", "13800138000", "--gateway", "支付宝",
                code=1)
    assert "只剩 3 件" in short.stderr and "3 left" in short.stderr and "Traceback" not in short.stderr
    bad_buyer = cli("orders", "new", "--product", PRODUCT, "--buyer", "138-0013-800", "--manual", "cash", code=2)
    assert "--buyer" in bad_buyer.stderr and "not a valid phone number" in bad_buyer.stderr
    cli("orders", "new", "--product", PRODUCT, "--qty", "0", "--buyer", "13800138000", "--manual", "cash", code=2)
    nowhere = cli("orders", "new", "--product", PRODUCT, "--buyer", "13800138000", "--gateway", "支付宝",
                  "--qr-png", str(tmp_path / "missing" / "qr.png"), code=2)
    assert "--qr-png" in nowhere.stderr
    cli("orders", "new", "--product", PRODUCT, "--buyer", "13800138000", code=2)  # no payment path
    ignored = cli("orders", "new", "--product", PRODUCT, "--buyer", "13800138000", "--gateway", "支付宝",
                  "--reference", "X1", code=2)  # a gateway's trade no is its own: not silently dropped
    assert "--reference" in ignored.stderr
    cli("orders", "new", "--product", "没有的商品", "--buyer", "13800138000", "--manual", "cash", code=1)
    assert Order.select().count() == 0 and CardCode.select().where(CardCode.state == "available").count() == 3


def test_a_reference_never_takes_the_desks_own_trade_no_form(desk: Desk, data_dir: Path) -> None:
    product(desk, codes=3)
    cli = Cli(data_dir)
    for form in ("CASH-", "cash-", "WALLET-", "Bank_Transfer-"):
        refused = cli("orders", "new", "--product", PRODUCT, "--buyer", "13800138000", "--manual", "bank_transfer",
                      "--reference", f"{form}KS202611290000002", code=2)
        assert "--reference" in refused.stderr and "本店" in refused.stderr and "Traceback" not in refused.stderr
    assert Order.select().count() == 0


def test_the_desks_own_manual_trade_nos_are_always_free(desk: Desk, data_dir: Path) -> None:
    from kashop_desktop.services.sale import SaleInput, create_order, next_order_no

    product(desk, codes=3)
    desk.set_clock(None)
    first = create_order(desk, SaleInput(PRODUCT, 1, "13800138000", manual="bank_transfer", reference="TR-OLD"),
                         confirmed=True)
    # The older order holds the form the next cash sale's trade no takes (a reference from before
    # references were checked).
    taken = f"CASH-{next_order_no(desk.now())}"
    Order.update(gateway_trade_no=taken).where(Order.order_no == first.order_no).execute()
    cli = Cli(data_dir)
    for _ in range(2):
        out = cli.json("orders", "new", "--product", PRODUCT, "--buyer", "13800138000", "--manual", "cash")
        assert out["status"] == "delivered" and out["trade_no"].startswith(f"CASH-{out['order_no']}")
    nos = [o.gateway_trade_no for o in Order.select()]
    assert len(set(nos)) == 3 and taken in nos


def test_two_processes_at_once_draw_different_order_nos(desk: Desk, data_dir: Path) -> None:
    product(desk, codes=10)
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    args = [sys.executable, "-m", "kashop_desktop", "orders", "new", "--product", PRODUCT, "--buyer", "13800138000",
            "--manual", "cash", "--json", "--data-dir", str(data_dir)]
    procs = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for _ in range(3)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outs
    nos = {line.split('"')[3] for out, _err in outs for line in out.splitlines() if '"order_no"' in line}
    assert len(nos) == 3


def test_help_in_both_languages(data_dir: Path) -> None:
    cli = Cli(data_dir)
    assert "新建订单" in cli("orders", "new", "--help").stdout
    assert "a sale at the desk" in cli("orders", "new", "--help", "--lang", "en").stdout


def test_a_bank_transfer_sale_is_shown_as_a_bank_transfer(desk: Desk, data_dir: Path) -> None:
    product(desk, codes=2)
    cli = Cli(data_dir)
    out = cli.json("orders", "new", "--product", PRODUCT, "--buyer", "13800138000", "--manual", "bank_transfer",
                   "--reference", "TR-20261129-01")
    shown = cli("orders", "show", out["order_no"])
    assert "银行转账" in shown.stdout and "银行卡" not in shown.stdout
    assert Order.get(Order.order_no == out["order_no"]).channel == "bank_transfer"


def test_cancel_of_a_qr_sale_the_buyer_paid_meanwhile_says_it_is_not_cancelled(desk: Desk, data_dir: Path,
                                                                                alipay: Any) -> None:
    """The close at the cancel finds the buyer's payment: the order is paid and delivered, not
    cancelled; the command says so, names the way to refund, and exits 1 (it said 已取消, exit 0)."""
    cli = Cli(data_dir)
    no = cli.json("orders", "new", "--product", PRODUCT, "--buyer", "13800138000", "--gateway", "支付宝")["order_no"]
    httpx.post(f"{alipay.url}__fake__/pay", json={"out_trade_no": no}, timeout=5).raise_for_status()
    out = cli("orders", "cancel", no, "--reason", "mistaken", code=1)
    assert f"已取消 {no}" not in out.stdout and "没有取消" in out.stderr and f"requests open {no}" in out.stderr
    assert Order.get(Order.order_no == no).status == "delivered"


def test_one_bank_transfer_cannot_pay_two_sales_by_being_typed_another_way(desk: Desk, data_dir: Path) -> None:
    product(desk, codes=3)
    cli = Cli(data_dir)
    first = cli.json("orders", "new", "--product", PRODUCT, "--buyer", "13100131004", "--manual", "bank_transfer",
                     "--reference", "ＢＴ-0002")
    assert first["trade_no"] == "BT-0002"
    for typed in ("BT-0002", "bt-0002"):
        again = cli("orders", "new", "--product", PRODUCT, "--buyer", "13100131004", "--manual", "bank_transfer",
                    "--reference", typed, code=1)
        assert first["order_no"] in again.stderr, typed
    assert Order.select().count() == 1
