"""The short way of reading a row (``RowReader.packed``) gives exactly what the careful way gives.

A reader takes a row the short way when every repetitive cell is already in its column's memo
and every check passes, and leaves anything else to ``_careful`` (``parse``). Hypothesis builds
rows from good values and the hostile cells of the fixed corpus; one reader reads them all in
turn (its memos and shapes warm up as in a real file) and each row it reads the short way is
compared with a fresh reader's careful reading of the same row, packed as the checker packs it;
the checker's chunks are compared with those of a checker that never takes the short way.
"""

from __future__ import annotations

import contextlib
import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kashop_desktop.domain.contacts import contact_key
from kashop_desktop.services.imports.cells import read_contact, read_time
from kashop_desktop.services.imports.rows import PACKED_COLUMNS, Header, RowError, RowReader, _Column
from kashop_desktop.services.imports.stream import RowChecker

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


def _careful(reader: RowReader, cells: list[Any]) -> Any:
    """A row read the careful way and packed as the checker packs it, or its refusal."""
    try:
        data, warnings = reader._careful(cells)
    except RowError as exc:
        return ("refused", exc.column, exc.zh, exc.en)
    data["buyer_key"] = contact_key(data["buyer"])
    return tuple(data[column] for column in PACKED_COLUMNS), warnings


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ROW, min_size=1, max_size=40))
def test_the_short_way_reads_as_the_careful_way(rows: list[list[Any]]) -> None:
    header = Header.read(HEADER)
    reader = RowReader(header, None, {"epay-main": 7}, now=NOW)
    _warm(reader, header)
    for cells in rows:
        short = reader.packed(list(cells))
        if short is not None:
            assert short == _careful(RowReader(header, None, {"epay-main": 7}, now=NOW), list(cells))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ROW, min_size=1, max_size=60))
def test_the_checker_chunks_as_without_the_short_way(rows: list[list[Any]]) -> None:
    """Rows repeated (as real files repeat their shapes) through a checker, against a checker
    whose reader never takes the short way: the same chunks, refusals and warnings."""
    header = Header.read(HEADER)
    rows = rows + [list(cells) for cells in rows]

    def chunks(short: bool) -> list[Any]:
        reader = RowReader(header, None, {"epay-main": 7}, now=NOW)
        _warm(reader, header)
        if not short:
            reader.packed = lambda cells: None  # type: ignore[method-assign]
        checker = RowChecker(header, reader)
        return [(c.numbers, c.rows, c.warnings, c.counted, c.blank, c.found, c.error)
                for c in checker.chunks(iter(enumerate(map(list, rows), 2)), 7)]

    assert chunks(True) == chunks(False)


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
    """The comparisons above are not vacuous: a plain row, read a second time, is read the short way."""
    header = Header.read(HEADER)
    reader = RowReader(header, None, {}, now=NOW)
    row = ["KS1", "2026-11-18 09:05:00", "商品", "卡密", "1", "68.00", "", "", "68.00", "已完成",
           "2026-11-18 09:06:00", "2026-11-18 09:07:00", "支付宝", "", "2026111822000976511281669674",
           "13800138000", "是"]
    assert reader.packed(row) is None  # nothing in the memos yet
    reader.parse(row)
    short = reader.packed(row)
    assert short is not None and short == _careful(RowReader(header, None, {}, now=NOW), row)
    again = ["KS2", *row[1:]]  # the same shape: no column read again
    assert reader.packed(again) == _careful(RowReader(header, None, {}, now=NOW), again)
    assert len(reader._shares) == 1


def test_the_quick_cell_reads_match_the_general_ones() -> None:
    """The quick forms in ``read_time`` and ``read_contact`` give what the general path gives."""
    read_time("2026-11-18 00:00:00", None)  # the day is known from here on
    for text in ["2026-11-18 09:05:07", "2026-11-18 23:59:59", "2026-11-18 00:00:00"]:
        hours, minutes, seconds = (int(p) for p in text[11:].split(":"))
        assert read_time(text, None) == read_time("2026-11-18 00:00:00", None) + hours * 3600 + minutes * 60 + seconds
    assert read_time("", None) is None
    for text in ["13800138000", "+8613800138000", "qq:12345", "abc"]:
        assert read_contact(text) == text


GRID_HEADER = [*HEADER, "退款金额"]


def test_every_status_and_payment_reads_the_short_way_as_the_careful_way() -> None:
    """Every status, with and without payment and delivery times, trade nos (one cut short by
    Excel), known and unknown gateways, coupons and refunds: each row the short way takes
    (after its cells were read once) is what the careful way gives, and most good rows take it."""
    header = Header.read(GRID_HEADER)
    reader = RowReader(header, None, {"epay-main": 7}, now=NOW)
    short_ways = goods = 0
    grid = itertools.product(
        ["已完成", "已支付", "已发货", "待支付", "已取消", "已退款", "部分退款"],
        [("2026-11-18 09:06:00", "2026-11-18 09:07:00"), ("2026-11-18 09:06:00", ""), ("", "")],
        ["", "2026111822000976511281669674", "202611180001234000"],
        ["", "epay-main", "nosuch"],
        [("68.00", "", "68.00"), ("0.00", "", ""), ("5.00", "5.00", "0.00"), ("68.00", "", "0.00")],
        ["", "0", "10.00", "68.00"],
        ["KS1", "2026111800000000000"],
        ["支付宝", "wallet"],
    )
    for number, (status, (paid_at, delivered_at), trade_no, gateway, (listed, coupon, paid), refunded, order_no,
                 channel) in enumerate(grid):
        row = [f"{order_no}{number}" if order_no == "KS1" else order_no, "2026-11-18 09:05:00", "商品", "卡密", "1",
               listed, coupon, "", paid, status, paid_at, delivered_at, channel, gateway, trade_no, "13800138000",
               "", refunded]
        expected = _careful(RowReader(header, None, {"epay-main": 7}, now=NOW), row)
        with contextlib.suppress(RowError):
            reader.parse(row)  # the cells are now in their columns' memos
        for _ in range(2):  # the first builds the shape's share, the second uses it
            short = reader.packed(row)
            if short is not None:
                short_ways += 1
                assert short == expected, row
        goods += expected[0] != "refused"
    assert goods > 1000 and short_ways >= 2 * goods * 0.9
