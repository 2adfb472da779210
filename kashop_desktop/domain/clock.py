"""Time at the shop: Beijing time (UTC+8) for people, epoch seconds in the store."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

SHOP_TZ = timezone(timedelta(hours=8), "CST")


def now() -> datetime:
    return datetime.now(SHOP_TZ).replace(microsecond=0)


def to_epoch(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHOP_TZ)
    return int(moment.timestamp())


def from_epoch(seconds: int | None) -> datetime | None:
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, SHOP_TZ)


def parse_time(text: str) -> datetime:
    """ISO 8601 or 'YYYY-MM-DD HH:MM[:SS]' / 'YYYY/MM/DD ...'; naive times are Beijing time."""
    value = text.strip().replace("/", "-")
    if not value:
        raise ValueError("empty time")
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHOP_TZ)
    return moment.astimezone(SHOP_TZ)


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
