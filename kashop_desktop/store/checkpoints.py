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
        self._stop = False
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def copy(self) -> None:
        """A checkpoint of what is committed now, on the helper thread; returns at once."""
        with self._wake:
            self._asked += 1
            self._wake.notify()
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
            finally:
                con.close()
        except sqlite3.Error as exc:
            self.error = exc
            log.warning("a checkpoint beside the import failed; it is made by the importing thread", exc_info=True)

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
