"""One line saying what an action just did, from the typed result its dialog returned.

Shown in the order detail (green, until another order is shown) and in the status bar, so
the owner never has to guess whether a cancel, a delivery or a 补单 went through.
"""

from __future__ import annotations

from typing import Any

from ..domain.decision import Outcome
from ..domain.money import format_yuan
from ..domain.order import Channel, ProductType
from ..domain.refund_states import NO_GATEWAY
from ..services.views import OrderDetail
from .dialogs import (
    CancelResult,
    CompleteResult,
    DeliverResult,
    MarkPaidResult,
    OpenRequestResult,
    RecordOutsideResult,
    RestoreResult,
    ReviewResult,
)
from .i18n import format_time_s, pick, status_label
from .qt import QCoreApplication

translate = QCoreApplication.translate


def outcome_message(result: Any, detail: OrderDetail | None) -> str:
    """The confirmation for a dialog's result; ``detail`` is the order as it is now."""
    if isinstance(result, DeliverResult):
        return _delivered(result)
    if isinstance(result, CompleteResult):
        return translate("Outcomes", "订单 {order_no} 已完成").format(order_no=result.order_no)
    if isinstance(result, CancelResult):
        return _cancelled(result)
    if isinstance(result, RestoreResult):
        status = status_label(detail.status.value) if detail else ""
        return translate("Outcomes", "订单 {order_no} 已恢复为「{status}」").format(order_no=result.order_no, status=status)
    if isinstance(result, MarkPaidResult):
        return _marked_paid(result, detail)
    if isinstance(result, ReviewResult):
        if not result.approved:
            return translate("Outcomes", "已拒绝申请 #{id}，已记入时间线").format(id=result.request_id)
        if result.changes.refund_ids and _by_hand(result.changes.refund_ids, detail):
            return translate("Outcomes", "已批准申请 #{id}：这笔钱没有经过网关，请手工退给买家，再到「退款」页登记结果").format(
                id=result.request_id)
        if result.changes.refund_ids:
            return translate("Outcomes", "已批准申请 #{id}，退款已排队，将原路退回").format(id=result.request_id)
        return translate("Outcomes", "已批准申请 #{id}").format(id=result.request_id)
    if isinstance(result, OpenRequestResult):
        return _opened(result, detail)
    if isinstance(result, RecordOutsideResult):
        return _recorded_outside(result, detail)
    return ""


def _delivered(result: DeliverResult) -> str:
    if result.product_type is ProductType.CARD_CODE:
        return translate("Outcomes", "已发货：卡密 {codes} 已分配给 {buyer}。点「卡密」旁的「复制」发给买家").format(
            codes=translate("Outcomes", "、").join(result.codes), buyer=result.buyer or "—")
    return translate("Outcomes", "已发货：订单 {order_no} 已记为已发货").format(order_no=result.order_no)


def _cancelled(result: CancelResult) -> str:
    if result.dispute_request_id is not None:
        return translate("Outcomes", "已登记售后争议（申请 #{id}），等待审核").format(id=result.dispute_request_id)
    if result.changes.refund_ids:
        return translate("Outcomes", "订单 {order_no} 已取消，退款已排队，将原路退回").format(order_no=result.order_no)
    if result.changes.request_ids:
        return translate("Outcomes", "已为订单 {order_no} 登记取消申请，等待审核").format(order_no=result.order_no)
    return translate("Outcomes", "订单 {order_no} 已取消").format(order_no=result.order_no)


def _by_hand(refund_ids: set[int], detail: OrderDetail | None) -> bool:
    """Whether the refunds just made wait for the owner with no gateway to send them (an order
    paid in cash or by a transfer to the shop, or with no gateway account)."""
    return detail is not None and any(r.id in refund_ids and r.last_error_kind == NO_GATEWAY for r in detail.refunds)


def _marked_paid(result: MarkPaidResult, detail: OrderDetail | None) -> str:
    if result.already_paid:
        return translate("Outcomes", "订单 {order_no} 已用该交易号补过单，没有任何变化").format(order_no=result.order_no)
    text = translate("Outcomes", "已补单：订单 {order_no} 记为已支付（交易号 {trade_no}）").format(
        order_no=result.order_no, trade_no=result.trade_no)
    if result.paid_at is not None:
        text += translate("Outcomes", "，付款时间 {time}").format(time=format_time_s(result.paid_at))
    if result.channel is not None:
        text += translate("Outcomes", "，买家直接付给本店（{how}），之后的退款手工退").format(
            how=pick(Channel(result.channel).zh, Channel(result.channel).en))
    if not result.deliver:
        text += translate("Outcomes", "，未发货（不发货）")
    elif detail is not None and detail.delivered_at is not None:
        text += translate("Outcomes", "，并已自动发货")
    return text


def _opened(result: OpenRequestResult, detail: OrderDetail | None = None) -> str:
    if result.outcome is Outcome.CANCEL_NOW:
        return translate("Outcomes", "订单 {order_no} 未支付，已直接取消").format(order_no=result.order_no)
    if result.outcome is Outcome.AUTO_APPROVE and _by_hand(result.changes.refund_ids, detail):
        return translate("Outcomes", "申请 #{id} 符合规则，已自动批准：这笔钱没有经过网关，请手工退给买家，再到「退款」页登记结果").format(
            id=result.request_id)
    if result.outcome is Outcome.AUTO_APPROVE:
        return translate("Outcomes", "申请 #{id} 符合规则，已自动批准，退款已排队").format(id=result.request_id)
    return translate("Outcomes", "已登记申请 #{id}，等待审核").format(id=result.request_id)


def _recorded_outside(result: RecordOutsideResult, detail: OrderDetail | None) -> str:
    text = translate("Outcomes", "已登记台外退款 {amount}（{how}）：订单 {order_no} 记为退款成功").format(
        amount=format_yuan(result.amount_fen, symbol=True), how=pick(result.how.zh, result.how.en),
        order_no=result.order_no)
    if detail is not None:
        text += translate("Outcomes", "，现为「{status}」").format(status=status_label(detail.status.value))
    return text
