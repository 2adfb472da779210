"""Policy validation, refund arithmetic (property-tested), and business-day ETAs."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kashop_desktop.domain.calendar import add_business_days, refund_eta, response_deadline
from kashop_desktop.domain.clock import SHOP_TZ
from kashop_desktop.domain.errors import DomainError, PolicyError
from kashop_desktop.domain.order import Channel, CodeUsed, OrderFacts, ProductType
from kashop_desktop.domain.policy import CancelPolicy
from kashop_desktop.domain.refunds import breakdown
from kashop_desktop.domain.states import OrderStatus

T0 = datetime(2026, 11, 18, 10, 0, tzinfo=SHOP_TZ)


# ---- policy ----------------------------------------------------------------------------------------

def test_policy_defaults_are_the_documented_ones() -> None:
    p = CancelPolicy()
    assert (p.unpaid_expiry_minutes, p.cooling_off_minutes, p.auto_approve_ceiling_fen) == (15, 10, 100_00)
    assert (p.fee_rate_permyriad, p.risk_cancel_count, p.risk_window_days, p.response_business_days) == (0, 3, 7, 2)


@pytest.mark.parametrize(
    ("field", "value"),
    [("cooling_off_minutes", 4), ("cooling_off_minutes", 16), ("fee_rate_permyriad", 51), ("fee_rate_permyriad", -1),
     ("risk_cancel_count", 0), ("unpaid_expiry_minutes", 0), ("auto_approve_ceiling_fen", -1),
     ("response_business_days", 0)],
)
def test_policy_rejects_out_of_range(field: str, value: int) -> None:
    with pytest.raises(PolicyError) as info:
        CancelPolicy().with_overrides({field: value})
    assert info.value.field == field and info.value.zh and info.value.en


def test_product_override_and_unknown_field() -> None:
    assert CancelPolicy().with_overrides({"no_refunds": True}).no_refunds
    with pytest.raises(PolicyError):
        CancelPolicy().with_overrides({"bogus": 1})
    assert CancelPolicy(fee_rate_permyriad=10).fee_rate_percent_text == "0.1%"


# ---- refunds --------------------------------------------------------------------------------------

def facts(paid: int, coupon: int = 0, points: int = 0, refunded: int = 0, points_refunded: int = 0,
          delivered: bool = False) -> OrderFacts:
    return OrderFacts("KS1", OrderStatus.PAID, 1, ProductType.CARD_CODE, 1, paid + coupon, coupon, points, paid,
                      refunded, T0, T0, T0 if delivered else None, Channel.ALIPAY, CodeUsed.UNKNOWN, "b",
                      points_refunded)


def test_full_refund_before_delivery_returns_coupon_and_points() -> None:
    bd = breakdown(facts(90_00, coupon=10_00, points=300))
    assert (bd.gross_fen, bd.fee_fen, bd.net_fen, bd.points_returned) == (90_00, 0, 90_00, 300)
    assert bd.full and bd.coupon_returned and bd.coupon_share_fen == 10_00


def test_partial_refund_prorates_coupon_and_points_and_deducts_fee() -> None:
    bd = breakdown(facts(100_00, coupon=20_00, points=500), 25_00, fee_rate_permyriad=50)
    assert bd.coupon_share_fen == 5_00 and bd.points_returned == 125
    assert bd.fee_fen == 12 and bd.net_fen == 25_00 - 12  # 0.5 % of 25.00, rounded down
    assert not bd.full and not bd.coupon_returned


def test_fee_rounds_down_and_is_waived_for_merchant_fault() -> None:
    assert breakdown(facts(333), fee_rate_permyriad=10).fee_fen == 0  # 0.333 fen -> 0
    assert breakdown(facts(100_00), fee_rate_permyriad=10, waive_fee=True).fee_fen == 0


@pytest.mark.parametrize("amount", [0, -1, 100_01])
def test_refund_bounds(amount: int) -> None:
    with pytest.raises(DomainError):
        breakdown(facts(100_00), amount)


@settings(max_examples=300)
@given(
    paid=st.integers(1, 10_000_00),
    coupon=st.integers(0, 500_00),
    points=st.integers(0, 100_000),
    fee=st.integers(0, 50),
    cuts=st.lists(st.integers(1, 10_000_00), min_size=1, max_size=8),
)
def test_refund_sums_never_exceed_what_was_paid(paid: int, coupon: int, points: int, fee: int, cuts: list[int]) -> None:
    refunded = points_back = coupon_back = net_total = 0
    for cut in cuts:
        f = facts(paid, coupon, points, refunded, points_back)
        if f.refundable_fen == 0:
            with pytest.raises(DomainError):
                breakdown(f, 1)
            break
        amount = min(cut, f.refundable_fen)
        bd = breakdown(f, amount, fee_rate_permyriad=fee)
        assert 0 < bd.gross_fen <= f.refundable_fen
        assert 0 <= bd.fee_fen <= bd.gross_fen * 50 // 10_000
        assert bd.net_fen == bd.gross_fen - bd.fee_fen >= 0
        refunded += bd.gross_fen
        points_back += bd.points_returned
        coupon_back += bd.coupon_share_fen
        net_total += bd.net_fen
        assert refunded <= paid and points_back <= points and coupon_back <= coupon and net_total <= paid
    if refunded == paid:
        assert points_back == points and coupon_back == coupon


# ---- calendar -------------------------------------------------------------------------------------

def test_wallet_is_instant_and_bank_takes_longest() -> None:
    assert refund_eta(Channel.WALLET, T0).instant
    wed = refund_eta(Channel.ALIPAY, T0)  # Wednesday 2026-11-18
    assert (wed.earliest, wed.latest) == (date(2026, 11, 19), date(2026, 11, 23))  # skips the weekend
    bank = refund_eta(Channel.BANK_CARD, T0)
    assert (bank.earliest, bank.latest) == (date(2026, 11, 23), date(2026, 11, 25))


def test_national_day_holiday_and_make_up_working_day() -> None:
    # 2026-09-30 (Wed) -> Oct 1-7 are holidays; the next business day is Oct 8 (Thursday).
    assert add_business_days(date(2026, 9, 30), 1) == (date(2026, 10, 8), True)
    # Spring festival 2026: Feb 14 (Saturday) is a make-up working day.
    assert add_business_days(date(2026, 2, 13), 1) == (date(2026, 2, 14), True)


def test_years_without_holiday_data_fall_back_to_weekends() -> None:
    day, exact = add_business_days(date(2031, 1, 3), 1)  # a Friday
    assert day == date(2031, 1, 6) and exact is False


def test_response_deadline_counts_business_days() -> None:
    friday = datetime(2026, 11, 20, 18, 0, tzinfo=SHOP_TZ)
    due = response_deadline(friday, 2)
    assert due.date() == date(2026, 11, 24) and due.tzinfo is not None
    assert due - friday > timedelta(days=3)


# ---- years beyond the package's data ----------------------------------------------------------------

def test_fixed_date_holidays_are_known_for_every_year() -> None:
    from kashop_desktop.domain.calendar import is_business_day

    for year in (2027, 2031, 2040):
        for month, day in ((1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)):
            assert is_business_day(date(year, month, day)) == (False, True), (year, month, day)
    assert is_business_day(date(2027, 1, 4)) == (True, False)  # a Monday: no lunar holiday known yet


def test_a_refund_approved_on_new_years_eve_does_not_arrive_on_new_years_day() -> None:
    eta = refund_eta(Channel.ALIPAY, datetime(2026, 12, 31, 15, 0, tzinfo=SHOP_TZ))
    assert eta.earliest == date(2027, 1, 4) and not eta.exact  # Jan 1 holiday, then a weekend
    assert "约" in eta.text_zh() and "approx." in eta.text_en()
    assert "约" not in refund_eta(Channel.ALIPAY, T0).text_zh()


def test_a_request_is_not_due_on_new_years_day() -> None:
    from kashop_desktop.domain.calendar import span_is_exact

    opened = datetime(2026, 12, 31, 10, 0, tzinfo=SHOP_TZ)
    due = response_deadline(opened, 1)
    assert due.date() == date(2027, 1, 4)
    assert not span_is_exact(opened.date(), due.date())
    assert span_is_exact(date(2026, 11, 18), date(2026, 11, 20))


def test_a_loaded_schedule_makes_next_year_exact() -> None:
    from kashop_desktop.domain.calendar import is_business_day, span_is_exact
    from kashop_desktop.domain.holidays import parse_schedule, schedule_of

    text = ('{"year": 2027, "holidays": [{"name": "元旦", "from": "2027-01-01", "to": "2027-01-03"},'
            ' {"name": "春节", "from": "2027-02-06", "to": "2027-02-13"}], "workdays": ["2027-02-20"]}')
    schedule = schedule_of(parse_schedule(text, csv_format=False))
    assert is_business_day(date(2027, 2, 8), schedule) == (False, True)  # a Monday in 春节
    assert is_business_day(date(2027, 2, 20), schedule) == (True, True)  # a Saturday worked
    assert is_business_day(date(2027, 5, 1), schedule) == (False, True)  # fixed, though not in the file
    assert add_business_days(date(2027, 2, 5), 1, schedule) == (date(2027, 2, 15), True)
    assert span_is_exact(date(2026, 12, 31), date(2027, 1, 4), schedule)
    eta = refund_eta(Channel.ALIPAY, datetime(2026, 12, 31, 15, 0, tzinfo=SHOP_TZ), schedule)
    assert eta.exact and eta.earliest == date(2027, 1, 4)


def test_the_same_schedule_as_csv() -> None:
    from kashop_desktop.domain.holidays import parse_schedule, schedule_of

    text = "\ufeffdate,type,name\n2027-02-08,休,春节\n2027-02-20,班,春节调休\n,,\n"
    (year,) = parse_schedule(text, csv_format=True)
    assert year.year == 2027 and year.workdays == (date(2027, 2, 20),)
    schedule = schedule_of([year])
    assert date(2027, 1, 1) in schedule.holidays and date(2027, 2, 8) in schedule.holidays


@pytest.mark.parametrize(("text", "csv_format", "needle"), [
    ("{", False, "JSON"),
    ('{"holidays": []}', False, "year"),
    ('{"year": 2027, "holidays": []}', False, "no holiday"),
    ('{"year": 2027, "holidays": ["2027-13-01"]}', False, "YYYY-MM-DD"),
    ('{"year": 2027, "holidays": ["2028-01-01"]}', False, "not in 2027"),
    ('{"year": 2027, "holidays": ["2027-01-01"], "workdays": ["2027-02-17"]}', False, "Saturday or Sunday"),
    ('{"year": 2027, "holidays": ["2027-02-20"], "workdays": ["2027-02-20"]}', False, "both"),
    ('{"year": 2027, "holidays": [{"from": "2027-02-01", "to": "2027-01-01"}]}', False, "'to'"),
    ('[{"year": 2027, "holidays": ["2027-01-01"]}, {"year": 2027, "holidays": ["2027-01-01"]}]', False, "twice"),
    ("day,kind\n2027-01-01,休\n", True, "header"),
    ("date,type\n2027-01-01,maybe\n", True, "line 2"),
    ("date,type\n", True, "no dates"),
])
def test_a_bad_schedule_is_refused_with_where_and_why(text: str, csv_format: bool, needle: str) -> None:
    from kashop_desktop.domain.errors import DomainError
    from kashop_desktop.domain.holidays import parse_schedule

    with pytest.raises(DomainError) as info:
        parse_schedule(text, csv_format=csv_format)
    assert needle in info.value.en and info.value.zh and info.value.code == "invalid_holiday_schedule"
