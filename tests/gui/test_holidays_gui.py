"""Dates past the holiday calendar's data show 约 in the window; Settings loads next year's schedule."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from kashop_desktop.domain.clock import SHOP_TZ
from kashop_desktop.domain.order import ReasonCode
from kashop_desktop.gui.pages import RefundsPage, RequestsPage, SettingsPage
from kashop_desktop.gui.pages.refunds import eta_text
from kashop_desktop.gui.pages.requests import COL_DUE
from kashop_desktop.services import requests, views
from tests.gui.test_dialogs import desk_context, qasync_loop, run, small_shop

_aloop = pytest.fixture(qasync_loop, name="aloop")
_ctx = pytest.fixture(desk_context, name="ctx")
_shop = pytest.fixture(small_shop, name="shop")


@pytest.fixture
def eve(clock):
    clock.moment = datetime(2026, 12, 31, 10, 0, tzinfo=SHOP_TZ)


@pytest.mark.usefixtures("eve")
def test_dates_past_known_data_show_approx_and_loading_the_year_clears_it(qtbot, ctx, shop, tmp_path):
    requests.open_request(ctx.desk, shop.order("paid", ago=timedelta(minutes=2)), ReasonCode.NOT_NEEDED)
    _, rid = requests.open_request(ctx.desk, shop.order("paid", ago=timedelta(hours=3)), ReasonCode.WRONG_ITEM)
    page = RequestsPage(ctx)
    qtbot.addWidget(page)
    row = next(r for r in range(page.model.rowCount()) if page.model.request_at(r).id == rid)
    assert page.model.data(page.model.index(row, COL_DUE)).startswith("约 2027-01-05")
    refund = views.list_refunds(ctx.desk)[0]
    assert eta_text(refund) == "约 2027-01-04 ~ 2027-01-06"
    refunds = RefundsPage(ctx)
    qtbot.addWidget(refunds)

    settings = SettingsPage(ctx)
    qtbot.addWidget(settings)
    box = settings.holidays_box
    assert "2027 年：仅知元旦、劳动节、国庆节" in box.summary.text() and box.remove_button.isHidden()
    bad = tmp_path / "bad.json"
    bad.write_text('{"year": 2027, "holidays": []}', encoding="utf-8")
    assert run(qtbot, box.load_file(bad)) is None
    assert box.message.kind == "error" and "2027 年没有任何假日" in box.message.text()
    good = tmp_path / "2027.json"
    good.write_text(json.dumps({"year": 2027, "holidays": [{"name": "春节", "from": "2027-02-06", "to": "2027-02-13"}],
                                "workdays": ["2027-02-20"]}, ensure_ascii=False), encoding="utf-8")
    changes = run(qtbot, box.load_file(good))
    assert changes is not None and box.message.kind == "ok" and not box.remove_button.isHidden()
    assert "2027 年：已导入（14 天假日，1 个调休上班日）" in box.summary.text()  # 8 days + the 6 fixed ones
    assert eta_text(views.list_refunds(ctx.desk)[0]) == "2027-01-04 ~ 2027-01-06"
    qtbot.waitUntil(lambda: not page.model.data(page.model.index(row, COL_DUE)).startswith("约"))
    if os.environ.get("KASHOP_SHOTS"):
        settings.resize(1100, 900)
        settings.show()
        settings.grab().save(str(Path(os.environ["KASHOP_SHOTS"]) / "settings_holidays.png"))
    assert run(qtbot, box.remove_selected()) is not None
    assert box.remove_button.isHidden() and ctx.desk.setting("holiday_schedule") == {}
