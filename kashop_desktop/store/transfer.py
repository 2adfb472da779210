"""Moving a shop from its SQLite file to a PostgreSQL server (``store migrate --to``).

The file is read through a read-only connection (``mode=ro``): nothing in it changes. The
server's database must be empty, or hold a shop made by this desk that has no data yet; one
holding another shop's orders or someone else's tables is refused before anything is written.

Every table is streamed in id order (rowid order for the summary tables) in batches of
``BATCH`` rows into PostgreSQL's ``COPY ... FROM STDIN``, so memory stays bounded whatever the
shop's size. The copy runs in one transaction under the shop's write lock, with the tables'
own triggers disabled while the rows go in (the status counts and the reports' summary rows are
copied as they are, not counted again). Then the id sequences are set past the highest id, and
every table's row count and the sum of each money column (``*_fen``) is compared between the two
stores; a difference rolls everything back (``TransferMismatch``) and the server is left as it
was. Sources: PostgreSQL 15 manual, "COPY", "ALTER TABLE ... DISABLE TRIGGER", "setval".
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..domain.errors import DomainError, StoreUnusable
from . import server, server_errors
from .dialect import read_only_uri

BATCH = 5_000
#: SQLite's own tables and the FTS5 search table (the server has a trigram index instead).
_SKIP_PREFIXES = ("sqlite_", "orders_fts")
#: Tables a freshly made shop already fills (the transfer replaces their rows).
_MADE_WITH_SCHEMA = frozenset({"setting", "status_count", "report_sales", "report_cancels", "report_answers",
                               "operator", "chain_head"})


@dataclass(frozen=True)
class TableCopy:
    """One table moved: ``rows`` on both sides, ``sums`` money column -> fen on both sides."""

    table: str
    rows: int
    sums: dict[str, int]
    seconds: float


@dataclass
class TransferReport:
    """What ``copy_to_server`` moved, table by table, and how long it took (seconds)."""

    tables: list[TableCopy] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)


class TransferMismatch(DomainError):
    """The copy's counts or money sums differ from the file's; nothing was kept on the server."""


Progress = Callable[[str, int], None]


def _source(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(read_only_uri(path), uri=True)
    con.execute("PRAGMA query_only = 1")
    return con


def _tables(con: sqlite3.Connection) -> list[str]:
    names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    return [n for n in names if not n.startswith(_SKIP_PREFIXES)]


def _columns_sqlite(con: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in con.execute(f'PRAGMA table_info("{table}")')]


def _columns_server(cur: Any, table: str) -> list[str]:
    cur.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND table_name = %s ORDER BY ordinal_position", (table,))
    return [r[0] for r in cur.fetchall()]


def _ordered(tables: list[str]) -> list[str]:
    """Parents before the tables that refer to them (the models' own order), the rest after."""
    import peewee

    from .models import MODELS, PaymentWatch, ReconMark

    sort_models: Any = getattr(peewee, "sort_models")  # noqa: B009  (not in peewee's stubs)
    known = [m._meta.table_name for m in sort_models([*MODELS, PaymentWatch, ReconMark])]
    return [t for t in known if t in tables] + sorted(t for t in tables if t not in known)


def _holds_a_shop(cur: Any, tables: list[str]) -> bool:
    for table in tables:
        if table in _MADE_WITH_SCHEMA or table == server.VERSION_TABLE:
            continue
        cur.execute(f'SELECT 1 FROM "{table}" LIMIT 1')
        if cur.fetchone():
            return True
    return False


def refusal_if_not_empty(url: str, db: server.ServerDatabase) -> StoreUnusable | None:
    """The refusal for a target that is not an empty database or an empty shop, else None."""
    version = server.schema_version(db)
    where = server.redact(url)
    if version is None:
        return server_errors._foreign(url)
    if version and _holds_a_shop(db.cursor(), db.get_tables()):
        return StoreUnusable(
            "target_not_empty",
            f"数据库 {where} 里已经有一个店铺的数据。为保护它，本程序不会覆盖；请换一个空库（createdb 新建）。",
            f"the database {where} already holds a shop's data. To keep it safe the desk will not overwrite it; "
            "use an empty database (make one with createdb).", where)
    return None


def copy_to_server(path: Path, url: str, *, progress: Progress | None = None) -> TransferReport:
    """Copy the shop in the SQLite file ``path`` (at the latest schema) to the empty database at
    ``url``; returns what was moved. Raises StoreUnusable (the server cannot be used, the target
    is not empty, the server was lost or refused part way: nothing kept), StoreBusy,
    TransferMismatch (counts or sums differ: nothing kept). The file is only read."""
    started = time.perf_counter()
    db = server.open_server_store(url)
    source = _source(path)
    try:
        report = TransferReport()
        with db.atomic():  # the shop's write lock: no desk writes while the copy runs
            # Looked at under the lock: a second migrate into the same empty database waits for
            # the first, then finds its shop there and is refused (not a half-overwritten copy).
            refusal = refusal_if_not_empty(url, db)
            if refusal is not None:
                raise refusal
            cur = db.cursor()
            cur.execute("SET LOCAL maintenance_work_mem = '128MB'")  # the index builds after each table
            tables = _ordered(_tables(source))
            missing = [t for t in tables if not _columns_server(cur, t)]
            if missing:
                raise _schema_differs(url, ", ".join(missing))
            for table in tables:
                report.tables.append(_copy_table(source, cur, table, progress))
            _set_sequences(cur, tables)
            _verify(source, cur, report, url)
        report.seconds = time.perf_counter() - started
        return report
    except sqlite3.DatabaseError as exc:  # the file could not be read through (damaged mid-file)
        raise StoreUnusable(
            "store_damaged",
            f"数据文件 {path} 读到一半出错（{exc}），可能已损坏：服务器上什么都没有保留。请先运行 check，"
            "或从备份恢复后再迁移。",
            f"reading the data file {path} failed part way ({exc}); it may be damaged. Nothing was kept on the "
            f"server {server.redact(url)}. Run check first, or restore a backup and migrate again.", str(path)) from exc
    except Exception as exc:  # the server lost, busy or refusing mid-copy: its transaction is rolled back
        known = server.classify(exc, url)
        if known is not None and known is not exc:
            raise known from exc
        raise
    finally:
        source.close()
        db.close()


def _copy_table(source: sqlite3.Connection, cur: Any, table: str, progress: Progress | None) -> TableCopy:
    started = time.perf_counter()
    columns = _columns_sqlite(source, table)
    extra = set(columns) - set(_columns_server(cur, table))
    if extra:
        raise _schema_differs("", f"{table}.{', '.join(sorted(extra))}")
    names = ", ".join(f'"{c}"' for c in columns)
    cur.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER USER')
    cur.execute(f'DELETE FROM "{table}"')
    secondary = _drop_secondary_indexes(cur, table)
    rows = source.execute(f'SELECT {names} FROM "{table}" ORDER BY {_order_of(source, table, columns)}')
    copied = 0
    with cur.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
        while batch := rows.fetchmany(BATCH):
            for row in batch:
                copy.write_row(row)
            copied += len(batch)
            if progress is not None:
                progress(table, copied)
    for sql in secondary:  # one sorted build each, not one insert per row into each
        cur.execute(sql)
    cur.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER USER')
    return TableCopy(table, copied, {}, time.perf_counter() - started)


def _drop_secondary_indexes(cur: Any, table: str) -> list[str]:
    """Drop ``table``'s indexes that enforce nothing (not unique, not the primary key); return
    their CREATE statements to build them again after the rows are in (same transaction)."""
    cur.execute("SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
                "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
                "WHERE t.relname = %s AND t.relnamespace = current_schema()::regnamespace "
                "AND NOT x.indisunique AND NOT x.indisprimary", (table,))
    found = cur.fetchall()
    for name, _ in found:
        cur.execute(f'DROP INDEX "{name}"')
    return [sql for _, sql in found]


def _order_of(source: sqlite3.Connection, table: str, columns: list[str]) -> str:
    if "id" in columns:
        return '"id"'
    without_rowid = source.execute("SELECT 1 FROM sqlite_master WHERE name = ? AND sql LIKE '%WITHOUT ROWID%'",
                                   (table,)).fetchone()
    return ", ".join(f'"{c}"' for c in columns) if without_rowid else "rowid"


def _set_sequences(cur: Any, tables: list[str]) -> None:
    """Each id sequence set past the highest id copied (the next insert takes max + 1)."""
    for table in tables:
        if "id" not in _columns_server(cur, table):
            continue
        cur.execute("SELECT pg_get_serial_sequence(%s, 'id')", (table,))
        (sequence,) = cur.fetchone()
        if sequence:
            cur.execute(f'SELECT setval(%s, COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM "{table}"', (sequence,))


def _verify(source: sqlite3.Connection, cur: Any, report: TransferReport, url: str) -> None:
    """Every table's count and money sums equal on both sides, else TransferMismatch."""
    checked: list[TableCopy] = []
    for copied in report.tables:
        table = copied.table
        money = [c for c in _columns_sqlite(source, table) if c.endswith("_fen")]
        select = ", ".join(["COUNT(*)", *(f'COALESCE(SUM("{c}"), 0)' for c in money)])
        here = source.execute(f'SELECT {select} FROM "{table}"').fetchone()
        cur.execute(f'SELECT {select} FROM "{table}"')
        there = cur.fetchone()
        if [int(v) for v in here] != [int(v) for v in there] or int(here[0]) != copied.rows:
            raise TransferMismatch(
                "transfer_mismatch",
                f"复制后 {table} 表的行数或金额合计不一致（文件：{list(here)}，服务器：{list(there)}）；"
                f"服务器上什么都没有保留。",
                f"after the copy the table {table} differs in rows or money sums (file: {list(here)}, server: "
                f"{list(there)}); nothing was kept on the server {server.redact(url)}.")
        checked.append(TableCopy(table, copied.rows, dict(zip(money, (int(v) for v in here[1:]), strict=True)),
                                 copied.seconds))
    report.tables = checked


def _schema_differs(url: str, what: str) -> StoreUnusable:
    return StoreUnusable(
        "schema_differs",
        f"服务器上的店铺结构与数据文件不同（{what}）：请让两边使用同一版本的 kashop-desktop。",
        f"the shop's tables on the server differ from the data file's ({what}): use the same kashop-desktop "
        "version on both.", server.redact(url) if url else "")
