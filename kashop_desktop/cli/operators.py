"""``operators``: who works the desk (owner, clerk, viewer), passwords and approval limits."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from ..domain.errors import DomainError
from ..domain.money import format_yuan
from ..domain.roles import CLERK_START_LIMIT_FEN
from .common import add_command, add_noun, ask_secret, run_with_desk
from .helptext import JSON_HELP, T
from .output import EXIT_OK, UsageError, print_json, table, zh

NEW_PASSWORD_ENV = "KASHOP_NEW_PASSWORD"
NAME_HELP = T("操作员名字", "the operator's name")
LIMIT_HELP = T("审批额度（元）：店员在一个订单上批准的退款合计上限（拆成几笔也合计）；"
               f"不写则店员从 {format_yuan(CLERK_START_LIMIT_FEN)} 起；none 表示不限",
               "approval limit (yuan): the most a clerk may approve in refunds on one order, parts added up; "
               f"left out, a clerk starts with {format_yuan(CLERK_START_LIMIT_FEN)}; none for no limit")


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``operators`` noun and its verbs to ``sub``."""
    noun = add_noun(sub, "operators", T("操作员：店主、店员、只读；密码与审批额度",
                                        "operators: owner, clerk, viewer; passwords and approval limits"))
    p = add_command(noun, common, "add", cmd_add, T(
        f"添加操作员（密码取自 {NEW_PASSWORD_ENV}，或在终端输入两次）；有两个操作员后每个命令都要 --operator",
        f"add an operator (password from {NEW_PASSWORD_ENV}, or typed twice on a terminal); with two operators "
        "every command needs --operator"))
    p.add_argument("name", help=NAME_HELP)
    p.add_argument("--role", required=True, choices=("owner", "clerk", "viewer"), help=T(
        "角色：owner 店主（全部权限）、clerk 店员（订单、申请、额度内退款）、viewer 只读",
        "role: owner (everything), clerk (orders, requests, refunds up to the limit), viewer (read only)"))
    p.add_argument("--approve-limit", metavar="YUAN", help=LIMIT_HELP)
    p = add_command(noun, common, "list", cmd_list, T("列出操作员", "list the operators"))
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    for verb, func, text in (("disable", cmd_disable, T("停用操作员（唯一在用的店主不能停用）",
                                                        "disable an operator (not the last active owner)")),
                             ("enable", cmd_enable, T("重新启用操作员", "enable an operator again")),
                             ("passwd", cmd_passwd, T(f"修改密码（新密码取自 {NEW_PASSWORD_ENV} 或终端输入），并解除锁定",
                                                      f"set a new password (from {NEW_PASSWORD_ENV} or typed), which "
                                                      "also lifts a lock-out"))):
        p = add_command(noun, common, verb, func, text)
        p.add_argument("name", help=NAME_HELP)
    p = add_command(noun, common, "set-limit", cmd_set_limit, T("修改审批额度", "change an approval limit"))
    p.add_argument("name", help=NAME_HELP)
    p.add_argument("limit", metavar="YUAN", help=T("额度（元）；none 表示不限", "the limit in yuan; none for no limit"))
    p = add_command(noun, common, "set", cmd_set, T(
        "修改角色和/或审批额度（一次写入；唯一在用的店主不能降级；额度只用于店员）",
        "change a role and/or an approval limit at once (the last active owner stays owner; limits are for clerks)"))
    p.add_argument("name", help=NAME_HELP)
    p.add_argument("--role", choices=("owner", "clerk", "viewer"), help=T("新角色", "the new role"))
    p.add_argument("--approve-limit", metavar="YUAN", help=T("新的审批额度（元）；none 表示不限",
                                                             "the new approval limit in yuan; none for no limit"))
    p = add_command(noun, common, "set-role", cmd_set_role, T("修改角色（唯一在用的店主不能降级）",
                                                              "change a role (the last active owner stays owner)"))
    p.add_argument("name", help=NAME_HELP)
    p.add_argument("role", choices=("owner", "clerk", "viewer"), help=T("新角色", "the new role"))


def _limit(text: str | None) -> int | None:
    from ..domain.errors import MoneyError
    from ..domain.money import parse_yuan

    if text is None or text.strip().lower() in ("none", "不限"):
        return None
    try:
        return parse_yuan(text, allow_zero=True)
    except MoneyError as exc:
        raise UsageError(f"审批额度（元）：{exc.zh}\napproval limit (yuan): {exc.en}") from exc


def new_password() -> str:
    """The new password from KASHOP_NEW_PASSWORD (when not empty), or typed twice on a terminal
    (UsageError, exit 2, otherwise: an empty variable is named as such)."""
    password = os.environ.get(NEW_PASSWORD_ENV)
    if password:
        return password
    if password is not None and (sys.stdin is None or not sys.stdin.isatty()):
        raise UsageError(f"环境变量 {NEW_PASSWORD_ENV} 是空的：请在其中设新密码，或在终端里运行以便输入\n"
                         f"{NEW_PASSWORD_ENV} is empty: set the new password in it, or run on a terminal to type it")
    if sys.stdin is None or not sys.stdin.isatty():
        raise UsageError(f"需要新密码：设环境变量 {NEW_PASSWORD_ENV}，或在终端里运行以便输入\n"
                         f"a new password is needed: set {NEW_PASSWORD_ENV}, or run on a terminal to type it")
    first = ask_secret("新密码 / new password: ")
    if ask_secret("再输一次 / again: ") != first:
        raise UsageError("两次输入的密码不一样，什么都没有改\nthe two passwords differ; nothing was changed")
    return first


