"""The parser and the entry point: each noun module registers its own commands."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..applog import log_file, setup_logging
from ..domain.errors import DomainError, StoreBusy, StoreUnusable
from ..services.outfiles import OutputRefused
from . import (
    audit,
    buyers,
    codes,
    demo,
    gateways,
    holidays,
    maintenance,
    operators,
    orders,
    payments,
    policy,
    products,
    reconcile,
    refunds,
    reports,
    requests,
    store,
)
from .common import CREATES_SHOP, READ_ONLY, command_name, common_options, open_window
from .helptext import Parser, T, language
from .output import (
    BAD_VALUE_CODES,
    EXIT_BUSY,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_STORE,
    EXIT_USAGE,
    PrintableOut,
    UsageError,
    print_error,
    print_json,
    printable,
)

# In the order ``--help`` lists them.
NOUNS = (demo, orders, products, codes, buyers, payments, reconcile, requests, refunds, reports, gateways, maintenance,
         policy, holidays, operators, audit, store)


def build_parser(lang: str = "zh") -> argparse.ArgumentParser:
    """The whole command line: global options, then every noun's commands; ``--help`` in ``lang``."""
    common = common_options()
    parser = Parser(prog="kashop-desktop", parents=[common], lang=lang, description=T(
        "kashop-desktop 卡店订单台：不带命令时打开桌面窗口。每个命令的用法：kashop-desktop 命令 --help；"
        "英文帮助：--lang en --help。",
        "kashop-desktop, the order desk for card shops: without a command it opens the desk window. "
        "Each command's usage: kashop-desktop COMMAND --help; Chinese help: leave out --lang en."))
    parser.add_argument("--version", action=_Version, nargs=0, help=T("显示版本号并退出", "show the version and exit"))
    parser.add_argument("--smoke", action="store_true", help=T(
        "在临时演示店铺上打开窗口，画出订单列表后退出（检查安装是否可用）",
        "open the window on a throwaway demo shop, paint the order list, exit (checks an installation)"))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title=T("命令", "commands"))
    for noun in NOUNS:
        noun.register(sub, common)
    return parser


class _Version(argparse.Action):
    """``--version``: the version is looked up only when asked for (it costs a start-up ~0.1 s)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        from .. import version

        print(f"kashop-desktop {version()}")
        parser.exit()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line on ``argv`` (default: ``sys.argv``) and return the exit status.

    No command opens the desk window. Statuses: see ``output.EXIT_*``. This is the one
    top-level handler: an unexpected error is logged with its traceback (applog) and reported
    as a short message in Chinese and English (EXIT_INTERNAL), never as a traceback; a closed
    pipe (``orders list | head``) ends the command quietly.
    """
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(language(words))
    Parser.json_errors = "--json" in words
    args = parser.parse_args(argv)
    _log_to_file(args)
    name = command_name(args)
    writes = bool(name) and name not in READ_ONLY
    real_stdout = sys.stdout
    if writes:  # a write command keeps its real status when its reader goes away (| head)
        sys.stdout = _PipeSafe(real_stdout)
    sys.stdout = PrintableOut(sys.stdout)  # a note or a name printed cannot drive the terminal
    try:
        if name:
            _check_environment()
        code = _run(parser, args)
        sys.stdout.flush()  # a closed pipe shows here, inside the handler
        return code
    except _BadEnvironment as exc:
        print_error(*exc.args)
        return EXIT_USAGE
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_OK
    except KeyboardInterrupt:
        print_error("已中断", "interrupted")
        return EXIT_INTERRUPTED
    except Exception as exc:
        return _internal_error(args, exc)
    finally:
        sys.stdout = real_stdout


class _BadEnvironment(Exception):
    """An environment setting the store reads is invalid: args are (zh, en)."""


