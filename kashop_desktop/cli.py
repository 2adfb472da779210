"""The command line: every desk operation without the window.

Exit codes: 0 success, 1 a rule refused (message in Chinese and English on stderr),
2 usage errors. ``--json`` prints money as integer fen in ``*_fen`` fields, times in ISO 8601
with offset, states as their codes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from . import __version__
from .domain.clock import parse_time
from .domain.errors import DomainError
from .domain.money import format_yuan, parse_yuan
from .domain.order import CodeUsed, ReasonCode
from .domain.policy import CancelPolicy
from .domain.states import OrderStatus

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    pass


# ---- output helpers ------------------------------------------------------------------------------

def _print_json(value: Any) -> None:
    from .services.views import to_json

    print(json.dumps(to_json(value), ensure_ascii=False, indent=2))


def _zh(args: argparse.Namespace) -> bool:
    return getattr(args, "lang", "zh") != "en"


def _status_label(code: str, args: argparse.Namespace) -> str:
    status = OrderStatus(code)
    return status.zh if _zh(args) else status.en


def _table(rows: list[list[str]], header: list[str]) -> None:
    widths = [max(_width(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(c) + " " * (w - _width(str(c))) for c, w in zip(row, widths, strict=True)).rstrip())


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _changes_json(changes: Any, **extra: Any) -> dict[str, Any]:
    return {"order_ids": sorted(changes.order_ids), "request_ids": sorted(changes.request_ids),
            "refund_ids": sorted(changes.refund_ids), "messages": changes.messages,
            "skipped": [{"ref": s.ref, "code": s.code, "zh": s.zh, "en": s.en} for s in changes.skipped], **extra}


# ---- parser --------------------------------------------------------------------------------------

def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", default=argparse.SUPPRESS, help="data folder (default: the platform's)")
    common.add_argument("--now", default=argparse.SUPPRESS, help="act as if it were this time (ISO 8601)")
    common.add_argument("--lang", choices=("zh", "en"), default=argparse.SUPPRESS, help="language of messages")
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(prog="kashop-desktop", parents=[common],
                                     description="kashop-desktop: the order desk for card shops")
    parser.add_argument("--version", action="version", version=f"kashop-desktop {__version__}")
    parser.add_argument("--smoke", action="store_true", help="open the window on a throwaway demo shop, paint, exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(parent: Any, name: str, func: Callable[[argparse.Namespace], int], help: str) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = parent.add_parser(name, parents=[common], help=help)
        p.set_defaults(func=func)
        return p

    p = add(sub, "demo", cmd_demo, "build the demo shop (and open the desk)")
    p.add_argument("--orders", type=int, default=2000)
    p.add_argument("--no-gui", action="store_true")
    p.add_argument("--with-fakes", action="store_true",
                   help="also run local fake 易支付/Alipay/WeChat Pay servers and route demo orders through them")

    orders = sub.add_parser("orders", help="orders").add_subparsers(dest="sub", metavar="SUB", required=True)
    p = add(orders, "list", cmd_orders_list, "list orders")
    p.add_argument("--status", choices=[s.value for s in OrderStatus] + ["refunding"])
    p.add_argument("--search", default="")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true")
    p = add(orders, "show", cmd_orders_show, "one order with its timeline")
    p.add_argument("order_no")
    p.add_argument("--json", action="store_true")
    p = add(orders, "import", cmd_orders_import, "import orders from CSV or XLSX")
    p.add_argument("file", type=Path)
    p.add_argument("--json", action="store_true")
    p = add(orders, "cancel", cmd_orders_cancel, "cancel an order")
    p.add_argument("order_no")
    p.add_argument("--reason", required=True, choices=[r.value for r in ReasonCode])
    p.add_argument("--note", default="")
    p.add_argument("--confirm-no-idempotency", action="store_true",
                   help="confirm a refund through a gateway without refund idempotency (易支付 V1)")
    p.add_argument("--json", action="store_true")
    p = add(orders, "restore", cmd_orders_restore, "restore a cancelled order")
    p.add_argument("order_no")
    p.add_argument("--note", default="")
    p = add(orders, "mark-paid", cmd_orders_mark_paid, "manual 补单 with the gateway trade no")
    p.add_argument("order_no")
    p.add_argument("--trade-no", required=True)
    p.add_argument("--yes", action="store_true", help="the second confirmation")
    p.add_argument("--json", action="store_true")
    p = add(orders, "deliver", cmd_orders_deliver, "deliver a paid order")
    p.add_argument("order_no")
    p = add(orders, "complete", cmd_orders_complete, "mark a delivered order completed")
    p.add_argument("order_no")
    p = add(orders, "code-used", cmd_orders_code_used, "record whether the delivered code was used")
    p.add_argument("order_no")
    p.add_argument("used", choices=[c.value for c in CodeUsed])
    p.add_argument("--note", default="")

    reqs = sub.add_parser("requests", help="cancel requests and disputes").add_subparsers(
        dest="sub", metavar="SUB", required=True)
    p = add(reqs, "open", cmd_requests_open, "record a buyer's request")
    p.add_argument("order_no")
    p.add_argument("--reason", required=True, choices=[r.value for r in ReasonCode])
    p.add_argument("--amount", help="refund amount in yuan (default: all that is refundable)")
    p.add_argument("--note", default="")
    p.add_argument("--evidence", default="")
    p.add_argument("--confirm-no-idempotency", action="store_true")
    p.add_argument("--json", action="store_true")
    p = add(reqs, "list", cmd_requests_list, "requests by deadline")
    p.add_argument("--state", choices=["open", "approved", "auto_approved", "rejected"])
    p.add_argument("--json", action="store_true")
    p = add(reqs, "approve", cmd_requests_approve, "approve a request")
    p.add_argument("id", type=int)
    p.add_argument("--amount")
    p.add_argument("--note", default="")
    p.add_argument("--confirm-no-idempotency", action="store_true")
    p.add_argument("--json", action="store_true")
    p = add(reqs, "reject", cmd_requests_reject, "reject a request (reason required)")
    p.add_argument("id", type=int)
    p.add_argument("--reason", required=True)
    p.add_argument("--json", action="store_true")

    refunds = sub.add_parser("refunds", help="the refund queue").add_subparsers(dest="sub", metavar="SUB",
                                                                                required=True)
    p = add(refunds, "list", cmd_refunds_list, "refunds by state")
    p.add_argument("--state", choices=["queued", "sending", "succeeded", "failed", "unknown"])
    p.add_argument("--json", action="store_true")
    p = add(refunds, "send", cmd_refunds_send, "send what the queue holds")
    p.add_argument("--limit", type=int)
    p.add_argument("--id", type=int, action="append", dest="ids", help="only these refunds (repeatable)")
    p.add_argument("--json", action="store_true")
    p = add(refunds, "retry", cmd_refunds_retry, "put a failed refund back in the queue")
    p.add_argument("id", type=int)
    p.add_argument("--yes", action="store_true", help="confirm for gateways without refund idempotency")
    p = add(refunds, "confirm", cmd_refunds_confirm, "confirm a refund through a gateway without idempotency")
    p.add_argument("id", type=int)
    p = add(refunds, "resolve", cmd_refunds_resolve, "record the outcome you checked at the gateway")
    p.add_argument("id", type=int)
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--succeeded", action="store_true")
    group.add_argument("--failed", action="store_true")
    p.add_argument("--note", required=True)

    gws = sub.add_parser("gateways", help="gateway accounts").add_subparsers(dest="sub", metavar="SUB", required=True)
    p = add(gws, "list", cmd_gateways_list, "gateway accounts")
    p.add_argument("--json", action="store_true")
    p = add(gws, "kinds", cmd_gateways_kinds, "installed gateway plugins")
    p.add_argument("--json", action="store_true")
    p = add(gws, "add", cmd_gateways_add, "add a gateway account")
    p.add_argument("name")
    p.add_argument("--kind", required=True)
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a setting; KEY=@FILE reads a file")
    p.add_argument("--replace", action="store_true", help="update the account if it exists")
    p = add(gws, "test", cmd_gateways_test, "test a gateway account's connection and credentials")
    p.add_argument("name")
    p = add(gws, "fake", cmd_gateways_fake, "run a local fake gateway server")
    p.add_argument("kind")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--host", default="127.0.0.1")

    p = add(sub, "sweep", cmd_sweep, "expire unpaid orders, auto-approve, flag overdue")
    p.add_argument("--json", action="store_true")
    p = add(sub, "check", cmd_check, "check the database")
    p.add_argument("--json", action="store_true")
    p = add(sub, "backup", cmd_backup, "back up the database")
    p.add_argument("path", nargs="?", type=Path)
    policy = sub.add_parser("policy", help="the cancel policy").add_subparsers(dest="sub", metavar="SUB",
                                                                               required=True)
    p = add(policy, "show", cmd_policy_show, "show the cancel policy")
    p.add_argument("--json", action="store_true")
    p = add(policy, "set", cmd_policy_set, "change policy fields")
    p.add_argument("values", nargs="+", metavar="KEY=VALUE")
    return parser


# ---- desk ---------------------------------------------------------------------------------------

def _desk(args: argparse.Namespace) -> Any:
    from .services.desk import Desk

    clock = None
    if getattr(args, "now", None):
        try:
            fixed = parse_time(args.now)
        except ValueError as exc:
            raise UsageError(f"--now: invalid time {args.now!r}") from exc
        clock = lambda: fixed  # noqa: E731
    return Desk.open(getattr(args, "data_dir", None), clock=clock)


def _amount(text: str | None) -> int | None:
    return None if text is None else parse_yuan(text, allow_zero=False)


def _run_with_desk(args: argparse.Namespace, body: Callable[[Any], int]) -> int:
    desk = _desk(args)
    try:
        return body(desk)
    finally:
        desk.close()


# ---- commands -----------------------------------------------------------------------------------

def cmd_demo(args: argparse.Namespace) -> int:
    from .services import demo, demo_fakes

    servers: list[Any] = []

    def body(desk: Any) -> int:
        added = demo.build(desk, args.orders)
        print(("演示店铺已就绪：" if _zh(args) else "demo shop ready: ") + json.dumps(added, ensure_ascii=False)
              + f"  ({desk.data_dir})")
        if args.with_fakes:
            started, passphrase = demo_fakes.start(desk)
            servers.extend(started)
            for server in started:
                print(f"  fake {server.kind} on {server.url}")
            if passphrase:
                print(f"  密钥保险箱口令 / vault passphrase: {passphrase}")
            if args.no_gui:
                from .services.refund_queue import RefundQueue

                async def run() -> Any:
                    queue = RefundQueue(desk)
                    try:
                        return await queue.send()
                    finally:
                        await queue.aclose()

                report = asyncio.run(run())
                print(f"  refunds sent: succeeded={report.succeeded} failed={report.failed} unknown={report.unknown}")
        return EXIT_OK

    try:
        code = _run_with_desk(args, body)
        if args.no_gui or code:
            return code
        return _open_window(args)
    finally:
        from .services.demo_fakes import stop

        stop(servers)


def cmd_orders_list(args: argparse.Namespace) -> int:
    from .services import views

    def body(desk: Any) -> int:
        flt = views.OrderFilter(status=args.status, search=args.search)
        rows = views.order_page(desk, flt, args.limit)
        if args.json:
            _print_json({"total": views.count_orders(desk, flt), "orders": [
                {"order_no": r.order_no, "created_at": r.created_at, "product": r.product,
                 "product_type": r.product_type, "quantity": r.quantity, "buyer": r.buyer, "paid_fen": r.paid_fen,
                 "refunded_fen": r.refunded_fen, "status": r.status, "channel": r.channel,
                 "gateway_trade_no": r.gateway_trade_no} for r in rows]})
            return EXIT_OK
        _table([[r.order_no, f"{r.created_at:%Y-%m-%d %H:%M}", r.product, r.buyer, format_yuan(r.paid_fen),
                 _status_label(r.status.value, args)] for r in rows],
               ["订单号", "下单时间", "商品", "买家", "实付", "状态"] if _zh(args)
               else ["order no", "created", "product", "buyer", "paid", "status"])
        print(f"{len(rows)} / {views.count_orders(desk, flt)}")
        return EXIT_OK

    return _run_with_desk(args, body)


def cmd_orders_show(args: argparse.Namespace) -> int:
    from .services import views

    def body(desk: Any) -> int:
        d = views.order_detail(desk, args.order_no)
        if args.json:
            _print_json({
                "order_no": d.order_no, "status": d.status, "product": d.product, "product_type": d.product_type,
                "quantity": d.quantity, "list_fen": d.list_fen, "paid_fen": d.paid_fen,
                "refunded_fen": d.refunded_fen, "refundable_fen": d.refundable_fen, "coupon_fen": d.coupon_fen,
                "coupon_code": d.coupon_code, "points": d.points, "points_refunded": d.points_refunded,
                "buyer": d.buyer, "channel": d.channel, "gateway": d.gateway, "gateway_trade_no": d.gateway_trade_no,
                "created_at": d.created_at, "paid_at": d.paid_at, "delivered_at": d.delivered_at,
                "cancelled_at": d.cancelled_at, "code_used": d.code_used, "card_code_masked": d.masked_code,
                "events": [{"at": e.at, "action": e.action, "actor": e.actor, "note": e.note, "before": e.before,
                            "after": e.after} for e in d.events],
                "requests": [_request_json(r) for r in d.requests],
                "refunds": [_refund_json(r) for r in d.refunds],
            })
            return EXIT_OK
        print(f"{d.order_no}  {_status_label(d.status.value, args)}  {d.product} x{d.quantity}")
        print(f"  实付 ¥{format_yuan(d.paid_fen)}  已退 ¥{format_yuan(d.refunded_fen)}  优惠券 ¥{format_yuan(d.coupon_fen)}"
              f"  积分 {d.points}  买家 {d.buyer}  {d.channel or ''} {d.gateway or ''} {d.gateway_trade_no or ''}")
        for e in d.events:
            arrow = f"{e.before or ''}→{e.after or ''}" if e.after else ""
            print(f"  {e.at:%Y-%m-%d %H:%M:%S}  {e.actor:<7} {e.action:<18} {arrow} {e.note}")
        return EXIT_OK

    return _run_with_desk(args, body)


def _request_json(r: Any) -> dict[str, Any]:
    return {"id": r.id, "order_no": r.order_no, "state": r.state, "reason": r.reason, "is_dispute": r.is_dispute,
            "amount_fen": r.amount_fen, "note": r.note, "evidence": r.evidence, "overdue": r.overdue,
            "requested_at": r.requested_at, "due_at": r.due_at, "outcome": r.outcome,
            "decision_reasons": r.decision_reasons, "decided_by": r.decided_by, "decision_note": r.decision_note}


def _refund_json(r: Any) -> dict[str, Any]:
    return {"id": r.id, "order_no": r.order_no, "refund_no": r.refund_no, "amount_fen": r.amount_fen,
            "gross_fen": r.gross_fen, "fee_fen": r.fee_fen, "coupon_share_fen": r.coupon_share_fen,
            "points_returned": r.points_returned, "state": r.state, "gateway": r.gateway,
            "gateway_kind": r.gateway_kind, "channel": r.channel, "attempts": r.attempts,
            "last_error": r.last_error, "security_warning": r.security_warning,
            "needs_confirmation": r.needs_confirmation, "eta": r.eta_latest, "eta_earliest": r.eta_earliest,
            "created_at": r.created_at, "settled_at": r.settled_at}


def cmd_orders_import(args: argparse.Namespace) -> int:
    from .services.imports import import_file

    def body(desk: Any) -> int:
        if not args.file.exists():
            raise UsageError(f"no such file: {args.file}")
        report = import_file(desk, args.file)
        problems = [{"row": p.row, "column": p.column, "zh": p.zh, "en": p.en} for p in report.problems]
        warnings = [{"row": p.row, "column": p.column, "zh": p.zh, "en": p.en} for p in report.warnings]
        if args.json:
            _print_json({"rows": report.rows, "inserted": report.inserted, "updated": report.updated,
                         "unchanged": report.unchanged, "problems": problems, "warnings": warnings})
        else:
            print(f"行 rows {report.rows}: 新增 inserted {report.inserted}, 更新 updated {report.updated}, "
                  f"未变 unchanged {report.unchanged}, 问题 problems {len(problems)}")
            for p in report.problems:
                print(f"  第 {p.row} 行 row {p.row} [{p.column}]: {p.zh} / {p.en}", file=sys.stderr)
            for p in report.warnings:
                print(f"  提示 warning row {p.row} [{p.column}]: {p.zh} / {p.en}")
        return EXIT_REFUSED if report.problems else EXIT_OK

    return _run_with_desk(args, body)


def _done(args: argparse.Namespace, changes: Any, zh: str, en: str, **extra: Any) -> int:
    if getattr(args, "json", False):
        _print_json(_changes_json(changes, **extra))
    else:
        print(zh if _zh(args) else en)
    return EXIT_OK


def cmd_orders_cancel(args: argparse.Namespace) -> int:
    from .services.requests import cancel_order

    return _run_with_desk(args, lambda desk: _done(
        args, cancel_order(desk, args.order_no, ReasonCode(args.reason), args.note,
                           confirm_non_idempotent=args.confirm_no_idempotency),
        f"已取消 {args.order_no}", f"cancelled {args.order_no}"))


def cmd_orders_restore(args: argparse.Namespace) -> int:
    from .services.orders import restore

    return _run_with_desk(args, lambda desk: _done(args, restore(desk, args.order_no, note=args.note),
                                                   f"已恢复 {args.order_no}", f"restored {args.order_no}"))


def cmd_orders_mark_paid(args: argparse.Namespace) -> int:
    from .services.orders import mark_paid

    def body(desk: Any) -> int:
        changes = mark_paid(desk, args.order_no, args.trade_no, confirmed=args.yes)
        if "already_paid" in changes.messages:
            return _done(args, changes, f"{args.order_no} 已用该交易号支付过，未做任何改动",
                         f"{args.order_no} was already paid with this trade no; nothing changed", already_paid=True)
        return _done(args, changes, f"已补单 {args.order_no}", f"marked {args.order_no} paid", already_paid=False)

    return _run_with_desk(args, body)


def cmd_orders_deliver(args: argparse.Namespace) -> int:
    from .services.orders import deliver

    return _run_with_desk(args, lambda desk: _done(args, deliver(desk, args.order_no),
                                                   f"已发货 {args.order_no}", f"delivered {args.order_no}"))


def cmd_orders_complete(args: argparse.Namespace) -> int:
    from .services.orders import complete

    return _run_with_desk(args, lambda desk: _done(args, complete(desk, args.order_no),
                                                   f"已完成 {args.order_no}", f"completed {args.order_no}"))


def cmd_orders_code_used(args: argparse.Namespace) -> int:
    from .services.orders import set_code_used

    return _run_with_desk(args, lambda desk: _done(
        args, set_code_used(desk, args.order_no, CodeUsed(args.used), note=args.note),
        f"已记录卡密使用情况：{args.used}", f"recorded code used: {args.used}"))


def cmd_requests_open(args: argparse.Namespace) -> int:
    from .services import views
    from .services.requests import open_request

    def body(desk: Any) -> int:
        changes, rid = open_request(desk, args.order_no, ReasonCode(args.reason), note=args.note,
                                    evidence=args.evidence, amount_fen=_amount(args.amount),
                                    confirm_non_idempotent=args.confirm_no_idempotency)
        if rid is None:  # an unpaid order: cancelled at once
            order = views.order_detail(desk, args.order_no)
            if args.json:
                _print_json({"id": None, "order_no": args.order_no, "state": "cancelled_now",
                             "order_status": order.status, "overdue": False,
                             "decision_reasons": [{"code": "unpaid", "zh": "订单未支付，已直接取消",
                                                   "en": "unpaid: cancelled at once"}]})
            else:
                print(f"订单未支付，已直接取消 {args.order_no}" if _zh(args) else f"unpaid: cancelled {args.order_no}")
            return EXIT_OK
        req = views.request_view(desk, rid)
        if args.json:
            _print_json({**_request_json(req), "refund_ids": sorted(changes.refund_ids)})
        else:
            print(f"申请 #{rid}: {req.state}  " + "；".join(r["zh"] if _zh(args) else r["en"]
                                                          for r in req.decision_reasons))
        return EXIT_OK

    return _run_with_desk(args, body)


def cmd_requests_list(args: argparse.Namespace) -> int:
    from .services import views

    def body(desk: Any) -> int:
        reqs = views.list_requests(desk, args.state)
        if args.json:
            _print_json([_request_json(r) for r in reqs])
            return EXIT_OK
        _table([[str(r.id), r.order_no, r.state + (" ⚠超时" if r.overdue else ""), r.reason,
                 f"{r.due_at:%Y-%m-%d}", ", ".join(x["code"] for x in r.decision_reasons)] for r in reqs],
               ["ID", "订单号", "状态", "原因", "截止", "判定"] if _zh(args)
               else ["id", "order no", "state", "reason", "due", "decision"])
        return EXIT_OK

    return _run_with_desk(args, body)


def cmd_requests_approve(args: argparse.Namespace) -> int:
    from .services.requests import approve

    return _run_with_desk(args, lambda desk: _done(
        args, approve(desk, args.id, amount_fen=_amount(args.amount), note=args.note,
                      confirm_non_idempotent=args.confirm_no_idempotency),
        f"已批准申请 #{args.id}，退款已排队", f"approved request #{args.id}; the refund is queued"))


def cmd_requests_reject(args: argparse.Namespace) -> int:
    from .services.requests import reject

    return _run_with_desk(args, lambda desk: _done(args, reject(desk, args.id, args.reason),
                                                   f"已拒绝申请 #{args.id}", f"rejected request #{args.id}"))


def cmd_refunds_list(args: argparse.Namespace) -> int:
    from .services import views

    def body(desk: Any) -> int:
        refunds = views.list_refunds(desk, args.state)
        if args.json:
            _print_json([_refund_json(r) for r in refunds])
            return EXIT_OK
        _table([[str(r.id), r.refund_no, r.order_no, format_yuan(r.amount_fen), r.state, r.gateway or "-",
                 r.eta_latest or "-", r.last_error[:40]] for r in refunds],
               ["ID", "退款号", "订单号", "金额", "状态", "网关", "预计到账", "备注"] if _zh(args)
               else ["id", "refund no", "order no", "amount", "state", "gateway", "eta", "note"])
        return EXIT_OK

    return _run_with_desk(args, body)


def cmd_refunds_send(args: argparse.Namespace) -> int:
    from .services.refund_queue import RefundQueue

    def body(desk: Any) -> int:
        async def run() -> Any:
            queue = RefundQueue(desk)
            try:
                return await queue.send(args.limit, args.ids, force=bool(args.ids))
            finally:
                await queue.aclose()

        report = asyncio.run(run())
        summary = {"picked": report.picked, "succeeded": report.succeeded, "processing": report.processing,
                   "failed": report.failed, "unknown": report.unknown, "requeued": report.requeued,
                   "security_warnings": report.security_warnings,
                   "unreachable_gateways": sorted(report.unreachable_gateways)}
        if args.json:
            _print_json(summary)
        else:
            print(" ".join(f"{k}={v}" for k, v in summary.items()))
        return EXIT_OK

    return _run_with_desk(args, body)


def cmd_refunds_retry(args: argparse.Namespace) -> int:
    from .services.refund_queue import retry

    return _run_with_desk(args, lambda desk: _done(args, retry(desk, args.id, confirmed=args.yes),
                                                   f"退款 #{args.id} 已重新排队", f"refund #{args.id} queued again"))


def cmd_refunds_confirm(args: argparse.Namespace) -> int:
    from .services.refund_queue import confirm

    return _run_with_desk(args, lambda desk: _done(args, confirm(desk, args.id),
                                                   f"退款 #{args.id} 已确认", f"refund #{args.id} confirmed"))


def cmd_refunds_resolve(args: argparse.Namespace) -> int:
    from .services.refund_queue import resolve_manually

    return _run_with_desk(args, lambda desk: _done(args, resolve_manually(desk, args.id, args.succeeded, args.note),
                                                   f"退款 #{args.id} 已人工处理", f"refund #{args.id} resolved"))


def cmd_gateways_list(args: argparse.Namespace) -> int:
    from .services import gateways
    from .services.views import to_json

    def body(desk: Any) -> int:
        gateways.ensure_builtin_accounts(desk)
        accounts = gateways.list_accounts(desk)
        if args.json:
            _print_json([to_json(a) for a in accounts])
            return EXIT_OK
        _table([[a.name, a.kind, a.title_zh if _zh(args) else a.title_en, ",".join(a.capabilities),
                 {None: "-", True: "OK", False: "✗"}[a.last_test_ok]] for a in accounts],
               ["名称", "类型", "说明", "能力", "测试"] if _zh(args) else ["name", "kind", "title", "capabilities", "test"])
        return EXIT_OK

    return _run_with_desk(args, body)


def cmd_gateways_kinds(args: argparse.Namespace) -> int:
    from .gateways.registry import entry_point_names
    from .services.gateways import kinds

    found = kinds()
    if args.json:
        _print_json({"entry_points": entry_point_names(), "kinds": [
            {"kind": k.kind, "title_zh": k.title_zh, "title_en": k.title_en,
             "capabilities": sorted(c.value for c in k.capabilities),
             "fields": [{"key": f.key, "secret": f.secret, "required": f.required} for f in k.fields]}
            for k in found.values()]})
    else:
        for k in found.values():
            print(f"{k.kind:<14} {k.title_zh}  ({', '.join(f.key for f in k.fields)})")
    return EXIT_OK


def cmd_gateways_add(args: argparse.Namespace) -> int:
    from .services.gateways import read_value, save_account

    values: dict[str, str] = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--set needs KEY=VALUE, got {item!r}")
        values[key.strip()] = read_value(value)

    def body(desk: Any) -> int:
        view = save_account(desk, args.name, args.kind, values, replace=args.replace)
        print(f"已保存网关账户 {view.name}（{view.title_zh}）" if _zh(args)
               else f"saved gateway account {view.name} ({view.title_en})")
        return EXIT_OK

    return _run_with_desk(args, body)


def cmd_gateways_test(args: argparse.Namespace) -> int:
    from .services.gateways import test_account

    def body(desk: Any) -> int:
        report = asyncio.run(test_account(desk, args.name))
        print(f"{'OK' if report.ok else '✗'} {report.message_zh} / {report.message_en} {report.detail}".rstrip())
        return EXIT_OK if report.ok else EXIT_REFUSED

    return _run_with_desk(args, body)


def cmd_gateways_fake(args: argparse.Namespace) -> int:
    import signal
    import threading

    from .gateways.fakes import fake_class

    try:
        cls = fake_class(args.kind)
    except (KeyError, ImportError) as exc:
        raise UsageError(f"no fake server for gateway kind {args.kind!r}") from exc
    server = cls(args.host, args.port).start()
    print(f"fake {args.kind} listening on {server.url}")
    config = server.account_config(args.kind) if hasattr(server, "account_config") else {}
    print(f"account settings (use with: gateways add NAME --kind {args.kind} --set KEY=VALUE ...):")
    print(json.dumps(config, ensure_ascii=False, indent=2))
    sys.stdout.flush()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return EXIT_OK


def cmd_sweep(args: argparse.Namespace) -> int:
    from .services.requests import sweep

    def body(desk: Any) -> int:
        _, counts = sweep(desk)
        if args.json:
            _print_json({**counts, "now": desk.now()})
        else:
            print(" ".join(f"{k}={v}" for k, v in counts.items()))
        return EXIT_OK

    return _run_with_desk(args, body)


def cmd_check(args: argparse.Namespace) -> int:
    from .services.maintenance import check

    def body(desk: Any) -> int:
        report = check(desk)
        if args.json:
            _print_json(report)
        else:
            print(f"{'OK' if report.ok else '✗'} integrity={report.integrity} fk_problems={report.foreign_key_problems}"
                  f" schema={report.schema_version} orders={report.orders} counts_match={report.counts_match}")
        return EXIT_OK if report.ok else EXIT_REFUSED

    return _run_with_desk(args, body)


def cmd_backup(args: argparse.Namespace) -> int:
    from .services.maintenance import backup

    def body(desk: Any) -> int:
        path = backup(desk, args.path)
        print(path)
        return EXIT_OK

    return _run_with_desk(args, body)


def cmd_policy_show(args: argparse.Namespace) -> int:
    def body(desk: Any) -> int:
        policy = desk.policy()
        if args.json:
            _print_json(policy.to_dict())
        else:
            for key, value in policy.to_dict().items():
                print(f"{key} = {value}")
        return EXIT_OK

    return _run_with_desk(args, body)


def cmd_policy_set(args: argparse.Namespace) -> int:
    def body(desk: Any) -> int:
        data = desk.policy().to_dict()
        for item in args.values:
            key, sep, value = item.partition("=")
            if not sep or key not in data:
                raise UsageError(f"unknown policy setting {key!r}; known: {', '.join(data)}")
            if key == "no_refunds":
                data[key] = value.lower() in ("1", "true", "yes", "是")
            elif key == "auto_approve_ceiling_fen" and "." in value:
                data[key] = parse_yuan(value)
            else:
                if not value.lstrip("-").isdigit():
                    raise UsageError(f"{key} needs a whole number, got {value!r}")
                data[key] = int(value)
        policy = CancelPolicy.from_dict(data)
        desk.set_policy(policy)
        print(json.dumps(policy.to_dict(), ensure_ascii=False))
        return EXIT_OK

    return _run_with_desk(args, body)


# ---- the window ------------------------------------------------------------------------------------

def _open_window(args: argparse.Namespace, smoke: bool = False) -> int:
    try:
        from .gui.app import main as gui_main
    except ImportError as exc:
        print(f"桌面窗口不可用 / the desk window is not available: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return int(gui_main([], data_dir=getattr(args, "data_dir", None), smoke=smoke, lang=getattr(args, "lang", None)))


# ---- entry ------------------------------------------------------------------------------------------

def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if getattr(args, "command", None) is None:
            return _open_window(args, smoke=args.smoke)
        code: int = args.func(args)
        return code
    except UsageError as exc:
        parser.print_usage(sys.stderr)
        print(f"kashop-desktop: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except DomainError as exc:
        print(f"{exc.zh}\n{exc.en}", file=sys.stderr)
        return EXIT_REFUSED


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
