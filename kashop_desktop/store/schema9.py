"""Schema 9: refunds in flight found through a small index; withdrawn refunds named as such.

* ``refund_in_flight``: a partial index on ``refund (state, order_id)`` holding only the refunds
  whose money is still in flight (退款中). A shop with years of history has one refund row per
  refunded order, nearly all final; the 退款中 tab, its count and a selective search in that tab
  read only this index instead of scanning every refund. SQLite uses a partial index only for a
  query whose WHERE repeats the index's condition with the same literals, so every such read
  takes ``IN_FLIGHT_WHERE`` as written here (bound parameters would not match it).
  ``IN_FLIGHT_WHERE`` is fixed by this migration: if the in-flight states ever change, a new
  migration recreates the index (``tests/store/test_schema9.py`` fails until then).
* A refund that a restore withdrew (never sent, taken back when its order was brought back)
  was stored as ``failed`` with ``last_error_kind = 'withdrawn'``; it is ``withdrawn`` now, its
  own final state (``domain.refund_states``). Only refunds the store's records prove were
  withdrawn move: kind ``withdrawn`` *and* a restore entry in the order's timeline naming the
  refund no (``data.withdrawn_refunds``), as ``services.orders.restore`` writes both in one
  transaction. Their approved request gets the note a restore now writes. No money moves: both
  states are final and neither counts in ``refunded_fen``.
"""

from __future__ import annotations

from peewee import SqliteDatabase

#: The in-flight refund states when schema 9 was made (domain.refund_states.IN_FLIGHT_REFUND_STATES).
IN_FLIGHT_STATES = ("needs_owner", "processing", "queued", "sending", "unknown")
#: The condition of the partial index; a query must repeat it verbatim to use the index.
IN_FLIGHT_WHERE = "state IN (" + ", ".join(f"'{s}'" for s in IN_FLIGHT_STATES) + ")"
IN_FLIGHT_INDEX = "refund_in_flight"
IN_FLIGHT_INDEX_SQL = f"CREATE INDEX IF NOT EXISTS {IN_FLIGHT_INDEX} ON refund (state, order_id) WHERE {IN_FLIGHT_WHERE}"

#: The note a restore writes on the request of a refund it withdrew (services.orders.WITHDRAWN_NOTE).
WITHDRAWN_NOTE = "订单已恢复，退款 {no} 已撤回，未退任何款项 / order restored; refund {no} withdrawn, nothing was refunded"

_PROVEN = """
    state = 'failed' AND last_error_kind = 'withdrawn'
    AND EXISTS (SELECT 1 FROM order_event e,
                       json_each(CASE WHEN json_valid(e.data) THEN e.data ELSE '{}' END, '$.withdrawn_refunds') j
                WHERE e.order_id = refund.order_id AND e.action = 'restore' AND j.value = refund.refund_no)
"""


def migrate(db: SqliteDatabase) -> None:
    db.execute_sql(IN_FLIGHT_INDEX_SQL)
    withdrawn = db.execute_sql(f"SELECT id, request_id, refund_no FROM refund WHERE {_PROVEN}").fetchall()
    for _refund_id, request_id, refund_no in withdrawn:
        if request_id is None:
            continue
        note = WITHDRAWN_NOTE.format(no=refund_no)
        db.execute_sql(
            "UPDATE cancel_request SET decision_note = CASE WHEN decision_note = '' THEN ? "
            "ELSE decision_note || char(10) || ? END WHERE id = ? AND instr(decision_note, ?) = 0",
            (note, note, request_id, note))
    db.execute_sql(f"UPDATE refund SET state = 'withdrawn' WHERE {_PROVEN}")
