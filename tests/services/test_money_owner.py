"""What a new owner found wrong with refund money, each kind as its own test: "gateway verified"
only where the gateway can have paid, one trade no across accounts, restores that predate
refunds, refunds without a gateway, a locked key vault, unpaid orders' money. Real SQLite files,
the sandbox gateway, real backups."""

from __future__ import annotations

from pathlib import Path

import pytest

from kashop_desktop.domain.errors import DomainError
from kashop_desktop.domain.order import ReasonCode
from kashop_desktop.domain.refund_states import OutsideMethod
from kashop_desktop.services import gateways as gw
from kashop_desktop.services import maintenance, views
from kashop_desktop.services import orders as ops
from kashop_desktop.services import refund_queue as rq
from kashop_desktop.services import requests as reqs
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.refund_owner import resolve_manually
from kashop_desktop.services.secrets import VaultStore
from kashop_desktop.store.models import Order, OrderEvent, Refund

from .helpers import order, sandbox, send_refunds

send = send_refunds


def row(order_no: str) -> Order:
    return Order.get(Order.order_no == order_no)


def approved(desk: Desk, no: str, amount: int | None = None) -> Refund:
    _, rid = reqs.open_request(desk, no, ReasonCode.WRONG_ITEM, amount_fen=amount)
    assert rid is not None
    if not Refund.select().where(Refund.request == rid).exists():  # not approved at once (cooling-off)
        reqs.approve(desk, rid, amount_fen=amount)
    return Refund.select().where(Refund.order == row(no).id).order_by(Refund.id.desc()).get()


def no_gateway_order(desk: Desk, status: str = "paid", **kw: object) -> str:
    no = order(desk, status, **kw)  # type: ignore[arg-type]
    Order.update(gateway=None).where(Order.order_no == no).execute()
    return no


# ---- 1. "checked in the gateway's back office" only where the gateway can have paid --------------

@pytest.mark.parametrize("case", ["refused", "never_sent", "no_gateway"])
def test_gateway_verified_is_refused_where_the_gateway_cannot_have_paid(desk: Desk, case: str) -> None:
    if case == "no_gateway":
        ref = approved(desk, no_gateway_order(desk), 20_00)
    else:
        ref = approved(desk, order(desk, "paid", gateway_id=sandbox(desk, "reject")), 20_00)
        if case == "refused":
            send(desk)
    no = Order.get_by_id(ref.order_id).order_no
    before = (row(no).refunded_fen, row(no).refund_pending_fen, Refund.get_by_id(ref.id).state)
    assert not views.refund_view(desk, ref.id).gateway_verifiable
    with pytest.raises(DomainError) as info:
        rq.resolve_manually(desk, ref.id, True, "查了网关后台")
    assert info.value.code == "not_gateway_verifiable" and "现金" in info.value.zh and "cash" in info.value.en
    assert (row(no).refunded_fen, row(no).refund_pending_fen, Refund.get_by_id(ref.id).state) == before
    rq.resolve_manually(desk, ref.id, True, "现金退给买家", how=OutsideMethod.CASH)  # the one that fits
    assert (Refund.get_by_id(ref.id).state, Refund.get_by_id(ref.id).resolved_how) == ("succeeded", "cash")
    assert row(no).refunded_fen == 20_00


def test_gateway_verified_stays_for_a_refund_the_gateway_received(desk: Desk) -> None:
    ref = approved(desk, order(desk, "paid", gateway_id=sandbox(desk, "stuck")), 20_00)
    send(desk)
    assert views.refund_view(desk, ref.id).gateway_verifiable
    rq.resolve_manually(desk, ref.id, True, "后台查到已退款")
    assert Refund.get_by_id(ref.id).state == "succeeded"


# ---- 2. one trade no pays one order, also when an order has no gateway account -------------------

def test_a_trade_no_held_on_an_account_refuses_an_order_without_one(desk: Desk) -> None:
    holder = order(desk, "paid")
    trade = row(holder).gateway_trade_no
    unpaid = no_gateway_order(desk, "pending_payment")
    with pytest.raises(DomainError) as info:
        ops.mark_paid(desk, unpaid, trade, confirmed=True)
    assert info.value.code == "trade_no_taken" and holder in info.value.zh and holder in info.value.en
    assert row(unpaid).paid_at is None
    # and the other way round: an account's order may not take a trade no an order without one holds
    loose = no_gateway_order(desk, "pending_payment")
    ops.mark_paid(desk, loose, "LOOSE-1", confirmed=True)
    other = order(desk, "pending_payment")
    with pytest.raises(DomainError, match=loose):
        ops.mark_paid(desk, other, "LOOSE-1", confirmed=True)


