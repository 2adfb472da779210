"""``audit export``: the log of a date range (order timelines and the shop log) as a CSV file;
``audit anchor``: the owner anchors the log's chains again (``services.audit.anchor_log``)."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from .common import add_command, add_noun, run_with_desk
from .helptext import T
from .output import EXIT_OK, UsageError, count_en, zh


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``audit`` noun to ``sub``."""
    noun = add_noun(sub, "audit", T("操作日志（防篡改：kashop-desktop check 校验）",
                                    "the tamper-evident log (kashop-desktop check verifies it)"))
    p = add_command(noun, common, "export", cmd_export, T(
        "把一段日期的日志（订单时间线和店铺日志，含操作员和哈希）导出为 CSV（店主）",
        "export the log of a date range (order timelines and the shop log, with operators and hashes) as CSV "
        "(owner)"))
    p.add_argument("--from", dest="start", required=True, metavar="D", help=T("开始日期（北京时间，YYYY-MM-DD）",
                                                                              "first day (Beijing, YYYY-MM-DD)"))
    p.add_argument("--to", dest="end", required=True, metavar="D", help=T("结束日期（含当天）",
                                                                          "last day (included)"))
    p.add_argument("out", type=Path, metavar="OUT.csv", help=T(
        "写到这个 .csv 文件（不能在数据文件夹里）", "the .csv file to write (not inside the data folder)"))
    p.add_argument("--force", action="store_true", help=T("覆盖已有的文件", "replace an existing file"))
    add_command(noun, common, "anchor", cmd_anchor, T(
        "在核对日志链无误后，用钥匙串或保险箱里的锚定密钥重新锚定日志（换了电脑、恢复了旧备份或钥匙串被清空之后；店主）",
        "anchor the log again under the anchor key in the keyring or vault, once its chains hold (after moving to "
        "another PC, restoring an old backup or the keyring being cleared; owner)"))


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise UsageError(f"{option}：日期应为 YYYY-MM-DD，收到 {text!r}\n{option}: a date is YYYY-MM-DD, got {text!r}") from exc


def cmd_export(args: argparse.Namespace) -> int:
    from ..services import audit

    start, end = _day(args.start, "--from"), _day(args.end, "--to")
    if end < start:
        raise UsageError(f"--to {end} 早于 --from {start}\n--to {end} is before --from {start}")

    def body(desk: Any) -> int:
        count = audit.export(desk, start, end, args.out, english=not zh(args), force=args.force)
        print(f"已导出 {count} 行到 {args.out}" if zh(args) else f"exported {count_en(count, 'row')} to {args.out}")
        return EXIT_OK

    return run_with_desk(args, body)


def cmd_anchor(args: argparse.Namespace) -> int:
    from ..services import audit

    def body(desk: Any) -> int:
        rows = audit.anchor_log(desk)
        print(f"日志已重新锚定（{rows} 行哈希链无误）" if zh(args) else f"the log is anchored again ({rows} chained rows hold)")
        return EXIT_OK

    return run_with_desk(args, body)
