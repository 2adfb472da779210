"""``reports``: sales, refunds and cancellation reasons per day, week or month (Beijing dates).

Tables read as people read them: periods by their dates (a week ``2026-11-16–11-22``; a week or
month the range covers only in part says so), money with thousands separators, channels by
name in either language, and a total row under every table. ``--json`` keeps plain values
(fen, ISO period ids) for programs."""

from __future__ import annotations

import argparse
from typing import Any

from ..domain.money import format_yuan as _format_yuan
from .common import add_command, add_noun, run_with_desk
from .helptext import JSON_HELP, T
from .orders_export import add_date_range, date_range
from .output import EXIT_OK, print_json, table, zh

_KINDS = {
    "sales": T("销售：每期支付的订单数和实收金额", "sales: orders paid and money received per period"),
    "refunds": T("退款：每期支付的订单中退款的订单数、金额和退款率；申请的平均答复时间",
                 "refunds: of the orders paid per period, those refunded, the amount and the rate; the average "
                 "time to answer a request"),
    "reasons": T("取消原因：每期各原因的取消次数", "cancellations per period by reason"),
}


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``reports`` noun and its three reports to ``sub``."""
    noun = add_noun(sub, "reports", T("报表：销售、退款、取消原因（按日、周、月）",
                                      "reports: sales, refunds, cancellation reasons (per day, week, month)"))
    for kind, help_text in _KINDS.items():
        p = add_command(noun, common, kind, cmd_report, help_text)
        add_date_range(p, T("不给则为最近 30 天（到今天）", "none: the last 30 days, up to today"))
        p.add_argument("--by", choices=("day", "week", "month"), default="day", help=T(
            "按日、周（周一起）或月汇总（默认按日）", "per day, week (from Monday) or month (default: day)"))
        p.add_argument("--per", choices=("product", "channel", "gateway"), help=T(
            "再按商品、支付方式或网关账户分开", "split further per product, channel or gateway account"))
        p.add_argument("--json", action="store_true", help=JSON_HELP)
        p.set_defaults(report_kind=kind)
    p = add_command(noun, common, "rebuild", cmd_rebuild, T(
        "从订单重新计算报表数据（check 报告报表数据与订单不符时）",
        "compute the report tables again from the orders (when check says they disagree)"))
    p.add_argument("--json", action="store_true", help=JSON_HELP)


def cmd_rebuild(args: argparse.Namespace) -> int:
    from ..services.maintenance import rebuild_reports

    def body(desk: Any) -> int:
        wrong = rebuild_reports(desk)
        if args.json:
            print_json({"rebuilt": True, "disagreed": wrong})
        elif zh(args):
            print(f"报表数据已重建{'（此前不符：' + '、'.join(wrong) + '）' if wrong else '（此前已与订单一致）'}")
        else:
            print(f"report tables rebuilt{' (they disagreed: ' + ', '.join(wrong) + ')' if wrong else ' (they agreed)'}")
        return EXIT_OK

    return run_with_desk(args, body)


def cmd_report(args: argparse.Namespace) -> int:
    from ..services import reports

    start, end = date_range(args)

    def body(desk: Any) -> int:
        low, high = reports.default_range(desk)
        first, last = start or (low if end is None else end - (high - low)), end or max(high, start or high)
        result = reports.report(desk, args.report_kind, first, last, args.by, args.per)
        if args.json:
            print_json(_json(result))
        else:
            _print(result, args)
        return EXIT_OK

    return run_with_desk(args, body)


def _numbers_json(n: Any, kind: str) -> dict[str, Any]:
    if kind == "sales":
        return {"orders": n.orders, "paid_fen": n.paid_fen}
    if kind == "refunds":
        return {"orders": n.orders, "paid_fen": n.paid_fen, "refunded_orders": n.refunded_orders,
                "refunded_fen": n.refunded_fen, "refund_rate_bp": n.refund_rate_bp, "answered": n.answered,
                "average_answer_seconds": n.average_answer_seconds, "auto_approved": n.auto_approved}
    return {"cancelled": n.cancelled, "reasons": dict(sorted(n.cancels.items()))}


def _json(r: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "report": r.kind, "by": r.by, "per": r.split, "from": r.start.isoformat(), "to": r.end.isoformat(),
        "periods": [{"period": label, "start": first.isoformat(), "first_day": span[0].isoformat(),
                     "last_day": span[1].isoformat(), "partial": part, **_numbers_json(n, r.kind)}
                    for label, first, span, part, n in zip(r.labels, r.periods, r.spans, r.partial, r.totals,
                                                           strict=True)],
        "total": _numbers_json(r.total, r.kind)}
    if r.split is not None:
        out["splits"] = [{"key": s.key, "name": s.zh, "name_en": s.en, "total": _numbers_json(r.split_totals[s.key],
                                                                                              r.kind),
                          "periods": [_numbers_json(n, r.kind) for n in r.by_split[s.key]]} for s in r.splits]
    return out


def format_yuan(fen: int) -> str:
    return _format_yuan(fen, grouped=True)


def _title(r: Any, i: int, chinese: bool) -> str:
    if not r.partial[i]:
        return str(r.titles[i])
    return f"{r.titles[i]}（部分）" if chinese else f"{r.titles[i]} (part)"


def _rate(bp: int | None) -> str:
    return "-" if bp is None else f"{bp // 100}.{bp % 100:02d}%"


def _duration(seconds: int | None, chinese: bool) -> str:
    if seconds is None:
        return "-"
    hours, rest = divmod(seconds, 3600)
    return (f"{hours}小时{rest // 60}分" if chinese else f"{hours}h{rest // 60:02d}m") if hours else (
        f"{rest // 60}分{rest % 60}秒" if chinese else f"{rest // 60}m{rest % 60:02d}s")


def _cells(n: Any, kind: str, chinese: bool) -> list[str]:
    from ..services.reports import reason_label

    if kind == "sales":
        return [f"{n.orders:,}", format_yuan(n.paid_fen)]
    if kind == "refunds":
        return [format_yuan(n.paid_fen), f"{n.refunded_orders:,}", format_yuan(n.refunded_fen), _rate(n.refund_rate_bp),
                f"{n.answered:,}", _duration(n.average_answer_seconds, chinese), f"{n.auto_approved:,}"]
    top = sorted(n.cancels.items(), key=lambda kv: (-kv[1], kv[0]))
    words = [f"{reason_label(code)[0 if chinese else 1]} {count:,}" for code, count in top]
    return [f"{n.cancelled:,}", "，".join(words) if chinese else ", ".join(words)]


_HEADERS = {
    "sales": (["订单数", "实收金额"], ["orders", "received"]),
    "refunds": (["实收金额", "退款订单", "已退金额", "退款率", "人工答复", "平均答复时间", "自动通过"],
                ["received", "refunded orders", "refunded", "rate", "answered", "avg answer", "auto-approved"]),
    "reasons": (["取消数", "各原因"], ["cancelled", "by reason"]),
}


def _print(r: Any, args: argparse.Namespace) -> None:
    chinese = zh(args)
    head = _HEADERS[r.kind][0 if chinese else 1]
    if r.incomplete:
        from .output import print_error

        print_error("正在批量导入订单：导入完成前，报表不含正在导入的订单。",
                    "a bulk import is running: until it ends, the report leaves out the orders being imported.")
    if r.split is None:
        rows = [[_title(r, i, chinese), *_cells(n, r.kind, chinese)] for i, n in enumerate(r.totals)]
        rows.append(["合计" if chinese else "total", *_cells(r.total, r.kind, chinese)])
        table(rows, ["期间" if chinese else "period", *head])
        return
    split_head = {"product": ("商品", "product"), "channel": ("支付方式", "channel"),
                  "gateway": ("网关", "gateway")}[r.split][0 if chinese else 1]
    rows = []
    for i in range(len(r.periods)):
        label = _title(r, i, chinese)
        for s in r.splits:
            n = r.by_split[s.key][i]
            if n.orders or n.cancelled or n.answered or n.auto_approved:
                rows.append([label, s.zh if chinese else s.en, *_cells(n, r.kind, chinese)])
    for s in r.splits:
        rows.append(["合计" if chinese else "total", s.zh if chinese else s.en,
                     *_cells(r.split_totals[s.key], r.kind, chinese)])
    rows.append(["合计" if chinese else "total", "全部" if chinese else "all", *_cells(r.total, r.kind, chinese)])
    table(rows, ["期间" if chinese else "period", split_head, *head])
