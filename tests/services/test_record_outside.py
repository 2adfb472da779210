"""A refund made outside the desk (cash, a bank transfer, an older system) is recorded in one
step: an approved request and its refund, succeeded at once and never queued, so nothing can send
that money a second time; the order's money and status move as a confirmed refund moves them."""

from __future__ import annotations

from pathlib import Path

import pytest

from kashop_desktop.domain.clock import from_epoch
from kashop_desktop.domain.errors import DomainError
from kashop_desktop.domain.order import ReasonCode
from kashop_desktop.domain.refund_states import OutsideMethod
from kashop_desktop.services import requests as reqs
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.imports import import_file
from kashop_desktop.services.maintenance import check
from kashop_desktop.store.models import CancelRequest, Order, OrderEvent, Product, Refund

from .helpers import order, product, sandbox, send_refunds

CASH, OTHER = OutsideMethod.CASH, OutsideMethod.OTHER


def test_a_refund_made_in_cash_is_recorded_succeeded_and_never_sent(desk: Desk) -> None:
    prod = product(desk, stock=10)
    no = order(desk, "paid", paid_fen=68_00, prod=prod)
    stock = Product.get_by_id(prod.id).stock
    changes, refund_id = reqs.record_outside(desk, no, 10_00, CASH, "店里现金退了 10 元")
    refund = Refund.get_by_id(refund_id)
    assert (refund.state, refund.gross_fen, refund.amount_fen, refund.fee_fen, refund.resolved_how, refund.gateway_id) \
        == ("succeeded", 10_00, 10_00, 0, "cash", None)
    assert refund.settled_at is not None and refund.refund_no
    request = CancelRequest.get_by_id(refund.request_id)
    assert (request.state, request.amount_fen) == ("approved", 10_00) and request.id in changes.request_ids
    o = Order.get(Order.order_no == no)
    assert (o.status, o.refunded_fen, o.refund_pending_fen) == ("partially_refunded", 10_00, 0)

    report = send_refunds(desk)  # nothing is queued: nothing leaves the desk
    assert report.picked == 0 and Refund.get_by_id(refund_id).attempts == 0

    _, rest_id = reqs.record_outside(desk, no, 58_00, OutsideMethod.BANK_TRANSFER, "余下的银行转账")
    o = Order.get(Order.order_no == no)
    assert (o.status, o.refunded_fen, o.refund_pending_fen) == ("cancelled", 68_00, 0)
    assert Product.get_by_id(prod.id).stock == stock + 1  # not delivered, all back: cancelled, stock returned
    assert Refund.get_by_id(rest_id).state == "succeeded"
    with pytest.raises(DomainError) as again:
        reqs.record_outside(desk, no, 1, CASH, "再退一分")
    assert again.value.code == "nothing_refundable"
    assert check(desk).ok


def test_a_delivered_order_refunded_outside_is_refunded_and_its_code_untouched(desk: Desk) -> None:
    no = order(desk, "delivered", paid_fen=30_00)
    reqs.record_outside(desk, no, 30_00, OTHER, "旧系统里已全额退款", reason=ReasonCode.MERCHANT_FAULT)
    o = Order.get(Order.order_no == no)
    assert (o.status, o.refunded_fen, o.delivered_at is not None) == ("refunded", 30_00, True)
    request = CancelRequest.get(CancelRequest.order == o.id)
    assert request.is_dispute and request.reason == "merchant_fault"
    assert check(desk).ok


@pytest.mark.parametrize(("amount", "code"), [(68_01, "refund_exceeds_refundable"), (0, "refund_not_positive")])
def test_an_amount_out_of_bounds_is_refused_in_yuan_and_nothing_is_written(desk: Desk, amount: int, code: str) -> None:
    no = order(desk, "paid", paid_fen=68_00)
    refunds = Refund.select().count()
    with pytest.raises(DomainError) as refused:
        reqs.record_outside(desk, no, amount, CASH, "note")
    assert refused.value.code == code
    if amount:
        assert "¥68.01" in refused.value.zh and "¥68.00" in refused.value.en
    assert Refund.select().count() == refunds and not CancelRequest.select().exists()
    assert Order.get(Order.order_no == no).status == "paid"


