"""Loose parsing of 彩虹's PHP replies: numbers as strings, money as yuan text, naive Beijing times."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from ...domain.errors import MoneyError
from ...domain.money import MAX_FEN, yuan_decimal_to_fen
from .signing import PHP_TRIM, php_string

#: 彩虹 sites run on Beijing time; ``addtime``/``endtime`` are naive server-local strings.
CHINA_TZ: Final = timezone(timedelta(hours=8), "Asia/Shanghai")
_INT_RE: Final = re.compile(r"^[+-]?\d+$")


def as_int(value: object) -> int | None:
    """PHP-loose integer: 1, "1", " 1 ", 1.0, "1.00" -> 1; anything else -> None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        text = value.strip(PHP_TRIM)
        if _INT_RE.match(text):
            return int(text)
        try:
            dec = Decimal(text)
        except InvalidOperation:
            return None
        if dec.is_finite() and dec == dec.to_integral_value():
            return int(dec)
    return None


def parse_money(value: object) -> int | None:
    """Yuan as PHP prints it ("1", "1.5", "1.00", or a JSON number) -> fen; None if absent/invalid."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        text = repr(value)
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, str):
        text = value.strip(PHP_TRIM)
    else:
        return None
    if not text:
        return None
    try:
        dec = Decimal(text)
    except InvalidOperation:
        return None
    if not dec.is_finite() or dec < 0 or dec * 100 > MAX_FEN:
        return None
    try:
        return yuan_decimal_to_fen(format(dec, "f"))
    except MoneyError:
        return None


def parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or text.startswith("0000"):
        return None
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=CHINA_TZ)
        except ValueError:
            continue
    return None


def text_of(value: object) -> str:
    text = php_string(value)
    return "" if text is None else text


def decode_body(body: bytes) -> dict[str, Any] | None:
    """Decode a PHP JSON reply; tolerates a BOM and PHP notices printed before the JSON."""
    try:
        text = body.decode("utf-8-sig").strip()
    except UnicodeDecodeError:
        return None
    obj: Any
    try:
        obj = json.loads(text)
    except ValueError:
        start = text.find("{")
        if start <= 0:
            return None
        try:
            obj, end = json.JSONDecoder().raw_decode(text, start)
        except ValueError:
            return None
        if text[end:].strip():
            return None
    return obj if isinstance(obj, dict) else None


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    data: dict[str, Any]
    body: bytes

    @property
    def code(self) -> int | None:
        return as_int(self.data.get("code"))

    @property
    def msg(self) -> str:
        return text_of(self.data.get("msg")).strip()
