"""The order timelines and the 卡密 log judged by what they must hold: times in order, and entries a code's state needs.

Times. The demo writes years of past orders' history with their own times, so the order
timeline's rows, in the order they were written, go back and forth in time by design; a plain
"each row not older than the row before it" would name every demo shop. What can be judged is
each order's own timeline (and each 卡密's own entries in the inventory log): the desk writes an
order's entries as things happen, imports write theirs at the import's time, and the demo writes
each order's history in the order it happened. A row dated more than ``CLOCK_SKEW_S`` before the
row written before it in the same order (a row backdated, or written while the PC's clock was set
back) is named, unless it is in line with the row before that one (a row written at the real
time after the owner's forward-dated one, ``--now`` ahead of the clock). Not judged: the order of
rows of different orders, so a new order whose every row was written with the clock set back has
nothing of its own to be compared with; the inventory log's rows that name no code (batches,
low-stock warnings, exports).

The 卡密 log. Codes added in bulk write one entry per batch, and the demo's shelf none, so a code
without an entry is not in itself a wipe. What a code's state does need: a void or locked code
was made so by an entry naming it (``void``, ``lock``), and a delivered code went out with its
order's ``deliver`` entry in the order timeline. A code in such a state without the entry had its
entry wiped (or its state changed outside the desk). A log wiped whole with its chain head is the
anchor's to find (``services.chain_anchor``); one wiped leaving its head is named by the chain
check and by ``state_check``'s empty logs.
"""

from __future__ import annotations

from typing import Any

from ..domain.audit import CLOCK_SKEW_S
from ..store.dialect import on_server

__all__ = ["code_log_disagreements", "span", "span_zh", "time_disagreements"]

#: The first row of an order's (or a code's) own entries dated more than the skew before the row
#: written before it there, and before the row before that one too (on a server store). ``{key}``: the column the
#: timeline belongs to; ``{table}``, ``{where}``: the log and the rows judged.
_BACKWARDS = f"""
SELECT id, {{key}}, at, b_at FROM (
  SELECT id, {{key}}, at, LAG(at) OVER w AS b_at, LAG(at, 2) OVER w AS c_at FROM {{table}} {{where}}
  WINDOW w AS (PARTITION BY {{key}} ORDER BY id)) t
WHERE at < b_at - {CLOCK_SKEW_S} AND (c_at IS NULL OR at < c_at - {CLOCK_SKEW_S})
ORDER BY id LIMIT 1
"""

#: A void or locked 卡密 that no entry of the inventory log voided or locked.
_STATE_WITHOUT_ENTRY = """
SELECT c.id, c.state FROM card_code c
LEFT JOIN (SELECT DISTINCT code_id, action FROM code_event WHERE action IN ('void', 'lock') AND code_id IS NOT NULL) e
       ON e.code_id = c.id AND e.action = CASE c.state WHEN 'void' THEN 'void' ELSE 'lock' END
WHERE c.state IN ('void', 'locked') AND e.code_id IS NULL
ORDER BY c.id LIMIT 1
"""

#: A delivered 卡密 whose order's timeline has no delivery (发货) entry.
_DELIVERED_WITHOUT_ENTRY = """
SELECT c.id, o.order_no FROM card_code c JOIN orders o ON o.id = c.order_id
WHERE c.state = 'delivered'
  AND NOT EXISTS (SELECT 1 FROM order_event e WHERE e.order_id = c.order_id AND e.action = 'deliver')
ORDER BY c.id LIMIT 1
"""


