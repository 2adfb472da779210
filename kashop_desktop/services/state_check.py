"""The state tables against the chained logs: what ``check`` finds when a row was edited behind the desk.

The chains (``store.chain``) show a log row changed outside the desk; these queries show a state
row (a refund, an order's money, a 卡密) that no longer agrees with the chained events that made
it, which a one-line UPDATE of the state table alone leaves behind. Each rule names its first
disagreement (lowest id), in Chinese and English. All amounts are integer fen.
"""

from __future__ import annotations

import json
from typing import Any

from ..domain.audit import CLOCK_SKEW_S, digest_mark
from ..domain.money import format_yuan
from ..domain.refund_states import IN_FLIGHT_REFUND_STATES, NOT_PAID_REFUND_STATES, RefundStatus
from ..domain.roles import OWNER_NAME, Role
from ..store.dialect import on_server
from . import approval_check, refund_timeline, timeline_check
from .state_words import order_status_words, refund_state_words
from .timeline_check import span, span_zh

__all__ = ["disagreements", "operator_disagreement"]

_NOT_PAID = ", ".join(f"'{s.value}'" for s in NOT_PAID_REFUND_STATES)
_IN_FLIGHT = ", ".join(f"'{s.value}'" for s in sorted(IN_FLIGHT_REFUND_STATES, key=lambda s: s.value))

#: The refunds, and the approvals that made them, read once each: a refund is matched with its
#: approval (``refund_no`` in the approval's data) in Python. Joining the two in SQL scanned the
#: whole timeline once per refund (hours on the 1M demo's 100,000 refunds and 4M entries), and
#: parsing the data here reads both stores alike (data edited outside the desk may not be JSON).
_REFUNDS = "SELECT r.id, o.order_no, r.refund_no, r.gross_fen, r.amount_fen FROM refund r JOIN orders o ON o.id = r.order_id ORDER BY r.id"
_APPROVALS = "SELECT data FROM order_event WHERE action IN ('approved', 'auto_approved') ORDER BY id"

#: An order whose refunds (not failed or withdrawn), or whose refunded and in-flight money, exceed what was paid.
#: ``{greatest}``: the two-argument maximum (SQLite ``MAX``, PostgreSQL ``GREATEST``).
_REFUNDS_OVER_PAID = f"""
SELECT o.order_no, o.paid_fen, {{greatest}}(COALESCE(x.total, 0), o.refunded_fen + o.refund_pending_fen)
FROM orders o LEFT JOIN (SELECT order_id, SUM(gross_fen) AS total FROM refund
                         WHERE state NOT IN ({_NOT_PAID}) GROUP BY order_id) x ON x.order_id = o.id
WHERE COALESCE(x.total, 0) > o.paid_fen OR o.refunded_fen + o.refund_pending_fen > o.paid_fen
ORDER BY o.id LIMIT 1
"""

#: An order whose refunded amount is below what its succeeded refunds paid back, or whose amount in
#: flight is not the sum of its refunds in flight (gross fen): lowered outside the desk, the money
#: would be offered again. An order imported with money refunded in an older system may have
#: refunded more than its refund rows show, never less.
_REFUNDED_VS_REFUNDS = f"""
SELECT o.order_no, o.refunded_fen, o.refund_pending_fen, COALESCE(x.done, 0), COALESCE(x.flying, 0)
FROM orders o LEFT JOIN (SELECT order_id,
                                SUM(CASE WHEN state = '{RefundStatus.SUCCEEDED.value}' THEN gross_fen ELSE 0 END) AS done,
                                SUM(CASE WHEN state IN ({_IN_FLIGHT}) THEN gross_fen ELSE 0 END) AS flying
                         FROM refund GROUP BY order_id) x ON x.order_id = o.id
WHERE o.refunded_fen < COALESCE(x.done, 0) OR o.refund_pending_fen != COALESCE(x.flying, 0)
ORDER BY o.id LIMIT 1
"""

