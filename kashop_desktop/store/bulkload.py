"""Loading many orders at once: the orders table's upkeep set aside, then rebuilt in one pass.

Every order inserted keeps a dozen secondary indexes, the buyer search index (FTS5 trigrams),
the status counts and the reports' sums (sales per order, cancellations per timeline entry) up
to date, row by row; for a big load into an empty or nearly empty store, building them once at
the end is several times faster. ``set_aside`` drops them (the
unique indexes stay: they are rules, not speed, and the import's look-ups walk them) and
records what it dropped in the ``bulk_load`` setting, in the caller's
transaction; ``put_back`` fills the search index for the orders added since, recounts the
statuses and creates the indexes again, in the caller's transaction too, and clears the
record. Both are idempotent and any process may call ``put_back``. The indexes are built with
a small sorter memory and helper threads (``SORT_CACHE_KIB``, ``SORT_THREADS``): less CPU, and
part of it on a second core. An import into a store whose search index is empty has that index
built aside on a second core as it loads, and copied in after ``put_back``
(``store.search_aside``); the import's ``put_back`` reads the reports' sums on a thread of its
own meanwhile (``_SumsRead``).

A load may span many transactions (an import commits chunk by chunk). Meanwhile the rows are
all there and every rule holds; only the list's speed, the buyer search over the new orders and
the status counts and the reports wait for ``put_back``. The loading process holds ``BulkLoadLock`` on a file
beside the store for as long as it runs; a process that opens the store and finds the record
with the lock free knows the loader died (a crash, a power cut) and puts things back itself
(``finish_abandoned``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from . import report_tables, schema18, search_aside
from .dialect import read_only_uri
from .search_aside import SearchIndexAside

log = logging.getLogger(__name__)

SETTING = "bulk_load"
#: Non-unique indexes kept during a load (none: the load's own look-ups walk the unique ones).
KEEP: frozenset[str] = frozenset()
#: Partial indexes over columns a load leaves empty (held, backordered orders): they cost a load
#: nothing, while building each again scans the whole table (about 0.2 s per million orders).
ALWAYS_KEPT: frozenset[str] = frozenset({"orders_held", "orders_backorder"})
UNIQUE_TRADE_NO, PLAIN_TRADE_NO = "orders_gateway_trade_no_unique", "orders_gateway_trade_no"
#: Triggers that keep the buyer search index, the status counts and the reports' sums as orders
#: and their timeline entries are inserted.
TRIGGERS = ("orders_fts_ins", "orders_count_ins", *report_tables.BULK_TRIGGERS)


def _on_server(con: Any) -> bool:
    """Whether ``con`` is a server store's connection (store.server): a load there keeps the
    indexes and triggers in place (the set-aside is SQLite's speed-up)."""
    return getattr(con, "dialect", "sqlite") == "postgresql"


def pending(con: Any) -> dict[str, Any] | None:
    """The record of a load whose upkeep is set aside, or None."""
    row = con.execute("SELECT value FROM setting WHERE key = ?", (SETTING,)).fetchone()
    return json.loads(row[0]) if row else None


def set_aside(con: Any, keep: frozenset[str] = KEEP) -> None:
    """Drop the orders table's secondary indexes (but those named in ``keep``) and insert
    triggers (caller's transaction); orders inserted from now on get their search entries and
    counts at ``put_back``."""
    if pending(con) is not None or _on_server(con):  # a server keeps its indexes and triggers through a load
        return
    marks = ", ".join("?" * len(TRIGGERS))
    dropped = con.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND ("
        "(type = 'index' AND tbl_name = 'orders' AND sql NOT LIKE 'CREATE UNIQUE%') OR "
        f"(type = 'trigger' AND tbl_name IN ('orders', 'order_event') AND name IN ({marks}))) "
        "ORDER BY type, name", TRIGGERS).fetchall()
    names = {name for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    if UNIQUE_TRADE_NO not in names:  # duplicates kept it out (schema 3): look trade nos up the plain way
        keep = keep | {PLAIN_TRADE_NO}
    dropped = [(kind, name, sql) for kind, name, sql in dropped if name not in keep and name not in ALWAYS_KEPT]
    first_id = con.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM orders").fetchone()[0]
    record = {"first_id": first_id, "dropped": [[kind, name, sql] for kind, name, sql in dropped]}
    con.execute("INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", (SETTING, json.dumps(record)))
    for kind, name, _ in dropped:
        con.execute(f'DROP {kind.upper()} IF EXISTS "{name}"')


def put_back(con: Any, aside: SearchIndexAside | None = None, committed_in: Path | None = None) -> bool:
    """Rebuild what ``set_aside`` dropped (caller's transaction); False when nothing was set aside.

    With ``aside`` (the load's search index being built aside, ``store.search_aside``) and the
    store's search index still empty, the search index and its insert trigger are left out: the
    record then names only that trigger, for ``aside.finish`` (or, should that fail, this
    function called again) to fill the index after the commit. ``committed_in``: the store's
    file, when every row of the load is committed (not inside the load's own transaction): the
    reports' sums are then read on a connection of its own, on a helper thread, while this one
    builds the indexes (``_SumsRead``)."""
    record = pending(con)
    if record is None or _on_server(con):
        return False
    with_reports = con.execute("SELECT 1 FROM sqlite_master WHERE name = 'report_sales'").fetchone() is not None
    sums = _SumsRead(committed_in) if with_reports and committed_in is not None else None
    later = aside is not None and aside.error is None and search_aside.search_index_empty(con)
    cache = con.execute("PRAGMA cache_size").fetchone()[0]
    threads = con.execute("PRAGMA threads").fetchone()[0]
    temp_store = con.execute("PRAGMA temp_store").fetchone()[0]
    try:
        if later:
            assert aside is not None
            aside.last_pass()  # this transaction holds the write lock: no order comes in before finish
        else:
            with _fts_fill_settings(con):
                con.execute(search_aside.fill_sql("orders WHERE id >= ?"), (record["first_id"],))
        _sort_in_runs(con)
        existing = {name for (name,) in con.execute("SELECT name FROM sqlite_master")}
        for _, name, sql in record["dropped"]:
            # A load set aside before schema 18 recorded indexes that schema retired: not again.
            if name not in existing and name not in schema18.RETIRED and not (later and name == search_aside.FTS_INSERT_TRIGGER):
                con.execute(sql)
        # After the indexes: the status index answers each count (without it, one scan of the
        # whole table per status: about 1 s for a million orders).
        con.execute("UPDATE status_count SET n = (SELECT COUNT(*) FROM orders "
                    "WHERE orders.status = status_count.status)")
        if with_reports:  # the reports' sums, once for the whole load
            found = sums.result() if sums is not None else None
            if found is None:
                report_tables.rebuild(con)
            else:
                report_tables.write_rows(con, found)
        if later:  # the search index alone is left, for the aside's copy (or this again)
            left = [entry for entry in record["dropped"] if entry[1] == search_aside.FTS_INSERT_TRIGGER]
            con.execute("UPDATE setting SET value = ? WHERE key = ?",
                        (json.dumps({"first_id": record["first_id"], "dropped": left}), SETTING))
        else:
            con.execute("DELETE FROM setting WHERE key = ?", (SETTING,))
    finally:
        con.execute(f"PRAGMA cache_size = {int(cache)}")
        con.execute(f"PRAGMA threads = {int(threads)}")
        _set_temp_store(con, int(temp_store))
    return True


class _SumsRead:
    """The reports' sums (``report_tables.expected_rows``) read from the store's file on a
    connection and a thread of their own, started at once. ``put_back`` holds the write lock
    and changes no orders, timeline entries or requests meanwhile, so the read sees exactly what
    the rebuild would (measured on a million orders: 1.2 s off the rebuild, which builds the
    indexes meanwhile). ``result`` is None when the read failed: the rebuild reads them itself."""

    def __init__(self, db_path: Path) -> None:
        self._uri = read_only_uri(db_path)
        self._rows: dict[str, list[tuple[Any, ...]]] | None = None
        self._thread = threading.Thread(target=self._run, name="kashop-sums-read", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            con = sqlite3.connect(self._uri, uri=True)
            try:
                self._rows = report_tables.expected_rows(con)
            finally:
                con.close()
        except sqlite3.Error:
            log.warning("reading the reports' sums aside failed; the rebuild reads them", exc_info=True)

    def result(self) -> dict[str, list[tuple[Any, ...]]] | None:
        self._thread.join()
        return self._rows


#: FTS5 settings of the buyer search index while ``put_back`` fills it, and FTS5's defaults, put
#: back after the fill (settings are stored with the index):
#: - ``hashsize``, the in-memory term table (bytes): fewer, larger segments written and merged;
#:   measured on a million orders: 4.7 s with FTS5's 1 MB, 3.3 s with 16 MB;
#: - ``automerge``, how many segments of one size wait before they are merged: 16 instead of 4
#:   merges less during the fill (measured on a million orders: 4.4 s of CPU with 4, 3.3 s with
#:   16) while a search is no slower after it (200 searches of 7 characters: median 2.7 ms,
#:   p95 7.7 ms against 3.3-3.7 ms and 13 ms); with no merging at all (0) the fill takes 3.2 s
#:   but searches are 1.6 times slower.
FTS_FILL_SETTINGS = {"hashsize": 16 << 20, "automerge": 16}
FTS_DEFAULT_SETTINGS = {"hashsize": 1 << 20, "automerge": 4}


@contextmanager
def _fts_fill_settings(con: Any) -> Iterator[None]:
    """``FTS_FILL_SETTINGS`` on ``orders_fts`` for the block, FTS5's defaults after it."""
    for name, value in FTS_FILL_SETTINGS.items():
        con.execute("INSERT INTO orders_fts(orders_fts, rank) VALUES (?, ?)", (name, value))
    yield
    for name, value in FTS_DEFAULT_SETTINGS.items():
        con.execute("INSERT INTO orders_fts(orders_fts, rank) VALUES (?, ?)", (name, value))


#: The page cache while the indexes are built, KiB. SQLite's sorter holds this much in memory
#: before it writes a sorted run out; with helper threads (``SORT_THREADS``) the runs are sorted
#: and merged on them while the main thread reads on. Measured on a million orders (the twelve
#: indexes a load sets aside): 64 MB, everything sorted in memory on the main thread, 12.0 s of
#: CPU; 2 MB, 8.8 s of CPU, of which 4.6 s on the main thread and the rest on a helper thread
#: (a second core's). Small runs sort inside the CPU's caches, so the total falls too.
SORT_CACHE_KIB = 2000
#: Helper threads the sorter may use (SQLite's ``PRAGMA threads``). SQLite gives the sorter no
#: helper thread while temporary storage is in memory (the store's ``temp_store`` setting, for
#: the list's queries), so the runs go to temporary files for the rebuild: measured on a million
#: orders, the twelve indexes took 10.8 s on one thread with ``temp_store = MEMORY`` and 5.7 s
#: (8.9 s of CPU over two threads) with ``FILE``.
SORT_THREADS = 2
_TEMP_STORE_FILE = 1


def _sort_in_runs(con: Any) -> None:
    con.execute(f"PRAGMA cache_size = -{SORT_CACHE_KIB}")
    con.execute(f"PRAGMA threads = {SORT_THREADS}")
    _set_temp_store(con, _TEMP_STORE_FILE)


@contextmanager
def temp_files(con: Any) -> Iterator[None]:
    """Around a load's transaction (outside it, where SQLite always takes the change): temporary
    storage in files for the block, so that ``put_back``'s sorts get their helper threads even
    when the load stages rows in temporary tables; the setting is put back after."""
    if _on_server(con):
        yield
        return
    before = int(con.execute("PRAGMA temp_store").fetchone()[0])
    _set_temp_store(con, _TEMP_STORE_FILE)
    try:
        yield
    finally:
        _set_temp_store(con, before)


def _set_temp_store(con: Any, value: int) -> None:
    """``PRAGMA temp_store``; SQLite refuses the change inside a transaction on a connection that
    has a temporary table (the demo's history staging): the setting is left as it is then (the
    rebuild is slower, not different)."""
    if con.execute("PRAGMA temp_store").fetchone()[0] == value:
        return
    try:
        con.execute(f"PRAGMA temp_store = {int(value)}")
    except sqlite3.OperationalError:
        return


@contextmanager
def indexes_rebuilt(con: Any, table: str) -> Iterator[None]:
    """Inside one transaction: ``table``'s non-unique indexes dropped for the block and built
    again after it (a rollback brings them back as they were)."""
    with dropped_for_block(con, "index", "tbl_name = ? AND sql NOT LIKE 'CREATE UNIQUE%'", (table,)):
        yield


@contextmanager
def dropped_for_block(con: Any, kind: str, where: str, params: tuple[Any, ...]) -> Iterator[None]:
    """Inside one transaction: the schema objects of ``kind`` ('index', 'trigger') that
    ``where`` picks from ``sqlite_master`` dropped for the block and created again after it (a
    rollback brings them back as they were). Nothing is dropped on a server store."""
    if _on_server(con):
        yield
        return
    dropped = con.execute(f"SELECT name, sql FROM sqlite_master WHERE type = ? AND sql IS NOT NULL AND {where}",
                          (kind, *params)).fetchall()
    for name, _ in dropped:
        con.execute(f'DROP {kind.upper()} "{name}"')
    yield
    for _, sql in dropped:
        con.execute(sql)


def lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".bulk-load")


class BulkLoadLock:
    """An exclusive OS lock on a file beside the store, held while a load runs; the OS lets go
    of it when the process ends, however it ends. ``acquire(wait=False)`` says whether it got it."""

    def __init__(self, db_path: Path) -> None:
        self.path = lock_path(db_path)
        self._file: IO[bytes] | None = None

    def acquire(self, *, wait: bool = True) -> bool:
        while True:
            handle = self.path.open("a+b")
            try:
                _lock(handle, wait)
            except OSError:
                handle.close()
                return False
            if _same_file(handle, self.path):
                self._file = handle
                return True
            handle.close()  # the holder removed the file as it let go: lock the one there now

    def release(self) -> None:
        """Let go of the lock and remove the file (on POSIX: a process waiting on the removed
        file sees that it is gone and locks a new one, so no two hold the lock at once)."""
        if self._file is not None:
            if sys.platform != "win32":
                with contextlib.suppress(OSError):
                    self.path.unlink()
            _unlock(self._file)
            self._file.close()
            self._file = None

    def held_elsewhere(self) -> bool:
        """Whether another process holds the lock now (a load is running)."""
        if self._file is not None or not self.path.exists():
            return False
        if self.acquire(wait=False):
            self.release()
            return False
        return True

    def __enter__(self) -> BulkLoadLock:
        self.acquire()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.release()


if sys.platform == "win32":
    import msvcrt

    def _lock(handle: IO[bytes], wait: bool) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK if wait else msvcrt.LK_NBLCK, 1)

    def _unlock(handle: IO[bytes]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _lock(handle: IO[bytes], wait: bool) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))

    def _unlock(handle: IO[bytes]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _same_file(handle: IO[bytes], path: Path) -> bool:
    if sys.platform == "win32":
        return True
    try:
        return os.fstat(handle.fileno()).st_ino == os.stat(path).st_ino
    except OSError:
        return False


def finish_abandoned(db: Any, db_path: Path) -> bool:
    """At open: put back the upkeep of a load whose process died part-way (the record is there
    and nobody holds the lock). Returns whether it did; a load still running is left alone."""
    if pending(db.connection()) is None:
        _leftovers_removed(db_path)
        return False
    lock = BulkLoadLock(db_path)
    if not lock.acquire(wait=False):
        return False  # the loader is alive and will put things back itself
    try:
        search_aside.discard(db_path)  # the dead loader's scratch search index, if any
        with db.atomic():
            return put_back(db.connection())
    finally:
        lock.release()


def _leftovers_removed(db_path: Path) -> None:
    """The lock file and scratch search index a loader killed after its last commit left (a
    0-byte file and the one beside it): removed when no load runs, so the folder holds only the
    shop. Where the OS keeps the lock file (Windows), it stays: it holds no lock once its owner
    is gone."""
    if not lock_path(db_path).exists() and not search_aside.aside_path(db_path).exists():
        return
    lock = BulkLoadLock(db_path)
    if lock.acquire(wait=False):
        try:
            search_aside.discard(db_path)
        finally:
            lock.release()