def test_what_is_refused_before_anything_is_recorded(desk: Desk) -> None:
    unpaid = order(desk, "pending_payment")
    with pytest.raises(DomainError) as not_paid:
        reqs.record_outside(desk, unpaid, 1_00, CASH, "note")
    assert not_paid.value.code == "not_paid"
    paid = order(desk, "paid")
    with pytest.raises(DomainError) as no_note:
        reqs.record_outside(desk, paid, 1_00, CASH, "  ")
    assert no_note.value.code == "note_required"
    with pytest.raises(DomainError) as gateway:
        reqs.record_outside(desk, paid, 1_00, OutsideMethod.GATEWAY, "note")
    assert gateway.value.code == "outside_method"
    assert not Refund.select().exists()


def test_an_open_request_must_be_answered_first_so_it_is_not_paid_again(desk: Desk) -> None:
    no = order(desk, "delivered", paid_fen=30_00)
    _, request_id = reqs.open_request(desk, no, ReasonCode.MERCHANT_FAULT, note="买家说发错了")
    assert request_id is not None and CancelRequest.get_by_id(request_id).state == "open"
    with pytest.raises(DomainError) as refused:
        reqs.record_outside(desk, no, 30_00, CASH, "note")
    assert refused.value.code == "request_open" and f"requests reject {request_id}" in refused.value.zh
    reqs.reject(desk, request_id, "已在台外退款")
    reqs.record_outside(desk, no, 30_00, CASH, "note")
    assert Order.get(Order.order_no == no).refunded_fen == 30_00


def test_a_refund_in_flight_leaves_only_the_rest_to_record(desk: Desk) -> None:
    no = order(desk, "paid", paid_fen=50_00, gateway_id=sandbox(desk, "timeout"))
    reqs.cancel_order(desk, no, ReasonCode.NOT_NEEDED)
    with pytest.raises(DomainError) as refused:  # the desk's own refund is on its way: nothing is left
        reqs.record_outside(desk, no, 50_00, CASH, "note")
    assert refused.value.code == "nothing_refundable"


HEADER = "订单号,下单时间,商品,商品类型,实付金额,状态,支付时间,支付方式,网关,交易号,买家,退款金额"


def _export(tmp_path: Path, name: str, status: str, refunded: str, delivered: bool = False) -> Path:
    path = tmp_path / name
    head = HEADER + (",发货时间" if delivered else "")
    tail = ",2026-11-17 10:02" if delivered else ""
    path.write_text(f"{head}\nD01,2026-11-17 10:00,月卡,卡密,30.00,{status},2026-11-17 10:01,支付宝,沙箱,TD01,"
                    f"13800138000,{refunded}{tail}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("first", "later", "delivered", "amount", "after"), [
    ("已取消", "已取消", False, "30", "cancelled"),  # a paid 已取消 the older system refunded after the first export
    ("已支付", "已退款", False, "30", "cancelled"),  # all back before delivery: the desk's 已取消 is that money
    ("已发货", "部分退款", True, "12.50", "partially_refunded"),
    ("已发货", "已退款", True, "30", "refunded"),
], ids=["cancelled", "paid-refunded", "delivered-part", "delivered-whole"])
def test_the_imports_advice_records_the_refund_and_the_later_export_then_agrees(
        desk: Desk, tmp_path: Path, first: str, later: str, delivered: bool, amount: str, after: str) -> None:
    """The import refuses a later export that says the older system refunded money the desk does
    not know of, and names the command; once it is recorded the same export is counted unchanged,
    and nothing is left to refund or queued."""
    sandbox(desk, "success", name="沙箱")
    assert import_file(desk, _export(tmp_path, "d1.csv", first, "0" if first == "已取消" else "", delivered)).inserted == 1
    refused = import_file(desk, _export(tmp_path, "d2.csv", later, amount, delivered))
    assert refused.refused == 1
    advice = f"refunds record D01 --amount {'12.50' if amount == '12.50' else '30.00'} --how other"
    assert advice in refused.problems[0].zh and advice in refused.problems[0].en

    reqs.record_outside(desk, "D01", 12_50 if amount == "12.50" else 30_00, OTHER, "旧系统已退款")
    again = import_file(desk, _export(tmp_path, "d2.csv", later, amount, delivered))
    assert (again.refused, again.unchanged) == (0, 1), again.problems
    o = Order.get(Order.order_no == "D01")
    assert (o.status, o.refund_pending_fen) == (after, 0)
    assert send_refunds(desk).picked == 0
    assert check(desk).ok


