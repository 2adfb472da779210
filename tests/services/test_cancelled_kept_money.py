"""A cancelled order whose money was never refunded (an older system's 已取消 imported with the
money paid and 退款金额 0) can have that money returned the original way: the owner's cancel
(or an approved request) queues its refund, the order stays 已取消, and nothing is counted twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from kashop_desktop.domain.errors import DomainError
from kashop_desktop.domain.order import ReasonCode
from kashop_desktop.services import orders as ops
from kashop_desktop.services import requests as reqs
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.imports import import_file
from kashop_desktop.services.maintenance import check
from kashop_desktop.store.models import Buyer, CancelRequest, Order, Refund

from .helpers import sandbox, send_refunds

HEADER = "订单号,下单时间,商品,商品类型,实付金额,状态,支付时间,支付方式,网关,交易号,买家,退款金额"


def _imported(desk: Desk, tmp_path: Path, refunded: str = "0") -> Order:
    account = sandbox(desk)  # the account the older system's payment came through
    name = desk.db.execute_sql("SELECT name FROM gateway_account WHERE id = ?", (account,)).fetchone()[0]
    path = tmp_path / "old.csv"
    path.write_text(f"{HEADER}\nKS9001,2026-11-17 09:00,腾讯视频月卡,直充,25.00,已取消,2026-11-17 09:01,支付宝,{name},"
                    f"2026111722001234,13800138000,{refunded}\n", encoding="utf-8")
    report = import_file(desk, path)
    assert report.inserted == 1, report.problems
    order = Order.get(Order.order_no == "KS9001")
    assert (order.status, order.paid_fen, order.gateway_id) == ("cancelled", 25_00, account)
    assert order.refunded_fen == {"0": 0, "10.00": 10_00, "25.00": 25_00}[refunded]
    return order


def _cancels(desk: Desk) -> int:
    return int(Buyer.get(Buyer.contact == "13800138000").cancel_count)


def test_the_owners_cancel_returns_the_money_kept_and_the_order_stays_cancelled(desk: Desk, tmp_path: Path) -> None:
    before = _imported(desk, tmp_path)
    cancels = _cancels(desk)
    reqs.cancel_order(desk, "KS9001", ReasonCode.NOT_NEEDED, "旧系统取消时未退款")
    order = Order.get_by_id(before.id)
    refund = Refund.get(Refund.order == order.id)
    assert (order.status, order.refund_pending_fen, refund.gross_fen, refund.state, refund.gateway_id) == (
        "cancelled", 25_00, 25_00, "queued", before.gateway_id)
    assert order.cancelled_at == before.cancelled_at  # cancelled when it was, not again
    assert _cancels(desk) == cancels  # the buyer's cancellations are not counted twice
    with pytest.raises(DomainError) as again:  # nothing left to return
        reqs.cancel_order(desk, "KS9001", ReasonCode.NOT_NEEDED)
    assert again.value.code == "already_cancelled"

    send_refunds(desk)
    order = Order.get_by_id(before.id)
    assert (order.status, order.refunded_fen, order.refund_pending_fen) == ("cancelled", 25_00, 0)
    assert Refund.get_by_id(refund.id).state == "succeeded"
    assert check(desk).ok


def test_a_request_for_the_money_kept_waits_for_the_owner(desk: Desk, tmp_path: Path) -> None:
    _imported(desk, tmp_path, refunded="10.00")
    changes, request_id = reqs.open_request(desk, "KS9001", ReasonCode.MISTAKEN, note="买家来要钱")
    assert request_id is not None and not changes.refund_ids  # never approved by the rules alone
    request = CancelRequest.get_by_id(request_id)
    assert request.state == "open" and "cancelled_not_refunded" in request.decision_reasons
    with pytest.raises(DomainError) as too_much:
        reqs.approve(desk, request_id, amount_fen=15_01)
    assert too_much.value.code == "amount_out_of_bounds"
    reqs.approve(desk, request_id)
    refund = Refund.get(Refund.request == request_id)
    assert refund.gross_fen == 15_00  # what was kept: 25.00 paid, 10.00 refunded by the older system
    assert check(desk).ok


def test_an_order_whose_money_went_back_is_still_refused(desk: Desk, tmp_path: Path) -> None:
    _imported(desk, tmp_path, refunded="25.00")
    with pytest.raises(DomainError) as refused:
        reqs.cancel_order(desk, "KS9001", ReasonCode.NOT_NEEDED)
    assert refused.value.code == "already_cancelled"
    assert not Refund.select().exists()


def test_restoring_before_the_refund_is_sent_withdraws_it(desk: Desk, tmp_path: Path) -> None:
    before = _imported(desk, tmp_path)
    reqs.cancel_order(desk, "KS9001", ReasonCode.NOT_NEEDED)
    ops.restore(desk, "KS9001")
    order = Order.get_by_id(before.id)
    assert (order.status, order.refund_pending_fen, order.refunded_fen) == ("paid", 0, 0)
    assert Refund.get(Refund.order == order.id).state == "withdrawn"
    assert check(desk).ok


def test_the_import_warns_of_each_cancelled_order_whose_money_was_kept(desk: Desk, tmp_path: Path) -> None:
    head = "订单号,下单时间,商品,商品类型,实付金额,状态,支付时间,支付方式,交易号,买家,退款金额"
    rows = [f"KS{n},2026-11-17 09:00,腾讯视频月卡,直充,25.00,已取消,{paid},支付宝,{trade},13800138000,{refunded}"
            for n, paid, trade, refunded in [(1, "2026-11-17 09:01", "T1", "0"), (2, "2026-11-17 09:01", "T2", "10.00"),
                                             (3, "2026-11-17 09:01", "T3", "25.00"), (4, "", "", "")]]
    path = tmp_path / "old.csv"
    path.write_text("\n".join([head, *rows]) + "\n", encoding="utf-8")
    report = import_file(desk, path)
    assert report.inserted == 4
    kept = [(w.row, w.zh) for w in report.warnings if w.column == "refunded_amount"]
    assert [row for row, _ in kept] == [2, 3]  # KS1 kept 25.00, KS2 15.00; KS3 refunded it all; KS4 never paid
    assert "¥25.00" in kept[0][1] and "¥15.00" in kept[1][1] and "orders cancel" in kept[0][1]
