"""Payment ids a person types or pastes: a gateway trade no (补单), a transfer's serial no (凭证号).

A gateway's trade no is one run of letters, digits and a few marks: Alipay's ``trade_no`` is at
most 64 characters, WeChat Pay's ``transaction_id`` 32, 易支付's ``trade_no`` a few dozen; a bank
transfer's serial no is shorter still. Whatever a person types is checked the same way before it
pays an order or names a manual payment: no spaces or control characters (a pasted line break, a
tab from a spreadsheet), at most ``MAX_TRADE_NO`` characters, and not a number Excel rewrote
(``2.02611E+17``, ``2026112912345.0``: the digits of the end are lost, so it names some other
payment or none). The import reads its ids with the same limit and the same Excel forms
(``services.imports.cells.read_id``).
"""

from __future__ import annotations

import re
import unicodedata

from .errors import DomainError

#: The most characters a trade no or a reference may have.
MAX_TRADE_NO = 64
#: A number in scientific notation (a cell of the import: any such form).
EXCEL_SCIENTIFIC = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+$")
#: A long id as Excel shows it once it took it for a number (``2.02611E+17``), the form a person
#: copies from a spreadsheet; an id like ``2026112922001E17`` is no such form and passes.
EXCEL_SHOWN = re.compile(r"^[0-9]\.[0-9]+[eE][+-][0-9]+$")
#: Digits and ``.0``: an id Excel took for a number and wrote back with its decimals.
EXCEL_POINT_ZERO = re.compile(r"^[0-9]+\.0+$")


def id_problem(text: str, hint: tuple[str, str] = ("", "")) -> tuple[str, str] | None:
    """Why ``text`` (stripped) cannot be a trade no or a reference, as (zh, en) ending without a
    full stop, or None when it can; ``hint`` (zh, en) is added to the words about its form."""
    if len(text) > MAX_TRADE_NO or any(c.isspace() or not c.isprintable() for c in text):
        return (f"应是一串不含空格和控制字符的编号，最多 {MAX_TRADE_NO} 个字符{hint[0]}",
                f"is one run of characters with no spaces or control characters, at most {MAX_TRADE_NO}{hint[1]}")
    if EXCEL_SHOWN.match(text) or EXCEL_POINT_ZERO.match(text):
        return (f"「{text}」是 Excel 改写过的数字，末尾的数字已丢失：请从原处复制原文（在 Excel/WPS 中先把该列设为「文本」）",
                f"'{text}' is a number Excel rewrote, its last digits are lost: copy the original (in Excel or WPS, "
                "format the column as Text first)")
    return None


def _typed(text: str) -> str:
    """What a person typed, stripped, with full-width letters and digits read as the ASCII ones
    (``ＢＴ-0002`` is ``BT-0002``: NFKC), so one payment cannot be typed two ways."""
    return unicodedata.normalize("NFKC", text).strip()


def check_trade_no(text: str) -> str:
    """A gateway trade no typed for 补单, stripped and in ASCII (``_typed``; may be ""). Raises
    DomainError ``bad_trade_no`` (``id_problem``)."""
    trade_no = _typed(text)
    problem = id_problem(trade_no, ("（网关后台显示的那样）", " (as the gateway's back office shows it)"))
    if problem is not None:
        raise DomainError("bad_trade_no", f"交易号{problem[0]}", f"a trade no {problem[1]}")
    return trade_no


def check_reference(text: str) -> str:
    """The owner's reference for a manual payment (a transfer's 流水号), stripped, in ASCII and in
    capitals (``_typed``; a bank's serial no is the same in any case: ``bt-0002`` and ``BT-0002``
    are one transfer); "" for none. Raises DomainError ``bad_reference`` (``id_problem``)."""
    reference = _typed(text).upper()
    problem = id_problem(reference, ("（转账记录上的流水号）", " (the transfer's serial no)"))
    if problem is not None:
        raise DomainError("bad_reference", f"凭证号{problem[0]}", f"a reference {problem[1]}")
    return reference
