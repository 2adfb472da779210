"""What every command module shares: the common options, registering a command, opening the desk."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from ..domain.clock import parse_time
from ..domain.errors import MoneyError
from ..domain.money import parse_yuan
from .output import EXIT_USAGE, UsageError

Command = Callable[[argparse.Namespace], int]


def common_options() -> argparse.ArgumentParser:
    """The options every command accepts: ``--data-dir``, ``--now`` (ISO 8601), ``--lang zh|en``."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", default=argparse.SUPPRESS, help="data folder (default: the platform's)")
    common.add_argument("--now", default=argparse.SUPPRESS, help="act as if it were this time (ISO 8601)")
    common.add_argument("--lang", choices=("zh", "en"), default=argparse.SUPPRESS, help="language of messages")
    return common


def add_command(parent: Any, common: argparse.ArgumentParser, name: str, func: Command,
                help: str) -> argparse.ArgumentParser:
    """Add subcommand ``name`` running ``func`` to ``parent`` (a subparsers action)."""
    p: argparse.ArgumentParser = parent.add_parser(name, parents=[common], help=help)
    p.set_defaults(func=func)
    return p


def add_noun(sub: Any, name: str, help: str) -> Any:
    """Add a noun (``orders``, ``refunds`` ...) whose verbs are required subcommands."""
    return sub.add_parser(name, help=help).add_subparsers(dest="sub", metavar="SUB", required=True)


def open_desk(args: argparse.Namespace) -> Any:
    """Open the desk on ``--data-dir``, with a fixed clock if ``--now`` was given.

    Raises ``UsageError`` for an unreadable ``--now``.
    """
    from ..services.desk import Desk

    clock = None
    if getattr(args, "now", None):
        try:
            fixed = parse_time(args.now)
        except ValueError as exc:
            raise UsageError(f"--now: invalid time {args.now!r}") from exc
        clock = lambda: fixed  # noqa: E731
    return Desk.open(getattr(args, "data_dir", None), clock=clock)


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


def run_with_desk(args: argparse.Namespace, body: Callable[[Any], int]) -> int:
    """Run ``body(desk)`` on a desk opened from ``args`` and close the desk afterwards."""
    desk = open_desk(args)
    try:
        return body(desk)
    finally:
        desk.close()


def open_window(args: argparse.Namespace, smoke: bool = False) -> int:
    """Open the desk window (``EXIT_USAGE`` with a message when Qt cannot be loaded)."""
    try:
        from ..gui.app import main as gui_main
    except ImportError as exc:
        print(f"桌面窗口不可用 / the desk window is not available: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return int(gui_main([], data_dir=getattr(args, "data_dir", None), smoke=smoke, lang=getattr(args, "lang", None)))
