"""Next year's holidays: dates past the package's data are approximate until a schedule is loaded."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest

from kashop_desktop.domain.clock import SHOP_TZ
from kashop_desktop.domain.errors import DomainError
from kashop_desktop.domain.order import ReasonCode
from kashop_desktop.services import holidays, views
from kashop_desktop.services import requests as reqs
from kashop_desktop.services.desk import Desk

from .helpers import order

SCHEDULE_2027 = {"year": 2027, "holidays": [{"name": "元旦", "from": "2027-01-01", "to": "2027-01-03"},
                                            {"name": "春节", "from": "2027-02-06", "to": "2027-02-13"}],
                 "workdays": ["2027-01-09"]}


@pytest.fixture
def new_years_eve(clock) -> None:  # type: ignore[no-untyped-def]
    clock.moment = datetime(2026, 12, 31, 10, 0, tzinfo=SHOP_TZ)  # a Thursday


@pytest.mark.usefixtures("new_years_eve")
def test_dates_past_known_data_are_marked_approximate_until_the_schedule_is_loaded(desk: Desk, clock,  # type: ignore[no-untyped-def]
                                                                                    tmp_path: Path) -> None:
    paid = order(desk, paid_minutes_ago=1)
    _, approved = reqs.open_request(desk, paid, ReasonCode.NOT_NEEDED)  # auto-approved: a refund
    waiting = order(desk, paid_minutes_ago=60 * 5)  # past the cooling-off: waits for a person
    _, open_id = reqs.open_request(desk, waiting, ReasonCode.WRONG_ITEM)
    refund = views.list_refunds(desk)[0]
    assert refund.eta_earliest == "2027-01-04" and refund.eta_exact is False  # never 2027-01-01
    request = views.request_view(desk, open_id or 0)
    assert request.due_at.date() == date(2027, 1, 5) and request.due_exact is False
    assert views.to_json(views.order_detail(desk, waiting))["requests"][0]["due_exact"] is False

    clock.moment = datetime(2027, 1, 2, 0, 30, tzinfo=SHOP_TZ)
    _, counts = reqs.sweep(desk)
    assert counts["overdue"] == 0  # New Year's Day was not counted as a business day

    path = tmp_path / "2027.json"
    path.write_text(json.dumps(SCHEDULE_2027, ensure_ascii=False), encoding="utf-8")
    _, years = holidays.load(desk, path)
    assert years == [2027]
    # Same dates, now facts: the file agrees that 1-3 January are off.
    request = views.request_view(desk, open_id or 0)
    assert request.due_at.date() == date(2027, 1, 5) and request.due_exact is True
    assert views.list_refunds(desk)[0].eta_exact is True
    assert approved is not None
    loaded = {y.year: y for y in holidays.years(desk)}
    assert loaded[2027].source == "loaded" and (date(2027, 2, 8), "春节") in loaded[2027].holidays
    assert loaded[2026].source == "package" and loaded[2028].source == "fixed_only" and not loaded[2028].exact


def test_loading_a_year_moves_open_deadlines_it_changes(desk: Desk, clock, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    clock.moment = datetime(2027, 2, 5, 10, 0, tzinfo=SHOP_TZ)  # a Friday, the eve of 春节 in the file
    waiting = order(desk, paid_minutes_ago=60 * 5)
    _, open_id = reqs.open_request(desk, waiting, ReasonCode.WRONG_ITEM)
    assert views.request_view(desk, open_id or 0).due_at.date() == date(2027, 2, 9)  # weekends only
    path = tmp_path / "2027.csv"
    path.write_text("date,type,name\n" + "".join(f"2027-02-{d:02d},休,春节\n" for d in range(6, 14)), encoding="utf-8")
    changes, _ = holidays.load(desk, path)
    assert changes.request_ids == {open_id}
    assert views.request_view(desk, open_id or 0).due_at.date() == date(2027, 2, 16)
    holidays.remove_year(desk, 2027)
    assert views.request_view(desk, open_id or 0).due_at.date() == date(2027, 2, 9)


@pytest.mark.parametrize(("content", "code"), [
    (None, "file_unreadable"), (b"\xff\xfe\x00", "invalid_holiday_schedule"),
    (b'{"year": 2027, "holidays": ["2027-02-17"], "workdays": ["2027-02-17"]}', "invalid_holiday_schedule"),
])
def test_a_bad_file_changes_nothing(desk: Desk, tmp_path: Path, content: bytes | None, code: str) -> None:
    path = tmp_path / "h.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(DomainError) as info:
        holidays.load(desk, path)
    assert info.value.code == code
    assert desk.setting("holiday_schedule") is None
