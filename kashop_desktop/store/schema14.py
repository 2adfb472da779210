"""Schema 14: operators, the operator on events and refunds, and the hash-chained log.

Adds the ``operator`` table (with the owner, 店主, who works alone until a second operator is
added), ``operator``/``prev_id``/``hash`` on ``order_event`` and ``code_event`` (schema 6), ``operator`` on ``refund``, the
shop log ``audit_event`` and ``chain_head``, then chains every event already written in id order
(``store.chain.chain_all``). A store made fresh by migration 1 already has the tables and
columns (they follow the models); only the missing ones are added.
"""

from __future__ import annotations

import time

from peewee import SqliteDatabase

from ..domain.roles import OWNER_NAME
from . import chain

#: (table, column, declaration) of the columns this schema adds.
COLUMNS = (
    ("order_event", "operator", "TEXT NOT NULL DEFAULT ''"),
    ("order_event", "prev_id", "INTEGER"),
    ("order_event", "hash", "BLOB"),
    ("refund", "operator", "TEXT NOT NULL DEFAULT ''"),
    ("code_event", "operator", "TEXT NOT NULL DEFAULT ''"),
    ("code_event", "prev_id", "INTEGER"),
    ("code_event", "hash", "BLOB"),
)
_TABLES = (
    """CREATE TABLE IF NOT EXISTS operator (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(255) NOT NULL,
         role VARCHAR(255) NOT NULL, password_hash TEXT NOT NULL DEFAULT '', approve_limit_fen INTEGER,
         disabled_at INTEGER, failed_tries INTEGER NOT NULL DEFAULT 0, locked_until INTEGER,
         created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)""",
    "CREATE UNIQUE INDEX IF NOT EXISTS operator_name ON operator (name)",
    """CREATE TABLE IF NOT EXISTS audit_event (id INTEGER NOT NULL PRIMARY KEY, at INTEGER NOT NULL,
         operator VARCHAR(255) NOT NULL, action VARCHAR(255) NOT NULL, subject VARCHAR(255) NOT NULL DEFAULT '',
         note TEXT NOT NULL DEFAULT '', data TEXT NOT NULL DEFAULT '{}', prev_id INTEGER, hash BLOB)""",
    "CREATE INDEX IF NOT EXISTS audit_event_at ON audit_event (at)",
    chain.HEAD_TABLE_SQL,
)


def migrate(db: SqliteDatabase) -> None:
    for table, column, declaration in COLUMNS:
        columns = {row[1] for row in db.execute_sql(f"PRAGMA table_info({table})").fetchall()}
        if column not in columns:
            db.execute_sql(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
    for sql in _TABLES:
        db.execute_sql(sql)
    if db.execute_sql("SELECT COUNT(*) FROM operator").fetchone()[0] == 0:
        now = int(time.time())
        db.execute_sql("INSERT INTO operator (name, role, password_hash, failed_tries, created_at, updated_at) "
                       "VALUES (?, 'owner', '', 0, ?, ?)", (OWNER_NAME, now, now))
    con = db.connection()
    for name in chain.FIELDS:
        chain.chain_all(con, name)
