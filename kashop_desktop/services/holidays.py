"""Next year's holidays: load the State Council's schedule before chinese-calendar has it.

``load(desk, path)`` reads a schedule file (format in ``domain.holidays``), keeps its years in
the store's settings (a year loaded again is replaced), and re-computes what was computed
from the calendar while the year was unknown: the deadline of every open request and the
ETA of every refund not yet settled whose span reaches a loaded year. ``years(desk)`` tells,
for the years around now, where each day's answer comes from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..domain.calendar import (
    FIXED_HOLIDAYS,
    add_business_days,
    package_years,
    refund_eta,
    response_deadline,
)
from ..domain.clock import from_epoch, to_epoch
from ..domain.errors import DomainError
from ..domain.holidays import YearSchedule, from_setting, parse_schedule, to_setting
from ..domain.order import Channel
from ..domain.roles import Right
from ..store.models import CancelRequest, Order, Product, Refund
from .changes import Changes
from .desk import HOLIDAYS_SETTING, Desk

MAX_FILE_BYTES = 1_000_000


@dataclass(frozen=True)
class YearView:
    year: int
    source: str  # loaded | package | fixed_only
    holidays: list[tuple[date, str]] = field(default_factory=list)  # (day, name); fixed ones for fixed_only
    workdays: list[date] = field(default_factory=list)

    @property
    def exact(self) -> bool:
        return self.source != "fixed_only"


def read_schedule(path: Path) -> list[YearSchedule]:
    """Parse a schedule file (``.csv`` as CSV, anything else as JSON). Raises DomainError."""
    try:
        raw = path.read_bytes()[: MAX_FILE_BYTES + 1]
    except OSError as exc:
        raise DomainError("file_unreadable", f"无法读取文件 {path}：{exc.strerror}",
                          f"cannot read {path}: {exc.strerror}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise DomainError("invalid_holiday_schedule", f"{path} 太大，不像节假日安排",
                          f"{path} is too large for a holiday schedule")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainError("invalid_holiday_schedule", f"{path} 不是 UTF-8 文本", f"{path} is not UTF-8 text") from None
    return parse_schedule(text, csv_format=path.suffix.lower() == ".csv")


def load(desk: Desk, path: Path) -> tuple[Changes, list[int]]:
    """Load a schedule file; returns what was re-computed and the years loaded."""
    desk.require(Right.POLICY)
    years = read_schedule(path)
    return save_years(desk, years), [y.year for y in years]


def save_years(desk: Desk, years: list[YearSchedule]) -> Changes:
    """Keep these years (replacing any loaded before) and re-compute dates that depend on them."""
    desk.require(Right.POLICY)
    with desk.atomic():
        kept = {str(y.year): y for y in from_setting(desk.setting(HOLIDAYS_SETTING, {}))}
        kept.update({str(y.year): y for y in years})
        desk.set_setting(HOLIDAYS_SETTING, to_setting(list(kept.values())))
        return _recompute(desk, {y.year for y in years})


def remove_year(desk: Desk, year: int) -> Changes:
    """Forget a loaded year (the package's data, or the fixed holidays, answer again)."""
    desk.require(Right.POLICY)
    with desk.atomic():
        kept = [y for y in from_setting(desk.setting(HOLIDAYS_SETTING, {})) if y.year != year]
        desk.set_setting(HOLIDAYS_SETTING, to_setting(kept))
        return _recompute(desk, {year})


def years(desk: Desk, around: int | None = None) -> list[YearView]:
    """The loaded years, plus last, this and next year, with where their days come from."""
    loaded = {y.year: y for y in from_setting(desk.setting(HOLIDAYS_SETTING, {}))}
    this = around or desk.now().year
    views = []
    for year in sorted({*loaded, this - 1, this, this + 1}):
        if year in loaded:
            sched = desk.holidays()
            days = [(d, n) for d, n in sched.names if d.year == year]
            views.append(YearView(year, "loaded", days, sorted(loaded[year].workdays)))
        elif year in package_years():
            views.append(YearView(year, "package"))
        else:
            fixed = [(date(year, m, d), zh) for (m, d), (zh, _) in FIXED_HOLIDAYS.items()]
            views.append(YearView(year, "fixed_only", fixed))
    return views


def _touches(start: date, end: date, years: set[int]) -> bool:
    return any(start.year <= y <= end.year for y in years)


def _recompute(desk: Desk, years: set[int]) -> Changes:
    """Open requests' deadlines and unsettled refunds' ETAs that span a changed year."""
    changes = Changes()
    schedule = desk.holidays()
    add_business_days.cache_clear()
    products = {p.id: p for p in Product.select()}
    for req in CancelRequest.select(CancelRequest, Order).join(Order).where(CancelRequest.state == "open"):
        requested, due = from_epoch(req.requested_at), from_epoch(req.due_at)
        assert requested is not None and due is not None
        if not _touches(requested.date(), due.date(), years):
            continue
        product = products.get(req.order.product_id) if req.order.product_id is not None else None
        days = desk.product_policy(product).response_business_days
        new_due = to_epoch(response_deadline(requested, days, schedule))
        if new_due != req.due_at:
            CancelRequest.update(due_at=new_due).where(CancelRequest.id == req.id).execute()
            changes.request_ids.add(req.id)
            changes.order_ids.add(req.order_id)
    for ref in Refund.select().where(Refund.state.in_(("queued", "sending", "unknown", "succeeded"))
                                     & Refund.eta_latest.is_null(False) & Refund.channel.is_null(False)):
        start = from_epoch(ref.settled_at if ref.state == "succeeded" and ref.settled_at else ref.created_at)
        assert start is not None and ref.eta_latest is not None and ref.channel is not None
        if not _touches(start.date(), date.fromisoformat(ref.eta_latest), years):
            continue
        eta = refund_eta(Channel(ref.channel), start, schedule)
        if (eta.earliest.isoformat(), eta.latest.isoformat()) != (ref.eta_earliest, ref.eta_latest):
            Refund.update(eta_earliest=eta.earliest.isoformat(), eta_latest=eta.latest.isoformat()).where(
                Refund.id == ref.id).execute()
            changes.refund_ids.add(ref.id)
            changes.order_ids.add(ref.order_id)
    return changes