def _check_environment() -> None:
    from ..services.desk import environment_problem

    problem = environment_problem()
    if problem is not None:
        raise _BadEnvironment(*problem)


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    try:
        if getattr(args, "command", None) is None:
            return open_window(args, smoke=args.smoke)
        code: int = args.func(args)
        return code
    except UsageError as exc:
        getattr(args, "command_parser", parser).print_usage(sys.stderr)
        print(printable(f"kashop-desktop: 错误 / error: {exc}"), file=sys.stderr)
        zh_text, _, en_text = str(exc).partition("\n")  # a usage error's message: Chinese, then English
        _json_refusal(args, EXIT_USAGE, "usage", zh_text, en_text or zh_text)
        return EXIT_USAGE
    except DomainError as exc:
        if isinstance(exc, OutputRefused):  # a file name the desk will not write is a bad value
            status = EXIT_USAGE
        elif isinstance(exc, StoreBusy):
            status = EXIT_BUSY
        elif isinstance(exc, StoreUnusable):
            status = EXIT_STORE
        else:
            status = EXIT_USAGE if exc.code in BAD_VALUE_CODES else EXIT_REFUSED
        zh_text, en_text = exc.zh, exc.en
        flag = _confirming_flag(args) if exc.code == "confirm_non_idempotent" else None
        if flag is not None:  # the service asks for a confirmation: name this command's way to give it
            zh_text, en_text = f"{zh_text}（加 {flag} 确认）", f"{en_text} (add {flag} to confirm)"
        print_error(zh_text, en_text)
        _json_refusal(args, status, exc.code, zh_text, en_text, row=getattr(exc, "row", None))
        return status


def _confirming_flag(args: argparse.Namespace) -> str | None:
    """The option of this command that gives the confirmation a gateway without refund
    idempotency asks for, or None."""
    if hasattr(args, "confirm_no_idempotency"):
        return "--confirm-no-idempotency"
    if command_name(args) == "refunds retry" and hasattr(args, "yes"):
        return "--yes"
    return None


def _json_refusal(args: argparse.Namespace, status: int, code: str, zh: str, en: str, row: int | None = None) -> None:
    """With ``--json``, a refusal is also one JSON object on stdout, so a script reading it gets
    JSON either way: ``{"error": {"code", "exit", "zh", "en"[, "row"]}}`` (the message on stderr
    as always)."""
    if not getattr(args, "json", False):
        return
    error: dict[str, object] = {"code": code, "exit": status, "zh": zh, "en": en}
    if row is not None:
        error["row"] = row
    print_json({"error": error})


def _log_to_file(args: argparse.Namespace) -> None:
    """Warnings and errors of a command go to the desk's log file (a scheduled job leaves a trace)."""
    if getattr(args, "command", None) is None:
        return  # the window sets up its own log
    folder = getattr(args, "data_dir", None)
    if folder and (command_name(args) not in CREATES_SHOP or Path(folder).expanduser().exists()) \
            and not Path(folder).expanduser().is_dir():
        return  # a mistyped folder (or a file named as one) is refused, not made (to hold a log)
    # An unwritable log folder must not stop the command; a data folder that is a file is refused
    # by the command itself (StoreUnusable), with its message.
    with contextlib.suppress(OSError, StoreUnusable):
        setup_logging(getattr(args, "data_dir", None), level=logging.WARNING)


def _internal_error(args: argparse.Namespace, exc: BaseException) -> int:
    logging.getLogger("kashop_desktop.cli").error("unexpected error in %r", command_name(args),
                                                  exc_info=(type(exc), exc, exc.__traceback__))
    try:
        where = str(log_file(getattr(args, "data_dir", None)))
    except OSError:
        where = "-"
    print_error(f"内部错误（{type(exc).__name__}），命令没有完成；已保存的数据不受影响。详情见日志：{where}",
                f"internal error ({type(exc).__name__}): the command did not finish; saved data is unaffected. "
                f"Details are in the log: {where}")
    return EXIT_INTERNAL


class _PipeSafe:
    """stdout for a write command: once the reader has gone (``orders import x.csv | head``),
    the rest of the output is dropped and the command runs to its end and real exit status."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def write(self, text: str) -> int:
        try:
            return int(self._inner.write(text))
        except BrokenPipeError:
            _silence_stdout()
            return len(text)

    def flush(self) -> None:
        try:
            self._inner.flush()
        except BrokenPipeError:
            _silence_stdout()
            with contextlib.suppress(OSError, ValueError):
                self._inner.flush()  # what was buffered goes to the null device

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _silence_stdout() -> None:
    # The reader went away: point stdout at /dev/null so the interpreter's own final flush
    # does not print a second BrokenPipeError.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
