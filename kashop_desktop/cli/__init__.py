"""The command line: every desk operation without the window.

One module per noun (``orders``, ``requests``, ``refunds``, ``gateways``, ``policy``, ``demo``,
``maintenance`` for sweep/check/backup), each registering its own subcommands; ``output`` holds
the JSON and table printing and the exit statuses (0 success, 1 a rule refused, 2 usage error,
3 partly done, 4 store busy, 5 store unusable, 70 internal error); ``main`` builds the parser.
``--json`` prints money as integer fen in ``*_fen`` fields, times in ISO 8601 with offset, states
as their codes.
"""

from __future__ import annotations

from .main import build_parser, main

__all__ = ["build_parser", "main"]