#: An order whose paid amount is not the amount its creating event (``created`` / ``imported``)
#: recorded in its data (``amount_fen``, fen): a raised paid_fen. Orders made or imported before
#: the desk recorded it are not compared (``services.refund_guard.recorded_amount`` is the send's twin).
_PAID_VS_TIMELINE = """
SELECT o.order_no, o.paid_fen, json_extract(e.data, '$.amount_fen') FROM order_event e JOIN orders o ON o.id = e.order_id
WHERE e.action IN ('created', 'imported') AND e.data LIKE ? AND json_valid(e.data)
  AND json_extract(e.data, '$.amount_fen') IS NOT o.paid_fen
ORDER BY e.id LIMIT 1
"""

#: Orders whose refunded amount is not what their succeeded refunds paid back (gross fen), with
#: their creating event (``created`` / ``imported``): read from the orders, so a shop whose refunded
#: amounts all come from its refunds (the desk's, the demo's) reads no timeline here. The caller
#: judges each (MATERIALIZED: the few orders first, then their entries through the (order_id, id)
#: index; measured 0.2 s on 200,000 orders against 0.7 s joined the other way round): an order
#: made at the desk or by the demo starts at 0 refunded, an imported one at the
#: ``refunded_fen`` its ``imported`` entry recorded (money refunded in the older system); an import
#: entry from before the desk recorded it, and an order with no creating event, are not compared.
_REFUNDED_NOT_REFUNDS = f"""
WITH c AS MATERIALIZED (
  SELECT o.id, o.order_no, o.refunded_fen, COALESCE(x.done, 0) AS done FROM orders o
  LEFT JOIN (SELECT order_id, SUM(gross_fen) AS done FROM refund WHERE state = '{RefundStatus.SUCCEEDED.value}'
             GROUP BY order_id) x ON x.order_id = o.id
  WHERE o.refunded_fen != COALESCE(x.done, 0))
SELECT c.order_no, c.refunded_fen, c.done, e.action, e.data FROM c
JOIN order_event e ON e.id = (SELECT MIN(k.id) FROM order_event k WHERE k.order_id = c.id
                              AND k.action IN ('created', 'imported'))
ORDER BY c.id
"""

#: An order whose status is not the one its timeline's last status change left it in.
_STATUS_VS_TIMELINE = """
SELECT o.order_no, o.status, e.after_status FROM orders o
JOIN order_event e ON e.id = (SELECT MAX(x.id) FROM order_event x WHERE x.order_id = o.id AND x.after_status IS NOT NULL)
WHERE e.after_status != o.status
ORDER BY o.id LIMIT 1
"""

#: A 卡密 its inventory timeline voided (final) that is no longer void.
_VOIDED_CODE_BACK = """
SELECT c.id, c.state FROM card_code c JOIN (SELECT DISTINCT code_id FROM code_event WHERE action = 'void') v
     ON v.code_id = c.id
WHERE c.state != 'void'
ORDER BY c.id LIMIT 1
"""


def disagreements(con: Any) -> list[tuple[str, str]]:
    """The first disagreement of each rule between the state tables and the chained logs, as
    (zh, en) messages; empty when they agree. Read-only, on connection ``con``."""
    found: list[tuple[str, str]] = []
    approvals, refund_nos = _approvals(con), set[Any]()
    row = _refund_vs_approval(con, approvals, refund_nos)
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
    row = con.execute(_REFUNDS_OVER_PAID.format(greatest="GREATEST" if on_server(con) else "MAX")).fetchone()
    if row is not None:
        order_no, paid, refunds = row
        found.append((f"订单 {order_no} 的退款 ¥{_y(refunds)} 超过实付 ¥{_y(paid)}",
                      f"order {order_no}'s refunds of ¥{_y(refunds)} exceed the ¥{_y(paid)} paid"))
    found.extend(_approval_without_refund(approvals, refund_nos))
    found.extend(_refunded_vs_refunds(con))
    found.extend(_orders_vs_timeline(con))
    found.extend(_refund_states(con))
    approver = approval_check.approver_disagreement(con)
    found.extend([approver] if approver is not None else [])
    row = con.execute(_VOIDED_CODE_BACK).fetchone()
    if row is not None:
        code_id, state = row
        found.append((f"卡密 #{code_id} 已作废（见卡密库存日志），现在却是 {state}",
                      f"卡密 #{code_id} was voided (see the inventory log) but is now {state}"))
    found.extend(_settings(con))
    found.extend(_empty_logs(con))
    found.extend(_operators(con))
    found.extend(_shop_log_time(con))
    found.extend(timeline_check.time_disagreements(con))
    found.extend(timeline_check.code_log_disagreements(con))
    return found


