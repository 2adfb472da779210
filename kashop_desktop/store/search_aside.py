"""A bulk load's buyer search index built aside, on a second core, and copied in at the end.

``bulkload.put_back`` fills the buyer search index (``orders_fts``, FTS5 trigrams) for the
orders a load added: on a million orders about 3.7 s on one core, after the load and before the
dozen indexes, while the second core has little to do. When the store's search index is empty
as a load begins (a new shop's first big import), ``SearchIndexAside`` builds the index of the
new orders instead in a scratch file beside the store (``aside_path``), with a connection of its
own on a helper thread (SQLite works without Python's lock): after each committed transaction of
the load (``advance``) it copies the orders committed since in a short read of the store (a reader
holding its snapshot longer would keep the store's log from starting again: measured on a million
rows, a log of about 1 GB instead of 310-380 MB) and indexes them from that copy. ``put_back`` then builds the other
indexes and leaves the search index to ``finish``, which copies the scratch index's tables
(FTS5's ``_data``, ``_idx`` and ``_docsize``) into the store's empty ones in one transaction of
a connection of its own, indexes any order added after the last pass the usual way, creates the
search index's insert trigger again and clears the load's record.

An FTS5 index is wholly held by those tables, and both were made by the same definition (read
from the store) with the same SQLite: the copy is the index an in-place fill makes (tests
compare the two, run FTS5's ``integrity-check`` against the orders and search both). The copy
is made through another connection than the importing one, so any FTS5 state that connection
holds in memory is dropped at its next transaction (the store's data version changed).

Whatever goes wrong (the scratch file cannot be written, a busy store, a thread that failed)
leaves the load's record naming the search index as still to fill, and ``put_back`` run again
(the importer does it at once; any process at the next open otherwise) fills it the usual way.
A leftover scratch file is removed by the next load or ``discard``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .dialect import read_only_uri

log = logging.getLogger(__name__)

#: The search index's table and the trigger that keeps it as orders are inserted.
FTS_TABLE, FTS_INSERT_TRIGGER = "orders_fts", "orders_fts_ins"
#: The FTS5 tables that hold the index (the ``_config`` table keeps the store's own settings).
_COPIED = ("orders_fts_data", "orders_fts_idx", "orders_fts_docsize")
#: How long ``finish`` waits for the store's write lock (ms) before leaving the fill to ``put_back``.
_BUSY_MS = 5000


def fill_sql(source: str) -> str:
    """The statement that indexes the orders of ``source`` (a table with ``id``, ``buyer`` and
    ``buyer_key``, and any ``WHERE``) in the search index."""
    return f"INSERT INTO {FTS_TABLE}(rowid, buyer, buyer_key) SELECT id, buyer, buyer_key FROM {source}"


def aside_path(db_path: Path) -> Path:
    """The scratch file of ``db_path``'s search index built aside."""
    return db_path.with_name(db_path.name + ".search-aside")


def discard(db_path: Path) -> None:
    """Remove a scratch file a load left (a crash, a kill): nothing reads it once its load ended."""
    with contextlib.suppress(OSError):
        aside_path(db_path).unlink()


def search_index_empty(con: Any) -> bool:
    """Whether the store's search index holds no order (each indexed order has a ``_docsize`` row)."""
    return con.execute("SELECT NOT EXISTS (SELECT 1 FROM orders_fts_docsize)").fetchone()[0] == 1


