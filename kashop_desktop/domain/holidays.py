"""The State Council's holiday schedule for a year, as the owner loads it.

Each autumn the State Council (国务院办公厅) publishes next year's 部分节假日安排: the days off and
the make-up working days (调休上班). Until chinese-calendar ships the year, the owner can load it
from a small file, in either of two forms (UTF-8):

JSON, one year or a list of years::

    {"year": 2027,
     "holidays": [{"name": "元旦", "from": "2027-01-01", "to": "2027-01-03"},
                  {"name": "春节", "from": "2027-02-05", "to": "2027-02-12"}],
     "workdays": ["2027-02-20"]}

(``to`` may be left out for a one-day holiday; a holiday may also be a bare date string.)

CSV with a header ``date,type,name`` (``name`` optional), one day a row; ``type`` is
``holiday`` / ``休`` / ``假`` or ``workday`` / ``班``::

    date,type,name
    2027-01-01,休,元旦
    2027-02-20,班,春节调休

Rules checked: dates are real and inside their year; a year has at least one holiday; no day is
both; make-up working days fall on a Saturday or Sunday (the State Council never moves a
weekday). The loaded years are kept in the store's settings as ``to_setting`` shapes them.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from .calendar import FIXED_HOLIDAYS, HolidaySchedule
from .errors import DomainError

HOLIDAY_TYPES = {"holiday", "休", "假", "off"}
WORKDAY_TYPES = {"workday", "班", "work"}
MAX_SPAN_DAYS = 14  # the longest holiday block ever published is 8-9 days
#: The years a schedule may be loaded for (and ``holidays show --year`` / ``holidays remove`` take).
MIN_YEAR, MAX_YEAR = 2000, 2200


@dataclass(frozen=True)
class YearSchedule:
    year: int
    holidays: dict[date, str]  # day -> name
    workdays: tuple[date, ...]


def _bad(zh: str, en: str) -> DomainError:
    return DomainError("invalid_holiday_schedule", f"节假日安排无效：{zh}", f"invalid holiday schedule: {en}")


def _day(text: Any, where: str) -> date:
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError:
        raise _bad(f"{where} 的日期“{text}”不是 YYYY-MM-DD", f"{where}: '{text}' is not a YYYY-MM-DD date") from None


def _json_years(text: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _bad(f"不是有效的 JSON（第 {exc.lineno} 行）", f"not valid JSON (line {exc.lineno})") from None
    years = data if isinstance(data, list) else [data]
    if not all(isinstance(y, dict) for y in years):
        raise _bad("JSON 应为对象或对象列表", "the JSON must be an object or a list of objects")
    return years


def _from_json(entry: dict[str, Any]) -> YearSchedule:
    try:
        year = int(entry["year"])
    except (KeyError, TypeError, ValueError):
        raise _bad("缺少 year（年份）", "'year' is missing or not a number") from None
    holidays: dict[date, str] = {}
    for n, item in enumerate(entry.get("holidays") or [], start=1):
        where = f"holidays[{n}]"
        if isinstance(item, str):
            first = last = _day(item, where)
            name = ""
        elif isinstance(item, dict):
            first = _day(item.get("from", item.get("date")), where)
            last = _day(item.get("to", first.isoformat()), where)
            name = str(item.get("name", ""))
        else:
            raise _bad(f"{where} 应为日期或对象", f"{where} must be a date or an object")
        if not 0 <= (last - first).days <= MAX_SPAN_DAYS:
            raise _bad(f"{where} 的起止日期不合理", f"{where}: 'to' must be 0-{MAX_SPAN_DAYS} days after 'from'")
        for k in range((last - first).days + 1):
            holidays[first + timedelta(days=k)] = name
    workdays = tuple(_day(d, f"workdays[{n}]") for n, d in enumerate(entry.get("workdays") or [], start=1))
    return YearSchedule(year, holidays, workdays)


def _from_csv(text: str) -> list[YearSchedule]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    fields = {(f or "").strip().lower() for f in reader.fieldnames or []}
    if not {"date", "type"} <= fields:
        raise _bad("CSV 表头应为 date,type,name", "the CSV header must be date,type,name")
    years: dict[int, YearSchedule] = {}
    for row in reader:
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        if not any(row.values()):
            continue
        where = f"第 {reader.line_num} 行 / line {reader.line_num}"
        day = _day(row["date"], where)
        sched = years.setdefault(day.year, YearSchedule(day.year, {}, ()))
        kind = row["type"].lower()
        if kind in HOLIDAY_TYPES:
            sched.holidays[day] = row.get("name", "")
        elif kind in WORKDAY_TYPES:
            years[day.year] = YearSchedule(day.year, sched.holidays, (*sched.workdays, day))
        else:
            raise _bad(f"{where}：类型“{row['type']}”应为 休 或 班", f"{where}: type '{row['type']}' must be "
                       "holiday (休) or workday (班)")
    return list(years.values())


def _check(sched: YearSchedule) -> YearSchedule:
    y = sched.year
    if not MIN_YEAR <= y <= MAX_YEAR:
        raise _bad(f"年份 {y} 不合理", f"the year {y} is out of range")
    if not sched.holidays:
        raise _bad(f"{y} 年没有任何假日", f"{y} lists no holiday")
    for day in [*sched.holidays, *sched.workdays]:
        if day.year != y:
            raise _bad(f"{day} 不在 {y} 年内", f"{day} is not in {y}")
    for day in sched.workdays:
        if day in sched.holidays:
            raise _bad(f"{day} 既是假日又是调休上班日", f"{day} is both a holiday and a make-up working day")
        if day.weekday() < 5:
            raise _bad(f"调休上班日 {day} 不是周六或周日", f"make-up working day {day} is not a Saturday or Sunday")
    return sched


def parse_schedule(text: str, *, csv_format: bool) -> list[YearSchedule]:
    """The years in a schedule file's text. Raises DomainError (invalid_holiday_schedule) with
    where and why, in Chinese and English."""
    years = _from_csv(text) if csv_format else [_from_json(e) for e in _json_years(text)]
    if not years:
        raise _bad("文件里没有任何日期", "the file holds no dates")
    seen: set[int] = set()
    for sched in years:
        if sched.year in seen:
            raise _bad(f"{sched.year} 年出现了两次", f"{sched.year} appears twice")
        seen.add(sched.year)
    return [_check(s) for s in years]


def to_setting(years: list[YearSchedule]) -> dict[str, Any]:
    """JSON-ready form kept in the store's settings: {"2027": {"holidays": {day: name}, "workdays": [...]}}."""
    return {str(s.year): {"holidays": {d.isoformat(): n for d, n in sorted(s.holidays.items())},
                          "workdays": sorted(d.isoformat() for d in s.workdays)} for s in years}


def from_setting(value: dict[str, Any] | None) -> list[YearSchedule]:
    """The inverse of ``to_setting``; an empty list for nothing loaded."""
    years = []
    for key, entry in sorted((value or {}).items()):
        holidays = {date.fromisoformat(d): str(n) for d, n in entry.get("holidays", {}).items()}
        years.append(YearSchedule(int(key), holidays, tuple(date.fromisoformat(d) for d in entry.get("workdays", []))))
    return years


def schedule_of(years: list[YearSchedule]) -> HolidaySchedule:
    """The calendar's view of loaded years. Fixed-date statutory holidays are always holidays,
    listed in the file or not."""
    holidays: set[date] = set()
    names: list[tuple[date, str]] = []
    for sched in years:
        fixed = {date(sched.year, m, d): zh for (m, d), (zh, _) in FIXED_HOLIDAYS.items()}
        for day, name in {**fixed, **sched.holidays}.items():
            holidays.add(day)
            names.append((day, name or fixed.get(day, "")))
    return HolidaySchedule(frozenset(s.year for s in years), frozenset(holidays),
                           frozenset(d for s in years for d in s.workdays), tuple(sorted(names)))
