"""A refund is sent only for the amount an approval made, and never beyond what was paid: a refund
row edited outside the desk waits for the owner with the reason, and the gateway is never called."""

from __future__ import annotations

import json

import pytest

from kashop_desktop.domain.codes import CodeState
from kashop_desktop.domain.errors import DomainError
from kashop_desktop.domain.order import ReasonCode
from kashop_desktop.domain.refunds import send_refusal
from kashop_desktop.services import requests as reqs
from kashop_desktop.services.codes import move_codes
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.maintenance import check
from kashop_desktop.services.refund_queue import UNAPPROVED_AMOUNT
from kashop_desktop.store.models import CardCode, Order, OrderEvent, Refund

from .helpers import order, sandbox
from .test_refund_queue import approved_refund, ledger, send


def _sql(desk: Desk, statement: str, *params: object) -> None:
    """An edit made with the sqlite3 shell, outside every service."""
    with desk.atomic():
        desk.db.connection().execute(statement, params)


def _edit_json(desk: Desk, select: str, update: str, key: str, value: object, *params: object) -> None:
    """Set ``key`` to ``value`` in the JSON text of each row ``select`` reads as (id, text), written
    back with ``update`` (``?`` text, ``?`` id): the same edit on both stores, outside every service."""
    with desk.atomic():
        con = desk.db.connection()
        for row_id, text in con.execute(select, params).fetchall():
            data = json.loads(text)
            data[key] = value
            con.execute(update, (json.dumps(data), row_id))


def _refused(desk: Desk, ref: Refund, report_not_sent: dict[tuple[str, str], list[int]], words: str) -> None:
    after = Refund.get_by_id(ref.id)
    assert after.state == "needs_owner" and after.last_error_kind == UNAPPROVED_AMOUNT and after.security_warning
    assert words in after.last_error
    assert [ids for ids in report_not_sent.values()] == [[ref.id]]
    assert ledger(desk).calls(ref.refund_no) == 0  # nothing went to the gateway
    last = OrderEvent.select().where(OrderEvent.order == ref.order_id).order_by(OrderEvent.id.desc()).get()
    assert last.action == "refund_needs_owner" and json.loads(last.data)["kind"] == UNAPPROVED_AMOUNT


def test_a_raised_amount_is_not_sent(desk: Desk) -> None:
    ref = approved_refund(desk, "success")
    _sql(desk, "UPDATE refund SET amount_fen = 100000, gross_fen = 100000 WHERE id = ?", ref.id)
    report = send(desk)
    assert report.succeeded == 0 and report.security_warnings == 1
    _refused(desk, ref, report.not_sent, "its approval recorded")
    assert Order.get_by_id(ref.order_id).refunded_fen == 0


def test_by_id_and_forced_the_same(desk: Desk) -> None:
    ref = approved_refund(desk, "success")
    _sql(desk, "UPDATE refund SET amount_fen = amount_fen + 1 WHERE id = ?", ref.id)
    report = send(desk, refund_ids=[ref.id], force=True)
    _refused(desk, ref, report.not_sent, "its approval recorded")


def test_refunds_beyond_what_was_paid_are_not_sent(desk: Desk) -> None:
    ref = approved_refund(desk, "success")
    _sql(desk, "UPDATE orders SET paid_fen = 100 WHERE id = ?", ref.order_id)
    report = send(desk)
    _refused(desk, ref, report.not_sent, "more than the")


def test_a_refund_no_approval_names_is_not_sent(desk: Desk) -> None:
    ref = approved_refund(desk, "success")
    _edit_json(desk, "SELECT id, data FROM order_event WHERE order_id = ? AND action LIKE '%approved'",
               "UPDATE order_event SET data = ? WHERE id = ?", "refund_no", "X", ref.order_id)
    report = send(desk)
    _refused(desk, ref, report.not_sent, "no approval")


