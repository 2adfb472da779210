"""The store on a PostgreSQL server (15 or newer): several desks, one shop.

``open_server_store(url)`` connects with psycopg 3 through peewee's ``PostgresqlDatabase``,
creates or migrates the shop's schema with the same numbered migrations as the SQLite file
(``store.db.MIGRATIONS``; each gives its PostgreSQL form, ``store.pg_schema``) and binds the
models to it. The SQLite file stays the default; a server store is chosen by a
``postgresql://`` URL (``--db`` or ``KASHOP_DB_URL``).

* Connection: the URL is libpq's (https://www.postgresql.org/docs/15/libpq-connect.html):
  ``postgresql://user[:password]@host[:port]/dbname?sslmode=require``. The password comes from
  the URL, ``PGPASSWORD`` or ``~/.pgpass`` (libpq reads the last two itself); TLS from
  ``sslmode`` (and ``sslrootcert``). The URL is never stored in the shop and is shown and
  logged only without its password (``redact``).
* Schema version: the table ``kashop_schema`` (one row), the counterpart of SQLite's
  ``PRAGMA user_version``. A database without it is a new shop only when it holds no table;
  one holding other tables is refused (never written into), and so is a newer schema.
* Write transactions: SQLite begins every transaction IMMEDIATE, so writers take turns and
  a read-then-write inside one cannot act on stale data. Each transaction here takes the
  shop's transaction-scoped advisory lock first (``pg_advisory_xact_lock``,
  https://www.postgresql.org/docs/15/explicit-locking.html#ADVISORY-LOCKS): two desks
  approving one request take turns, the second reads the first one's decision and gets the
  rule's refusal; a refund is claimed by one desk's transaction and the other desk reads it
  as claimed; a 卡密 is taken by one transaction at a time. The wait is bounded by
  ``lock_timeout`` (the busy timeout) and tried ``BUSY_ATTEMPTS`` times, then StoreBusy, as
  on SQLite. Reads outside a transaction never wait.
* Errors: a server that cannot be reached, a refused login, a missing database are
  StoreUnusable with a message in Chinese and English naming the server without its password
  (the command line exits 5); nothing was written.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import peewee
from peewee import PostgresqlDatabase

from ..domain.errors import StoreUnusable
from . import codes6, pg_driver, pg_search
from .models import database
from .pg_url import SCHEMES, redact, url_problem
from .server_errors import (
    CAN_CREATE_SQL,
    _damaged,
    _foreign,
    _is_connection_error,
    _is_lock_timeout,
    _sqlstate,
    _too_new,
    classify,
    creation_refusal,
    login_name,
    no_rights,
    open_failed,
    unreachable,
)

log = logging.getLogger(__name__)

URL_ENV = "KASHOP_DB_URL"
#: The key of the shop's write lock (any constant: each shop is its own database).
WRITE_LOCK_KEY = 0x6B6173686F70  # "kashop"
#: Seconds a connection attempt waits for the server before the store is called unreachable.
CONNECT_TIMEOUT_S = 5
VERSION_TABLE = "kashop_schema"


def is_server_url(text: str | None) -> bool:
    """Whether ``text`` names a PostgreSQL server store (``postgresql://`` or ``postgres://``)."""
    return bool(text) and str(text).strip().lower().startswith(SCHEMES)


_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
_NUMBERED = re.compile(r"\?(\d+)")


def _adapt(sql: str, params: Any) -> tuple[str, Any]:
    """``sql`` and ``params`` as psycopg takes them: SQLite's unary ``+`` dropped, ``?`` / ``:name``
    placeholders translated (``_translate``), and SQLite's numbered ``?NNN`` (one value used in
    several places) as named ``%(pNNN)s`` with the values keyed so."""
    sql = _drop_unary_plus(sql)
    if not params:
        return sql, params
    if isinstance(params, list | tuple) and _NUMBERED.search(sql):
        parts = re.split(r"('(?:[^']|'')*')", sql)
        sql = "".join(p.replace("%", "%%") if p.startswith("'") else _NUMBERED.sub(r"%(p\1)s", p.replace("%", "%%"))
                      for p in parts)
        return sql, {f"p{i}": value for i, value in enumerate(params, 1)}
    return _translate(sql, params), params


def _translate(sql: str, params: Any = None) -> str:
    """SQLite's ``?`` placeholders (``:name`` with a dict of parameters) as psycopg's ``%s``
    (``%(name)s``), and a literal ``%`` as ``%%``, outside quoted strings; SQL with neither
    (peewee's own, written for psycopg) is left as it is."""
    named = isinstance(params, dict)
    if "?" not in sql and not named:
        return sql
    out: list[str] = []
    quoted = False
    for part in re.split(r"('(?:[^']|'')*')", sql):
        quoted = part.startswith("'")
        part = part.replace("%", "%%")
        if not quoted:
            part = _NAMED.sub(r"%(\1)s", part) if named else part.replace("?", "%s")
        out.append(part)
    return "".join(out)


#: peewee's mapping of driver errors to its own (IntegrityError, OperationalError ...).
_WRAP: Any = getattr(peewee, "__exception_wrapper__")  # noqa: B009


class SqliteStyleConnection:
    """The psycopg connection with the few sqlite3 ``Connection`` calls the store's SQL makes
    (``execute``, ``executemany`` with ``?`` placeholders, ``total_changes``), so a statement
    written once in SQL both dialects accept runs on both. Errors come out as peewee's."""

    dialect = "postgresql"

    def __init__(self, db: ServerDatabase) -> None:
        self._db = db
        self.total_changes = 0

    def execute(self, sql: str, params: Any = ()) -> Any:
        with _WRAP:
            cursor = self._db.cursor()
            sql, params = _adapt(sql, params)
            cursor.execute(sql, params or None)
        if cursor.description is None:  # rows written (a SELECT's rowcount is the rows it read)
            self.total_changes += max(cursor.rowcount, 0)
        return cursor

    def executemany(self, sql: str, rows: Any) -> Any:
        rows = list(rows)
        with _WRAP:
            cursor = self._db.cursor()
            if rows:
                adapted = [_adapt(sql, row) for row in rows]
                cursor.executemany(adapted[0][0], [params for _, params in adapted])
        self.total_changes += max(cursor.rowcount, 0) if rows else 0
        return cursor


_KEYWORDS = frozenset({"AND", "OR", "WHERE", "ON", "BY", "SELECT", "NOT", "WHEN", "THEN", "ELSE", "AS", "IN",
                       "DISTINCT", "RETURN"})


def _drop_unary_plus(sql: str) -> str:
    """SQLite's unary ``+`` before a column (``+o.status``: "do not use an index for this term")
    removed, outside quoted strings: PostgreSQL has no unary plus for text, and its planner
    needs no such hint. A ``+`` after a value (``a + b``) stays."""
    if "+" not in sql:
        return sql
    out: list[str] = []
    quoted = False
    for i, ch in enumerate(sql):
        if ch == "'":
            quoted = not quoted
        if ch == "+" and not quoted and _unary_at(sql, i):
            continue
        out.append(ch)
    return "".join(out)


def _unary_at(sql: str, i: int) -> bool:
    before = sql[:i].rstrip()
    if not before or before[-1] in "(,=<>":
        return True
    word = re.search(r"([A-Za-z_]+)$", before)
    if word is None:
        return False
    return word.group(1).upper() in _KEYWORDS and not before[: word.start()].endswith(".")


class ServerDatabase(PostgresqlDatabase):
    """PostgresqlDatabase (psycopg 3) whose transactions take the shop's write lock first, and
    whose ``execute_sql`` accepts the SQLite-style ``?`` placeholders the store's SQL uses.
    Integers are BIGINT as SQLite's are 64-bit (ids, epoch seconds, money in fen)."""

    # Booleans are 0 / 1 as on SQLite (which has no boolean type): the store's SQL compares and
    # sums them as numbers, and ``_connect`` sends Python's True / False as 1 / 0.
    field_types = {  # noqa: RUF012  (peewee reads it from the class)
        **PostgresqlDatabase.field_types, "INT": "BIGINT", "AUTO": "BIGSERIAL", "BOOL": "SMALLINT"}
    dialect = "postgresql"

    def __init__(self, url: str, **kwargs: Any) -> None:
        self.url = url.strip()
        self.busy_timeout_ms = kwargs.pop("busy_timeout_ms", 5_000)
        self.busy_attempts = kwargs.pop("busy_attempts", 3)
        kwargs.setdefault("connect_timeout", CONNECT_TIMEOUT_S)
        kwargs.setdefault("application_name", "kashop-desktop")
        pg_driver.load_driver()  # before peewee's init chooses its driver adapter
        kwargs.setdefault("options", session_options(self.url))
        super().__init__(self.url, prefer_psycopg3=True, **kwargs)

    def _connect(self) -> Any:
        # peewee's own steps (PostgresqlDatabase._connect: psycopg 3, autocommit; the desk sets
        # no isolation level), with a connection that closes itself when its thread drops it.
        connection_class, bool_as_number, str_as_text, whole_numeric = pg_driver.driver_types()
        conn = connection_class.connect(self.url, **self.connect_params)
        conn.autocommit = True
        # Reads wait for a table lock (another session's LOCK TABLE, a migration) no longer than
        # the busy timeout either, then fail with 55P03 (StoreBusy), as a write does in ``begin``.
        conn.execute(f"SET lock_timeout = {max(1, int(self.busy_timeout_ms))}")
        conn.adapters.register_dumper(bool, bool_as_number)
        # Strings go as text (not "unknown"): a value the store's SQL uses twice (SQLite's ?NNN)
        # then has one type wherever it appears.
        conn.adapters.register_dumper(str, str_as_text)
        conn.adapters.register_loader("numeric", whole_numeric)
        return conn

    def cursor(self, named_cursor: Any = None) -> Any:
        """A cursor on this thread's connection; one the server dropped (it restarted, the
        network went away) is opened again first when no transaction is open on it, so a desk
        resumes by itself once the server answers (inside a transaction the error stands: the
        server has rolled it back, nothing was written half)."""
        self._reconnect_if_dropped()
        return super().cursor()

    def _reconnect_if_dropped(self) -> None:
        state: Any = getattr(self, "_state")  # noqa: B009
        conn = state.conn
        if conn is None or not (conn.closed or conn.broken) or self.in_transaction():
            return
        log.warning("the connection to %s was lost; connecting again", redact(self.url))
        self.close()
        self.connect()

    def connection(self) -> Any:
        """This thread's connection seen through ``SqliteStyleConnection`` (peewee itself never
        calls this; the store's hand-written SQL does)."""
        if self.is_closed():
            self.connect()
        state: Any = getattr(self, "_state")  # noqa: B009
        adapter = getattr(state, "sqlite_style", None)
        if adapter is None or adapter.conn is not state.conn:
            adapter = SqliteStyleConnection(self)
            adapter.conn = state.conn  # type: ignore[attr-defined]
            state.sqlite_style = adapter
        return adapter

    def changes_seen(self, wait: float = 0.0, *, again: bool = False) -> int:
        """How many commits of *other* connections this thread has been told of (NOTIFY on
        ``pg_schema.CHANGED_CHANNEL``), waiting up to ``wait`` seconds for one when none is
        pending. The counterpart of SQLite's ``PRAGMA data_version``: a number that moves only
        when someone else wrote. The first call starts listening (its own connection, kept
        per thread and closed with the thread's store connection)."""
        import psycopg

        from .pg_schema import CHANGED_CHANNEL

        state: Any = getattr(self, "_state")  # noqa: B009
        heard = getattr(state, "listener", None)
        count, resumed = 0, 0
        if heard is not None and (heard["con"].closed or heard["con"].broken):  # the server dropped it
            # Listening again: what others wrote meanwhile went unheard, so the count moves by one
            # (screens read again) and ``resumed`` says why: the connection came back, not a write.
            count, resumed = heard["count"] + 1, heard["resumed"] + 1
            state.listener = heard = None
        if heard is None:
            con = psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
            con.execute(f"LISTEN {CHANGED_CHANNEL}")
            heard = state.listener = {"con": con, "count": count, "own": None, "conn": None, "resumed": resumed}
        if heard["conn"] is not state.conn:  # this thread's store connection (its own writes)
            heard["own"] = self.execute_sql("SELECT pg_backend_pid()").fetchone()[0]
            heard["conn"] = state.conn
        try:
            for note in heard["con"].notifies(timeout=wait, stop_after=1 if wait else None):
                if note.pid != heard["own"]:
                    heard["count"] += 1
            for note in heard["con"].notifies(timeout=0):  # the rest already there
                if note.pid != heard["own"]:
                    heard["count"] += 1
        except psycopg.OperationalError:
            if again or not heard["con"].broken:
                raise
            return self.changes_seen(wait, again=True)  # the server restarted: listen again
        return int(heard["count"])

    def times_resumed(self) -> int:
        """How often this thread's listener was lost and started again (``changes_seen``)."""
        heard = getattr(getattr(self, "_state"), "listener", None)  # noqa: B009
        return int(heard["resumed"]) if heard is not None else 0

    def stop_listening(self) -> None:
        """Close this thread's listener (``changes_seen``), if it has one."""
        state: Any = getattr(self, "_state")  # noqa: B009
        heard = getattr(state, "listener", None)
        if heard is not None:
            state.listener = None
            heard["con"].close()

    def execute_sql(self, sql: str, params: Any = None, commit: Any = None) -> Any:
        sql, params = _adapt(sql, params)
        return super().execute_sql(sql, params)

    @contextmanager
    def read_snapshot(self) -> Iterator[None]:
        """One read-only REPEATABLE READ transaction around what runs inside on this thread's
        connection: every statement sees the shop as of the first one, and no lock is taken
        (not the shop's write lock either: ``begin`` is for writes). The counterpart of a
        deferred ``BEGIN`` on SQLite. Nothing when a transaction is already open here
        (PostgreSQL 15 "Transaction Isolation", "SET TRANSACTION")."""
        import psycopg

        raw = self.connection().conn  # autocommit: BEGIN is sent as a statement
        if raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            yield
            return
        self.execute_sql("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        try:
            yield
        finally:
            if not raw.closed:
                raw.execute("ROLLBACK")  # read only: nothing to keep, and it also ends a failed one

    def stream(self, sql: str, params: Any, chunk: int) -> Iterator[list[tuple[Any, ...]]]:
        """The rows of ``sql`` (SQLite-style placeholders) in lists of at most ``chunk``, read
        through a server-side cursor so only one chunk is in memory (a client cursor holds the
        whole result). Runs inside a transaction (``read_snapshot``): the cursor lives in it."""
        sql, params = _adapt(sql, params)
        with _WRAP, self.connection().conn.cursor(name="kashop_stream") as cursor:
            cursor.itersize = chunk
            cursor.execute(sql, params or None)
            while rows := cursor.fetchmany(chunk):
                yield rows

    #: Called with the connection just before each write transaction commits, inside it (as
    #: ``store.db.StoreDatabase.before_commit``: the desk anchors the log there).
    before_commit: Any = None

    def commit(self) -> None:
        if self.before_commit is not None:
            self.before_commit(self.connection())
        super().commit()

    def begin(self, isolation_level: Any = None) -> None:
        for attempt in range(1, self.busy_attempts + 1):
            super().begin(isolation_level)
            try:
                self.cursor().execute(f"SET LOCAL lock_timeout = {max(1, int(self.busy_timeout_ms))}")
                self.cursor().execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK_KEY,))
                return
            except Exception as exc:
                self.cursor().connection.rollback()
                if not _is_lock_timeout(exc):
                    raise
                log.warning("store busy after %d ms (attempt %d of %d)", self.busy_timeout_ms, attempt,
                            self.busy_attempts)
        from .db import busy_error

        raise busy_error(redact(self.url))


