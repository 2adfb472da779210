"""The anchor of each chain's head: an HMAC over (chain, last id, last hash) kept in ``chain_head``.

The hash chains (``store.chain``) show a row edited, deleted or inserted in the middle, but not
a tail cut off together with a ``chain_head`` row moved back to match, nor a whole log wiped:
both can be done without computing a hash. Schema 16 adds ``anchor_id``, ``anchor_hash`` and
``anchor_mac`` to ``chain_head``: the last row anchored and its HMAC under a key the data file
does not hold (``services.chain_anchor`` keeps it in the secret store; ``domain.audit.anchor_mac``
says what is covered). Normally the anchor is the head itself, moved on by every write
transaction just before it commits, once per transaction for all its chains.

An anchor is moved on only from a valid one whose row is still in the chain with the hash it
anchored, so a write after a truncation never blesses it; it then stays behind, and ``check``
names the truncation. The store layer takes the MAC as a function and never sees the key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..domain.audit import GENESIS
from .chain import FIELDS

#: (column, declaration) schema 16 adds to chain_head.
COLUMNS = (("anchor_id", "INTEGER"), ("anchor_hash", "BLOB"), ("anchor_mac", "BLOB"))

#: The MAC of (chain, anchor id, anchor hash) under the shop's key (``domain.audit.anchor_mac``).
Mac = Callable[[str, int, bytes], bytes]


@dataclass(frozen=True)
class Head:
    """One chain's head and its anchor as stored (anchor fields None when never anchored)."""

    chain: str
    last_id: int
    last_hash: bytes
    anchor_id: int | None
    anchor_hash: bytes | None
    anchor_mac: bytes | None

    @property
    def anchored(self) -> bool:
        return self.anchor_mac is not None and self.anchor_id is not None and self.anchor_hash is not None

    @property
    def behind(self) -> bool:
        """Rows were chained after the anchor (written while the key could not be read)."""
        return not self.anchored or self.anchor_id != self.last_id


def migrate(db: Any) -> None:
    """Schema 16 on the SQLite file: the anchor columns (a store made fresh by migration 1 has them)."""
    columns = {row[1] for row in db.execute_sql("PRAGMA table_info(chain_head)").fetchall()}
    for column, declaration in COLUMNS:
        if column not in columns:
            db.execute_sql(f"ALTER TABLE chain_head ADD COLUMN {column} {declaration}")


def heads(con: Any) -> dict[str, Head]:
    """Every chain's head (a chain with no head row reads as empty, never anchored)."""
    found = {name: Head(name, 0, GENESIS, None, None, None) for name in FIELDS}
    for chain, last_id, last_hash, a_id, a_hash, a_mac in con.execute(
            "SELECT chain, last_id, last_hash, anchor_id, anchor_hash, anchor_mac FROM chain_head"):
        if chain in found:
            found[chain] = Head(chain, int(last_id), bytes(last_hash), a_id if isinstance(a_id, int) else None,
                                None if a_hash is None else bytes(a_hash), None if a_mac is None else bytes(a_mac))
    return found


def row_hash(con: Any, chain: str, row_id: int) -> bytes | None:
    """The stored hash of row ``row_id`` of ``chain`` (GENESIS for 0; None when there is no such row)."""
    if row_id == 0:
        return GENESIS
    row = con.execute(f"SELECT hash FROM {chain} WHERE id = ?", (row_id,)).fetchone()
    return None if row is None or row[0] is None else bytes(row[0])


def holds(con: Any, head: Head, mac: Mac) -> bool:
    """Whether ``head``'s anchor is valid (its MAC matches) and its row is still in the chain with the hash
    it anchored, at or before the head."""
    if not head.anchored:
        return False
    assert head.anchor_id is not None and head.anchor_hash is not None and head.anchor_mac is not None
    if mac(head.chain, head.anchor_id, head.anchor_hash) != head.anchor_mac or head.anchor_id > head.last_id:
        return False
    return row_hash(con, head.chain, head.anchor_id) == head.anchor_hash


def set_anchor(con: Any, head: Head, mac: Mac) -> None:
    """Anchor ``head`` at its last row (a chain with no head row gets one at id 0)."""
    value = mac(head.chain, head.last_id, head.last_hash)
    con.execute("INSERT INTO chain_head (chain, last_id, last_hash, anchor_id, anchor_hash, anchor_mac) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (chain) DO UPDATE SET anchor_id = excluded.anchor_id, "
                "anchor_hash = excluded.anchor_hash, anchor_mac = excluded.anchor_mac",
                (head.chain, head.last_id, head.last_hash, head.last_id, head.last_hash, value))


def move_on(con: Any, mac: Mac) -> list[str]:
    """Before a write transaction commits: move each chain's anchor that is behind its head on to
    the head, where the anchor it has still holds (``holds``). Returns the chains left behind
    because it does not (cut off or forged: ``check`` names them). One cheap read of the three
    heads when nothing was chained."""
    refused = []
    for head in heads(con).values():
        if not head.behind:
            continue
        if holds(con, head, mac):
            set_anchor(con, head, mac)
        else:
            refused.append(head.chain)
    return refused


def anchor_all(con: Any, mac: Mac) -> None:
    """Anchor every chain at its head as it is now (the first key, or the owner's re-anchoring
    after checking the chains): trusts the heads; call only where that is the point."""
    for head in heads(con).values():
        set_anchor(con, head, mac)
