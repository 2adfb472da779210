"""One cell of an import file, as Excel, WPS or a web shop wrote it, read into our types.

A cell is a ``str`` from CSV; from XLSX it may also be ``int``, ``float``, ``bool``,
``datetime``, ``date``, ``time`` or ``timedelta`` (what openpyxl gives for the stored value, or
for a formula, its cached value). Each reader returns the value or raises ``CellError`` with
a message in Chinese and English; nothing here guesses.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from functools import lru_cache

from ...domain.clock import SHOP_TZ, to_epoch
from ...domain.errors import DomainError
from ...domain.ids import EXCEL_POINT_ZERO, EXCEL_SCIENTIFIC, MAX_TRADE_NO
from ...domain.money import Fen, parse_yuan

Cell = str | int | float | bool | datetime | date | time | timedelta | None

#: Longest cell accepted (the csv module's own limit; Excel's is 32,767).
MAX_CELL = 131_072
#: Integers stored in the shop must fit SQLite's 64-bit INTEGER with room to spare.
MAX_COUNT = 1_000_000_000
#: Orders dated outside these years are typing or conversion errors (Excel's day 0 is 1900).
YEARS = (2000, 2099)

TEXT_HINT_ZH = "请在 Excel/WPS 中把该列设为「文本」格式，再从网店重新导出并打开，然后导入"
TEXT_HINT_EN = ("format the column as Text in Excel or WPS, open the shop's original export again "
                "(or re-export it) and import that")
EXCEL_ERRORS = frozenset({"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#SPILL!",
                          "#CALC!", "#GETTING_DATA"})

# Zero-width, bidi-control, soft-hyphen, word-joiner and BOM characters: invisible, so an
# owner cannot see them in an id; removing them gives what the owner sees.
_INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_SCIENTIFIC = EXCEL_SCIENTIFIC
_WHOLE = re.compile(r"^[0-9]+$")
_PLAIN_YUAN = re.compile(r"^([0-9]{1,8})(?:\.([0-9]{0,2}))?$")
_GROUPED = re.compile(r"^[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]*)?$")
_SERIAL = re.compile(r"^[0-9]{5}(\.[0-9]+)?$")
_TIME = re.compile(
    r"^(?P<y>[0-9]{4})\s*[-/.年]\s*(?P<m>[0-9]{1,2})\s*[-/.月]\s*(?P<d>[0-9]{1,2})\s*日?"
    r"(?:\s*(?:星期|周)[一二三四五六日天])?"
    r"(?:(?:\s*[T ]\s*|\s*)(?P<ap1>上午|下午|AM|PM)?\s*(?P<H>[0-9]{1,2})\s*[:时點点]\s*(?P<M>[0-9]{1,2})"
    r"(?:\s*[:分]\s*(?P<S>[0-9]{1,2})(?:[.,](?P<frac>[0-9]+))?\s*秒?|\s*分)?"
    r"\s*(?P<ap2>上午|下午|AM|PM)?\s*(?P<tz>Z|[+-][0-9]{2}:?[0-9]{2})?)?$",
    re.IGNORECASE,
)


_FORMULA_TEXT = re.compile(r'^="(.*)"$', re.DOTALL)
_POINT_ZERO = EXCEL_POINT_ZERO


def unwrap_excel_text(text: str) -> str:
    """The text inside the usual ways of keeping Excel from turning a value into a number:
    ``="202611180001234567"`` (a formula that gives the text, ``""`` inside for a quote) and a
    leading apostrophe ``'13800138000``; any other text is returned as it is."""
    if text.startswith('="'):
        match = _FORMULA_TEXT.match(text)
        if match:
            return match.group(1).replace('""', '"').strip()
    if text.startswith("'") and len(text) > 1:
        return text[1:].strip()
    return text


def looks_truncated(text: str) -> bool:
    """An id of 16 or more digits whose digits after the 15th are all 0: what Excel writes out
    for a long number it kept to 15 significant digits (``202611180001234000``)."""
    return len(text) >= 16 and text[-1] == "0" and text.isdigit() and not text[15:].strip("0")


TRUNCATED_ZH = f"编号末尾是一串 0，像是被 Excel 截成了 15 位有效数字；{TEXT_HINT_ZH}"
TRUNCATED_EN = (f"the id ends in a run of zeros, as Excel writes a long number it cut to 15 significant "
                f"digits; {TEXT_HINT_EN}")


#: What a formula cell saved without a value reads as (a control character: no real cell holds it).
NO_SAVED_VALUE = "\x00formula without a saved value"