def test_a_delivery_the_older_system_made_is_recorded_when_the_refund_already_is(desk: Desk, tmp_path: Path) -> None:
    """Imported paid and undelivered; the older system then delivered it and refunded part of it.
    The import's advice records the refund; the same export imported again brings the delivery
    time the desk did not have (an update with a 导入更新 entry naming it), never the money; a
    third import changes nothing."""
    sandbox(desk, "success", name="沙箱")
    assert import_file(desk, _export(tmp_path, "d1.csv", "已支付", "")).inserted == 1
    assert import_file(desk, _export(tmp_path, "d2.csv", "部分退款", "12.50", delivered=True)).refused == 1
    reqs.record_outside(desk, "D01", 12_50, OTHER, "旧系统已退款")
    assert Order.get(Order.order_no == "D01").delivered_at is None
    again = import_file(desk, _export(tmp_path, "d2.csv", "部分退款", "12.50", delivered=True))
    assert (again.refused, again.updated, again.unchanged) == (0, 1, 0), again.problems
    o = Order.get(Order.order_no == "D01")
    assert (o.status, o.refunded_fen, o.paid_fen) == ("partially_refunded", 12_50, 30_00)
    assert from_epoch(o.delivered_at).strftime("%Y-%m-%d %H:%M") == "2026-11-17 10:02"
    entry = OrderEvent.select().where(OrderEvent.order == o.id).order_by(OrderEvent.id.desc()).get()
    assert (entry.action, entry.note) == ("imported_update", "旧系统发货时间 2026-11-17 10:02:00")
    third = import_file(desk, _export(tmp_path, "d2.csv", "部分退款", "12.50", delivered=True))
    assert (third.updated, third.unchanged) == (0, 1)
    assert send_refunds(desk).picked == 0
    assert check(desk).ok


def test_a_delivery_before_a_whole_refund_the_desk_holds_as_a_cancel_is_pointed_out(desk: Desk, tmp_path: Path) -> None:
    """Imported paid and undelivered; the older system delivered it, then refunded it all. Recorded
    at the desk, the whole refund of an undelivered order is a cancel: the later export's delivery
    cannot be taken, so the unchanged row says so (the buyer may hold the code)."""
    sandbox(desk, "success", name="沙箱")
    assert import_file(desk, _export(tmp_path, "d1.csv", "已支付", "")).inserted == 1
    reqs.record_outside(desk, "D01", 30_00, OTHER, "旧系统已退款")
    assert Order.get(Order.order_no == "D01").status == "cancelled"
    again = import_file(desk, _export(tmp_path, "d2.csv", "已退款", "30", delivered=True))
    assert (again.refused, again.updated, again.unchanged) == (0, 0, 1), again.problems
    [said] = [w for w in again.warnings if w.column == "delivered_at"]
    assert "2026-11-17 10:02:00" in said.zh and "check with the buyer" in said.en
    undelivered = import_file(desk, _export(tmp_path, "d3.csv", "已退款", "30"))
    assert not [w for w in undelivered.warnings if w.column == "delivered_at"]


