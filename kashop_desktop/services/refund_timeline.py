"""What the chained timeline says became of each refund: settled (succeeded, failed, withdrawn) or open again.

A refund's row can be put back into the queue with a one-line UPDATE (``state = 'queued'`` on a
refund that already succeeded: the money would go out twice, and the order's refund total does not
change). Its timeline keeps what happened: ``refund_succeeded`` / ``refund_failed`` (the queue),
``refund_resolved`` (the owner, ``succeeded`` in its data), ``restore`` (its ``withdrawn_refunds``)
settle it; ``refund_retry`` (the owner sending a failed one again) opens it. ``check`` compares
each refund's state with the last of these, and the send refuses a refund its timeline settled.
The data is parsed here, in Python, so the same code reads both stores.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["ACTIONS", "Sender", "first_disagreement", "senders", "settled_state"]

#: The timeline actions that settle a refund or open it again.
ACTIONS = ("refund_succeeded", "refund_failed", "refund_resolved", "refund_retry", "restore")
_MARKS = ", ".join(f"'{a}'" for a in ACTIONS)


def _outcomes(action: str, data: Any) -> list[tuple[str, str | None]]:
    """(refund no, the state it leaves the refund in; None: open again) of one timeline entry."""
    try:
        values = json.loads(data)
    except (TypeError, ValueError):
        return []  # the entry itself is damaged: the chain check names it
    if not isinstance(values, dict):
        return []
    if action == "restore":
        listed = values.get("withdrawn_refunds")
        return [(str(no), "withdrawn") for no in listed] if isinstance(listed, list) else []
    refund_no = values.get("refund_no")
    if not isinstance(refund_no, str):
        return []
    if action == "refund_resolved":
        return [(refund_no, "succeeded" if values.get("succeeded") else "failed")]
    return [(refund_no, {"refund_succeeded": "succeeded", "refund_failed": "failed"}.get(action))]


def _last(rows: Iterable[tuple[str, Any]]) -> dict[str, str | None]:
    last: dict[str, str | None] = {}
    for action, data in rows:
        for refund_no, state in _outcomes(action, data):
            last[refund_no] = state
    return last


def settled_state(con: Any, order_id: int, refund_no: str) -> str | None:
    """The final state order ``order_id``'s timeline last gave refund ``refund_no`` (succeeded,
    failed, withdrawn), or None when it settled nothing, or the owner sent it again since."""
    rows = con.execute(f"SELECT action, data FROM order_event WHERE order_id = ? AND action IN ({_MARKS}) ORDER BY id",
                       (order_id,)).fetchall()
    return _last(rows).get(refund_no)


def first_disagreement(con: Any) -> tuple[int, str, str, str, str | None] | None:
    """The first refund (lowest id) whose state is not the final state its timeline last gave it,
    or that is succeeded though no entry says so: (refund id, order no, refund no, state, the
    timeline's state or None)."""
    last = _last(con.execute(f"SELECT action, data FROM order_event WHERE action IN ({_MARKS}) ORDER BY id"))
    for rid, order_no, refund_no, state in con.execute(
            "SELECT r.id, o.order_no, r.refund_no, r.state FROM refund r JOIN orders o ON o.id = r.order_id ORDER BY r.id"):
        logged = last.get(refund_no)
        if (logged is not None and logged != state) or (state == "succeeded" and logged is None):
            return int(rid), str(order_no), str(refund_no), str(state), logged
    return None


@dataclass(frozen=True)
class Sender:
    """Who sent a refund to its gateway last (its latest ``refund_sent`` entry): ``operator`` is
    the operator signed in; ``by_hand`` True when a person asked (立即发送, ``refunds send``),
    False when the queue sent it by itself (its source 系统)."""

    operator: str
    by_hand: bool


def senders(con: Any, order_ids: Iterable[int]) -> dict[str, Sender]:
    """The latest sender of each refund of orders ``order_ids`` (refund no -> Sender), read from
    their chained timelines (``refund_queue.SENT_ACTION`` entries); refunds never sent are absent.
    One query per 500 orders, through the (order_id, id) index."""
    ids, found = sorted(set(order_ids)), {}
    for start in range(0, len(ids), 500):
        part = ids[start:start + 500]
        marks = ", ".join("?" * len(part))
        for operator, actor, data in con.execute(
                f"SELECT operator, actor, data FROM order_event WHERE order_id IN ({marks}) AND action = 'refund_sent' "
                "ORDER BY id", part):
            try:
                values = json.loads(data)
            except (TypeError, ValueError):
                continue  # the entry itself is damaged: the chain check names it
            if isinstance(values, dict) and isinstance(values.get("refund_no"), str):
                found[values["refund_no"]] = Sender(str(operator or ""), actor != "system")
    return found