#: Settings of each desk connection (PostgreSQL 15 manual, "Query Planning"; "JIT"). The desk's
#: statements are short and their best plan depends on the values: psycopg prepares a statement
#: run five times, and the server may then plan it once for any values (a generic plan): a
#: search's page walked the 816,000 orders of 已完成 for a prefix of this year's orders (1.0 s
#: against 14 ms planned for its values). JIT compiling pays off only for long analytic queries:
#: no statement of the search benchmark crossed ``jit_above_cost`` (parallel plans keep even a
#: count of a million orders under it), and with JIT off none of the desk's short reads can pay
#: a compile (tens of milliseconds) should an estimate cross it.
SESSION_SETTINGS = "-c plan_cache_mode=force_custom_plan -c jit=off"


def session_options(url: str) -> str:
    """libpq's ``options`` for a desk connection: ``SESSION_SETTINGS`` after any the URL gives."""
    from psycopg.conninfo import conninfo_to_dict

    given = str(conninfo_to_dict(url).get("options") or "").strip()
    return f"{given} {SESSION_SETTINGS}".strip()


def is_server(db: Any) -> bool:
    """Whether ``db`` is a server store (PostgreSQL), not the SQLite file."""
    return getattr(db, "dialect", "sqlite") == "postgresql"


def schema_version(db: ServerDatabase) -> int | None:
    """The shop's schema version, 0 for an empty database, None for one holding other tables.
    Raises StoreUnusable ``schema_damaged`` (``read_version``) or ``store_no_rights``."""
    tables = set(db.get_tables())
    if VERSION_TABLE not in tables:
        return 0 if not tables else None
    try:
        row = db.execute_sql(f"SELECT version FROM {VERSION_TABLE}").fetchone()
    except peewee.DatabaseError as exc:  # a table of that name that is not ours (no version column)
        if _is_connection_error(exc) or _sqlstate(exc) == "42501":  # lost, or no rights: not someone else's
            raise
        if not db.in_transaction():
            db.rollback()
        return None
    return read_version(db.url, tables, row)