def _first_backwards(con: Any, table: str, key: str, where: str = "") -> tuple[Any, ...] | None:
    """(row id, order or code id, at, the previous row's at) of the lowest row of ``table`` that
    goes back within its ``key``'s own rows, or None. On a server one window query; on the data
    file one pass in (key, id) order through the index, measured faster there than SQLite's
    window functions (benchmarks/bench_check_timelines.py)."""
    if on_server(con):
        found: tuple[Any, ...] | None = con.execute(_BACKWARDS.format(key=key, table=table, where=where)).fetchone()
        return found
    first = None
    current, before, earlier = None, None, None  # the key, its previous row's at and the one before
    for row_id, owner, at in con.execute(f"SELECT id, {key}, at FROM {table} {where} ORDER BY {key}, id"):
        if owner != current:
            current, before, earlier = owner, None, None
        elif (before - at > CLOCK_SKEW_S and (earlier is None or earlier - at > CLOCK_SKEW_S)
              and (first is None or row_id < first[0])):
            first = (row_id, owner, at, before)
        before, earlier = at, before
    return first


def time_disagreements(con: Any) -> list[tuple[str, str]]:
    """The first order timeline row, then the first 卡密 log row, that goes back in time within
    its own order's (code's) entries (see the module docstring), as (zh, en). Read-only."""
    found = []
    row = _first_backwards(con, "order_event", "order_id")
    if row is not None:
        row_id, order_id, at, before = row
        named = con.execute(f"SELECT order_no FROM orders WHERE id = {int(order_id)}").fetchone()
        order_no = named[0] if named else f"#{order_id}"
        found.append((f"订单 {order_no} 的时间线第 {row_id} 行的时间比该订单的前一行早 {span_zh(before - at)}"
                      f"（允许 {CLOCK_SKEW_S // 60} 分钟误差）",
                      f"order {order_no}'s timeline row {row_id} is dated {span(before - at)} before the order's "
                      f"row written before it (a skew of {CLOCK_SKEW_S // 60} minutes is allowed)"))
    row = _first_backwards(con, "code_event", "code_id", "WHERE code_id IS NOT NULL")
    if row is not None:
        row_id, code_id, at, before = row
        found.append((f"卡密库存日志第 {row_id} 行（卡密 #{code_id}）的时间比这个卡密的前一行早 {span_zh(before - at)}"
                      f"（允许 {CLOCK_SKEW_S // 60} 分钟误差）",
                      f"卡密 inventory log row {row_id} (卡密 #{code_id}) is dated {span(before - at)} before the "
                      f"code's row written before it (a skew of {CLOCK_SKEW_S // 60} minutes is allowed)"))
    return found


def code_log_disagreements(con: Any) -> list[tuple[str, str]]:
    """The first void or locked 卡密 no inventory log entry made so, then the first delivered
    卡密 whose order's timeline has no delivery entry, as (zh, en). Read-only."""
    found = []
    row = con.execute(_STATE_WITHOUT_ENTRY).fetchone()
    if row is not None:
        code_id, state = row
        zh, en = ("作废", "voided") if state == "void" else ("锁定", "locked")
        found.append((f"卡密 #{code_id} 是{zh}的，但卡密库存日志没有{zh}它的记录（日志被清空或删改，或在软件之外被改过）",
                      f"卡密 #{code_id} is {en} but no entry of the 卡密 inventory log {en} it (the log was wiped or "
                      "edited, or the code changed outside the desk)"))
    row = con.execute(_DELIVERED_WITHOUT_ENTRY).fetchone()
    if row is not None:
        code_id, order_no = row
        found.append((f"卡密 #{code_id} 已发给订单 {order_no}，但该订单的时间线没有发货记录（日志被清空或删改）",
                      f"卡密 #{code_id} went to order {order_no} but the order's timeline has no delivery entry (the "
                      "log was wiped or edited)"))
    return found


def span_zh(seconds: int) -> str:
    """A time difference (seconds) as people read it: days and hours from a day on, else minutes."""
    return f"{seconds // 86400} 天 {seconds % 86400 // 3600} 小时" if seconds >= 86400 else f"{seconds // 60} 分钟"


def span(seconds: int) -> str:
    return f"{seconds // 86400}d {seconds % 86400 // 3600}h" if seconds >= 86400 else f"{seconds // 60} min"
