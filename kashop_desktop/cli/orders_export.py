"""``orders export``: the filtered order list (status, search, Beijing dates) to CSV or XLSX."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from ..domain.states import OrderStatus
from .common import add_command, run_with_desk
from .helptext import JSON_HELP, T
from .output import EXIT_OK, UsageError, count_en, print_json, unfiltered, zh


def register_export(orders: Any, common: argparse.ArgumentParser) -> None:
    """Add ``orders export`` to the ``orders`` noun."""
    p = add_command(orders, common, "export", cmd_orders_export, T(
        "把订单列表（按状态、搜索、日期筛选，与窗口列表相同）导出为 CSV 或 XLSX",
        "export the order list (filtered by status, search and dates, as the window lists it) to CSV or XLSX"))
    p.add_argument("out", type=Path, metavar="OUT", help=T(
        "要写入的文件（不能在数据文件夹里）；- 表示标准输出（仅 CSV，摘要写到标准错误）",
        "the file to write (never inside the data folder); - for standard output (CSV only, the summary "
        "goes to standard error)"))
    p.add_argument("--status", choices=[s.value for s in OrderStatus] + ["refunding", "held"], help=T(
        "只导出这个状态（refunding：退款中；held：扣留待审）", "only this status (refunding: refunds in flight; "
        "held: held for review)"))
    p.add_argument("--search", default="", metavar="Q", help=T(
        "订单号（或尾号）、手机、QQ、邮箱、交易号或商品名", "order no (or its tail), phone, QQ, e-mail, trade no or product"))
    add_date_range(p)
    p.add_argument("--format", choices=("csv", "xlsx"), help=T(
        "文件格式（默认按扩展名：.csv 或 .xlsx；其他扩展名须给出本项）", "file format (default from the name: .csv or "
        ".xlsx; another name needs this option)"))
    p.add_argument("--force", action="store_true", help=T(
        "覆盖已存在的文件（数据文件夹里的文件永远不会被覆盖）", "replace an existing file (never one in the data folder)"))
    p.add_argument("--json", action="store_true", help=JSON_HELP)


def add_date_range(p: argparse.ArgumentParser, default: T | None = None) -> None:
    """``--from D --to D``: Beijing dates, both days included; ``default`` says what an
    omitted date means (else: no limit)."""
    zh_more, en_more = (str(default), default.en) if default else ("不给则不限", "none: no limit")
    p.add_argument("--from", dest="date_from", metavar="D", help=T(
        f"从这一天起（北京时间，YYYY-MM-DD，含当天；{zh_more}）",
        f"from this day (Beijing time, YYYY-MM-DD, included; {en_more})"))
    p.add_argument("--to", dest="date_to", metavar="D", help=T(
        f"到这一天止（北京时间，YYYY-MM-DD，含当天；{zh_more}）",
        f"to this day (Beijing time, YYYY-MM-DD, included; {en_more})"))


def parse_day(text: str | None, option: str) -> date | None:
    """A ``YYYY-MM-DD`` date typed on the command line; ``UsageError`` when it is not one."""
    from ..services.reports import EARLIEST_DAY, LATEST_DAY

    if text is None:
        return None
    try:
        day = date.fromisoformat(text.strip().replace("/", "-"))
    except ValueError as exc:
        raise UsageError(f"{option}：日期无效 {text!r}（应为 YYYY-MM-DD）\n{option}: invalid date {text!r} "
                         "(expected YYYY-MM-DD)") from exc
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise UsageError(f"{option}：日期超出范围 {day}（应在 {EARLIEST_DAY} 与 {LATEST_DAY} 之间）\n"
                         f"{option}: date out of range {day} (from {EARLIEST_DAY} to {LATEST_DAY})")
    return day


def date_range(args: argparse.Namespace) -> tuple[date | None, date | None]:
    """``--from`` and ``--to`` as dates (``UsageError`` when unreadable or reversed)."""
    start, end = parse_day(args.date_from, "--from"), parse_day(args.date_to, "--to")
    if start is not None and end is not None and start > end:
        raise UsageError(f"--from {start} 晚于 --to {end}\n--from {start} is after --to {end}")
    return start, end


def cmd_orders_export(args: argparse.Namespace) -> int:
    from ..services import exports, reports, views

    start, end = date_range(args)
    window = reports.epoch_window(start, end)
    flt = views.OrderFilter(status=args.status, search=args.search, date_from=window[0], date_to=window[1])
    named_file = str(args.out) != "-" and not (args.out.exists() and not args.out.is_file())  # not stdout, a pipe or a device
    if args.format is None and named_file and args.out.suffix.lower() not in (".csv", ".xlsx"):
        raise UsageError(f"不知道 {args.out.name} 要用哪种格式：文件名请以 .csv 或 .xlsx 结尾，或给出 --format\n"
                         f"which format {args.out.name} should be is not known: end the name in .csv or .xlsx, "
                         "or give --format")
    fmt = exports.format_for(args.out, args.format)
    lang = "zh" if zh(args) else "en"
    to_stdout = str(args.out) == "-"
    if to_stdout and (fmt != "csv" or args.json):
        raise UsageError("OUT 为 - （标准输出）时只能导出 CSV，且不能用 --json\n"
                         "OUT - (standard output) takes CSV only, without --json")

    def body(desk: Any) -> int:
        if to_stdout:
            return _to_stdout(desk, flt, lang, zh(args))
        meter = _Meter(sys.stderr) if sys.stderr.isatty() else None
        try:
            result = exports.export_orders(desk, flt, args.out, fmt, lang=lang, force=args.force, progress=meter)
        finally:
            if meter is not None:
                meter.clear()
        if args.json:
            print_json({"path": str(result.path), "format": result.format, "rows": result.rows,
                        "received_fen": result.received_fen, "seconds": round(result.seconds, 2)})
        elif zh(args):
            print(f"已导出 {result.rows:,} 个订单到 {result.path}（{fmt.upper()}，{result.seconds:.1f} 秒）")
        else:
            print(f"exported {_orders_en(result.rows)} to {result.path} ({fmt.upper()}, {result.seconds:.1f} s)")
        return EXIT_OK

    return run_with_desk(args, body)


def _to_stdout(desk: Any, flt: Any, lang: str, chinese: bool) -> int:
    """``orders export -``: CSV on standard output, the summary on standard error."""
    from ..services import exports

    result = exports.export_csv_to(desk, flt, unfiltered(sys.stdout), lang=lang)  # the data, exactly
    if chinese:
        print(f"已导出 {result.rows:,} 个订单到标准输出", file=sys.stderr)
    else:
        print(f"exported {_orders_en(result.rows)} to standard output", file=sys.stderr)
    return EXIT_OK


def _orders_en(n: int) -> str:
    return count_en(n, "order")


class _Meter:
    """One line on a terminal's stderr, rewritten after each chunk: rows written and time left."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.shown = False
        self.last = 0.0

    def __call__(self, progress: Any) -> None:
        now = time.monotonic()
        if now - self.last < 0.2 and progress.done < progress.total:
            return
        self.last = now
        text = f"导出中 exporting {progress.done:,} / {progress.total:,}"
        if progress.left is not None:
            left = round(progress.left)
            text += f" · 剩余 about {left // 60}:{left % 60:02d} left"
        self.stream.write("\r" + text + "\x1b[K")
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
