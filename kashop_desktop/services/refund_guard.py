"""The last check before a refund leaves the desk: the amount an approval made, within what was paid.

Every send goes through ``RefundQueue._mark_sending`` (the periodic queue, 立即发送, ``refunds send``,
a re-send after the gateway found no such refund), which asks ``why_not_sendable`` inside the same
transaction that marks the refund ``sending``. A refund row edited outside the desk (its amount
raised with a one-line UPDATE) is then refused and waits for the owner with the reason, and nothing
is sent; the rule itself is ``domain.refunds.send_refusal``.
"""

from __future__ import annotations

import json
from typing import Any

from ..domain.refund_states import NOT_PAID_REFUND_STATES
from ..domain.refunds import send_refusal
from .refund_timeline import settled_state
from .state_words import refund_state_words

__all__ = ["approved_amounts", "recorded_amount", "why_not_recordable", "why_not_sendable"]

#: The timeline actions that create a refund (services.requests, services.history_refunds).
APPROVAL_ACTIONS = ("approved", "auto_approved")


def approved_amounts(con: Any, order_id: int, refund_no: str) -> tuple[int, int] | None:
    """(gross_fen, net_fen) the approval event of refund ``refund_no`` recorded in order ``order_id``'s
    timeline, or None when no approval names it (or its data does not parse). The order's few
    approvals are parsed here, so both stores read them alike."""
    rows = con.execute("SELECT data FROM order_event WHERE order_id = ? AND action IN (?, ?) ORDER BY id",
                       (order_id, *APPROVAL_ACTIONS)).fetchall()
    for (data,) in rows:
        try:
            values = json.loads(data)
            if values["refund_no"] == refund_no:
                return int(values["gross_fen"]), int(values["net_fen"])
        except (ValueError, KeyError, TypeError):
            continue
    return None


def recorded_amount(con: Any, order_id: int) -> int | None:
    """The amount due (fen) order ``order_id``'s creating event recorded in its chained timeline
    (``amount_fen`` of its ``created`` / ``imported`` entry), or None when it recorded none (orders
    made before the desk wrote it) or its data does not parse."""
    row = con.execute("SELECT data FROM order_event WHERE order_id = ? AND action IN ('created', 'imported') "
                      "ORDER BY id LIMIT 1", (order_id,)).fetchone()
    try:
        value = json.loads(row[0]).get("amount_fen") if row is not None else None
    except (AttributeError, TypeError, ValueError):
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def why_not_sendable(con: Any, refund_id: int) -> tuple[str, str] | None:
    """Why refund ``refund_id`` must not be sent now, as (zh, en), or None. Reads the refund, its
    order's paid amount and other refunds, its approval event and the amount its order's creation
    recorded on connection ``con``."""
    row = con.execute(
        "SELECT r.order_id, r.refund_no, r.gross_fen, r.amount_fen, o.paid_fen FROM refund r "
        "JOIN orders o ON o.id = r.order_id WHERE r.id = ?", (refund_id,)).fetchone()
    if row is None:
        return None
    order_id, refund_no, gross, net, paid = row
    settled = settled_state(con, order_id, refund_no)
    if settled is not None:  # put back into the queue outside the desk: it would be paid twice
        zh, en = refund_state_words(settled)
        return (f"时间线记录这笔退款已是「{zh}」：未发送，请店主核实",
                f"the order's timeline recorded this refund as \"{en}\": not sent; the owner must check")
    return _amount_refusal(con, order_id, refund_no, int(gross), int(net), int(paid or 0))


def _amount_refusal(con: Any, order_id: int, refund_no: str, gross: int, net: int, paid: int) -> tuple[str, str] | None:
    """``domain.refunds.send_refusal`` for one refund row: its amounts against its approval entry,
    the order's refunds against what was paid. The row itself always counts: a failed refund
    recorded as paid back by hand joins the order's refunds, with any newer one approved for the
    same money (which would otherwise pay the buyer twice)."""
    marks = ",".join("?" * len(NOT_PAID_REFUND_STATES))
    (total,) = con.execute(
        f"SELECT COALESCE(SUM(gross_fen), 0) FROM refund WHERE order_id = ? AND (state NOT IN ({marks}) OR refund_no = ?)",
        (order_id, *(s.value for s in NOT_PAID_REFUND_STATES), refund_no)).fetchone()
    return send_refusal(gross_fen=gross, net_fen=net, approved=approved_amounts(con, order_id, refund_no),
                        paid_fen=paid, order_refunds_gross_fen=int(total), recorded_paid_fen=recorded_amount(con, order_id))


def why_not_recordable(con: Any, refund_id: int) -> tuple[str, str] | None:
    """Why refund ``refund_id`` must not be recorded as paid back by hand (``refunds resolve
    --succeeded``, 标记为已退款), as (zh, en), or None: the send's amount rule
    (``domain.refunds.send_refusal``), so a refund row raised outside the desk and held by the
    send is not counted as refunded at its raised amount either."""
    row = con.execute("SELECT r.order_id, r.refund_no, r.gross_fen, r.amount_fen, o.paid_fen FROM refund r "
                      "JOIN orders o ON o.id = r.order_id WHERE r.id = ?", (refund_id,)).fetchone()
    if row is None:
        return None
    order_id, refund_no, gross, net, paid = row
    why = _amount_refusal(con, order_id, refund_no, int(gross), int(net), int(paid or 0))
    if why is None:
        return None
    return (why[0].replace("未发送", "不能记为已退款"), why[1].replace("not sent", "not recorded as refunded"))
