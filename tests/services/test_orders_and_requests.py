"""Services on a real SQLite file: every rule walked, and the store checked afterwards."""

from __future__ import annotations

import pytest

from kashop_desktop.domain.errors import DomainError
from kashop_desktop.domain.order import CodeUsed, ReasonCode
from kashop_desktop.domain.refund_states import OutsideMethod
from kashop_desktop.services import orders as ops
from kashop_desktop.services import requests as reqs
from kashop_desktop.services import views
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.maintenance import check
from kashop_desktop.store.models import (
    CancelRequest,
    CardCode,
    Coupon,
    GatewayAccount,
    Order,
    OrderEvent,
    Product,
    Refund,
)

from .helpers import order, product, sandbox, send_refunds

R = ReasonCode


def row(order_no: str) -> Order:
    return Order.get(Order.order_no == order_no)


send_all = send_refunds


def test_cancel_unpaid_returns_stock_coupon_and_points(desk: Desk) -> None:
    p = product(desk, stock=10)
    no = order(desk, "pending_payment", prod=p, coupon=("CP1", 5_00), points=200)
    assert Product.get_by_id(p.id).stock == 9
    changes = reqs.cancel_order(desk, no, R.MISTAKEN, "面值选错")
    o = row(no)
    assert o.status == "cancelled" and o.points_refunded == 200 and o.coupon_returned
    assert Product.get_by_id(p.id).stock == 10
    assert Coupon.get_by_id("CP1").used_by_order is None
    assert changes.order_ids == {o.id} and changes.counts_changed
    assert not Refund.select().exists()
    assert [e.action for e in OrderEvent.select().where(OrderEvent.order == o.id)] == ["cancel"]


def test_unpaid_expires_after_the_policy_minutes(desk: Desk, clock) -> None:
    no = order(desk, "pending_payment")
    Order.update(created_at=Order.created_at + 60 * 3).where(Order.order_no == no).execute()  # created 0 min ago
    clock.advance(minutes=14)
    assert reqs.sweep(desk)[1]["expired"] == 0
    clock.advance(minutes=2)
    assert reqs.sweep(desk)[1]["expired"] == 1
    assert row(no).status == "cancelled"
    assert views.order_detail(desk, no).events[-1].action == "expire"


def test_auto_approve_inside_cooling_off(desk: Desk) -> None:
    no = order(desk, paid_minutes_ago=3)
    changes, rid = reqs.open_request(desk, no, R.DUPLICATE, note="重复下单")
    req = views.request_view(desk, rid)
    assert req.state == "auto_approved" and req.decided_by == "system"
    refund = Refund.get(Refund.order == row(no).id)
    assert refund.state == "queued" and refund.amount_fen == 68_00 and refund.refund_no.startswith("RF")
    # Cancelled at once (nothing will be delivered); the money is in flight until the gateway confirms.
    assert row(no).status == "cancelled" and row(no).refunded_fen == 0 and row(no).refund_pending_fen == 68_00
    assert changes.refund_ids == {refund.id}
    assert send_all(desk).succeeded == 1
    assert (row(no).status, row(no).refunded_fen, row(no).refund_pending_fen) == ("cancelled", 68_00, 0)


def test_review_after_window_then_partial_approve_and_bounds(desk: Desk) -> None:
    no = order(desk, paid_minutes_ago=30)
    _, rid = reqs.open_request(desk, no, R.WRONG_ITEM, note="区服选错")
    assert views.request_view(desk, rid).state == "open"
    with pytest.raises(DomainError):
        reqs.approve(desk, rid, amount_fen=68_01)
    reqs.approve(desk, rid, amount_fen=20_00, note="扣除服务费")
    o = row(no)
    assert (o.status, o.refunded_fen, o.refund_pending_fen) == ("paid", 0, 20_00)  # nothing moved yet
    assert reqs.left_to_cancel(o.id) == 48_00  # not cancelled, still goes out: the rest would cancel it
    send_all(desk)
    o = row(no)
    assert (o.status, o.refunded_fen, o.refund_pending_fen) == ("partially_refunded", 20_00, 0)
    with pytest.raises(DomainError, match="已处理"):
        reqs.approve(desk, rid)
    # A second request can take at most what is left.
    _, rid2 = reqs.open_request(desk, no, R.WRONG_ITEM, note="剩余部分也退", amount_fen=48_00)
    reqs.approve(desk, rid2)
    assert (row(no).status, row(no).refund_pending_fen) == ("cancelled", 48_00)  # the rest, before delivery
    assert reqs.left_to_cancel(row(no).id) is None
    send_all(desk)
    assert row(no).refunded_fen == 68_00
    assert sum(r.gross_fen for r in Refund.select()) == 68_00


