"""The parser and the entry point: each noun module registers its own commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .. import __version__
from ..domain.errors import DomainError
from . import demo, gateways, maintenance, orders, policy, refunds, requests
from .common import common_options, open_window
from .output import EXIT_REFUSED, EXIT_USAGE, UsageError, print_error

# In the order ``--help`` lists them.
NOUNS = (demo, orders, requests, refunds, gateways, maintenance, policy)


def build_parser() -> argparse.ArgumentParser:
    """The whole command line: global options, then every noun's commands."""
    common = common_options()
    parser = argparse.ArgumentParser(prog="kashop-desktop", parents=[common],
                                     description="kashop-desktop: the order desk for card shops")
    parser.add_argument("--version", action="version", version=f"kashop-desktop {__version__}")
    parser.add_argument("--smoke", action="store_true", help="open the window on a throwaway demo shop, paint, exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for noun in NOUNS:
        noun.register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line on ``argv`` (default: ``sys.argv``) and return the exit status.

    No command opens the desk window. Statuses: see ``output.EXIT_*``.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if getattr(args, "command", None) is None:
            return open_window(args, smoke=args.smoke)
        code: int = args.func(args)
        return code
    except UsageError as exc:
        parser.print_usage(sys.stderr)
        print(f"kashop-desktop: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except DomainError as exc:
        print_error(exc.zh, exc.en)
        return EXIT_REFUSED
