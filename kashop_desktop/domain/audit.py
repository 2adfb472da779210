"""The tamper-evident log: how a log row is encoded and chained (pure; no I/O).

Each row of a chained table (the order timeline ``order_event``, the shop log ``audit_event``
and the 卡密 inventory's timeline ``code_event``) carries ``prev_id``, the id of the row written before it in the same chain (0 for
the first), and ``hash``, a SHA-256 digest chained to that row::

    hash = SHA-256(previous row's hash || canonical(row))

where the first row's "previous hash" is 32 zero bytes and ``canonical(row)`` is the UTF-8 of a
JSON array (no spaces, non-ASCII kept as is, ``null`` for NULL) of the row's fields in the order
its chain names them (``ORDER_EVENT_FIELDS``, ``AUDIT_EVENT_FIELDS``, ``CODE_EVENT_FIELDS``): the row's own id and
``prev_id`` first, then every column a person reads. The ``data`` column is hashed as the JSON
text stored, byte for byte. Editing any field, deleting a row or inserting one outside the desk
therefore breaks the chain at that row; ``ChainBreak`` says which row and how.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

GENESIS = bytes(32)

#: How far a log row's time may go back before the row written before it (seconds) before
#: ``check`` names it, and how far ``--now`` may go back before the log's newest row: five minutes
#: covers the clocks of two PCs writing to one server store and a system clock set back by time
#: sync, while a row dated hours or days back (a backdated note) is named.
CLOCK_SKEW_S = 300

#: The fields of an ``order_event`` row in hash order (see the module docstring).
ORDER_EVENT_FIELDS = ("id", "prev_id", "order_id", "at", "actor", "operator", "action", "note",
                      "before_status", "after_status", "data")
#: The fields of an ``audit_event`` row (the shop log: settings, operators, refusals) in hash order.
AUDIT_EVENT_FIELDS = ("id", "prev_id", "at", "operator", "action", "subject", "note", "data")
#: The fields of a ``code_event`` row (the 卡密 inventory's timeline) in hash order.
CODE_EVENT_FIELDS = ("id", "prev_id", "product_id", "code_id", "order_id", "at", "actor", "operator", "action", "note",
                     "data")

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def canonical(values: Sequence[object]) -> bytes:
    """The bytes hashed for one row: its field values (ints, strings, None) as a compact JSON array."""
    return _ENCODER.encode(list(values)).encode("utf-8")


def link(previous: bytes, values: Sequence[object]) -> bytes:
    """The 32-byte hash of a row whose chain predecessor hashed to ``previous``."""
    return hashlib.sha256(previous + canonical(values)).digest()


#: What the anchor's HMAC covers first: the purpose and version of the anchor (see ``anchor_mac``).
ANCHOR_PURPOSE = "kashop-log-anchor-v1"


def anchor_mac(key: bytes, store_id: str, chain: str, anchor_id: int, anchor_hash: bytes) -> bytes:
    """The anchor of a chain's head: HMAC-SHA256 (RFC 2104, FIPS 180-4) under the shop's anchor
    key of the canonical encoding of ``[ANCHOR_PURPOSE, store_id, chain, anchor_id, hex hash]``.

    Whoever can edit the data file but not read the key cannot make one, so a chain whose tail
    was cut off (the head moved back to an earlier row) no longer matches its anchor."""
    return hmac.digest(key, canonical([ANCHOR_PURPOSE, store_id, chain, anchor_id, anchor_hash.hex()]), "sha256")


def key_fingerprint(key: bytes) -> str:
    """A short public name of an anchor key (16 hex digits of an HMAC under it), kept in the
    store to tell "anchored under another key" from "anchor forged"."""
    return hmac.digest(key, b"kashop log anchor key id", "sha256").hex()[:16]


def digest_mark(password_hash: str) -> str:
    """What the shop log records of an operator's stored password digest (argon2 text): 16 hex
    digits of its SHA-256, "" for no password. It tells ``check`` the operator row's digest is the
    one the desk wrote (a digest copied from another operator differs) without putting a digest
    that could be attacked offline into the log or its exports."""
    return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()[:16] if password_hash else ""


class BreakKind(Enum):
    """How a chain was broken at a row (Chinese, English for people)."""

    EDITED = ("edited", "被改动", "edited")
    DELETED = ("deleted", "被删除", "deleted")
    INSERTED = ("inserted", "被外部插入", "inserted out of band")
    HEAD_MISSING = ("head_missing", "的链头记录（chain_head）被删除", "has lost its head record (chain_head)")
    TRUNCATED = ("truncated", "末尾被截断", "was cut off at its end")
    ANCHOR_WRONG = ("anchor_wrong", "的链头锚定（HMAC）不符", "has a head anchor (HMAC) that does not match")
    ANCHOR_MISSING = ("anchor_missing", "的链头锚定（HMAC）缺失", "has lost its head anchor (HMAC)")

    def __init__(self, code: str, zh: str, en: str) -> None:
        self.code, self.zh, self.en = code, zh, en


@dataclass(frozen=True)
class ChainBreak:
    """The first row where a chain does not hold.

    ``row_id`` names the row that was edited or inserted; for a deletion it names the row
    that is missing (the id the next row records as its predecessor), and ``after_id`` the
    last intact row before it (0 when none). For a truncation ``row_id`` is the anchored row
    that is gone (or no longer the one anchored) and ``after_id`` the chain's last row now.
    The anchor kinds name no row (``row_id`` is the anchored one, 0 for none).
    """

    chain: str  # "order_event" | "audit_event" | "code_event"
    kind: BreakKind
    row_id: int
    after_id: int = 0

    @property
    def zh(self) -> str:
        return self._say(0)

    @property
    def en(self) -> str:
        return self._say(1)

    def _form(self) -> str:
        if self.kind in (BreakKind.HEAD_MISSING, BreakKind.ANCHOR_WRONG, BreakKind.ANCHOR_MISSING):
            return "whole"
        if self.kind is BreakKind.TRUNCATED:
            return "truncated"
        if self.kind is BreakKind.DELETED:
            return "deleted_run" if self.row_id > self.after_id + 1 else "deleted"
        return "row"

    def _say(self, lang: int) -> str:
        """The break in words: ``lang`` 0 Chinese, 1 English."""
        where = _CHAIN_NAMES.get(self.chain, _TIMELINE_NAME)[lang]
        kind = (self.kind.zh, self.kind.en)[lang]
        return _BREAK_TEMPLATES[self._form()][lang].format(where=where, kind=kind, row=self.row_id,
                                                           after=self.after_id)


_TIMELINE_NAME = ("订单时间线", "order timeline")
_CHAIN_NAMES = {"audit_event": ("操作日志", "shop log"), "code_event": ("卡密库存日志", "卡密 inventory log")}
#: ChainBreak's sentences by form, (Chinese, English).
_BREAK_TEMPLATES = {
    "whole": ("{where}{kind}", "{where} {kind}"),
    "truncated": ("{where}{kind}：锚定的第 {row} 行已不在或被替换，现在最后一行是第 {after} 行",
                  "{where} {kind}: the anchored row {row} is gone or replaced; its last row is now {after}"),
    "deleted_run": ("{where}第 {after} 行之后、到第 {row} 行为止的行{kind}",
                    "{where} rows after row {after} up to row {row} were {kind}"),
    "deleted": ("{where}第 {row} 行（第 {after} 行之后）{kind}", "{where} row {row} (after row {after}) was {kind}"),
    "row": ("{where}第 {row} 行{kind}", "{where} row {row} was {kind}"),
}
