"""Noticing writes made outside this process: the command line, a second desk, an import.

SQLite's ``PRAGMA data_version`` is per connection and changes whenever *another* connection
commits to the file; this connection's own commits leave it alone. The window asks it on its
database worker (the connection that does all the window's writes) every couple of seconds:
a different number means someone else wrote, so every screen reads again
(``Changes.outside``). Source: https://www.sqlite.org/pragma.html#pragma_data_version
"""

from __future__ import annotations

from ..store import bulkload
from .changes import Changes
from .desk import Desk


def data_version(desk: Desk) -> int:
    """``PRAGMA data_version`` of the calling thread's connection (call it on one thread only:
    numbers from two connections cannot be compared). On a server store: how many commits of
    other desks this thread was told of (LISTEN/NOTIFY, ``store.server``), which likewise moves
    only when someone else wrote."""
    if desk.db_url is not None:
        return int(desk.db.changes_seen())  # type: ignore[attr-defined]
    return int(desk.db.execute_sql("PRAGMA data_version").fetchone()[0])


def times_resumed(desk: Desk) -> int:
    """On a server store: how often the calling thread's connection to the server was lost and
    came back (its count in ``data_version`` moved then without anyone writing); 0 on the file."""
    if desk.db_url is not None:
        return int(desk.db.times_resumed())  # type: ignore[attr-defined]
    return 0


def outside_changes(desk: Desk) -> Changes:
    """What to announce after another process wrote: everything may have changed. The desk's
    cached policy and holidays are dropped, so they are read from the store again."""
    desk.forget_cached_settings()
    return Changes(counts_changed=True, outside=True)


def finish_abandoned_load(desk: Desk) -> bool:
    """On the data file: a bulk load whose process died part-way (an import killed: its upkeep
    set aside, nobody holding its lock) is put back now, as the next open would (search index,
    indexes, status counts and reports rebuilt; ``store.bulkload.finish_abandoned``), so a window
    that stays open does not show the store as the dead load left it. A load still running is
    left alone. Returns whether it put one back. Call it on the database worker (it writes)."""
    if desk.db_url is not None:
        return False
    return bulkload.finish_abandoned(desk.db, desk.db_path)
