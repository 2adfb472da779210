"""The state tables against the chained logs: what ``check`` finds when a row was edited behind the desk.

The chains (``store.chain``) show a log row changed outside the desk; these queries show a state
row (a refund, an order's money, a 卡密) that no longer agrees with the chained events that made
it, which a one-line UPDATE of the state table alone leaves behind. Each rule names its first
disagreement (lowest id), in Chinese and English. All amounts are integer fen.
"""

from __future__ import annotations

import json
from typing import Any

from ..domain.money import format_yuan
from ..domain.refund_states import NOT_PAID_REFUND_STATES
from ..store.dialect import on_server

__all__ = ["disagreements"]

_NOT_PAID = ", ".join(f"'{s.value}'" for s in NOT_PAID_REFUND_STATES)

#: A refund whose amounts differ from those its approval event recorded, or that no approval names.
_REFUND_VS_APPROVAL = """
SELECT r.id, o.order_no, r.refund_no, r.gross_fen, r.amount_fen, e.gross, e.net
FROM refund r JOIN orders o ON o.id = r.order_id
LEFT JOIN (SELECT json_extract(data, '$.refund_no') AS no, json_extract(data, '$.gross_fen') AS gross,
                  json_extract(data, '$.net_fen') AS net
           FROM order_event WHERE action IN ('approved', 'auto_approved') AND json_valid(data)) e
       ON e.no = r.refund_no
WHERE e.no IS NULL OR e.gross IS NOT r.gross_fen OR e.net IS NOT r.amount_fen
ORDER BY r.id LIMIT 1
"""

#: The same on a server store, where the approvals' data (TEXT, possibly not JSON after an edit
#: outside the desk) is parsed by the caller: PostgreSQL 15 has no ``json_valid`` and a failed
#: ``::jsonb`` cast would end the whole check.
_REFUNDS_AND_APPROVALS_PG = (
    "SELECT r.id, o.order_no, r.refund_no, r.gross_fen, r.amount_fen FROM refund r "
    "JOIN orders o ON o.id = r.order_id ORDER BY r.id",
    "SELECT data FROM order_event WHERE action IN ('approved', 'auto_approved') ORDER BY id",
)

#: An order whose refunds (not failed or withdrawn), or whose refunded and in-flight money, exceed what was paid.
#: ``{greatest}``: the two-argument maximum (SQLite ``MAX``, PostgreSQL ``GREATEST``).
_REFUNDS_OVER_PAID = f"""
SELECT o.order_no, o.paid_fen, {{greatest}}(COALESCE(x.total, 0), o.refunded_fen + o.refund_pending_fen)
FROM orders o LEFT JOIN (SELECT order_id, SUM(gross_fen) AS total FROM refund
                         WHERE state NOT IN ({_NOT_PAID}) GROUP BY order_id) x ON x.order_id = o.id
WHERE COALESCE(x.total, 0) > o.paid_fen OR o.refunded_fen + o.refund_pending_fen > o.paid_fen
ORDER BY o.id LIMIT 1
"""

#: A 卡密 its inventory timeline voided (final) that is no longer void.
_VOIDED_CODE_BACK = """
SELECT c.id, c.state FROM card_code c
WHERE c.state != 'void' AND EXISTS (SELECT 1 FROM code_event e WHERE e.code_id = c.id AND e.action = 'void')
ORDER BY c.id LIMIT 1
"""


