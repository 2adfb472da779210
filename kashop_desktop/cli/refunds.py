"""``refunds``: the refund queue: list, send, retry, confirm, resolve; and refunds made outside
the desk (record)."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from ..domain.errors import DomainError
from ..domain.money import format_yuan
from ..domain.order import ReasonCode
from ..domain.refund_states import OutsideMethod, RefundStatus
from . import labels
from .common import add_command, add_noun, amount, limit_type, record_id, run_with_desk
from .helptext import JSON_HELP, ORDER_NO_HELP, T, reason_help
from .output import (
    EXIT_OK,
    EXIT_REFUSED,
    UsageError,
    about,
    done,
    print_error,
    print_json,
    refund_json,
    table,
    zh,
)

REFUND_ID_HELP = T("退款 ID（refunds list 中的 ID）", "the refund id (from refunds list)")


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``refunds`` noun and its verbs to ``sub``."""
    refunds = add_noun(sub, "refunds", T("退款队列", "the refund queue"))
    p = add_command(refunds, common, "list", cmd_refunds_list, T("按状态列出退款", "refunds by state"))
    p.add_argument("--state", choices=[s.value for s in RefundStatus], help=T(
        "只列这个状态：" + "，".join(f"{s.value} {s.zh}" for s in RefundStatus),
        "only this state: " + ", ".join(f"{s.value} ({s.en})" for s in RefundStatus)))
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p = add_command(refunds, common, "send", cmd_refunds_send, T(
        "发送队列中到期的退款（结果未知的先向网关查询）", "send what the queue holds (unknown outcomes are asked first)"))
    p.add_argument("--limit", type=limit_type(10), metavar="N", help=T("最多 N 笔", "at most N"))
    p.add_argument("--id", type=record_id, action="append", dest="ids", metavar="ID", help=T(
        "只发送或查询这些退款，立即（可重复）", "only these refunds, now (repeatable)"))
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p = add_command(refunds, common, "retry", cmd_refunds_retry, T("把失败的退款重新排队",
                                                                   "put a failed refund back in the queue"))
    p.add_argument("id", type=record_id, help=REFUND_ID_HELP)
    p.add_argument("--yes", action="store_true", help=T("确认（网关不支持退款幂等时需要）",
                                                        "confirm (needed for gateways without refund idempotency)"))
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p = add_command(refunds, common, "confirm", cmd_refunds_confirm, T(
        "确认经由不支持幂等的网关发送退款", "confirm a refund through a gateway without idempotency"))
    p.add_argument("id", type=record_id, help=REFUND_ID_HELP)
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p = add_command(refunds, common, "resolve", cmd_refunds_resolve, T(
        "人工处理：登记你在网关后台核实的结果，或买家已在台外收到退款", "record the outcome you checked at the gateway, "
        "or that the buyer was refunded outside the desk"))
    p.add_argument("id", type=record_id, help=REFUND_ID_HELP)
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--succeeded", action="store_true", help=T("退款已成功", "the refund succeeded"))
    group.add_argument("--failed", action="store_true", help=T("退款失败", "the refund failed"))
    p.add_argument("--note", required=True, metavar="TEXT", help=T("你核实了什么，或买家是怎样收到钱的",
                                                                    "what you checked, or how the buyer was paid"))
    p.add_argument("--outside", choices=[m.value for m in OutsideMethod if m is not OutsideMethod.GATEWAY],
                   help=T("在台外退款：cash 现金，bank_transfer 银行转账，other 其他（与 --succeeded 一起）",
                          "refunded outside the desk: cash, bank_transfer or other (with --succeeded)"))
    p.add_argument("--yes", action="store_true", help=T(
        "确认已在网关后台查明这笔已发出、结果未定的退款失败或不存在（与 --failed 一起）",
        "confirm the gateway's back office shows this refund, sent and not settled, failed or does not exist "
        "(with --failed)"))
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p = add_command(refunds, common, "record", cmd_refunds_record, T(
        "登记一笔已在台外退给买家的钱（现金、银行转账、旧系统等）：一步记为退款成功，不进入队列，不会再发送",
        "record money already refunded to the buyer outside the desk (cash, bank transfer, an older system): "
        "one step, recorded as succeeded, never queued or sent"))
    p.add_argument("order_no", help=ORDER_NO_HELP)
    p.add_argument("--amount", required=True, metavar="YUAN", help=T("已退给买家的金额，单位元，如 12.50",
                                                                     "what the buyer got back, in yuan, e.g. 12.50"))
    p.add_argument("--how", required=True, choices=[m.value for m in OutsideMethod if m is not OutsideMethod.GATEWAY],
                   help=T("怎样退的：cash 现金，bank_transfer 银行转账，other 其他（如旧系统、网关后台）",
                          "how: cash, bank_transfer or other (e.g. an older system, the gateway's back office)"))
    p.add_argument("--note", required=True, metavar="TEXT", help=T("写明何时、怎样退给了买家",
                                                                    "when and how the buyer was refunded"))
    p.add_argument("--reason", default=ReasonCode.OTHER.value, choices=[r.value for r in ReasonCode],
                   help=reason_help())
    p.add_argument("--json", action="store_true", help=JSON_HELP)


