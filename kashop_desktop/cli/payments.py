"""``payments``: payment sync (自动补单): ask the gateways about unpaid orders now."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from .common import add_command, add_noun, run_with_desk
from .helptext import JSON_HELP, T
from .output import EXIT_OK, EXIT_REFUSED, print_error, print_json, table, zh


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``payments`` noun and its verbs to ``sub``."""
    payments = add_noun(sub, "payments", T("支付同步（补单）", "payment sync (补单)"))
    p = add_command(payments, common, "sync", cmd_payments_sync, T(
        "先在网关关闭已取消订单的交易，再向网关查询待支付订单；已付款的自动补单并发货",
        "close the trades of orders cancelled unpaid, then ask the gateways about unpaid orders; paid ones are "
        "marked paid and delivered"))
    p.add_argument("--order", action="append", dest="orders", metavar="ORDER_NO", help=T(
        "只查这个订单，立即查询，不等排期（可重复）", "only this order, asked at once whatever its schedule (repeatable)"))
    p.add_argument("--json", action="store_true", help=JSON_HELP)


def cmd_payments_sync(args: argparse.Namespace) -> int:
    """Exit 0 when every order asked got an answer; 1 when an order given with ``--order`` could
    not be asked (unreachable gateway, locked key vault, not watched) or nothing could be asked."""
    from ..services.trade_close import close_and_sync

    def body(desk: Any) -> int:
        closes, report = asyncio.run(close_and_sync(desk, args.orders))
        not_checked = [{"zh": z, "en": e, "order_nos": nos} for (z, e), nos in report.not_checked.items()]
        if args.json:
            print_json({"checked": report.checked, "paid": report.paid, "delivered": report.delivered,
                        "flagged": report.flagged + sum(c.code == "paid_twice" for c in closes.results),
                        "errors": report.errors,
                        "unreachable_gateways": sorted(report.unreachable_gateways | closes.unreachable_gateways),
                        "not_checked": not_checked,
                        "closes": [{"order_no": c.order_no, "code": c.code, "zh": c.zh, "en": c.en}
                                   for c in closes.results],
                        "results": [{"order_no": r.order_no, "code": r.code, "zh": r.zh, "en": r.en,
                                     "delivered": r.delivered, "flagged": r.flagged, "detail": r.detail}
                                    for r in report.results]})
        else:
            _print_closes(closes, args)
            _print_report(report, args, sum(c.code == "paid_twice" for c in closes.results))
        for item in not_checked:
            print_error(f"{len(item['order_nos'])} 个订单未能查询：{item['zh']}",
                        f"{len(item['order_nos'])} order(s) not asked: {item['en']}")
        unanswered = [r for r in report.results if r.code in ("unreachable", "error", "not_watched")]
        if not_checked or (args.orders and unanswered):
            return EXIT_REFUSED
        return EXIT_OK

    return run_with_desk(args, body)


def _print_closes(closes: Any, args: argparse.Namespace) -> None:
    """The trades closed (or not) at the gateway for orders cancelled unpaid, one line each."""
    for close in closes.results:
        print(f"{close.order_no}  {close.zh if zh(args) else close.en}")


def _print_report(report: Any, args: argparse.Namespace, paid_twice: int = 0) -> None:
    """The sync's table and summary; ``paid_twice``: second payments the trade closing found
    (flagged too, so counted to check)."""
    chinese = zh(args)
    flagged = report.flagged + paid_twice
    if report.results:
        table([[r.order_no, r.zh if chinese else r.en] for r in report.results],
              ["订单号", "结果"] if chinese else ["order no", "result"])
    if chinese:
        line = (f"查询 {report.checked} 单，补单 {report.paid}，发货 {report.delivered}，需核对 {flagged}，"
                f"失败 {report.errors}")
    else:
        line = (f"asked {report.checked}, marked paid {report.paid}, delivered {report.delivered}, "
                f"to check {flagged}, failed {report.errors}")
    print(line)
    if report.unreachable_gateways:
        print_error(f"{len(report.unreachable_gateways)} 个网关无法连接：未做任何改动，稍后会自动再查",
                    f"{len(report.unreachable_gateways)} gateway(s) unreachable: nothing changed, they are asked "
                    "again later")
