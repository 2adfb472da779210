"""peewee imports the PostgreSQL drivers it finds when it is first imported; the desk defers that.

Importing psycopg takes importlib.metadata and libpq with it (tens of milliseconds), which a desk
on its SQLite file never needs, and which its window should not spend before it shows. While
peewee's own module body runs (it defines ``__version__`` only after its driver imports), the
drivers' imports fail here as "not installed"; ``store.pg_driver.load_driver`` imports psycopg and
gives it to peewee when a server store is opened. Any other import of psycopg is left alone.
"""

from __future__ import annotations

import sys
from typing import Any

DRIVERS = frozenset({"psycopg", "psycopg2", "psycopg2cffi"})


class _DriversAfterPeewee:
    """A meta path finder that answers only for the drivers, and only during peewee's first import."""

    @staticmethod
    def find_spec(name: str, path: Any = None, target: Any = None) -> None:
        if name.partition(".")[0] in DRIVERS:
            peewee = sys.modules.get("peewee")
            if peewee is not None and not hasattr(peewee, "__version__"):
                raise ModuleNotFoundError(f"No module named {name!r} (deferred until a server store is opened)",
                                          name=name)
        return None


def install() -> None:
    """Defer the drivers of a peewee not imported yet (nothing to do once it is)."""
    if "peewee" not in sys.modules and not any(isinstance(f, _DriversAfterPeewee) for f in sys.meta_path):
        sys.meta_path.insert(0, _DriversAfterPeewee())
