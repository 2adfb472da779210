"""Refund nos (退款单号 out_refund_no / out_request_no) that no other desk ever uses.

A refund no is ``RF`` + the store's random id (10 characters, made once per store at schema 3)
+ a 13-digit sequence: 25 upper-case letters and digits, within every gateway's limits
(Alipay ``out_request_no`` <= 64; WeChat Pay ``out_refund_no`` <= 64 of ``[0-9A-Za-z_-|*@]``;
易支付 V2 honours an ``out_refund_no`` longer than 5 characters; gateways.md §1.5, §2.7, §3.5).

The sequence never goes back: each allocation starts at the larger of the last number + 1 and
the wall clock in milliseconds, so even a store restored from an older backup (same store id,
an older counter) numbers past everything it sent before the backup was taken.
Two data folders (two PCs of one shop, or a folder re-created after a disk failure) have
different store ids. Refunds made before schema 3 keep their numbers.
"""

from __future__ import annotations

import json
import time

from ..store.schema3 import new_store_id
from .desk import Desk

PREFIX = "RF"
SEQ_DIGITS = 13


def store_id(desk: Desk) -> str:
    """This store's random id (made now if a store somehow lacks one)."""
    value = desk.setting("store_id")
    if not value:
        value = new_store_id()
        desk.set_setting("store_id", value)
    return str(value)


def allocate(desk: Desk, count: int) -> list[str]:
    """``count`` new refund nos, in the caller's transaction (a rollback gives them back)."""
    if count <= 0:
        return []
    head, first = allocate_range(desk, count)
    return [f"{head}{n:0{SEQ_DIGITS}d}" for n in range(first, first + count)]


def allocate_range(desk: Desk, count: int) -> tuple[str, int]:
    """Reserve ``count`` (> 0) consecutive refund nos for a set-based insert: returns the prefix
    and the first sequence number; number ``k`` (0-based) is prefix + the sequence padded to
    ``SEQ_DIGITS`` digits. In the caller's transaction."""
    con = desk.db.connection()
    row = con.execute("SELECT value FROM setting WHERE key = 'refund_seq'").fetchone()
    last = int(json.loads(row[0])) if row else 0
    first = max(last + 1, time.time_ns() // 1_000_000)
    con.execute("INSERT INTO setting (key, value) VALUES ('refund_seq', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (str(first + count - 1),))
    return PREFIX + store_id(desk), first
