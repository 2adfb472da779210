"""Money is integer fen inside the desk; yuan strings are parsed and printed only at the edges."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from .errors import MoneyError

Fen = int

#: One hundred million yuan: no single card-shop amount comes near it.
MAX_FEN: Fen = 100_000_000 * 100

# ASCII digits only (full-width ones are normalised to them first; Arabic-Indic and other scripts'
# digits, which Python's \d would take, are no way a Chinese shop writes an amount).
_YUAN_RE = re.compile(r"^(?P<sign>[-+]?)(?P<int>\d+)(?:\.(?P<frac>\d*))?$", re.ASCII)
# Commas only as thousands separators: "1,234.50"; "12,34" (a decimal comma?) is refused.
_GROUPED_RE = re.compile(r"^[-+]?\d{1,3}(,\d{3})+(\.\d*)?$", re.ASCII)


def parse_yuan(text: object, *, allow_negative: bool = False, allow_zero: bool = True) -> Fen:
    """Parse a yuan amount such as "12.5", "12.50", "¥12.50", "１２.５０", "1,234.50" into fen.

    Floats are refused (they cannot say 0.1 exactly); so are more than two decimals,
    negative amounts unless allowed, and absurd amounts above ``MAX_FEN``.
    """
    if isinstance(text, bool | float):
        raise MoneyError("金额必须以文本给出，不能是浮点数", "an amount must be text, not a float")
    if isinstance(text, int):
        text = str(text)
    if isinstance(text, Decimal):
        text = format(text, "f")
    if not isinstance(text, str):
        raise MoneyError("金额格式无效", "invalid amount")
    cleaned = _normalise(text)
    match = _YUAN_RE.match(cleaned)
    if not match:
        raise MoneyError(f"金额格式无效：{text!r}", f"invalid amount: {text!r}")
    frac = match.group("frac") or ""
    if len(frac) > 2:
        raise MoneyError(f"金额最多两位小数：{text!r}", f"at most two decimals allowed: {text!r}")
    whole = match.group("int")
    if len(whole) > 12:
        raise MoneyError(f"金额过大：{text!r}，最多 ¥100,000,000.00", f"amount too large: {text!r}, at most ¥100,000,000.00")
    fen = int(whole) * 100 + int(frac.ljust(2, "0"))
    if match.group("sign") == "-":
        fen = -fen
    return check_fen(fen, allow_negative=allow_negative, allow_zero=allow_zero)


def check_fen(fen: Fen, *, allow_negative: bool = False, allow_zero: bool = True) -> Fen:
    """Validate an integer fen amount and return it."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise MoneyError("金额必须是整数分", "an amount in fen must be an integer")
    if fen < 0 and not allow_negative:
        raise MoneyError("金额不能为负", "amount must not be negative")
    if fen == 0 and not allow_zero:
        raise MoneyError("金额必须大于零", "amount must be greater than zero")
    if abs(fen) > MAX_FEN:
        limit = format_yuan(MAX_FEN, symbol=True, grouped=True)
        raise MoneyError(f"金额过大：¥{format_yuan(abs(fen), grouped=True)}，最多 {limit}",
                         f"amount too large: ¥{format_yuan(abs(fen), grouped=True)}, at most {limit}")
    return fen


def format_yuan(fen: Fen, *, symbol: bool = False, grouped: bool = False) -> str:
    """Print fen as a yuan string with exactly two decimals: 1250 -> "12.50"; ``grouped`` puts
    thousands separators in the whole yuan (94181000 -> "941,810.00"), for reading, not for
    files a program reads back."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    text = f"{sign}{whole:,}.{cents:02d}" if grouped else f"{sign}{whole}.{cents:02d}"
    return f"¥{text}" if symbol else text


def yuan_decimal_to_fen(value: str) -> Fen:
    """Convert a gateway's decimal text ("1", "1.5", "0.01") to fen exactly."""
    try:
        dec = Decimal(value.strip())
    except (InvalidOperation, AttributeError) as exc:
        raise MoneyError(f"金额格式无效：{value!r}", f"invalid amount: {value!r}") from exc
    scaled = dec * 100
    if scaled != scaled.to_integral_value():
        raise MoneyError(f"金额最多两位小数：{value!r}", f"at most two decimals allowed: {value!r}")
    return int(scaled)


def _normalise(text: str) -> str:
    # Full-width digits and punctuation come from Chinese input methods.
    table = {ord("０") + i: ord("0") + i for i in range(10)}
    table.update({ord("．"): ord("."), ord("，"): ord(","), ord("－"): ord("-"), ord("＋"): ord("+")})
    cleaned = text.translate(table).strip()
    for prefix in ("¥", "￥", "RMB", "CNY"):
        if cleaned.upper().startswith(prefix):
            cleaned = cleaned[len(prefix):].strip()
    for suffix in ("元",):
        if cleaned.endswith(suffix):
            cleaned = cleaned[: -len(suffix)].strip()
    return cleaned.replace(",", "") if _GROUPED_RE.match(cleaned) else cleaned
