"""测试连接: try a PostgreSQL server store before it is saved, and say in plain words what failed.

``probe(url)`` connects once with a plain psycopg connection (nothing is bound to the desk's
models, nothing is written) and reads what the desk would meet at its next start: the server's
version (15 or newer), whether the database is empty, the desk's shop (its schema version in
``kashop_schema``, ``store.server``) or someone else's tables. It blocks up to the connect
timeout (``store.server.CONNECT_TIMEOUT_S``): run it on a worker thread, never the GUI thread.
The messages name the server without its password (``store.pg_url.redact``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from ..domain.errors import StoreUnusable
from ..store import server as store_server
from ..store.pg_url import redact, url_problem

log = logging.getLogger(__name__)

#: The oldest PostgreSQL the desk's migrations are written for (``server_version_num``).
MIN_SERVER_VERSION = 150000


@dataclass(frozen=True)
class ProbeResult:
    """What 测试连接 found. ``code``: "ok" (the desk's shop, usable), "empty" (an empty database:
    the next start makes a new, empty shop there), or a failure: "store_url" (the address),
    "store_unreachable" (no answer: host, port, network, server down), "store_login_failed"
    (user name or password), "store_missing" (no such database), "store_no_tls" (sslmode asks
    for TLS the server does not offer), "server_too_old", "schema_too_new", "foreign_tables",
    "schema_damaged" (a shop schema without its tables, or a version that is no number),
    "store_no_rights" (the login may not read the shop's tables), "store_no_create_rights" (it
    may not make or upgrade the shop there).
    ``usable``: whether saving it makes sense (ok or empty). ``tls``: the connection was
    encrypted. ``schema``: the shop's schema version when it has one."""

    code: str
    zh: str
    en: str
    tls: bool = False
    schema: int | None = None

    @property
    def usable(self) -> bool:
        return self.code in ("ok", "empty")


def probe(url: str) -> ProbeResult:
    """Connect to ``url`` once and judge it (see ``ProbeResult``); never raises for what the
    server or the address says, and writes nothing."""
    problem = url_problem(url)
    if problem is not None:
        return ProbeResult("store_url", *problem)
    import psycopg

    try:
        con = psycopg.connect(url.strip(), autocommit=True, connect_timeout=store_server.CONNECT_TIMEOUT_S,
                              application_name="kashop-desktop probe")
    except psycopg.Error as exc:
        refused = store_server.unreachable(url, str(exc))
        return ProbeResult(refused.code, refused.zh, refused.en)
    try:
        return _judge(con, url)
    except StoreUnusable as exc:  # a damaged shop schema, a login that may not create the shop
        return ProbeResult(exc.code, exc.zh, exc.en)
    except psycopg.Error as exc:  # dropped half way, or a permission the user lacks
        log.warning("probe of %s failed: %s", redact(url), exc)
        known = store_server.classify(exc, url)
        refused = known if isinstance(known, StoreUnusable) else store_server.unreachable(url, str(exc))
        return ProbeResult(refused.code, refused.zh, refused.en)
    finally:
        con.close()


def _judge(con: Any, url: str) -> ProbeResult:
    from ..store.db import LATEST

    where = redact(url)
    tls = bool(con.pgconn.ssl_in_use)
    number = int(con.execute("SHOW server_version_num").fetchone()[0])
    if number < MIN_SERVER_VERSION:
        shown = f"{number // 10000}.{number % 10000}"
        return ProbeResult(
            "server_too_old", f"数据库服务器 {where} 是 PostgreSQL {shown}，本程序需要 15 或更新的版本。",
            f"the database server {where} runs PostgreSQL {shown}; the desk needs 15 or newer.", tls)
    version = _schema(con, url)
    if version is None:
        return ProbeResult(
            "foreign_tables", f"数据库 {where} 里已有别的表，不是卡店订单台的店铺；本程序不会改动它，请为店铺新建一个空库。",
            f"the database {where} already holds other tables and is not a kashop-desktop shop; the desk will "
            "not change it. Make an empty database for the shop.", tls)
    if version > LATEST:
        return ProbeResult(
            "schema_too_new", f"数据库 {where} 里的店铺来自更新版本的 kashop-desktop（结构版本 {version}，本程序支持 "
            f"{LATEST}）：请先升级这台电脑上的程序。",
            f"the shop in {where} was written by a newer kashop-desktop (schema {version}, this one knows "
            f"{LATEST}): upgrade the desk on this PC first.", tls, version)
    if version < LATEST:  # the next start makes or upgrades the shop: it needs the right to
        refusal = store_server.creation_refusal(url, bool(con.execute(store_server.CAN_CREATE_SQL).fetchone()[0]))
        if refusal is not None:
            return ProbeResult(refusal.code, refusal.zh, refusal.en, tls, version)
    if version == 0:
        return ProbeResult(
            "empty", f"连接成功，但数据库 {where} 是空的：保存后，下次启动会在里面新建一个空店铺。要把这台电脑现有的店铺"
            f"搬过去，请先运行 kashop-desktop store migrate --to {where}（密码写在地址里或用 PGPASSWORD）。",
            f"connected, but the database {where} is empty: once saved, the next start makes a new, empty shop "
            f"there. To move this PC's shop there, first run kashop-desktop store migrate --to {where} (the "
            "password in the URL or from PGPASSWORD).", tls, 0)
    return ProbeResult(
        "ok", f"连接成功：数据库 {where} 里是卡店订单台的店铺（结构版本 {version}）。",
        f"connected: the database {where} holds a kashop-desktop shop (schema {version}).", tls, version)


def _schema(con: Any, url: str) -> int | None:
    """The shop's schema version, 0 for an empty database, None for someone else's tables (as
    ``store.server.schema_version`` reads it, through a plain connection). Raises StoreUnusable
    ``schema_damaged`` as it does."""
    tables = [row[0] for row in con.execute(
        "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = current_schema()").fetchall()]
    if store_server.VERSION_TABLE not in tables:
        return 0 if not tables else None
    try:
        row = con.execute(f"SELECT version FROM {store_server.VERSION_TABLE}").fetchone()
    except Exception as exc:
        if getattr(exc, "sqlstate", None) in ("42703", "42804"):  # no such column / wrong type: not ours
            return None
        raise
    return store_server.read_version(url, set(tables), row)
