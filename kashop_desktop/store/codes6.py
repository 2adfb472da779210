"""Schema 6: the card-code inventory, every 卡密 sealed.

* ``card_code`` is rebuilt: the clear ``code`` column gives way to ``sealed`` (an AES-GCM token)
  and ``digest`` (a keyed hash, unique: duplicates are found without decrypting), with a state,
  batch, cost and times. Codes already stored are sealed here, and so are the codes orders
  delivered (``orders.card_code``, one token a line).
* ``product`` gains SKU / face value, a low-stock threshold and flag, the reusable flag (循环卡密).
* ``orders.backorder_at``: a paid order that found no code waits (缺货待发) since then.
* ``code_event``: the inventory's timeline.

Sealing needs the data key, which lives in the secret store (services.codekeys); the store
layer receives a ``Sealer`` only when there is clear text to seal, so a store without codes
never asks for a passphrase. The old pages are overwritten with zeros (``secure_delete``) so the
clear codes are gone from the file, not merely unlinked; ``db.open_store`` then truncates the log.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from peewee import SqliteDatabase

from ..domain.codes import canonical
from ..domain.errors import DomainError
from .schema3 import _add_column

TOKEN_PREFIX = "c1:"


class Sealer(Protocol):
    def seal(self, code: str) -> str: ...

    def digest(self, code: str) -> str: ...


SealerFactory = Callable[[Any], Sealer]

_NEW_TABLE = """CREATE TABLE card_code_new (
    id INTEGER NOT NULL PRIMARY KEY,
    product_id INTEGER NOT NULL REFERENCES product (id) ON DELETE CASCADE,
    sealed TEXT NOT NULL,
    digest VARCHAR(255) NOT NULL,
    hint VARCHAR(255) NOT NULL DEFAULT '',
    state VARCHAR(255) NOT NULL DEFAULT 'available',
    order_id INTEGER,
    batch VARCHAR(255) NOT NULL DEFAULT '',
    cost_fen INTEGER NOT NULL DEFAULT 0,
    imported_at INTEGER NOT NULL DEFAULT 0,
    changed_at INTEGER NOT NULL DEFAULT 0,
    used VARCHAR(255) NOT NULL DEFAULT 'unknown')"""

_INDEXES = (
    "CREATE UNIQUE INDEX IF NOT EXISTS card_code_digest ON card_code (digest)",
    "CREATE INDEX IF NOT EXISTS card_code_order_id ON card_code (order_id)",
    "CREATE INDEX IF NOT EXISTS card_code_product_id_state_id ON card_code (product_id, state, id)",
    "CREATE INDEX IF NOT EXISTS orders_backorder ON orders (product_id, backorder_at) WHERE backorder_at IS NOT NULL",
)

_CODE_EVENT = """CREATE TABLE IF NOT EXISTS code_event (
    id INTEGER NOT NULL PRIMARY KEY,
    product_id INTEGER,
    code_id INTEGER,
    order_id INTEGER,
    at INTEGER NOT NULL,
    actor VARCHAR(255) NOT NULL,
    action VARCHAR(255) NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    data TEXT NOT NULL DEFAULT '{}')"""


def _columns(db: SqliteDatabase, table: str) -> set[str]:
    return {row[1] for row in db.execute_sql(f"PRAGMA table_info({table})").fetchall()}


def clear_codes(db: SqliteDatabase) -> bool:
    """Whether the store still holds any 卡密 in clear (so migration 6 needs the key)."""
    if "code" in _columns(db, "card_code") and db.execute_sql("SELECT 1 FROM card_code LIMIT 1").fetchone():
        return True
    return db.execute_sql("SELECT 1 FROM orders WHERE card_code IS NOT NULL AND card_code <> '' "
                          f"AND card_code NOT LIKE '{TOKEN_PREFIX}%' LIMIT 1").fetchone() is not None


def migrate(db: SqliteDatabase, sealer_factory: SealerFactory | None) -> None:
    """Apply schema 6 in the caller's transaction. Raises what ``sealer_factory`` raises (a locked
    vault) when there are clear codes; a store without any never calls it."""
    sealer: Sealer | None = None
    if clear_codes(db):
        if sealer_factory is None:
            raise DomainError("code_key_needed", "数据文件升级要加密已有卡密，需要卡密密钥",
                              "upgrading the store seals its card codes and needs the card-code key")
        sealer = sealer_factory(db)
    db.execute_sql("PRAGMA secure_delete = 1")  # freed pages and cells are zeroed, not left behind
    for column, decl in (("sku", "VARCHAR(255) NOT NULL DEFAULT ''"), ("face_value_fen", "INTEGER"),
                         ("low_stock_threshold", "INTEGER NOT NULL DEFAULT 0"),
                         ("low_stock_raised", "INTEGER NOT NULL DEFAULT 0"), ("reusable", "INTEGER NOT NULL DEFAULT 0")):
        _add_column(db, "product", column, decl)
    _add_column(db, "orders", "backorder_at", "INTEGER")
    if "code" in _columns(db, "card_code"):
        _rebuild_codes(db, sealer)
    db.execute_sql(_CODE_EVENT)
    for sql in _INDEXES:
        db.execute_sql(sql)
    if sealer is not None:
        _seal_delivered(db, sealer)


def _rebuild_codes(db: SqliteDatabase, sealer: Sealer | None) -> None:
    con = db.connection()
    db.execute_sql(_NEW_TABLE)
    rows = con.execute("SELECT id, product_id, code, order_id, used FROM card_code ORDER BY id").fetchall()
    batch = []
    seen: set[str] = set()
    for code_id, product_id, code, order_id, used in rows:
        assert sealer is not None
        text = canonical(str(code))
        digest = sealer.digest(text)
        if digest in seen:  # the old unique index was on the raw text: two spellings of one code
            continue
        seen.add(digest)
        state = "delivered" if order_id is not None else "available"
        token = sealer.seal(text)
        batch.append((code_id, product_id, token, digest, _hint(token), state, order_id, used))
    con.executemany("INSERT INTO card_code_new (id, product_id, sealed, digest, hint, state, order_id, used) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", batch)
    db.execute_sql("DROP TABLE card_code")
    db.execute_sql("ALTER TABLE card_code_new RENAME TO card_code")


def _hint(token: str) -> str:
    parts = token.split(":", 2)
    return parts[2] if len(parts) == 3 else ""


def _seal_delivered(db: SqliteDatabase, sealer: Sealer) -> None:
    """Seal the codes orders delivered, a line at a time, in chunks (a big shop has many)."""
    con = db.connection()
    last = 0
    while True:
        rows = con.execute(
            "SELECT id, card_code FROM orders WHERE id > ? AND card_code IS NOT NULL AND card_code <> '' "
            f"AND card_code NOT LIKE '{TOKEN_PREFIX}%' ORDER BY id LIMIT 5000", (last,)).fetchall()
        if not rows:
            return
        updates = []
        for order_id, text in rows:
            lines = [canonical(line) for line in str(text).splitlines() if line.strip()]
            updates.append(("\n".join(sealer.seal(line) for line in lines), order_id))
        con.executemany("UPDATE orders SET card_code = ? WHERE id = ?", updates)
        last = rows[-1][0]
