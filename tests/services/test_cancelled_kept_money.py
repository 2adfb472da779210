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


def _imported(desk: Desk, tmp_path: Path, refunded: str = "0", scenario: str = "success") -> Order:
    account = sandbox(desk, scenario)  # the account the older system's payment came through
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
    assert too_much.value.code == "amount_out_of_bounds" and "¥15.00 refundable" in too_much.value.en
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


def _export(tmp_path: Path, name: str, refunded: str, status: str = "已取消", paid: str = "30.00") -> Path:
    path = tmp_path / name
    path.write_text(f"{HEADER}\nD01,2026-11-17 10:00,月卡,卡密,{paid},{status},2026-11-17 10:01,支付宝,沙箱,TD01,"
                    f"13800138000,{refunded}\n", encoding="utf-8")
    return path


def test_a_later_export_saying_more_was_refunded_is_refused_not_refunded_twice(desk: Desk, tmp_path: Path) -> None:
    assert import_file(desk, _export(tmp_path, "d1.csv", "0")).inserted == 1
    later = import_file(desk, _export(tmp_path, "d2.csv", "30"))  # the older system refunded it after all
    assert (later.unchanged, later.refused) == (0, 1)
    problem = later.problems[0]
    assert problem.column == "refunded_amount" and "¥0.00" in problem.zh and "¥30.00" in problem.zh
    assert "refunds record D01 --amount 30.00 --how other" in problem.zh
    order = Order.get(Order.order_no == "D01")
    assert (order.refunded_fen, order.refund_pending_fen) == (0, 0)
    # The stale export again, and one older than a refund the desk made itself: nothing to do.
    assert import_file(desk, _export(tmp_path, "d1.csv", "0")).unchanged == 1
    reqs.cancel_order(desk, "D01", ReasonCode.NOT_NEEDED)
    send_refunds(desk)
    assert Order.get(Order.order_no == "D01").refunded_fen == 30_00
    assert import_file(desk, _export(tmp_path, "d1.csv", "0")).unchanged == 1
    # The older system refunded it too: the buyer has had it twice, and the desk says so.
    twice = import_file(desk, _export(tmp_path, "d3.csv", "30"))
    assert twice.refused == 1 and "本店自己另已退 ¥30.00" in twice.problems[0].zh
    assert "more than was paid" in twice.problems[0].en and "买家多收了钱" in twice.problems[0].zh


def test_a_part_refunded_order_refunded_further_outside_is_refused(desk: Desk, tmp_path: Path) -> None:
    assert import_file(desk, _export(tmp_path, "p1.csv", "10", status="部分退款", paid="60.00")).inserted == 1
    again = import_file(desk, _export(tmp_path, "p2.csv", "20", status="部分退款", paid="60.00"))
    assert again.refused == 1 and again.problems[0].column == "refunded_amount"
    assert Order.get(Order.order_no == "D01").refunded_fen == 10_00


def test_a_paid_cancelled_row_of_nothing_paid_is_refused_as_a_paid_one_is(desk: Desk, tmp_path: Path) -> None:
    head = "订单号,下单时间,商品,商品类型,原价,优惠券,实付金额,状态,支付时间,支付方式,交易号,买家,退款金额"
    path = tmp_path / "zero.csv"
    path.write_text("\n".join([
        head,
        "Z1,2026-11-17 09:00,月卡,卡密,,,0.00,已取消,2026-11-17 09:01,支付宝,T1,13800138000,0",
        "Z2,2026-11-17 09:00,月卡,卡密,,,0.00,已支付,2026-11-17 09:01,支付宝,T2,13800138000,",
        "Z3,2026-11-17 09:00,月卡,卡密,5.00,5.00,0.00,已取消,2026-11-17 09:01,支付宝,T3,13800138000,0",  # a coupon paid it
        "Z4,2026-11-17 09:00,月卡,卡密,5.00,,0.00,已取消,,支付宝,,13800138000,",  # never paid: 0 until paid
    ]) + "\n", encoding="utf-8")
    report = import_file(desk, path)
    assert sorted((p.row, p.column) for p in report.problems) == [(2, "paid_amount"), (3, "paid_amount")]
    assert report.inserted == 2


