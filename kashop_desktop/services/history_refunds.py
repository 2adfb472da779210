"""The requests, refunds and timeline entries behind a generated history's refunded orders.

A generated order whose ``refunded_fen`` is above zero (已退款, 部分退款, or a paid order the
owner cancelled) got that money back the way the desk does it: a request (the owner's
cancellation or the buyer's after-sales dispute), its approval, one refund with a refund no
(退款单号) that the gateway confirmed (退款成功), and the timeline entries of each step.
Everything is written set-based (a handful of INSERT ... SELECT), so a million-order demo pays
no per-row Python; the refund nos come from the store's one sequence (``refund_nos``). A
cancelled order's refund gives its points back too (its ``points_refunded`` says so).

Times (epoch seconds, never later than ``now``): for a delivered order the request comes
``REQUEST_AFTER_S`` after delivery, the approval ``APPROVE_AFTER_S`` after it and the gateway's
confirmation ``SETTLE_AFTER_S``; a cancelled paid order is requested and approved at its
``cancelled_at`` and settles ``CANCEL_SETTLE_S`` later.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ..store import chain
from .common import operator_name
from .desk import Desk
from .refund_nos import SEQ_DIGITS, allocate_range

REQUEST_AFTER_S = 1800
APPROVE_AFTER_S = 3600
SETTLE_AFTER_S = 3900
CANCEL_SETTLE_S = 300
CANCEL_NOTE = "买家要求取消，已全额退款"
DISPUTE_NOTE = "售后争议：商家原因"

_PICK = f"""
CREATE TEMP TABLE _history_refund AS
SELECT o.id AS order_id, ROW_NUMBER() OVER (ORDER BY o.id) - 1 AS k, o.status AS status,
       o.status = 'cancelled' AS cancel, o.refunded_fen AS fen, o.channel AS channel, o.gateway_id AS gateway_id,
       o.gateway_trade_no AS trade_no, CASE WHEN o.status = 'cancelled' THEN o.points ELSE 0 END AS points,
       CASE WHEN o.status = 'cancelled' THEN 'paid' ELSE 'delivered' END AS before_status,
       CASE WHEN o.status = 'cancelled' THEN o.cancelled_at
            ELSE MIN(:now, COALESCE(o.delivered_at, o.paid_at) + {REQUEST_AFTER_S}) END AS requested_at,
       CASE WHEN o.status = 'cancelled' THEN o.cancelled_at
            ELSE MIN(:now, COALESCE(o.delivered_at, o.paid_at) + {APPROVE_AFTER_S}) END AS approved_at,
       CASE WHEN o.status = 'cancelled' THEN MIN(:now, o.cancelled_at + {CANCEL_SETTLE_S})
            ELSE MIN(:now, COALESCE(o.delivered_at, o.paid_at) + {SETTLE_AFTER_S}) END AS settled_at
FROM orders o
WHERE o.id >= :first AND o.refunded_fen > 0 AND o.paid_at IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM refund r WHERE r.order_id = o.id)
"""

#: The buyer's reason for a paid order cancelled, from its id, in the proportions shops see them
#: (most ordered by mistake or no longer need it), so the reports count cancellations by reason.
CANCEL_REASON_PICK = ("CASE order_id % 10 WHEN 0 THEN 'duplicate' WHEN 1 THEN 'duplicate' WHEN 2 THEN 'wrong_item' "
                      "WHEN 3 THEN 'payment_issue' WHEN 4 THEN 'merchant_fault' WHEN 5 THEN 'not_needed' "
                      "WHEN 6 THEN 'not_needed' WHEN 7 THEN 'other' ELSE 'mistaken' END")

_REQUESTS = f"""
INSERT INTO cancel_request (order_id, is_dispute, reason, note, evidence, amount_fen, state, requested_at, due_at,
                            overdue, outcome, decision_reasons, decided_at, decided_by, decision_note)
SELECT order_id, NOT cancel, CASE WHEN cancel THEN {CANCEL_REASON_PICK} ELSE 'merchant_fault' END,
       CASE WHEN cancel THEN '{CANCEL_NOTE}' ELSE '{DISPUTE_NOTE}' END, '',
       CASE WHEN status = 'partially_refunded' THEN fen END, 'approved', requested_at, requested_at + 86400, 0,
       'needs_review', '[]', approved_at, 'owner', ''
FROM _history_refund ORDER BY order_id
"""

_REFUNDS = f"""
INSERT INTO refund (order_id, request_id, refund_no, gateway_id, channel, gross_fen, fee_fen, amount_fen,
                    coupon_share_fen, points_returned, state, attempts, checks, needs_confirmation, confirmed,
                    last_error, last_error_kind, security_warning, gateway_refund_no, created_at, sent_at,
                    first_sent_at, resolved_how, settled_at, next_attempt_at)
SELECT h.order_id, cr.id, :head || printf('%0{SEQ_DIGITS}d', :seq + h.k), h.gateway_id, h.channel, h.fen, 0, h.fen,
       0, h.points, 'succeeded', 1, 0, 0, 0, '', '', 0, 'GR' || printf('%0{SEQ_DIGITS}d', :seq + h.k), h.approved_at,
       h.approved_at, h.approved_at, '', h.settled_at, 0