def test_check_reports_a_trade_no_shared_across_accounts(desk: Desk) -> None:
    holder = order(desk, "paid")
    loose = no_gateway_order(desk, "paid")
    Order.update(gateway_trade_no=row(holder).gateway_trade_no).where(Order.order_no == loose).execute()
    report = maintenance.check(desk)
    assert not report.ok
    assert report.duplicate_trade_nos == [(row(holder).gateway_trade_no, sorted([holder, loose]))]


# ---- 3. a restore that would forget refunds sent or settled since ---------------------------------

@pytest.mark.sqlite_only(reason="SQLite by nature: restoring a file backup")
def test_restore_names_refunds_sent_since_the_backup_and_needs_confirmation(desk: Desk, data_dir: Path) -> None:
    no = order(desk, "paid", gateway_id=sandbox(desk, "success"))
    backup = maintenance.backup(desk)
    ref = approved(desk, no)
    send(desk)
    assert Refund.get_by_id(ref.id).state == "succeeded"
    quiet = approved(desk, order(desk, "paid", gateway_id=sandbox(desk, "success")), 10_00)  # queued only
    desk.close()
    lost = maintenance.refunds_since(data_dir, backup)
    assert [(r.refund_no, r.order_no, r.state, r.in_backup) for r in lost] == [
        (ref.refund_no, no, "succeeded", None)]
    with pytest.raises(DomainError) as info:
        maintenance.restore(data_dir, backup)
    assert info.value.code == "restore_forgets_refunds"
    assert ref.refund_no in info.value.zh and no in info.value.en and quiet.refund_no not in info.value.zh
    reopened = Desk.open(data_dir)  # nothing was moved
    try:
        assert Refund.get_by_id(ref.id).state == "succeeded"
    finally:
        reopened.close()
    maintenance.restore(data_dir, backup, confirmed=True)
    assert not (data_dir / "set-aside").exists() or any((data_dir / "set-aside").iterdir())


@pytest.mark.sqlite_only(reason="SQLite by nature: restoring a file backup")
def test_a_backup_taken_after_the_refunds_restores_without_asking(desk: Desk, data_dir: Path) -> None:
    ref = approved(desk, order(desk, "paid", gateway_id=sandbox(desk, "success")))
    send(desk)
    backup = maintenance.backup(desk)
    desk.close()
    assert maintenance.refunds_since(data_dir, backup) == []
    maintenance.restore(data_dir, backup)
    reopened = Desk.open(data_dir)
    try:
        assert Refund.get_by_id(ref.id).state == "succeeded"
    finally:
        reopened.close()


# ---- 4. a refund without a gateway waits for the owner -------------------------------------------

def test_a_refund_without_a_gateway_needs_the_owner_from_the_start(desk: Desk) -> None:
    ref = approved(desk, no_gateway_order(desk), 15_00)
    assert (ref.state, ref.last_error_kind) == ("needs_owner", "no_gateway")
    assert row(Order.get_by_id(ref.order_id).order_no).refund_pending_fen == 15_00
    assert views.list_refunds(desk, "needs_owner")[0].id == ref.id
    # one approved before this rule still waiting to send is handed to the owner by the queue
    Refund.update(state="queued", last_error_kind="").where(Refund.id == ref.id).execute()
    assert send(desk).picked == 0
    assert Refund.get_by_id(ref.id).state == "needs_owner"


def test_an_order_whose_refund_waits_for_the_owner_is_restored_only_once_it_is_resolved(desk: Desk) -> None:
    no = no_gateway_order(desk)
    ref = approved(desk, no)
    assert row(no).status == "cancelled" and Refund.get_by_id(ref.id).state == "needs_owner"
    with pytest.raises(DomainError) as refused:  # the owner may have paid the buyer by hand
        ops.restore(desk, no)
    assert refused.value.code == "refund_needs_owner" and row(no).status == "cancelled"
    resolve_manually(desk, ref.id, False, "买家改主意，未退款")
    ops.restore(desk, no)
    assert (row(no).status, row(no).refund_pending_fen) == ("paid", 0)
    # resolved by the owner as not refunded: a final 退款失败 that the restore leaves as it is
    assert (Refund.get_by_id(ref.id).state, Refund.get_by_id(ref.id).last_error_kind) == ("failed", "manual")


# ---- 6. an unpaid order has paid nothing; 补单 says when it replaces a trade no ---------------------

