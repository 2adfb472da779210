"""A refund's state and its order's money move together; the owner's actions on one refund.

``move_refund`` is the only place that changes a refund's state after approval: it keeps the
order's ``refund_pending_fen`` (in flight, 退款中), ``refunded_fen`` (succeeded only) and status
in step with it (rules in ``domain.refund_states``).

Owner actions: ``retry`` a failed refund (same refund no and amount), ``confirm`` a gateway
without refund idempotency, and ``resolve_manually`` a refund in any state that is not final
(or a failed one later refunded outside the desk), recording what the owner checked and how
the buyer got the money.
"""

from __future__ import annotations

from datetime import datetime

from peewee import SQL

from ..domain.clock import to_epoch
from ..domain.errors import DomainError
from ..domain.money import format_yuan
from ..domain.notes import check_notes
from ..domain.refund_states import (
    IN_FLIGHT_REFUND_STATES,
    NOT_PAID_REFUND_STATES,
    OutsideMethod,
    RefundStatus,
    gateway_verified_refusal,
    status_after_refund,
)
from ..domain.roles import Right
from ..domain.states import OrderStatus
from ..store.models import Order, OrderEvent, Refund
from ..store.queries import IN_FLIGHT_WHERE
from .approval_check import approved_on_order
from .changes import Changes
from .common import OWNER, add_events, event_row, not_found, operator_name
from .desk import Desk
from .refund_guard import why_not_recordable
from .views import refund_actions

R = RefundStatus
#: A refund in these states went to the gateway, which has not said how it ended.
GATEWAY_MAY_PAY = frozenset({R.SENDING, R.PROCESSING, R.UNKNOWN})


def move_refund(ref: Refund, target: RefundStatus, now: datetime) -> tuple[str, str]:
    """Set ``ref.state`` (unsaved) and update its order's money and status (saved).

    Returns the order's status before and after. Never moves a succeeded refund back.
    """
    before = R(ref.state)
    if before is R.SUCCEEDED and target is not R.SUCCEEDED:
        raise DomainError("refund_already_succeeded", "该退款已成功，不能再改", "this refund already succeeded")
    order = Order.get_by_id(ref.order_id)
    status_before = str(order.status)
    if target is before:
        return status_before, status_before
    was_in_flight, in_flight = before in IN_FLIGHT_REFUND_STATES, target in IN_FLIGHT_REFUND_STATES
    if was_in_flight and not in_flight:
        order.refund_pending_fen = max(0, order.refund_pending_fen - ref.gross_fen)
    elif in_flight and not was_in_flight:
        order.refund_pending_fen += ref.gross_fen
    if target in NOT_PAID_REFUND_STATES and before not in NOT_PAID_REFUND_STATES:
        order.points_refunded = max(0, order.points_refunded - ref.points_returned)  # its points did not go back
    elif before in NOT_PAID_REFUND_STATES and target not in NOT_PAID_REFUND_STATES:
        order.points_refunded += ref.points_returned
    if target is R.SUCCEEDED and before is not R.SUCCEEDED:
        order.refunded_fen += ref.gross_fen
        order.status = status_after_refund(OrderStatus(order.status), order.paid_fen, order.refunded_fen,
                                           order.delivered_at is not None).value
    order.updated_at = to_epoch(now)
    order.save()
    ref.state = target.value
    return status_before, str(order.status)


def _refund(refund_id: int) -> Refund:
    ref = Refund.get_or_none(Refund.id == refund_id)
    if ref is None:
        raise not_found("refund", refund_id)
    return ref


def _actions(ref: Refund) -> frozenset[str]:
    return refund_actions(ref.state, ref.last_error_kind, ref.gateway_id is not None, bool(ref.needs_confirmation),
                          bool(ref.confirmed))