class SearchIndexAside:
    """The search index of the orders with an id from ``first_id`` up, built in ``aside_path``
    by a helper thread started at once (``definition``: the store's ``CREATE VIRTUAL TABLE`` of
    ``orders_fts``; ``settings``: the FTS5 settings it is filled with, ``bulkload.FTS_FILL_SETTINGS``). ``advance`` after each committed transaction of the load, ``last_pass``
    inside ``put_back``'s transaction, ``finish`` after it; ``close`` in every case."""

    def __init__(self, db_path: Path, first_id: int, definition: str, settings: Mapping[str, int]) -> None:
        self.db_path, self.path = db_path, aside_path(db_path)
        self._settings = dict(settings)
        self.covered = first_id - 1  # the orders up to this id are in the scratch index
        self.error: BaseException | None = None
        self._definition = definition
        self._wake = threading.Condition()
        self._asked = 0  # passes asked for
        self._last = self._stop = False
        discard(db_path)
        self._thread = threading.Thread(target=self._run, name="kashop-search-aside", daemon=True)
        self._thread.start()

    def advance(self) -> None:
        """Index the orders committed since the last pass (the thread does it; this returns at once)."""
        with self._wake:
            self._asked += 1
            self._wake.notify()

    def last_pass(self) -> None:
        """Called holding the store's write lock: a last pass sees every order there will be
        until ``finish``; the thread then ends."""
        with self._wake:
            self._last = True
            self._wake.notify()

    def _run(self) -> None:
        _lowest_priority()
        try:
            con = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False, uri=True)
        except sqlite3.Error as exc:
            self.error = exc
            return
        try:
            con.execute("PRAGMA journal_mode = OFF")  # a scratch file: a crash discards it whole
            con.execute("PRAGMA synchronous = OFF")
            con.execute(self._definition)
            for name, value in self._settings.items():
                con.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES (?, ?)", (name, value))
            con.execute("ATTACH DATABASE ? AS store", (read_only_uri(self.db_path),))
            con.execute("CREATE TEMP TABLE batch (id INTEGER PRIMARY KEY, buyer TEXT, buyer_key TEXT)")
            done = 0
            while True:
                with self._wake:
                    while self._asked == done and not self._last and not self._stop:
                        self._wake.wait()
                    if self._stop:
                        return
                    done, last = self._asked, self._last
                self._pass(con)
                if last:
                    return
        except BaseException as exc:  # the fill is left to put_back: say why in the log
            self.error = exc
            log.warning("building the search index aside failed; it is filled in place", exc_info=True)
        finally:
            con.close()

    def _pass(self, con: sqlite3.Connection) -> None:
        # The new orders are read first, in a short read of the store (its log can be copied
        # into the file and started again only while no reader holds an older snapshot), then
        # indexed from the copy with the store left alone.
        con.execute("BEGIN")
        top = con.execute("SELECT COALESCE(MAX(id), 0) FROM store.orders").fetchone()[0]
        if top > self.covered:
            con.execute("INSERT INTO temp.batch SELECT id, buyer, buyer_key FROM store.orders "
                        "WHERE id > ? AND id <= ?", (self.covered, top))
        con.execute("COMMIT")
        if top > self.covered:
            con.execute("BEGIN")
            con.execute(fill_sql("temp.batch"))
            con.execute("DELETE FROM temp.batch")
            con.execute("COMMIT")
        self.covered = max(self.covered, top)

    def finish(self, dropped: list[list[str]], record_key: str) -> bool:
        """After ``put_back`` committed: wait for the last pass, then, in one transaction of a
        connection of its own, copy the index into the store's empty search index, index the
        orders added after the last pass, create the insert trigger again (its SQL from
        ``dropped``, the load's record of what it set aside) and delete the record (setting
        ``record_key``). Returns whether it did; False leaves everything to ``put_back``."""
        self._thread.join()
        if self.error is not None:
            return False
        trigger = next((sql for kind, name, sql in dropped if kind == "trigger" and name == FTS_INSERT_TRIGGER), None)
        try:
            con = sqlite3.connect(self.db_path, isolation_level=None, timeout=_BUSY_MS / 1000)
        except sqlite3.Error:
            log.warning("could not open the store to copy the search index in", exc_info=True)
            return False
        try:
            con.execute("ATTACH DATABASE ? AS aside", (str(self.path),))
            con.execute("BEGIN IMMEDIATE")
            try:
                if not search_index_empty(con) or con.execute(
                        "SELECT 1 FROM setting WHERE key = ?", (record_key,)).fetchone() is None:
                    con.execute("ROLLBACK")
                    return False  # indexed meanwhile, or the record was handled elsewhere: the usual way
                con.execute("DELETE FROM orders_fts_data")
                for table in _COPIED:
                    con.execute(f"INSERT INTO main.{table} SELECT * FROM aside.{table}")
                con.execute(fill_sql("orders WHERE id > ?"), (self.covered,))
                if trigger is not None and con.execute("SELECT 1 FROM sqlite_master WHERE name = ?",
                                                       (FTS_INSERT_TRIGGER,)).fetchone() is None:
                    con.execute(trigger)
                con.execute("DELETE FROM setting WHERE key = ?", (record_key,))
                con.execute("COMMIT")
                return True
            except BaseException:
                con.execute("ROLLBACK")
                raise
        except sqlite3.Error:
            log.warning("copying the search index in failed; it is filled in place", exc_info=True)
            return False
        finally:
            con.close()

    def close(self) -> None:
        """Stop the thread (if it still runs) and remove the scratch file."""
        with self._wake:
            self._stop = True
            self._wake.notify()
        self._thread.join()
        discard(self.db_path)


def _lowest_priority() -> None:
    """The calling thread at the lowest scheduling priority, where the OS allows it per thread
    (Linux): it takes what the importing thread and the checking worker leave of the cores."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