#: (log, the state table whose rows its entries make, zh and en names): a log with no rows while its
#: table has some and its head says it held rows was wiped (every order the desk made or imported
#: wrote an entry; a 卡密 log that held rows had at least its codes' batch entries; codes whose
#: entries alone are gone are judged by ``timeline_check``).
_LOGS_OF = (("order_event", "orders", "订单时间线", "the order timelines", "订单", "orders"),
            ("code_event", "card_code", "卡密库存日志", "the 卡密 inventory log", "卡密", "卡密 codes"))


def _empty_logs(con: Any) -> list[tuple[str, str]]:
    """A chained log that is empty while the rows it records exist and its chain head says it
    once held rows (wiped outside the desk). A log never written (rows from before the log, or
    made without the desk) is not judged here; a wipe that also removed the head is the anchor's
    to find (services.chain_anchor)."""
    found = []
    for log, table, zh, en, zh_rows, en_rows in _LOGS_OF:
        head = con.execute("SELECT last_id FROM chain_head WHERE chain = ?"
                           if not on_server(con) else "SELECT last_id FROM chain_head WHERE chain = %s",
                           (log,)).fetchone()
        if head is None or not head[0]:
            continue
        if con.execute(f"SELECT 1 FROM {log} LIMIT 1").fetchone() is None:
            (n,) = con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
            if n:
                found.append((f"{zh}是空的，却有 {n} 个{zh_rows}（日志在软件之外被清空）",
                              f"{en}: no rows left though there are {n} {en_rows} (the log was wiped outside the desk)"))
    return found


def _refunded_vs_refunds(con: Any) -> list[tuple[str, str]]:
    """The first order whose refunded or in-flight amount its refund rows do not support."""
    row = con.execute(_REFUNDED_VS_REFUNDS).fetchone()
    if row is None:
        return []
    order_no, refunded, pending, done, flying = row
    if refunded < done:
        return [(f"订单 {order_no} 的已退金额 ¥{_y(refunded)} 少于它成功的退款 ¥{_y(done)}（在软件之外被改过）",
                 f"order {order_no}'s refunded amount ¥{_y(refunded)} is less than its succeeded refunds' "
                 f"¥{_y(done)} (changed outside the desk)")]
    return [(f"订单 {order_no} 的退款中金额 ¥{_y(pending)} 与进行中的退款 ¥{_y(flying)} 不一致（在软件之外被改过）",
             f"order {order_no}'s amount being refunded ¥{_y(pending)} is not its refunds in flight's ¥{_y(flying)} "
             "(changed outside the desk)")]


def _approval_without_refund(approvals: dict[Any, Any], refund_nos: set[Any]) -> list[tuple[str, str]]:
    """The first refund no an approval names (lowest) that no refund row carries: deleted outside the desk."""
    gone = sorted(str(n) for n in approvals if n not in refund_nos)
    if not gone:
        return []
    return [(f"批准记录写明的退款 {gone[0]} 不见了（在软件之外被删除）",
             f"the refund {gone[0]} an approval names is gone (deleted outside the desk)")]


def _approvals(con: Any) -> dict[Any, list[tuple[Any, Any]]]:
    """Each refund no the approvals name: the (gross, net) each approval naming it recorded.
    Approvals whose data does not parse name nothing."""
    approvals: dict[Any, list[tuple[Any, Any]]] = {}
    for (data,) in con.execute(_APPROVALS):
        try:
            values = json.loads(data)
        except (TypeError, ValueError):
            continue
        if isinstance(values, dict) and values.get("refund_no") is not None:
            approvals.setdefault(values["refund_no"], []).append((values.get("gross_fen"), values.get("net_fen")))
    return approvals


