"""The window notices what other processes wrote (the command line, a second desk, an import).

Every ``POLL_MS`` the database worker reads ``PRAGMA data_version`` (``services.outside``): it
is a number per connection that moves only when another connection committed, so the window's
own writes never trigger a reload. When it moved, ``ctx.changed`` carries a Changes with
``outside`` set and every screen reads again (counts, the list with its selection kept, the
detail, requests, refunds, settings). Nothing runs on the GUI thread but the timer, and a poll
never starts while the previous one is still waiting for the worker. On a PostgreSQL server
store the number is the count of other desks' commits announced by NOTIFY (``services.outside``),
looked at every ``SERVER_POLL_MS``. On the data file each poll also puts back the upkeep of a
bulk import that died in another process (``outside.finish_abandoned_load``), so the counts and
the search catch up without waiting for the next program to open the store.
"""

from __future__ import annotations

import asyncio
import logging

from ..services import outside
from .context import DeskContext
from .qt import QObject, QTimer

POLL_MS = 2000
#: On a server store the worker only drains the notifications LISTEN received (no query), so
#: it looks more often: another desk's commit shows within about a second.
SERVER_POLL_MS = 500

log = logging.getLogger(__name__)


class StoreWatch(QObject):
    """Polls the store for outside writes while the window is open (``start`` / ``stop``)."""

    def __init__(self, ctx: DeskContext, parent: QObject | None = None, interval_ms: int | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.version: int | None = None  # the worker connection's data_version last seen
        self.resumed = 0  # how often the worker connection to the server came back
        self.polling = False
        self.timer = QTimer(self)
        if interval_ms is None:
            interval_ms = SERVER_POLL_MS if ctx.desk.db_url is not None else POLL_MS
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.poll)

    def start(self) -> None:
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def poll(self) -> None:
        """One look at the store, on the worker (skipped while one is still out, or with no loop)."""
        if self.polling or self.ctx.closing:
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # no asyncio loop runs (a bare window in a test): nothing to poll with
            return
        self.polling = True
        self.ctx.start(self._poll())

    async def _poll(self) -> None:
        try:
            finished = await self.ctx.run(outside.finish_abandoned_load, self.ctx.desk)
            version = await self.ctx.run(outside.data_version, self.ctx.desk)
            resumed = await self.ctx.run(outside.times_resumed, self.ctx.desk)
        except Exception as exc:  # the next tick tries again; a crash dialog every 2 s would help no one
            known = self.ctx.desk.explain(exc)  # a lost server or a busy file: one line, not a traceback
            log.warning("could not look for outside changes: %s", known.en if known else exc, exc_info=known is None)
            return
        finally:
            self.polling = False
        seen, self.version = self.version, version
        was_resumed, self.resumed = self.resumed, resumed
        if seen is not None and (version != seen or finished) and not self.ctx.closing:
            changes = outside.outside_changes(self.ctx.desk)
            changes.resumed = resumed != was_resumed
            self.ctx.changed.emit(changes)