class CellError(DomainError):
    """A cell that cannot be read as its column's type; carries no column (the row adds it)."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__("invalid_cell", zh, en)


def clean_text(value: Cell) -> str:
    """Text of a cell with invisible characters removed and outer whitespace stripped.

    Raises CellError for control characters (NUL and the like), cells longer than MAX_CELL,
    and Excel error values such as ``#DIV/0!`` that a formula left behind.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    text = value if isinstance(value, str) else str(value)
    if text is NO_SAVED_VALUE or text == NO_SAVED_VALUE:
        raise CellError("公式没有保存的值（文件保存时未计算）；请在 Excel/WPS 中打开，重新计算并保存",
                        "a formula without a saved value (the file was saved without calculating); open it in "
                        "Excel or WPS, recalculate and save it again")
    if len(text) > MAX_CELL:
        raise CellError(f"单元格超过 {MAX_CELL} 个字符", f"cell longer than {MAX_CELL} characters")
    if not text.isprintable():
        text = _INVISIBLE.sub("", text)
        bad = _CONTROL.search(text)
        if bad:
            code = f"U+{ord(bad.group()):04X}"
            raise CellError(f"含有不可见的控制字符 {code}", f"contains the control character {code}")
    text = text.strip()
    if text in EXCEL_ERRORS:
        raise CellError(f"公式出错：{text}", f"the formula gave an error: {text}")
    return text


def read_id(value: Cell, *, max_len: int = MAX_TRADE_NO) -> str:
    """An order no, trade no or contact exactly as text; refuses what Excel turned into a number."""
    if type(value) is str and len(value) <= max_len and value.isascii() and value.isalnum() \
            and not ("e" in value or "E" in value):
        return value  # the common case: nothing to clean, no way to be read as a number
    if isinstance(value, int | float) and not isinstance(value, bool):
        shown = f"{value:.15g}" if isinstance(value, float) else str(value)
        raise CellError(f"编号被 Excel 存成了数字（{shown}），末尾数字或开头的 0 可能已丢失；{TEXT_HINT_ZH}",
                        f"Excel stored this id as a number ({shown}), so digits or leading zeros may be "
                        f"lost; {TEXT_HINT_EN}")
    if isinstance(value, datetime | date | time | timedelta):
        raise CellError(f"编号被 Excel 存成了日期；{TEXT_HINT_ZH}", f"Excel stored this id as a date; {TEXT_HINT_EN}")
    text = unwrap_excel_text(clean_text(value).translate(_FULL_WIDTH))
    if _POINT_ZERO.match(text):
        raise CellError(f"编号带着 .0（{text}），Excel 把它当成了数字，长编号的末尾可能已丢失；{TEXT_HINT_ZH}",
                        f"the id ends in .0 ({text}): Excel took it for a number, so the end of a long id may be "
                        f"lost; {TEXT_HINT_EN}")
    if _SCIENTIFIC.match(text):
        raise CellError(f"编号是科学计数法（{text}），Excel 已截断了它；{TEXT_HINT_ZH}",
                        f"the id is in scientific notation ({text}): Excel has cut it short; {TEXT_HINT_EN}")
    if " " in text or not text.isprintable():  # after clean_text only whitespace can be unprintable
        raise CellError("编号中不能有空格", "an id must not contain spaces")
    if len(text) > max_len:
        raise CellError(f"编号超过 {max_len} 个字符", f"id longer than {max_len} characters")
    return text


#: A contact starting with one of these may need cleaning or unwrapping (or be an Excel error value).
_CONTACT_SLOW_START = frozenset(" #='")


def read_contact(value: Cell) -> str:
    """A buyer's phone, QQ or e-mail as text. A number cell from XLSX is refused with the
    format-as-text hint, as for ids: Excel keeps 15 digits and drops leading zeros, so what it
    shows may not be what the buyer wrote (``1.38001E+10`` reads back as 13800100000)."""
    if type(value) is str and 0 < len(value) <= 200 and value.isascii() and value.isprintable() \
            and value[0] not in _CONTACT_SLOW_START and value[-1] != " " \
            and not ("." in value or "e" in value or "E" in value):
        return value  # the common case: nothing to clean or unwrap, no way to be read as a number
    if isinstance(value, int | float | datetime | date | time | timedelta) and not isinstance(value, bool):
        return read_id(value)  # raises with the hint
    text = unwrap_excel_text(clean_text(value))
    shown = text.translate(_FULL_WIDTH)
    if _SCIENTIFIC.match(shown) or _POINT_ZERO.match(shown):
        return read_id(text)  # raises with the hint
    if len(text) > 200:
        raise CellError("买家联系方式超过 200 个字符", "buyer contact longer than 200 characters")
    return text


#: What a spreadsheet would read as a formula: an export (the desk's own among them) writes such a
#: text cell with a leading apostrophe, which is not part of the value.
_GUARDED = ("'=", "'+", "'-", "'@")


