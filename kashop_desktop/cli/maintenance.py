"""``sweep``, ``check`` and ``backup``: keeping the shop and its database in order."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .common import add_command, run_with_desk
from .output import EXIT_OK, EXIT_REFUSED, print_json


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``sweep``, ``check`` and ``backup`` commands to ``sub``."""
    p = add_command(sub, common, "sweep", cmd_sweep, "expire unpaid orders, auto-approve, flag overdue")
    p.add_argument("--json", action="store_true")
    p = add_command(sub, common, "check", cmd_check, "check the database")
    p.add_argument("--json", action="store_true")
    p = add_command(sub, common, "backup", cmd_backup, "back up the database")
    p.add_argument("path", nargs="?", type=Path)


def cmd_sweep(args: argparse.Namespace) -> int:
    from ..services.requests import sweep

    def body(desk: Any) -> int:
        _, counts = sweep(desk)
        if args.json:
            print_json({**counts, "now": desk.now()})
        else:
            print(" ".join(f"{k}={v}" for k, v in counts.items()))
        return EXIT_OK

    return run_with_desk(args, body)


def cmd_check(args: argparse.Namespace) -> int:
    from ..services.maintenance import check

    def body(desk: Any) -> int:
        report = check(desk)
        if args.json:
            print_json(report)
        else:
            print(f"{'OK' if report.ok else '✗'} integrity={report.integrity} fk_problems={report.foreign_key_problems}"
                  f" schema={report.schema_version} orders={report.orders} counts_match={report.counts_match}")
        return EXIT_OK if report.ok else EXIT_REFUSED

    return run_with_desk(args, body)


def cmd_backup(args: argparse.Namespace) -> int:
    from ..services.maintenance import backup

    def body(desk: Any) -> int:
        path = backup(desk, args.path)
        print(path)
        return EXIT_OK

    return run_with_desk(args, body)