def test_approving_more_than_the_buyer_asked_needs_the_confirmation(desk: Desk) -> None:
    """An amount above the request's (a typed 80 for an asked 30) is refused until confirmed,
    naming both amounts; beyond what is refundable the approval's own bounds refuse it."""
    no = order(desk, paid_minutes_ago=30)
    _, rid = reqs.open_request(desk, no, R.WRONG_ITEM, note="少退一点也行", amount_fen=30_00)
    with pytest.raises(DomainError) as info:
        reqs.approve(desk, rid, amount_fen=60_00)
    assert info.value.code == "amount_above_request"
    assert "¥60.00" in info.value.zh and "¥30.00" in info.value.zh and "¥30.00" in info.value.en
    assert Refund.select().count() == 0 and views.request_view(desk, rid).state == "open"
    with pytest.raises(DomainError) as beyond:
        reqs.approve(desk, rid, amount_fen=68_01)
    assert beyond.value.code != "amount_above_request"  # the bounds' own refusal
    reqs.approve(desk, rid, amount_fen=60_00, above_request=True)
    assert row(no).refund_pending_fen == 60_00
    _, less = reqs.open_request(desk, order(desk, paid_minutes_ago=30), R.WRONG_ITEM, amount_fen=30_00)
    reqs.approve(desk, less, amount_fen=29_00)  # less than asked: nothing to confirm
    assert Refund.select().count() == 2


def test_reject_needs_a_reason(desk: Desk) -> None:
    no = order(desk, paid_minutes_ago=30)
    _, rid = reqs.open_request(desk, no, R.NOT_NEEDED)
    with pytest.raises(DomainError):
        reqs.reject(desk, rid, "  ")
    reqs.reject(desk, rid, "已开始处理，无法取消")
    req = views.request_view(desk, rid)
    assert req.state == "rejected" and req.decision_note == "已开始处理，无法取消"
    assert row(no).status == "paid"


def test_delivered_order_only_disputes(desk: Desk) -> None:
    no = order(desk, "delivered", code_used="yes")
    with pytest.raises(DomainError, match="只能发起售后争议"):
        reqs.cancel_order(desk, no, R.MISTAKEN)
    with pytest.raises(DomainError) as info:
        reqs.open_request(desk, no, R.MISTAKEN)
    assert "code_used" in info.value.code
    _, rid = reqs.open_request(desk, no, R.MERCHANT_FAULT, evidence="卡密无效截图")
    assert views.request_view(desk, rid).is_dispute
    reqs.approve(desk, rid)
    assert row(no).status == "delivered"  # until the gateway confirms the money went back
    send_all(desk)
    assert row(no).status == "refunded"
    assert Refund.get(Refund.order == row(no).id).fee_fen == 0  # merchant fault: no fee


def test_dispute_with_unused_code_can_be_approved(desk: Desk) -> None:
    no = order(desk, "completed")
    ops.set_code_used(desk, no, CodeUsed.NO, note="核实卡密未刮开")
    _, rid = reqs.open_request(desk, no, R.WRONG_ITEM)
    reqs.approve(desk, rid, amount_fen=30_00)
    assert row(no).status == "completed"
    send_all(desk)
    assert row(no).status == "partially_refunded"


def test_no_refunds_product_refuses_after_payment(desk: Desk) -> None:
    p = product(desk, name="网易云年卡", overrides='{"no_refunds": true}')
    no = order(desk, prod=p)
    with pytest.raises(DomainError, match="不支持退款"):
        reqs.open_request(desk, no, R.MISTAKEN)


def test_flagged_buyer_is_never_auto_approved(desk: Desk) -> None:
    for _ in range(3):
        reqs.cancel_order(desk, order(desk, "pending_payment", buyer="13300001111"), R.NOT_NEEDED)
    no = order(desk, paid_minutes_ago=1, buyer="13300001111")
    pv = reqs.preview(desk, no, R.MISTAKEN)
    assert pv.flagged and "buyer_flagged" in pv.decision.codes
    _, rid = reqs.open_request(desk, no, R.MISTAKEN)
    assert views.request_view(desk, rid).state == "open"