def test_a_failed_refund_paid_again_since_is_not_also_recorded_as_paid_by_hand(desk: Desk) -> None:
    """A failed refund, the money approved again by a new refund: recording the failed one as
    refunded in cash as well would count the order's money twice. Refused, naming the new one;
    with the new one marked failed first, it is recorded."""
    from kashop_desktop.services import refund_owner
    from kashop_desktop.services.gateways import save_account

    account = sandbox(desk, "reject")
    no = order(desk, "paid", paid_fen=30_00, gateway_id=account)
    reqs.cancel_order(desk, no, ReasonCode.NOT_NEEDED)
    send_refunds(desk)
    failed = Refund.get(Refund.order == Order.get(Order.order_no == no).id)
    assert failed.state == "failed"
    save_account(desk, "sandbox-reject", "sandbox", {"scenario": "timeout"}, replace=True)
    reqs.cancel_order(desk, no, ReasonCode.NOT_NEEDED)  # the owner refunds it again
    newer = Refund.select().where(Refund.id != failed.id).get()
    with pytest.raises(DomainError) as refused:
        refund_owner.resolve_manually(desk, failed.id, True, "现金退了", how=CASH)
    assert refused.value.code == "refund_covered_since" and f"#{newer.id}" in refused.value.zh
    o = Order.get(Order.order_no == no)
    assert (o.refunded_fen, o.refund_pending_fen) == (0, 30_00)
    refund_owner.resolve_manually(desk, newer.id, False, "未发出，作废")
    refund_owner.resolve_manually(desk, failed.id, True, "现金退了", how=CASH)
    o = Order.get(Order.order_no == no)
    assert (o.refunded_fen, o.refund_pending_fen) == (30_00, 0)
    assert check(desk).ok


def test_a_sandbox_setting_outside_its_choices_is_refused_when_saved(desk: Desk) -> None:
    from kashop_desktop.services.gateways import save_account
    from kashop_desktop.store.models import GatewayAccount

    with pytest.raises(DomainError) as refused:
        save_account(desk, "试一下", "sandbox", {"scenario": "xyz"})
    assert refused.value.code == "bad_setting" and "success" in refused.value.en
    assert not GatewayAccount.select().where(GatewayAccount.name == "试一下").exists()
    save_account(desk, "试一下", "sandbox", {"scenario": "timeout"})


def test_a_refund_that_needs_no_confirmation_is_not_confirmed(desk: Desk) -> None:
    from kashop_desktop.services import refund_owner

    no = order(desk, "paid", paid_fen=20_00)
    reqs.cancel_order(desk, no, ReasonCode.NOT_NEEDED)
    refund = Refund.get(Refund.order == Order.get(Order.order_no == no).id)
    with pytest.raises(DomainError) as refused:
        refund_owner.confirm(desk, refund.id)
    assert refused.value.code == "confirmation_not_needed"
    assert not Refund.get_by_id(refund.id).confirmed


def test_part_refunds_of_one_order_count_once_among_the_buyers_cancellations(desk: Desk) -> None:
    from kashop_desktop.store.models import Buyer

    no = order(desk, "paid", paid_fen=90_00, buyer="13900001111")
    for amount in (10_00, 20_00, 30_00):
        _, request_id = reqs.open_request(desk, no, ReasonCode.NOT_NEEDED, amount_fen=amount)
        if request_id is not None and CancelRequest.get_by_id(request_id).state == "open":
            reqs.approve(desk, request_id)
    assert Refund.select().count() == 3
    assert Buyer.get(Buyer.contact == "13900001111").cancel_count == 1