def read_version(url: str, tables: set[str], row: Any) -> int | None:
    """The schema version that ``row`` (the one row of ``kashop_schema``, or None) gives, for a
    database holding ``tables`` (its version table among them): 0 for a shop not yet made (the
    version table alone, empty), None for someone else's tables. A version that is no whole
    number, or a shop schema without the shop's own tables (``pg_schema.MODELS``: migration 1
    makes them all), raises StoreUnusable ``schema_damaged``: opening it would fail half way."""
    from .db import LATEST

    if row is None:
        return 0 if len(tables) == 1 else None
    try:
        version = int(row[0])
    except (TypeError, ValueError):
        raise _damaged(url, f"{VERSION_TABLE}.version = {row[0]!r}") from None
    if version < 0:
        raise _damaged(url, f"{VERSION_TABLE}.version = {version}")
    missing = sorted(shop_tables() - tables) if 0 < version <= LATEST else []
    if missing:
        shown = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
        raise _damaged(url, f"schema {version}; missing: {shown}")
    return version


def shop_tables() -> frozenset[str]:
    """The tables every shop on a server has from schema 1 on."""
    from .models import MODELS

    return frozenset(model._meta.table_name for model in MODELS)


def connect(url: str, **kwargs: Any) -> ServerDatabase:
    """A connected ServerDatabase bound to the models. Raises StoreUnusable when the server
    cannot be reached or refuses the login."""
    from .db import BUSY_ATTEMPTS, BUSY_TIMEOUT_MS

    db = ServerDatabase(url, busy_timeout_ms=BUSY_TIMEOUT_MS, busy_attempts=BUSY_ATTEMPTS, **kwargs)
    try:
        db.connect(reuse_if_open=True)
    except Exception as exc:
        known = classify(exc, url)
        if known is not None:
            raise known from exc
        raise
    database.initialize(db)
    return db