def retry(desk: Desk, refund_id: int, *, actor: str = OWNER, confirmed: bool = False) -> Changes:
    """Put a failed refund back in the queue, same refund no and amount (if still refundable)."""
    desk.require(Right.REFUNDS)
    with desk.atomic():
        ref = _refund(refund_id)
        if "retry" not in _actions(ref):
            raise DomainError("not_retryable", "只有失败的退款可以重新发送", "only a failed refund can be sent again")
        if ref.needs_confirmation and not confirmed:
            raise DomainError("confirm_non_idempotent", "该网关没有退款幂等保护，重新发送前请确认",
                              "this gateway has no refund idempotency; confirm before sending again")
        restored = _restored_since(ref)
        if restored is not None:
            raise restored
        # Sent again, its money counts again against the operator's per-order limit (a failed
        # refund counts no more: approving anew and then retrying it must not get round the limit).
        limit = desk.over_limit(ref.gross_fen, approved_on_order(desk.db.connection(), ref.order_id,
                                                                 operator_name(desk.db)))
        if limit is not None:
            raise limit
        order = Order.get_by_id(ref.order_id)
        room = order.paid_fen - order.refunded_fen - order.refund_pending_fen
        if ref.gross_fen > room:
            left = format_yuan(max(0, room))
            raise DomainError("refund_exceeds_refundable",
                              f"重新发送会超过可退金额（这笔退款 ¥{format_yuan(ref.gross_fen)}，还可退 ¥{left}）",
                              f"sending it again would exceed what is refundable (this refund is "
                              f"¥{format_yuan(ref.gross_fen)}, ¥{left} left)")
        now = desk.now()
        before, after = move_refund(ref, R.QUEUED, now)
        ref.next_attempt_at = 0
        ref.checks = 0
        ref.confirmed = ref.confirmed or confirmed
        ref.save()
        add_events([event_row(ref.order_id, now, actor, "refund_retry", "", before, after,
                              data={"refund_no": ref.refund_no})])
        return Changes(order_ids={ref.order_id}, refund_ids={ref.id}, counts_changed=before != after)


def confirm(desk: Desk, refund_id: int, *, actor: str = OWNER) -> Changes:
    """The owner's explicit go-ahead for a refund through a gateway without refund idempotency,
    queued or failed (``views.refund_actions``). Raises DomainError ``confirmation_not_needed``
    for a refund that needs none or is past waiting for one."""
    desk.require(Right.REFUNDS)
    with desk.atomic():
        ref = _refund(refund_id)
        if not ref.needs_confirmation:
            raise DomainError("confirmation_not_needed", "该退款无需确认：它的网关有退款幂等保护（或不经网关发送）",
                              "this refund needs no confirmation: its gateway has refund idempotency (or it is not "
                              "sent through a gateway)")
        if "confirm" not in _actions(ref) and not ref.confirmed:  # confirmed before: saying it again changes nothing
            raise DomainError("confirmation_not_needed", f"该退款已是「{R(ref.state).zh}」，不在等待确认",
                              f"this refund is '{R(ref.state).en}': it is not waiting for a confirmation")
        ref.confirmed = True
        ref.save()
        add_events([event_row(ref.order_id, desk.now(), actor, "refund_confirmed", "",
                              data={"refund_no": ref.refund_no})])
        return Changes(order_ids={ref.order_id}, refund_ids={ref.id})