def cmd_add(args: argparse.Namespace) -> int:
    from ..domain.roles import Role
    from ..services import operators

    # left out: a clerk starts with the desk's starting limit (operators.add), as in the window
    limit = _limit(args.approve_limit) if args.approve_limit is not None else operators.KEEP
    try:
        operators.check_name(args.name)  # a bad name is a bad value (exit 2), before any password is asked
    except DomainError as exc:
        raise UsageError(f"{exc.zh}\n{exc.en}") from exc

    def body(desk: Any) -> int:  # signed in first, then the new operator's password is asked
        added = operators.add(desk, args.name, Role.of(args.role), new_password(), approve_limit_fen=limit)
        print(f"已添加操作员 {added.name}（{added.role.zh}）" if zh(args) else f"added operator {added.name} ({added.role.en})")
        return EXIT_OK

    return run_with_desk(args, body)


def _limit_label(limit: int | None, chinese: bool) -> str:
    from ..domain.money import format_yuan

    return ("不限" if chinese else "none") if limit is None else f"¥{format_yuan(limit)}"


def cmd_list(args: argparse.Namespace) -> int:
    from ..domain.roles import Role
    from ..services import operators

    def body(desk: Any) -> int:
        found = operators.list_operators(desk)
        if args.json:
            print_json([{"name": o.name, "role": o.role.code, "approve_limit_fen": o.approve_limit_fen,
                         "active": o.active, "has_password": o.has_password, "locked_until": o.locked_until,
                         "created_at": o.created_at} for o in found])
            return EXIT_OK
        c = zh(args)
        rows = [[o.name, o.role.zh if c else o.role.en,
                 _limit_label(o.approve_limit_fen, c) if o.role is Role.CLERK else "-",
                 ("在用" if c else "active") if o.active else ("已停用" if c else "disabled"),
                 f"{o.locked_until:%H:%M}" if o.locked_until else "-",
                 ("已设" if c else "set") if o.has_password else ("未设" if c else "none")] for o in found]
        table(rows, ["名字", "角色", "审批额度", "状态", "锁定到", "密码"] if c else
              ["name", "role", "approve limit", "state", "locked until", "password"])
        return EXIT_OK

    return run_with_desk(args, body)


def _simple(args: argparse.Namespace, action: Any, zh_text: str, en_text: str) -> int:
    def body(desk: Any) -> int:
        action(desk)
        print(zh_text if zh(args) else en_text)
        return EXIT_OK

    return run_with_desk(args, body)


def cmd_disable(args: argparse.Namespace) -> int:
    from ..services import operators

    return _simple(args, lambda d: operators.set_active(d, args.name, False), f"已停用 {args.name}",
                   f"disabled {args.name}")


def cmd_enable(args: argparse.Namespace) -> int:
    from ..services import operators

    return _simple(args, lambda d: operators.set_active(d, args.name, True), f"已启用 {args.name}",
                   f"enabled {args.name}")


def cmd_passwd(args: argparse.Namespace) -> int:
    from ..services import operators

    # signed in first (run_with_desk asks who is working), then the new password is asked
    return _simple(args, lambda d: operators.set_password(d, args.name, new_password()), f"已修改 {args.name} 的密码",
                   f"password of {args.name} changed")


def cmd_set_limit(args: argparse.Namespace) -> int:
    from ..services import operators

    limit = _limit(args.limit)
    label_zh, label_en = _limit_label(limit, True), _limit_label(limit, False)
    return _simple(args, lambda d: operators.set_limit(d, args.name, limit), f"{args.name} 的审批额度：{label_zh}",
                   f"approval limit of {args.name}: {label_en}")


def cmd_set_role(args: argparse.Namespace) -> int:
    from ..domain.roles import Role
    from ..services import operators

    role = Role.of(args.role)
    return _simple(args, lambda d: operators.set_role(d, args.name, role), f"{args.name} 现在是{role.zh}",
                   f"{args.name} is now {role.en}")


def cmd_set(args: argparse.Namespace) -> int:
    from ..domain.roles import Role
    from ..services import operators

    if args.role is None and args.approve_limit is None:
        raise UsageError("请至少给出 --role 或 --approve-limit，什么都没有改\n"
                         "give --role or --approve-limit (or both); nothing was changed")
    role = Role.of(args.role) if args.role is not None else None
    limit = _limit(args.approve_limit) if args.approve_limit is not None else operators.KEEP

    def body(desk: Any) -> int:
        view = operators.change(desk, args.name, role=role, approve_limit_fen=limit)
        c = zh(args)
        shown = _limit_label(view.approve_limit_fen, c) if view.role is Role.CLERK else "-"
        print(f"{view.name}：{view.role.zh}，审批额度 {shown}" if c else
              f"{view.name}: {view.role.en}, approval limit {shown}")
        return EXIT_OK

    return run_with_desk(args, body)