def test_overdue_after_business_days(desk: Desk, clock) -> None:
    no = order(desk, paid_minutes_ago=60)
    _, rid = reqs.open_request(desk, no, R.WRONG_ITEM)  # Wednesday 10:00 -> due Friday end of day
    clock.advance(days=2)
    assert reqs.sweep(desk)[1]["overdue"] == 0
    clock.advance(days=1)
    assert reqs.sweep(desk)[1]["overdue"] == 1
    assert views.request_view(desk, rid).overdue
    assert views.list_requests(desk)[0].id == rid  # overdue first


def test_restore_only_while_nothing_delivered_or_refunded(desk: Desk) -> None:
    p = product(desk, name="话费直充 30元", ptype="direct_recharge", stock=5)  # the counter is its stock
    unpaid = order(desk, "pending_payment", prod=p, coupon=("CP9", 3_00))
    reqs.cancel_order(desk, unpaid, R.MISTAKEN)
    ops.restore(desk, unpaid)
    assert row(unpaid).status == "pending_payment" and Coupon.get_by_id("CP9").used_by_order == row(unpaid).id
    assert Product.get_by_id(p.id).stock == 4
    # Paid and cancelled with a refund still queued: restore withdraws the refund.
    paid = order(desk, prod=p, paid_minutes_ago=1)
    reqs.cancel_order(desk, paid, R.MISTAKEN)
    assert row(paid).status == "cancelled"
    ops.restore(desk, paid)
    assert row(paid).status == "paid" and row(paid).refunded_fen == 0
    withdrawn = Refund.get(Refund.order == row(paid).id)
    assert (withdrawn.state, withdrawn.last_error_kind) == ("withdrawn", "withdrawn")  # 已撤回, not 退款失败
    assert views.refund_actions(withdrawn.state, "", True, False, False) == frozenset()  # final: no retry, no resolve
    request = CancelRequest.get_by_id(withdrawn.request_id)
    assert withdrawn.refund_no in request.decision_note and "已撤回" in request.decision_note
    # Once a refund left the desk, the order stays cancelled.
    reqs.cancel_order(desk, paid, R.MISTAKEN)
    Refund.update(state="succeeded").where(Refund.order == row(paid).id, Refund.state == "queued").execute()
    assert ops.can_restore(desk, paid) is not None
    with pytest.raises(DomainError, match="退款已发出"):
        ops.restore(desk, paid)


def test_restore_refuses_when_stock_is_gone(desk: Desk) -> None:
    p = product(desk, name="话费直充 30元", ptype="direct_recharge", stock=1)  # 卡密: test_codes_stock.py
    no = order(desk, "pending_payment", prod=p)
    reqs.cancel_order(desk, no, R.MISTAKEN)
    Product.update(stock=0).where(Product.id == p.id).execute()
    with pytest.raises(DomainError, match="库存不足"):
        ops.restore(desk, no)
    assert row(no).status == "cancelled"  # nothing half-done


def test_mark_paid_twice_delivers_once(desk: Desk) -> None:
    p = product(desk, codes=3)
    no = order(desk, "pending_payment", prod=p)
    with pytest.raises(DomainError):
        ops.mark_paid(desk, no, "", confirmed=True)
    with pytest.raises(DomainError):
        ops.mark_paid(desk, no, "2026112212345", confirmed=False)
    ops.mark_paid(desk, no, "2026112212345", confirmed=True)
    again = ops.mark_paid(desk, no, "2026112212345", confirmed=True)
    assert again.messages == ["already_paid"] and not again.order_ids
    with pytest.raises(DomainError, match="已用交易号"):
        ops.mark_paid(desk, no, "OTHER-TRADE", confirmed=True)
    o = row(no)
    assert o.status == "delivered" and o.card_code
    assert CardCode.select().where(CardCode.order_id == o.id).count() == 1
    with pytest.raises(DomainError, match="不会重复发货"):
        ops.deliver(desk, no)
    assert [e.action for e in OrderEvent.select().where(OrderEvent.order == o.id)] == ["mark_paid", "deliver"]


