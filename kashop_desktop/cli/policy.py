"""``policy``: show and change the cancel policy."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..domain.errors import PolicyError
from ..domain.money import format_yuan
from ..domain.policy import SPECS, UNITS, parse_policy_value
from ..services.policy_settings import set_policy_values
from .common import add_command, add_noun, run_with_desk
from .helptext import JSON_HELP, RawFormatter, T
from .output import EXIT_OK, UsageError, print_json, zh


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``policy`` noun and its verbs to ``sub``."""
    policy = add_noun(sub, "policy", T("取消政策", "the cancel policy"))
    p = add_command(policy, common, "show", cmd_policy_show, T("显示取消政策", "show the cancel policy"))
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p = add_command(policy, common, "set", cmd_policy_set, T("修改政策项（全部生效或一项都不改）",
                                                             "change policy fields (all or none)"))
    p.formatter_class = RawFormatter
    p.epilog = keys_help()
    p.add_argument("values", nargs="+", metavar="KEY=VALUE", help=T("一项或多项设置；键见下方",
                                                                    "one or more settings; see the keys below"))
    p.add_argument("--json", action="store_true", help=JSON_HELP)


def described(key: str, value: Any, chinese: bool, *, full: bool = False) -> str:
    """What a policy value means for people: its label, and money in yuan (with ``full``,
    every value is written out: minutes, days, the fee in percent)."""
    spec = SPECS.get(key)
    label = (spec.zh if chinese else spec.en) if spec else ("不支持退款" if chinese else "No refunds")
    if key.endswith("_fen"):
        return f"{label}: ¥{format_yuan(value)}"
    if isinstance(value, bool):
        return f"{label}: {('是' if value else '否') if chinese else ('yes' if value else 'no')}"
    if full and key == "fee_rate_permyriad":
        return f"{label}: {value // 100}.{value % 100:02d}%"
    if full:
        return f"{label}: {value}"
    return label


def keys_help() -> T:
    """The keys ``policy set`` takes, with their units (money in fen): the Chinese help lists
    them in Chinese, ``--lang en`` in English."""
    zh_lines, en_lines = ["键："], ["keys:"]
    for key, (unit_zh, unit_en) in UNITS.items():
        spec = SPECS.get(key)
        zh_lines.append(f"  {key}\n      {spec.zh if spec else '不支持退款'}：{unit_zh.strip()}")
        en_lines.append(f"  {key}\n      {spec.en if spec else 'No refunds'}: {unit_en}")
    return T("\n".join(zh_lines), "\n".join(en_lines))


def cmd_policy_show(args: argparse.Namespace) -> int:
    def body(desk: Any) -> int:
        policy = desk.policy()
        if args.json:
            print_json(policy.to_dict())
        else:
            settings = {key: str(value).lower() if isinstance(value, bool) else str(value)
                        for key, value in policy.to_dict().items()}
            wide = max(len(key) + len(value) for key, value in settings.items()) + 3
            for key, value in settings.items():
                print(f"{key} = {value}".ljust(wide) + "  " + described(key, policy.to_dict()[key], zh(args)))
        return EXIT_OK

    return run_with_desk(args, body)


def cmd_policy_set(args: argparse.Namespace) -> int:
    from ..domain.roles import Right

    def body(desk: Any) -> int:
        # who may change the policy first (a clerk is told they may not, whatever the values),
        # then every value, before anything is written
        desk.require(Right.POLICY)
        changes = parse_settings(args.values)
        try:
            policy = set_policy_values(desk, changes)
        except PolicyError as exc:
            raise UsageError(f"{exc.zh}；没有改动任何设置\n{exc.en}; nothing was changed") from exc
        if args.json:
            print(json.dumps(policy.to_dict(), ensure_ascii=False))
            return EXIT_OK
        chinese = zh(args)
        done = ("；" if chinese else "; ").join(described(key, policy.to_dict()[key], chinese, full=True)
                                                for key in changes)
        print(f"政策已保存：{done}。之后的申请按新政策判断。" if chinese else
              f"policy saved: {done}. New requests are decided by it.")
        return EXIT_OK

    return run_with_desk(args, body)


def parse_settings(items: list[str]) -> dict[str, int | bool]:
    """KEY=VALUE items as typed values; ``UsageError`` (bilingual, nothing changed) on any bad one."""
    changes: dict[str, int | bool] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"需要 KEY=VALUE，收到 {item!r}；没有改动任何设置\n"
                             f"expected KEY=VALUE, got {item!r}; nothing was changed")
        try:
            changes[key.strip()] = parse_policy_value(key.strip(), value)
        except PolicyError as exc:
            raise UsageError(f"{exc.zh}；没有改动任何设置\n{exc.en}; nothing was changed") from exc
    return changes
