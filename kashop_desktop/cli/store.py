"""``store migrate --to postgresql://…``: moving the shop from its SQLite file to a server."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .common import add_command, add_noun
from .helptext import JSON_HELP, T
from .output import EXIT_OK, UsageError, print_json, zh


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``store`` noun and its ``migrate`` command to ``sub``."""
    verbs = add_noun(sub, "store", T("店铺数据放在哪里（数据文件或数据库服务器）",
                                     "where the shop's data lives (the data file or a database server)"))
    p = add_command(verbs, common, "migrate", cmd_migrate, T(
        "把数据文件里的店铺复制到 PostgreSQL 服务器上的空库并核对（每张表的行数和金额合计）；数据文件不变",
        "copy the shop in the data file to an empty PostgreSQL database and verify it (every table's rows and "
        "money sums); the data file is left as it is"))
    p.add_argument("--to", required=True, metavar="URL", help=T(
        "目标库：postgresql://用户@主机/库名（密码写在地址里或用 PGPASSWORD / .pgpass）",
        "the target: postgresql://user@host/dbname (the password in the URL or from PGPASSWORD / .pgpass)"))
    p.add_argument("--json", action="store_true", help=JSON_HELP)


def cmd_migrate(args: argparse.Namespace) -> int:
    from ..services.store_move import migrate_to_server
    from ..store.server import redact, url_problem

    problem = url_problem(args.to)
    if problem is not None:
        raise UsageError(f"--to：{problem[0]}\n--to: {problem[1]}")

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
    if zh(args):
        print(f"已复制到 {where}：{report.rows:,} 行，用时 {report.seconds:.1f} 秒；每张表的行数和金额合计都已核对一致。"
              f"数据文件未改动。之后用 --db {where} 或 KASHOP_DB_URL 打开这个店铺。")
    else:
        print(f"copied to {where}: {report.rows:,} rows in {report.seconds:.1f} s; every table's rows and money sums "
              f"match. The data file was not changed. Open the shop from now on with --db {where} or KASHOP_DB_URL.")
    return EXIT_OK
