"""``codes``: reveal a delivered 卡密 to send it to the buyer (written to the order's timeline)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .common import add_command, add_noun, run_with_desk
from .helptext import JSON_HELP, ORDER_NO_HELP, T
from .output import EXIT_OK, print_json, zh


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``codes`` noun and its verbs to ``sub``."""
    codes = add_noun(sub, "codes", T("已发出的卡密", "delivered card codes"))
    p = add_command(codes, common, "reveal", cmd_codes_reveal, T(
        "显示订单已发出的卡密明文（记入时间线：谁、何时）",
        "print the delivered card code of an order (logged in its timeline: who, when)"))
    p.add_argument("order_no", help=ORDER_NO_HELP)
    p.add_argument("--json", action="store_true", help=JSON_HELP)


def cmd_codes_reveal(args: argparse.Namespace) -> int:
    from ..services.delivery import reveal_code

    def body(desk: Any) -> int:
        _changes, code = reveal_code(desk, args.order_no)
        if args.json:
            print_json({"order_no": args.order_no, "codes": code.splitlines()})
        else:
            print(("已记入订单时间线（查看卡密）：" if zh(args) else "written to the order's timeline (code revealed):"),
                  file=sys.stderr)
            print(code)
        return EXIT_OK

    return run_with_desk(args, body)
