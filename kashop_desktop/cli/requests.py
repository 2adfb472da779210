"""``requests``: buyers' cancel requests and disputes: open, list, approve, reject."""

from __future__ import annotations

import argparse
from typing import Any

from ..domain.errors import DomainError
from ..domain.order import ReasonCode
from . import labels
from .common import add_command, add_noun, amount, record_id, run_with_desk
from .helptext import AMOUNT_HELP, JSON_HELP, NO_IDEMPOTENCY_HELP, NOTE_HELP, ORDER_NO_HELP, T, reason_help
from .output import EXIT_OK, about, done, print_json, refunds_made, request_json, table, zh


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``requests`` noun and its verbs to ``sub``."""
    reqs = add_noun(sub, "requests", T("取消申请和售后争议", "cancel requests and disputes"))
    p = add_command(reqs, common, "open", cmd_requests_open, T("登记买家在聊天或电话里提出的申请",
                                                               "record a buyer's request from chat or phone"))
    p.add_argument("order_no", help=ORDER_NO_HELP)
    p.add_argument("--reason", required=True, choices=[r.value for r in ReasonCode], help=reason_help())
    p.add_argument("--amount", metavar="YUAN", help=AMOUNT_HELP)
    p.add_argument("--note", default="", help=NOTE_HELP)
    p.add_argument("--evidence", default="", help=T("买家给的凭据（截图说明等）", "the buyer's evidence (screenshots described ...)"))
    p.add_argument("--confirm-no-idempotency", action="store_true", help=NO_IDEMPOTENCY_HELP)
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p = add_command(reqs, common, "list", cmd_requests_list, T("按截止时间列出申请（逾期在前）",
                                                               "requests by deadline (overdue first)"))
    p.add_argument("--state", choices=["open", "approved", "auto_approved", "rejected"], help=T(
        "只列这个状态：open 待审核，approved 已批准，auto_approved 自动批准，rejected 已拒绝",
        "only this state: open, approved, auto_approved, rejected"))
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p = add_command(reqs, common, "approve", cmd_requests_approve, T("批准申请（退款进入退款队列）",
                                                                     "approve a request (its refund joins the queue)"))
    p.add_argument("id", type=record_id, help=T("申请 ID（requests list 中的 ID）", "the request id (from requests list)"))
    p.add_argument("--void-code", action="store_true", help=T(
        "先作废已发出、未使用的卡密（售后争议），再退款", "void the delivered, unused card code first (a dispute), then refund"))
    p.add_argument("--amount", metavar="YUAN", help=AMOUNT_HELP)
    p.add_argument("--yes", action="store_true", help=T(
        "确认批准多于买家申请的金额（不加时拒绝并说明两个金额）",
        "confirm approving more than the buyer asked for (without it: refused, naming both amounts)"))
    p.add_argument("--note", default="", help=NOTE_HELP)
    p.add_argument("--confirm-no-idempotency", action="store_true", help=NO_IDEMPOTENCY_HELP)
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p = add_command(reqs, common, "reject", cmd_requests_reject, T("拒绝申请（必须说明原因）",
                                                                   "reject a request (reason required)"))
    p.add_argument("id", type=record_id, help=T("申请 ID（requests list 中的 ID）", "the request id (from requests list)"))
    p.add_argument("--reason", required=True, metavar="TEXT", help=T("拒绝的原因（买家会看到）",
                                                                     "why it is rejected (the buyer is told)"))
    p.add_argument("--json", action="store_true", help=JSON_HELP)


def cmd_requests_open(args: argparse.Namespace) -> int:
    from ..services import views
    from ..services.requests import open_request

    def body(desk: Any) -> int:
        changes, rid = open_request(desk, args.order_no, ReasonCode(args.reason), note=args.note,
                                    evidence=args.evidence, amount_fen=amount(args.amount),
                                    confirm_non_idempotent=args.confirm_no_idempotency)
        if rid is None:  # an unpaid order: cancelled at once
            order = views.order_detail(desk, args.order_no)
            if args.json:
                print_json({"id": None, "order_no": args.order_no, "state": "cancelled_now",
                            "order_status": order.status, "overdue": False,
                            "decision_reasons": [{"code": "unpaid", "zh": "订单未支付，已直接取消",
                                                  "en": "unpaid: cancelled at once"}]})
            else:
                print(f"订单未支付，已直接取消 {args.order_no}" if zh(args) else f"unpaid: cancelled {args.order_no}")
            return EXIT_OK
        req = views.request_view(desk, rid)
        goes_out = _still_goes_out(req.order_id) if changes.refund_ids else None  # approved at once, in part
        if args.json:
            extra = {"note_zh": goes_out[0].lstrip("；"), "note_en": goes_out[1].lstrip("; ")} if goes_out else {}
            print_json({**request_json(req), "refund_ids": sorted(changes.refund_ids), **extra})
        else:
            reasons = ("；" if zh(args) else "; ").join(r["zh"] if zh(args) else r["en"] for r in req.decision_reasons)
            head = f"申请 #{rid}：" if zh(args) else f"request #{rid}: "
            tail = (goes_out[0] if zh(args) else goes_out[1]) if goes_out else ""
            print(f"{head}{labels.request_state(req.state, args)}  {reasons}".rstrip() + tail)
        return EXIT_OK

    return run_with_desk(args, body)


def _still_goes_out(order_id: int) -> tuple[str, str] | None:
    """After an approval: the words for an undelivered order that a part refund left paid (it is
    not cancelled and goes out as usual), naming what is left refundable, which would cancel it."""
    from ..domain.money import format_yuan
    from ..services.requests import left_to_cancel

    left = left_to_cancel(order_id)
    if left is None:
        return None
    return (f"；订单未取消，之后照常发货（要取消订单，余下的 ¥{format_yuan(left)} 也需退款）",
            f"; the order is not cancelled and will be delivered as usual (to cancel it, the ¥{format_yuan(left)} "
            "left must be refunded too)")


def cmd_requests_list(args: argparse.Namespace) -> int:
    from ..services import views

    def body(desk: Any) -> int:
        reqs = views.list_requests(desk, args.state)
        if args.json:
            print_json([request_json(r) for r in reqs])
            return EXIT_OK
        from ..domain.money import format_yuan

        overdue = " ⚠逾期" if zh(args) else " ⚠overdue"
        whole = "全额" if zh(args) else "all"
        table([[str(r.id), r.order_no, labels.request_state(r.state, args) + (overdue if r.overdue else ""),
                labels.reason(r.reason, args), whole if r.amount_fen is None else format_yuan(r.amount_fen),
                about(r.due_exact, args) + f"{r.due_at:%Y-%m-%d}",
                ("；" if zh(args) else "; ").join(x["zh"] if zh(args) else x["en"] for x in r.decision_reasons)]
               for r in reqs],
              ["ID", "订单号", "状态", "原因", "申请金额", "截止", "判定"] if zh(args)
              else ["id", "order no", "state", "reason", "asked", "due", "decision"])
        return EXIT_OK

    return run_with_desk(args, body)


def cmd_requests_approve(args: argparse.Namespace) -> int:
    from ..domain.money import format_yuan
    from ..services.requests import approve
    from ..store.models import CancelRequest, Refund

    def body(desk: Any) -> int:
        given = amount(args.amount)
        req = CancelRequest.get_or_none(CancelRequest.id == args.id)
        asked = req.amount_fen if req is not None else None
        try:
            changes = approve(desk, args.id, amount_fen=given, note=args.note, above_request=args.yes,
                              confirm_non_idempotent=args.confirm_no_idempotency, void_code=args.void_code)
        except DomainError as exc:
            if exc.code != "amount_above_request" or given is None or asked is None:
                raise
            raise DomainError(  # the service's refusal, with the way to confirm here
                exc.code, f"批准金额 ¥{format_yuan(given)} 多于买家申请的 ¥{format_yuan(asked)}：确认无误请加 --yes 再批准",
                f"¥{format_yuan(given)} is more than the ¥{format_yuan(asked)} the buyer asked for: add --yes to "
                "approve it if that is meant") from None
        made = list(Refund.select().where(Refund.id.in_(sorted(changes.refund_ids)))) if changes.refund_ids else []
        zh_tail, en_tail = refunds_made(made)
        if given is not None and asked is not None and given != asked:  # the owner chose another amount
            more = given > asked
            zh_tail += f"；批准 ¥{format_yuan(given)}，{'多于' if more else '少于'}买家申请的 ¥{format_yuan(asked)}"
            en_tail += (f"; ¥{format_yuan(given)} approved, {'more' if more else 'less'} than the "
                        f"¥{format_yuan(asked)} the buyer asked for")
        goes_out = _still_goes_out(req.order_id) if req is not None else None
        if goes_out is not None:
            zh_tail, en_tail = zh_tail + goes_out[0], en_tail + goes_out[1]
        return done(args, changes, f"已批准申请 #{args.id}{zh_tail}", f"approved request #{args.id}{en_tail}")

    return run_with_desk(args, body)


def cmd_requests_reject(args: argparse.Namespace) -> int:
    from ..services.requests import reject

    return run_with_desk(args, lambda desk: done(args, reject(desk, args.id, args.reason),
                                                 f"已拒绝申请 #{args.id}", f"rejected request #{args.id}"))