def test_an_unpaid_order_reports_no_money_paid(desk: Desk) -> None:
    no = order(desk, "pending_payment", paid_fen=15_00)
    detail = views.order_detail(desk, no)
    assert (detail.paid_fen, detail.amount_fen, detail.refundable_fen) == (0, 15_00, 0)
    listed = {r.order_no: r for r in views.order_page(desk, views.OrderFilter(), 50)}[no]
    assert (listed.paid, listed.received_fen, listed.refundable_fen) == (False, 0, 0)
    ops.mark_paid(desk, no, "PAID-1", confirmed=True, deliver=False)
    detail = views.order_detail(desk, no)
    assert (detail.paid_fen, detail.refundable_fen) == (15_00, 15_00)


def test_mark_paid_refuses_an_order_with_nothing_due(desk: Desk) -> None:
    no = order(desk, "pending_payment", paid_fen=0)
    why = ops.mark_paid_check(desk, no)
    assert why is not None and why.code == "nothing_due" and "¥0.00" in why.zh
    with pytest.raises(DomainError) as refused:
        ops.mark_paid(desk, no, "PAID-0", confirmed=True)
    assert refused.value.code == "nothing_due"
    assert row(no).paid_at is None and row(no).gateway_trade_no is None


def test_mark_paid_says_when_it_replaces_an_imported_trade_no(desk: Desk) -> None:
    no = order(desk, "pending_payment", gateway_trade_no="SBX0001")
    changes = ops.mark_paid(desk, no, "SBX0099", confirmed=True, deliver=False)
    assert f"{ops.TRADE_NO_REPLACED}SBX0001" in changes.messages
    assert row(no).gateway_trade_no == "SBX0099"
    event = OrderEvent.get((OrderEvent.order == row(no).id) & (OrderEvent.action == "mark_paid"))
    assert '"replaced_trade_no": "SBX0001"' in event.data
    same = order(desk, "pending_payment", gateway_trade_no="SBX0002")
    assert not any(m.startswith(ops.TRADE_NO_REPLACED)
                   for m in ops.mark_paid(desk, same, "SBX0002", confirmed=True, deliver=False).messages)


# ---- 7. a locked key vault says why and hides nothing ---------------------------------------------

def test_a_locked_vault_says_why_and_the_refunds_stay_due(desk: Desk, data_dir: Path) -> None:
    gw.save_account(desk, "易支付", "epay_v1", {"base_url": "http://127.0.0.1:9/", "pid": "1001", "key": "k" * 32})
    account = next(a.id for a in gw.list_accounts(desk) if a.name == "易支付")
    no = order(desk, "paid", gateway_id=account, paid_minutes_ago=30, code_used="no")
    _, rid = reqs.open_request(desk, no, ReasonCode.WRONG_ITEM, amount_fen=10_00)
    assert rid is not None
    reqs.approve(desk, rid, amount_fen=10_00, confirm_non_idempotent=True)
    ref = Refund.get(Refund.request == rid)
    gw.set_secret_store(desk, VaultStore(data_dir / "vault.json", passphrase=""))
    report = send(desk)
    assert report.picked == 1 and report.succeeded == report.failed == report.unknown == 0
    [(why, ids)] = report.not_sent.items()
    assert ids == [ref.id] and "保险箱" in why[0] and "vault" in why[1]
    after = Refund.get_by_id(ref.id)
    assert (after.state, after.attempts, after.next_attempt_at) == ("queued", 0, 0)
    gw.set_secret_store(desk, VaultStore(data_dir / "vault.json", passphrase="test-passphrase"))
    again = send(desk)  # not held back by a back-off: nothing was tried
    assert again.picked == 1 and not again.not_sent


# ---- 8. what a refund's row says -------------------------------------------------------------------

def test_settled_at_only_on_final_refunds_and_an_old_failure_goes_when_sent_again(desk: Desk) -> None:
    ref = approved(desk, order(desk, "paid", gateway_id=sandbox(desk, "stuck")), 20_00)
    Refund.update(settled_at=1, state="unknown", attempts=1).where(Refund.id == ref.id).execute()
    assert views.refund_view(desk, ref.id).settled_at is None
    Refund.update(state="queued", last_error="ACQ.TRADE_NOT_EXIST / old", last_error_kind="rejected").where(
        Refund.id == ref.id).execute()
    queue = rq.RefundQueue(desk)
    job = queue._due(None, [ref.id], True)[0]
    assert queue._mark_sending(job)  # the call would go out now; a crash here leaves 'sending'
    sending = Refund.get_by_id(ref.id)
    assert (sending.state, sending.last_error, sending.last_error_kind) == ("sending", "", "")
