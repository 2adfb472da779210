"""Reports (报表): sales, refunds, cancellations by reason and the time to answer a request,
per day, week or month, in total or per product, channel or gateway account.

Everything is read from the summary tables the store keeps (``store.report_tables``, schema
11): a report over a million orders reads a few thousand day rows by primary key, whatever
the size of the orders table. Days are Beijing days; a period's numbers are those of its days
between ``start`` and ``end`` (both included). Money is integer fen; a refund rate is in basis
points (1/10,000) rounded half up, from integers.

* sales: orders by the day they were paid: how many, the money received;
* refunds: of the orders paid in the period, how many have refunds that succeeded and how
  much was refunded (the rate is refunded / received); with the requests decided in the
  period: how many a person decided and their average time from request to decision, and how
  many the rules approved at once;
* reasons: cancellations by the day they happened and their reason (the buyer's reason
  code, ``expired`` for an unpaid order that timed out, ``unknown`` where none was recorded).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from ..domain.clock import SHOP_TZ, to_epoch
from ..domain.order import REASON_EN, REASON_ZH, Channel, ReasonCode
from .desk import Desk
from .maintenance import import_running

PERIODS = ("day", "week", "month")
SPLITS = ("product", "channel", "gateway")
KINDS = ("sales", "refunds", "reasons")
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
#: The Beijing dates a report, an export or a list takes (the store counts from 1970; a day
#: after 9998 leaves no room for the day after the range or the next period).
EARLIEST_DAY, LATEST_DAY = date(1970, 1, 1), date(9998, 12, 31)

#: Reason codes of cancellations beyond the buyer's (``domain.order.ReasonCode``).
EXTRA_REASONS = {"expired": ("超时未支付", "Unpaid, expired"), "unknown": ("未记录原因", "No reason recorded")}


def reason_label(code: str) -> tuple[str, str]:
    """A cancellation reason code as (Chinese, English)."""
    if code in EXTRA_REASONS:
        return EXTRA_REASONS[code]
    try:
        reason = ReasonCode(code)
    except ValueError:
        return code, code
    return REASON_ZH[reason], REASON_EN[reason]


def epoch_window(start: date | None, end: date | None) -> tuple[int | None, int | None]:
    """Beijing dates (both included) as epoch seconds [from, to): midnight of ``start`` and the
    midnight after ``end``."""
    low = to_epoch(datetime.combine(start, time(), SHOP_TZ)) if start else None
    high = to_epoch(datetime.combine(end + timedelta(days=1), time(), SHOP_TZ)) if end else None
    return low, high


def day_number(day: date) -> int:
    """A Beijing date as the day number the summary tables use (days since 1970-01-01)."""
    return day.toordinal() - _EPOCH_ORDINAL


def period_start(day: date, by: str) -> date:
    """The first day of the period (``day``, ``week`` from Monday, ``month``) holding ``day``."""
    if by == "week":
        return day - timedelta(days=day.weekday())
    if by == "month":
        return day.replace(day=1)
    return day


def period_label(start: date, by: str) -> str:
    """``2026-11-18``, ``2026-W47`` (ISO week), ``2026-11``."""
    if by == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if by == "month":
        return f"{start:%Y-%m}"
    return start.isoformat()


def period_last(first: date, by: str) -> date:
    """The last day of the period that starts on ``first``."""
    if by == "week":
        return first + timedelta(days=6)
    if by == "month":
        return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return first


def span_title(first: date, last: date, by: str, whole: bool) -> str:
    """A period as people read it, by its dates: ``2026-11-18``; a week ``2026-11-16–11-22``; a
    whole month ``2026-11``; a month the range covers in part by the days covered
    (``2026-11-01–11-18``). The year is written again only when it changes."""
    if first == last:
        return first.isoformat()
    if by == "month" and whole:
        return f"{first:%Y-%m}"
    tail = f"{last:%m-%d}" if last.year == first.year else last.isoformat()
    return f"{first.isoformat()}–{tail}"


def periods(start: date, end: date, by: str) -> list[date]:
    """Every period's first day from the one holding ``start`` to the one holding ``end``."""
    out: list[date] = []
    current = period_start(start, by)
    while current <= end:
        out.append(current)
        if by == "month":
            current = (current.replace(day=28) + timedelta(days=4)).replace(day=1)
        else:
            current += timedelta(days=7 if by == "week" else 1)
    return out


