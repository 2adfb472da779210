"""Money: yuan strings in, integer fen inside, never a float."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kashop_desktop.domain.errors import MoneyError
from kashop_desktop.domain.money import MAX_FEN, format_yuan, parse_yuan, yuan_decimal_to_fen


@pytest.mark.parametrize(
    ("text", "fen"),
    [("12.5", 1250), ("12.50", 1250), ("¥12.50", 1250), ("￥0.01", 1), ("12", 1200), ("1,234.56", 123456),
     ("１２.５", 1250), ("12.5元", 1250), (" 3.00 ", 300), ("0", 0)],
)
def test_parse_yuan_accepts_what_owners_type(text: str, fen: int) -> None:
    assert parse_yuan(text) == fen


@pytest.mark.parametrize("bad", ["12.505", "abc", "", "1.2.3", "¥", "--1", "1e3", "١٠٠", "٣.٥٠", "१००", "١,٠٠٠"])
def test_parse_yuan_rejects_malformed(bad: str) -> None:
    with pytest.raises(MoneyError):
        parse_yuan(bad)


def test_parse_yuan_rejects_floats_negatives_and_absurd_amounts() -> None:
    with pytest.raises(MoneyError, match="float"):
        parse_yuan(12.5)
    with pytest.raises(MoneyError):
        parse_yuan("-1.00")
    assert parse_yuan("-1.00", allow_negative=True) == -100
    with pytest.raises(MoneyError):
        parse_yuan("100000001")
    with pytest.raises(MoneyError):
        parse_yuan("0", allow_zero=False)


def test_gateway_decimal_text_is_exact() -> None:
    assert yuan_decimal_to_fen("1") == 100
    assert yuan_decimal_to_fen("1.5") == 150
    assert yuan_decimal_to_fen("0.01") == 1
    with pytest.raises(MoneyError):
        yuan_decimal_to_fen("0.001")


@given(st.integers(min_value=0, max_value=MAX_FEN))
def test_fen_round_trips_through_yuan_text(fen: int) -> None:
    text = format_yuan(fen)
    assert parse_yuan(text) == fen
    assert parse_yuan("¥" + text) == fen
    assert Decimal(text) * 100 == fen
