"""A big load's last checkpoints made on a helper thread while the load finishes.

In WAL mode every committed page is first appended to the log (``kashop.sqlite3-wal``) and
later copied into the store's file by a checkpoint, which SQLite runs itself in the commit that
leaves the log longer than ``wal_autocheckpoint`` pages, on the committing thread. The commit
that puts a million orders' indexes back (``bulkload.put_back``) leaves some 300 MB in the log:
its checkpoint held the importing thread 1.4-2.6 s (measured), before the buyer search index
could be copied in (``search_aside``).

``CopiedBehind`` turns the connection's automatic checkpoints off for a block; ``copy`` then
starts a checkpoint on a helper thread with a connection of its own (SQLite's PASSIVE one,
which never blocks a writer or a reader, nor waits for one), so the importing thread goes on
meanwhile. At the end of the block a last checkpoint copies whatever was committed since, as
the automatic one would have, and the setting is put back.

Nothing here is needed for correctness: a checkpoint that is not made (a failed thread, a
reader holding an older snapshot) leaves a longer log, which any later commit or the last
connection's close copies in as usual.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_CHECKPOINT_SQL = "PRAGMA wal_checkpoint(PASSIVE)"


class CopiedBehind:
    """Checkpoints of ``db_path`` asked with ``copy`` and made one after the other on a helper
    thread (started with the first); see ``copied_behind``."""

    def __init__(self, db_path: Path) -> None:
        self._path = db_path
        self._wake = threading.Condition()
        self._asked = self._done = 0
        self._stop = self._ended = False
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def copy(self) -> None:
        """A checkpoint of what is committed now, on the helper thread; returns at once."""
        with self._wake:
            self._asked += 1
            self._wake.notify_all()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="kashop-checkpoints", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        try:
            con = sqlite3.connect(str(self._path), isolation_level=None, check_same_thread=False)
            try:
                while True:
                    with self._wake:
                        while self._asked == self._done and not self._stop:
                            self._wake.wait()
                        if self._asked == self._done:
                            return
                        asked = self._asked
                    con.execute(_CHECKPOINT_SQL).fetchone()
                    with self._wake:
                        self._done = asked
                        self._wake.notify_all()
            finally:
                con.close()
        except sqlite3.Error as exc:
            self.error = exc
            log.warning("a checkpoint beside the import failed; it is made by the importing thread", exc_info=True)
        finally:
            with self._wake:
                self._ended = True
                self._wake.notify_all()

    def wait(self) -> bool:
        """Wait for the checkpoints asked so far, the thread kept for more; whether they were made."""
        with self._wake:
            while self._done < self._asked and not self._ended:
                self._wake.wait()
            return self._done == self._asked

    def join(self) -> bool:
        """Wait for the checkpoints asked so far; whether they were all made."""
        with self._wake:
            self._stop = True
            self._wake.notify()
        if self._thread is not None:
            self._thread.join()
        return self.error is None


class _NothingToCopy(CopiedBehind):
    def __init__(self) -> None:
        super().__init__(Path())

    def copy(self) -> None:
        return


@contextmanager
def copied_behind(con: Any, db_path: Path) -> Iterator[CopiedBehind]:
    """For the block, ``con``'s automatic checkpoints off and a ``CopiedBehind`` of its store
    (``db_path``); after it, a last checkpoint of what the block committed (on the helper, or
    on ``con`` should the helper have failed) and the setting put back. On a server store
    (which has no such log) ``copy`` does nothing."""
    if getattr(con, "dialect", "sqlite") != "sqlite":
        yield _NothingToCopy()
        return
    before = int(con.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
    con.execute("PRAGMA wal_autocheckpoint = 0")
    behind = CopiedBehind(db_path)
    try:
        yield behind
    finally:
        try:
            behind.copy()
            if not behind.join():
                con.execute(_CHECKPOINT_SQL).fetchone()
        except sqlite3.Error:  # the next commit or the last close copies it in
            log.warning("the last checkpoint of the import failed", exc_info=True)
        finally:
            con.execute(f"PRAGMA wal_autocheckpoint = {before}")


class StagedCheckpoints:
    """A long load's checkpoints made mostly on a helper thread, the log still started again.

    With automatic checkpoints, the commit that leaves the log longer than ``wal_autocheckpoint``
    pages copies it into the file on the committing thread, and waits for the disk twice (the
    log's ``fdatasync``, then the file's): on a million-row import, ten such commits held the
    importing thread 0.25-0.53 s each (measured). A checkpoint on another connection never
    blocks the writer, but the log starts again from its beginning only when a transaction
    begins with every page of it already copied: a helper that copied all the while, behind a
    writer that never waits, leaves a log of the whole load (1.2 GB for a million rows,
    measured). So the copy is staged: after every ``every``-th transaction (``committed``) the
    helper copies what is committed while the next transaction is written; after that one the
    importing thread waits for the helper and copies that one transaction's pages itself, a
    short checkpoint, and the transaction after begins the log again.

    The importing connection's automatic checkpoints are off for the block (``staged``). Nothing
    here is needed for correctness: a checkpoint not made (a failed helper, a reader holding an
    older snapshot) leaves a longer log, which a later one or the last close copies in.
    """

    def __init__(self, con: Any, db_path: Path, every: int) -> None:
        self.con, self.every = con, max(1, every)
        self.behind = CopiedBehind(db_path)
        self._since = 0  # transactions committed since the log was last copied whole
        self._copying = False

    def committed(self) -> None:
        """After each committed transaction of the load (its importing thread)."""
        self._since += 1
        if self._copying:
            self.behind.wait()
            try:
                self.con.execute(_CHECKPOINT_SQL).fetchone()
            except sqlite3.Error:  # the next round's, or the last close, copies it in
                log.warning("a checkpoint of the import failed", exc_info=True)
            self._copying, self._since = False, 0
        elif self._since >= self.every:
            self.behind.copy()
            self._copying = True


@contextmanager
def staged(con: Any, db_path: Path, every: int) -> Iterator[StagedCheckpoints | None]:
    """For the block, ``con``'s automatic checkpoints off and a ``StagedCheckpoints`` of its store
    told of each commit; after it the helper is waited for and the setting put back. None on a
    server store (which has no such log)."""
    if getattr(con, "dialect", "sqlite") != "sqlite":
        yield None
        return
    before = int(con.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
    con.execute("PRAGMA wal_autocheckpoint = 0")
    stages = StagedCheckpoints(con, db_path, every)
    try:
        yield stages
    finally:
        try:
            stages.behind.join()
        finally:
            con.execute(f"PRAGMA wal_autocheckpoint = {before}")