@dataclass
class Numbers:
    """One cell group of a report (all integers: fen, counts, seconds)."""

    orders: int = 0
    paid_fen: int = 0
    refunded_orders: int = 0
    refunded_fen: int = 0
    answered: int = 0  # requests decided by a person
    answer_seconds: int = 0  # their seconds from request to decision, summed
    auto_approved: int = 0  # requests the rules approved at once
    cancels: dict[str, int] = field(default_factory=dict)  # reason code -> cancellations

    @property
    def refund_rate_bp(self) -> int | None:
        """Refunded / received in basis points (half up), None when nothing was received."""
        if self.paid_fen <= 0:
            return None
        return (self.refunded_fen * 20_000 + self.paid_fen) // (2 * self.paid_fen)

    @property
    def average_answer_seconds(self) -> int | None:
        """A person's average time to answer a request (seconds, half up), None without any."""
        if not self.answered:
            return None
        return (2 * self.answer_seconds + self.answered) // (2 * self.answered)

    @property
    def cancelled(self) -> int:
        return sum(self.cancels.values())

    def add(self, other: Numbers) -> None:
        for name in ("orders", "paid_fen", "refunded_orders", "refunded_fen", "answered", "answer_seconds",
                     "auto_approved"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for reason, n in other.cancels.items():
            self.cancels[reason] = self.cancels.get(reason, 0) + n


@dataclass(frozen=True)
class Split:
    """One product, channel or gateway account of a split report ('' / 0 key: none)."""

    key: str
    zh: str
    en: str


@dataclass
class Report:
    """A report: ``periods`` (first days, with ``labels``), per period the totals, and, when
    split, per split key the numbers of each period (``by_split``) and over the whole range
    (``split_totals``), splits ordered by money received, then by cancellations."""

    kind: str
    by: str
    split: str | None
    start: date
    end: date
    periods: list[date]
    labels: list[str]
    totals: list[Numbers]
    total: Numbers
    splits: list[Split] = field(default_factory=list)
    by_split: dict[str, list[Numbers]] = field(default_factory=dict)
    split_totals: dict[str, Numbers] = field(default_factory=dict)
    #: Per period, the days of it the range covers (first, last) and whether that is only a
    #: part of the period (a week or month cut by ``start`` or ``end``).
    spans: list[tuple[date, date]] = field(default_factory=list)
    partial: list[bool] = field(default_factory=list)
    #: Per period, its dates as people read them (``span_title``).
    titles: list[str] = field(default_factory=list)
    #: A bulk import is running in another process: the numbers leave out its orders until it ends.
    incomplete: bool = False


def _split_column(split: str | None) -> str:
    return {"product": "product_id", "channel": "channel", "gateway": "gateway_id"}.get(split or "", "''")


def _period_column(by: str, server: bool = False) -> str:
    """SQL: the day number of the first day of the period holding ``day``, so the summary rows
    are added up per period by the store rather than per day in Python (``server``: in
    PostgreSQL's dialect)."""
    if by == "week":
        return "day - ((day + 3) % 7)"  # 1970-01-01 was a Thursday: the Monday on or before
    if by == "month" and server:
        return "(date_trunc('month', DATE '1970-01-01' + day::int)::date - DATE '1970-01-01')"
    if by == "month":
        return "CAST(julianday(day * 86400, 'unixepoch', 'start of month') - 2440587.5 AS INTEGER)"
    return "day"


def _read(desk: Desk, kind: str, start: date, end: date, by: str,
          split: str | None) -> Iterator[tuple[int, str, Numbers]]:
    """(first day number of the period, split key, numbers) for every period and key of the range."""
    low, high = day_number(start), day_number(end)
    column, period = _split_column(split), _period_column(by, desk.db_url is not None)
    db = desk.db
    if kind in ("sales", "refunds"):
        for first, key, orders, paid, r_orders, refunded in db.execute_sql(
                f"SELECT {period}, {column}, SUM(orders), SUM(paid_fen), SUM(refunded_orders), SUM(refunded_fen) "
                "FROM report_sales WHERE day BETWEEN ? AND ? GROUP BY 1, 2", (low, high)):
            yield first, str(key), Numbers(orders, paid, r_orders, refunded)
    if kind == "refunds":
        for first, key, auto, answered, seconds in db.execute_sql(
                f"SELECT {period}, {column}, auto, SUM(answered), SUM(seconds) FROM report_answers "
                "WHERE day BETWEEN ? AND ? GROUP BY 1, 2, 3", (low, high)):
            yield first, str(key), (Numbers(auto_approved=answered) if auto
                                    else Numbers(answered=answered, answer_seconds=seconds))
    if kind == "reasons":
        cancels: dict[tuple[int, str], dict[str, int]] = defaultdict(dict)
        for first, key, reason, n in db.execute_sql(
                f"SELECT {period}, {column}, reason, SUM(n) FROM report_cancels WHERE day BETWEEN ? AND ? "
                "GROUP BY 1, 2, 3", (low, high)):
            if n:
                cancels[(first, str(key))][reason] = n
        for (first, key), counts in cancels.items():
            yield first, key, Numbers(cancels=counts)


def report(desk: Desk, kind: str, start: date, end: date, by: str = "day", split: str | None = None) -> Report:
    """The ``kind`` report (``sales``, ``refunds``, ``reasons``) from ``start`` to ``end``
    (Beijing dates, both included) per ``by`` (``day``, ``week``, ``month``), in total or per
    ``split`` (``product``, ``channel``, ``gateway``). Raises ValueError for an unknown kind,
    period or split, a start after the end, or a date outside EARLIEST_DAY..LATEST_DAY."""
    if kind not in KINDS or by not in PERIODS or (split is not None and split not in SPLITS) or start > end \
            or start < EARLIEST_DAY or end > LATEST_DAY:
        raise ValueError(f"bad report: {kind} {by} {split} {start}..{end}")
    firsts = periods(start, end, by)
    index = {day_number(p): i for i, p in enumerate(firsts)}
    totals = [Numbers() for _ in firsts]
    by_split: dict[str, list[Numbers]] = defaultdict(lambda: [Numbers() for _ in firsts])
    for first, key, numbers in _read(desk, kind, start, end, by, split):
        i = index[first]
        totals[i].add(numbers)
        if split is not None:
            by_split[key][i].add(numbers)
    result = Report(kind, by, split, start, end, firsts, [period_label(p, by) for p in firsts], totals,
                    sum_numbers(totals))
    result.spans = [(max(p, start), min(period_last(p, by), end)) for p in firsts]
    result.partial = [(a, b) != (p, period_last(p, by)) for p, (a, b) in zip(firsts, result.spans, strict=True)]
    result.titles = [span_title(a, b, by, not part)
                     for (a, b), part in zip(result.spans, result.partial, strict=True)]
    result.incomplete = import_running(desk)
    if split is not None:
        result.by_split = dict(by_split)
        for key, series in by_split.items():
            result.split_totals[key] = sum_numbers(series)
        names = _split_names(desk, split)
        ordered = sorted(by_split, key=lambda k: (-result.split_totals[k].paid_fen,
                                                  -result.split_totals[k].cancelled, k))
        result.splits = [Split(k, *names.get(k, (k, k))) for k in ordered]
    return result


def sum_numbers(series: list[Numbers]) -> Numbers:
    total = Numbers()
    for numbers in series:
        total.add(numbers)
    return total


def _split_names(desk: Desk, split: str) -> dict[str, tuple[str, str]]:
    """Split keys as (Chinese, English) names."""
    none = ("（无）", "(none)")
    if split == "channel":
        names = {c.value: (c.zh, c.en) for c in Channel}
        return {"": none, **names}
    table = "product" if split == "product" else "gateway_account"
    rows: list[Any] = desk.db.execute_sql(f"SELECT id, name FROM {table}").fetchall()
    return {"0": none, **{str(i): (name, name) for i, name in rows}}


def default_range(desk: Desk, days: int = 30) -> tuple[date, date]:
    """The last ``days`` Beijing days up to today."""
    today = desk.now().date()
    return today - timedelta(days=days - 1), today
