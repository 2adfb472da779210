"""Words other 发卡 systems export for a status or a payment channel: read as the desk's where
they mean one thing, refused with the names to use where they do not."""

from __future__ import annotations

from pathlib import Path

import pytest

from kashop_desktop.domain.states import OrderStatus
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.imports import import_file
from kashop_desktop.services.imports.cells import CellError
from kashop_desktop.services.imports.values import read_channel, read_status

from .files import write_csv


@pytest.mark.parametrize(("text", "status"), [("已关闭", OrderStatus.CANCELLED), ("交易关闭", OrderStatus.CANCELLED),
                                              ("交易成功", OrderStatus.COMPLETED), ("已激活", OrderStatus.DELIVERED)])
def test_other_systems_statuses_read_as_the_desks(text: str, status: OrderStatus) -> None:
    assert read_status(text) is status


@pytest.mark.parametrize(("text", "channel"), [("支付宝支付", "alipay"), ("余额支付", "wallet"), ("微信支付", "wechat")])
def test_other_systems_channels_read_as_the_desks(text: str, channel: str) -> None:
    assert read_channel(text) == channel


def test_a_gateway_named_as_the_channel_is_sent_to_the_gateway_column() -> None:
    with pytest.raises(CellError) as gateway:
        read_channel("易支付")
    assert "网关" in gateway.value.zh and "gateway" in gateway.value.en
    with pytest.raises(CellError) as unknown:
        read_channel("QQ钱包")
    assert "支付宝" in unknown.value.zh and "wechat" in unknown.value.en


def test_a_closed_row_is_a_cancellation_and_a_paid_one_still_needs_its_refund(desk: Desk, tmp_path: Path) -> None:
    head = "订单号,下单时间,商品,商品类型,实付金额,状态,支付时间,支付方式,交易号,买家,退款金额"
    path = write_csv(tmp_path / "closed.csv", [
        head,
        "C1,2026-11-17 09:00,月卡,卡密,25.00,已关闭,,支付宝,,13800138000,",
        "C2,2026-11-17 09:00,月卡,卡密,25.00,已关闭,2026-11-17 09:01,支付宝,T2,13800138000,",
        "C3,2026-11-17 09:00,月卡,卡密,25.00,交易成功,2026-11-17 09:01,支付宝,T3,13800138000,",
    ])
    report = import_file(desk, path)
    assert sorted((p.row, p.column) for p in report.problems) == [(3, "refunded_amount"), (4, "delivered_at")]
    assert report.inserted == 1
    assert desk.db.execute_sql("SELECT status FROM orders WHERE order_no = 'C1'").fetchone() == ("cancelled",)


def test_an_unpaid_row_with_a_refunded_amount_is_told_it_has_no_payment(desk: Desk, tmp_path: Path) -> None:
    head = "订单号,下单时间,商品,商品类型,实付金额,状态,支付时间,支付方式,交易号,买家,退款金额"
    path = write_csv(tmp_path / "unpaid.csv", [head, "U1,2026-11-17 09:00,月卡,卡密,25.00,待支付,,支付宝,,13800138000,5.00"])
    [problem] = import_file(desk, path).problems
    assert problem.column == "refunded_amount" and "没有付款" in problem.zh and "no payment" in problem.en
