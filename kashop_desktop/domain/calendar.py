"""Business days in mainland China, with statutory holidays and make-up working days.

Holiday data comes from chinese-calendar, which covers the years the State Council has
published. For a year it does not cover yet, weekends alone are used and the result is
marked approximate, so the desk never refuses to show a date.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import chinese_calendar

from .order import Channel

#: Refund ETA per channel, in business days (earliest, latest). Wallet refunds are instant.
ETA_BUSINESS_DAYS: dict[Channel, tuple[int, int]] = {
    Channel.WALLET: (0, 0),
    Channel.ALIPAY: (1, 3),
    Channel.WECHAT: (1, 3),
    Channel.BANK_CARD: (3, 5),
}


def is_business_day(day: date) -> tuple[bool, bool]:
    """Return (is a business day, the answer is exact)."""
    try:
        return bool(chinese_calendar.is_workday(day)), True
    except NotImplementedError:
        return day.weekday() < 5, False


@functools.lru_cache(maxsize=4096)
def add_business_days(start: date, days: int) -> tuple[date, bool]:
    """The date `days` business days after `start` (0 returns start). Second item: exact."""
    exact = True
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        workday, known = is_business_day(current)
        exact = exact and known
        if workday:
            remaining -= 1
    return current, exact


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
        return f"{lo}-{hi} 个工作日，预计 {self.earliest.isoformat()} 至 {self.latest.isoformat()} 到账"

    def text_en(self) -> str:
        if self.instant:
            return "instant"
        lo, hi = ETA_BUSINESS_DAYS[self.channel]
        return f"{lo}-{hi} business days, expected {self.earliest.isoformat()} to {self.latest.isoformat()}"


def refund_eta(channel: Channel, sent_at: datetime) -> RefundEta:
    lo, hi = ETA_BUSINESS_DAYS[channel]
    start = sent_at.date()
    earliest, exact_lo = add_business_days(start, lo)
    latest, exact_hi = add_business_days(start, hi)
    return RefundEta(channel, earliest, latest, instant=(hi == 0), exact=exact_lo and exact_hi)


def response_deadline(requested_at: datetime, business_days: int) -> datetime:
    """When an open request becomes overdue: the end of the N-th business day after it."""
    day, _ = add_business_days(requested_at.date(), business_days)
    end = datetime.combine(day, datetime.max.time().replace(microsecond=0))
    return end.replace(tzinfo=requested_at.tzinfo)