def open_server_store(url: str, *, sealer: codes6.SealerFactory | None = None) -> ServerDatabase:
    """Open (creating or migrating) the shop in the PostgreSQL database at ``url``.

    Raises StoreUnusable (unreachable, login refused, no such database, a database holding
    other tables, a newer schema; nothing written) or StoreBusy. ``sealer`` is accepted for
    the same signature as ``store.db.open_store``: a server store never holds codes in clear.
    """
    del sealer
    problem = url_problem(url)
    if problem is not None:
        raise StoreUnusable("store_url", *problem, redact(url))
    db = connect(url)
    try:
        migrate(db)
        pg_search.ensure_indexes(db)
    except Exception as exc:
        db.close()
        known = classify(exc, url)
        if known is not None:
            raise known from exc
        if isinstance(exc, peewee.DatabaseError):  # anything else the server said: its words, no traceback
            raise open_failed(url, str(exc)) from exc
        raise
    return db


def migrate(db: ServerDatabase) -> None:
    """Run the migrations this database lacks, in one transaction under the write lock (a
    second desk opening meanwhile waits, then finds the version raised and runs nothing)."""
    from .db import LATEST, MIGRATIONS

    version = schema_version(db)
    if version is None:
        raise _foreign(db.url)
    if version > LATEST:
        raise _too_new(db.url, version, LATEST)
    if version == LATEST:
        return
    refusal = creation_refusal(db.url, bool(db.execute_sql(CAN_CREATE_SQL).fetchone()[0]))
    if refusal is not None:
        raise refusal
    with db.atomic():
        version = schema_version(db)
        if version is None:
            raise _foreign(db.url)
        db.execute_sql(f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version INTEGER NOT NULL)")
        if not db.execute_sql(f"SELECT 1 FROM {VERSION_TABLE}").fetchone():
            db.execute_sql(f"INSERT INTO {VERSION_TABLE} (version) VALUES (0)")
        for number, step in MIGRATIONS:
            if number > version:
                _postgresql_form(number, step)(db)
                db.execute_sql(f"UPDATE {VERSION_TABLE} SET version = %s", (number,))