def test_bulk_approve_in_one_transaction_with_skips(desk: Desk) -> None:
    ids = []
    for _ in range(5):
        _, rid = reqs.open_request(desk, order(desk, paid_minutes_ago=90), R.WRONG_ITEM)
        ids.append(rid)
    reqs.reject(desk, ids[0], "no")
    changes = reqs.bulk_approve(desk, [*ids, 999])
    assert len(changes.request_ids) == 4 and {s.ref for s in changes.skipped} == {str(ids[0]), "999"}
    assert Refund.select().count() == 4
    assert check(desk).ok


def test_bulk_reject_and_cancel(desk: Desk) -> None:
    _, rid = reqs.open_request(desk, order(desk, paid_minutes_ago=90), R.WRONG_ITEM)
    assert reqs.bulk_reject(desk, [rid], "理由").request_ids == {rid}
    unpaid = [order(desk, "pending_payment") for _ in range(3)]
    paid = order(desk)
    changes = reqs.bulk_cancel(desk, [*unpaid, paid], R.DUPLICATE)
    assert len(changes.order_ids) == 3 and changes.skipped[0].ref == paid
    assert row(paid).status == "paid"


def test_status_counts_follow_every_change(desk: Desk) -> None:
    nos = [order(desk, "pending_payment") for _ in range(4)]
    reqs.cancel_order(desk, nos[0], R.MISTAKEN)
    counts = views.status_counts(desk)
    assert counts["pending_payment"] == 3 and counts["cancelled"] == 1 and counts["all"] == 4
    assert check(desk).counts_match


def test_deliver_and_mark_paid_verdicts(desk: Desk) -> None:
    p = product(desk, codes=1)
    unpaid = order(desk, "pending_payment", prod=p)
    assert ops.mark_paid_check(desk, unpaid) is None
    assert ops.deliver_check(desk, unpaid).code == "not_deliverable"
    paid = order(desk, prod=p)
    assert ops.mark_paid_check(desk, paid).code == "already_paid"
    assert ops.deliver_check(desk, paid) is None
    ops.deliver(desk, paid)
    assert ops.deliver_check(desk, paid).code == "already_delivered"
    other = order(desk, prod=p)  # the only card code is gone
    assert ops.deliver_check(desk, other).code == "out_of_codes"


def test_no_delivery_while_a_cancel_request_waits(desk: Desk) -> None:
    no = order(desk, paid_minutes_ago=30)
    _, rid = reqs.open_request(desk, no, R.WRONG_ITEM)
    assert ops.deliver_check(desk, no).code == "cancel_request_open"
    with pytest.raises(DomainError, match="先审核"):
        ops.deliver(desk, no)
    reqs.reject(desk, rid, "卡密已准备好")
    assert ops.deliver_check(desk, no) is None
    ops.deliver(desk, no)
    assert row(no).status == "delivered"


