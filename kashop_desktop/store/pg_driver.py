"""psycopg 3 for a server store, loaded only when one is opened (``store.server``).

peewee binds the drivers it finds when it is first imported; the desk defers that import
(``kashop_desktop._driver_import``) so a desk on its SQLite file never loads psycopg (nor
importlib.metadata and libpq with it) before its window shows. ``load_driver`` then gives psycopg
to peewee, and ``driver_types`` builds the connection class and the adapters a server store's
connections use (psycopg 3 "Adapting basic Python types").
"""

from __future__ import annotations

import functools
from typing import Any

import peewee

__all__ = ["driver_types", "load_driver"]


def load_driver() -> None:
    """Import psycopg 3 and give it to peewee, once. peewee binds the drivers it finds when it is
    first imported; the desk defers that import (``kashop_desktop._driver_import``) so a desk on
    its SQLite file never loads psycopg (and importlib.metadata, libpq with it). The names set
    are those peewee 4.5.3's module body would have set (``peewee.py``: its psycopg try-import
    and ``Psycopg3Adapter``'s transaction-status constants)."""
    module: Any = peewee  # the names below are set by peewee's module body, untyped in its stubs
    if module.psycopg is not None:
        return
    import psycopg
    from psycopg.pq import TransactionStatus
    from psycopg.types.json import Json, Jsonb

    adapter = module.Psycopg3Adapter
    adapter.txn_idle = TransactionStatus.IDLE
    adapter.txn_inerror = TransactionStatus.INERROR
    adapter.txn_unknown = TransactionStatus.UNKNOWN
    module.TransactionStatus = TransactionStatus
    module.Json_pg3, module.Jsonb_pg3 = Json, Jsonb
    module.psycopg = psycopg


@functools.cache
def driver_types() -> tuple[Any, Any, Any, Any]:
    """(the connection class, the bool dumper, the str dumper, the numeric loader), built once
    the driver is loaded."""
    load_driver()
    return _thread_connection(), _bool_dumper(), _str_dumper(), _numeric_loader()


def _bool_dumper() -> type:
    from psycopg.adapt import Dumper
    from psycopg.postgres import types

    class BoolAsNumber(Dumper):
        """True / False as the smallint 1 / 0 (booleans are numbers in the store, as on SQLite)."""

        oid = types["int2"].oid

        def dump(self, obj: Any) -> bytes:
            return b"1" if obj else b"0"

    return BoolAsNumber


def _numeric_loader() -> type:
    from decimal import Decimal

    from psycopg.adapt import Loader

    class WholeNumeric(Loader):
        """A numeric without a fraction as int: PostgreSQL's SUM over BIGINT is numeric, and
        money in fen is whole numbers everywhere inside (SQLite's SUM gives an int)."""

        def load(self, data: Any) -> Any:
            text = bytes(data).decode("ascii")
            return Decimal(text) if "." in text or "N" in text else int(text)

    return WholeNumeric


def _str_dumper() -> Any:
    from psycopg.types.string import StrDumper

    return StrDumper


def _thread_connection() -> Any:
    import psycopg

    class ThreadConnection(psycopg.Connection):
        """A store connection, one per thread (peewee keeps them thread-local). A thread that
        ends without closing its own (a worker the services started) lets it go here, as an
        SQLite connection goes with its thread, instead of psycopg's ResourceWarning."""

        def __del__(self, *args: Any) -> None:
            if getattr(self, "pgconn", None) is not None and not self.closed:
                self.close()

    return ThreadConnection