@pytest.mark.parametrize("dry_run", [False, True], ids=["import", "dry-run"])
def test_a_row_paid_in_a_channel_its_account_does_not_take_is_refused(desk: Desk, tmp_path: Path,
                                                                       dry_run: bool) -> None:
    """The shop's wallet (余额) takes wallet payments only: a WeChat payment said to have come
    through it would be refunded into the wallet. The sandbox takes any channel."""
    path = tmp_path / "routes.csv"
    path.write_text("\n".join([
        HEADER,
        "R1,2026-11-17 09:00,月卡,卡密,50.00,已取消,2026-11-17 09:01,微信,余额,WE2,13800138000,0",
        "R2,2026-11-17 09:00,月卡,卡密,50.00,已支付,2026-11-17 09:01,支付宝,余额,WE3,13800138000,",
        "R3,2026-11-17 09:00,月卡,卡密,50.00,已支付,2026-11-17 09:01,余额,余额,WE4,13800138000,",
        "R4,2026-11-17 09:00,月卡,卡密,50.00,已支付,2026-11-17 09:01,微信,沙箱,WE5,13800138000,",
        "R5,2026-11-17 09:00,月卡,卡密,50.00,已支付,2026-11-17 09:01,,余额,WE6,13800138000,",
    ]) + "\n", encoding="utf-8")
    report = import_file(desk, path, dry_run=dry_run)
    assert sorted((p.row, p.column) for p in report.problems) == [(2, "channel"), (3, "channel")]
    assert "余额" in report.problems[0].zh and "WeChat Pay" in report.problems[0].en
    assert report.inserted == 3


def test_a_failed_refund_covered_since_by_a_new_one_cannot_be_sent_again(desk: Desk, tmp_path: Path) -> None:
    """The kept money's refund is refused by the gateway; the owner returns it by a new approval;
    sending the failed one again would pay the buyer twice, and is refused naming the amounts."""
    from kashop_desktop.services import refund_owner
    from kashop_desktop.services.gateways import save_account

    before = _imported(desk, tmp_path, scenario="reject")
    reqs.cancel_order(desk, "KS9001", ReasonCode.NOT_NEEDED)
    send_refunds(desk)
    failed = Refund.get(Refund.order == before.id)
    assert failed.state == "failed" and Order.get_by_id(before.id).refund_pending_fen == 0
    save_account(desk, "sandbox-reject", "sandbox", {"scenario": "success"}, replace=True)  # it takes refunds again
    reqs.cancel_order(desk, "KS9001", ReasonCode.NOT_NEEDED)  # the money is refundable again
    with pytest.raises(DomainError) as again:
        refund_owner.retry(desk, failed.id)
    assert again.value.code == "refund_exceeds_refundable" and "¥25.00" in again.value.zh and "¥0.00" in again.value.zh
    send_refunds(desk)
    order = Order.get_by_id(before.id)
    assert (order.refunded_fen, order.refund_pending_fen, order.status) == (25_00, 0, "cancelled")
    assert check(desk).ok


def test_a_refund_the_desk_has_on_its_way_is_named_when_the_file_says_the_money_went_back(
        desk: Desk, tmp_path: Path) -> None:
    assert import_file(desk, _export(tmp_path, "d1.csv", "0")).inserted == 1
    reqs.cancel_order(desk, "D01", ReasonCode.NOT_NEEDED)  # queued, not sent yet
    later = import_file(desk, _export(tmp_path, "d2.csv", "30"))
    assert later.refused == 1
    problem = later.problems[0]
    assert "¥30.00 正在由本店退款" in problem.zh and "refunds resolve" in problem.en and "--outside" in problem.en
    # Done as it says: the refund the desk queued was the older system's; the export then agrees.
    from kashop_desktop.domain.refund_states import OutsideMethod
    from kashop_desktop.services import refund_owner

    refund = Refund.get(Refund.order == Order.get(Order.order_no == "D01").id)
    refund_owner.resolve_manually(desk, refund.id, True, "旧系统已退", how=OutsideMethod.OTHER)
    assert import_file(desk, _export(tmp_path, "d2.csv", "30")).unchanged == 1
    assert check(desk).ok


def test_a_desk_refund_of_another_amount_is_not_offered_as_the_older_systems(desk: Desk, tmp_path: Path) -> None:
    """¥30 queued at the desk, and the older system refunded ¥4: recording the ¥30 as the older
    system's would say ¥30 went back when the buyer got ¥4. The refusal gives the steps that keep
    the money true, and they work: fail the unsent ¥30, record the ¥4, refund the ¥26 left."""
    from kashop_desktop.domain.refund_states import OutsideMethod
    from kashop_desktop.services import refund_owner

    assert import_file(desk, _export(tmp_path, "d1.csv", "0")).inserted == 1
    reqs.cancel_order(desk, "D01", ReasonCode.NOT_NEEDED)  # queued, not sent yet
    problem = import_file(desk, _export(tmp_path, "d2.csv", "4")).problems[0]
    assert "金额不同" in problem.zh and "--failed" in problem.en and "refunds record D01 --amount 4.00" in problem.en
    assert "--succeeded" not in problem.en
    queued = Refund.get(Refund.order == Order.get(Order.order_no == "D01").id)
    refund_owner.resolve_manually(desk, queued.id, False, "旧系统已退 4 元，本店这笔作废")
    reqs.record_outside(desk, "D01", 4_00, OutsideMethod.OTHER, "旧系统已退 4 元")
    assert import_file(desk, _export(tmp_path, "d2.csv", "4")).unchanged == 1
    reqs.cancel_order(desk, "D01", ReasonCode.NOT_NEEDED)  # the rest, by the original route
    send_refunds(desk)
    order = Order.get(Order.order_no == "D01")
    assert (order.refunded_fen, order.refund_pending_fen, order.status) == (30_00, 0, "cancelled")
    assert sorted(r.gross_fen for r in Refund.select().where(Refund.state == "succeeded")) == [4_00, 26_00]
    assert check(desk).ok


