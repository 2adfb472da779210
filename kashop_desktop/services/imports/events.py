"""The 导入 timeline entries of an import's new orders, chained as they are written.

Every order an import inserts gets one ``imported`` entry in its timeline (``order_event``):
who imported it and when (epoch seconds), no status before, its status after, and the amount
it was imported with and what the older system had refunded of it as ``data``
(``{"amount_fen":N,"refunded_fen":M}``, fen; ``services.state_check`` and the refund send read it). The entries join the tamper-evident log (``store.chain``): each row's
hash is SHA-256 over its predecessor's hash and the row's canonical encoding
(``domain.audit.canonical``: the fields as a compact JSON array).

Written the general way (``INSERT ... SELECT`` then ``chain.seal``: read each row back, encode
it with the JSON encoder, update its hash) 300,000 entries cost 2.2 s of CPU; here 1.3 s: the
rows are built and hashed in one tight loop, then inserted already chained
(``chain.insert_sealed``). Every entry of one chunk shares its time, actor, operator, action
and note, so their encoding is made once and only the ids, the status and the amount are
formatted per row; the shared fields are written into the INSERT as constants, not bound for
every row. ``encode_imported`` gives the
same bytes as ``canonical`` for such a row (a test compares the two over every status and
amounts of every size), so ``check`` verifies these rows exactly as any other.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from ...domain.audit import ORDER_EVENT_FIELDS, canonical
from ...store import chain

CHAIN = "order_event"
ACTION = "imported"
#: The field order of an ``order_event`` row after ``id``, ``prev_id`` and ``order_id``: the first
#: six are the same for every entry of a chunk (``chain.insert_sealed``'s ``shared``).
_TAIL = ORDER_EVENT_FIELDS[3:]
assert _TAIL == ("at", "actor", "operator", "action", "note", "before_status", "after_status", "data")
#: One entry's canonical bytes: id, prev_id, order_id, the shared middle, after_status, data (the
#: JSON text of ``amount_data``, itself encoded as a JSON string).
_ROW = b'[%d,%d,%d,%b,%b,"{\\"amount_fen\\":%d,\\"refunded_fen\\":%d}"]'


def amount_data(paid_fen: int, refunded_fen: int = 0) -> str:
    """The ``data`` of a 导入 entry: the amount (fen) the order was imported with and what the
    older system had refunded of it (fen), as JSON text."""
    return f'{{"amount_fen":{paid_fen:d},"refunded_fen":{refunded_fen:d}}}'


class ImportedEntries:
    """Builds the 导入 entries of one chunk (``at``: epoch seconds; ``actor``, ``operator`` as
    the timeline records them), each row encoded as ``canonical`` would encode it."""

    def __init__(self, at: int, actor: str, operator: str) -> None:
        self.at, self.actor, self.operator = at, actor, operator
        # The fields every entry of the chunk shares, between order_id and after_status.
        self._middle = canonical([at, actor, operator, ACTION, "", None])[1:-1]
        self._statuses: dict[str, bytes] = {}

    def encode_imported(self, event_id: int, prev_id: int, order_id: int, status: str, paid_fen: int,
                        refunded_fen: int = 0) -> bytes:
        """The canonical bytes of one entry (equal to ``canonical`` of its fields)."""
        return _ROW % (event_id, prev_id, order_id, self._middle, self._status(status), paid_fen, refunded_fen)

    def _status(self, status: str) -> bytes:
        encoded = self._statuses.get(status)
        if encoded is None:
            encoded = self._statuses[status] = canonical([status])[1:-1]
        return encoded

    def write(self, con: Any, orders: Sequence[tuple[int, str, int, int]]) -> None:
        """Insert one entry per order of ``orders`` ((order id, status, amount, refunded; fen), in id
        order), chained to the log's head, and move the head (caller's transaction)."""
        if not orders:
            return
        last_id, last_hash = chain.head(con, CHAIN)
        event_id = chain.next_id(con, CHAIN)
        at, actor, operator, middle, sha256, row_bytes = (self.at, self.actor, self.operator, self._middle,
                                                                 hashlib.sha256, _ROW)
        statuses = {status: self._status(status) for status in {row[1] for row in orders}}
        rows: list[tuple[Any, ...]] = []
        append = rows.append
        for order_id, status, paid_fen, refunded_fen in orders:
            last_hash = sha256(last_hash + row_bytes % (event_id, last_id, order_id, middle, statuses[status],
                                                        paid_fen, refunded_fen)).digest()
            append((event_id, last_id, order_id, status, f'{{"amount_fen":{paid_fen:d},"refunded_fen":{refunded_fen:d}}}',
                    last_hash))
            last_id, event_id = event_id, event_id + 1
        shared: dict[str, int | str | None] = {"at": at, "actor": actor, "operator": operator, "action": ACTION,
                                              "note": "", "before_status": None}
        chain.insert_sealed(con, CHAIN, rows, last_id, last_hash, shared)
