"""Order nos that carry their creation date: an order-no prefix as a time window.

Shops number orders by date: ``KS`` + ``YYYYMMDD`` + a sequence here, ``YYYYMMDD`` + digits or
a letter or two + the date on most platforms whose exports are imported. So a prefix such as
``KS2024`` or ``KS202410`` can only match orders created in 2024 or in October 2024 (Beijing
time), except for order nos that do not start with their creation date after their leading
letters. Those are indexed apart (a partial index, empty when every order no is dated), so a
search can walk the time window and add them, and never has to test every newer order.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta

from ..domain.clock import SHOP_TZ

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#: An order whose no, after its leading capital letters, does not start with its creation date
#: (Beijing, ``YYYYMMDD``). Deterministic, so SQLite keeps a partial index on it.
UNDATED_WHERE = (f"substr(ltrim(order_no, '{LETTERS}'), 1, 8) "
                 "<> strftime('%Y%m%d', created_at + 28800, 'unixepoch')")
#: The creation day (Beijing, ``YYYYMMDD``) on a PostgreSQL server, written with immutable
#: functions only (``to_char`` is merely stable), so the server keeps the same partial index
#: (``store.pg_search.SEARCH_INDEXES``; PostgreSQL 15 manual, "Indexes on Expressions").
_DAY_SERVER = "(to_timestamp(created_at + 28800) AT TIME ZONE 'UTC')"
ORDER_DAY_SERVER = (f"lpad((date_part('year', {_DAY_SERVER}) * 10000 + date_part('month', {_DAY_SERVER}) * 100 "
                    f"+ date_part('day', {_DAY_SERVER}))::bigint::text, 8, '0')")
#: The same test on a PostgreSQL server.
UNDATED_WHERE_SERVER = f"substr(ltrim(order_no, '{LETTERS}'), 1, 8) <> {ORDER_DAY_SERVER}"
UNDATED_INDEX = "orders_no_undated"


def undated_where(db: object) -> str:
    """``UNDATED_WHERE`` in the store's dialect."""
    return UNDATED_WHERE_SERVER if getattr(db, "dialect", "sqlite") == "postgresql" else UNDATED_WHERE
UNDATED_INDEX_SQL = f"CREATE INDEX IF NOT EXISTS {UNDATED_INDEX} ON orders (order_no) WHERE {UNDATED_WHERE}"

_DATE_PART = re.compile(r"^[0-9]{1,8}")
_FIRST = date(1, 1, 2)  # the first day whose midnight in Beijing is a valid UTC datetime
_LAST = date(9998, 12, 31)
EMPTY = (0, 0)


def window(prefix: str) -> tuple[int, int] | None:
    """[start, end) in epoch seconds holding the creation time of every dated order whose no
    starts with ``prefix`` (upper case); ``EMPTY`` when no dated order can; None when the
    prefix says nothing about the date (no character after its letters)."""
    rest = prefix.lstrip(LETTERS)
    if not rest:
        return None
    digits = _DATE_PART.match(rest)
    if digits is None or (len(digits.group()) < 8 and len(rest) > len(digits.group())):
        return EMPTY  # a letter or sign where the date goes: no dated order starts so
    part = digits.group()
    first, last = _first_date(part.ljust(8, "0")), _last_date(part.ljust(8, "9"))
    if first is None or last is None:
        return EMPTY
    first, last = max(first, _FIRST), min(last, _LAST)
    if first > last:
        return EMPTY
    return _midnight(first), _midnight(last + timedelta(days=1))


def _midnight(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=SHOP_TZ).timestamp())


def _first_date(text: str) -> date | None:
    """The first real date whose ``YYYYMMDD`` is >= ``text`` (eight digits)."""
    year, month, day = int(text[:4]), int(text[4:6]), int(text[6:8])
    if year == 0:
        return date(1, 1, 1)
    if month == 0:
        month, day = 1, 1
    if month > 12:
        return date(year + 1, 1, 1) if year < 9999 else None
    if day > calendar.monthrange(year, month)[1]:
        return date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return date(year, month, max(day, 1))


def _last_date(text: str) -> date | None:
    """The last real date whose ``YYYYMMDD`` is <= ``text`` (eight digits)."""
    year, month, day = int(text[:4]), int(text[4:6]), int(text[6:8])
    if year == 0:
        return None
    if month == 0:
        return date(year - 1, 12, 31) if year > 1 else None
    month = min(month, 12)
    if day == 0:
        return date(year, month, 1) - timedelta(days=1) if (year, month) != (1, 1) else None
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))
