"""A desk's window in its own process, on the server store named by KASHOP_DB_URL.

    python tests/gui/other_window.py DATA_DIR WATCH_NO CANCEL_NO SHOT.png [WIDTHxHEIGHT] [--first]

Used by ``test_two_windows.py`` and ``benchmarks/bench_two_windows.py``. The window opens on
the orders list with order WATCH_NO selected and prints ``ready``; when its detail shows that
order cancelled by another desk (in its detail and its list row) it prints ``seen <epoch s>``, saves a screenshot showing it to
SHOT.png (``shot``), then cancels CANCEL_NO itself (as the owner would from its detail pane) and
prints ``wrote <epoch s>``; it closes after a line on its standard input. ``--first``: the other
way round: after ``ready`` it waits for a line on its standard input, cancels CANCEL_NO
(``wrote``), then waits for another desk to cancel WATCH_NO (``seen``, ``shot``). Nothing
happening for 60 s is exit 1.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path

from kashop_desktop.domain.order import ReasonCode
from kashop_desktop.gui.app import load_cjk_font, make_app
from kashop_desktop.gui.context import DeskContext
from kashop_desktop.gui.main_window import MainWindow
from kashop_desktop.gui.qt import QSettings
from kashop_desktop.services import requests, views
from kashop_desktop.services.desk import Desk

WAIT_S = 60.0


async def until(test: Callable[[], bool], what: str) -> None:
    """Let the window's event loop run until ``test()`` holds (checked every 20 ms)."""
    deadline = time.monotonic() + WAIT_S
    while not test():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def say(line: str) -> None:
    print(line, flush=True)


def status_of(window: MainWindow, order_no: str) -> str | None:
    detail = window.orders_page.detail.detail
    return detail.status.value if detail is not None and detail.order_no == order_no else None


def row_status(window: MainWindow) -> str | None:
    row = window.orders_page.current_row()
    return row.status.value if row is not None else None


async def show(window: MainWindow, ctx: DeskContext, order_no: str, status: str | None, what: str) -> None:
    """Select ``order_no`` and wait until its detail shows it (in ``status`` when given)."""
    order_id = await ctx.run(lambda: views.order_detail(ctx.desk, order_no).id)
    window.orders_page.select_order(order_id)  # at once, or when the worker has found its row

    def shown() -> bool:
        now = status_of(window, order_no)
        return now is not None and (status is None or now == status)

    await until(shown, what)


async def cancel(ctx: DeskContext, order_no: str) -> None:
    await ctx.op(requests.cancel_order, order_no, ReasonCode.MISTAKEN)
    say(f"wrote {time.time():.3f}")


async def act(window: MainWindow, ctx: DeskContext, watch_no: str, cancel_no: str, shot: Path, first: bool) -> None:
    page = window.orders_page
    stdin = asyncio.get_running_loop().run_in_executor
    await until(lambda: page.model.rowCount() > 0, "the first page")
    await show(window, ctx, watch_no, None, "the order")
    await until(lambda: window.store_watch.version is not None, "the window listening for other desks")
    say("ready")
    if first:
        await stdin(None, sys.stdin.readline)
        await cancel(ctx, cancel_no)
        await show(window, ctx, watch_no, None, "the order again")
    await until(lambda: status_of(window, watch_no) == "cancelled" and row_status(window) == "cancelled",
                "another desk's cancel in the detail and the list row")
    say(f"seen {time.time():.3f}")
    window.grab().save(str(shot))  # another desk's change on this desk's screen
    say("shot")
    if not first:
        await cancel(ctx, cancel_no)
    await stdin(None, sys.stdin.readline)


def main(argv: list[str]) -> int:
    import qasync

    first = "--first" in argv
    argv = [a for a in argv if a != "--first"]
    data_dir, watch_no, cancel_no, shot = Path(argv[1]), argv[2], argv[3], Path(argv[4])
    width, height = (int(n) for n in (argv[5] if len(argv) > 5 else "1366x768").split("x"))
    app = make_app([])
    load_cjk_font(app)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    desk = Desk.open(data_dir)
    ctx = DeskContext(desk)
    window = MainWindow(ctx, QSettings(str(data_dir / "ui.ini"), QSettings.Format.IniFormat))
    window.persist_layout = False
    window.resize(width, height)
    window.show()
    try:
        with loop:
            loop.run_until_complete(act(window, ctx, watch_no, cancel_no, shot, first))
            window.store_watch.stop()
            loop.run_until_complete(ctx.aclose())
    finally:
        window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
