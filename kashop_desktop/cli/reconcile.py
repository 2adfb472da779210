"""``reconcile``: 对账 of one gateway account and one day; fix, explain, export."""

from __future__ import annotations

import argparse
import asyncio
from datetime import date
from pathlib import Path
from typing import Any

from ..domain.money import format_yuan
from .common import add_command, run_with_desk
from .helptext import JSON_HELP, T
from .output import EXIT_OK, EXIT_REFUSED, UsageError, print_error, print_json, table, zh


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``reconcile`` command to ``sub``."""
    p = add_command(sub, common, "reconcile", cmd_reconcile, T(
        "对账：读取网关某一天的记录（账单或订单列表）并与本店比对",
        "compare a gateway's record of a day (bill or order list) with the desk"))
    p.add_argument("--gateway", required=True, metavar="NAME", help=T("网关账户名称", "the gateway account's name"))
    p.add_argument("--date", required=True, metavar="YYYY-MM-DD", help=T(
        "日期（北京时间），须已结束", "the day (Beijing time), over already"))
    p.add_argument("--fix", metavar="KEY", help=T(
        "修正这一项差异（网关已收款、本店未记：补单）；需要 --yes",
        "fix this difference (paid there, unpaid here: 补单); needs --yes"))
    p.add_argument("--explain", metavar="KEY", help=T("把这一项标记为已说明；需要 --note",
                                                      "mark this difference explained; needs --note"))
    p.add_argument("--note", default="", help=T("原因（与 --explain 一起用）", "why (with --explain)"))
    p.add_argument("--yes", action="store_true", help=T("--fix 的确认", "the confirmation for --fix"))
    p.add_argument("--export", type=Path, metavar="FILE", help=T(
        "同时把结果写入 FILE（.csv 或 .xlsx）", "also write the report to FILE (.csv or .xlsx)"))
    p.add_argument("--force", action="store_true", help=T("--export 的文件已存在时覆盖它",
                                                          "replace the --export file if it exists"))
    p.add_argument("--json", action="store_true", help=JSON_HELP)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(f"--date：日期应为 YYYY-MM-DD：{text!r}\n--date: expected YYYY-MM-DD: {text!r}") from exc


def cmd_reconcile(args: argparse.Namespace) -> int:
    """Exit 0 with no open difference, 1 when differences remain open (or a rule refused);
    a gateway that cannot be reached or read is refused with its reason (exit 1)."""
    from ..gateways.base import GatewayError
    from ..services import reconcile as recon
    from ..services.recon_export import export_report, export_target

    day = _day(args.date)
    if args.export is not None and args.export.suffix.lower() not in (".csv", ".xlsx"):
        raise UsageError(f"--export：只能导出 .csv 或 .xlsx：{args.export.name}\n"
                         f"--export: .csv or .xlsx only: {args.export.name}")
    if args.explain and not args.note.strip():
        raise UsageError("--explain 需要 --note 说明原因 / --explain needs --note")

    def body(desk: Any) -> int:
        if args.export:  # refused before anything is asked or fixed
            export_target(desk, args.export, force=args.force)
        try:
            report = asyncio.run(recon.reconcile(desk, args.gateway, day, adapter_kw={"timeout": 20.0}))
        except GatewayError as exc:
            print_error(f"无法读取网关的对账记录：{exc.zh}", f"cannot read the gateway's record: {exc.en}")
            return EXIT_REFUSED
        if args.fix:
            _, code = recon.fix_difference(desk, report, args.fix, confirmed=args.yes)
            _say_fixed(code, args)
        if args.explain:
            recon.explain_difference(desk, report, args.explain, args.note)
        if args.fix or args.explain:
            report = recon.recompare(desk, report)
        if args.export:
            export_report(desk, report, args.export, force=args.force, english=not zh(args))
        _print(report, args)
        return EXIT_REFUSED if report.open_differences else EXIT_OK

    return run_with_desk(args, body)


def _say_fixed(code: str, args: argparse.Namespace) -> None:
    from ..services.payments import OUTCOMES

    zh_text, en_text = OUTCOMES.get(code, (code, code))
    print_error(f"已修正：{zh_text}", f"fixed: {en_text}")


def _print(report: Any, args: argparse.Namespace) -> None:
    from ..services.reconcile import report_json

    if args.json:
        print_json(report_json(report))
        return
    chinese = zh(args)
    marks = {"": ("待处理", "open"), "fixed": ("已修正", "fixed"), "explained": ("已说明", "explained")}
    rows = [[d.key, d.zh if chinese else d.en, d.order_no or "-", d.trade_no or "-",
             format_yuan(d.gateway_fen, symbol=True) if d.gateway_fen is not None else "-",
             format_yuan(d.desk_fen, symbol=True) if d.desk_fen is not None else "-",
             marks.get(d.mark, (d.mark, d.mark))[0 if chinese else 1]] for d in report.differences]
    if rows:
        table(rows, ["编号", "差异", "订单号", "交易号", "网关金额", "本店金额", "处理"] if chinese
              else ["key", "difference", "order no", "trade no", "gateway", "desk", "handled"])
    open_count = len(report.open_differences)
    if chinese:
        print(f"{report.gateway} {report.day.isoformat()}：网关记录 {report.records} 笔，一致 {report.matched}，"
              f"差异 {len(report.differences)}（待处理 {open_count}）")
    else:
        print(f"{report.gateway} {report.day.isoformat()}: {report.records} record(s) at the gateway, "
              f"{report.matched} matched, {len(report.differences)} difference(s) ({open_count} open)")