def test_split_partial_refunds_within_paid_all_go(desk: Desk) -> None:
    no = order(desk, "delivered", gateway_id=sandbox(desk, "success"), paid_fen=90_00, quantity=3)
    for _ in range(3):
        changes, rid = reqs.open_request(desk, no, ReasonCode.MERCHANT_FAULT, amount_fen=30_00)
        if rid is not None and not changes.refund_ids:
            reqs.approve(desk, rid)
    report = send(desk)
    assert report.succeeded == Refund.select().count() == 3 and not report.not_sent


@pytest.mark.parametrize(("gross", "net", "approved", "paid", "total", "ok"), [
    (5000, 5000, (5000, 5000), 10000, 10000, True),
    (5000, 4900, (5000, 4900), 10000, 5000, True),
    (5001, 5000, (5000, 5000), 10000, 5001, False),
    (5000, 5001, (5000, 5000), 10000, 5000, False),
    (5000, 5000, None, 10000, 5000, False),
    (5000, 5000, (5000, 5000), 9999, 10000, False),
])
def test_the_rule(gross: int, net: int, approved: tuple[int, int] | None, paid: int, total: int, ok: bool) -> None:
    why = send_refusal(gross_fen=gross, net_fen=net, approved=approved, paid_fen=paid, order_refunds_gross_fen=total)
    assert (why is None) is ok
    if why is not None:
        assert why[0] and why[1] and "not sent" in why[1]


def _disagreements(desk: Desk) -> list[str]:
    report = check(desk)
    if report.state_disagreements:
        assert not report.ok
    return [en for _, en in report.state_disagreements]


def test_check_compares_refunds_orders_and_codes_with_their_events(desk: Desk) -> None:
    ref = approved_refund(desk, "success")
    assert _disagreements(desk) == [] and check(desk).ok
    _sql(desk, "UPDATE refund SET amount_fen = 100000, gross_fen = 100000 WHERE id = ?", ref.id)
    found = _disagreements(desk)
    assert len(found) == 3 and not check(desk).ok
    assert f"refund #{ref.id}" in found[0] and "its approval recorded" in found[0]
    assert "exceed" in found[1]  # ¥1000 of refunds on a ¥68 order
    assert "refunds in flight's ¥1000.00" in found[2]  # the order's ¥68 in flight is not its refund's


def test_check_reads_an_approval_whose_data_is_no_object_as_naming_nothing(desk: Desk) -> None:
    ref = approved_refund(desk, "success")
    _sql(desk, "UPDATE order_event SET data = '[]' WHERE order_id = ? AND action LIKE '%approved'",
         ref.order_id)
    order_no = Order.get_by_id(ref.order_id).order_no
    assert _disagreements(desk) == [f"refund #{ref.id} ({order_no}, {ref.refund_no}) is named by no "
                                    "approval in the timeline"]
    _refused(desk, ref, send(desk).not_sent, "no approval")  # nor does the last check before sending


def test_check_finds_a_lowered_paid_amount_and_a_voided_code_back_on_sale(desk: Desk) -> None:
    ref = approved_refund(desk, "success")
    _sql(desk, "UPDATE orders SET paid_fen = 1 WHERE id = ?", ref.order_id)
    assert any("exceed the ¥0.01 paid" in d for d in _disagreements(desk))
    _sql(desk, "UPDATE orders SET paid_fen = 6800 WHERE id = ?", ref.order_id)
    code = CardCode.select().where(CardCode.state == "available").order_by(CardCode.id).get()
    move_codes(desk, [code.id], CodeState.VOID)
    assert _disagreements(desk) == []
    _sql(desk, "UPDATE card_code SET state = 'available' WHERE id = ?", code.id)
    assert _disagreements(desk) == [f"卡密 #{code.id} was voided (see the inventory log) but is now available"]