def read_name(value: Cell, *, max_len: int = 200) -> str:
    """A product or gateway name: inner runs of whitespace (Alt+Enter line breaks) become one space;
    a formula guard's leading apostrophe (``'+1年QQ会员``, as an export writes ``+1年QQ会员``) is dropped."""
    text = " ".join(clean_text(value).split())
    if text.startswith(_GUARDED):
        text = text[1:]
    if len(text) > max_len:
        raise CellError(f"名称超过 {max_len} 个字符", f"name longer than {max_len} characters")
    return text


def read_money(value: Cell) -> Fen | None:
    """Yuan with at most two decimals, as fen; None for an empty cell.

    Commas are accepted only as thousands separators (``1,234.50``); ``12,34`` is refused as
    ambiguous. A number cell is read as Excel shows it (15 significant digits), so a formula's
    cached ``5.3999999999999995`` reads as 5.40, while ``5.123`` is refused.
    """
    if isinstance(value, (bool, datetime | date | time | timedelta)):
        raise CellError("金额单元格不是数字", "the amount cell is not a number")
    if isinstance(value, float):
        value = f"{value:.15g}"
        if "e" in value:
            raise CellError(f"金额无效：{value}", f"invalid amount: {value}")
    text = clean_text(value).translate(_FULL_WIDTH)
    if not text:
        return None
    plain = _PLAIN_YUAN.match(text)
    if plain:  # the common case, without the general parser's normalising
        return int(plain.group(1)) * 100 + int((plain.group(2) or "").ljust(2, "0"))
    bare = text.lstrip("¥￥").strip()
    if "," in bare and not _GROUPED.match(bare.removesuffix("元").strip()):
        raise CellError(f"金额有歧义：{text}（逗号只能作千位分隔符，小数请用点号）",
                        f"ambiguous amount: {text} (a comma may only separate thousands; use a point "
                        "for decimals)")
    try:
        return parse_yuan(text)
    except DomainError as exc:
        raise CellError(exc.zh, exc.en) from None