def cmd_refunds_list(args: argparse.Namespace) -> int:
    from ..services import views

    def body(desk: Any) -> int:
        refunds = views.list_refunds(desk, args.state)
        if args.json:
            print_json([refund_json(r) for r in refunds])
            return EXIT_OK
        table([[str(r.id), r.refund_no, r.order_no, format_yuan(r.amount_fen), labels.refund_state(r.state, args),
                r.gateway or "-", about(r.eta_exact, args) + r.eta_latest if r.eta_latest else "-",
                labels.actor(r.operator, args) if r.operator else "-", _sender(r, args), _in_language(r.last_error, args)[:40]]
               for r in refunds],
              ["ID", "退款单号", "订单号", "金额", "状态", "网关", "预计到账", "批准人", "发送人", "备注"] if zh(args)
              else ["id", "refund no", "order no", "amount", "state", "gateway", "eta", "approved by", "sent by", "note"])
        return EXIT_OK

    return run_with_desk(args, body)


def _sender(refund: Any, args: argparse.Namespace) -> str:
    """Who sent the refund last: the operator by hand, 自动 / auto for the queue's own run, - never."""
    if refund.sent_by_hand is None:
        return "-"
    if refund.sent_by_hand:
        return refund.sent_by or "-"
    return "自动" if zh(args) else "auto"


def cmd_refunds_send(args: argparse.Namespace) -> int:
    from ..services.refund_queue import RefundQueue

    def body(desk: Any) -> int:
        async def run() -> Any:
            queue = RefundQueue(desk)
            try:
                return await queue.send(args.limit, args.ids, force=bool(args.ids), by_hand=True)
            finally:
                await queue.aclose()

        report = asyncio.run(run())
        summary = {"picked": report.picked, "succeeded": report.succeeded, "processing": report.processing,
                   "failed": report.failed, "unknown": report.unknown, "requeued": report.requeued,
                   "untouched": report.untouched, "settled_elsewhere": report.settled_elsewhere,
                   "security_warnings": report.security_warnings,
                   "unreachable_gateways": sorted(report.unreachable_gateways)}
        not_sent = [{"zh": zh_text, "en": en_text, "refund_ids": ids} for (zh_text, en_text), ids in report.not_sent.items()]
        if args.json:
            print_json({**summary, "not_sent": not_sent, "elsewhere": sorted(report.elsewhere),
                        "not_picked": [{"id": i, "state": s} for i, s in sorted(report.not_picked.items())]})
        else:
            print(labels.counts_line({**summary, "unreachable_gateways": len(report.unreachable_gateways)}, args))
        _say_why_not_picked(report)
        for item in not_sent:  # nothing left the desk for these: say why, never silently
            listed = " ".join(f"#{i}" for i in item["refund_ids"])
            print_error(f"{len(item['refund_ids'])} 笔退款未发送（{listed}）：{item['zh']}",
                        f"{len(item['refund_ids'])} refund(s) not sent ({listed}): {item['en']}")
        missing = any(not state for state in report.not_picked.values())  # an --id the store has no refund for
        return EXIT_REFUSED if not_sent or missing else EXIT_OK

    return run_with_desk(args, body)


