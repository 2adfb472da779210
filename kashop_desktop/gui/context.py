"""What every screen shares: the open desk, its database worker thread, and change signals.

Writes (every service operation) run on one dedicated worker thread, so the window never
waits on a transaction; results come back to the GUI thread through the qasync loop. Reads for
painting a page of rows stay on the GUI thread: they take well under a millisecond, and WAL
lets them run beside the worker's writes (the same split Anki's browser uses).

Screens never call each other: an operation returns a Changes, ``changed`` carries it to every
screen, and each refreshes what it shows of those ids.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import ctypes
import functools
import sys
import time
from collections.abc import Callable
from typing import Any, TypeVar

from ..services.changes import Changes
from ..services.desk import Desk
from ..services.payment_sync import PaymentSync, SyncReport
from ..services.refund_queue import QueueReport, RefundQueue
from ..services.trade_close import TradeCloser
from .qt import QObject, Signal

T = TypeVar("T")
#: How long after the window's own import last wrote (seconds) a change the store watch sees is
#: taken for that import's: two of the watch's polls (``store_watch.POLL_MS``) and a second.
OWN_WRITES_GRACE_S = 5.0


def _malloc_trim() -> Callable[[int], int] | None:
    try:
        trim: Callable[[int], int] = ctypes.CDLL("libc.so.6").malloc_trim
        return trim
    except (OSError, AttributeError):  # not glibc (Windows, macOS, musl): nothing to give back this way
        return None


_TRIM = _malloc_trim() if sys.platform.startswith("linux") else None


def release_heap() -> None:
    """Give freed heap memory back to the system. glibc keeps what a big read freed (reading a
    million ids leaves ~15 MB of free heap behind, measured); other platforms' allocators do
    not need this."""
    if _TRIM is not None:
        _TRIM(0)


class DbWorker:
    """One thread that owns every database write."""

    def __init__(self) -> None:
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="kashop-db")

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, functools.partial(fn, *args, **kwargs))

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run on the worker and wait (for code outside the event loop, e.g. start-up)."""
        return self._pool.submit(fn, *args, **kwargs).result()

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True)


class DeskContext(QObject):
    """Shared by all screens. ``changed`` is emitted after every successful operation."""

    changed = Signal(object)  # Changes
    queue_report = Signal(object)  # QueueReport after a send
    sync_report = Signal(object)  # SyncReport after a payment sync
    status_message = Signal(str)
    language_changed = Signal(str)  # "zh" or "en", chosen on the settings page
    rights_changed = Signal()  # the operator at the desk was given another role or disabled (Settings > 操作员)

    def __init__(self, desk: Desk, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.worker = DbWorker()
        self.tasks: set[asyncio.Task[Any]] = set()
        self.queue = RefundQueue(desk, run_db=self.worker.run)
        self.sending = False
        self.closing = False
        self.payment_sync = PaymentSync(desk, run_db=self.worker.run)
        self.syncing = False
        self._own_writes_until = 0.0  # time.monotonic(): see expect_own_writes

    def expect_own_writes(self) -> None:
        """A process this window started (an import) writes to the store now: the store watch's
        next polls see its commits as another program's, and ``own_writes_expected`` tells the
        status bar not to say so (the screens still read again)."""
        self._own_writes_until = time.monotonic() + OWN_WRITES_GRACE_S

    def own_writes_expected(self) -> bool:
        return time.monotonic() < self._own_writes_until

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a read or write on the worker thread; exceptions propagate to the caller."""
        return await self.worker.run(fn, *args, **kwargs)

    async def op(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run a service operation (first argument: the desk) and announce what changed."""
        result = await self.worker.run(fn, self.desk, *args, **kwargs)
        changes = result[0] if isinstance(result, tuple) and result and isinstance(result[0], Changes) else result
        if isinstance(changes, Changes):
            self.changed.emit(changes)
        return result

    def start(self, coro: Any) -> asyncio.Task[Any] | None:
        """Start a task and keep a reference until it ends (asyncio holds only weak ones).
        Once the desk is closing nothing new starts (a timer firing meanwhile, such as the
        order list's id-list read, would leave a task the closed loop never finishes)."""
        if self.closing:
            coro.close()
            return None
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def send_refunds(self, *, limit: int | None = None, refund_ids: list[int] | None = None,
                           force: bool = False, by_hand: bool | None = None) -> QueueReport:
        """Send the refund queue in the background (``RefundQueue.send``: ``by_hand`` for 立即发送,
        which needs the refunds right; the periodic run sends whoever is signed in)."""
        self.sending = True
        try:
            report = await self.queue.send(limit, refund_ids, force=force, by_hand=by_hand)
        finally:
            self.sending = False
        self.changed.emit(report.changes)
        self.queue_report.emit(report)
        return report

    async def sync_payments(self, order_nos: list[str] | None = None, *, force: bool = False) -> SyncReport:
        """Close the trades of orders cancelled unpaid, then payment sync (补单), in the
        background: gateway calls on the loop, writes on the worker."""
        self.syncing = True
        try:
            # 同步支付 (force) and orders by name are a person's request: the orders right.
            closes = await TradeCloser(self.payment_sync).run(order_nos, by_hand=force or order_nos is not None)
            report = await self.payment_sync.run(order_nos, force=force)
        finally:
            self.syncing = False
        report.closes = closes.results
        self.changed.emit(closes.changes)
        self.changed.emit(report.changes)
        self.sync_report.emit(report)
        return report

    async def aclose(self) -> None:
        self.closing = True
        others = [task for task in self.tasks if task is not asyncio.current_task()]
        for task in others:
            task.cancel()
        # Let the cancelled tasks unwind while the loop still runs (none is left pending).
        await asyncio.gather(*others, return_exceptions=True)
        await self.queue.aclose()
        await self.payment_sync.aclose()
        # SQLite connections are per thread: the worker closes its own (checkpointing the log),
        # so a restore or the next start finds the store released. Waited for here, not awaited:
        # the loop may already be stopping (the last window closed), and shutdown waits anyway.
        self.worker.call(self.desk.close)
        self.worker.shutdown()