def read_count(value: Cell, *, low: int = 0, high: int = MAX_COUNT) -> int | None:
    """A whole number in [low, high] (ASCII or full-width digits); None for an empty cell."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif value is None or isinstance(value, str):
        text = clean_text(value).translate(_FULL_WIDTH)
        if not text:
            return None
        if text.startswith("-") and _WHOLE.match(text[1:]) and len(text) <= 13:
            raise CellError(f"应不小于 {low}：{text}", f"must be >= {low}: {text}")
        if not _WHOLE.match(text) or len(text) > 12:
            raise CellError(f"应为整数：{text}", f"must be a whole number: {text}")
        number = int(text)
    else:
        raise CellError(f"应为整数：{clean_text(value)}", f"must be a whole number: {clean_text(value)}")
    if number < low:
        raise CellError(f"应不小于 {low}：{number}", f"must be >= {low}: {number}")
    if not low <= number <= high:
        raise CellError(f"应在 {low} 到 {high} 之间：{number}", f"must be between {low} and {high}: {number}")
    return number


def read_time(value: Cell, epoch: datetime | None) -> int | None:
    """Epoch seconds of a date and time; None for an empty cell. Naive times are Beijing time.

    Reads Excel/XLSX date cells, XLSX date serials in cells formatted as numbers (``epoch`` is
    the workbook's 1900 or 1904 date system; None for CSV), and text such as
    ``2026/11/18 9:05``, ``2026-11-18 09:05:00``, ``2026年11月18日 9:05``,
    ``2026/11/18 下午 3:05`` and ISO 8601 with an offset. A date without a time is refused.
    """
    if type(value) is str:
        if not value:
            return None
        if len(value) == 19 and value[10] == " ":
            midnight = _MIDNIGHTS.get(value[:10])  # only days the general parser has read
            if midnight is not None:
                clock = _CLOCK.get(value[11:16])  # ASCII "HH:MM" of a real time of day only
                second = _SECONDS.get(value[16:])
                if clock is not None and second is not None:
                    return midnight + clock + second
        fast = _FAST_TIME.match(value)
        if fast is not None:
            at = _fast_time(fast)
            if at is not None:
                return at
    if isinstance(value, datetime):
        return _checked(value)
    if isinstance(value, time | timedelta):
        raise CellError("只有时刻，没有日期", "a time of day without a date")
    if isinstance(value, date):
        raise CellError("只有日期，没有时刻", "a date without a time of day")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _serial(float(value), epoch)
    text = clean_text(value).translate(_FULL_WIDTH)
    if not text:
        return None
    return _parse_time_text(text)


#: The forms exports write most (``2026-11-18 09:05:00``, ``2026/11/18 9:05``): the date part is
#: read once per day through the general parser, the time of day by arithmetic (Beijing time has
#: no daylight saving). Anything else, or any doubt, goes the general way.
_FAST_TIME = re.compile(r"([0-9]{4}[-/][0-9]{1,2}[-/][0-9]{1,2})[ T]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?\Z")
_MIDNIGHTS: dict[str, int | None] = {}
#: Seconds since midnight of each ``HH:MM`` (00:00 to 23:59) and of each ``:SS`` (:00 to :59): the
#: 19-character form's time of day read by two look-ups.
_CLOCK = {f"{h:02d}:{m:02d}": h * 3600 + m * 60 for h in range(24) for m in range(60)}
_SECONDS = {f":{s:02d}": s for s in range(60)}


def _fast_time(match: re.Match[str]) -> int | None:
    """Epoch seconds for a ``_FAST_TIME`` match, or None to take the general parser (a day it
    refuses, an hour past 23...); gives exactly what ``_parse_time_text`` gives."""
    day, hour, minute, second = match.groups()
    hours, minutes, seconds = int(hour), int(minute), int(second or 0)
    if hours > 23 or minutes > 59 or seconds > 59:
        return None
    midnight = _MIDNIGHTS.get(day, -1)
    if midnight == -1:
        if len(_MIDNIGHTS) >= 100_000:
            _MIDNIGHTS.clear()
        try:
            midnight = _MIDNIGHTS[day] = _parse_time_text(day + " 0:00")
        except CellError:
            midnight = _MIDNIGHTS[day] = None
    if midnight is None:
        return None
    return midnight + hours * 3600 + minutes * 60 + seconds


@lru_cache(maxsize=8192)
def _parse_time_text(text: str) -> int:
    match = _TIME.match(text)
    if match is None:
        if _SERIAL.match(text):
            raise CellError(f"时间是 Excel 的日期序号（{text}）：请把该列设为日期格式后再保存",
                            f"the time is an Excel date serial ({text}): format the column as a date "
                            "and save again")
        raise CellError(f"时间格式无效：{text}", f"invalid time: {text}")
    if match.group("H") is None:
        raise CellError(f"只有日期，没有时刻：{text}", f"a date without a time of day: {text}")
    year, month, day = int(match.group("y")), int(match.group("m")), int(match.group("d"))
    hour, minute = int(match.group("H")), int(match.group("M"))
    second = int(match.group("S") or 0)
    hour = _twelve_hour(hour, (match.group("ap1") or match.group("ap2") or "").upper(), text)
    tz = _offset(match.group("tz"))
    if not YEARS[0] <= year <= YEARS[1]:
        raise CellError(f"日期超出范围（{YEARS[0]}–{YEARS[1]} 年）：{text}",
                        f"date out of range ({YEARS[0]}-{YEARS[1]}): {text}")
    try:
        moment = datetime(year, month, day, hour, minute, second, tzinfo=tz)
    except ValueError:
        raise CellError(f"不存在的日期或时刻：{text}", f"no such date or time: {text}") from None
    return _checked(moment)


def _twelve_hour(hour: int, marker: str, text: str) -> int:
    if not marker:
        return hour
    if not 1 <= hour <= 12:
        raise CellError(f"上午/下午的钟点应为 1–12：{text}", f"a 12-hour time needs an hour of 1-12: {text}")
    afternoon = marker in ("下午", "PM")
    return (hour % 12) + (12 if afternoon else 0)


def _offset(text: str | None) -> timezone:
    if not text:
        return SHOP_TZ
    if text.upper() == "Z":
        return UTC
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 14 or minutes > 59:
        raise CellError(f"时区偏移无效：{text}", f"invalid UTC offset: {text}")
    sign = -1 if text[0] == "-" else 1
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _serial(number: float, epoch: datetime | None) -> int:
    if epoch is None:
        raise CellError(f"时间是一个数字（{number:.15g}）：请把该列设为日期格式后再保存",
                        f"the time is a number ({number:.15g}): format the column as a date and save again")
    if not math.isfinite(number) or not 1 <= number < 80_000:
        raise CellError(f"日期序号超出范围：{number:.15g}", f"date serial out of range: {number:.15g}")
    days = Decimal(repr(number))
    naive = epoch.replace(tzinfo=None)  # serials before 1900-03-01 are refused as out of range anyway
    seconds = int((days * 86400).to_integral_value())
    return _checked(naive + timedelta(seconds=seconds))


def _checked(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHOP_TZ)
    try:
        local = moment.astimezone(SHOP_TZ)
    except (OverflowError, ValueError):
        local = None
    if local is None or not YEARS[0] <= local.year <= YEARS[1]:
        shown = moment.isoformat(sep=" ")
        raise CellError(f"日期超出范围（{YEARS[0]}–{YEARS[1]} 年）：{shown}",
                        f"date out of range ({YEARS[0]}-{YEARS[1]}): {shown}")
    return to_epoch(local)
