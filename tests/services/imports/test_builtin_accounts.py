"""A new shop's first import knows the accounts every shop has (余额, 沙箱): a row paid from the
wallet is stored with the wallet's account, not warned about as an unknown gateway; a dry run
says the same and writes nothing."""

from __future__ import annotations

from pathlib import Path

from kashop_desktop.services.desk import Desk
from kashop_desktop.services.imports import import_file

from .files import write_csv

HEADER = "订单号,下单时间,商品,商品类型,实付金额,状态,支付时间,支付方式,网关,交易号,买家"
ROWS = ["KS1,2026-11-18 09:00,腾讯视频月卡,直充,25.00,已支付,2026-11-18 09:05,余额,余额,,13800138000",
        "KS2,2026-11-18 09:00,腾讯视频月卡,直充,25.00,已支付,2026-11-18 09:05,支付宝,无此网关,20261118220001,13800138001"]


def _accounts(desk: Desk) -> list[str]:
    return [str(name) for (name,) in desk.db.execute_sql("SELECT name FROM gateway_account ORDER BY name")]


def test_the_wallet_is_known_to_a_new_shops_first_import(desk: Desk, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "wallet.csv", [HEADER, *ROWS])
    assert _accounts(desk) == []
    dry = import_file(desk, path, dry_run=True)
    assert _accounts(desk) == []  # a dry run writes nothing
    report = import_file(desk, path)
    for found in (dry, report):
        assert [(w.row, w.column) for w in found.warnings] == [(3, "gateway")]  # only the made-up name
    assert sorted(_accounts(desk)) == sorted(["余额", "沙箱"])
    wallet = desk.db.execute_sql(
        "SELECT o.gateway_id = g.id FROM orders o, gateway_account g WHERE o.order_no = 'KS1' AND g.name = '余额'"
    ).fetchone()[0]
    assert wallet == 1
