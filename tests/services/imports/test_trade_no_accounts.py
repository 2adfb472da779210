"""One payment pays for one order, whatever account holds it: the import's trade-no look-up
probes only the accounts with an order holding a trade no, and still finds every holder (an
order paid through no account clashes with the same trade no on any account)."""

from __future__ import annotations

from pathlib import Path

from kashop_desktop.services.desk import Desk
from kashop_desktop.services.imports import import_file
from kashop_desktop.services.trade_nos import TradeNoClaims

from .files import write_csv

HEADER = "订单号,下单时间,商品,商品类型,实付金额,状态,支付时间,支付方式,网关,交易号,买家"
PAID = "2026-11-18 09:00,腾讯视频月卡,直充,25.00,已支付,2026-11-18 09:05"


def _row(order_no: str, gateway: str, trade_no: str) -> str:
    channel = "余额" if gateway == "余额" else "支付宝"
    return f"{order_no},{PAID},{channel if gateway else ''},{gateway},{trade_no},1380013{order_no[-4:]}"


def test_a_trade_no_held_on_one_account_is_found_for_rows_of_any(desk: Desk, tmp_path: Path) -> None:
    first = import_file(desk, write_csv(tmp_path / "first.csv", [
        HEADER, _row("KSA0001", "余额", "T-WALLET"), _row("KSA0002", "", "T-NONE")]))
    assert first.inserted == 2
    again = import_file(desk, write_csv(tmp_path / "again.csv", [
        HEADER,
        _row("KSB0001", "", "T-WALLET"),       # no account: clashes with the wallet's
        _row("KSB0002", "余额", "T-NONE"),      # the wallet's: clashes with one of no account
        _row("KSB0003", "余额", "T-WALLET"),    # the same account, the same trade no
        _row("KSB0004", "余额", "T-NEW")]))     # a trade no nobody holds
    refused = {(p.row, p.value) for p in again.problems}
    assert refused == {(2, "T-WALLET"), (3, "T-NONE"), (4, "T-WALLET")}, again.problems
    assert again.refused == 3 and all("已属于订单" in p.zh for p in again.problems)
    assert again.inserted == 1
    held = {str(no): str(t) for no, t in desk.db.execute_sql(
        "SELECT order_no, gateway_trade_no FROM orders WHERE gateway_trade_no IS NOT NULL")}
    assert held == {"KSA0001": "T-WALLET", "KSA0002": "T-NONE", "KSB0004": "T-NEW"}


def test_claims_probe_only_the_accounts_in_use(desk: Desk, tmp_path: Path) -> None:
    import_file(desk, write_csv(tmp_path / "first.csv", [HEADER, _row("KSA0001", "余额", "T-WALLET")]))
    wallet = int(desk.db.execute_sql("SELECT id FROM gateway_account WHERE name = '余额'").fetchone()[0])
    with desk.atomic():
        claims = TradeNoClaims([(None, "T-WALLET"), (wallet, "T-OTHER")])
        assert not claims.clear
        refusal = claims.refusal(None, "T-WALLET", None)
        assert refusal is not None and "KSA0001" in refusal.zh
        assert claims.refusal(wallet, "T-OTHER", None) is None
        assert TradeNoClaims([(None, "T-FREE")]).clear