def test_a_later_export_matched_only_by_a_refund_recorded_at_the_desk_warns(desk: Desk, tmp_path: Path) -> None:
    """Imported 部分退款 ¥10 of ¥30; ¥5 handed back in cash and recorded at the desk; the older
    system's next export says ¥15. Most likely the same ¥5: counted unchanged, with a warning
    naming the step should it be another refund."""
    sandbox(desk, "success", name="沙箱")
    assert import_file(desk, _export(tmp_path, "r1.csv", "部分退款", "10", delivered=True)).inserted == 1
    reqs.record_outside(desk, "D01", 5_00, CASH, "柜台现金退 5 元")
    later = import_file(desk, _export(tmp_path, "r2.csv", "部分退款", "15", delivered=True))
    assert (later.refused, later.unchanged) == (0, 1)
    warned = [w for w in later.warnings if w.column == "refunded_amount"]
    assert len(warned) == 1 and "两次" in warned[0].zh and "¥5.00 of them paid back in cash" in warned[0].en
    assert "`" not in warned[0].en + warned[0].zh  # no command to copy: that would record the money twice
    same = import_file(desk, _export(tmp_path, "r3.csv", "部分退款", "10", delivered=True))  # as imported: no word
    assert not [w for w in same.warnings if w.column == "refunded_amount"]


def test_a_later_export_matched_by_the_older_systems_refund_recorded_as_its_advice_says_is_quiet(
        desk: Desk, tmp_path: Path) -> None:
    """The import refused the grown refund and advised recording it (--how other): once recorded,
    the same export is counted unchanged without a warning, every time."""
    sandbox(desk, "success", name="沙箱")
    assert import_file(desk, _export(tmp_path, "r1.csv", "部分退款", "10", delivered=True)).inserted == 1
    assert import_file(desk, _export(tmp_path, "r2.csv", "部分退款", "15", delivered=True)).refused == 1
    reqs.record_outside(desk, "D01", 5_00, OTHER, "旧系统又退了 5 元")
    for _ in range(2):
        again = import_file(desk, _export(tmp_path, "r2.csv", "部分退款", "15", delivered=True))
        assert (again.refused, again.unchanged, again.warnings) == (0, 1, [])


@pytest.mark.parametrize("scenario", ["processing", "timeout"])
def test_a_refund_the_gateway_may_still_pay_is_not_recorded_as_paid_another_way(desk: Desk, scenario: str) -> None:
    from kashop_desktop.services import refund_owner

    no = order(desk, "paid", paid_fen=40_00, gateway_id=sandbox(desk, scenario))
    reqs.cancel_order(desk, no, ReasonCode.NOT_NEEDED)
    send_refunds(desk)
    sent = Refund.get(Refund.order == Order.get(Order.order_no == no).id)
    assert sent.state in ("processing", "unknown")
    with pytest.raises(DomainError) as refused:
        refund_owner.resolve_manually(desk, sent.id, True, "旧系统退了", how=OTHER)
    assert refused.value.code == "gateway_may_pay" and f"refunds send --id {sent.id}" in refused.value.en
    assert Refund.get_by_id(sent.id).state == sent.state


def test_the_older_systems_refund_recorded_twice_is_pointed_out_not_refused(desk: Desk, tmp_path: Path) -> None:
    """The advice's `refunds record` run twice: the desk holds ¥10 more as the older system's
    refunds than its export says. The export is counted unchanged (never refused, never moving
    the order back) with a warning naming both amounts (a cash hand-back is not counted: see
    test_a_later_export_matched_only_by_a_refund_recorded_at_the_desk_warns, whose same export is quiet)."""
    sandbox(desk, "success", name="沙箱")
    assert import_file(desk, _export(tmp_path, "r1.csv", "已发货", "", delivered=True)).inserted == 1
    assert import_file(desk, _export(tmp_path, "r2.csv", "部分退款", "10", delivered=True)).refused == 1
    reqs.record_outside(desk, "D01", 10_00, OTHER, "旧系统已退款")
    reqs.record_outside(desk, "D01", 10_00, OTHER, "旧系统已退款")  # again, by mistake
    for _ in range(2):
        again = import_file(desk, _export(tmp_path, "r2.csv", "部分退款", "10", delivered=True))
        assert (again.refused, again.unchanged) == (0, 1), again.problems
        [said] = [w for w in again.warnings if w.column == "refunded_amount"]
        assert "¥20.00" in said.zh and "¥10.00" in said.en and "recorded twice" in said.en