def test_a_newer_export_with_an_older_system_refund_beside_the_desks_own_is_refused(desk: Desk, tmp_path: Path) -> None:
    """Completed when imported; the desk refunded ¥10.50 itself; a newer export says the older
    system refunded ¥10.00: that is another refund, not the desk's (the buyer has had both)."""
    assert import_file(desk, _with_delivery(_export(tmp_path, "f1.csv", "", status="已完成", paid="30.50"))).inserted == 1
    _, request_id = reqs.open_request(desk, "D01", ReasonCode.MERCHANT_FAULT, amount_fen=10_50)
    assert request_id is not None
    reqs.approve(desk, request_id)
    send_refunds(desk)
    assert Order.get(Order.order_no == "D01").refunded_fen == 10_50
    newer = import_file(desk, _with_delivery(_export(tmp_path, "f2.csv", "10", status="部分退款", paid="30.50")))
    assert newer.refused == 1 and newer.problems[0].column == "refunded_amount"
    assert "本店自己另已退 ¥10.50" in newer.problems[0].zh


def _with_delivery(path: Path) -> Path:
    """The export's row with a delivery time (a delivered order's), header and all."""
    head, row = path.read_text(encoding="utf-8").splitlines()[:2]
    cells = row.split(",")
    cells.insert(7, "2026-11-17 10:02")
    path.write_text(head.replace("支付时间,", "支付时间,发货时间,") + "\n" + ",".join(cells) + "\n", encoding="utf-8")
    return path


def test_a_re_import_after_the_desk_refunded_it_does_not_warn_of_money_kept(desk: Desk, tmp_path: Path) -> None:
    import_file(desk, _export(tmp_path, "d1.csv", "0"))
    reqs.cancel_order(desk, "D01", ReasonCode.NOT_NEEDED)
    send_refunds(desk)
    again = import_file(desk, _export(tmp_path, "d1.csv", "0"))
    assert again.unchanged == 1 and not [w for w in again.warnings if w.column == "refunded_amount"]


def test_a_cancelled_refund_row_says_a_refund_outside_not_backwards(desk: Desk, tmp_path: Path) -> None:
    import_file(desk, _export(tmp_path, "d1.csv", "0"))
    refunded = import_file(desk, _export(tmp_path, "d2.csv", "30", status="已退款"))
    problem = refunded.problems[0]
    assert problem.column == "status" and "本店之外" in problem.zh and "backwards" not in problem.en


def test_a_delivered_then_cancelled_row_is_pointed_to_a_dispute(desk: Desk, tmp_path: Path) -> None:
    report = import_file(desk, _with_delivery(_export(tmp_path, "c3.csv", "0")))
    warned = [w for w in report.warnings if w.column == "refunded_amount"]
    assert len(warned) == 1 and "售后争议" in warned[0].zh and "orders cancel" not in warned[0].zh


def test_a_payment_of_an_unpaid_order_keeps_a_route_its_account_takes(desk: Desk, tmp_path: Path) -> None:
    """The row paying it gives no channel (the stored one stays) and names the wallet: refused, as
    the refund would go to the wallet; naming a gateway the shop has not, it has no account."""
    head = "订单号,下单时间,商品,商品类型,实付金额,状态,支付时间,支付方式,网关,交易号,买家"
    unpaid = tmp_path / "unpaid.csv"
    unpaid.write_text(f"{head}\nU1,2026-11-17 09:00,月卡,卡密,30.00,待支付,,支付宝,沙箱,,13800138000\n"
                      f"U2,2026-11-17 09:00,月卡,卡密,30.00,待支付,,余额,余额,,13800138000\n"
                      f"U3,2026-11-17 09:00,月卡,卡密,30.00,待支付,,余额,余额,,13800138000\n", encoding="utf-8")
    assert import_file(desk, unpaid).inserted == 3
    paid = tmp_path / "paid.csv"
    paid.write_text(f"{head}\nU1,2026-11-17 09:00,月卡,卡密,30.00,已支付,2026-11-17 09:05,,余额,P1,13800138000\n"
                    f"U2,2026-11-17 09:00,月卡,卡密,30.00,已支付,2026-11-17 09:05,微信,,P2,13800138000\n"
                    f"U3,2026-11-17 09:00,月卡,卡密,30.00,已支付,2026-11-17 09:05,微信,老易支付,P3,13800138000\n",
                    encoding="utf-8")
    report = import_file(desk, paid)
    assert sorted((p.row, p.column) for p in report.problems) == [(2, "channel"), (3, "channel")]
    first, second = sorted(report.problems, key=lambda p: p.row)
    assert "文件未写支付方式" in first.zh and "no channel" in first.en  # U1's channel is the desk's
    assert "文件未写网关" in second.zh and "no gateway" in second.en  # U2's account is the desk's
    assert report.updated == 1
    u3 = Order.get(Order.order_no == "U3")
    assert (u3.channel, u3.gateway_id, u3.gateway_trade_no) == ("wechat", None, "P3")


