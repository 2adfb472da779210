"""卡密 (card codes) as inventory: their states, the import text forms, low-stock crossings.

Pure rules, no I/O. A code is ``available`` on the shelf, ``reserved`` by an unpaid order,
``delivered`` to a paid one; the owner may ``lock`` it (held back from sale: sold elsewhere,
suspected leaked) or ``void`` it (作废: never sold again). Only an available (or locked) code can
be deleted. A delivered code goes back to stock (回库) only when the owner confirms the buyer never
used it; a refunded order's code is otherwise never resold.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from .errors import DomainError


class CodeState(StrEnum):
    AVAILABLE = "available"
    RESERVED = "reserved"
    DELIVERED = "delivered"
    LOCKED = "locked"
    VOID = "void"

    @property
    def zh(self) -> str:
        return {"available": "可售", "reserved": "已预留", "delivered": "已发出", "locked": "已锁定",
                "void": "已作废"}[self.value]

    @property
    def en(self) -> str:
        return {"available": "Available", "reserved": "Reserved", "delivered": "Delivered", "locked": "Locked",
                "void": "Void"}[self.value]


C = CodeState

#: The owner's (and the shop's) moves between states; 回库 (delivered -> available) is separate:
#: it needs the owner's word that the code was never used (``return_check``), and so is voiding
#: a delivered code: only in the dispute / refund flow, before the money goes back
#: (services.codes.void_order_codes), never as a plain state change.
TRANSITIONS: dict[tuple[CodeState, CodeState], str] = {
    (C.AVAILABLE, C.RESERVED): "reserve",
    (C.RESERVED, C.AVAILABLE): "release",
    (C.AVAILABLE, C.DELIVERED): "deliver",
    (C.RESERVED, C.DELIVERED): "deliver",
    (C.AVAILABLE, C.LOCKED): "lock",
    (C.LOCKED, C.AVAILABLE): "unlock",
    (C.AVAILABLE, C.VOID): "void",
    (C.LOCKED, C.VOID): "void",
}

#: States a code may be deleted from: never one that went to a buyer or is held for one.
DELETABLE = frozenset({C.AVAILABLE, C.LOCKED, C.VOID})


def can_delete(state: CodeState, *, ever_delivered: bool) -> bool:
    """Whether a code may be deleted: in a DELETABLE state and never delivered (a code a buyer
    held, even voided or returned to stock since, stays as a tombstone: its keyed hash refuses a
    re-import, so it can never be sold twice)."""
    return state in DELETABLE and not ever_delivered


def check_move(current: CodeState, target: CodeState) -> None:
    """Raise DomainError(code_state) when a code in ``current`` cannot move to ``target``;
    code_delivered for voiding a delivered code outside the dispute / refund flow."""
    if (current, target) == (C.DELIVERED, C.VOID):
        raise DomainError("code_delivered", "已发出的卡密只能在售后流程中作废（审核退款申请时勾选“先作废卡密”），不能直接作废",
                          "a delivered code is voided only in the dispute flow (approving the buyer's request with "
                          "'void the code first'), never directly")
    if (current, target) not in TRANSITIONS:
        raise DomainError("code_state", f"「{current.zh}」的卡密不能改为「{target.zh}」",
                          f"a code that is '{current.en}' cannot become '{target.en}'")


def return_check(state: CodeState, unused_confirmed: bool, note: str) -> DomainError | None:
    """Why a delivered code cannot go back to stock (回库), or None when it can: only a delivered
    code, only with the owner's confirmation that it was never used, and with a note saying how
    that is known."""
    if state is not C.DELIVERED:
        return DomainError("code_state", f"「{state.zh}」的卡密不能回库，只有已发出的可以",
                           f"a code that is '{state.en}' cannot return to stock; only delivered ones can")
    if not unused_confirmed:
        return DomainError("unused_not_confirmed", "回库需要确认卡密从未被使用（--unused）",
                           "returning a code to stock needs the owner's confirmation it was never used (--unused)")
    if not note.strip():
        return DomainError("note_required", "回库需要写明如何确认卡密未被使用（--note）",
                           "returning a code to stock needs a note saying how it is known to be unused (--note)")
    return None


# ---- import text -------------------------------------------------------------------------------

#: The longest code (or card no + password pair) taken; longer lines are refused, not cut.
MAX_CODE_LENGTH = 512
PAIR_JOINER = "----"
_PAIR_SPLIT = re.compile(r"\s*-{4,}\s*|\t+|\s*[,，]\s*|\s+")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u202a\u202b\u202c\u202d\u202e"))
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # C0 and C1 controls but tab, CR, LF


@dataclass(frozen=True)
class CodeLine:
    """One line of an import: ``code`` is the canonical text kept (a pair as ``NO----PASSWORD``),
    or None with ``problem`` (zh, en) saying why the line is refused. ``line`` counts from 1."""

    line: int
    code: str | None
    problem: tuple[str, str] | None = None


def canonical(text: str) -> str:
    """The form a code is stored, compared and hashed in: NFKC (full-width letters folded),
    invisible characters removed, ends trimmed; a card no + password pair joined by ``----``."""
    if not text.isascii():  # the usual code is ASCII: nothing to fold, nothing invisible
        text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    text = text.strip()
    if not any(sep in text for sep in (" ", "\t", ",", "，", "----")):
        return text  # one code, the usual line: no split needed
    parts = [p for p in _PAIR_SPLIT.split(text) if p]
    return PAIR_JOINER.join(parts)


def parse_line(number: int, raw: str) -> CodeLine | None:
    """One line as a CodeLine; None for a blank line (skipped silently).

    Accepted: one code; or a card no and password separated by ``----``, tab, comma or spaces.
    Refused: control characters, more than two parts, a line over MAX_CODE_LENGTH.
    """
    if _CONTROL.search(raw):
        return CodeLine(number, None, (f"第 {number} 行含有控制字符", f"line {number} holds control characters"))
    code = canonical(raw)
    if not code:
        return None
    parts = code.split(PAIR_JOINER)
    if len(parts) > 2:
        return CodeLine(number, None, (
            f"第 {number} 行有 {len(parts)} 段：每行应为一个卡密，或卡号和密码两段",
            f"line {number} has {len(parts)} parts: a line is one code, or a card no and a password"))
    if len(code) > MAX_CODE_LENGTH:
        return CodeLine(number, None, (f"第 {number} 行超过 {MAX_CODE_LENGTH} 个字符",
                                       f"line {number} is longer than {MAX_CODE_LENGTH} characters"))
    return CodeLine(number, code)


def parse_lines(lines: list[str], *, first_line: int = 1) -> list[CodeLine]:
    """Every non-blank line as a CodeLine, numbered from ``first_line``."""
    out = []
    for offset, raw in enumerate(lines):
        parsed = parse_line(first_line + offset, raw)
        if parsed is not None:
            out.append(parsed)
    return out


def hint(code: str) -> str:
    """The few characters shown of a masked code (to match it with a buyer, never to use it).

    Never a character of a password: for a card no + password pair (``NO----PASSWORD``) the
    card no's tail only. At most 4 characters and at most a third of the part shown, none of a
    part shorter than 8, so a short code is never given away whole: the last 4 of 12 or more
    characters, the last 2 or 3 of 8 to 11."""
    shown = code.split(PAIR_JOINER, 1)[0] if PAIR_JOINER in code else code
    if len(shown) < 8:
        return ""
    return shown[-min(4, len(shown) // 3):]


def masked(tail: str) -> str:
    """A masked code for display: eight dots and its hint."""
    return "•" * 8 + tail


# ---- low stock ---------------------------------------------------------------------------------

def low_stock_move(available: int, threshold: int, raised: bool) -> bool | None:
    """Whether the low-stock warning must now be raised (True), cleared (False) or left as it is
    (None). Raised once when the available count falls to the threshold or below; cleared only by
    a restock above it, so the owner is told once per crossing. A threshold of 0 turns it off."""
    if threshold <= 0:
        return False if raised else None
    low = available <= threshold
    if low and not raised:
        return True
    if not low and raised:
        return False
    return None


def units_refunded(paid_fen: int, quantity: int, gross_fen: int) -> int | None:
    """How many whole units a refund of ``gross_fen`` (fen) pays back on an order of ``quantity``
    units that cost ``paid_fen`` (fen) in all: ``gross × quantity / paid`` when that is a whole
    number from 1 to ``quantity``, else None (the refund is not a number of whole units, so no
    code can be said to be the one refunded)."""
    if quantity <= 0 or paid_fen <= 0 or gross_fen <= 0 or (gross_fen * quantity) % paid_fen:
        return None
    units = gross_fen * quantity // paid_fen
    return units if 1 <= units <= quantity else None
