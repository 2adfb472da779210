"""Words for payment sync (补单) in the window: an order's sync line and a sync run's summary.

The facts come from services (``payment_sync.watch_view`` and ``SyncReport``); the bilingual
texts the services define are picked in the UI language, the rest is translated here.
"""

from __future__ import annotations

from ..domain.money import format_yuan
from ..services.payment_sync import ANSWERS, SyncReport, WatchView
from ..services.payments import OUTCOMES
from ..services.trade_close import CLOSE_ANSWERS
from .i18n import format_time, pick
from .qt import QCoreApplication

translate = QCoreApplication.translate


def answer_text(code: str) -> str:
    pair = ANSWERS.get(code) or OUTCOMES.get(code)
    return pick(*pair) if pair else code


def flag_text(view: WatchView) -> str:
    """The finding the owner must check, with the gateway's and the order's facts."""
    data = view.flag_data
    head = answer_text(view.flag) if view.flag != "backorder" else answer_text("late_backorder")
    facts = []
    if "gateway_fen" in data:
        facts.append(translate("PaymentSync", "网关金额 {amount}").format(
            amount=format_yuan(int(data["gateway_fen"]), symbol=True)))
    if "order_fen" in data:
        facts.append(translate("PaymentSync", "订单应付 {amount}").format(
            amount=format_yuan(int(data["order_fen"]), symbol=True)))
    if data.get("trade_no"):
        facts.append(translate("PaymentSync", "交易号 {trade_no}").format(trade_no=data["trade_no"]))
    if data.get("why"):
        facts.append(pick(str(data["why"]), str(data.get("why_en") or data["why"])))
    if data.get("held_by"):
        facts.append(translate("PaymentSync", "优惠券 {coupon} 在订单 {order_no}").format(
            coupon=data.get("coupon") or "—", order_no=data["held_by"]))
    if not facts:
        return head
    return translate("PaymentSync", "{finding}（{facts}）").format(
        finding=head, facts=translate("PaymentSync", "，").join(facts))


def sync_line(view: WatchView) -> tuple[str, str]:
    """(text, kind) for the order detail: a flag in red, the sync state in blue, or ("", "")."""
    if view.flag:
        return flag_text(view), "error"
    close = {"closing": "offline", "closed": "closed", "unsupported": "unsupported", "not_found": "not_found",
             "failed": "failed", "same_payment": "same_payment"}.get(view.close_state)
    if close is not None:
        return pick(*CLOSE_ANSWERS[close]), "error" if close == "failed" else "info"
    if not view.watched:
        return "", ""
    if view.last_checked_at is None:
        return translate("PaymentSync", "支付同步：尚未查询网关，稍后自动查询；也可点「同步支付」立即查询"), "info"
    text = translate("PaymentSync", "支付同步：{when} 查询，{answer}").format(
        when=format_time(view.last_checked_at), answer=answer_text(view.answer))
    if view.next_check_at is not None:
        text += translate("PaymentSync", "；下次约 {when}").format(when=format_time(view.next_check_at))
    return text, "info"


def report_text(report: SyncReport) -> str:
    """One status-bar line for a sync run."""
    if report.not_checked:
        (zh, en), nos = next(iter(report.not_checked.items()))
        return translate("PaymentSync", "同步支付：{n} 个订单未能查询：{why}").format(n=len(nos), why=pick(zh, en))
    twice = sum(1 for c in report.closes if c.code == "paid_twice")  # second payments the closing found
    text = translate("PaymentSync", "同步支付：查询 {checked} 单，补单 {paid}，发货 {delivered}，需核对 {flagged}").format(
        checked=report.checked, paid=report.paid, delivered=report.delivered, flagged=report.flagged + twice)
    closed = sum(1 for c in report.closes if c.code == "closed")
    if closed:
        text += translate("PaymentSync", "；已在网关关闭 {n} 笔交易").format(n=closed)
    if report.unreachable_gateways:
        text += translate("PaymentSync", "；{n} 个网关无法连接，未做任何改动，稍后自动再查").format(
            n=len(report.unreachable_gateways))
    return text


def order_result_text(report: SyncReport, order_no: str) -> tuple[str, str]:
    """(text, kind) for the one order the detail's button asked about."""
    for result in report.results:
        if result.order_no == order_no:
            kind = "error" if result.flagged or result.code in ("unreachable", "error", "incomplete") else (
                "ok" if result.code in ("paid", "paid_delivered", "late_reopened") else "info")
            return pick(result.zh, result.en), kind
    return report_text(report), "info"