def test_a_restored_card_code_order_with_no_code_joins_the_backorder_queue_in_its_turn(desk: Desk, tmp_path: Path) -> None:
    """An imported paid 已取消 (its money kept, never holding a code) restored while the shelf is
    empty waits in the backorder queue, so the next code goes to it, not to a later order."""
    from kashop_desktop.services.code_import import import_codes

    path = tmp_path / "old.csv"
    path.write_text(f"{HEADER}\nB7,2026-11-17 09:30,月卡,卡密,10.00,已取消,2026-11-17 09:31,支付宝,沙箱,T7,13800138000,0\n",
                    encoding="utf-8")
    sandbox(desk, "success")
    assert import_file(desk, path).inserted == 1
    ops.restore(desk, "B7", note="买家还要")
    b7 = Order.get(Order.order_no == "B7")
    assert (b7.status, b7.backorder_at is not None) == ("paid", True)
    import_codes(desk, "月卡", ["CODE-ONLY-ONE-0001"])
    assert Order.get(Order.order_no == "B7").delivered_at is not None
    assert check(desk).ok


def test_an_older_system_refund_beside_the_desks_own_is_recorded_so_the_desk_does_not_offer_it(
        desk: Desk, tmp_path: Path) -> None:
    """Delivered ¥50, the desk refunded ¥20; the older system's export says it refunded ¥20 too.
    The refusal's step (record the older system's refund) leaves ¥10 refundable, not ¥30, and the
    export then agrees."""
    assert import_file(desk, _with_delivery(_export(tmp_path, "k1.csv", "", status="已发货", paid="50.00"))).inserted == 1
    _, request_id = reqs.open_request(desk, "D01", ReasonCode.MERCHANT_FAULT, amount_fen=20_00)
    if CancelRequest.get_by_id(request_id).state == "open":
        reqs.approve(desk, request_id)
    send_refunds(desk)
    problem = import_file(desk, _with_delivery(_export(tmp_path, "k2.csv", "20", status="部分退款", paid="50.00"))).problems[0]
    assert "refunds record D01 --amount 20.00" in problem.en and "will not refund" not in problem.en
    from kashop_desktop.domain.refund_states import OutsideMethod

    reqs.record_outside(desk, "D01", 20_00, OutsideMethod.OTHER, "旧系统也退了 20")
    order = Order.get(Order.order_no == "D01")
    assert (order.refunded_fen, order.paid_fen - order.refunded_fen - order.refund_pending_fen) == (40_00, 10_00)
    again = import_file(desk, _with_delivery(_export(tmp_path, "k2.csv", "20", status="部分退款", paid="50.00")))
    assert again.unchanged == 1, again.problems


@pytest.mark.parametrize("deliver", [False, True], ids=["restored", "restored-and-delivered"])
def test_the_same_export_after_the_owner_restored_the_order_is_out_of_date_not_refused(
        desk: Desk, tmp_path: Path, deliver: bool) -> None:
    """The import offers restoring a paid 已取消 whose money was kept; once the owner restored it
    (and delivered it), the older system's cancel in the same export is out of date: counted
    unchanged on every import, nothing refunded, never refused."""
    _imported(desk, tmp_path)
    ops.restore(desk, "KS9001")
    if deliver:
        ops.deliver(desk, "KS9001")
    path = tmp_path / "old.csv"
    for _ in range(2):
        report = import_file(desk, path)
        assert (report.refused, report.unchanged) == (0, 1), report.problems
    order = Order.get(Order.order_no == "KS9001")
    assert order.status == ("delivered" if deliver else "paid") and order.refund_pending_fen == 0
    assert send_refunds(desk).picked == 0
    assert check(desk).ok
