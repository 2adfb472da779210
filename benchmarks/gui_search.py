"""The window's search figures for gui_bench.py: the first page painted for every term in every
tab, and the longest GUI-thread block while a search is typed; each beside the naive window
(count, then first page, read on the GUI thread with the plan the planner replaced)."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from looplag import LoopLagProbe
from terms import CLASSES, STATUS_TABS, naive_plan, p95

from kashop_desktop.services.views import OrderFilter
from kashop_desktop.store import search

Record = Callable[[str, float, str, float], None]
KEYS_PER_S = 10


class Painter:
    """Times an action until the order list has painted what it was for, on the qasync loop."""

    def __init__(self, view: Any) -> None:
        self.pending: asyncio.Future[float] | None = None
        self.done: Callable[[], bool] = lambda: True
        view.painted.connect(self._painted)

    def _painted(self) -> None:
        if self.pending is not None and not self.pending.done() and self.done():
            self.pending.set_result(time.perf_counter())

    async def time(self, action: Callable[[], Any], done: Callable[[], bool] = lambda: True) -> float:
        """From ``action`` until the first paint at which ``done()`` holds, in ms."""
        await asyncio.sleep(0.005)  # let the previous action's events settle
        self.pending = asyncio.get_running_loop().create_future()
        self.done = done
        start = time.perf_counter()
        action()
        try:
            end = await asyncio.wait_for(self.pending, 30)
        except TimeoutError:
            raise TimeoutError("the list never painted") from None
        return (end - start) * 1000

    async def time_filter(self, page: Any, action: Callable[[], Any]) -> float:
        """From ``action`` until the list has painted the filter it asked for."""
        model = page.model

        def shown() -> bool:
            return model.order_filter == model.requested_filter and (not model.rowCount() or 0 in model.cached_pages())

        return await self.time(action, shown)


def _apply(page: Any, term: str, tab: int) -> None:
    """What the owner does: a search in the box (applied at once, no debounce) in a tab."""
    page.search.blockSignals(True)
    page.search.setText(term)
    page.search.blockSignals(False)
    if page.tabs.currentIndex() != tab:
        page.tabs.setCurrentIndex(tab)  # applies the filter with the new text
    else:
        page.apply_filter()


@contextmanager
def naive_window(page: Any) -> Iterator[None]:
    """The window as it was: the old plan, and the count and first page read on the GUI thread."""
    model = page.model

    def in_place(flt: Any) -> None:
        model.set_filter(flt)
        model.row_at(0)
        model.filter_applied.emit()
        model.count_changed.emit()

    model.request_filter = in_place
    try:
        with naive_plan():
            yield
    finally:
        del model.request_filter
        # The naive reads filled this thread's page cache, which the window never does: let
        # it go, so that the memory figure is the window's own.
        model.desk.db.execute_sql("PRAGMA shrink_memory")


async def search_matrix(painter: Painter, page: Any, picked: dict[str, list[list[Any]]], naive_terms: int,
                        record: Record) -> None:
    """Every term x every tab: the first page painted, p95 per class and over all."""
    tabs = [list(page_tabs(page)).index(status) for status in STATUS_TABS]
    new: dict[str, list[float]] = {name: [] for name in CLASSES}
    old: dict[str, list[float]] = {name: [] for name in CLASSES}
    for name, found in picked.items():
        for i, (term, _) in enumerate(found):
            for tab in tabs:
                search.forget()  # every figure includes resolving the search
                new[name].append(await painter.time_filter(page, lambda term=term, tab=tab: _apply(page, term, tab)))
                if i < naive_terms:
                    page.model.set_filter(OrderFilter())  # away from it, so that it is read again
                    with naive_window(page):
                        old[name].append(await painter.time_filter(page, lambda t=term, tab=tab: _apply(page, t, tab)))
    every = [ms for samples in new.values() for ms in samples]
    print(f"  search in the window: {sum(map(len, picked.values()))} terms x {len(tabs)} tabs = {len(every)}")
    for name in CLASSES:
        if new[name]:
            extra = f"   naive p95 {p95(old[name]):8.1f} ms over {len(old[name])}" if old[name] else ""
            print(f"  {name:>9} matches: p95 {p95(new[name]):7.1f} ms, median {statistics.median(new[name]):6.1f} ms "
                  f"over {len(new[name]):>4}{extra}")
    record("search, first page painted, p95 (every term x tab)", p95(every), "ms", 50)
    olds = [ms for samples in old.values() for ms in samples]
    if olds:
        print(f"{'  naive window (count + page on the GUI thread)':<46} {p95(olds):>9.1f} ms p95")


def page_tabs(page: Any) -> Iterator[str | None]:
    from kashop_desktop.gui.orders_page import TAB_STATUSES

    yield from TAB_STATUSES


async def _type(page: Any, text: str) -> float:
    """Type ``text`` at KEYS_PER_S into the box in the 已完成 tab; the worst loop lateness (ms)
    from the first key until the last search is painted and counted."""
    model = page.model
    probe = LoopLagProbe(clamp=False)
    probe.start()
    await asyncio.sleep(0.05)
    probe.reset()
    for ch in text:
        page.search.insert(ch)  # textChanged: the hint, and the debounce timer as in the app
        await asyncio.sleep(1 / KEYS_PER_S)
    deadline = time.perf_counter() + 60
    while (model.order_filter.search != text or model.counting) and time.perf_counter() < deadline:
        await asyncio.sleep(0.01)
    worst, _ = probe.stop()
    return worst


async def typing_lag(page: Any, picked: dict[str, list[list[Any]]], record: Record) -> None:
    from kashop_desktop.gui.orders_page import TAB_STATUSES

    completed = TAB_STATUSES.index("completed")
    texts = [term[:12] for term, _ in picked["1"] if len(term) >= 12][:1] or ["KS2025031500"]
    texts.insert(0, "KS2025031500")  # an order no typed from its start: every prefix matches many
    # A busy reseller's number as owners write it: each prefix matches thousands of orders.
    texts += [term[:12] for term, _ in picked["~10,000"] if len(term) >= 12 and not term.upper().startswith("KS")][:1]
    results: list[tuple[str, float, float]] = []
    for text in texts:
        for naive in (False, True):
            page.search.clear()
            page.tabs.setCurrentIndex(completed)
            page.apply_filter()
            await asyncio.sleep(0.3)
            if naive:
                with naive_window(page):
                    lag = await _type(page, text)
            else:
                lag = await _type(page, text)
            results.append((text, lag, naive))
    worst = max(lag for _, lag, naive in results if not naive)
    for text, lag, naive in results:
        print(f"  typing {text!r} in 已完成 at {KEYS_PER_S} keys/s: longest block {lag:7.1f} ms"
              + ("  (naive window)" if naive else ""))
    record("GUI-thread block while typing a 12-char search", worst, "ms", 50)