def resolve_manually(desk: Desk, refund_id: int, succeeded: bool, note: str, *, actor: str = OWNER,
                     how: OutsideMethod = OutsideMethod.GATEWAY, gateway_checked: bool = False) -> Changes:
    """The owner records the outcome of a refund that is not final (or a failed one that was
    later refunded another way): ``succeeded`` or not, what was checked (``note``, required) and
    ``how`` the buyer got the money (checked in the gateway's back office, cash, bank transfer...).

    Raises DomainError ``note_required``, ``not_resolvable`` (final already, or withdrawn),
    ``not_gateway_verifiable`` (succeeded "through the gateway" for a refund the gateway cannot
    have paid: no account, never sent, or refused; see ``domain.refund_states.gateway_verified_refusal``);
    ``refund_disagrees`` (succeeded for a refund row whose amounts are not its approval's, or whose
    order's refunds exceed what was paid: the send's guard, ``services.refund_guard.why_not_recordable``);
    ``gateway_may_pay`` (failed for a refund sent to the gateway whose outcome is not known, unless
    ``gateway_checked``: the owner saw in the gateway's back office that it failed or does not exist.
    Recorded failed, the desk stops asking the gateway, and the money refunded again another way
    would reach the buyer twice should the gateway pay it after all).
    """
    desk.require(Right.REFUNDS)
    check_notes(note)
    if not note.strip():
        raise DomainError("note_required", "请写明核实情况", "say what you checked")
    with desk.atomic():
        ref = _refund(refund_id)
        if "resolve" not in _actions(ref) or (ref.state == R.FAILED.value and not succeeded):
            raise DomainError("not_resolvable", f"该退款已是最终状态（{R(ref.state).zh}），不需要人工处理",
                              f"this refund is final already ({R(ref.state).en}); it needs no manual resolution")
        # Money recorded as gone back; a failed refund's counted no more against the operator's
        # per-order limit, so recorded as paid it counts again, as a retry does.
        limit = None if not succeeded else desk.over_limit(ref.gross_fen, approved_on_order(
            desk.db.connection(), ref.order_id, operator_name(desk.db)) if ref.state == R.FAILED.value else 0)
        if limit is not None:
            raise limit
        refusal = gateway_verified_refusal(R(ref.state), ref.gateway_id is not None, int(ref.attempts or 0)) if succeeded and how is OutsideMethod.GATEWAY else None
        if refusal is not None:
            raise refusal
        if succeeded and how is not OutsideMethod.GATEWAY and R(ref.state) in GATEWAY_MAY_PAY:
            # Sent, its outcome not known: the gateway may still pay it, and recorded as paid
            # another way the desk would stop asking, so the buyer could be paid twice.
            raise DomainError(
                "gateway_may_pay", f"该退款已发给网关，结果未定（{R(ref.state).zh}）：网关仍可能退这笔钱。请先查询结果"
                f"（refunds send --id {ref.id}）；网关确认失败后，再登记台外退款",
                f"this refund was sent to the gateway and its outcome is not settled ({R(ref.state).en}): the gateway "
                f"may still pay it. Ask for the outcome first (refunds send --id {ref.id}); once the gateway says it "
                "failed, record the refund made outside the desk")
        sent_unsettled = R(ref.state) in GATEWAY_MAY_PAY or (
            R(ref.state) is R.NEEDS_OWNER and ref.gateway_id is not None and int(ref.attempts or 0) > 0)
        if not succeeded and not gateway_checked and sent_unsettled:
            raise DomainError(
                "gateway_may_pay", f"该退款已发给网关，结果未定（{R(ref.state).zh}）：网关仍可能退这笔钱。记为失败后本店不再查询它，"
                f"之后若再用别的方式退款，买家可能收到两次。请先查询结果（refunds send --id {ref.id}）；若已在网关后台查明"
                "这笔退款失败或不存在，再确认记为失败",
                f"this refund was sent to the gateway and its outcome is not settled ({R(ref.state).en}): the gateway "
                f"may still pay it. Recorded failed, the desk stops asking, and refunded again another way the buyer "
                f"could be paid twice. Ask for the outcome first (refunds send --id {ref.id}); if the gateway's back "
                "office shows it failed or does not exist, confirm recording it failed")
        if succeeded and ref.state == R.FAILED.value:
            covered = _covered_since(ref)
            if covered is not None:
                raise covered
        held = why_not_recordable(desk.db.connection(), ref.id) if succeeded else None
        if held is not None:
            raise DomainError("refund_disagrees", *held)
        now = desk.now()
        before, after = move_refund(ref, R.SUCCEEDED if succeeded else R.FAILED, now)
        ref.last_error = note.strip()
        ref.last_error_kind = "manual"
        ref.resolved_how = how.value
        ref.settled_at = to_epoch(now)
        ref.next_attempt_at = 0
        ref.save()
        add_events([event_row(ref.order_id, now, actor, "refund_resolved", note.strip(), before, after,
                              data={"refund_no": ref.refund_no, "succeeded": succeeded, "how": how.value,
                                    "amount_fen": ref.amount_fen})])
        return Changes(order_ids={ref.order_id}, refund_ids={ref.id}, counts_changed=before != after)