def test_a_note_past_the_limit_is_refused_with_its_length_and_nothing_is_written(desk: Desk) -> None:
    """A pasted chat log as a note: refused with its length and the limit, at every door a
    person's text comes in by; the limit itself is taken."""
    from kashop_desktop.domain.notes import MAX_NOTE_CHARS
    from kashop_desktop.services import buyers

    long = "聊天记录" * (MAX_NOTE_CHARS // 4) + "。"
    assert len(long) == MAX_NOTE_CHARS + 1
    no = order(desk, paid_minutes_ago=30)
    events_before = OrderEvent.select().count()
    attempts = {
        "open_request note": lambda: reqs.open_request(desk, no, R.WRONG_ITEM, note=long),
        "open_request evidence": lambda: reqs.open_request(desk, no, R.WRONG_ITEM, evidence=long),
        "cancel_order": lambda: reqs.cancel_order(desk, no, R.MISTAKEN, note=long),
        "record_outside": lambda: reqs.record_outside(desk, no, 10_00, OutsideMethod.CASH, long),
        "set_code_used": lambda: ops.set_code_used(desk, no, CodeUsed.NO, note=long),
        "block": lambda: buyers.block(desk, "13800138000", long),
    }
    for name, attempt in attempts.items():
        with pytest.raises(DomainError) as info:
            attempt()
        assert info.value.code == "note_too_long", name
        assert f"{MAX_NOTE_CHARS + 1:,}" in info.value.zh and f"{MAX_NOTE_CHARS:,}" in info.value.en, name
    assert CancelRequest.select().count() == 0 and Refund.select().count() == 0
    assert OrderEvent.select().count() == events_before
    _, rid = reqs.open_request(desk, no, R.WRONG_ITEM, note=long[:-1])  # at the limit: taken
    assert rid is not None and len(views.request_view(desk, rid).note) == MAX_NOTE_CHARS
    with pytest.raises(DomainError, match="拒绝原因太长"):
        reqs.reject(desk, rid, long)
    assert views.request_view(desk, rid).state == "open"


def test_a_trade_no_with_spaces_control_characters_or_3000_characters_is_refused(desk: Desk) -> None:
    no = order(desk, "pending_payment")
    for bad in ("很" * 3000, "AB\x1b[31mC", "AB\nCD", "A B"):
        with pytest.raises(DomainError) as refused:
            ops.mark_paid(desk, no, bad, confirmed=True)
        assert refused.value.code == "bad_trade_no" and "64" in refused.value.zh
    assert row(no).status == "pending_payment"
    ops.mark_paid(desk, no, "2026111822001" + "7" * 51, confirmed=True)  # 64 characters: taken
    assert row(no).paid_at is not None


def test_a_trade_no_excel_rewrote_as_a_number_is_refused_by_mark_paid(desk: Desk) -> None:
    # Pasted from a spreadsheet where the trade-no column was a number: the end digits are lost.
    no = order(desk, "pending_payment")
    for bad in ("2.02611E+17", "2.0261129E+27", "20261129123456.0"):
        with pytest.raises(DomainError) as refused:
            ops.mark_paid(desk, no, bad, confirmed=True)
        assert refused.value.code == "bad_trade_no" and bad in refused.value.zh and "Excel" in refused.value.en
    assert row(no).status == "pending_payment"
    ops.mark_paid(desk, no, "2026112922001E17", confirmed=True)  # letters among digits: an id, taken
    assert row(no).paid_at is not None


def test_mark_paid_for_money_paid_to_the_shop_directly_refunds_by_hand_not_through_the_account(desk: Desk) -> None:
    """An order begun with a gateway account (a QR the buyer never paid) that the buyer paid by
    a bank transfer to the owner: 补单 records it as bank_transfer (any account takes that), the
    account stays for the QR trade, and a refund is the owner's by hand, never sent to the
    gateway, which has no such payment to refund."""
    from kashop_desktop.services.refund_owner import resolve_manually

    account = sandbox(desk, "success")
    no = order(desk, "pending_payment", gateway_id=account, channel="alipay")
    ops.mark_paid(desk, no, "ICBC20261118000123", confirmed=True, channel="bank_transfer", deliver=False)
    paid = row(no)
    assert (paid.status, paid.channel, paid.gateway_id) == ("paid", "bank_transfer", account)
    pv = reqs.preview(desk, no, R.MISTAKEN)
    assert not pv.auto_refund and pv.gateway_name is None
    reqs.open_request(desk, no, R.MISTAKEN, note="买错了")  # undelivered, at once: approved by the rule
    refund = Refund.get(Refund.order == paid.id)
    assert (refund.state, refund.gateway_id) == ("needs_owner", None)
    assert "银行转账" in refund.last_error and "bank transfer" in refund.last_error
    assert send_refunds(desk).picked == 0  # nothing goes to the gateway
    assert Refund.get_by_id(refund.id).state == "needs_owner"
    resolve_manually(desk, refund.id, True, "已转回买家银行卡", how=OutsideMethod.BANK_TRANSFER)
    assert (row(no).status, row(no).refunded_fen) == ("cancelled", 68_00)
    # A channel the account does not take and that is no direct payment is still refused, with the way.
    wallet = GatewayAccount.get(GatewayAccount.kind == "wallet").id
    other = order(desk, "pending_payment", gateway_id=wallet, channel="wallet")
    with pytest.raises(DomainError) as refused:
        ops.mark_paid(desk, other, "T-OTHER-1", confirmed=True, channel="wechat")
    assert refused.value.code == "bad_channel" and "bank_transfer" in refused.value.en


def test_an_order_no_pasted_full_width_or_in_lower_case_is_found(desk: Desk) -> None:
    no = order(desk, "paid")
    full_width = no.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})
    for typed in (full_width, no.lower(), f"  {no.lower()} "):
        assert ops.get_order(typed).order_no == no, typed
    with pytest.raises(DomainError):
        ops.get_order(no + "9")
