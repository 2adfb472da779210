"""Who approved a refund, read from the chained timeline rather than from the refund row.

A refund row's ``operator`` column is a plain column: changed with a one-line UPDATE it would move a
clerk's approvals onto the owner and free the clerk's per-order approval limit. The approval entry
that made the refund (``approved`` / ``auto_approved`` in ``order_event``, its data naming the
``refund_no``) is chained (``store.chain``) and records who was at the desk in its ``operator``
column; the limit is worked out from those entries, and ``check`` names a refund whose approver
differs from its entry's. Amounts are integer fen.
"""

from __future__ import annotations

import json
from typing import Any

from ..domain.refund_states import NOT_PAID_REFUND_STATES
from .common import SYSTEM

__all__ = ["RULE_APPROVER", "approved_on_order", "approver_disagreement", "expected_approver"]

#: The approver recorded on a refund the rules approved by themselves (自动批准), not a person.
RULE_APPROVER = SYSTEM

_APPROVALS = "SELECT id, order_id, operator, action, data FROM order_event WHERE action IN ('approved', 'auto_approved')"


def _refund_no(data: Any) -> tuple[Any, Any]:
    """(refund no, gross fen) an approval entry's data names, or (None, None) when it does not parse."""
    try:
        values = json.loads(data)
    except (TypeError, ValueError):
        return None, None
    if not isinstance(values, dict):
        return None, None
    return values.get("refund_no"), values.get("gross_fen")


def approved_on_order(con: Any, order_id: int, operator: str) -> int:
    """Gross fen that ``operator`` approved by hand on order ``order_id``, summed over the order's
    chained ``approved`` entries recorded with them at the desk, less refunds now failed or
    withdrawn (``NOT_PAID_REFUND_STATES``): what their per-order approval limit already covers.
    A refund row whose entry names it but which is gone still counts (deleted outside the desk)."""
    rows = con.execute("SELECT data FROM order_event WHERE order_id = ? AND action = 'approved' AND operator = ? "
                       "ORDER BY id", (order_id, operator)).fetchall()
    named = [_refund_no(data) for (data,) in rows]
    if not named:
        return 0
    not_paid = {s.value for s in NOT_PAID_REFUND_STATES}
    states = dict(con.execute("SELECT refund_no, state FROM refund WHERE order_id = ?", (order_id,)).fetchall())
    total = 0
    for refund_no, gross in named:
        if isinstance(gross, int) and not isinstance(gross, bool) and states.get(refund_no) not in not_paid:
            total += gross
    return total


def expected_approver(action: str, entry_operator: str) -> tuple[str, ...]:
    """The approvers a refund made by an entry of ``action`` with ``entry_operator`` at the desk may
    carry: the person for ``approved``; for ``auto_approved`` the rule (``RULE_APPROVER``), or the
    person at the desk on refunds approved before the rule was recorded as their approver."""
    if action == "auto_approved":
        return (RULE_APPROVER, entry_operator)
    return (entry_operator,)


def approver_disagreement(con: Any) -> tuple[str, str] | None:
    """The first refund (lowest id) whose approver (``refund.operator``) is not the operator its
    chained approval entry recorded, as a (zh, en) message, or None. A refund that records no
    approver (the demo's generated history, rows from before the desk recorded it) is not compared;
    refunds no entry names are ``services.state_check``'s to report."""
    entries: dict[Any, tuple[str, str]] = {}
    for _, _, operator, action, data in con.execute(_APPROVALS):
        refund_no, _ = _refund_no(data)
        if refund_no is not None:
            entries.setdefault(refund_no, (str(action), str(operator or "")))
    rows = con.execute("SELECT r.id, o.order_no, r.refund_no, r.operator FROM refund r "
                       "JOIN orders o ON o.id = r.order_id ORDER BY r.id")
    for rid, order_no, refund_no, approver in rows:
        entry = entries.get(refund_no)
        if entry is None:
            continue
        action, logged = entry
        if approver and str(approver) not in expected_approver(action, logged):
            shown = logged or RULE_APPROVER
            return (f"退款 #{rid}（{order_no}）的批准人是 {approver or '-'}，但时间线的批准记录是 {shown}"
                    "（在软件之外被改过）",
                    f"refund #{rid} ({order_no}) names {approver or '-'} as its approver but its approval entry in the "
                    f"timeline recorded {shown} (changed outside the desk)")
    return None
