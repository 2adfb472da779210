"""A warned row's problem carries the cell it is about, as a refused row's does (the summary
and ``--json`` show it): an id that looks cut by Excel, a gateway the shop has no account for."""

from __future__ import annotations

from pathlib import Path

from kashop_desktop.services.desk import Desk
from kashop_desktop.services.imports import import_file

from .files import write_csv

HEADER = "订单号,下单时间,商品,商品类型,实付金额,状态,支付时间,支付方式,网关,交易号,买家"


def test_warnings_name_their_cells(desk: Desk, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "w.csv", [
        HEADER,
        "KS1,2026-11-18 09:00,月卡,直充,25.00,已支付,2026-11-18 09:05,支付宝,,202611180001234000,13800138000",
        "KS2,2026-11-18 09:00,月卡,直充,25.00,已支付,2026-11-18 09:05,支付宝,,,13800138000",
    ])
    report = import_file(desk, path)
    assert report.inserted == 2
    assert [(w.row, w.column, w.value) for w in report.warnings] == [
        (2, "gateway_trade_no", "202611180001234000"), (3, "gateway_trade_no", "")]
