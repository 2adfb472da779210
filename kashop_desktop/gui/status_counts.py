"""The navigation's and status bar's counts (after-sale requests by state and overdue, refunds by
state), read on the database worker.

Both tables are read whole by a GROUP BY (measured on the 1,000,000-order demo: 17 ms for
100,000 requests, 9 ms for 100,000 refunds on an idle core, two to three times that under
load). After every operation, every refund send and every other program's write the window
reads them again; on the GUI thread that was the longest block while 1,000 refunds were sent
(gui_bench: 210 ms ticks). Here the read goes to the worker and the labels change when it is
back; reads asked for meanwhile are folded into one more read after it. Only the window's
construction and a language switch read at once (nothing is on screen yet to keep moving).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from ..services import views
from ..services.desk import Desk
from .context import DeskContext

Counts = tuple[dict[str, int], dict[str, int]]


def read_counts(desk: Desk) -> Counts:
    """(requests by state with ``overdue``, refunds by state): ``views.request_counts``,
    ``views.refund_counts``."""
    return views.request_counts(desk), views.refund_counts(desk)


class StatusCounts:
    """Reads the counts for ``show(requests, refunds)``, now or on the worker."""

    def __init__(self, ctx: DeskContext, show: Callable[[dict[str, int], dict[str, int]], None]) -> None:
        self.ctx = ctx
        self.show = show
        self.reading = False  # a read is on the worker
        self.again = False  # another was asked for meanwhile

    def read_now(self) -> None:
        self.show(*read_counts(self.ctx.desk))

    def read_later(self) -> None:
        """Read on the worker, then show; one read at a time, the asks meanwhile folded into one.
        With no asyncio loop running (a bare window in a test) the counts are read at once."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            self.read_now()
            return
        if self.reading:
            self.again = True
            return
        self.reading = True
        if self.ctx.start(self._read()) is None:  # the desk is closing
            self.reading = False

    async def _read(self) -> None:
        counts: Counts | None = None
        try:
            while True:
                self.again = False
                counts = await self.ctx.run(read_counts, self.ctx.desk)
                if not self.again:
                    break
        except Exception as exc:  # a busy or closed store: the labels keep their last counts
            logging.getLogger(__name__).warning("status counts not read: %s", exc)
            counts = None
        finally:
            self.reading = False
        if counts is not None:
            self.show(*counts)

