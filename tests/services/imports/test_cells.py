"""Cells as Excel, WPS and web shops write them: times, money, ids and counts."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH

from kashop_desktop.domain.clock import SHOP_TZ, to_epoch
from kashop_desktop.services.imports.cells import (
    CellError,
    clean_text,
    read_contact,
    read_count,
    read_id,
    read_money,
    read_time,
)

pytestmark = pytest.mark.sqlite_only(reason="CI time: how a file is read (encodings, Excel cells, refusals) is the same on either store; the import's writes run on both in test_window_hooks, test_importfix and test_newcomer")

AT_0905 = to_epoch(datetime(2026, 11, 18, 9, 5, tzinfo=SHOP_TZ))
AT_1505 = to_epoch(datetime(2026, 11, 18, 15, 5, tzinfo=SHOP_TZ))


@pytest.mark.parametrize("text", [
    "2026/11/18 9:05", "2026/11/18 09:05", "2026-11-18 09:05:00", "2026-11-18 9:05:00.000", "2026-11-18T09:05",
    "2026年11月18日 9:05", "2026年11月18日9:05:00", "2026年11月18日 9时05分", "2026年11月18日 9时5分0秒",
    "2026/11/18 上午 9:05", "2026/11/18 上午9:05:00", "2026/11/18 9:05 AM", "2026-11-18T01:05:00Z",
    "2026-11-18T09:05:00+08:00", "2026-11-18 02:05:00+01:00", "２０２６/１１/１８ ９:０５", "2026.11.18 9:05",
    " 2026/11/18 9:05\u200b", "2026年11月18日 星期三 9:05", "2026/11/18 周三 上午9:05",
])
def test_every_way_excel_and_wps_write_a_morning_time(text: str) -> None:
    assert read_time(text, None) == AT_0905


@pytest.mark.parametrize("text", ["2026/11/18 下午 3:05", "2026/11/18 下午3:05:00", "2026/11/18 3:05 PM",
                                  "2026年11月18日 下午3时05分", "2026-11-18 15:05"])
def test_afternoon_in_twelve_hour_forms(text: str) -> None:
    assert read_time(text, None) == AT_1505


def test_twelve_oclock_am_is_midnight_and_pm_is_noon() -> None:
    assert read_time("2026/11/18 上午12:30", None) == to_epoch(datetime(2026, 11, 18, 0, 30, tzinfo=SHOP_TZ))
    assert read_time("2026/11/18 下午12:30", None) == to_epoch(datetime(2026, 11, 18, 12, 30, tzinfo=SHOP_TZ))
    with pytest.raises(CellError):
        read_time("2026/11/18 下午13:30", None)


def test_xlsx_date_cells_and_serials_in_both_date_systems() -> None:
    assert read_time(datetime(2026, 11, 18, 9, 5), WINDOWS_EPOCH) == AT_0905
    serial_1900 = (datetime(2026, 11, 18, 9, 5) - WINDOWS_EPOCH) / timedelta(days=1)
    serial_1904 = (datetime(2026, 11, 18, 9, 5) - MAC_EPOCH) / timedelta(days=1)
    assert serial_1900 - serial_1904 == 1462  # the two systems are four years and a day apart
    assert read_time(serial_1900, WINDOWS_EPOCH) == AT_0905
    assert read_time(serial_1904, MAC_EPOCH) == AT_0905


@pytest.mark.parametrize("value", [
    "9999-12-31T23:59:59-12:00", "0001-01-01 00:00", "1900-01-00 00:00", "2026-02-30 09:00", "2026-11-18 25:00",
    "2026-11-18", "2026/11/18", "not a date", "46344.375", "2026-11-18 09:05+99:00", 46344.375, 1e300, -5,
    datetime(9999, 12, 31, 23, 59), date(2026, 11, 18), time(9, 5), timedelta(hours=9), "2026-11-18 09:05²",
])
def test_times_out_of_range_or_incomplete_are_refused(value: object) -> None:
    with pytest.raises(CellError) as caught:
        read_time(value, None)  # type: ignore[arg-type]
    assert caught.value.zh and caught.value.en


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf"), 0.5, 1e308, True])
def test_serials_that_are_no_date_are_refused(value: float) -> None:
    with pytest.raises(CellError):
        read_time(value, WINDOWS_EPOCH)


@pytest.mark.parametrize(("value", "fen"), [
    ("6", 600), ("6.00", 600), ("¥6.5", 650), ("￥1,234.50", 123450), ("1,234", 123400), ("６.００", 600),
    ("12元", 1200), (6, 600), (6.0, 600), (5.3999999999999995, 540), (0.1 + 0.2, 30), ("0", 0),
])
def test_money_as_written(value: object, fen: int) -> None:
    assert read_money(value) == fen  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["12,34", "1,23,4", "6.001", 5.123, "-6", "²", "①", "6e2", "1" * 20, True,
                                   "#DIV/0!", "#N/A", datetime(2026, 1, 1), 1e20, "nan", "inf"])
def test_ambiguous_or_wrong_money_is_refused(value: object) -> None:
    with pytest.raises(CellError):
        read_money(value)  # type: ignore[arg-type]


def test_empty_money_is_none_not_zero() -> None:
    assert read_money("") is None and read_money(None) is None and read_money("  ") is None


@pytest.mark.parametrize("value", [2.02611e17, 202611180900012345, 1001, "2.02611E+17", "2.02611e+27", "1E5",
                                   datetime(2026, 1, 1)])
def test_ids_excel_turned_into_numbers_are_refused_with_the_text_hint(value: object) -> None:
    with pytest.raises(CellError) as caught:
        read_id(value)  # type: ignore[arg-type]
    assert "文本" in caught.value.zh and "Text" in caught.value.en


@pytest.mark.parametrize(("value", "clean"), [
    ("KS\u200b001", "KS001"), ("\ufeffKS001", "KS001"), ("KS\u202e100\u202c", "KS100"), ("KS\u2066001\u2069", "KS001"),
    ("  KS001 ", "KS001"), ("ＫＳ００１", "KS001"),
])
def test_invisible_characters_are_cleaned_from_ids(value: str, clean: str) -> None:
    assert read_id(value) == clean


@pytest.mark.parametrize("value", ["KS\x00001", "KS\x07", "KS 001", "K" * 65, "x" * 131_073])
def test_control_characters_spaces_and_overlong_ids_are_refused(value: str) -> None:
    with pytest.raises(CellError):
        read_id(value)


def test_counts_refuse_superscripts_circled_digits_and_huge_numbers() -> None:
    assert read_count("3") == 3 and read_count("３") == 3 and read_count(2.0) == 2 and read_count("") is None
    for bad in ("²", "①", "٣", "1.5", 1.5, "99999999999999999999", 10**19, "-1", True):
        with pytest.raises(CellError):
            read_count(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [13800138000, 13800138000.0, 1.38001e10, 1012345678, 123456789])
def test_contacts_in_number_cells_are_refused_with_the_text_hint(value: object) -> None:
    with pytest.raises(CellError) as caught:
        read_contact(value)  # type: ignore[arg-type]
    assert "文本" in caught.value.zh and "as Text" in caught.value.en


def test_contacts_as_text_are_kept() -> None:
    assert read_contact(" 13800138000 ") == "13800138000" and read_contact("a@b.cn") == "a@b.cn"
    with pytest.raises(CellError):
        read_contact("1.38001E+10")


def test_clean_text_refuses_formula_errors() -> None:
    assert clean_text(None) == "" and clean_text(" a ") == "a"
    with pytest.raises(CellError):
        clean_text("#REF!")


class Written(str):
    """A text cell that the readers' shortcuts do not recognise (``type(value) is str`` is
    False), so it takes the general path: the reference the shortcuts must agree with."""


def outcome(reader: object, value: str) -> object:
    try:
        return reader(value)  # type: ignore[operator]
    except CellError as exc:
        return ("refused", exc.zh, exc.en)


TIME_PARTS = (["1999", "2000", "2026", "2099", "2100", "0000"], ["-", "/"], ["1", "01", "02", "12", "13", "00"],
              ["-", "/"], ["1", "01", "28", "29", "30", "31", "32", "00"], [" ", "T"],
              ["0:", "00:", "9:", "09:", "23:", "24:", "99:"], ["00", "05", "59", "60", "5"],
              ["", ":00", ":59", ":60", ":5", ":99"])


def test_the_time_shortcut_reads_exactly_what_the_general_parser_reads() -> None:
    rng = random.Random(5)
    texts = ["".join(rng.choice(choices) for choices in TIME_PARTS) for _ in range(6000)]
    texts += ["2024-02-29 23:59:59", "2023-02-29 10:00", "2099-12-31 23:59:59", "2000-01-01 00:00:00"]
    # The 19-character form with a day already read, and digits or separators that only look right.
    texts += ["2026-11-18 09:05:00", "2026-11-18 ０9:05:00", "2026-11-18 09:05:0٥", "2026-11-18 09：05:00",
              "2026-11-18 09:05：00", "2026-11-18 09.05:00", "2026-11-18 9:05:000", "2026-11-18 -9:05:00",
              "2026-11-18 09:-5:00", "2026-11-18 09:05:-0", "2026-11-18 ²9:05:00", "2026-11-18 23:59:60"]
    for text in texts:
        assert outcome(lambda v: read_time(v, None), text) == outcome(lambda v: read_time(v, None), Written(text)), text


@given(st.text(alphabet="0123456789AEZaez", min_size=0, max_size=70))
@settings(max_examples=400, deadline=None)
def test_the_id_shortcut_reads_exactly_what_the_general_reader_reads(text: str) -> None:
    assert outcome(read_id, text) == outcome(read_id, Written(text))
