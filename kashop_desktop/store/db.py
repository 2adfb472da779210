"""Database bootstrap in one place: WAL, foreign keys, numbered migrations, backup first.

``open_store(path)`` returns a connected peewee database bound to the models. The schema
version lives in ``PRAGMA user_version``. Before migrating an existing file a copy is written
to ``backups/``; a file from a newer version of the desk is refused with a clear message.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from peewee import SqliteDatabase

from ..domain.errors import DomainError
from ..domain.states import OrderStatus
from .models import MODELS, StatusCount, database

PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "normal",
    # 16 MB of page cache per connection: enough for every list query (measured), and the
    # window keeps two connections (GUI thread reads, worker writes) within its memory budget.
    "cache_size": -16_000,
    "busy_timeout": 5_000,
    "temp_store": "memory",
}


class StoreError(DomainError):
    pass


def _migration_1(db: SqliteDatabase) -> None:
    db.create_tables(MODELS)
    StatusCount.insert_many([{"status": s.value, "n": 0} for s in OrderStatus]).execute()
    statements = [
        # Status counts kept by triggers: the tabs read eight rows, never the orders table.
        """CREATE TRIGGER orders_count_ins AFTER INSERT ON orders BEGIN
             UPDATE status_count SET n = n + 1 WHERE status = NEW.status; END""",
        """CREATE TRIGGER orders_count_del AFTER DELETE ON orders BEGIN
             UPDATE status_count SET n = n - 1 WHERE status = OLD.status; END""",
        """CREATE TRIGGER orders_count_upd AFTER UPDATE OF status ON orders
             WHEN OLD.status <> NEW.status BEGIN
             UPDATE status_count SET n = n - 1 WHERE status = OLD.status;
             UPDATE status_count SET n = n + 1 WHERE status = NEW.status; END""",
        # Substring search on buyer contacts (phone, QQ, e-mail) through FTS5 trigrams.
        """CREATE VIRTUAL TABLE orders_fts USING fts5(
             buyer, content='orders', content_rowid='id', tokenize='trigram')""",
        """CREATE TRIGGER orders_fts_ins AFTER INSERT ON orders BEGIN
             INSERT INTO orders_fts(rowid, buyer) VALUES (NEW.id, NEW.buyer); END""",
        """CREATE TRIGGER orders_fts_del AFTER DELETE ON orders BEGIN
             INSERT INTO orders_fts(orders_fts, rowid, buyer) VALUES ('delete', OLD.id, OLD.buyer); END""",
        """CREATE TRIGGER orders_fts_upd AFTER UPDATE OF buyer ON orders BEGIN
             INSERT INTO orders_fts(orders_fts, rowid, buyer) VALUES ('delete', OLD.id, OLD.buyer);
             INSERT INTO orders_fts(rowid, buyer) VALUES (NEW.id, NEW.buyer); END""",
    ]
    for sql in statements:
        db.execute_sql(sql)


def _migration_2(db: SqliteDatabase) -> None:
    # The connection test's message in English too, for the English UI.
    columns = {row[1] for row in db.execute_sql("PRAGMA table_info(gateway_account)").fetchall()}
    if "last_test_message_en" not in columns:  # a fresh store made by migration 1 already has it
        db.execute_sql("ALTER TABLE gateway_account ADD COLUMN last_test_message_en TEXT NOT NULL DEFAULT ''")


MIGRATIONS: list[tuple[int, Callable[[SqliteDatabase], None]]] = [
    (1, _migration_1),
    (2, _migration_2),
]
LATEST = MIGRATIONS[-1][0]


def backup_file(source: Path, target: Path) -> Path:
    """A consistent copy of a live SQLite file (the online backup API, safe under WAL)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(str(source))
    try:
        dst = sqlite3.connect(str(target))
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    return target


def schema_version(path: Path) -> int:
    con = sqlite3.connect(str(path))
    try:
        return int(con.execute("PRAGMA user_version").fetchone()[0])
    finally:
        con.close()


def open_store(path: Path, *, backups: Path | None = None) -> SqliteDatabase:
    """Open (creating or migrating) the store at `path` and bind the models to it."""
    existed = path.exists() and path.stat().st_size > 0
    version = schema_version(path) if existed else 0
    if version > LATEST:
        raise StoreError(
            "schema_too_new",
            f"数据文件 {path} 来自更新版本的 kashop-desktop（结构版本 {version}，本程序支持 {LATEST}）。"
            "请升级程序；为保护数据，本程序不会打开它。",
            f"the data file {path} was written by a newer kashop-desktop (schema {version}, this one knows "
            f"{LATEST}). Upgrade the desk; this version will not open it, to keep your data safe.",
        )
    if existed and version < LATEST:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        backup_file(path, (backups or path.parent / "backups") / f"{path.stem}-v{version}-{stamp}.sqlite3")
    db = SqliteDatabase(str(path), pragmas=PRAGMAS, check_same_thread=False)
    database.initialize(db)
    db.connect(reuse_if_open=True)
    for number, migrate in MIGRATIONS:
        if number > version:
            with db.atomic():
                migrate(db)
                db.execute_sql(f"PRAGMA user_version = {number}")
    return db


def close_store() -> None:
    db = database.obj
    if db is not None and not db.is_closed():
        db.close()
