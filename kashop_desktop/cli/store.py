"""``store migrate --to postgresql://…``: moving the shop from its SQLite file to a server."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .common import add_command, add_noun
from .helptext import JSON_HELP, T
from .output import EXIT_OK, UsageError, print_json


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``store`` noun and its ``migrate`` command to ``sub``."""
    verbs = add_noun(sub, "store", T("店铺数据放在哪里（数据文件或数据库服务器）",
                                     "where the shop's data lives (the data file or a database server)"))
    p = add_command(verbs, common, "migrate", cmd_migrate, T(
        "把数据文件里的店铺复制到 PostgreSQL 服务器上的空库并核对（每张表的行数和金额合计）；之后数据文件标记为“已移走”、不再使用",
        "copy the shop in the data file to an empty PostgreSQL database and verify it (every table's rows and "
        "money sums); the data file is then marked as moved and no longer used"))
    p.add_argument("--to", required=True, metavar="URL", help=T(
        "目标库：postgresql://用户@主机/库名（密码写在地址里或用 PGPASSWORD / .pgpass）",
        "the target: postgresql://user@host/dbname (the password in the URL or from PGPASSWORD / .pgpass)"))
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    u = add_command(verbs, common, "unmark-moved", cmd_unmark_moved, T(
        "迁移后数据文件被标记为“已移到服务器”、不再使用；这个命令去掉标记，把文件当作店铺再用（服务器上之后的订单不在里面）",
        "store migrate marks the data file as moved to the server and the desk no longer uses it; this takes the "
        "mark away so the file is a shop again (the server's orders since the move are not in it)"))
    u.add_argument("--json", action="store_true", help=JSON_HELP)


def cmd_unmark_moved(args: argparse.Namespace) -> int:
    from ..services.store_move import unmark_moved

    mark = unmark_moved(getattr(args, "data_dir", None))
    if args.json:
        print_json({"was_moved_to": mark.get("to") if mark else None})
    elif mark is None:
        print("数据文件没有“已移走”标记，无需改动。\nthe data file was not marked as moved; nothing changed.")
    else:
        print(f"已去掉标记：数据文件又是一个店铺了（它不含 {mark.get('to')} 上迁移之后的订单）。\n"
              f"the mark is gone: the data file is a shop again (without the orders taken on {mark.get('to')} "
              "since the move).")
    return EXIT_OK


def cmd_migrate(args: argparse.Namespace) -> int:
    from ..services.store_move import migrate_to_server, server_source_refusal
    from ..store.server import env_url, redact, url_problem

    problem = url_problem(args.to)
    if problem is not None:
        raise UsageError(f"--to：{problem[0]}\n--to: {problem[1]}")
    refusal = server_source_refusal(getattr(args, "db", None) or env_url())
    if refusal is not None:
        raise refusal

    def progress(table: str, rows: int) -> None:
        if not args.json and rows % 100_000 == 0:
            print(f"  {table}: {rows:,}", file=sys.stderr)

    report = migrate_to_server(getattr(args, "data_dir", None), args.to, progress=progress)
    if args.json:
        print_json({"to": redact(args.to), "seconds": round(report.seconds, 2), "rows": report.rows,
                    "tables": [{"table": t.table, "rows": t.rows, "sums_fen": t.sums} for t in report.tables]})
        return EXIT_OK
    for t in report.tables:
        sums = "  ".join(f"{name}={fen}" for name, fen in t.sums.items())
        print(f"{t.table:<22} {t.rows:>10,}  {sums}".rstrip())
    where = redact(args.to)
    hint_zh = "（地址里的 *** 代表密码：用真实密码，或不写密码、改用 PGPASSWORD / ~/.pgpass）" if "***" in where else ""
    hint_en = (" (*** stands for the password: give the real one, or leave it out and use PGPASSWORD / ~/.pgpass)"
               if "***" in where else "")
    print(f"已复制到 {where}：{report.rows:,} 行，用时 {report.seconds:.1f} 秒；每张表的行数和金额合计都已核对一致。"
          f"数据文件已标记为“已移到服务器”，本程序不再用它开单。之后用 --db {where} 或 KASHOP_DB_URL 打开这个店铺{hint_zh}。\n"
          f"copied to {where}: {report.rows:,} rows in {report.seconds:.1f} s; every table's rows and money sums "
          f"match. The data file is marked as moved and the desk no longer sells from it. Open the shop from now on "
          f"with --db {where} or KASHOP_DB_URL{hint_en}.")
    return EXIT_OK
