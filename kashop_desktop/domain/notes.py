"""How long a person's text may be: notes, reasons, evidence; names.

A note is read back in a timeline, a table cell, a tooltip and an export: a pasted chat log of
tens of thousands of characters would make each of them unreadable and grow the store for
nothing. ``MAX_NOTE_CHARS`` bounds every note, reason and piece of evidence a person gives;
longer text is refused with its length, nothing is written (the person shortens it or keeps the
long text elsewhere, naming where in the note).
"""

from __future__ import annotations

from .errors import DomainError

#: The most characters a note, a reason or a piece of evidence may have (a Chinese character is one).
MAX_NOTE_CHARS = 2000


def check_note(text: str | None, what_zh: str = "说明", what_en: str = "the note") -> None:
    """Raise DomainError ``note_too_long`` (naming ``what``, its length and the limit) when
    ``text`` has more than ``MAX_NOTE_CHARS`` characters; None and short text pass."""
    if text is None or len(text) <= MAX_NOTE_CHARS:
        return
    raise DomainError(
        "note_too_long",
        f"{what_zh}太长：{len(text):,} 个字符，最多 {MAX_NOTE_CHARS:,} 个字符。请缩短后再试",
        f"{what_en} is too long: {len(text):,} characters, at most {MAX_NOTE_CHARS:,}. Shorten it and try again",
    )


def check_notes(*texts: str | None) -> None:
    """``check_note`` for each of ``texts`` (notes)."""
    for text in texts:
        check_note(text)


#: The most characters a name may have: a product's, a gateway account's (as the import reads them).
MAX_NAME_CHARS = 200


def check_name(text: str, what_zh: str, what_en: str) -> None:
    """Raise DomainError ``invalid_name`` for a name longer than ``MAX_NAME_CHARS`` or holding a
    line break or another control character (it is one line in every list and table)."""
    if len(text) > MAX_NAME_CHARS or any(not c.isprintable() for c in text):
        raise DomainError(
            "invalid_name", f"{what_zh}最多 {MAX_NAME_CHARS} 个字符，且不能有换行或控制字符",
            f"{what_en} is at most {MAX_NAME_CHARS} characters, with no line break or control character")


__all__ = ["MAX_NAME_CHARS", "MAX_NOTE_CHARS", "check_name", "check_note", "check_notes"]
