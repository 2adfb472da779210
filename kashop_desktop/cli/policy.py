"""``policy``: show and change the cancel policy."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..domain.money import parse_yuan
from ..domain.policy import CancelPolicy
from .common import add_command, add_noun, run_with_desk
from .output import EXIT_OK, UsageError, print_json


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``policy`` noun and its verbs to ``sub``."""
    policy = add_noun(sub, "policy", "the cancel policy")
    p = add_command(policy, common, "show", cmd_policy_show, "show the cancel policy")
    p.add_argument("--json", action="store_true")
    p = add_command(policy, common, "set", cmd_policy_set, "change policy fields")
    p.add_argument("values", nargs="+", metavar="KEY=VALUE")


def cmd_policy_show(args: argparse.Namespace) -> int:
    def body(desk: Any) -> int:
        policy = desk.policy()
        if args.json:
            print_json(policy.to_dict())
        else:
            for key, value in policy.to_dict().items():
                print(f"{key} = {value}")
        return EXIT_OK

    return run_with_desk(args, body)


def cmd_policy_set(args: argparse.Namespace) -> int:
    def body(desk: Any) -> int:
        data = desk.policy().to_dict()
        for item in args.values:
            key, sep, value = item.partition("=")
            if not sep or key not in data:
                raise UsageError(f"unknown policy setting {key!r}; known: {', '.join(data)}")
            if key == "no_refunds":
                data[key] = value.lower() in ("1", "true", "yes", "是")
            elif key == "auto_approve_ceiling_fen" and "." in value:
                data[key] = parse_yuan(value)
            else:
                if not value.lstrip("-").isdigit():
                    raise UsageError(f"{key} needs a whole number, got {value!r}")
                data[key] = int(value)
        policy = CancelPolicy.from_dict(data)
        desk.set_policy(policy)
        print(json.dumps(policy.to_dict(), ensure_ascii=False))
        return EXIT_OK

    return run_with_desk(args, body)
