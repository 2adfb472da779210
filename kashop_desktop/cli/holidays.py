"""``holidays``: load the State Council's schedule for a year chinese-calendar does not know yet.

File format: ``domain.holidays`` (JSON or CSV; see README "Holidays"). A file that cannot be
read or is not a valid schedule exits ``EXIT_USAGE`` with where and why, and changes nothing.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..domain.calendar import FIXED_HOLIDAYS
from ..domain.errors import DomainError
from ..domain.holidays import MAX_YEAR, MIN_YEAR
from .common import add_command, add_noun, int_type, run_with_desk
from .helptext import JSON_HELP, T
from .output import EXIT_OK, EXIT_USAGE, changes_json, print_error, print_json, zh

FIXED_NAMES_EN = dict(FIXED_HOLIDAYS.values())
SOURCES = {"loaded": ("已导入", "loaded"), "package": ("内置数据", "built in"),
           "fixed_only": ("仅固定日期节日（其余为约数）", "fixed-date holidays only (other dates approx.)")}


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``holidays`` noun and its verbs to ``sub``."""
    noun = add_noun(sub, "holidays", T("法定节假日和调休上班日", "statutory holidays and make-up working days"))
    p = add_command(noun, common, "show", cmd_holidays_show, T("各年份的节假日及其来源",
                                                               "where each year's holidays come from"))
    p.add_argument("--year", type=int_type(MIN_YEAR, MAX_YEAR, "--year 2027"), metavar="Y", help=T("显示这一年及前后年份", "show this year and the years beside it"))
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p = add_command(noun, common, "load", cmd_holidays_load, T("从 JSON 或 CSV 文件载入一年的安排（格式见 README）",
                                                               "load a year's schedule from a JSON or CSV file (README)"))
    p.add_argument("file", type=Path, help=T("JSON 或 CSV 文件", "the JSON or CSV file"))
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p = add_command(noun, common, "remove", cmd_holidays_remove, T("删除已载入的一年", "forget a loaded year"))
    p.add_argument("year", type=int_type(MIN_YEAR, MAX_YEAR, "2027"), help=T("年份", "the year"))


def cmd_holidays_show(args: argparse.Namespace) -> int:
    from ..services import holidays

    def body(desk: Any) -> int:
        years = holidays.years(desk, args.year)
        if args.json:
            print_json([{"year": y.year, "source": y.source, "exact": y.exact,
                         "holidays": [{"date": d.isoformat(), "name": n} for d, n in y.holidays],
                         "workdays": [d.isoformat() for d in y.workdays]} for y in years])
            return EXIT_OK
        for y in years:
            print(f"{y.year}  {SOURCES[y.source][0 if zh(args) else 1]}")
            for day, name in y.holidays:
                shown = name if zh(args) else FIXED_NAMES_EN.get(name, name)
                print(f"  {day.isoformat()}  {'休' if zh(args) else 'off'}  {shown}")
            for day in y.workdays:
                print(f"  {day.isoformat()}  {'班' if zh(args) else 'work'}")
        return EXIT_OK

    return run_with_desk(args, body)


def cmd_holidays_load(args: argparse.Namespace) -> int:
    from ..services import holidays

    def body(desk: Any) -> int:
        try:
            changes, years = holidays.load(desk, args.file)
        except DomainError as exc:
            print_error(exc.zh, exc.en)
            return EXIT_USAGE
        loaded = ", ".join(str(y) for y in years)
        if args.json:
            print_json(changes_json(changes, years=years))
        elif zh(args):
            print(f"已导入 {loaded} 年节假日安排；{len(changes.request_ids)} 个申请的处理时限、"
                  f"{len(changes.refund_ids)} 笔退款的预计到账日已重新计算")
        else:
            print(f"loaded the holiday schedule for {loaded}; re-computed {len(changes.request_ids)} request "
                  f"deadline(s) and {len(changes.refund_ids)} refund ETA(s)")
        return EXIT_OK

    return run_with_desk(args, body)


def cmd_holidays_remove(args: argparse.Namespace) -> int:
    from ..services import holidays

    def body(desk: Any) -> int:
        holidays.remove_year(desk, args.year)
        print(f"已移除 {args.year} 年的导入安排" if zh(args) else f"removed the loaded schedule for {args.year}")
        return EXIT_OK

    return run_with_desk(args, body)
