"""The short way of reading a row (``RowReader._plain``) gives exactly what the careful way gives.

A reader takes a row the short way when every repetitive cell is already in its column's memo
and every check passes, and leaves anything else to ``_careful``. Hypothesis builds rows from
good values and the hostile cells of the fixed corpus; one reader reads them all in turn (its
memos warm up as in a real file) and each result, or the refusal with its column and words, is
compared with a fresh reader's careful reading of the same row.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kashop_desktop.services.imports.cells import read_contact, read_time
from kashop_desktop.services.imports.rows import Header, RowError, RowReader, _Column

from .corpus import HEADER, NASTY

pytestmark = pytest.mark.sqlite_only(reason="no store: a row read on its own")

NOW = 1_795_000_000  # 2026-11-18 (epoch seconds): the readers' clock, so "in the future" is fixed
GOOD: dict[str, list[str]] = {
    "订单号": ["KS202611180001", "KS202611180002", "T1", "2026111800000000001"],
    "下单时间": ["2026-11-18 09:05:00", "2026/11/18 9:05", "2026-11-17 23:59:59", "2026-11-18 09:05"],
    "商品": ["王者荣耀点券 680点", "中国移动话费 50元", "Steam 100"],
    "商品类型": ["卡密", "直充", "card_code"],
    "数量": ["1", "2", ""],
    "原价": ["68.00", "49.50", "5", ""],
    "优惠券": ["", "1.00", "0"],
    "积分": ["", "10", "0"],
    "实付金额": ["68.00", "49.50", "0.00", "5"],
    "状态": ["已完成", "已支付", "已发货", "待支付", "已取消", "已退款", "部分退款"],
    "支付时间": ["2026-11-18 09:06:00", "", "2026-11-18 10:00:00"],
    "发货时间": ["2026-11-18 09:07:00", "", "2026-11-18 11:00:00"],
    "支付方式": ["支付宝", "微信", "", "wallet"],
    "网关": ["", "epay-main"],
    "交易号": ["2026111822000976511281669674", "", "4200818242066320231129915459", "202611180001234000"],
    "买家": ["13800138000", "+8613800138000", "a.b@example.com", "qq:12345", "１３８００１３８０００", ""],
    "卡密已使用": ["是", "否", ""],
}
EDGE = ["2026-11-18 24:00:00", "2026-11-18 09:60:00", "2026-02-30 09:00:00", "2026-11-18 09:05:0x",
        "２０２６-11-18 09:05:00", "2026-11-18T09:05:00", "2099-12-31 23:59:59", "1.38e10", "13800138000.0",
        "#N/A", "'13800138000", '="KS1"', " 13800138000", "13800138000 ", "a@b.c"]


HOSTILE = [str(c) for c in NASTY if isinstance(c, str)] + EDGE


def _cell(name: str) -> st.SearchStrategy[str]:
    """Mostly a good value (a row of good cells is what the short way is for), now and then a hostile one."""
    return st.integers(0, 11).flatmap(lambda k: st.sampled_from(HOSTILE if k == 0 else GOOD[name]))


ROW = st.tuples(*(_cell(name) for name in HEADER)).map(list)


def _outcome(reader: RowReader, cells: list[Any], *, careful: bool) -> Any:
    try:
        return (reader._careful if careful else reader.parse)(cells)
    except RowError as exc:
        return ("refused", exc.column, exc.zh, exc.en)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ROW, min_size=1, max_size=40))
def test_the_short_way_reads_as_the_careful_way(rows: list[list[Any]]) -> None:
    header = Header.read(HEADER)
    reader = RowReader(header, None, {"epay-main": 7}, now=NOW)
    _warm(reader, header)
    for cells in rows:
        expected = _outcome(RowReader(header, None, {"epay-main": 7}, now=NOW), list(cells), careful=True)
        assert _outcome(reader, list(cells), careful=False) == expected


def _warm(reader: RowReader, header: Header) -> None:
    """Every column's memo filled with every value the rows may hold, as a long file leaves them
    (a refused row leaves the cells after its problem unread, so the rows alone warm them unevenly)."""
    columns = [value for value in vars(reader).values() if isinstance(value, _Column)]
    for column in columns:
        for text in {*HOSTILE, *(v for values in GOOD.values() for v in values)}:
            cells: list[Any] = [None] * (header.width + 1)
            if column.position < header.width:
                cells[column.position] = text
            with contextlib.suppress(RowError):
                column(cells)


def test_good_rows_take_the_short_way() -> None:
    """The comparison above is not vacuous: a plain row, read a second time, is read the short way."""
    header = Header.read(HEADER)
    reader = RowReader(header, None, {}, now=NOW)
    row = ["KS1", "2026-11-18 09:05:00", "商品", "卡密", "1", "68.00", "", "", "68.00", "已完成",
           "2026-11-18 09:06:00", "2026-11-18 09:07:00", "支付宝", "", "2026111822000976511281669674",
           "13800138000", "是"]
    assert reader._plain(row) is None  # nothing in the memos yet
    first = reader.parse(row)
    assert reader._plain(row) == first


def test_the_quick_cell_reads_match_the_general_ones() -> None:
    """The quick forms in ``read_time`` and ``read_contact`` give what the general path gives."""
    read_time("2026-11-18 00:00:00", None)  # the day is known from here on
    for text in ["2026-11-18 09:05:07", "2026-11-18 23:59:59", "2026-11-18 00:00:00"]:
        hours, minutes, seconds = (int(p) for p in text[11:].split(":"))
        assert read_time(text, None) == read_time("2026-11-18 00:00:00", None) + hours * 3600 + minutes * 60 + seconds
    assert read_time("", None) is None
    for text in ["13800138000", "+8613800138000", "qq:12345", "abc"]:
        assert read_contact(text) == text