def _postgresql_form(number: int, step: Any) -> Callable[[Any], None]:
    form: Callable[[Any], None] | None = getattr(step, "postgresql", None)
    if form is None:
        raise StoreUnusable(
            "schema_no_server_form",
            f"结构版本 {number} 还没有 PostgreSQL 的写法，本程序不能在数据库服务器上建这个版本的店铺。",
            f"schema {number} has no PostgreSQL form yet; this desk cannot make that version of the shop on a "
            "database server.")
    return form


def release(db: ServerDatabase) -> None:
    """Close this thread's connection (and its listener)."""
    db.stop_listening()
    if not db.is_closed():
        db.close()


@contextmanager
def admin_connection(url: str) -> Iterator[Any]:
    """A plain psycopg connection (autocommit) to ``url``, for the migration tool and tests."""
    import psycopg

    con = psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
    try:
        yield con
    finally:
        con.close()


def env_url() -> str | None:
    """``KASHOP_DB_URL`` when set and not empty."""
    value = os.environ.get(URL_ENV, "").strip()
    return value or None


__all__ = ["CAN_CREATE_SQL", "URL_ENV", "ServerDatabase", "classify", "connect", "creation_refusal", "env_url",
           "is_server", "is_server_url", "login_name", "migrate", "no_rights", "open_failed", "open_server_store", "read_version",
           "redact", "release", "schema_version", "shop_tables", "unreachable", "url_problem"]
