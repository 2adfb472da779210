"""Canonical buyer contacts: phone (libphonenumber, default CN), QQ, e-mail, anything else."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kashop_desktop.domain.contacts import (
    FAST_MOBILE_PREFIXES,
    ContactKind,
    classify_contact,
    clean,
    contact_key,
    fast_phone_key,
    library_phone_key,
    search_forms,
)

FULL_WIDTH = str.maketrans("0123456789+()-", "０１２３４５６７８９＋（）－")


@pytest.mark.parametrize("written", [
    "13800138000", "+86 138 0013 8000", "138-0013-8000", "8613800138000", "１３８００１３８０００",
    "+8613800138000", "0086 138 0013 8000", "(+86) 138-0013-8000", "138.0013.8000", " 138 0013 8000 ",
    "手机：13800138000", "Tel: +86 13800138000", "＋８６ １３８ ００１３ ８０００",
])
def test_every_spelling_of_one_mobile_number_is_one_key(written: str) -> None:
    assert classify_contact(written) == (ContactKind.PHONE, "13800138000")


@pytest.mark.parametrize(("written", "key"), [
    ("010-12345678", "01012345678"),  # a Beijing landline
    ("(010) 1234 5678", "01012345678"),
    ("+86 10 1234 5678", "01012345678"),
    ("+1 650 253 0000", "+16502530000"),  # non-CN numbers stay in E.164
    ("+44 20 7946 0958", "+442079460958"),
    ("+852 5123 4567", "+85251234567"),
])
def test_landlines_and_foreign_numbers_are_e164(written: str, key: str) -> None:
    assert contact_key(written) == key


@pytest.mark.parametrize(("written", "key"), [
    ("88886666", "qq:88886666"), ("qq:88886666", "qq:88886666"), ("QQ 88886666", "qq:88886666"),
    ("QQ号：12345", "qq:12345"), ("ＱＱ８８８８６６６６", "qq:88886666"), ("12345678901", "qq:12345678901"),
    ("2765432109", "qq:2765432109"),  # libphonenumber alone would read it as a Wuhan landline
    ("QQ 13800138000", "qq:13800138000"),
])
def test_qq_numbers_with_or_without_prefix(written: str, key: str) -> None:
    assert classify_contact(written) == (ContactKind.QQ, key)


def test_emails_are_trimmed_and_lower_cased_and_other_text_is_kept() -> None:
    assert classify_contact("  Gamer_Zhang@QQ.com ") == (ContactKind.EMAIL, "gamer_zhang@qq.com")
    assert classify_contact("Ａｌｉｃｅ＠Example.com") == (ContactKind.EMAIL, "alice@example.com")
    assert classify_contact("wxid_Abc  Def") == (ContactKind.OTHER, "wxid_Abc Def")
    assert classify_contact("telephone") == (ContactKind.OTHER, "telephone")  # a label needs a number after it
    assert classify_contact("   ") == (ContactKind.EMPTY, "")
    assert contact_key("1234") == "1234"  # too short for QQ or a phone
    assert contact_key("0123456") == "0123456"  # QQ numbers never start with 0


def _spellings(mobile: str, rng: random.Random) -> list[str]:
    a, b, c = mobile[:3], mobile[3:7], mobile[7:]
    forms = [mobile, f"+86 {a} {b} {c}", f"{a}-{b}-{c}", f"86{mobile}", f"+86{mobile}", f"0086 {mobile}",
             f"(+86) {a}-{b}-{c}", f"{a} {b} {c}", f"+86-{a}-{b}-{c}", f"({a}) {b}{c}"]
    return [*forms, rng.choice(forms).translate(FULL_WIDTH)]


def test_fast_path_agrees_with_the_library_on_many_mobile_numbers() -> None:
    rng = random.Random(20261118)
    checked = 0
    for prefix in range(100, 200):
        for _ in range(25):
            mobile = f"{prefix}{rng.randrange(10**8):08d}"
            for written in _spellings(mobile, rng):
                value = clean(written)
                fast = fast_phone_key(value)
                if fast is not None:
                    assert fast == library_phone_key(value), written
                    checked += 1
                elif prefix in FAST_MOBILE_PREFIXES:
                    pytest.fail(f"fast path missed {written!r}")
    assert checked > 10_000


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="0123456789+-() 86１３８", min_size=1, max_size=20))
def test_fast_path_never_disagrees_with_the_library(text: str) -> None:
    value = clean(text)
    fast = fast_phone_key(value)
    if fast is not None:
        assert fast == library_phone_key(value)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=30), st.from_regex(r"\+?[0-9 \-]{5,16}", fullmatch=True),
                 st.from_regex(r"[qQ]{2}[:： ]?[1-9][0-9]{4,10}", fullmatch=True), st.emails()))
def test_the_key_of_a_key_is_itself(text: str) -> None:
    key = contact_key(text)
    assert contact_key(key) == key


def test_search_forms_cover_the_typed_text_its_key_and_bare_digits() -> None:
    assert search_forms("+86 138 0013 8000") == ["+86 138 0013 8000", "13800138000", "+8613800138000"]
    assert search_forms("0013 8000") == ["0013 8000", "00138000"]
    assert search_forms("１３８００１３８０００") == ["13800138000"]
    assert search_forms("Alice@Example.com") == ["Alice@Example.com", "alice@example.com"]
    assert search_forms("  ") == []


def test_an_address_without_a_top_level_domain_is_no_email_at_the_desk() -> None:
    import pytest

    from kashop_desktop.domain.contacts import email_looks_deliverable
    from kashop_desktop.domain.errors import DomainError
    from kashop_desktop.services.sale import parse_buyer

    assert email_looks_deliverable("gamer_zhang@qq.com") and email_looks_deliverable("u@mail.example.co.uk")
    for bad in ("user@example", "a@b..com", ".a@b.com", "a@-b.com", "a@b.c"):
        assert not email_looks_deliverable(bad), bad
        with pytest.raises(DomainError, match="邮箱地址不对"):
            parse_buyer(bad)
    assert parse_buyer(" Gamer_Zhang@QQ.com ").key == "gamer_zhang@qq.com"