def disagreements(con: Any) -> list[tuple[str, str]]:
    """The first disagreement of each rule between the state tables and the chained logs, as
    (zh, en) messages; empty when they agree. Read-only, on connection ``con``."""
    found: list[tuple[str, str]] = []
    server = on_server(con)
    row = _refund_vs_approval_server(con) if server else con.execute(_REFUND_VS_APPROVAL).fetchone()
    if row is not None:
        rid, order_no, refund_no, gross, net, a_gross, a_net = row
        if a_gross is None and a_net is None:
            found.append((f"退款 #{rid}（{order_no}，{refund_no}）没有批准记录写明它",
                          f"refund #{rid} ({order_no}, {refund_no}) is named by no approval in the timeline"))
        else:
            found.append((f"退款 #{rid}（{order_no}）金额 ¥{_y(net)}（扣款 ¥{_y(gross)}）与批准记录的 ¥{_y(a_net)}"
                          f"（扣款 ¥{_y(a_gross)}）不一致",
                          f"refund #{rid} ({order_no}) is ¥{_y(net)} (gross ¥{_y(gross)}) but its approval recorded "
                          f"¥{_y(a_net)} (gross ¥{_y(a_gross)})"))
    row = con.execute(_REFUNDS_OVER_PAID.format(greatest="GREATEST" if server else "MAX")).fetchone()
    if row is not None:
        order_no, paid, refunds = row
        found.append((f"订单 {order_no} 的退款 ¥{_y(refunds)} 超过实付 ¥{_y(paid)}",
                      f"order {order_no}'s refunds of ¥{_y(refunds)} exceed the ¥{_y(paid)} paid"))
    row = con.execute(_VOIDED_CODE_BACK).fetchone()
    if row is not None:
        code_id, state = row
        found.append((f"卡密 #{code_id} 已作废（见卡密库存日志），现在却是 {state}",
                      f"卡密 #{code_id} was voided (see the inventory log) but is now {state}"))
    found.extend(_settings(con))
    return found


def _refund_vs_approval_server(con: Any) -> tuple[Any, ...] | None:
    """``_REFUND_VS_APPROVAL``'s row on a server store: the first refund (lowest id) that no
    approval names or whose amounts differ from an approval naming it, with that approval's
    (gross, net) or (None, None). Approvals whose data does not parse name nothing, as on SQLite."""
    refunds_sql, approvals_sql = _REFUNDS_AND_APPROVALS_PG
    approvals: dict[Any, list[tuple[Any, Any]]] = {}
    for (data,) in con.execute(approvals_sql):
        try:
            values = json.loads(data)
        except (TypeError, ValueError):
            continue
        if isinstance(values, dict) and values.get("refund_no") is not None:
            approvals.setdefault(values["refund_no"], []).append((values.get("gross_fen"), values.get("net_fen")))
    for rid, order_no, refund_no, gross, net in con.execute(refunds_sql):
        named = approvals.get(refund_no)
        if not named:
            return rid, order_no, refund_no, gross, net, None, None
        for a_gross, a_net in named:
            if a_gross != gross or a_net != net:
                return rid, order_no, refund_no, gross, net, a_gross, a_net
    return None


#: The value each setting's last setting_changed entry in the shop log recorded.
_LOGGED_SETTINGS = """
SELECT a.subject, a.data, s.value FROM audit_event a LEFT JOIN setting s ON s.key = a.subject
WHERE a.id IN (SELECT MAX(id) FROM audit_event WHERE action = 'setting_changed' GROUP BY subject)
ORDER BY a.subject
"""


def _settings(con: Any) -> list[tuple[str, str]]:
    """The first setting whose stored value is not the one its last setting_changed entry recorded
    (changed or removed outside the desk), or that does not parse. Settings the desk keeps
    without logging them (counters, the store's id) have no entry and are not compared."""
    for key, data, stored in con.execute(_LOGGED_SETTINGS):
        try:
            logged = json.loads(data)["value"]
        except (TypeError, ValueError, KeyError):
            continue  # the entry itself is damaged: the chain check names it
        try:
            value = json.loads(stored) if stored is not None else _MISSING
        except (TypeError, ValueError):
            return [(f"设置 {key} 无法读取（不是有效的 JSON）", f"the setting {key} does not parse (not valid JSON)")]
        if value != logged:
            return [(f"设置 {key} 与操作日志最后记录的值不一致", f"the setting {key} differs from the value the log last recorded")]
    return []


_MISSING = object()


def _y(fen: object) -> str:
    """Yuan text for a stored amount; a value that is not an integer is shown as stored."""
    return format_yuan(fen) if isinstance(fen, int) else str(fen)