def _refund_vs_approval(con: Any, approvals: dict[Any, list[tuple[Any, Any]]],
                        seen: set[Any]) -> tuple[Any, ...] | None:
    """The first refund (lowest id) that no approval names or whose amounts differ from an
    approval naming it: (id, order no, refund no, gross, net, approved gross or None, approved
    net or None). ``seen`` collects the refund nos of the refund rows read."""
    first = None
    for rid, order_no, refund_no, gross, net in con.execute(_REFUNDS):
        seen.add(refund_no)
        if first is not None:
            continue
        named = approvals.get(refund_no)
        if not named:
            first = rid, order_no, refund_no, gross, net, None, None
        for a_gross, a_net in named or []:
            if a_gross != gross or a_net != net:
                first = rid, order_no, refund_no, gross, net, a_gross, a_net
                break
    return first


#: ``_PAID_VS_TIMELINE`` on a server store, the data parsed by the caller (PostgreSQL 15 has no
#: ``json_valid``, and a failed ``::jsonb`` cast of data edited outside the desk would end the check).
_CREATED_AMOUNTS = ("SELECT o.order_no, o.paid_fen, e.data FROM order_event e JOIN orders o ON o.id = e.order_id "
                    "WHERE e.action IN ('created', 'imported') AND e.data LIKE ? ORDER BY e.id")


_HAS_AMOUNT = "%amount_fen%"  # a parameter: a literal % is a placeholder to the server's driver


def _paid_vs_timeline_server(con: Any) -> tuple[Any, ...] | None:
    for order_no, paid, data in con.execute(_CREATED_AMOUNTS, (_HAS_AMOUNT,)):
        try:
            recorded = json.loads(data).get("amount_fen")
        except (AttributeError, TypeError, ValueError):
            continue
        if recorded is not None and recorded != paid:
            return order_no, paid, recorded
    return None


def _refunded_vs_timeline(con: Any) -> tuple[Any, ...] | None:
    """(order no, refunded, succeeded refunds, refunded at creation) of the first order whose
    refunded amount its creating event and its refunds do not add up to (``_REFUNDED_NOT_REFUNDS``)."""
    for order_no, refunded, done, action, data in con.execute(_REFUNDED_NOT_REFUNDS):
        try:
            values = json.loads(data) if action != "created" else {"refunded_fen": 0}
        except (TypeError, ValueError):
            continue  # the entry itself is damaged: the chain check names it
        start = values.get("refunded_fen") if isinstance(values, dict) else None
        if isinstance(start, int) and not isinstance(start, bool) and refunded != done + start:
            return order_no, refunded, done, start
    return None


def _orders_vs_timeline(con: Any) -> list[tuple[str, str]]:
    """The first order whose paid amount, then the first whose refunded amount, then the first
    whose status, its chained timeline does not support."""
    found = []
    row = _paid_vs_timeline_server(con) if on_server(con) else con.execute(_PAID_VS_TIMELINE, (_HAS_AMOUNT,)).fetchone()
    if row is not None:
        order_no, paid, recorded = row
        found.append((f"订单 {order_no} 的实付 ¥{_y(paid)} 与时间线创建时记录的 ¥{_y(recorded)} 不一致",
                      f"order {order_no}'s paid amount ¥{_y(paid)} is not the ¥{_y(recorded)} its timeline recorded "
                      "when it was created"))
    refunded = _refunded_vs_timeline(con)
    if refunded is not None:
        order_no, amount, done, start = refunded
        found.append((f"订单 {order_no} 的已退金额 ¥{_y(amount)} 不等于创建或导入时已退的 ¥{_y(start)} 加上成功的退款 "
                      f"¥{_y(done)}（在软件之外被改过）",
                      f"order {order_no}'s refunded amount ¥{_y(amount)} is not the ¥{_y(start)} it was created or "
                      f"imported with plus its succeeded refunds' ¥{_y(done)} (changed outside the desk)"))
    row = con.execute(_STATUS_VS_TIMELINE).fetchone()
    if row is not None:
        order_no, status, logged = row
        (now_zh, now_en), (log_zh, log_en) = order_status_words(status), order_status_words(logged)
        found.append((f"订单 {order_no} 的状态是「{now_zh}」，但时间线最后记录的是「{log_zh}」",
                      f"order {order_no} is \"{now_en}\" but its timeline last recorded \"{log_en}\""))
    return found


