"""Business days in mainland China, with statutory holidays and make-up working days.

Where each day's answer comes from, first match wins:

1. A schedule the owner loaded for that year (``HolidaySchedule``, the State Council's notice
   typed in or read from a file; see ``domain.holidays``): exact.
2. chinese-calendar's data (the years the State Council had published when the package was
   released; 1.11.0 knows 2004-2026): exact.
3. Otherwise the fixed-date statutory holidays, known for every year by the 全国年节及纪念日放假办法
   as amended in force since 2025 (State Council Decree No. 795): 元旦 1 January, 劳动节 1-2 May,
   国庆节 1-3 October — those days are holidays (exact); any other day falls back to "Monday to
   Friday" and is *approximate*: the lunar holidays (春节, 清明, 端午, 中秋) and the make-up
   working days are only known from the year's schedule.

A date computed across an approximate day is marked approximate, so the desk never refuses to
show a date and never shows a guess as a fact.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import chinese_calendar

from .order import Channel

#: Refund ETA per channel, in business days (earliest, latest). Wallet refunds are instant.
ETA_BUSINESS_DAYS: dict[Channel, tuple[int, int]] = {
    Channel.WALLET: (0, 0),
    Channel.ALIPAY: (1, 3),
    Channel.WECHAT: (1, 3),
    Channel.BANK_CARD: (3, 5),
    Channel.CASH: (0, 0),  # handed back by the owner
    Channel.BANK_TRANSFER: (1, 2),  # transferred back by the owner; interbank transfers land within 2 days
}

#: (month, day) of the fixed-date statutory holidays, with their names (Decree No. 795, 2025).
FIXED_HOLIDAYS: dict[tuple[int, int], tuple[str, str]] = {
    (1, 1): ("元旦", "New Year's Day"),
    (5, 1): ("劳动节", "Labour Day"),
    (5, 2): ("劳动节", "Labour Day"),
    (10, 1): ("国庆节", "National Day"),
    (10, 2): ("国庆节", "National Day"),
    (10, 3): ("国庆节", "National Day"),
}


@functools.cache
def package_years() -> frozenset[int]:
    """The years chinese-calendar has data for."""
    return frozenset(day.year for day in chinese_calendar.constants.holidays)


@dataclass(frozen=True)
class HolidaySchedule:
    """Holidays and make-up working days the owner loaded, for whole years.

    ``holidays``: days off (weekdays and weekend days alike); ``workdays``: make-up working days
    (调休上班, always a Saturday or Sunday); ``names``: (day, name) of each holiday, for display.
    Hashable, so date arithmetic over it can be cached.
    """

    years: frozenset[int] = frozenset()
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    names: tuple[tuple[date, str], ...] = field(default=(), compare=False)

    def covers(self, year: int) -> bool:
        return year in self.years


NO_SCHEDULE = HolidaySchedule()


def is_known_year(year: int, schedule: HolidaySchedule = NO_SCHEDULE) -> bool:
    """Whether every day of ``year`` is known exactly (loaded or in the package)."""
    return schedule.covers(year) or year in package_years()


def is_business_day(day: date, schedule: HolidaySchedule = NO_SCHEDULE) -> tuple[bool, bool]:
    """Return (is a business day, the answer is exact)."""
    if schedule.covers(day.year):
        if day in schedule.workdays:
            return True, True
        return day.weekday() < 5 and day not in schedule.holidays, True
    try:
        return bool(chinese_calendar.is_workday(day)), True
    except NotImplementedError:
        if (day.month, day.day) in FIXED_HOLIDAYS:
            return False, True
        return day.weekday() < 5, False


@functools.lru_cache(maxsize=4096)
def add_business_days(start: date, days: int, schedule: HolidaySchedule = NO_SCHEDULE) -> tuple[date, bool]:
    """The date `days` business days after `start` (0 returns start). Second item: exact."""
    exact = True
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        workday, known = is_business_day(current, schedule)
        exact = exact and known
        if workday:
            remaining -= 1
    return current, exact


def span_is_exact(start: date, end: date, schedule: HolidaySchedule = NO_SCHEDULE) -> bool:
    """Whether every day after ``start`` up to ``end`` is known exactly: a date counted in
    business days over that span is a fact, not an estimate."""
    return all(is_known_year(year, schedule) for year in range(start.year, end.year + 1)) or all(
        is_business_day(start + timedelta(days=n), schedule)[1] for n in range(1, (end - start).days + 1))


@dataclass(frozen=True, slots=True)
class RefundEta:
    channel: Channel
    earliest: date
    latest: date
    instant: bool
    exact: bool

    def text_zh(self) -> str:
        if self.instant:
            return "即时到账"
        lo, hi = ETA_BUSINESS_DAYS[self.channel]
        about = "" if self.exact else "约 "
        return f"{lo}-{hi} 个工作日，预计 {about}{self.earliest.isoformat()} 至 {self.latest.isoformat()} 到账"

    def text_en(self) -> str:
        if self.instant:
            return "instant"
        lo, hi = ETA_BUSINESS_DAYS[self.channel]
        about = "" if self.exact else "approx. "
        return f"{lo}-{hi} business days, expected {about}{self.earliest.isoformat()} to {self.latest.isoformat()}"


def refund_eta(channel: Channel, sent_at: datetime, schedule: HolidaySchedule = NO_SCHEDULE) -> RefundEta:
    """When a refund sent at ``sent_at`` (Beijing time) reaches the buyer, in calendar dates."""
    lo, hi = ETA_BUSINESS_DAYS[channel]
    start = sent_at.date()
    earliest, exact_lo = add_business_days(start, lo, schedule)
    latest, exact_hi = add_business_days(start, hi, schedule)
    return RefundEta(channel, earliest, latest, instant=(hi == 0), exact=exact_lo and exact_hi)


def response_deadline(requested_at: datetime, business_days: int,
                      schedule: HolidaySchedule = NO_SCHEDULE) -> datetime:
    """When an open request becomes overdue: the end (23:59:59, same zone) of the N-th business
    day after it. Whether that is exact: ``span_is_exact(requested_at.date(), deadline.date())``."""
    day, _ = add_business_days(requested_at.date(), business_days, schedule)
    end = datetime.combine(day, datetime.max.time().replace(microsecond=0))
    return end.replace(tzinfo=requested_at.tzinfo)
