"""The window holds each of its store connections' page cache to what it asks for: the
connection of the thread that asked and every one opened after it (the database worker's)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from kashop_desktop.services.desk import Desk


def _cache_size(desk: Desk) -> int:
    return int(desk.db.execute_sql("PRAGMA cache_size").fetchone()[0])


@pytest.mark.sqlite_only(reason="SQLite by nature: the page cache of the desk's own connections")
def test_every_connection_of_the_desk_keeps_the_cache_it_was_given(tmp_path: Path, clock: Any) -> None:
    desk = Desk.open(tmp_path / "window", clock=clock)
    other = Desk.open(tmp_path / "command", clock=clock)
    try:
        default = _cache_size(other)
        desk.hold_page_cache(4_000)
        assert _cache_size(desk) == -4_000
        seen: list[int] = []

        def worker() -> None:  # a thread's first read opens its own connection
            seen.append(_cache_size(desk))
            desk.close()

        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        assert seen == [-4_000]
        assert _cache_size(other) == default != -4_000  # another desk keeps the store's default
    finally:
        desk.close()
        other.close()


def test_holding_the_page_cache_leaves_the_desk_working_on_either_store(desk: Desk) -> None:
    """The window holds the cache at start (gui.app): a server store has none in the desk's
    process, so it is a no-op there, and the desk reads and writes as before."""
    desk.hold_page_cache(4_000)
    desk.set_policy(desk.policy().with_overrides({"cooling_off_minutes": 12}))
    assert desk.policy().cooling_off_minutes == 12
    if desk.db_url is None:
        assert _cache_size(desk) == -4_000