FROM _history_refund h JOIN cancel_request cr ON cr.order_id = h.order_id
"""

_EVENTS = [
    # The request (the owner's cancellation, or the buyer's dispute on a delivered order).
    "SELECT h.order_id, h.requested_at, CASE WHEN h.cancel THEN 'owner' ELSE 'buyer' END, "
    "CASE WHEN h.cancel THEN 'request_opened' ELSE 'dispute_opened' END, cr.note, NULL, NULL, "
    "json_object('request_id', cr.id, 'reason', cr.reason, 'amount_fen', cr.amount_fen, 'evidence', '') "
    "FROM _history_refund h JOIN cancel_request cr ON cr.order_id = h.order_id WHERE h.k BETWEEN :low AND :high ORDER BY h.order_id",
    # Its approval, which made the refund.
    "SELECT h.order_id, h.approved_at, 'owner', 'approved', cr.note, h.before_status, h.status, "
    "json_object('request_id', cr.id, 'refund_no', r.refund_no, 'gross_fen', r.gross_fen, 'fee_fen', 0, "
    "'net_fen', r.amount_fen, 'points_returned', r.points_returned, 'coupon_share_fen', 0, 'stock_released', json('false')) "
    "FROM _history_refund h JOIN cancel_request cr ON cr.order_id = h.order_id "
    "JOIN refund r ON r.order_id = h.order_id WHERE h.k BETWEEN :low AND :high ORDER BY h.order_id",
    # The gateway's confirmation.
    "SELECT h.order_id, h.settled_at, 'system', 'refund_succeeded', '', h.status, h.status, "
    "json_object('refund_no', r.refund_no, 'amount_fen', r.amount_fen, 'security_warning', json('false')) "
    "FROM _history_refund h JOIN refund r ON r.order_id = h.order_id WHERE h.k BETWEEN :low AND :high ORDER BY h.order_id",
]

#: A round's entries are staged here in the order they get their ids (``k`` from 1), so each
#: one's id, predecessor and chain hash are known before it is written.
_STAGE = ("CREATE TEMP TABLE _history_event (k INTEGER PRIMARY KEY, order_id INTEGER, at INTEGER, actor TEXT, "
          "action TEXT, note TEXT, before_status TEXT, after_status TEXT, data TEXT)")
_STAGE_COLUMNS = "order_id, at, actor, action, note, before_status, after_status, data"
#: A staged entry's id and predecessor: ids after ``:base``, the first linked to ``:prev``.
_ID, _PREV = ":base + k", "CASE k WHEN 1 THEN :prev ELSE :base + k - 1 END"
#: Each entry's canonical text (``domain.audit.canonical``: the compact JSON array of
#: ORDER_EVENT_FIELDS, non-ASCII kept; SQLite's json_array writes the same bytes, a test holds
#: it to ``canonical``), so Python only runs the SHA-256 chain over it.
_CANONICAL = (f"SELECT json_array({_ID}, {_PREV}, order_id, at, actor, :operator, action, note, before_status, "
              "after_status, data) FROM _history_event ORDER BY k")
_WRITE = ("INSERT INTO order_event (id, prev_id, order_id, at, actor, operator, action, note, before_status, "
          f"after_status, data, hash) SELECT {_ID}, {_PREV}, order_id, at, actor, :operator, action, note, "
          "before_status, after_status, data, substr(:hashes, (k - 1) * 32 + 1, 32) FROM _history_event ORDER BY k")
#: Refunds whose entries are staged, hashed and written per round (the staging table is a
#: temporary one: a round of 20,000 holds about 15 MB, not a million-order history's 75).
_ROUND = 20_000


def add_history_refunds(desk: Desk, first_id: int, now_s: int, *, events: bool = True) -> int:
    """For every order from id ``first_id`` on with ``refunded_fen`` > 0 and no refund yet:
    an approved request, one succeeded refund of ``refunded_fen`` fen with a fresh refund no,
    and (with ``events``) their timeline entries, recording the operator and chained into the
    tamper-evident log as they are written (``_add_events``). In the caller's transaction;
    returns how many refunds were written."""
    con = desk.db.connection()
    con.execute("DROP TABLE IF EXISTS temp._history_refund")
    con.execute(_PICK, {"now": now_s, "first": first_id})
    (count,) = con.execute("SELECT COUNT(*) FROM _history_refund").fetchone()
    if count:
        head, seq = allocate_range(desk, count)
        con.execute(_REQUESTS)
        con.execute(_REFUNDS, {"head": head, "seq": seq})
        if events:
            _add_events(con, operator_name(desk.db), int(count))  # who built the history: the owner signed in
    con.execute("DROP TABLE temp._history_refund")
    return int(count)


def _add_events(con: Any, operator: str, count: int) -> None:
    """The requests', approvals' and confirmations' timeline entries of the ``count`` refunds
    picked, written already chained into the tamper-evident log, ``_ROUND`` refunds at a time:
    staged in id order (each round: its requests, approvals, then confirmations), their canonical
    texts made by SQLite, the SHA-256 chain run over them here, then inserted with ids,
    predecessors and hashes, and the chain's head moved to the last (one write per entry, not an
    insert and then an update)."""
    con.execute("DROP TABLE IF EXISTS temp._history_event")
    con.execute(_STAGE)
    base = chain.next_id(con, "order_event") - 1
    prev_id, prev_hash = chain.head(con, "order_event")
    sha = hashlib.sha256
    for low in range(0, count, _ROUND):
        for select in _EVENTS:
            con.execute(f"INSERT INTO _history_event ({_STAGE_COLUMNS}) {select}",
                        {"low": low, "high": low + _ROUND - 1})
        params = {"base": base, "prev": prev_id, "operator": operator}
        hashes = []
        for (text,) in con.execute(_CANONICAL, params):
            prev_hash = sha(prev_hash + text.encode()).digest()
            hashes.append(prev_hash)
        con.execute(_WRITE, {**params, "hashes": b"".join(hashes)})
        con.execute("DELETE FROM _history_event")
        if hashes:
            base += len(hashes)
            prev_id = base
    if prev_id != chain.head(con, "order_event")[0]:
        chain.advance_head(con, "order_event", prev_id, prev_hash)
    con.execute("DROP TABLE temp._history_event")
