"""Schema 13: masked hints that never show a password, and "was the code used?" left unknown.

Before 13 a sealed code's clear hint (``card_code.hint`` and the ``:<hint>`` end of every token,
in the code table and in orders' delivered codes) was the code's last characters: for a card no +
password pair, the end of the password, for a short code most of it. The store cannot tell a
pair without the key, so 13 removes every hint (rows and tokens) and leaves the setting
``codes_rehint``: the next time the desk holds the key (services.codekeys.rehint) it writes the
new hints (domain.codes.hint: the card no's tail only). Freed text is zeroed (``secure_delete``).

Delivery used to record "confirmed unused" (code_used = no) though nobody had checked; an order
the desk delivered whose owner never recorded anything goes back to unknown.
"""

from __future__ import annotations

from peewee import SqliteDatabase

REHINT_SETTING = "codes_rehint"
TOKEN_PREFIX = "c1:"


def strip_hint(token: str) -> str:
    """A token without its clear hint (``c1:<sealed>:``); other text as it is."""
    if not token.startswith(TOKEN_PREFIX):
        return token
    head, _, _hint = token.rpartition(":")
    return head + ":" if head != "c1" else token


def migrate(db: SqliteDatabase) -> None:
    """Apply schema 13 in the caller's transaction; needs no key."""
    db.execute_sql("PRAGMA secure_delete = 1")
    con = db.connection()
    tables = {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "card_code" in tables:
        con.execute("UPDATE card_code SET hint = '', sealed = substr(sealed, 1, 3 + instr(substr(sealed, 4), ':')) "
                    f"WHERE sealed LIKE '{TOKEN_PREFIX}%' AND (hint <> '' OR sealed NOT LIKE '%:')")
    last = 0
    while True:
        rows = con.execute("SELECT id, card_code FROM orders WHERE id > ? AND card_code LIKE ? ORDER BY id LIMIT 5000",
                           (last, f"{TOKEN_PREFIX}%")).fetchall()
        if not rows:
            break
        con.executemany("UPDATE orders SET card_code = ? WHERE id = ?",
                        [("\n".join(strip_hint(line) for line in str(text).splitlines()), oid) for oid, text in rows])
        last = rows[-1][0]
    sealed = con.execute("SELECT 1 FROM orders WHERE card_code LIKE ? LIMIT 1", (f"{TOKEN_PREFIX}%",)).fetchone()
    if "card_code" in tables and not sealed:
        sealed = con.execute("SELECT 1 FROM card_code LIMIT 1").fetchone()
    if sealed:
        con.execute("INSERT OR REPLACE INTO setting (key, value) VALUES (?, 'true')", (REHINT_SETTING,))
    con.execute(
        "UPDATE orders SET code_used = 'unknown' WHERE code_used = 'no' AND delivered_at IS NOT NULL "
        "AND product_type = 'card_code' "
        "AND EXISTS (SELECT 1 FROM order_event e WHERE e.order_id = orders.id AND e.action = 'deliver') "
        "AND NOT EXISTS (SELECT 1 FROM order_event e WHERE e.order_id = orders.id "
        "AND e.action IN ('code_used', 'code_returned'))")