def _refund_states(con: Any) -> list[tuple[str, str]]:
    """The first refund whose state its timeline does not support (``services.refund_timeline``)."""
    row = refund_timeline.first_disagreement(con)
    if row is None:
        return []
    rid, order_no, refund_no, state, logged = row
    if logged is None:
        return [(f"退款 #{rid}（{order_no}，{refund_no}）标为成功，但时间线没有记录它成功",
                 f"refund #{rid} ({order_no}, {refund_no}) is marked succeeded but its timeline never recorded it")]
    (now_zh, now_en), (log_zh, log_en) = refund_state_words(state), refund_state_words(logged)
    return [(f"退款 #{rid}（{order_no}，{refund_no}）现在是「{now_zh}」，但时间线最后记录它为「{log_zh}」",
             f"refund #{rid} ({order_no}, {refund_no}) is \"{now_en}\" but its timeline last recorded it "
             f"\"{log_en}\"")]


#: A shop log row dated more than the skew before the row written before it in the chain, and
#: before the row written before that one too: a row written at the real time just after the
#: owner's forward-dated one (``--now`` ahead of the clock, a replayed day) is in line with the
#: row before that, and is not blamed for it.
_SHOP_LOG_BACKWARDS = f"""
SELECT a.id, a.at, b.at FROM audit_event a JOIN audit_event b ON b.id = a.prev_id
LEFT JOIN audit_event c ON c.id = b.prev_id
WHERE a.at < b.at - {CLOCK_SKEW_S} AND (c.id IS NULL OR a.at < c.at - {CLOCK_SKEW_S})
ORDER BY a.id LIMIT 1
"""


def _shop_log_time(con: Any) -> list[tuple[str, str]]:
    """The first shop log row whose time goes back before the row written before it by more than
    ``CLOCK_SKEW_S`` (a row backdated, or written while the clock was set back). The order
    timelines are judged order by order (``timeline_check``): the demo writes past orders' history
    with its own times."""
    row = con.execute(_SHOP_LOG_BACKWARDS).fetchone()
    if row is None:
        return []
    row_id, at, before = row
    return [(f"操作日志第 {row_id} 行的时间比前一行早 {span_zh(before - at)}（允许 {CLOCK_SKEW_S // 60} 分钟误差）",
             f"shop log row {row_id} is dated {span(before - at)} before the row written before it (a skew of "
             f"{CLOCK_SKEW_S // 60} minutes is allowed)")]


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

#: The shop log's entries that change an operator row (services.operators).
_OPERATOR_ACTIONS = ("operator_added", "password_changed", "operator_enabled", "operator_disabled", "operator_role",
                     "operator_limit", "signed_in")
_UNKNOWN = object()  # a field no entry recorded (entries written before the log recorded it)
_FIELDS = {"role": ("角色", "role"), "limit": ("审批额度", "approval limit"), "disabled": ("停用状态", "disabled state"),
           "digest": ("密码摘要", "password digest")}


def _logged_operators(con: Any, name: str | None = None) -> dict[str, dict[str, Any]]:
    """Each operator (or operator ``name`` alone) as the shop log's entries leave it, replayed in
    id order: role, approval limit (fen or None), disabled, password digest mark
    (``domain.audit.digest_mark``). The owner schema 14 made (店主, no password, no entry) is
    where every shop starts."""
    state: dict[str, dict[str, Any]] = {OWNER_NAME: {"role": Role.OWNER.code, "limit": None, "disabled": False,
                                                     "digest": ""}}
    marks = ", ".join("?" * len(_OPERATOR_ACTIONS))
    only = "" if name is None else "subject = ? AND "
    query = f"SELECT subject, action, data FROM audit_event WHERE {only}action IN ({marks}) ORDER BY id"
    for subject, action, data in con.execute(query, (*([] if name is None else [name]), *_OPERATOR_ACTIONS)):
        _replay(state.setdefault(subject, dict.fromkeys(_FIELDS, _UNKNOWN)), action, data)
    return state