def _restored_since(ref: Refund) -> DomainError | None:
    """The refusal to send failed refund ``ref`` again when its order was restored after it was
    made: the cancel it paid back was undone, and the order may be delivered (the buyer would get
    the goods and the money). A refund due now is a new request on the order."""
    order = Order.get_by_id(ref.order_id)
    restored = (OrderEvent.select(OrderEvent.id).where((OrderEvent.order == ref.order_id)
                                                       & (OrderEvent.action == "restore")
                                                       & (OrderEvent.at >= ref.created_at)).exists())
    if not restored:
        return None
    return DomainError(
        "restored_since",
        f"订单 {order.order_no} 在这笔退款之后已恢复：它退的是已撤销的取消，不能再发送。"
        f"若现在要退款，请重新登记申请（requests open {order.order_no} ...）",
        f"order {order.order_no} was restored after this refund was made: it paid back a cancel that was "
        f"undone, so it is not sent again. To refund the buyer now, open a new request "
        f"(requests open {order.order_no} ...)")


def _covered_since(ref: Refund) -> DomainError | None:
    """The refusal to record failed refund ``ref`` as paid back by hand when the money it was for
    has been refunded or approved again since (a newer refund, in flight or succeeded): both
    counted, the order's refunds would pass what was paid. Names the newer refunds."""
    order = Order.get_by_id(ref.order_id)
    room = int(order.paid_fen) - int(order.refunded_fen) - int(order.refund_pending_fen)
    if ref.gross_fen <= room:
        return None
    others = list(Refund.select(Refund.id, Refund.state).where(
        (Refund.order == ref.order_id) & (Refund.id != ref.id)
        & Refund.state.not_in([s.value for s in NOT_PAID_REFUND_STATES])).order_by(Refund.id))
    newer = [f"#{r.id}" for r in others]
    unsent = [f"#{r.id}" for r in others if R(r.state) in (R.QUEUED, R.NEEDS_OWNER)]
    listed = "、".join(newer) or "-"
    zh = (f"这笔退款失败后，钱已由退款 {listed} 再退（可退仅剩 ¥{format_yuan(max(0, room))}）：两笔都记为已退会超过实付。")
    en = (f"the money of this failed refund has been refunded again since by refund {', '.join(newer) or '-'} "
          f"(¥{format_yuan(max(0, room))} left refundable): both counted as paid would exceed what was paid. ")
    if unsent:
        zh += (f"若买家确已在台外收到这笔钱，请先把尚未发出的 {'、'.join(unsent)} 标记为失败"
               "（refunds resolve ID --failed --note ...），再登记")
        en += (f"If the buyer really got this money outside the desk, mark the unsent {', '.join(unsent)} failed first "
               "(refunds resolve ID --failed --note ...), then record this one")
    else:
        zh += "这笔退款保持失败；若买家两笔都收到了，多退的钱请与买家核对"
        en += "This refund stays failed; if the buyer got both, check the money paid twice with the buyer"
    return DomainError("refund_covered_since", zh, en)


def queued_count(desk: Desk) -> int:
    """Refunds not final yet (the status bar's 退款中 count)."""
    return int(Refund.select().where(SQL(IN_FLIGHT_WHERE)).count())  # through the partial index (schema 9)
