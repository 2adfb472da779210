"""Database bootstrap in one place: WAL, foreign keys, numbered migrations, backup first.

``open_store(path)`` returns a connected peewee database bound to the models. The schema
version lives in ``PRAGMA user_version``. Before migrating an existing file a copy is written
to ``backups/``; a file from a newer version of the desk is refused with a clear message.

Only a missing file is a new shop (created under a temporary name and linked into place
complete, so a second process never sees it half made). An empty, truncated or foreign file
is refused (StoreUnusable) naming the file and the latest backups, after checks that read the
header and a few pages, never the whole file; a newer schema is refused with every file left
byte-identical (health.read_version).

Two processes on one store: every transaction begins ``IMMEDIATE`` (a read that later writes
cannot be refused half-way, which a deferred ``BEGIN`` would be as soon as another process
commits), waits ``busy_timeout`` for its turn, is tried again a bounded number of times, and
then fails with StoreBusy. In WAL mode ``BEGIN IMMEDIATE`` is the only step that waits for
another writer, so trying it again re-runs the whole transaction from its start.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from peewee import OperationalError, SqliteDatabase

from ..domain.clock import SHOP_TZ
from ..domain.errors import StoreBusy, StoreError, StoreUnusable
from ..domain.states import OrderStatus
from . import (
    anchor,
    bulkload,
    codes6,
    codes13,
    health,
    pg_schema,
    rekey,
    report_tables,
    schema3,
    schema9,
    schema14,
    schema18,
)
from .backups import backup_file, is_damage, list_backups, order_count, passes_check, stamp
from .dated import UNDATED_INDEX, UNDATED_INDEX_SQL
from .models import MODELS, PaymentWatch, ReconMark, StatusCount, database
from .search import TAIL_INDEX_SQL

__all__ = ["LATEST", "MIGRATIONS", "StoreError", "backup_file", "close_store", "open_store", "schema_version"]

log = logging.getLogger(__name__)


def _bind_null(value: None) -> None:
    """NULL for a bound None: what Python's sqlite3 binds for None anyway, found at once."""
    return None


# Python's sqlite3 binds an int, a float or a text as it is, but any other value, None included,
# is first looked for in its adapter registry and then offered to the protocol's and the value's
# own adaptation hooks before it is bound as it is (CPython 3.11, Modules/_sqlite/cursor.c and
# microprotocols.c): about 0.55 us per None, 1.3 s of a million-row import's binding (2.4 Nones
# per order). With an adapter registered for None the registry answers at once (0.15 us) and the
# same NULL is bound (benchmarks/bench_bind_null.py).
sqlite3.register_adapter(type(None), _bind_null)

BUSY_ENV = "KASHOP_BUSY_TIMEOUT_MS"
DEFAULT_BUSY_TIMEOUT_MS = 5_000
#: The longest wait KASHOP_BUSY_TIMEOUT_MS may ask for (10 minutes).
MAX_BUSY_TIMEOUT_MS = 600_000


def parse_busy_timeout(text: str | None) -> int:
    """Milliseconds from KASHOP_BUSY_TIMEOUT_MS's text: a whole number 0..MAX_BUSY_TIMEOUT_MS,
    the default when unset or empty. Raises ValueError with the reason in Chinese and English
    (``args``: zh, en)."""
    if text is None or not text.strip():
        return DEFAULT_BUSY_TIMEOUT_MS
    value = text.strip()
    if not value.isascii() or not value.isdigit() or int(value) > MAX_BUSY_TIMEOUT_MS:
        raise ValueError(
            f"环境变量 {BUSY_ENV}={text!r} 无效：应为 0 到 {MAX_BUSY_TIMEOUT_MS} 之间的整数（毫秒）",
            f"{BUSY_ENV}={text!r} is not valid: it must be a whole number of milliseconds from 0 to "
            f"{MAX_BUSY_TIMEOUT_MS}")
    return int(value)


def _busy_timeout_from_env() -> int:
    try:
        return parse_busy_timeout(os.environ.get(BUSY_ENV))
    except ValueError:  # said by the command line (refused, exit 2) and the window (services.desk.environment_problem)
        return DEFAULT_BUSY_TIMEOUT_MS