def _replay(known: dict[str, Any], action: str, data: Any) -> None:
    """Apply one shop log entry about an operator to ``known`` (their fields as logged so far)."""
    try:
        values = json.loads(data)
    except (TypeError, ValueError):
        values = {}  # the entry itself is damaged: the chain check names it
    values = values if isinstance(values, dict) else {}
    if action == "operator_added":
        known.update(role=values.get("role", _UNKNOWN), disabled=False)
    if action in ("operator_added", "operator_limit"):
        known["limit"] = values.get("approve_limit_fen", _UNKNOWN)
    if action == "operator_role":
        known["role"] = values.get("role", _UNKNOWN)
    if action in ("operator_enabled", "operator_disabled"):
        known["disabled"] = action == "operator_disabled"
    if action in ("operator_added", "password_changed") or "digest" in values:
        known["digest"] = values.get("digest", _UNKNOWN)


def operator_disagreement(con: Any, name: str, role: Any, limit: Any, disabled: bool,
                          password_hash: str) -> tuple[str, str] | None:
    """Why operator ``name``'s stored rights (role code, approval limit in fen or None, disabled,
    password hash) are not what the shop log's entries about them made them, as (zh, en), or None
    when they agree. Read on connection ``con`` wherever rights are read (``Desk.current_operator``,
    sign-in): a row edited outside the desk grants nothing. Fields no entry recorded are not compared."""
    return _compare(name, _logged_operators(con, name).get(name), role, limit, disabled, password_hash)


def _compare(name: str, known: dict[str, Any] | None, role: Any, limit: Any, disabled: bool,
             password_hash: str) -> tuple[str, str] | None:
    if known is None:
        return (f"操作员 {name} 不是通过本软件添加的（操作日志里没有记录）",
                f"the operator {name} was not added through the desk (the log has no entry for them)")
    now = {"role": role, "limit": limit, "disabled": bool(disabled), "digest": digest_mark(password_hash or "")}
    for field, (zh, en) in _FIELDS.items():
        if known[field] is not _UNKNOWN and known[field] != now[field]:
            return (f"操作员 {name} 的{zh}与操作日志记录的不一致（在软件之外被改过）",
                    f"the operator {name}'s {en} differs from what the log recorded (changed outside the desk)")
    return None


def _operators(con: Any) -> list[tuple[str, str]]:
    """The first operator row (lowest id) whose role, approval limit, disabled state or password
    digest is not what the shop log's entries made it, or that no entry added; then an operator
    the log added whose row is gone. Fields no entry recorded are not compared."""
    logged = _logged_operators(con)
    rows = con.execute("SELECT name, role, approve_limit_fen, disabled_at IS NOT NULL, password_hash FROM operator "
                       "ORDER BY id").fetchall()
    unlogged = [str(r[0]) for r in rows if r[0] not in logged]
    if len(unlogged) > 1:  # several at once: the log's operator entries were removed, or rows were added
        shown = "、".join(unlogged[:10]) + ("…" if len(unlogged) > 10 else "")
        return [(f"操作日志里没有操作员 {shown} 的记录（日志被清空或删改，或他们是在软件之外添加的）",
                 f"the shop log has no entries for the operators {shown.replace('、', ', ')} (the log was wiped or "
                 "edited, or they were added outside the desk)")]
    for name, role, limit, disabled, digest in rows:
        found = _compare(name, logged.get(name), role, limit, disabled, digest)
        if found is not None:
            return [found]
    present = {str(r[0]) for r in rows}
    for name, known in logged.items():
        if name not in present and known["role"] is not _UNKNOWN and name != OWNER_NAME:
            return [(f"操作员 {name} 的记录不见了（在软件之外被删除）",
                     f"the operator {name}'s row is gone (deleted outside the desk)")]
    return []


def _y(fen: object) -> str:
    """Yuan text for a stored amount; a value that is not an integer is shown as stored."""
    return format_yuan(fen) if isinstance(fen, int) else str(fen)