def _say_why_not_picked(report: Any) -> None:
    """Refunds asked for by ``--id`` that this command did not send, each with the reason."""
    for rid in sorted(report.elsewhere):  # the other process's result stands: never a second send
        print_error(f"退款 #{rid} 正由另一个进程发送，本次没有发送；结果以那边为准（稍后用 refunds list 查看）",
                    f"refund #{rid} is being sent by another process; not sent here. Its outcome is theirs "
                    "(see refunds list shortly)")
    for rid, state in sorted(report.not_picked.items()):
        if not state:
            print_error(f"没有退款 #{rid}", f"no refund #{rid}")
        elif state == RefundStatus.QUEUED.value:
            print_error(f"退款 #{rid} 等待确认（该网关不支持退款幂等，先用 refunds confirm {rid}）",
                        f"refund #{rid} waits for a confirmation (its gateway has no refund idempotency: "
                        f"refunds confirm {rid} first)")
        else:
            status = RefundStatus(state)
            print_error(f"退款 #{rid} 已是「{status.zh}」，无需发送", f"refund #{rid} is already '{status.en}'; nothing to send")


def cmd_refunds_retry(args: argparse.Namespace) -> int:
    from ..services.refund_queue import retry

    return run_with_desk(args, lambda desk: done(args, retry(desk, args.id, confirmed=args.yes),
                                                 f"退款 #{args.id} 已重新排队", f"refund #{args.id} queued again"))


def cmd_refunds_confirm(args: argparse.Namespace) -> int:
    from ..services.refund_queue import confirm

    return run_with_desk(args, lambda desk: done(args, confirm(desk, args.id),
                                                 f"退款 #{args.id} 已确认", f"refund #{args.id} confirmed"))


def cmd_refunds_resolve(args: argparse.Namespace) -> int:
    from ..services.refund_queue import resolve_manually

    how = OutsideMethod(args.outside) if args.outside else OutsideMethod.GATEWAY
    if args.outside and not args.succeeded:
        raise UsageError("--outside 只能与 --succeeded 一起使用 / --outside goes with --succeeded only")
    def resolved(desk: Any) -> Any:
        try:
            return resolve_manually(desk, args.id, args.succeeded, args.note, how=how, gateway_checked=args.yes)
        except DomainError as exc:
            if exc.code != "gateway_may_pay" or args.succeeded:
                raise
            raise DomainError(exc.code, f"{exc.zh}：加 --yes", f"{exc.en}: add --yes") from None

    return run_with_desk(args, lambda desk: done(
        args, resolved(desk),
        f"退款 #{args.id} 已人工处理（退款成功，{how.zh}）" if args.succeeded else f"退款 #{args.id} 已人工处理（退款失败）",
        f"refund #{args.id} resolved (refunded, {how.en})" if args.succeeded else f"refund #{args.id} resolved (failed)"))


def cmd_refunds_record(args: argparse.Namespace) -> int:
    from ..services import views
    from ..services.requests import record_outside

    how, fen = OutsideMethod(args.how), amount(args.amount)
    assert fen is not None  # --amount is required

    def body(desk: Any) -> int:
        changes, rid = record_outside(desk, args.order_no, fen, how, args.note, reason=ReasonCode(args.reason))
        status = views.order_detail(desk, args.order_no).status
        return done(args, changes,
                    f"已登记台外退款 #{rid}：{args.order_no} ¥{format_yuan(fen)}（{how.zh}），退款成功；"
                    f"订单现为「{status.zh}」",
                    f"recorded refund #{rid} made outside the desk: {args.order_no} ¥{format_yuan(fen)} ({how.en}), "
                    f"succeeded; the order is now '{status.en}'",
                    refund_id=rid)

    return run_with_desk(args, body)


def _in_language(text: str, args: argparse.Namespace) -> str:
    """A refund's note written "中文 / English": the part in the language shown (the whole text
    when it is not written so)."""
    zh_part, sep, en_part = text.partition(" / ")
    if not sep:
        return text
    return zh_part if zh(args) else en_part
