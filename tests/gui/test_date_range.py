"""The orders page's date range is in shop time (Beijing) from the desk's clock, whatever the PC's
zone: at 01:30 in Beijing the PC (UTC) still says yesterday, and today's orders must be in range."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from kashop_desktop.domain.clock import SHOP_TZ
from kashop_desktop.services.desk import Desk
from tests.conftest import FakeClock
from tests.gui.test_dialogs import desk_context, qasync_loop
from tests.services.helpers import order

_ctx = pytest.fixture(desk_context, name="ctx")
_aloop = pytest.fixture(qasync_loop, name="aloop")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 30, 1, 30, tzinfo=SHOP_TZ))  # 2026-11-29 17:30 UTC


def open_page(qtbot: Any, ctx: Any) -> Any:
    from kashop_desktop.gui.orders_page import OrdersPage

    page = OrdersPage(ctx)
    qtbot.addWidget(page)
    page.show()
    return page


def test_the_default_range_ends_on_the_shop_s_today(qtbot: Any, ctx: Any, desk: Desk) -> None:
    no = order(desk, "paid", paid_minutes_ago=5)  # paid at 01:25 Beijing on the 30th
    page = open_page(qtbot, ctx)
    assert page.date_to.date().toString("yyyy-MM-dd") == "2026-11-30"
    assert page.date_from.date().toString("yyyy-MM-dd") == "2026-10-31"
    with qtbot.waitSignal(page.model.filter_applied, timeout=5000):
        page.date_check.setChecked(True)
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=5000)
    assert page.model.row_at(0).order_no == no


def test_an_untouched_range_follows_the_calendar_past_midnight(qtbot: Any, ctx: Any, clock: FakeClock) -> None:
    page = open_page(qtbot, ctx)
    clock.advance(days=1)  # the desk stayed open overnight
    page.date_check.setChecked(True)
    assert page.date_to.date().toString("yyyy-MM-dd") == "2026-12-01"
    page.date_check.setChecked(False)
    page.date_to.setDate(page.date_to.date().addDays(-3))  # the owner's own range stays as set
    clock.advance(days=1)
    page.date_check.setChecked(True)
    assert page.date_to.date().toString("yyyy-MM-dd") == "2026-11-28"


def test_a_start_moved_past_the_end_moves_the_end_and_the_list_follows_the_dates_shown(
        qtbot: Any, ctx: Any, desk: Desk) -> None:
    from kashop_desktop.gui.qt import QDate

    no = order(desk, "paid", paid_minutes_ago=5)  # created on 2026-11-30
    page = open_page(qtbot, ctx)
    with qtbot.waitSignal(page.model.filter_applied, timeout=5000):
        page.date_check.setChecked(True)
    with qtbot.waitSignal(page.model.filter_applied, timeout=5000):
        page.date_from.setDate(QDate(2026, 12, 5))  # after the end (11-30): the end follows
    assert page.date_to.date() == QDate(2026, 12, 5)
    qtbot.waitUntil(lambda: page.model.rowCount() == 0, timeout=5000)
    with qtbot.waitSignal(page.model.filter_applied, timeout=5000):
        page.date_to.setDate(QDate(2026, 11, 30))  # before the start: the start follows
    assert page.date_from.date() == QDate(2026, 11, 30)
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=5000)
    assert page.model.row_at(0).order_no == no
