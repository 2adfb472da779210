"""What every command module shares: the common options, registering a command, opening the desk."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from typing import Any

from ..domain.clock import parse_time
from ..domain.errors import MoneyError
from ..domain.money import parse_yuan
from .helptext import T
from .output import EXIT_USAGE, UsageError, print_error

log = logging.getLogger(__name__)

Command = Callable[[argparse.Namespace], int]


#: The largest id a stored row can have: SQLite's INTEGER and PostgreSQL's BIGINT are signed 64-bit,
#: so a larger id is a bad value (exit 2) rather than a number the store cannot even look up.
MAX_ID = 2**63 - 1
#: The most a count typed on the command line may be (``--limit N``, ``--threshold N``): far above
#: any shop's rows, far below what the store's 64-bit integers hold.
MAX_COUNT = 1_000_000_000


def whole_number(text: str, lo: int, hi: int, example: str = "") -> int:
    """A whole number from ``lo`` to ``hi`` typed on the command line, else ``ArgumentTypeError``
    (argparse's usage error, exit 2, in Chinese and English: ``helptext.error_zh``) saying the
    bound it broke and, when given, ``example``. Never a number the store cannot hold."""
    try:
        value = int(text)
    except ValueError:  # also a number of more than 4300 digits
        raise argparse.ArgumentTypeError(f"invalid int value: {text!r}") from None
    if lo <= value <= hi:
        return value
    shown = str(value)
    if len(shown) > 24:
        shown = shown[:20] + "…"
    bound = f"at least {lo}" if value < lo else f"at most {hi}"
    raise argparse.ArgumentTypeError(f"must be {bound}, not {shown}" + (f" (e.g. {example})" if example else ""))


def int_type(lo: int, hi: int, example: str = "") -> Callable[[str], int]:
    """An argparse ``type=`` for a whole number from ``lo`` to ``hi`` (``whole_number``)."""
    def parse(text: str) -> int:
        return whole_number(text, lo, hi, example)

    parse.__name__ = "int"  # argparse names the type so in its own messages
    return parse


def at_least_one(text: str, example: str = "50") -> int:
    """A ``--limit N`` and the like: a whole number from 1 to ``MAX_COUNT``, else a usage error
    (exit 2) naming ``example``."""
    return whole_number(text, 1, MAX_COUNT, example)


def limit_type(default: int) -> Callable[[str], int]:
    """The ``type=`` of a ``--limit N``: 1 to ``MAX_COUNT``, the example naming the command's default."""
    return int_type(1, MAX_COUNT, f"--limit {default}")


def record_id(text: str) -> int:
    """A stored row's id (a request, a refund, a card code): 1 to ``MAX_ID``, else a usage error
    (exit 2); an id in range that no row has is the command's own "not found" (exit 1)."""
    return whole_number(text, 1, MAX_ID)


def common_options() -> argparse.ArgumentParser:
    """The options every command accepts: ``--data-dir``, ``--now`` (ISO 8601), ``--lang zh|en``."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", default=argparse.SUPPRESS, metavar="DIR",
                        help=T("数据文件夹（默认：系统的应用数据文件夹，或 $KASHOP_DATA_DIR）",
                               "data folder (default: the platform's, or $KASHOP_DATA_DIR)"))
    common.add_argument("--db", default=argparse.SUPPRESS, metavar="URL",
                        help=T("店铺放在 PostgreSQL 服务器上：postgresql://用户@主机/库名（默认依次为：$KASHOP_DB_URL、"
                               "窗口设置页“数据存储”里为这台电脑保存的服务器、数据文件夹里的 SQLite 文件；密码写在地址里或用 "
                               "PGPASSWORD / .pgpass，加密连接用 ?sslmode=require）",
                               "keep the shop on a PostgreSQL server: postgresql://user@host/dbname (default, in this "
                               "order: $KASHOP_DB_URL, the server saved for this PC in the window's Settings > data "
                               "storage, the SQLite file in the data folder; the password in the URL or from PGPASSWORD / "
                               ".pgpass, TLS with ?sslmode=require)"))
    common.add_argument("--now", default=argparse.SUPPRESS, metavar="ISO",
                        help=T("按这个时间执行（ISO 8601，如 2026-11-18T09:00:00+08:00；有多个操作员时只限店主，"
                               "且不能早于日志的最后一行；登录和锁定仍按真实时间）",
                               "act as if it were this time (ISO 8601, e.g. 2026-11-18T09:00:00+08:00; once the shop "
                               "has several operators the owner only, never before the log's last row; sign-in and "
                               "lock-out keep the real time)"))
    common.add_argument("--lang", choices=("zh", "en"), default=argparse.SUPPRESS,
                        help=T("输出和帮助的语言（默认中文）", "language of output and help (default: Chinese)"))
    common.add_argument("--operator", default=argparse.SUPPRESS, metavar="NAME", help=T(
        "以这个操作员的身份执行（店铺有多个操作员时必填；密码取自 KASHOP_OPERATOR_PASSWORD，或在终端提示输入）",
        "act as this operator (required once the shop has several; the password comes from "
        "KASHOP_OPERATOR_PASSWORD or a prompt on a terminal)"))
    return common


def add_command(parent: Any, common: argparse.ArgumentParser, name: str, func: Command,
                help: T) -> argparse.ArgumentParser:
    """Add subcommand ``name`` running ``func`` to ``parent`` (a subparsers action); ``help``
    (in Chinese and English) is its line in the list and the description of its own ``--help``."""
    p: argparse.ArgumentParser = parent.add_parser(name, parents=[common], help=help, description=help)
    p.set_defaults(func=func, command_parser=p)  # a usage error shows this command's usage
    return p


def add_noun(sub: Any, name: str, help: T) -> Any:
    """Add a noun (``orders``, ``refunds`` ...) whose verbs are required subcommands."""
    noun = sub.add_parser(name, help=help, description=help)
    return noun.add_subparsers(dest="sub", metavar="SUB", required=True,
                               title=T("子命令", "subcommands"))


def open_desk(args: argparse.Namespace) -> Any:
    """Open the desk on ``--data-dir``, with a fixed clock if ``--now`` was given.

    Raises ``UsageError`` for an unreadable ``--now``.
    """
    from ..services.desk import Desk

    fixed = None
    if getattr(args, "now", None):
        try:
            fixed = parse_time(args.now)
        except ValueError as exc:
            raise UsageError(f"--now：无法识别的时间 {args.now!r}（如 2026-11-18T09:00:00+08:00）\n"
                             f"--now: invalid time {args.now!r} (e.g. 2026-11-18T09:00:00+08:00)") from exc
    url = getattr(args, "db", None)
    if url is not None:
        from ..store.server import url_problem

        problem = url_problem(url)
        if problem is not None:
            raise UsageError(f"--db：{problem[0]}\n--db: {problem[1]}")
    desk = Desk.open(getattr(args, "data_dir", None), create=command_name(args) in CREATES_SHOP,
                     db_url=url)
    try:
        authenticate(desk, args)  # on the real clock: --now never moves a lock-out
        if fixed is not None:
            desk.fix_clock(fixed, writes=command_name(args) not in READ_ONLY)
    except BaseException:
        desk.close()
        raise
    _say_left_server(desk)
    return desk


def _say_left_server(desk: Any) -> None:
    """The first command on this PC's data file after the owner left a server says, on stderr,
    that the file lacks what was done there (once, as the window's start box does:
    ``store_choice.left_server_note``)."""
    if desk.db_url is not None:
        return
    from pathlib import Path

    from ..services.store_choice import left_server_note

    note = left_server_note(Path(desk.data_dir))
    if note is not None:
        print_error(*note)


PASSWORD_ENV = "KASHOP_OPERATOR_PASSWORD"
_HOW = ("（密码取自环境变量 KASHOP_OPERATOR_PASSWORD，或在终端提示输入）",
        " (the password comes from KASHOP_OPERATOR_PASSWORD, or a prompt on a terminal)")


def _who_is_working(desk: Any) -> str:
    """The usage error for a command without ``--operator`` when the shop asks who is working,
    true to why it asks (``operators.sign_in_need``)."""
    from ..services import operators

    why, owner = operators.sign_in_need(desk) or (operators.SEVERAL_ACTIVE, "")
    if why == operators.OWNER_LEFT_ALONE:
        return (f"这个店铺现在只剩店主 {owner} 一个操作员，但店铺日志记录过添加其他操作员（他们的记录已不在），所以仍要登录："
                f"请用 --operator {owner} 说明是谁在操作{_HOW[0]}；check 会列出不见的操作员\n"
                f"only the owner {owner} is left among this shop's operators, but the shop log records other operators "
                f"added (their rows are gone), so sign-in stays on: say who is working with --operator {owner}{_HOW[1]}; "
                "check names the operators gone")
    if why == operators.OTHERS_DISABLED:
        return (f"这个店铺的其他操作员都已停用，只有店主 {owner} 在用，但店主设了密码，所以仍要登录："
                f"请用 --operator {owner} 说明是谁在操作{_HOW[0]}\n"
                f"the shop's other operators are all disabled and only the owner {owner} is active, but the owner has "
                f"a password, so sign-in stays on: say who is working with --operator {owner}{_HOW[1]}")
    return (f"这个店铺有多个操作员：请用 --operator 名字 说明是谁在操作{_HOW[0]}\n"
            f"this shop has several operators: say who is working with --operator NAME{_HOW[1]}")


def authenticate(desk: Any, args: argparse.Namespace) -> None:
    """Sign in as ``--operator`` (password from KASHOP_OPERATOR_PASSWORD or a prompt on a
    terminal). In single-owner mode nothing is asked; once the shop has several operators a
    command without ``--operator`` is a usage error (exit 2), a wrong password or a locked or
    disabled operator a refusal (exit 1, recorded in the shop log). An operator whose row was
    changed outside the desk is refused everything but ``check``."""
    from ..domain.errors import DomainError
    from ..services import operators

    name = getattr(args, "operator", None)
    sole = desk.operator
    if not name:
        if sole is None:
            raise UsageError(_who_is_working(desk))
        return
    if sole is not None and sole.name == name.strip() and not operators.has_password(desk, sole.name):
        return  # the owner working alone, without a password yet
    try:
        operators.sign_in(desk, name, _password(), record=command_name(args) not in READ_ONLY)
    except DomainError as exc:
        # The password was right but the operator's row disagrees with the log: check, which
        # names the disagreement and changes nothing, still runs (signed in as nobody).
        if exc.code != "operator_changed_outside" or command_name(args) != "check":
            raise


def _password() -> str:
    import os

    password = os.environ.get(PASSWORD_ENV)
    if password is not None:
        return password
    if sys.stdin is not None and sys.stdin.isatty():
        return ask_secret("密码 / password: ")
    raise UsageError(f"--operator 需要密码：设环境变量 {PASSWORD_ENV}，或在终端里运行以便提示输入\n"
                     f"--operator needs a password: set {PASSWORD_ENV}, or run on a terminal to be asked")


def ask_secret(prompt: str) -> str:
    """A password typed on the terminal without echo; end of input there (Ctrl+D) is a usage error
    (``UsageError``, exit 2) saying nothing was done, not a crash."""
    import getpass

    try:
        return getpass.getpass(prompt)
    except EOFError:
        raise UsageError("没有输入密码（输入已结束），什么都没有做\n"
                         "no password was typed (end of input); nothing was done") from None


def amount(text: str | None) -> int | None:
    """A yuan amount typed by a person as fen, or None when not given.

    A malformed amount is a usage error (``UsageError``, exit 2), in Chinese and English.
    """
    if text is None:
        return None
    try:
        return parse_yuan(text, allow_zero=False)
    except MoneyError as exc:
        raise UsageError(f"--amount（元）：{exc.zh}\n--amount (yuan): {exc.en}") from exc


#: Commands that may make a new shop (and its folder); every other command refuses a --data-dir
#: that does not exist (exit 5) rather than show a mistyped folder as an empty shop.
CREATES_SHOP = frozenset({"demo", "orders import", "restore"})
#: Commands that only read: every other command that opens the desk takes the daily automatic
#: backup first when it is due (services.maintenance.auto_backup).
READ_ONLY = frozenset({"orders list", "orders show", "orders export", "reports sales", "reports refunds",
                       "reports reasons", "requests list", "refunds list", "gateways list",
                       "check", "backup", "policy show", "holidays show", "buyers list", "products list",
                       "codes list", "orders backorders", "operators list", "audit export"})


def command_name(args: argparse.Namespace) -> str:
    """``"orders list"``, ``"sweep"``: the command as typed, for READ_ONLY and the log."""
    return " ".join(x for x in (getattr(args, "command", None), getattr(args, "sub", None)) if x)


def run_with_desk(args: argparse.Namespace, body: Callable[[Any], int]) -> int:
    """Run ``body(desk)`` on a desk opened from ``args`` and close the desk afterwards.

    A write command first takes the daily automatic backup when due. An SQLite error that
    means the store is busy or damaged is raised as StoreBusy / StoreUnusable.
    """
    desk = open_desk(args)
    try:
        if command_name(args) not in READ_ONLY:
            _auto_backup(desk)
        return body(desk)
    except Exception as exc:
        known = desk.explain(exc)
        if known is not None and known is not exc:
            raise known from exc
        raise
    finally:
        desk.close()


def _auto_backup(desk: Any) -> None:
    from ..domain.errors import StoreUnusable
    from ..services.maintenance import auto_backup

    try:
        auto_backup(desk)
    except StoreUnusable:  # the copy showed the store damaged: refused like any damaged store
        raise
    except Exception as exc:  # the command itself still runs; the owner is told
        log.warning("automatic backup failed: %s", exc, exc_info=True)
        print_error(f"自动备份失败（{exc}），命令照常执行。", f"the automatic backup failed ({exc}); the command runs anyway.")


def open_window(args: argparse.Namespace, smoke: bool = False) -> int:
    """Open the desk window (``EXIT_USAGE`` with a message when Qt cannot be loaded)."""
    url = getattr(args, "db", None)
    if url is not None:  # the window opens the shop on that server (Desk.open reads it)
        import os

        from ..store.server import URL_ENV, url_problem

        problem = url_problem(url)
        if problem is not None:
            print_error(f"--db：{problem[0]}", f"--db: {problem[1]}")
            return EXIT_USAGE
        os.environ[URL_ENV] = url
    try:
        from ..gui.app import main as gui_main
    except ImportError as exc:
        print(f"桌面窗口不可用 / the desk window is not available: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return int(gui_main([], data_dir=getattr(args, "data_dir", None), smoke=smoke, lang=getattr(args, "lang", None)))
