"""One canonical key for a buyer's contact, however it was written.

Buyers leave a phone number, a QQ number or an e-mail address, and shops write them many ways:
``13800138000``, ``+86 138 0013 8000``, ``138-0013-8000``, ``8613800138000``, full-width
``１３８００１３８０００``. The desk keys a buyer (and applies the frequent-cancel rule, and searches)
by the canonical form below, and keeps showing what was written.

Rules, in order (``contact_key``):

1. Unicode NFKC first: full-width digits, letters, ``＋``, ``＠``, ``（）`` and ``：`` become their
   ASCII forms; surrounding blanks are removed and inner runs of blanks become one space.
   A leading label ``手机`` / ``手机号`` / ``电话`` / ``tel`` / ``phone`` / ``mobile`` (with an
   optional colon) is dropped.
2. E-mail (``local@domain``): lower-cased as a whole -> ``alice@example.com``.
3. QQ with its prefix (``QQ 12345678``, ``qq:12345678``, ``QQ号：12345678``; 5-11 digits, no leading
   zero) -> ``qq:12345678``.
4. Phone numbers: text made only of digits, blanks, ``-``, ``.``, ``(``, ``)`` and a leading
   ``+`` that Google's libphonenumber (the ``phonenumbers`` package) parses as a *valid* number,
   default region CN (so ``+86``, ``86``, ``0086`` and ``0`` trunk prefixes are understood).
   Mainland numbers take the form people type: a mobile number as its 11 digits
   (``13800138000``), a landline as its national digits with the trunk ``0`` (``01012345678``);
   any other number, foreign or not (``400`` hotlines), is kept in E.164 (``+16502530000``).
   A bare run of digits (no ``+``, no separator, no leading ``0``) is a phone number only when it
   is an 11-digit mainland mobile number (``1`` and ten more) or one with ``86`` before it:
   libphonenumber would read many 9-10 digit QQ numbers as landlines without their trunk ``0``,
   and shops write landlines with it (``010-12345678``).
   Mainland mobile numbers, by far the commonest, take a fast path that gives the same answer
   as the library (a test checks them against each other on many inputs): the library costs
   ~30 µs a call, which would make re-keying a million orders take minutes.
5. A bare number of 5-11 digits with no leading zero that is not a phone number by rule 4 is a
   QQ number -> ``qq:12345678`` (so an 11-digit QQ number that looks like a mobile number needs
   its ``QQ`` prefix).
6. Anything else is kept as normalised by rule 1 (a WeChat id, a nickname); empty stays empty.

``contact_key`` is idempotent: the key of a key is itself.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from enum import StrEnum

DEFAULT_REGION = "CN"
CN_COUNTRY_CODE = 86

_BLANKS = re.compile(r"\s+")
_LABEL = re.compile(r"^(?:手机号码?|手机|电话|tel|phone|mobile)\s*:?\s*(?=[+\d(])", re.IGNORECASE)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
#: A deliverable-looking address for entry at the desk: a domain of dot-separated labels ending in
#: a top-level domain of letters (``user@example`` has none; RFC 5321 §4.1.2, without the
#: address-literal and quoted forms no buyer types).
_EMAIL_STRICT = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@(?:[A-Za-z0-9\u00a1-\uffff](?:[A-Za-z0-9\u00a1-\uffff-]{0,61}"
    r"[A-Za-z0-9\u00a1-\uffff])?\.)+[A-Za-z\u00a1-\uffff]{2,63}$")


def email_looks_deliverable(value: str) -> bool:
    """Whether an address has a local part and a domain with a top-level domain, with no empty
    dot-separated part: ``a@b.com`` yes, ``user@example``, ``a@b..com``, ``.a@b.com`` no."""
    local = value.rsplit("@", 1)[0]
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return False
    return bool(_EMAIL_STRICT.match(value))
_QQ_PREFIXED = re.compile(r"^qq\s*号?\s*[:#]?\s*([1-9]\d{4,10})$", re.IGNORECASE)
_QQ_BARE = re.compile(r"^[1-9]\d{4,10}$")
_PHONE_LIKE = re.compile(r"^\(?\+?[\d\s\-.()]+$")
_SEPARATORS = re.compile(r"[\s\-.()]")
_CN_MOBILE = re.compile(r"^(?:\+86|0086|86)?(1\d{10})$")

#: Mainland mobile prefixes (first three digits) whose every number libphonenumber calls valid.
#: Other 1xx prefixes (IoT and data-only ranges) go through the library.
FAST_MOBILE_PREFIXES = frozenset(
    [*range(130, 140), 145, 147, *range(150, 154), *range(155, 160), 162, *range(165, 168),
     *range(170, 174), *range(175, 179), *range(180, 190), *range(190, 194), *range(195, 200)]
)


class ContactKind(StrEnum):
    PHONE = "phone"
    QQ = "qq"
    EMAIL = "email"
    OTHER = "other"
    EMPTY = "empty"


def clean(text: str) -> str:
    """Rule 1: NFKC, blanks trimmed and collapsed, a leading phone label dropped."""
    normal = _BLANKS.sub(" ", unicodedata.normalize("NFKC", text)).strip()
    return _LABEL.sub("", normal) if _LABEL.match(normal) else normal


def fast_phone_key(text: str) -> str | None:
    """The key (11 digits) of a common mainland mobile form, or None to ask the library.

    ``text`` has been through ``clean``. Same answer as ``library_phone_key`` whenever it
    answers at all.
    """
    if not _PHONE_LIKE.match(text):
        return None
    match = _CN_MOBILE.match(_SEPARATORS.sub("", text))
    if match is None or int(match.group(1)[:3]) not in FAST_MOBILE_PREFIXES:
        return None
    return match.group(1)


def library_phone_key(text: str) -> str | None:
    """The key of a valid phone number through libphonenumber (default region CN; rule 4), else None."""
    if not _PHONE_LIKE.match(text) or sum(c.isdigit() for c in text) < 5:
        return None
    import phonenumbers  # on first use: its metadata takes ~50 ms to import, and most keys never need it

    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    if number.country_code == CN_COUNTRY_CODE:
        national = "".join(c for c in phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
                           if c.isdigit())
        if national[0] == "0" or (national[0] == "1" and len(national) == 11):
            return national
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def _library_may_answer(value: str) -> bool:
    """Rule 4: a bare run of digits is only a mobile number (``1`` + 10) or one after ``86``."""
    if not value.isdigit() or value.startswith("0"):
        return True
    return (len(value) == 11 and value.startswith("1")) or (len(value) == 13 and value.startswith("861"))


@functools.lru_cache(maxsize=65_536)
def classify_contact(text: str) -> tuple[ContactKind, str]:
    """(kind, canonical key) of a contact as written; see the module's rules."""
    value = clean(text)
    if not value:
        return ContactKind.EMPTY, ""
    if "@" in value and _EMAIL.match(value):
        return ContactKind.EMAIL, value.lower()
    qq = _QQ_PREFIXED.match(value)
    if qq:
        return ContactKind.QQ, "qq:" + qq.group(1)
    phone = fast_phone_key(value) or (library_phone_key(value) if _library_may_answer(value) else None)
    if phone:
        return ContactKind.PHONE, phone
    if _QQ_BARE.match(value):
        return ContactKind.QQ, "qq:" + value
    return ContactKind.OTHER, value


def contact_key(text: str) -> str:
    """The canonical key of a contact: ``13800138000``, ``01012345678``, ``+16502530000``,
    ``qq:12345678``, ``a@b.com``, or the cleaned text; ``""`` for a blank one."""
    return classify_contact(text)[1]


def search_forms(text: str) -> list[str]:
    """What to look for when the owner types ``text`` into the search box: the text as typed
    (cleaned), its canonical key, and for a partial number written with separators
    (``0013 8000``) its digits alone. Each is matched as a substring of what was written and of
    the canonical key; duplicates are dropped."""
    value = clean(text)
    forms = [value, contact_key(value)]
    if _PHONE_LIKE.match(value):
        forms.append(_SEPARATORS.sub("", value))
    return [f for f in dict.fromkeys(forms) if f]