def test_check_compares_the_settings_with_the_log_and_a_broken_one_is_a_message(desk: Desk) -> None:
    desk.set_policy(desk.policy().with_overrides({"cooling_off_minutes": 12}))
    assert _disagreements(desk) == []
    _edit_json(desk, "SELECT key, value FROM setting WHERE key = 'policy'",
               "UPDATE setting SET value = ? WHERE key = ?", "cooling_off_minutes", 600)
    assert _disagreements(desk) == ["the setting policy differs from the value the log last recorded"]
    _sql(desk, "UPDATE setting SET value = '{broken' WHERE key = 'policy'")
    desk._policy_cache = None  # as a fresh process reads it
    assert _disagreements(desk) == ["the setting policy does not parse (not valid JSON)"]
    with pytest.raises(DomainError) as refused:
        desk.policy()
    assert refused.value.code == "setting_unreadable" and "policy" in refused.value.en


def test_a_paid_amount_raised_before_the_approval_is_not_sent(desk: Desk) -> None:
    from kashop_desktop.services.common import add_events, event_row

    no = order(desk, "paid", gateway_id=sandbox(desk, "success"), paid_fen=68_00)
    oid = Order.get(Order.order_no == no).id
    with desk.atomic():  # the order's creation as the desk records it: the amount due
        add_events([event_row(oid, desk.now(), "buyer", "created", data={"amount_fen": 68_00})])
    _sql(desk, "UPDATE orders SET paid_fen = 680000 WHERE id = ?", oid)
    changes, rid = reqs.open_request(desk, no, ReasonCode.MISTAKEN)  # the approval follows the raised amount
    if rid is not None and not changes.refund_ids:
        reqs.approve(desk, rid)
    ref = Refund.get(Refund.order == oid)
    assert ref.gross_fen == 680000
    report = send(desk)
    _refused(desk, ref, report.not_sent, "its timeline recorded when it was created")
    assert any("its timeline recorded" in en for _, en in check(desk).state_disagreements)


@pytest.mark.parametrize("state", ["queued"])
def test_a_succeeded_refund_put_back_in_the_queue_is_not_sent_again(desk: Desk, state: str) -> None:
    ref = approved_refund(desk, "success")
    assert send(desk).succeeded == 1
    _sql(desk, "UPDATE refund SET state = ?, next_attempt_at = 0 WHERE id = ?", state, ref.id)
    found = check(desk).state_disagreements
    assert any('is "Waiting to send" but its timeline last recorded it "Refunded"' in en
               and "「待发送」" in zh and "「退款成功」" in zh for zh, en in found), found
    report = send(desk)
    after = Refund.get_by_id(ref.id)
    assert after.state == "needs_owner" and after.last_error_kind == UNAPPROVED_AMOUNT
    assert 'recorded this refund as "Refunded"' in after.last_error and "「退款成功」" in after.last_error and report.succeeded == 0
    assert ledger(desk).calls(ref.refund_no) == 1  # sent once, never again


def test_a_refund_marked_succeeded_outside_the_desk_is_named(desk: Desk) -> None:
    ref = approved_refund(desk, "success")
    _sql(desk, "UPDATE refund SET state = 'succeeded' WHERE id = ?", ref.id)
    assert any("never recorded it" in en for _, en in check(desk).state_disagreements)


@pytest.mark.parametrize("edit", ["UPDATE orders SET refunded_fen = 0 WHERE id = ?",
                                  "UPDATE orders SET refunded_fen = 0, status = 'paid' WHERE id = ?"])
def test_a_refunded_amount_lowered_outside_the_desk_is_not_offered_again(desk: Desk, edit: str) -> None:
    from kashop_desktop.services import views

    ref = approved_refund(desk, "success")  # the whole ¥68.00, auto-approved
    assert send(desk).succeeded == 1
    order_row = Order.get_by_id(ref.order_id)
    _sql(desk, edit, order_row.id)
    assert views.order_detail(desk, order_row.order_no).refundable_fen == 0
    with pytest.raises(DomainError):
        reqs.open_request(desk, order_row.order_no, ReasonCode.MISTAKEN, amount_fen=10_00)
    assert Refund.select().where(Refund.order == order_row.id).count() == 1