#: How long one BEGIN IMMEDIATE waits for another process's write; KASHOP_BUSY_TIMEOUT_MS
#: overrides it (a scheduled job that would rather fail fast and run again next time).
BUSY_TIMEOUT_MS = _busy_timeout_from_env()
#: BEGIN IMMEDIATE is tried this many times (each waiting BUSY_TIMEOUT_MS) before StoreBusy.
BUSY_ATTEMPTS = 3

PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "normal",
    # 16 MB of page cache per connection: enough for every list query (measured), and the
    # window keeps two connections (GUI thread reads, worker writes) within its memory budget.
    "cache_size": -16_000,
    "busy_timeout": BUSY_TIMEOUT_MS,
    "temp_store": "memory",
    # After a checkpoint resets the log, it is cut back to this size: a window that stays
    # open beside a scheduled job keeps a bounded WAL, not the largest it ever was.
    "journal_size_limit": 16 * 1024 * 1024,
}


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


def _migration_4(db: SqliteDatabase) -> None:
    # Buyers keyed by their canonical contact; the buyer search covers it too.
    rekey.migrate(db.connection())


def _migration_5(db: SqliteDatabase) -> None:
    # Buyer notes with their time, the blocklist, and orders held for the owner's review.
    # A store made fresh by migration 1 already has the columns (its tables follow the models).
    for table, column, declaration in (("buyer", "note_at", "INTEGER"), ("buyer", "blocked_at", "INTEGER"),
                                       ("buyer", "blocked_reason", "TEXT NOT NULL DEFAULT ''"),
                                       ("orders", "held_at", "INTEGER")):
        columns = {row[1] for row in db.execute_sql(f"PRAGMA table_info({table})").fetchall()}
        if column not in columns:
            db.execute_sql(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
    # Both lists are short next to their tables: partial indexes hold only the held and the blocked.
    db.execute_sql("CREATE INDEX IF NOT EXISTS orders_held ON orders (held_at) WHERE held_at IS NOT NULL")
    db.execute_sql("CREATE INDEX IF NOT EXISTS buyer_blocked ON buyer (blocked_at) WHERE blocked_at IS NOT NULL")


#: What migration 6 asks for the card-code key (set by ``open_store`` for the migration only).
_sealer_factory: codes6.SealerFactory | None = None


def _migration_6(db: SqliteDatabase) -> None:
    # The card-code inventory; codes already stored are sealed (store/codes6.py).
    codes6.migrate(db, _sealer_factory)


def _migration_7(db: SqliteDatabase) -> None:
    # Payment sync (补单) and trade closing: one watch row per unpaid order with a gateway trade.
    db.create_tables([PaymentWatch], safe=True)


def _migration_8(db: SqliteDatabase) -> None:
    # Reconciliation (对账): what the owner fixed or explained, per account, day and difference.
    db.create_tables([ReconMark], safe=True)


def _migration_13(db: SqliteDatabase) -> None:
    # Masked hints never show a password (rewritten once the key is at hand); code_used unknown.
    codes13.migrate(db)


@dataclass(frozen=True)
class Dialects:
    """One numbered migration in both dialects: called as it is on the SQLite file,
    ``postgresql`` on a server store (``store.server``, its forms in ``store.pg_schema``)."""

    sqlite: Callable[[Any], None]
    postgresql: Callable[[Any], None]

    def __call__(self, db: Any) -> None:
        self.sqlite(db)


MIGRATIONS: list[tuple[int, Callable[[Any], None]]] = [
    (1, Dialects(_migration_1, pg_schema.migration_1)),
    (2, Dialects(_migration_2, pg_schema.nothing)),
    (3, Dialects(schema3.migrate, pg_schema.migration_3)),
    (4, Dialects(_migration_4, pg_schema.migration_4)),
    (5, Dialects(_migration_5, pg_schema.migration_5)),
    (6, Dialects(_migration_6, pg_schema.migration_6)),
    (7, Dialects(_migration_7, pg_schema.migration_7)),
    (8, Dialects(_migration_8, pg_schema.migration_8)),
    (9, Dialects(schema9.migrate, pg_schema.migration_9)),
    (11, Dialects(report_tables.migrate, pg_schema.migration_11)),  # the reports' summary tables
    (13, Dialects(_migration_13, pg_schema.nothing)),
    (14, Dialects(schema14.migrate, pg_schema.migration_14)),  # operators and the tamper-evident log
    # reports: undone cancellations, imports' days, the owner's own cancels
    (15, Dialects(report_tables.migrate_15, pg_schema.migration_15)),
    (16, Dialects(anchor.migrate, pg_schema.migration_16)),  # the HMAC anchor of each chain's head
    (17, Dialects(report_tables.migrate_17, pg_schema.migration_17)),  # an expiry counts on the day it expired
    (18, Dialects(schema18.migrate, pg_schema.migration_18)),  # two indexes that repeated another's front
    (19, Dialects(report_tables.migrate_19, pg_schema.migration_19)),  # a voided desk sale is no cancellation
]
LATEST = MIGRATIONS[-1][0]


def is_busy(exc: BaseException) -> bool:
    """True for SQLite's "database is locked" / "busy" (raw sqlite3 or wrapped by peewee)."""
    return isinstance(exc, sqlite3.OperationalError | OperationalError) and any(
        word in str(exc).lower() for word in ("locked", "busy"))


def busy_error(server: str | None = None) -> StoreBusy:
    """StoreBusy saying how long it waited in all and that it tried BUSY_ATTEMPTS times; with
    ``server`` (a server store's URL without its password) it names the shop on that server,
    whose write lock another desk held, instead of the data file."""
    each, total = _seconds(BUSY_TIMEOUT_MS), _seconds(BUSY_TIMEOUT_MS * BUSY_ATTEMPTS)
    what_zh = f"数据库服务器 {server} 上的店铺正被另一台电脑或程序占用" if server else "数据文件正被另一个程序占用"
    what_en = f"the store is busy: the shop on the database server {server} was held by another desk or process" \
        if server else "the store is busy: another process"
    return StoreBusy(
        f"{what_zh}（例如正在导入订单或发送退款）：试了 {BUSY_ATTEMPTS} 次，每次等 {each} 秒，"
        f"共 {total} 秒仍未轮到；什么都没有改动，请稍后再试。",
        f"{what_en} (an import, a refund send) held it; tried {BUSY_ATTEMPTS} times, "
        f"waiting {each} s each ({total} s in all); nothing was changed, try again in a moment.")


def _seconds(ms: int) -> str:
    """Milliseconds as seconds for a message: ``0.3``, ``1.5``, ``15``."""
    return f"{ms / 1000:.1f}".removesuffix(".0") if ms < 10_000 else str(round(ms / 1000))


class StoreDatabase(SqliteDatabase):
    """SqliteDatabase whose transactions begin IMMEDIATE and wait their turn (see module doc).

    ``operator`` is the name of the operator working through this connection (the desk sets it
    at sign-in); every log row written through it records that name (store.chain).
    """

    operator: str = ""
    #: Called with the connection just before each write transaction commits, inside it (the desk
    #: anchors the log's chains there: services.chain_anchor); None: nothing.
    before_commit: Callable[[Any], None] | None = None

    def commit(self) -> None:
        if self.before_commit is not None:
            self.before_commit(self.connection())
        super().commit()

    def begin(self, lock_type: str | None = None) -> None:
        for attempt in range(1, BUSY_ATTEMPTS + 1):
            try:
                super().begin(lock_type or "IMMEDIATE")
                self._refuse_if_moved()
                return
            except OperationalError as exc:
                if not is_busy(exc):
                    raise
                log.warning("store busy after %d ms (attempt %d of %d)", BUSY_TIMEOUT_MS, attempt, BUSY_ATTEMPTS)
        raise busy_error()

    def _refuse_if_moved(self) -> None:
        # ``guard_moved`` is set by open_store once the store is open and migrated (the setting
        # table exists): a desk that was open while the shop moved to a server (store.moved)
        # writes nothing more into the old file.
        if not getattr(self, "guard_moved", False):
            return
        from . import moved

        mark = moved.found(self)
        if mark is not None:
            self.execute_sql("ROLLBACK")
            raise moved.refusal(Path(self.database), mark)


def schema_version(path: Path) -> int:
    """The schema version of the store at `path`, read without writing anything."""
    return health.read_version(path)


def backup_lines(backups: Path, count: int = 3) -> tuple[str, str]:
    """The latest backups that pass ``quick_check`` as lines for a message (Chinese, English),
    with the restore command: a damaged copy is never recommended (the newest 10 are looked at)."""
    found = [b for b in list_backups(backups)[:10] if passes_check(b.path)][:count]
    if not found:
        return (f"备份文件夹 {backups} 里没有通过完整性检查的备份。", f"there is no backup in {backups} that passes "
                "the integrity check.")
    # Each with how many orders it holds: the automatic backup of a new shop holds none, and put
    # back it would leave the shop empty.
    counts = [order_count(b.path) for b in found]

    def listed(word: str) -> str:
        return "\n".join(f"  {b.path}  ({datetime.fromtimestamp(b.taken_at, SHOP_TZ):%Y-%m-%d %H:%M}, "
                         f"{b.size / 1_048_576:.1f} MB{'' if n is None else f', {n:,} {word}'})"
                         for b, n in zip(found, counts, strict=True))
    listing, listing_en = listed("个订单"), listed("orders")
    # The shop's own folder named: typed as printed, the restore reaches this shop, not the default one.
    folder = str(backups.parent)
    where = f'"{folder}"' if any(c.isspace() for c in folder) else folder
    return (f"最近的备份：\n{listing}\n恢复：kashop-desktop restore 备份文件 --data-dir {where}（或在窗口中：文件 > 恢复备份）",
            f"latest backups:\n{listing_en}\nto restore: kashop-desktop restore BACKUP_FILE --data-dir {where} (or File > "
            "Restore backup in the window)")


def unusable(path: Path, state: health.FileState | str, backups: Path, detail: str = "") -> StoreUnusable:
    """The refusal for a data file that cannot be used, naming it and the latest backups."""
    what = {
        health.FileState.EMPTY: ("store_empty", "是空的（0 字节）", "is empty (0 bytes)"),
        health.FileState.NOT_SQLITE: ("store_damaged", "不是 SQLite 数据文件（已被覆盖或损坏）",
                                      "is not an SQLite data file (overwritten or damaged)"),
        health.FileState.TRUNCATED: ("store_damaged", "被截断了（比文件头记录的短）",
                                     "is truncated (shorter than its header says)"),
        "foreign": ("store_damaged", "不是卡店订单台的数据文件", "is not a kashop-desktop data file"),
        health.FileState.ORPHAN_WAL: ("store_damaged", "不见了，但它的日志文件（-wal）还在",
                                      "is missing but its log (-wal) is still there"),
    }.get(state, ("store_damaged", f"已损坏（{detail}）", f"is damaged ({detail})"))
    code, zh, en = what
    zh_backups, en_backups = backup_lines(backups)
    return StoreUnusable(
        code,
        f"数据文件 {path} {zh}。为保护数据，本程序不会打开或改动它。\n{zh_backups}",
        f"the data file {path} {en}. To keep your data safe the desk will not open or change it.\n{en_backups}",
        str(path))


def _too_new(path: Path, version: int) -> StoreUnusable:
    return StoreUnusable(
        "schema_too_new",
        f"数据文件 {path} 来自更新版本的 kashop-desktop（结构版本 {version}，本程序支持 {LATEST}）。"
        "请升级程序；为保护数据，本程序不会打开它。",
        f"the data file {path} was written by a newer kashop-desktop (schema {version}, this one knows "
        f"{LATEST}). Upgrade the desk; this version will not open it, to keep your data safe.",
        str(path))


def _connect(path: Path) -> StoreDatabase:
    db = StoreDatabase(str(path), pragmas=PRAGMAS, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000)
    database.initialize(db)
    db.connect(reuse_if_open=True)
    return db


def _migrate(db: SqliteDatabase) -> None:
    # A store already at the latest version is left alone without any transaction: opening it
    # must not wait for, or fail on, another process's write (a read-only command runs beside an
    # import). Otherwise one IMMEDIATE transaction: a second process opening the store meanwhile
    # waits, then finds the version already raised and runs nothing twice.
    if _up_to_date(db):
        return
    with db.atomic():
        version = int(db.execute_sql("PRAGMA user_version").fetchone()[0])
        for number, migrate in MIGRATIONS:
            if number > version:
                migrate(db)
                db.execute_sql(f"PRAGMA user_version = {number}")
        if not schema3.applied(db):  # numbered 3 but landed after 4: a store made in between lacks it
            schema3.migrate(db)
        if not schema3.has_trade_no_index(db):  # duplicates kept it out: try again once they are resolved
            schema3.ensure_trade_no_index(db)
        _ensure_indexes(db)
        schema18.migrate(db)  # whatever brought a retired index back (see _retired_indexes)
        if LATEST >= 11:  # the reports' tables and triggers, whatever a migration rebuilt
            report_tables.ensure(db.connection())


def _up_to_date(db: SqliteDatabase) -> bool:
    """Whether ``_migrate`` has nothing to do, found by reads alone (no transaction)."""
    if int(db.execute_sql("PRAGMA user_version").fetchone()[0]) < LATEST or not schema3.applied(db):
        return False
    if _missing_indexes(db) or _retired_indexes(db) or (LATEST >= 11 and report_tables.missing(db.connection())):
        return False
    # Without the trade-no index there is work only once the duplicates that kept it out are gone.
    return schema3.has_trade_no_index(db) or bool(schema3.duplicate_trade_nos(db, 1))


def _create(path: Path) -> None:
    """A new shop: built under a temporary name, then linked into place only if still missing."""
    scratch = path.with_name(f".{path.name}.new-{os.getpid()}")
    try:
        db = _connect(scratch)
        try:
            _migrate(db)
        finally:
            db.close()
        with contextlib.suppress(FileExistsError):  # another process made the shop first: use theirs
            os.link(scratch, path)
    finally:
        for part in (scratch, health.wal_path(scratch), health.shm_path(scratch)):
            part.unlink(missing_ok=True)


def _probe(db: SqliteDatabase) -> None:
    """A few cheap reads that fail on a damaged schema or order tree (not an integrity check)."""
    names = {row[0] for row in db.execute_sql("SELECT name FROM sqlite_master").fetchall()}
    missing = {"orders", "status_count", "setting"} - names
    if missing:
        raise sqlite3.DatabaseError(f"missing tables: {', '.join(sorted(missing))}")
    # Both edges of the orders tree, one query each (SQLite answers a lone min() or max() from
    # the index in a few page reads; the two together would scan the table).
    db.execute_sql("SELECT max(id) FROM orders").fetchone()
    db.execute_sql("SELECT min(id) FROM orders").fetchone()
    db.execute_sql("SELECT count(*) FROM status_count").fetchone()


def _read_version(path: Path, backups: Path) -> int:
    # The log may be copied while another process rewrites it: a second look settles that; a
    # file that cannot be read three times over is damaged.
    for attempt in range(6):
        try:
            return health.read_version(path)
        except sqlite3.DatabaseError as exc:
            if attempt == 5:
                raise unusable(path, "damaged", backups, str(exc)) from exc
            log.warning("reading the schema version of %s: %s; looking again", path, exc)
            time.sleep(0.05 * (attempt + 1))  # another process's checkpoint ends meanwhile
    raise AssertionError("unreachable")


def open_store(path: Path, *, backups: Path | None = None,
               sealer: codes6.SealerFactory | None = None) -> SqliteDatabase:
    """Open (creating or migrating) the store at `path` and bind the models to it.

    ``sealer`` gives migration 6 the card-code cipher; it is called only when the store holds
    codes in clear. Raises StoreUnusable (damaged, empty, newer schema; nothing written;
    ``store_moved`` for a file whose shop moved to a server, store.moved),
    StoreBusy, or what ``sealer`` raises (a locked vault: DomainError vault_locked).
    """
    global _sealer_factory
    _sealer_factory = sealer
    backups = backups or path.parent / "backups"
    report = health.inspect(path)
    if report.state is health.FileState.MISSING:
        _create(path)
    elif report.state is not health.FileState.OK:
        raise unusable(path, report.state, backups)
    version = _read_version(path, backups)
    if version > LATEST:
        raise _too_new(path, version)
    if version < 1:  # an SQLite file, but never a desk's: migrating would write into someone's data
        raise unusable(path, "foreign", backups)
    db: StoreDatabase | None = None
    try:
        if version < LATEST:
            backup_file(path, backups / f"{path.stem}-v{version}-{stamp()}.sqlite3")
        db = _connect(path)
        _probe(db)
        _migrate(db)
        bulkload.finish_abandoned(db, path)
        if version < 6:
            _forget_clear_codes(db)
        from . import moved

        mark = moved.found(db)
        if mark is not None:
            raise moved.refusal(path, mark)
        db.guard_moved = True  # type: ignore[attr-defined]
    except Exception as exc:
        if db is not None:
            db.close()
        known = classify(exc, path, backups)
        if known is not None:
            raise known from exc
        raise
    return db


#: Indexes that only speed searches up: (name, CREATE statement).
SEARCH_INDEXES = (("orders_no_tail", TAIL_INDEX_SQL), (UNDATED_INDEX, UNDATED_INDEX_SQL))


def _index_names(db: SqliteDatabase) -> set[str]:
    return {r[0] for r in db.execute_sql("SELECT name FROM sqlite_master WHERE type = 'index'")}


def _missing_indexes(db: SqliteDatabase) -> list[str]:
    names = _index_names(db)
    return [sql for name, sql in SEARCH_INDEXES if name not in names]


def _retired_indexes(db: SqliteDatabase) -> set[str]:
    """Indexes schema 18 retired that are there again: a desk of an older version, still open on
    the store while it was upgraded, rebuilt one as it finished a bulk load (its put_back)."""
    return _index_names(db) & schema18.RETIRED


def _forget_clear_codes(db: SqliteDatabase) -> None:
    """After sealing the codes (migration 6) the log may still hold pages with them in clear:
    write everything back into the file and cut the log to nothing."""
    try:
        db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    except Exception as exc:  # another process reading: the next checkpoint resets it
        log.warning("checkpoint after sealing the card codes skipped: %s", exc)


def _ensure_indexes(db: SqliteDatabase) -> None:
    """Indexes that only speed things up, made where missing on open: creating one never
    changes data, so it needs no schema number (a first open of a big store builds it once)."""
    for sql in _missing_indexes(db):
        db.execute_sql(sql)


def close_store() -> None:
    db = database.obj
    if db is not None and not db.is_closed():
        db.close()


def release(db: SqliteDatabase) -> None:
    """Close this thread's connection after a passive checkpoint (never waits on other processes)."""
    if db.is_closed():
        return
    try:
        db.execute_sql("PRAGMA wal_checkpoint(PASSIVE)")
    except Exception as exc:  # a busy or damaged store still closes
        log.info("checkpoint before close skipped: %s", exc)
    db.close()


def error_chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what it wraps, outermost first: peewee's wrapper's first argument, then
    ``__cause__`` / ``__context__``; each exception once (a cycle ends the walk)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        nested: Any = current.args[0] if current.args else None
        current = nested if isinstance(nested, BaseException) else (current.__cause__ or current.__context__)


def classify(exc: BaseException, path: Path, backups: Path) -> StoreError | None:
    """The StoreBusy / StoreUnusable an SQLite error stands for, or None for anything else."""
    for current in error_chain(exc):
        if isinstance(current, StoreError):
            return current
        if is_busy(current):
            return busy_error()
        if _is_damage(current):
            return unusable(path, "damaged", backups, str(current))
    return None


def _is_damage(exc: BaseException) -> bool:
    return is_damage(exc)
